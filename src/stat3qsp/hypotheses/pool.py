"""Pools of virtual patients of a hypothesis: one replicate of a trial's arms, simulated by the trial runner's
own patient function (:func:`stat3qsp.trial.simulate.simulate_patient`) in the batch engine, with each
patient's untreated pSTAT3 share returned by the worker that simulated it.

The untreated pSTAT3 share is read off the pre-equilibration that accepted the patient, when
:meth:`~stat3qsp.trial.patient.PatientSimulator.draw_patient` returns (candidates are pre-equilibrated in turn
and the first plausible one is the patient), so no patient is equilibrated a second time and no second
simulator is built in the main process.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from stat3qsp.compute.batch import Batch
from stat3qsp.hypotheses import columns as hc
from stat3qsp.trial import columns as tc
from stat3qsp.trial.assessment import assess
from stat3qsp.trial.patient import PatientSimulator
from stat3qsp.trial.runner import trial_settings
from stat3qsp.trial.simulate import PatientRecord, TrialWorkerSetup, is_failed, simulate_patient, trial_batch
from stat3qsp.trial.spec_types import TrialSpec

PSTAT3 = "pSTAT3_fraction"
"""Readout of the model read after the accepting pre-equilibration."""


def _record_pstat3(simulator: PatientSimulator) -> None:
    """Make *simulator* keep, in ``last_pstat3``, the pSTAT3 share at the end of its last patient draw (the
    accepting pre-equilibration; later pre-equilibrations of the same patient's simulation, e.g. the dropout's
    reference candidates of :mod:`stat3qsp.trial.dropout`, do not change it)."""
    draw = simulator.draw_patient

    def draw_patient(*args, **kwargs):
        patient = draw(*args, **kwargs)
        simulator.last_pstat3 = float(simulator.model.runner[PSTAT3])
        return patient
    simulator.draw_patient = draw_patient
    simulator.last_pstat3 = np.nan


@dataclass(frozen=True)
class PoolWorkerSetup(TrialWorkerSetup):
    """The trial runner's worker setup, with a simulator that keeps each patient's untreated pSTAT3 share."""

    def build(self) -> tuple[PatientSimulator, TrialSpec, object]:
        simulator, spec, settings = super().build()[:3]  # its draws are recorded, not remembered
        _record_pstat3(simulator)
        return simulator, spec, settings


def _pool_item(worker, item: tuple[str, int, int]) -> tuple[PatientRecord, float]:
    """Batch function: patient ``item = (arm, replicate, patient)`` and its untreated pSTAT3 share
    (NaN for a failed patient)."""
    simulator, spec, settings = worker
    arm_name, replicate, patient = item
    simulator.last_pstat3 = np.nan
    record = simulate_patient(simulator, spec, spec.arm(arm_name), replicate, patient, settings.seed,
                              settings.horizon_weeks, settings.follow_after_progression)
    return record, (np.nan if record.status == tc.FAILED else simulator.last_pstat3)


def simulate_pool(folder: Path, spec: TrialSpec, arms: tuple[str, ...], patients: int, seed: int, workers: int,
                  overrides: dict[str, float]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Patients and SLD tables (:func:`stat3qsp.trial.assessment.assess`) of one replicate of *arms* with
    *patients* patients each (seed *seed*, the same patients in every arm), in the models folder *folder*
    with *overrides* (e.g. the refitted tumour scales and the covariates taken from the spec), with the
    untreated pSTAT3 share of each patient (:data:`stat3qsp.hypotheses.columns.BASELINE_PSTAT3`)."""
    trial = trial_settings(spec, 1, seed, patients, arms=arms)
    _, items, total = trial_batch(spec, trial, workers, folder, overrides, progress=False)  # checks the arms
    setup = PoolWorkerSetup(str(Path(folder).resolve()), spec, trial, tuple(sorted(overrides.items())))
    batch = Batch(setup, _pool_item, workers, progress=False, description=f"{spec.id} hypothesis pool",
                  unit="patients", failed=lambda result: is_failed(result[0]))
    results = batch.map(items, total)
    table, sld = assess([record for record, _ in results], spec)
    table[hc.BASELINE_PSTAT3] = [value for _, value in results]
    return table, sld
