"""The command line and the batch engine in processes of their own (moved from tests/unit: their cost is
starting interpreters, not what they check): a trial on one or two spawned workers writes the same tables,
the sensitivity evaluation gives the same outputs on one or two workers, and a bad input run as a
subprocess exits 2 without a traceback (with ``--debug``: 1 and the traceback)."""
from __future__ import annotations

import subprocess
import sys

import pandas as pd

from stat3qsp.cli import main
from stat3qsp.sensitivity import columns as sc
from stat3qsp.sensitivity import design as sa
from stat3qsp.sensitivity.outputs import SynergySetup
from stat3qsp.trial import columns as tc
from stat3qsp.trial.regimen import read_regimen_map

from tiny import ROOT

SPEC = str(ROOT / "trials" / "NCT02066532.yaml")
#: Two arms of two patients, two replicate trials: items enough for both workers.
TRIAL = ["--patients", "2", "--replicates", "2", "--seed", "3", "--horizon-weeks", "30",
         "--arms", "ruxolitinib_trastuzumab,full_jak_inhibition"]
TRAS = (0.0, 0.1, 1.0, 10.0)
RUX = (0.0, 100.0, 1000.0, 10000.0)


def test_same_seed_same_tables_for_one_and_two_workers(tmp_path):
    outputs = []
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        assert main(["trial", SPEC, *TRIAL, "--workers", str(workers), "-o", str(out)]) == 0
        outputs.append(out)
    for name in ("patients.tsv", "sld.tsv", "endpoints.tsv", "replicate_endpoints.tsv"):
        assert (outputs[0] / name).read_bytes() == (outputs[1] / name).read_bytes(), name
    patients = pd.read_csv(outputs[0] / "patients.tsv", sep="\t")
    assert len(patients) == 2 * 2 * 2
    assert list(patients.columns[:len(tc.PATIENT_COLUMNS)]) == list(tc.PATIENT_COLUMNS)
    endpoints = pd.read_csv(outputs[0] / "endpoints.tsv", sep="\t")
    assert set(endpoints[tc.ENDPOINT]) == set(tc.ENDPOINT_NAMES)  # NCT02066532 analyses both populations
    assert (outputs[0] / "figures" / "km_band.png").stat().st_size > 0


def test_evaluation_is_the_same_for_any_number_of_workers(model):
    setup = SynergySetup(("her2_amplified",), "trastuzumab", "ruxolitinib", TRAS, RUX, 72.0)
    held = sa.held_parameters(model.catalog, read_regimen_map(), setup.contexts, setup.drugs)
    factors = sa.factors_from_table(sa.factors_table(model.parameters, setup.settable(), held))
    design = sa.morris_design(factors, 2, sa.stream(9, sa.MORRIS_STREAM)).iloc[:6]
    one = sa.evaluate(setup, design, workers=1)
    two = sa.evaluate(setup, design, workers=2)
    pd.testing.assert_frame_equal(one, two)
    assert one[sc.VALUE].notna().all() and one[sc.VALUE].nunique() > 2


def test_subprocess_bad_input_has_no_traceback_and_debug_shows_it(tmp_path):
    command = [sys.executable, "-m", "stat3qsp.cli.app", "synergy", str(tmp_path / "none.csv"),
               "-o", str(tmp_path / "o.tsv")]
    plain = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert plain.returncode == 2 and "Traceback" not in plain.stderr and "none.csv" in plain.stderr
    debug = subprocess.run(command[:3] + ["--debug"] + command[3:], capture_output=True, text=True, timeout=120)
    assert debug.returncode == 1 and "Traceback" in debug.stderr
