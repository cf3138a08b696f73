"""RECIST assessment of simulated patients into the patients and SLD tables, and endpoints from them."""
from __future__ import annotations

import numpy as np
import pandas as pd
from stat3qsp.trial import recist
from stat3qsp.trial import columns as tc
from stat3qsp.errors import InputError
from stat3qsp.trial.spec_types import TrialSpec
from stat3qsp.trial.toxicity_endpoints import toxicity_endpoints
from stat3qsp.trial.reading import assessed_sld
from stat3qsp.trial.simulate import (BASELINE_SLD, BODY_WEIGHT, DOUBLING_DAYS, DRAWS, MEASURABLE, SLD_COLUMNS,
                                     PatientRecord, TrialSettings, selected_arms)


def assess(records: list[PatientRecord], spec: TrialSpec) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Patients table (RECIST outcomes, :data:`stat3qsp.trial_columns.PATIENT_COLUMNS` and extra
    columns) and scan-level SLD table of simulated patients.

    Failed patients have missing RECIST outcomes (NaN, or NA in the boolean and count columns) and
    no rows in the SLD table (module docstring)."""
    if not records:
        raise InputError("no patients to assess; accepted: at least one arm with at least one patient")
    baseline = np.array([r.baseline_sld_mm for r in records])
    measurable = np.array([r.conduct.measurable for r in records])
    failed = np.array([r.status == tc.FAILED for r in records])
    outcome = _outcomes([r for r, f in zip(records, failed) if not f], spec)
    if failed.any():
        outcome.index = np.flatnonzero(~failed)
        outcome = outcome.reindex(range(len(records))).astype(
            {c: ("boolean" if c != tc.N_SCANS else "Int64") for c in _NULLABLE_OUTCOMES})
    outcome.loc[~measurable, tc.BEST_PCT_CHANGE] = np.nan
    ids = pd.DataFrame({tc.REPLICATE: [r.replicate for r in records], tc.ARM: [r.arm for r in records],
                        tc.PATIENT: [r.patient for r in records]})
    status = pd.DataFrame({tc.STATUS: [r.status for r in records],
                           tc.FAILURE_REASON: [r.failure_reason for r in records]})
    extra = pd.DataFrame({
        MEASURABLE: measurable, BASELINE_SLD: baseline, BODY_WEIGHT: [r.body_weight_kg for r in records],
        DOUBLING_DAYS: [r.doubling_days for r in records], DRAWS: [r.draws for r in records],
    })
    values = pd.DataFrame([r.values for r in records]).drop(columns=["tumour_SLD_baseline"], errors="ignore")
    toxicity = pd.DataFrame([r.toxicity for r in records], index=range(len(records)))
    patients = pd.concat([ids, outcome[list(tc.OUTCOME_COLUMNS)], status, extra, values, toxicity], axis=1)

    rows = []
    for r, b, m in zip(records, baseline, measurable):
        if r.status == tc.FAILED:
            continue
        rows.append((r.replicate, r.arm, r.patient, 0.0, b, 0.0, m))
        done = ~np.isnan(r.sld_mm)
        for week, value in zip(r.conduct.scan_weeks[done], r.sld_mm[done]):
            rows.append((r.replicate, r.arm, r.patient, week, value, (value - b) / b * 100.0, m))
    return patients, pd.DataFrame(rows, columns=list(SLD_COLUMNS))


_NULLABLE_OUTCOMES = (tc.EVENT, tc.CLINICAL_BENEFIT, tc.DISCONTINUED_EARLY, tc.N_SCANS, tc.CLINICAL_PROGRESSION)
"""Boolean and count outcomes, nullable in a patients table with failed patients."""


def _outcomes(records: list[PatientRecord], spec: TrialSpec) -> pd.DataFrame:
    """RECIST outcomes (:data:`stat3qsp.trial_columns.OUTCOME_COLUMNS`) of simulated patients."""
    if not records:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in tc.OUTCOME_COLUMNS})
    return conduct_outcomes(spec, np.array([r.baseline_sld_mm for r in records]),
                            np.array([r.conduct.measurable for r in records]),
                            np.vstack([r.conduct.scan_weeks for r in records]), np.vstack([r.sld_mm for r in records]),
                            np.array([r.conduct.discontinuation_weeks for r in records]),
                            np.array([r.clinical_progression for r in records]))


def conduct_outcomes(spec: TrialSpec, baseline_mm: np.ndarray, measurable: np.ndarray, scan_weeks: np.ndarray,
                     sld_mm: np.ndarray, discontinuation_weeks: np.ndarray,
                     clinical_progression: np.ndarray) -> pd.DataFrame:
    """RECIST outcomes of patients under the spec's conduct, as the trial runner reads them: the SLD at
    each patient's own scan times (``scan_weeks``, ``(n, m)``; NaN where not simulated) read as RECIST
    sees it (:func:`~stat3qsp.trial.reading.assessed_sld`), scans counted up to discontinuation (NaN:
    none), an early leaver flagged in ``clinical_progression`` having a PFS event when leaving under the
    spec's ``analysis`` (else censored), the spec's RECIST rules. The tumour calibration reads its
    courses through this same function (:mod:`stat3qsp.calibration.targets`)."""
    discontinuation = np.asarray(discontinuation_weeks, dtype=float)
    clinical = np.where(np.asarray(clinical_progression, dtype=bool), discontinuation, np.nan)
    if not spec.analysis.clinical_progression_is_event:
        clinical[:] = np.nan
    return recist.assess_patients(baseline_mm, scan_weeks, assessed_sld(sld_mm, baseline_mm, measurable),
                                  discontinuation_weeks=discontinuation, clinical_progression_weeks=clinical,
                                  rules=spec.recist)


def summarise(patients: pd.DataFrame, spec: TrialSpec, settings: TrialSettings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Endpoints of every replicate and arm, and the comparison table (observed versus predicted),
    from the patients table of :func:`assess` (of all replicates, or of shards concatenated)."""
    from stat3qsp.trial import endpoints as ep  # here, not at the top: the batch workers need no lifelines

    per_replicate = replicate_endpoints(patients, spec)
    summary = ep.prediction_summary(per_replicate)
    observed = ep.observed_table(spec, arms={arm.name for arm in selected_arms(spec, settings)})
    comparison = ep.comparison_table(summary, observed, per_replicate)
    return per_replicate, comparison


def replicate_endpoints(patients: pd.DataFrame, spec: TrialSpec) -> pd.DataFrame:
    """Endpoints of every replicate and arm: efficacy (:func:`stat3qsp.trial.endpoints.trial_endpoints` over
    the spec's analysis populations), for arms with a marrow course toxicity
    (:func:`stat3qsp.trial.toxicity_endpoints.toxicity_endpoints`) and, for a spec whose design has a PFS
    hazard ratio, that ratio (:func:`stat3qsp.trial.hazard_ratio.hazard_ratio_endpoints`, rows of the
    experimental arm)."""
    from stat3qsp.trial import endpoints as ep  # here, not at the top: the batch workers need no lifelines
    from stat3qsp.trial.hazard_ratio import hazard_ratio_endpoints

    per_replicate = ep.trial_endpoints(patients, populations=spec.analysis.populations)
    extra = [table for table in (toxicity_endpoints(patients), hazard_ratio_endpoints(patients, spec)) if len(table)]
    if not extra:
        return per_replicate
    both = pd.concat([per_replicate, *extra], ignore_index=True)
    keys = list(zip(both[tc.REPLICATE], both[tc.ARM]))
    order = {key: i for i, key in reversed(list(enumerate(keys)))}  # each trial's rows together, in first-seen order
    rank = np.array([order[key] for key in keys])
    return both.iloc[np.argsort(rank, kind="stable")].reset_index(drop=True)
