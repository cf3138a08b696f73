"""The exported SBML alone reproduces ``stat3qsp simulate``: golden values from two independent tools.

Tools and versions: libroadrunner 2.10.0 (CVODE) and COPASI 4.48.311 through copasi-basico 0.92
(LSODA), python-libsbml 5.21.2. The SBML is the file written by::

    stat3qsp sbml --context CONTEXT -o CONTEXT.xml

(called here as ``stat3qsp.cli.main``); one drug concentration parameter is then set in the file with
libsbml, and each simulator runs that file from t = 0 (no pre-equilibration, no project code):

- roadrunner: ``RoadRunner(file).simulate(0, 72, 4)``, relative tolerance 1e-10, absolute 1e-14;
- COPASI: ``basico.run_time_course(duration=72, intervals=3, r_tol=1e-10, a_tol=1e-14, use_sbml_id=True)``.

Every readout of ``stat3qsp simulate`` (the columns of its table, found in the SBML under the same
names) must equal the project's time course (:meth:`ContextSimulator.time_course`, which
pre-equilibrates and runs its own vehicle culture for viability) to :data:`AGREEMENT` relative, for
every context of the catalog and every drug, and for one combination.
"""
from __future__ import annotations

from pathlib import Path

import basico
import libsbml
import numpy as np
import pytest
import roadrunner

from stat3qsp.cli import main
from stat3qsp.model.catalog import DEFAULT_MODELS_DIR, read_catalog
from stat3qsp.model.readouts import READOUTS, TIME
from stat3qsp.model.simulator import load_model

AGREEMENT = 1e-6
#: Values smaller than this (log_cells at t = 0) are compared absolutely, to AGREEMENT * FLOOR.
FLOOR = 1e-3
HOURS, POINTS = 72.0, 4
TOLERANCES = {"relative_tolerance": 1e-10, "absolute_tolerance": 1e-14}
#: One concentration per drug near its cellular potency (nM), and one combination.
DOSES = {"trastuzumab": 10.0, "ruxolitinib": 300.0, "neratinib": 10.0, "lapatinib": 300.0}
CASES = [{drug: conc} for drug, conc in DOSES.items()] + [{"ruxolitinib": 300.0, "trastuzumab": 10.0}]
CATALOG = read_catalog(DEFAULT_MODELS_DIR)


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("sbml")
    paths = {}
    for context in CATALOG.contexts:
        paths[context] = folder / f"{context}.xml"
        assert main(["sbml", "--context", context, "-o", str(paths[context])]) == 0
    return paths


def _dosed(path: Path, doses: dict[str, float], tmp_path: Path) -> Path:
    document = libsbml.readSBMLFromFile(str(path))
    for drug, conc in doses.items():
        parameter = document.getModel().getParameter(CATALOG.drug(drug).concentration_parameter)
        assert parameter.getValue() == 0.0 and parameter.getSBOTerm() == 196
        parameter.setValue(conc)
    dosed = tmp_path / "dosed.xml"
    assert libsbml.writeSBMLToFile(document, str(dosed))
    return dosed


def _roadrunner(path: Path, names: list[str]) -> np.ndarray:
    runner = roadrunner.RoadRunner(str(path))
    for key, value in TOLERANCES.items():
        runner.getIntegrator().setValue(key, value)
    return np.array(runner.simulate(0.0, HOURS, POINTS, selections=names))


def _copasi(path: Path, names: list[str]) -> np.ndarray:
    model = basico.load_model(str(path))
    try:
        result = basico.run_time_course(duration=HOURS, intervals=POINTS - 1, method="deterministic",
                                        r_tol=TOLERANCES["relative_tolerance"], a_tol=TOLERANCES["absolute_tolerance"],
                                        max_steps=1_000_000, use_initial_values=True, use_sbml_id=True, model=model)
    finally:
        basico.remove_datamodel(model)
    return result.reset_index()[["Time", *names]].to_numpy()


def _deviation(values: np.ndarray, reference: np.ndarray) -> float:
    return float((np.abs(values - reference) / np.maximum(np.abs(reference), FLOOR)).max())


@pytest.mark.parametrize("doses", CASES, ids=["+".join(c) for c in CASES])
@pytest.mark.parametrize("context", list(CATALOG.contexts))
def test_exported_sbml_reproduces_simulate(exported, tmp_path, context, doses):
    reference = load_model(DEFAULT_MODELS_DIR).context(context).time_course(doses, hours=HOURS, points=POINTS)
    names = [c for c in reference.columns if c != TIME]
    assert set(READOUTS) < set(names) and "viability_pct" in names
    expected = reference[[TIME, *names]].to_numpy()
    path = _dosed(exported[context], doses, tmp_path)
    for tool, run in (("roadrunner", _roadrunner), ("COPASI", _copasi)):
        got = run(path, ["time", *names] if tool == "roadrunner" else names)
        np.testing.assert_allclose(got[:, 0], expected[:, 0], rtol=0, atol=1e-9)
        assert _deviation(got[:, 1:], expected[:, 1:]) <= AGREEMENT, f"{tool}: {got} vs {expected}"
    assert abs(expected[-1, names.index("viability_pct") + 1] - 100.0) > 1.0, "the drug should act, or the test is trivial"


def test_exported_sbml_starts_at_the_untreated_steady_state(exported):
    """Untreated, the file's own time course stays at its initial state (pSTAT3 at t = 0 is not 0)."""
    got = _roadrunner(exported["her2_amplified"], ["time", "pSTAT3_fraction", "calprotectin_nM", "viability_pct"])
    assert got[0, 1] > 0.01
    np.testing.assert_allclose(got[:, 1:], np.repeat(got[:1, 1:], POINTS, axis=0), rtol=1e-8)


def test_vehicle_growth_rate_does_not_depend_on_what_ran_before(tmp_path):
    """Regression: the growth rate was read from the shared runner, which may hold another context's state."""
    model = load_model(DEFAULT_MODELS_DIR)
    model.context("her2_amplified").start_state()
    model.context("tnbc_egfr").assay({"neratinib": 10.0})
    path = tmp_path / "her2_amplified.xml"
    assert main(["sbml", "--context", "her2_amplified", "-o", str(path)]) == 0
    written = libsbml.readSBMLFromFile(str(path)).getModel().getParameter("vehicle_net_growth_rate").getValue()
    vehicle = model.context("her2_amplified").time_course({}, hours=HOURS, points=2)["log_cells"].iloc[-1]
    assert written * HOURS == pytest.approx(vehicle, rel=1e-9)
