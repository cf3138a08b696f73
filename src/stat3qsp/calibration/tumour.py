"""Calibration of the tumour module's two clinical scales on two external summary statistics.

The patient model has two parameters fitted to clinical data, the population medians of the
scales of ``models/tumour/sld.ant``::

    d ln SLD/dt = s g0 + k (g(t) - g0) exp(-lambda t)

- ``tumour_rate_scale`` ``s`` (growth, Claret's KL): the simulated **historical control** of the
  spec (arm :data:`CALIBRATION_ARM`, NCT02066532: trastuzumab alone in the trastuzumab-resistant
  population) has the median PFS the trial was designed against (8 weeks; Blackwell 2010 via
  Kearney 2021, ``design.historical_control``);
- ``tumour_kill_scale`` ``k`` (drug effect, Claret's KD): the simulated **first-line trastuzumab
  monotherapy** arm (arm :data:`KILL_CALIBRATION_ARM`, trastuzumab-sensitive HER2-amplified disease)
  has the objective response rate observed by Vogel et al. 2002 (its ``orr`` endpoint, role
  ``calibration``).

The observed results of NCT02066532's combination arm are never used: they are validation data.

**Which PFS and which ORR.** Both targets come from other trials, with their own assessment
schedules and conduct, so they are matched by *continuous-assessment* ("latent") endpoints of the
simulated patients on a weekly grid (:data:`GRID_WEEKS`), without early discontinuation, scan
windows or non-measurable disease:

- latent PFS (:func:`latent_progression_weeks`): the first time at which the SLD meets RECIST 1.1
  progression against its running nadir, ``SLD(t) >= (1 + pd%/100) nadir(t)`` and
  ``SLD(t) - nadir(t) >= pd_min_mm``, with linear interpolation of SLD between the last week
  without and the first week with progression. (The 8 weeks are the median of an exponential PFS
  distribution of the design; a median of scan-dated PFS would move in steps of the 9-week scan
  interval.) Patients without progression within the horizon count as longer than the median;
- latent response (:func:`latent_best_ratio`): a patient responds (CR or PR) when its SLD falls to
  ``(1 + pr%/100)`` of baseline (70%) or below at a grid time before its latent progression; the
  latent ORR is the share of responders. (CR needs SLD < 5 mm, i.e. below half of any measurable
  baseline, so it is included.) In the first-line arm responses last for months, so scans every
  8 or 9 weeks, or a 4-week confirmation, find nearly the same responders (at most one patient in
  100 fewer, checked at kill scales 0.0125-0.02 when the kill scale was introduced). Early
  discontinuation, which the trial runner draws from the spec (NCT02066532: 42% before the first
  scan), lowers the scan-dated ORR of the same arm far more.

**Linearity in the scales.** The tumour does not act on the signalling, so ``g(t)`` of a patient
does not depend on ``s`` or ``k`` and ``ln(SLD(t)/SLD(0)) = s_i g0_i t + k E_i(t)`` with the drug
effect ``E_i(t) = integral_0^t (g - g0) exp(-lambda_i u) du``. Each patient is simulated once with
``s_i = 0`` and ``k = PROBE_KILL_SCALE`` (:class:`TumourCourses`); its SLD at any ``k`` follows in
closed form. The patients themselves depend on ``s`` (their ``s_i`` is drawn around it and the
untreated doubling time, ``ln 2 / (3 s_i g0_i)``, decides acceptance), so they are drawn again at
every ``s``; ``E_i`` does not depend on ``s`` and is kept per candidate (patient index and draw)
across evaluations.

**Joint solve.** The targets interact: the historical control's trastuzumab has a small effect in
resistant disease (``k`` moves its PFS) and ``s`` sets how fast the first-line tumours regrow (it
moves the ORR). For each ``s`` the kill scale ``k(s)`` that gives the target ORR is found (Brent on
``log k`` of the ``ORR``-quantile of the patients' best SLD ratio minus the PR threshold: a
continuous, non-increasing function of ``k`` whose root puts the target share of patients at or
below the threshold); then Brent on ``log s`` solves ``median latent PFS(s, k(s)) = target``. Same
patients (fixed seed, common random numbers) at every evaluation; the result is deterministic.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from scipy.optimize import brentq

from stat3qsp.model.catalog import DEFAULT_MODELS_DIR
from stat3qsp.errors import InputError
from stat3qsp.trial.patient import PatientSimulator
from stat3qsp.trial.regimen import dosing_values
from stat3qsp.trial.names import HOURS_PER_WEEK, KILL_SCALE, RATE_SCALE
from stat3qsp.trial.population import BIOLOGY_STREAM, patient_generator
from stat3qsp.trial.recist import RecistRules
from stat3qsp.trial.columns import ORR
from stat3qsp.trial.spec_types import TrialSpec

CALIBRATION_ARM = "historical_control"
"""Arm of the trial spec whose median PFS calibrates the growth scale."""
KILL_CALIBRATION_ARM = "trastuzumab_first_line"
"""Arm of the trial spec whose ORR (role calibration) calibrates the kill scale."""
CALIBRATION_SEED = 20100301
"""Seed of the calibration patients (fixed; independent of trial seeds)."""
GRID_WEEKS = 1.0
"""Spacing of the continuous-assessment grid (weeks)."""
PROBE_KILL_SCALE = 0.01
"""Kill scale of the calibration simulations (the drug effect at any other scale follows by linearity;
small enough that SLD stays far from floating-point underflow)."""
CALIBRATION_NOTE = ("calibration targets are matched by continuous-assessment endpoints without this spec's trial "
                    "conduct (stat3qsp.calibration.tumour): historical_control median_pfs_weeks and trastuzumab_first_line "
                    "orr as predicted here (scan-dated, with early discontinuation) are not what was fitted")
"""Header note of every endpoints table of a spec with calibration arms."""


@dataclass(frozen=True)
class CalibrationResult:
    """Fitted population medians of the growth and kill scales and what they achieve."""

    rate_scale: float
    kill_scale: float
    target_pfs_weeks: float
    median_pfs_weeks: float
    target_orr: float
    orr: float
    n_patients: int
    evaluations: int
    seed: int


@dataclass(frozen=True)
class TumourCourses:
    """Latent SLD courses of patients on a weekly grid, as functions of the kill scale.

    Attributes
    ----------
    weeks
        Grid times (weeks), shape ``(m,)``.
    baseline_mm
        Baseline SLD per patient, shape ``(n,)``.
    growth_per_week
        ``s_i g0_i`` (per week): the untreated log-SLD growth rate per patient.
    effect
        ``E_i(t)`` on the grid (dimensionless; per unit kill scale), shape ``(n, m)``.
    """

    weeks: np.ndarray
    baseline_mm: np.ndarray
    growth_per_week: np.ndarray
    effect: np.ndarray

    def sld(self, kill_scale: float) -> np.ndarray:
        """SLD (mm) at the grid times, ``baseline exp(s_i g0_i t + k E_i(t))``, shape ``(n, m)``."""
        log_ratio = self.growth_per_week[:, None] * self.weeks[None, :] + kill_scale * self.effect
        return self.baseline_mm[:, None] * np.exp(log_ratio)


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


def latent_best_ratio(weeks: np.ndarray, sld_mm: np.ndarray, baseline_mm: float,
                      rules: RecistRules = RecistRules()) -> float:
    """Smallest ``SLD / baseline`` at baseline and the grid times before latent progression.

    A patient is a latent responder when this is at most ``1 + pr_threshold_percent / 100``.
    """
    weeks = np.asarray(weeks, dtype=float)
    sld = np.asarray(sld_mm, dtype=float)
    before = weeks < latent_progression_weeks(weeks, sld, baseline_mm, rules)
    return float(min(1.0, np.nanmin(sld[before], initial=np.inf) / baseline_mm))


def _best_ratios(courses: TumourCourses, kill_scale: float, rules: RecistRules) -> np.ndarray:
    sld = courses.sld(kill_scale)
    return np.array([latent_best_ratio(courses.weeks, row, base, rules) for row, base in zip(sld, courses.baseline_mm)])


def median_latent_pfs(courses: TumourCourses, kill_scale: float, rules: RecistRules = RecistRules()) -> float:
    """Median latent PFS (weeks) of *courses* at *kill_scale*."""
    sld = courses.sld(kill_scale)
    return float(np.median([latent_progression_weeks(courses.weeks, row, base, rules)
                            for row, base in zip(sld, courses.baseline_mm)]))


def latent_orr(courses: TumourCourses, kill_scale: float, rules: RecistRules = RecistRules()) -> float:
    """Share of latent responders (CR or PR before latent progression) of *courses* at *kill_scale*."""
    threshold = 1.0 + rules.pr_threshold_percent / 100.0
    return float(np.mean(_best_ratios(courses, kill_scale, rules) <= threshold))


def fit_kill_scale(courses: TumourCourses, target_orr: float, rules: RecistRules = RecistRules(),
                   bracket: tuple[float, float] = (1e-4, 1.0), xtol: float = 1e-3) -> float:
    """Kill scale at which the latent ORR of *courses* is *target_orr* (module docstring).

    Brent's method on ``log k`` of ``quantile(best ratios, target_orr) - (1 + pr%/100)``.

    Raises
    ------
    InputError
        If the target is not reached between the ends of *bracket*.
    """
    if not 0.0 < target_orr < 1.0:
        raise InputError(f"target ORR = {target_orr!r}; accepted: a fraction strictly between 0 and 1")
    threshold = 1.0 + rules.pr_threshold_percent / 100.0

    def excess(log_kill: float) -> float:
        return float(np.quantile(_best_ratios(courses, math.exp(log_kill), rules), target_orr)) - threshold

    low, high = (math.log(b) for b in bracket)
    if excess(low) * excess(high) > 0:
        raise InputError(f"ORR {target_orr:g} is not reached between tumour_kill_scale {bracket[0]} "
                         f"({latent_orr(courses, bracket[0], rules):.3f}) and {bracket[1]} "
                         f"({latent_orr(courses, bracket[1], rules):.3f}); accepted: a bracket around the target")
    return math.exp(brentq(excess, low, high, xtol=xtol))


def solve_scales(courses_at: Callable[[float], tuple[TumourCourses, TumourCourses]], target_pfs_weeks: float,
                 target_orr: float, rules: RecistRules = RecistRules(),
                 rate_bracket: tuple[float, float] = (2e-3, 0.05), kill_bracket: tuple[float, float] = (1e-4, 1.0),
                 xtol: float = 1e-3) -> tuple[float, float, int]:
    """Joint solve of both scales (module docstring).

    Parameters
    ----------
    courses_at
        ``s -> (control courses, first-line courses)``: the patients of both calibration arms at
        growth-scale median ``s``.
    rate_bracket, kill_bracket
        Scales between which the targets are crossed.
    xtol
        Absolute tolerance on ``log(scale)`` (1e-3: 0.1% of the scale).

    Returns
    -------
    tuple
        ``(s, k, evaluations of courses_at)``.

    Raises
    ------
    InputError
        If a target is not reached within its bracket.
    """
    evaluations = 0

    def excess(log_rate: float) -> float:
        nonlocal evaluations
        evaluations += 1
        control, first_line = courses_at(math.exp(log_rate))
        kill = fit_kill_scale(first_line, target_orr, rules, kill_bracket, xtol)
        return median_latent_pfs(control, kill, rules) - target_pfs_weeks

    low, high = (math.log(b) for b in rate_bracket)
    at_low, at_high = excess(low), excess(high)
    if at_low * at_high > 0:
        raise InputError(f"historical control median PFS {target_pfs_weeks} weeks is not reached between "
                         f"tumour_rate_scale {rate_bracket[0]} ({at_low + target_pfs_weeks:.2f} weeks) and "
                         f"{rate_bracket[1]} ({at_high + target_pfs_weeks:.2f} weeks); accepted: a bracket around "
                         "the target")
    rate = math.exp(brentq(excess, low, high, xtol=xtol))
    _, first_line = courses_at(rate)
    return rate, fit_kill_scale(first_line, target_orr, rules, kill_bracket, xtol), evaluations + 1


class CourseSimulator:
    """Latent courses of the first *n_patients* of an arm (replicate 0 of *seed*) at a growth scale,
    with the drug effect of every candidate simulated once (module docstring)."""

    def __init__(self, spec: TrialSpec, n_patients: int, seed: int, horizon_weeks: float,
                 models_dir: Path | str = DEFAULT_MODELS_DIR):
        self.spec, self.n_patients, self.seed = spec, n_patients, seed
        self.simulator = PatientSimulator(models_dir)
        self.weeks = np.arange(GRID_WEEKS, horizon_weeks + 1e-9, GRID_WEEKS)
        self._effects: dict[tuple[str, int, int], np.ndarray] = {}

    def courses(self, arm_name: str, rate_scale: float) -> TumourCourses:
        """Courses of arm *arm_name* with population median *rate_scale* of ``tumour_rate_scale``."""
        arm = self.spec.arm(arm_name)
        sim = self.simulator
        sim.set_overrides({RATE_SCALE: rate_scale, KILL_SCALE: PROBE_KILL_SCALE})
        baseline, growth, effect = [], [], []
        for i in range(self.n_patients):
            patient = sim.draw_patient(arm.context, patient_generator(self.seed, 0, i, BIOLOGY_STREAM),
                                       self.spec.population.body_weight)
            key = (arm.name, i, patient.draws)
            if key not in self._effects:
                drug_only = dataclasses.replace(patient, values={**patient.values, RATE_SCALE: 0.0})
                dosing = dosing_values(arm, sim.regimens, patient.body_weight_kg)
                sld = sim.scans(drug_only, dosing, self.weeks * HOURS_PER_WEEK)
                self._effects[key] = np.log(sld / patient.baseline_sld_mm) / PROBE_KILL_SCALE
            baseline.append(patient.baseline_sld_mm)
            growth.append(patient.values[RATE_SCALE] * patient.untreated_growth_rate * HOURS_PER_WEEK)
            effect.append(self._effects[key])
        return TumourCourses(self.weeks, np.array(baseline), np.array(growth), np.array(effect))


def calibration_targets(spec: TrialSpec) -> tuple[float, float]:
    """``(median PFS weeks, ORR)``: the historical control's median PFS and the observed ORR of arm
    :data:`KILL_CALIBRATION_ARM` (which must have the role ``calibration``).

    Raises
    ------
    InputError
        If the spec lacks either target.
    """
    pfs = spec.design.historical_control_median_pfs_weeks
    names = [a.name for a in spec.arms]
    orr = spec.arm(KILL_CALIBRATION_ARM).endpoint(ORR) if KILL_CALIBRATION_ARM in names else None
    if pfs is None or CALIBRATION_ARM not in names or orr is None or orr.role != "calibration":
        raise InputError(f"trial spec {spec.id}: the calibration needs design.historical_control.median_pfs_weeks, an "
                         f"arm {CALIBRATION_ARM!r} and an arm {KILL_CALIBRATION_ARM!r} with an orr endpoint of role "
                         "calibration")
    return float(pfs), float(orr.observed)


def calibrate_tumour_scales(spec: TrialSpec, n_patients: int = 400, seed: int = CALIBRATION_SEED,
                            horizon_weeks: float = 104.0, rate_bracket: tuple[float, float] = (2e-3, 0.05),
                            kill_bracket: tuple[float, float] = (1e-4, 1.0), xtol: float = 1e-3,
                            models_dir: Path | str = DEFAULT_MODELS_DIR,
                            target_orr: float | None = None) -> CalibrationResult:
    """Fit the population medians of ``tumour_rate_scale`` and ``tumour_kill_scale`` (module docstring).

    Parameters
    ----------
    spec
        The trial spec (:func:`calibration_targets`).
    n_patients, seed
        Calibration patients of each arm (replicate 0 of *seed*).
    horizon_weeks
        Follow-up of each calibration patient.
    rate_bracket, kill_bracket, xtol
        As in :func:`solve_scales`.
    target_orr
        Another ORR target than the spec's (a sensitivity analysis of the target).
    """
    target_pfs, spec_orr = calibration_targets(spec)
    target_orr = spec_orr if target_orr is None else float(target_orr)
    simulator = CourseSimulator(spec, n_patients, seed, horizon_weeks, models_dir)

    def courses_at(rate: float) -> tuple[TumourCourses, TumourCourses]:
        return simulator.courses(CALIBRATION_ARM, rate), simulator.courses(KILL_CALIBRATION_ARM, rate)

    rate, kill, evaluations = solve_scales(courses_at, target_pfs, target_orr, spec.recist, rate_bracket,
                                           kill_bracket, xtol)
    control, first_line = courses_at(rate)
    return CalibrationResult(rate, kill, target_pfs, median_latent_pfs(control, kill, spec.recist), target_orr,
                             latent_orr(first_line, kill, spec.recist), n_patients, evaluations, seed)


if __name__ == "__main__":  # pragma: no cover - a command for maintainers, run once per model change
    import sys

    from stat3qsp.trial.spec import load_trial_spec

    path = sys.argv[1] if len(sys.argv) > 1 else "trials/NCT02066532.yaml"
    print(calibrate_tumour_scales(load_trial_spec(path), target_orr=float(sys.argv[2]) if len(sys.argv) > 2 else None))
