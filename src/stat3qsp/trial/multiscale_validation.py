"""Validation of a fast trial method against the full integration on the same virtual patients.

:func:`compare_methods` runs one arm of a trial spec twice through the trial runner
(:func:`stat3qsp.trial.simulate.simulate_trial`: draws, dropout, marrow dose changes, RECIST, stop at
progression), once with the fast method (``multiscale`` by default) and once with ``full`` (the reference,
:meth:`stat3qsp.trial.patient.PatientSimulator.scans`). The patients are the same (each has its own
random streams, ``(seed, replicate, patient)``), so every difference is the method's. ``patients`` are
split into replicate trials of the arm's ``n_patients`` (the last one may be smaller), which gives
the endpoints their Monte Carlo error (:mod:`stat3qsp.trial.monte_carlo`).

Two criteria (issue 18):

(a) **Per patient**: the progression (the PFS event: RECIST PD, or a clinical progression) at the same
    scan (``identical``) or at neighbouring scans (``within_one_scan``: one scan interval); neither
    progressing counts as agreement, one progressing and not the other as a disagreement. Target: at
    least 99% of patients within one scan. Also the largest ``|ln SLD_fast - ln SLD_full|`` over the
    scans both simulated.
(b) **Per endpoint** (median over the replicates of every endpoint of
    :func:`stat3qsp.trial.assessment.replicate_endpoints`): the difference of the fast method's median
    from the reference's against the reference's bootstrap Monte Carlo standard error; passed when
    ``|difference| <= mc_se`` (equal medians pass: both not reached, ``inf``, or both undefined, NaN).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import time

import numpy as np
import pandas as pd

from stat3qsp.model.catalog import DEFAULT_MODELS_DIR
from stat3qsp.trial import columns as tc
from stat3qsp.trial.assessment import assess, replicate_endpoints
from stat3qsp.trial.monte_carlo import MC_SE, MEDIAN, median_standard_errors
from stat3qsp.trial.simulate import DEFAULT_HORIZON_WEEKS, TrialSettings, simulate_trial
from stat3qsp.trial.spec_types import TrialSpec

REFERENCE = "full"
"""The reference method."""
WITHIN_ONE_SCAN_TARGET = 0.99
"""Share of patients whose progression is within one scan of the reference's (issue 18)."""

# Columns of the per-patient table.
PROGRESSION_SCAN = "progression_scan"
"""Prefix of the scan number (1 = first post-baseline scan) of the PFS event; NaN without one."""
LOG_RATIO_DIFFERENCE = "max_abs_log_sld_difference"
"""Largest ``|ln SLD_fast - ln SLD_full|`` over the scans both methods simulated."""
IDENTICAL = "identical"
"""Progression at the same scan by both methods, or by neither."""
WITHIN_ONE_SCAN = "within_one_scan"
"""Progression at the same or at a neighbouring scan, or by neither."""
# Columns of the endpoint table (with tc.ARM, tc.ENDPOINT).
DIFFERENCE = "difference"
"""Fast median minus reference median (0 when both are ``inf``)."""
WITHIN_MC_ERROR = "within_mc_error"
"""Equal medians, or ``|difference| <= mc_se`` of the reference."""


@dataclass
class MethodComparison:
    """What :func:`compare_methods` found: per patient, per endpoint, and the two verdicts."""

    patients: pd.DataFrame
    endpoints: pd.DataFrame
    share_identical: float
    share_within_one_scan: float
    wall_s: dict[str, float]
    """Wall time of each method's run (s)."""

    @property
    def passed(self) -> bool:
        """Both criteria of the module docstring met."""
        return self.share_within_one_scan >= WITHIN_ONE_SCAN_TARGET and bool(self.endpoints[WITHIN_MC_ERROR].all())


def compare_methods(spec: TrialSpec, arm_name: str, patients: int, method: str = "multiscale", seed: int = 1,
                    horizon_weeks: float | None = None, workers: int = 1,
                    models_dir: Path | str = DEFAULT_MODELS_DIR) -> MethodComparison:
    """*method* against the reference on the same *patients* of one arm (module docstring)."""
    arm = spec.arm(arm_name)
    size = min(patients, arm.n_patients)
    replicates = -(-patients // size)
    if horizon_weeks is None:
        horizon_weeks = spec.follow_up.weeks if spec.follow_up is not None else DEFAULT_HORIZON_WEEKS
    tables, wall = {}, {}
    for name in (method, REFERENCE):
        begin = time.perf_counter()
        settings = TrialSettings(replicates=replicates, seed=seed, patients=size, horizon_weeks=float(horizon_weeks),
                                 arms=(arm_name,), method=name)
        records = [r for r in simulate_trial(spec, settings, workers, models_dir, progress=False)
                   if r.replicate * size + r.patient < patients]
        table, _ = assess(records, spec)
        tables[name] = (records, table)
        wall[name] = time.perf_counter() - begin
    per_patient, identical, within = _patient_table(tables[method], tables[REFERENCE])
    return MethodComparison(per_patient, _endpoint_table(tables[method][1], tables[REFERENCE][1], spec), identical,
                            within, wall)


def _patient_table(fast, full) -> tuple[pd.DataFrame, float, float]:
    (fast_records, fast_table), (full_records, full_table) = fast, full
    scans = []
    for table in (fast_table, full_table):
        event = table[tc.EVENT].fillna(False).to_numpy(bool)
        scans.append(np.where(event, table[tc.N_SCANS].astype(float).to_numpy(), np.nan))
    both_none = np.isnan(scans[0]) & np.isnan(scans[1])
    gap = np.abs(scans[0] - scans[1])
    identical = both_none | (gap == 0)
    within = both_none | (gap <= 1)
    largest = [_largest_difference(a.sld_mm, b.sld_mm) for a, b in zip(fast_records, full_records)]
    out = pd.DataFrame({tc.REPLICATE: full_table[tc.REPLICATE], tc.PATIENT: full_table[tc.PATIENT],
                        f"{PROGRESSION_SCAN}_fast": scans[0], f"{PROGRESSION_SCAN}_{REFERENCE}": scans[1],
                        LOG_RATIO_DIFFERENCE: largest, IDENTICAL: identical, WITHIN_ONE_SCAN: within})
    return out, float(identical.mean()), float(within.mean())


def _largest_difference(a: np.ndarray, b: np.ndarray) -> float:
    both = ~np.isnan(a) & ~np.isnan(b)
    return float(np.max(np.abs(np.log(a[both] / b[both])))) if both.any() else 0.0


def _endpoint_table(fast: pd.DataFrame, full: pd.DataFrame, spec: TrialSpec) -> pd.DataFrame:
    medians = [median_standard_errors(replicate_endpoints(table, spec)) for table in (fast, full)]
    merged = medians[1].merge(medians[0][[tc.ARM, tc.ENDPOINT, MEDIAN]], on=[tc.ARM, tc.ENDPOINT],
                              suffixes=(f"_{REFERENCE}", "_fast"))
    a, b = merged[f"{MEDIAN}_fast"].to_numpy(float), merged[f"{MEDIAN}_{REFERENCE}"].to_numpy(float)
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    with np.errstate(invalid="ignore"):
        merged[DIFFERENCE] = np.where(same, 0.0, a - b)
    merged[WITHIN_MC_ERROR] = same | (np.abs(merged[DIFFERENCE]) <= merged[MC_SE])
    return merged
