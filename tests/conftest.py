"""Shared fixtures (the project's cell model and patient model, each compiled once per test session, and the
NCT02066532 trial spec) and the test order for parallel runs: the workflow layer (long Snakemake runs, one
file per xdist worker with ``--dist loadfile``) is collected first, so that the unit tests fill the other
worker meanwhile."""
from __future__ import annotations

from pathlib import Path

import pytest

from stat3qsp.model import Model, load_model
from stat3qsp.trial.patient import PatientSimulator
from stat3qsp.trial.spec import load_trial_spec
from stat3qsp.trial.spec_types import TrialSpec

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = Path(__file__).resolve().parent / "workflow"


def pytest_collection_modifyitems(config, items):
    items.sort(key=lambda item: WORKFLOW not in Path(str(item.fspath)).resolve().parents)


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
