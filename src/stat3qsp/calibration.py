"""Calibration of the tumour growth scale on the historical control of a trial spec.

The only parameter of the patient model fitted to clinical data is the population median of
``tumour_rate_scale`` (the in-vitro -> clinical scale of the growth rate, ``models/tumour/sld.ant``).
It is chosen so that the simulated historical-control arm of the spec (NCT02066532: trastuzumab
alone in the trastuzumab-resistant population) has the median PFS the trial was designed against
(8 weeks; Blackwell 2010 via Kearney 2021). The observed results of the combination arm are never
used.

Which PFS: the 8 weeks is the median of an exponential PFS distribution in the trial's design,
taken from another trial with its own assessment schedule. It is therefore matched by the
*continuous-assessment* PFS of the simulated patients, the first time ``t`` at which the SLD meets
RECIST 1.1 progression against its running nadir (``SLD(t) >= (1 + pd%/100) * nadir(t)`` and
``SLD(t) - nadir(t) >= pd_min_mm``), found on a weekly grid with linear interpolation of SLD
between the last week without and the first week with progression. A median of scan-dated PFS
would move in steps of the scan interval (9 weeks) and cannot be 8 weeks with the first scan at 7-9
weeks unless nearly every patient progresses at it. No early discontinuation, no scan window: the
latent progression time of every patient is used (median over ``n_patients``; patients without
progression within the horizon count as longer than the median).

Root finding: Brent's method (``scipy.optimize.brentq``) on ``log(scale)`` of
``median(latent PFS; scale) - target``, with the same patients (fixed seed: same random streams)
at every evaluation. The median is continuous in the scale except where a candidate's acceptance
(its untreated doubling time, which depends on the scale) changes, which moves the median by far
less than ``xtol``-worth of weeks with a few hundred patients.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import brentq

from stat3qsp.catalog import DEFAULT_MODELS_DIR
from stat3qsp.errors import InputError
from stat3qsp.patient import HOURS_PER_WEEK, RATE_SCALE, PatientSimulator, dosing_values
from stat3qsp.population import BIOLOGY_STREAM, patient_generator
from stat3qsp.recist import RecistRules
from stat3qsp.trialspec import TrialSpec

CALIBRATION_ARM = "historical_control"
"""Arm of the trial spec that the growth scale is calibrated on."""
CALIBRATION_SEED = 20100301
"""Seed of the calibration patients (fixed; independent of trial seeds)."""
GRID_WEEKS = 1.0
"""Spacing of the continuous-assessment grid (weeks)."""


@dataclass(frozen=True)
class CalibrationResult:
    """Fitted population median of ``tumour_rate_scale`` and what it achieves."""

    value: float
    target_weeks: float
    median_weeks: float
    n_patients: int
    evaluations: int
    seed: int


def latent_progression_weeks(weeks: np.ndarray, sld_mm: np.ndarray, baseline_mm: float,
                             rules: RecistRules = RecistRules()) -> float:
    """First time (weeks) at which an SLD course meets RECIST progression (module docstring).

    Parameters
    ----------
    weeks
        Increasing grid times > 0 (baseline at 0 is implicit).
    sld_mm
        SLD at the grid times; NaN after the simulation stopped.
    baseline_mm
        SLD at time 0.

    Returns
    -------
    float
        Interpolated time of progression, ``inf`` if it does not happen on the grid.
    """
    times = np.concatenate([[0.0], np.asarray(weeks, dtype=float)])
    sld = np.concatenate([[baseline_mm], np.asarray(sld_mm, dtype=float)])
    nadir = np.minimum.accumulate(np.where(np.isnan(sld), np.inf, sld))
    for k in range(1, times.size):
        if np.isnan(sld[k]):
            break
        threshold = max(nadir[k - 1] * (1.0 + rules.pd_threshold_percent / 100.0), nadir[k - 1] + rules.pd_min_absolute_mm)
        if sld[k] >= threshold:
            rise = sld[k] - sld[k - 1]
            fraction = 1.0 if rise <= 0 else float(np.clip((threshold - sld[k - 1]) / rise, 0.0, 1.0))
            return float(times[k - 1] + fraction * (times[k] - times[k - 1]))
    return math.inf


def median_latent_pfs(simulator: PatientSimulator, spec: TrialSpec, scale: float, n_patients: int, seed: int,
                      horizon_weeks: float, arm_name: str = CALIBRATION_ARM) -> float:
    """Median continuous-assessment PFS (weeks) of *n_patients* of an arm with growth-scale median *scale*."""
    arm = spec.arm(arm_name)
    simulator.set_overrides({RATE_SCALE: scale})
    grid = np.arange(GRID_WEEKS, horizon_weeks + 1e-9, GRID_WEEKS)
    rules = spec.recist
    times = []
    for i in range(n_patients):
        patient = simulator.draw_patient(arm.context, patient_generator(seed, 0, i, BIOLOGY_STREAM),
                                         spec.population.body_weight)
        dosing = dosing_values(arm, simulator.regimens, patient.body_weight_kg)

        def progressed(baseline: float, sld: np.ndarray) -> bool:
            return math.isfinite(latent_progression_weeks(grid[: sld.size], sld, baseline, rules))

        sld = simulator.scans(patient, dosing, grid * HOURS_PER_WEEK, stop=progressed)
        times.append(latent_progression_weeks(grid, sld, patient.baseline_sld_mm, rules))
    return float(np.median(times))


def calibrate_growth_scale(spec: TrialSpec, n_patients: int = 400, seed: int = CALIBRATION_SEED,
                           horizon_weeks: float = 104.0, bracket: tuple[float, float] = (3e-4, 0.05),
                           xtol: float = 1e-3, models_dir: Path | str = DEFAULT_MODELS_DIR,
                           arm_name: str = CALIBRATION_ARM) -> CalibrationResult:
    """Fit the population median of ``tumour_rate_scale`` to the historical control's median PFS.

    Parameters
    ----------
    spec
        The trial spec; its ``design.historical_control.median_pfs_weeks`` is the target and its
        arm *arm_name* the simulated historical control.
    n_patients, seed
        Calibration patients (replicate 0 of *seed*).
    horizon_weeks
        Follow-up of each calibration patient.
    bracket
        Scales between which the median PFS crosses the target.
    xtol
        Absolute tolerance on ``log(scale)`` (1e-3: 0.1% of the scale).

    Raises
    ------
    InputError
        If the target is not between the medians at the two ends of *bracket*.
    """
    target = spec.design.historical_control_median_pfs_weeks
    simulator = PatientSimulator(models_dir)
    evaluations = 0

    def excess(log_scale: float) -> float:
        nonlocal evaluations
        evaluations += 1
        return median_latent_pfs(simulator, spec, math.exp(log_scale), n_patients, seed, horizon_weeks, arm_name) - target

    low, high = (math.log(b) for b in bracket)
    at_low, at_high = excess(low), excess(high)
    if at_low * at_high > 0:
        raise InputError(f"historical control median PFS {target} weeks is not reached between tumour_rate_scale "
                         f"{bracket[0]} ({at_low + target:.2f} weeks) and {bracket[1]} ({at_high + target:.2f} weeks); "
                         "accepted: a bracket around the target")
    log_scale = brentq(excess, low, high, xtol=xtol)
    value = math.exp(log_scale)
    achieved = median_latent_pfs(simulator, spec, value, n_patients, seed, horizon_weeks, arm_name)
    return CalibrationResult(value, target, achieved, n_patients, evaluations + 1, seed)


if __name__ == "__main__":  # pragma: no cover - a command for maintainers, run once per model change
    import sys

    from stat3qsp.trialspec import load_trial_spec

    result = calibrate_growth_scale(load_trial_spec(sys.argv[1] if len(sys.argv) > 1 else "trials/NCT02066532.yaml"))
    print(result)
