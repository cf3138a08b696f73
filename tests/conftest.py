"""Shared fixtures (the project's cell model and patient model, each compiled once per test session, and the
NCT02066532 trial spec) and the test order for parallel runs: the workflow layer (long Snakemake runs, one
file per xdist worker with ``--dist loadfile``) is collected first, its longest files first, so that the unit
tests fill the other worker meanwhile. xdist hands out files in collection order only with
``--no-loadscope-reorder`` (``make test`` passes it); by default pytest-xdist 3.8 sorts them by their number of
tests, which can start the longest file late and leave one worker with most of the work."""
from __future__ import annotations

from pathlib import Path

import pytest

from stat3qsp.model import Model, load_model
from stat3qsp.trial.patient import PatientSimulator
from stat3qsp.trial.spec import load_trial_spec
from stat3qsp.trial.spec_types import TrialSpec

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = Path(__file__).resolve().parent / "workflow"
#: Workflow test files by CPU time, longest first (CPU of the test process and its waited children per test,
#: tests/workflow on one process, 2026-12-07, loaded machine): the trial workflow (two Snakemake runs and two
#: `stat3qsp trial` runs) about 160 CPU-s, the cluster run 34, the extension 28, the rerun triggers 19, the
#: worker-pool and subprocess checks 14, the hypothesis pipeline 9, the batch engine's workers 8, the rest under 7.
LONGEST_FIRST = ("test_trial_workflow.py", "test_cluster.py", "test_extension_workflow.py", "test_rerun_triggers.py",
                 "test_processes.py", "test_hypothesis_pipeline.py", "test_batch_workers.py", "test_workflow.py",
                 "test_install.py")
#: The unit test files of 5 CPU-s or more, longest first (the same measurement, tests/unit): 12-17 CPU-s for the
#: envelope, 10-12 for the calibrated values and the lab plates, 5-7 for the rest; the others follow alphabetically.
UNIT_LONGEST_FIRST = ("test_envelope.py", "test_calibrated.py", "test_synergy_plates.py", "test_tumour.py",
                      "test_standalone.py", "test_plate_model.py", "test_hypotheses.py", "test_marrow.py")


def _order(item) -> tuple[bool, int]:
    path = Path(str(item.fspath)).resolve()
    workflow = WORKFLOW in path.parents
    first = LONGEST_FIRST if workflow else UNIT_LONGEST_FIRST
    return not workflow, first.index(path.name) if path.name in first else len(first)


def pytest_collection_modifyitems(config, items):
    items.sort(key=_order)


@pytest.fixture(scope="session")
def model() -> Model:
    return load_model()


@pytest.fixture(scope="session")
def nct_spec() -> TrialSpec:
    """trials/NCT02066532.yaml."""
    return load_trial_spec(ROOT / "trials" / "NCT02066532.yaml")


@pytest.fixture(scope="session")
def patient_simulator() -> PatientSimulator:
    """A patient simulator at its default settings; tests that change it use monkeypatch or their own."""
    return PatientSimulator()
