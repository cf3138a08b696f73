"""The COMBINE archive of a context, executed by tellurium, reproduces the project's own results.

Tools and versions: tellurium 2.2.13.1 (``tellurium.executeCombineArchive``, which runs SED-ML
with libroadrunner 2.10.0), phraSED-ML 1.3.0, python-libsedml 2.0.34. The archive is the file
written by::

    stat3qsp omex --context her2_trastuzumab_resistant --config config/config.yaml -o ctx.omex

(called here as ``stat3qsp.cli.main``). tellurium saves one CSV per SED-ML report; each must equal,
to :data:`AGREEMENT` relative, what the project computes with its own code: the untreated time
course (:meth:`ContextSimulator.time_course`), the single-drug sweeps of the dose_response rules
(:func:`stat3qsp.assay.dose_response.sweep`) and the dose matrix of the synergy rules
(:func:`stat3qsp.assay.synergy.sweep.simulate_matrix`).
"""
from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from stat3qsp.assay.dose_response import sweep
from stat3qsp.assay.omex import MANIFEST_FILE, MODEL_FILE, SEDML_FILE, protocol_from_config
from stat3qsp.assay.synergy.sweep import simulate_matrix
from stat3qsp.cli import main
from stat3qsp.model.catalog import DEFAULT_MODELS_DIR
from stat3qsp.model.readouts import ASSAY_READOUTS, READOUTS, VIABILITY
from stat3qsp.model.simulator import load_model

tellurium = pytest.importorskip("tellurium")

AGREEMENT = 1e-6
FLOOR = 1e-3
#: phraSED-ML writes the concentrations with 15 significant digits.
CONCENTRATION_DIGITS = 1e-13
CONTEXT = "her2_trastuzumab_resistant"
CONFIG = Path(__file__).resolve().parents[2] / "config" / "config.yaml"


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, pd.DataFrame]:
    folder = tmp_path_factory.mktemp("omex")
    archive = folder / f"{CONTEXT}.omex"
    assert main(["omex", "--context", CONTEXT, "--config", str(CONFIG), "-o", str(archive)]) == 0
    with zipfile.ZipFile(archive) as members:
        assert sorted(members.namelist()) == sorted([MANIFEST_FILE, MODEL_FILE, SEDML_FILE])
    (folder / "run").mkdir()
    (folder / "out").mkdir()
    tellurium.executeCombineArchive(str(archive), workingDir=str(folder / "run"), createOutputs=True,
                                    saveOutputs=True, outputDir=str(folder / "out"))
    tables = [pd.read_csv(path) for path in sorted((folder / "out").glob("*.csv"))]
    return {table.columns[0].split(".")[0]: table.rename(columns=lambda c: c.split(".", 1)[1]) for table in tables}


def _agree(got: np.ndarray, expected: np.ndarray) -> float:
    return float((np.abs(got - expected) / np.maximum(np.abs(expected), FLOOR)).max())


def _protocol():
    return protocol_from_config(yaml.safe_load(CONFIG.read_text()), load_model(DEFAULT_MODELS_DIR).catalog)


def test_archive_has_every_report(reports):
    protocol = _protocol()
    expected = {"untreated", *(f"dose_response_{d}" for d in protocol.dose_response),
                "combination_{}_{}".format(*protocol.pair)}
    assert set(reports) == expected


def test_untreated_time_course(reports):
    protocol = _protocol()
    points = int(round(protocol.hours)) + 1
    reference = load_model(DEFAULT_MODELS_DIR).context(CONTEXT).time_course({}, hours=protocol.hours, points=points)
    names = [*READOUTS, VIABILITY]
    got = reports["untreated"]
    np.testing.assert_allclose(got["time"], reference["time_h"], atol=1e-9)
    assert _agree(got[names].to_numpy(), reference[names].to_numpy()) <= AGREEMENT


def test_single_drug_dose_responses(reports):
    protocol = _protocol()
    model = load_model(DEFAULT_MODELS_DIR)
    for drug, concentrations in protocol.dose_response.items():
        got = reports[f"dose_response_{drug}"]
        got = got[got["time"] == protocol.hours]  # the second row of every run is the assay time
        reference = sweep(model, CONTEXT, drug, concentrations, protocol.hours)
        np.testing.assert_allclose(got[model.catalog.drug(drug).concentration_parameter], reference["conc_nM"], rtol=CONCENTRATION_DIGITS)
        assert _agree(got[list(ASSAY_READOUTS)].to_numpy(), reference[list(ASSAY_READOUTS)].to_numpy()) <= AGREEMENT, drug
        assert reference[VIABILITY].min() < 90.0 or drug == "trastuzumab", f"{drug} should act in {CONTEXT}"


def test_combination_grid(reports):
    protocol = _protocol()
    model = load_model(DEFAULT_MODELS_DIR)
    (row, col), (conc_r, conc_c) = protocol.pair, protocol.pair_grids
    got = reports[f"combination_{row}_{col}"]
    got = got[got["time"] == protocol.hours]
    reference = simulate_matrix(model, CONTEXT, row, col, conc_r, conc_c, protocol.hours)
    assert len(got) == len(conc_r) * len(conc_c)
    pid_r, pid_c = (model.catalog.drug(d).concentration_parameter for d in (row, col))
    np.testing.assert_allclose(got[[pid_r, pid_c]].to_numpy(), reference[["conc_r", "conc_c"]].to_numpy(), rtol=CONCENTRATION_DIGITS)
    assert _agree(got[list(ASSAY_READOUTS)].to_numpy(), reference[list(ASSAY_READOUTS)].to_numpy()) <= AGREEMENT
