"""Tumour courses of calibration patients and the joint solve of the tumour module's two
clinical scales (the targets and how each is matched: :mod:`stat3qsp.calibration.targets`).

The patient model has two parameters fitted to clinical data, the population medians of the
untreated growth and of the drug effect of ``models/tumour/sld.ant``::

    d ln SLD/dt = s g0 + k (g(t) - g0) exp(-lambda t)

- ``tumour_doubling_days`` ``m`` (growth): the median of the patients' untreated volume doubling times
  ``D`` (drawn on their window, :mod:`stat3qsp.trial.doubling`; a patient's growth scale is ``s_i = ln 2 /
  (3 g0_i D_i)``, Claret's KL), fitted to the growth target (EGF104900's lapatinib arm, scan-dated);
- ``tumour_kill_scale`` ``k`` (drug effect, Claret's KD), fitted to the objective response rate of
  first-line trastuzumab monotherapy (Vogel et al. 2002; arm :data:`KILL_CALIBRATION_ARM` of
  trials/vogel2002.yaml, trastuzumab-sensitive HER2-amplified disease).

The observed results of NCT02066532 itself are never used: they are validation data.

**Conduct.** Calibration patients are the trial runner's patients (replicate 0 of :data:`CALIBRATION_SEED`)
under their spec's conduct as the runner draws it (:class:`CourseSimulator`: scan window, measurable disease,
early discontinuation), read with the runner's RECIST reading (:mod:`stat3qsp.calibration.targets`).

**Latent endpoints** (continuous assessment; for synthetic checks of the dynamics, no longer a target):
:func:`latent_progression_weeks`, :func:`latent_best_ratio`; :func:`fit_kill_scale` fits a latent ORR.

**Linearity in the scales.** The tumour does not act on the signalling, so ``g(t)`` of a patient
does not depend on ``s`` or ``k`` and ``ln(SLD(t)/SLD(0)) = s_i g0_i t + k E_i(t)`` with the drug
effect ``E_i(t) = integral_0^t (g - g0) exp(-lambda_i u) du``. Each patient is simulated once, at its scan times, with
``s_i = 0`` and ``k = PROBE_KILL_SCALE`` (:class:`TumourCourses`); its SLD at any ``k`` follows in
closed form. The patients' doubling times are drawn around ``m``, so they are drawn again at every ``m``:
the same candidates (none is rejected for growth; only the growth scale's table bounds can reject one),
each with its ``D_i`` moved; ``E_i`` does not depend on ``m`` and is kept per candidate across evaluations.

**Joint solve** (:func:`solve_scales`). The targets interact: lapatinib has a small effect in
trastuzumab-resistant disease (``k`` moves its PFS) and ``m`` sets how fast the first-line tumours
regrow (it moves the ORR). For each ``m`` the kill scale ``k(m)`` that gives the target ORR is found
(``kill_fit``: Brent on ``log k`` of the ORR as the runner reads it, a non-decreasing step function of
``k``), then a bisection on ``log m`` finds the median at the step where ``growth target(m, k(m))`` meets
the observed value (a log grid and, where the sample cannot meet it, the closest grid median with a warning
and its residual: :func:`solve_scales`). Same
patients (fixed seed, common random numbers) at every evaluation; the result is deterministic.
"""
from __future__ import annotations

import dataclasses
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from scipy.optimize import brentq

from stat3qsp.calibration.subgroup import SENSITIVITY, sensitivity_uniform
from stat3qsp.model.catalog import DEFAULT_MODELS_DIR
from stat3qsp.errors import InputError
from stat3qsp.trial.patient import PatientSimulator
from stat3qsp.trial.regimen import dosing_values
from stat3qsp.trial.names import DOUBLING, HOURS_PER_WEEK, KILL_SCALE, RATE_SCALE
from stat3qsp.trial.dropout import accepted_intercept, growth_deviate
from stat3qsp.trial.population import BIOLOGY_STREAM, CONDUCT_STREAM, patient_generator
from stat3qsp.trial.simulate import draw_conduct
from stat3qsp.trial.recist import RecistRules
from stat3qsp.trial.spec_types import TrialSpec

CALIBRATION_ARM = "historical_control"
"""Arm of trials/NCT02066532.yaml standing for the historical control; no longer a target (the sensitivity's control)."""
KILL_CALIBRATION_ARM = "trastuzumab_standard_dose"  #: Arm of trials/vogel2002.yaml whose ORR calibrates the kill scale.
CALIBRATION_SEED = 20100301
"""Seed of the calibration patients (fixed; independent of trial seeds)."""
DOUBLING_BOUNDS = (1.0, 2000.0)
"""Bounds of the median doubling time (days) in the calibrated table and the solve's bracket (assumed: up to
the window's slow end; below its 30-day floor the drawn times pile up at the floor, reported as such)."""
KILL_BOUNDS = (1e-4, 1.0)
"""Bounds of the kill scale (assumed: no clinical drug effect stronger than the in-vitro one)."""
PROBE_KILL_SCALE = 0.01
"""Kill scale of the calibration simulations (any other follows by linearity; SLD far from underflow)."""
CALIBRATION_NOTE = ("calibration targets (calibration/tumour/targets.yaml) are matched on the calibration's "
                    "patients under each spec's conduct as this runner reads it (scan window, early discontinuation, "
                    "RECIST rules; stat3qsp.calibration.targets): EGF104900 lapatinib_monotherapy's median PFS and "
                    "Vogel 2002's trastuzumab ORR; here they differ from the fit by Monte Carlo error")
"""Header note of every endpoints table of a spec with calibration arms."""


@dataclass(frozen=True)
class TumourCourses:
    """SLD courses of patients at their scan times (or on a common grid), as functions of the kill scale.

    Attributes
    ----------
    weeks
        Times (weeks): a common grid, shape ``(m,)``, or each patient's own scan times, ``(n, m)``
        (:class:`CourseSimulator`: the trial runner's scans, window included).
    baseline_mm
        Baseline SLD per patient, shape ``(n,)``.
    growth_per_week
        ``s_i g0_i`` (per week): the untreated log-SLD growth rate per patient.
    effect
        ``E_i(t)`` at those times (dimensionless; per unit kill scale), shape ``(n, m)``.
    measurable, discontinuation_weeks
        The patients' conduct (:func:`stat3qsp.trial.simulate.draw_conduct`): measurable disease and
        time off study (NaN: none); None: all measurable, none leaves.
    kill_factor
        Each patient's ``tumour_kill_scale`` relative to the population median (its between-patient
        draw, already in ``effect``); None if not recorded.
    sensitivity, sensitivity_uniform, sensitivity_cv, sensitivity_centre, kinase_effect
        Each patient's multiplier ``tumour_sensitivity`` (in ``effect``), its quantile of the
        subgroup mixture (NaN: not in a context of the subgroup), the mixture's cv and centre, and
        ``H_i(t)``, the effect per unit of ``tumour_sensitivity - 1`` (:mod:`stat3qsp.calibration.subgroup`).
    draws, rate_scale_rejections
        Per patient, candidates drawn and of them rejected for the growth scale's bounds (None: not recorded).
    """

    weeks: np.ndarray
    baseline_mm: np.ndarray
    growth_per_week: np.ndarray
    effect: np.ndarray
    measurable: np.ndarray | None = None
    discontinuation_weeks: np.ndarray | None = None
    kill_factor: np.ndarray | None = None
    sensitivity: np.ndarray | None = None
    sensitivity_uniform: np.ndarray | None = None
    sensitivity_cv: float = 0.1
    sensitivity_centre: float = 1.0
    kinase_effect: np.ndarray | None = None
    draws: np.ndarray | None = None
    rate_scale_rejections: np.ndarray | None = None

    def sld(self, kill_scale: float) -> np.ndarray:
        """SLD (mm) at the times, ``baseline exp(s_i g0_i t + k E_i(t))``, shape ``(n, m)``."""
        weeks = self.weeks if self.weeks.ndim == 2 else self.weeks[None, :]
        log_ratio = self.growth_per_week[:, None] * weeks + kill_scale * self.effect
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


class GrowthFallbackWarning(UserWarning):
    """The growth target is not crossed at any median of the solver's grid; the closest median is kept."""

#: Points of the log grid that :func:`solve_scales` searches when the ends of its bracket do not straddle
#: the growth target (ends included).
GRID_POINTS = 9


def solve_scales(courses_at: Callable[[float], tuple[TumourCourses, TumourCourses]],
                 growth_excess: Callable[[TumourCourses, float], float],
                 target_orr: float, rules: RecistRules = RecistRules(),
                 rate_bracket: tuple[float, float] = (2e-3, 0.05), kill_bracket: tuple[float, float] = (1e-4, 1.0),
                 xtol: float = 1e-3, kill_fit: Callable[[TumourCourses], float] | None = None,
                 fallback_tolerance: float = 0.0) -> tuple[float, float, int]:
    """Joint solve of both scales (module docstring).

    The growth excess is a step function of the growth parameter ``x`` (a share of patients; decreasing
    in the median doubling time, increasing in a growth scale: the solve reads only its sign); the solve
    is a bisection on ``log x`` that keeps a bracket of a value below and one at or over the target and
    returns the latter: the value nearest the step (within *xtol*) at which the target is met, never one
    just below it. If the ends of *rate_bracket* do not straddle the target, a log grid of
    :data:`GRID_POINTS` values over it is searched for a straddling pair (the excess need not be
    monotone on a sample); if none straddles, the grid scale with the smallest ``|excess|`` is
    returned with a :class:`GrowthFallbackWarning` when that residual is within *fallback_tolerance*
    (e.g. one patient, ``1 / n``), else :class:`~stat3qsp.errors.InputError`. A value whose evaluation
    fails (InputError: no kill scale meets the kill target, no plausible patient) is skipped.

    Parameters
    ----------
    courses_at
        ``x -> (growth-arm courses, kill-arm courses)``: the patients of both calibration arms at
        growth parameter ``x`` (the median doubling time in :mod:`stat3qsp.calibration.targets`).
    growth_excess
        ``(growth-arm courses, k) -> simulated minus target`` of the growth target, monotone in
        ``x`` within the bracket (e.g. the share progressed by a scan minus its target; :mod:`stat3qsp.calibration.targets`).
    rate_bracket, kill_bracket
        Growth parameter and kill scale between which the targets are crossed.
    xtol
        Absolute tolerance on ``log x`` and ``log k`` (1e-3: 0.1%).
    kill_fit
        ``kill-arm courses -> k`` that meets the kill target (e.g. the ORR as the runner reads it,
        :func:`stat3qsp.calibration.targets.fit_kill_to_endpoint`); None: :func:`fit_kill_scale` (latent).
    fallback_tolerance
        Largest ``|excess|`` accepted for the closest grid value when the target is crossed nowhere (0: refuse).

    Returns
    -------
    tuple
        ``(x, k, evaluations of courses_at)``.

    Raises
    ------
    InputError
        If the growth target is crossed nowhere on the grid and no grid value is within *fallback_tolerance*,
        or no grid value has a kill scale meeting the kill target.
    """
    evaluations = 0
    if kill_fit is None:
        def kill_fit(first_line: TumourCourses) -> float:
            return fit_kill_scale(first_line, target_orr, rules, kill_bracket, xtol)

    def evaluate(log_rate: float) -> tuple[float, float]:
        nonlocal evaluations
        evaluations += 1
        control, first_line = courses_at(math.exp(log_rate))
        kill = kill_fit(first_line)
        return growth_excess(control, kill), kill

    low, high = (math.log(b) for b in rate_bracket)
    points, failures = {}, []
    for x in (low, high, *np.linspace(low, high, GRID_POINTS)[1:-1]):
        if len(points) == 2 and x not in (low, high) and (points[low][0] >= 0) != (points[high][0] >= 0):
            break  # the ends straddle the target
        try:
            points[float(x)] = evaluate(float(x))
        except InputError as error:  # no kill scale meets its target, or no plausible patient at this scale
            failures.append(str(error))
    pair = None
    if set(points) == {low, high} and (points[low][0] >= 0) != (points[high][0] >= 0):
        pair = (low, high)
    if pair is None:
        if not points:
            raise InputError(f"no growth scale of the grid could be evaluated: {failures[0]}")
        grid = sorted(points)
        pair = next(((a, b) for a, b in zip(grid, grid[1:]) if (points[a][0] >= 0) != (points[b][0] >= 0)), None)
    if pair is None:
        closest = min(points, key=lambda x: abs(points[x][0]))
        residual = points[closest][0]
        summary = ", ".join(f"{math.exp(x):.4g}: {points[x][0]:+.3g}" for x in sorted(points))
        if abs(residual) > fallback_tolerance:
            raise InputError(f"the growth target is not reached between {DOUBLING} {rate_bracket[0]} and "
                             f"{rate_bracket[1]} (simulated minus target on a log grid: {summary}); accepted: a "
                             "bracket around the target")
        warnings.warn(f"growth target crossed at no {DOUBLING} of the grid ({summary}); kept the closest, "
                      f"{math.exp(closest):.4g}, residual {residual:+.4g} (within {fallback_tolerance:.4g})",
                      GrowthFallbackWarning, stacklevel=2)
        return math.exp(closest), points[closest][1], evaluations
    below, over = pair if points[pair[1]][0] >= 0 else pair[::-1]
    kill = points[over][1]
    while abs(over - below) > xtol:
        middle = 0.5 * (below + over)
        excess, middle_kill = evaluate(middle)
        if excess < 0:
            below = middle
        else:
            over, kill = middle, middle_kill
    return math.exp(over), kill, evaluations


class CourseSimulator:
    """Courses of the first *n_patients* of an arm (replicate 0 of *seed*) at a growth scale, at each
    patient's scan times under the spec's conduct as the trial runner draws it
    (:func:`stat3qsp.trial.simulate.draw_conduct`: the scan window of ``models/population.yaml``,
    measurable disease, early discontinuation), with the drug effect of every candidate simulated
    once (module docstring). Patient ``i`` is the runner's patient ``i`` of replicate 0 of *seed*."""

    def __init__(self, spec: TrialSpec, n_patients: int, seed: int, horizon_weeks: float,
                 models_dir: Path | str = DEFAULT_MODELS_DIR, simulator: PatientSimulator | None = None):
        self.spec, self.n_patients, self.seed, self.horizon_weeks = spec, n_patients, seed, horizon_weeks
        self.simulator = PatientSimulator(models_dir) if simulator is None else simulator
        _cache_preequilibration(self.simulator)
        self._effects: dict[tuple[str, int, int], np.ndarray] = {}

    def courses(self, arm_name: str, doubling_days: float) -> TumourCourses:
        """Courses of arm *arm_name* with population median *doubling_days* of ``tumour_doubling_days``."""
        arm = self.spec.arm(arm_name)
        sim, early = self.simulator, self.spec.early_discontinuation
        sim.set_overrides({DOUBLING: doubling_days, KILL_SCALE: PROBE_KILL_SCALE})
        intercept = accepted_intercept(sim, arm.context, early.fraction, sim.population.dropout_growth_log_odds)
        baseline, growth, effect, weeks, measurable, leave, factor, subgroup, kinase_effect, draws = ([] for _ in range(10))
        for i in range(self.n_patients):
            patient = sim.draw_patient(arm.context, patient_generator(self.seed, 0, i, BIOLOGY_STREAM),
                                       self.spec.population.body_weight)
            conduct = draw_conduct(self.spec, sim.population, patient_generator(self.seed, 0, i, CONDUCT_STREAM),
                                   self.horizon_weeks, growth_deviate(sim, patient), intercept)
            key, drawn = (arm.name, i, patient.draws), sensitivity_uniform(sim, patient)
            if key not in self._effects:  # the effect E at the drawn multiplier m0, and H (subgroup module)
                dosing = dosing_values(arm, sim.regimens, patient.body_weight_kg)
                probes = (1.0, 2.0) if np.isfinite(drawn[1]) else (None,)
                logs = [np.log(sim.scans(dataclasses.replace(patient, values={
                    **patient.values, RATE_SCALE: 0.0, **({} if m is None else {SENSITIVITY: m})}), dosing,
                    conduct.scan_weeks * HOURS_PER_WEEK) / patient.baseline_sld_mm) / PROBE_KILL_SCALE for m in probes]
                kinase = logs[1] - logs[0] if len(logs) == 2 else np.zeros_like(logs[0])
                self._effects[key] = (logs[0] + (drawn[0] - 1.0) * kinase if len(logs) == 2 else logs[0], kinase)
            baseline.append(patient.baseline_sld_mm)
            growth.append(patient.values[RATE_SCALE] * patient.untreated_growth_rate * HOURS_PER_WEEK)
            effect.append(self._effects[key][0])
            kinase_effect.append(self._effects[key][1])
            weeks.append(conduct.scan_weeks)
            measurable.append(conduct.measurable)
            leave.append(conduct.discontinuation_weeks)
            factor.append(patient.values.get(KILL_SCALE, PROBE_KILL_SCALE) / PROBE_KILL_SCALE)
            subgroup.append(drawn)
            draws.append((patient.draws, patient.rate_scale_rejections))
        spread = (sim.population.distribution(SENSITIVITY) if SENSITIVITY in sim.population.parameter_ids else None)
        return TumourCourses(np.array(weeks), np.array(baseline), np.array(growth), np.array(effect),
                             np.array(measurable), np.array(leave), np.array(factor),
                             np.array([m for m, _ in subgroup]), np.array([u for _, u in subgroup]),
                             spread.spread if spread else 0.1,
                             sim.context_values(arm.context).get(SENSITIVITY, 1.0), np.array(kinase_effect),
                             *np.array(draws, dtype=int).reshape(-1, 2).T)


def _cache_preequilibration(simulator: PatientSimulator) -> None:
    """Keep each candidate's untreated steady state across growth medians: it depends on the signalling values
    only, not on the ``tumour_*`` parameters (the tumour does not act on the signalling)."""
    if getattr(simulator, "_cached_preequilibration", False):
        return
    compute, cache = simulator.preequilibrate, {}

    def preequilibrate(context: str, values: dict[str, float]):
        key = (context, tuple(sorted((k, v) for k, v in values.items() if not k.startswith("tumour_"))))
        if key not in cache:
            cache[key] = compute(context, values)
        return cache[key]
    simulator.preequilibrate = preequilibrate
    simulator._cached_preequilibration = True
