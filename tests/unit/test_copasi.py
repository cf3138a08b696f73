"""Golden values from an independent simulator: COPASI agrees with roadrunner on the written SBML.

Tools and versions: COPASI 4.48.311 through copasi-basico 0.92 (python-copasi 4.48.311),
libroadrunner 2.10.0, python-libsbml 5.21.2. The SBML is the file written by::

    stat3qsp sbml --context her2_amplified --initial-state modules -o her2_amplified.xml

(called here as ``stat3qsp.cli.main``), with the drug concentration parameters ``rux_conc`` and
``tras_conc`` (nM) then set in the file with libsbml. Both simulators read that same file and
start from its own initial state (no pre-equilibration), 0-48 h, 21 output times:

- COPASI: ``basico.run_time_course(duration=48, intervals=20, method="deterministic",
  r_tol=1e-10, a_tol=1e-14, use_sbml_id=True)`` (LSODA);
- roadrunner: ``roadrunner.RoadRunner(file)``, CVODE with relative tolerance 1e-10 and absolute
  tolerance 1e-14, concentrations selected as ``[species]``.

Every floating species (nM) and every variable global quantity (the readouts pSTAT3_fraction,
HER2_signal, log_cells and the other rule-defined quantities) must agree to
:data:`RELATIVE_AGREEMENT` at every output time. Values whose magnitude is below
:data:`ABSOLUTE_FLOOR` (species that start at exactly 0, log_cells at t = 0) are compared against
the floor instead, i.e. they must agree to 1e-10 absolute.

Run with ``.venv/bin/python -m pytest tests/test_copasi.py -q``.
"""
from __future__ import annotations

from pathlib import Path

import basico
import libsbml
import numpy as np
import pandas as pd
import pytest
import roadrunner

from stat3qsp.cli import main
from stat3qsp.model.readouts import READOUTS

#: Largest accepted relative difference between COPASI and roadrunner.
RELATIVE_AGREEMENT = 1e-4
#: Magnitude (nM, or 1 for dimensionless quantities) below which values are compared absolutely,
#: to RELATIVE_AGREEMENT * ABSOLUTE_FLOOR = 1e-10. 1e-6 nM is about 1e-3 molecules per cell.
ABSOLUTE_FLOOR = 1e-6
HOURS = 48.0
TIMES = 21
RELATIVE_TOLERANCE = 1e-10
ABSOLUTE_TOLERANCE = 1e-14
MAX_STEPS = 1_000_000

CONTEXTS = ["her2_amplified", "her2_trastuzumab_resistant"]
DOSES = {
    "vehicle": {},
    "ruxolitinib_300nM_trastuzumab_10nM": {"rux_conc": 300.0, "tras_conc": 10.0},
}


def _write_sbml(tmp_path: Path, context: str, values: dict[str, float]) -> tuple[Path, libsbml.Model]:
    """Write the context's SBML with the CLI, set *values* on its parameters, return file and model."""
    written = tmp_path / f"{context}.xml"
    assert main(["sbml", "--context", context, "--initial-state", "modules", "-o", str(written)]) == 0
    document = libsbml.readSBMLFromFile(str(written))
    model = document.getModel()
    for pid, value in values.items():
        parameter = model.getParameter(pid)
        assert parameter is not None and parameter.getValue() == 0.0, f"{pid} should be a parameter, 0 by default"
        assert parameter.setValue(value) == libsbml.LIBSBML_OPERATION_SUCCESS
    dosed = tmp_path / f"{context}_dosed.xml"
    assert libsbml.writeSBMLToFile(document, str(dosed))
    return dosed, model


def _copasi(path: Path, species: list[str]) -> pd.DataFrame:
    """COPASI time course of *path* (concentrations in nM), columns named by SBML id."""
    model = basico.load_model(str(path))
    try:
        units = basico.get_model_units(model=model)
        assert (units["time_unit"], units["quantity_unit"], units["volume_unit"]) == ("3.6*ks", "nmol", "l")
        table = basico.get_species(model=model)
        assert sorted(table["sbml_id"]) == sorted(species)
        assert set(table["unit"]) == {"nmol/l"}
        result = basico.run_time_course(
            duration=HOURS, intervals=TIMES - 1, method="deterministic", r_tol=RELATIVE_TOLERANCE,
            a_tol=ABSOLUTE_TOLERANCE, max_steps=MAX_STEPS, use_initial_values=True, use_sbml_id=True, model=model,
        )
        method = basico.get_task_settings("Time-Course", model=model)["method"]
        assert method["name"] == "Deterministic (LSODA)"
        assert (method["Relative Tolerance"], method["Absolute Tolerance"]) == (RELATIVE_TOLERANCE, ABSOLUTE_TOLERANCE)
    finally:
        basico.remove_datamodel(model)
    return result


def _roadrunner(path: Path, selections: list[str]) -> np.ndarray:
    runner = roadrunner.RoadRunner(str(path))
    integrator = runner.getIntegrator()
    integrator.setValue("relative_tolerance", RELATIVE_TOLERANCE)
    integrator.setValue("absolute_tolerance", ABSOLUTE_TOLERANCE)
    integrator.setValue("maximum_num_steps", MAX_STEPS)
    return np.array(runner.simulate(0.0, HOURS, TIMES, selections=["time", *selections]))


def relative_deviation(values: np.ndarray, reference: np.ndarray, floor: float = ABSOLUTE_FLOOR) -> np.ndarray:
    """|values - reference| / max(|reference|, floor), element-wise."""
    return np.abs(values - reference) / np.maximum(np.abs(reference), floor)


def test_relative_deviation_uses_the_floor_near_zero():
    assert relative_deviation(np.array([1.0001, 2e-11]), np.array([1.0, 0.0]), floor=1e-6) == pytest.approx([1e-4, 2e-5])


@pytest.mark.parametrize("doses", DOSES.values(), ids=DOSES.keys())
@pytest.mark.parametrize("context", CONTEXTS)
def test_copasi_agrees_with_roadrunner(tmp_path, context, doses):
    path, model = _write_sbml(tmp_path, context, doses)
    species = [s.getId() for s in model.getListOfSpecies()]
    variables = [p.getId() for p in model.getListOfParameters() if not p.getConstant()]
    assert {name for name, _, _ in READOUTS.values() if not name.startswith("[")} <= set(variables)

    copasi = _copasi(path, species)
    rr = _roadrunner(path, [f"[{s}]" for s in species] + variables)

    np.testing.assert_allclose(copasi.index.to_numpy(), np.linspace(0.0, HOURS, TIMES), rtol=0, atol=1e-12)
    np.testing.assert_allclose(rr[:, 0], np.linspace(0.0, HOURS, TIMES), rtol=0, atol=1e-12)
    missing = sorted(set(species + variables) - set(copasi.columns))
    assert not missing, f"COPASI reports no values for {missing}"
    reference = copasi[species + variables].to_numpy()
    deviation = relative_deviation(rr[:, 1:], reference)
    worst = np.unravel_index(np.argmax(deviation), deviation.shape)
    name = (species + variables)[worst[1]]
    assert deviation.max() <= RELATIVE_AGREEMENT, (
        f"{context}: {name} at t = {rr[worst[0], 0]:g} h differs by {deviation.max():.2e} relative "
        f"(roadrunner {rr[worst[0], 1 + worst[1]]!r}, COPASI {reference[worst]!r})"
    )
    moved = np.abs(reference[-1, : len(species)] - reference[0, : len(species)]).max()
    assert moved > 1.0, "the species should move by more than 1 nM, or the comparison is trivial"
