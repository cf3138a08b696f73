"""The tumour calibration against several clinical targets, each read as the trial runner reads it.

The targets are data (``calibration/tumour/targets.yaml``): each names an observed endpoint of an
arm of a trial spec. The two population medians of ``models/tumour/sld.ant`` are fitted on the
calibration patients of :class:`stat3qsp.calibration.tumour.CourseSimulator`: the runner's patients
``0..n-1`` of replicate 0 of the calibration seed, under their spec's conduct as the runner draws it
(scan window of ``models/population.yaml``, measurable disease, early discontinuation) and read with
the runner's function (:func:`stat3qsp.trial.assessment.conduct_outcomes`: RECIST with the spec's
rules, confirmation, clinical benefit, clinical progression of early leavers) through
:func:`scan_outcomes`. One code path: a calibrated arm run by ``stat3qsp trial`` gives the fitted
value on those patients, and differs on others by Monte Carlo error only.

- ``tumour_doubling_days`` (growth: the median untreated volume doubling time of the patients, whose
  doubling times are drawn on their window, :mod:`stat3qsp.trial.doubling`) to the **growth** target, the KM median PFS of an arm whose
  progression is seen only at its scans (EGF104900, lapatinib alone, 8.1 weeks with scans every 4
  weeks). Scan-dated PFS is a step function of the scan dates, so the median is matched as the KM
  median of the calibration sample falling on the last scheduled scan ``t*`` at or before the
  observed median (:func:`growth_anchor`; the week-8 scan, done 0-2 weeks early under the scan
  window): the Kaplan-Meier ``1 - S(t*)`` of the sample (:func:`km_progressed`; early leavers
  without clinical progression censored, as in the paper's KM curve) passes one half, the
  definition of a KM median (the first time with ``S <= 0.5``). The crossing is placed a quarter
  of a patient of the sample above one half (``0.5 + 0.25 / n``, :func:`growth_share`) and the solve
  returns the scale just over it, so the sample's KM curve is strictly below one half at ``t*`` and
  its median is that scan (at exactly one half, :func:`stat3qsp.trial.endpoints.km_median` takes the
  midpoint of the flat stretch: 9.0 weeks instead of 8, as the target ``0.5 - 0.25 / n`` used until
  2026-12-07 gave). A small sample (a hypothesis refit's 12 patients) may not give 7 of 12 at any
  median: then the solver keeps the grid median closest to the target if it is within one patient of the sample (``1 / n``),
  warns, and the residual is recorded (:attr:`TargetFit.growth_residual`, the table's header). With
  fewer progressions by ``t*`` the KM median jumps to
  the next scans (10-12 weeks);
- ``tumour_kill_scale`` (drug effect) to the **kill** target, an ORR as the runner computes it
  (:func:`fit_kill_to_endpoint`; Vogel 2002 at its spec's scans, confirmed as its rules say).

Joint solve (:func:`stat3qsp.calibration.tumour.solve_scales`): for each growth median ``m`` the kill
scale ``k(m)`` is fitted to the kill target on the kill arm's patients drawn at ``m``; where the file has
**subgroup** targets (the growth arm's ORR and CBR), the sensitive subgroup's share and factor are fitted
to them at ``(m, k(m))`` after simulation (:func:`stat3qsp.calibration.subgroup.fit_subgroup`; the kill
arm's context has no subgroup, so ``k(m)`` does not depend on them); a bisection on
``log m`` solves ``1 - S(t*) >= 0.5 + 0.25 / n`` on the growth arm's ``n`` patients at ``(m, k(m))``. Then every
target, **check** (other endpoints of the arms, reported, never fitted) and **plausibility** bound
(e.g. Stover 2018 for ruxolitinib alone in TNBC) is evaluated at the fitted values: simulated against
observed, in :attr:`TargetFit.rows` (:data:`FIT_COLUMNS`). An arm with a marrow course (the spec's
toxicity drug in the arm: dose changes the linear courses do not have) is not fitted; its rows are
read from the trial runner itself (:func:`runner_outcomes`). The fit also reports, per fitted arm, the
acceptance rate of the calibration patients (patients over candidates drawn) and how many candidates the
growth scale's table bounds rejected (:attr:`TargetFit.acceptance`).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import math

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from stat3qsp.calibration.subgroup import FACTOR, SHARE, fit_subgroup, with_subgroup
from stat3qsp.calibration.tumour import (CALIBRATION_SEED, DOUBLING_BOUNDS, CourseSimulator, TumourCourses,
                                         solve_scales)
from stat3qsp.errors import InputError
from stat3qsp.model.catalog import DEFAULT_MODELS_DIR
from stat3qsp.trial import columns as tc
from stat3qsp.trial.assessment import assess, conduct_outcomes
from stat3qsp.trial.endpoints import km_median, km_survival_at
from stat3qsp.trial.names import DOUBLING, KILL_SCALE
from stat3qsp.trial.patient import PatientSimulator
from stat3qsp.trial.reading import progressed_at_first_scan
from stat3qsp.trial.simulate import TrialSettings, simulate_trial
from stat3qsp.trial.spec import load_trial_spec
from stat3qsp.trial.spec_types import TrialSpec
from stat3qsp.calibration.target_files import DEFAULT_TARGETS, target_entries, target_spec_paths  # noqa: F401

FIT_COLUMNS = ("target", "spec", "arm", "endpoint", "observed", "simulated", "matched_as", "accepted", "within")
"""Columns of the fit table: kind of target (growth, kill, check, plausibility), where it comes from,
observed and simulated values, how the simulated value is computed, the accepted range
(plausibility bounds) and whether the simulated value lies in it."""


@dataclass(frozen=True)
class Target:
    """One observed endpoint of an arm of a trial spec (``observed`` from the spec unless given)."""

    kind: str
    spec_path: Path
    arm: str
    endpoint: str
    observed: float
    accepted: tuple[float, float] | None = None
    source: str = ""


@dataclass(frozen=True)
class TargetFit:
    """Fitted medians (doubling time in days, kill scale), the fit of every target and how the solve went."""

    doubling_days: float
    kill_scale: float
    rows: pd.DataFrame
    evaluations: int
    n_patients: int
    seed: int
    growth_residual: float = 0.0
    """Growth target's simulated minus target share at the fitted scales: >= 0 where the target is met,
    negative where the sample cannot meet it and the closest scale was kept (module docstring)."""
    sensitive_share: float = 0.0
    sensitive_factor: float = 1.0
    subgroup_fitted: bool = False
    """The sensitive subgroup's share and factor: fitted to the subgroup targets, else the models' values."""
    acceptance: tuple[str, ...] = ()
    """Per fitted arm at the fitted values: patients, candidates drawn, acceptance rate and candidates rejected
    for the growth scale's table bounds (one text line each)."""


def read_targets(path: Path | str = DEFAULT_TARGETS) -> list[Target]:
    """Targets of ``targets.yaml`` (module docstring), growth first, then kill, checks and plausibility.

    Raises
    ------
    InputError
        Naming the key, for a missing growth or kill target, an arm or endpoint the spec lacks, a
        growth or kill target whose endpoint is not of role ``calibration``, or a plausibility bound
        without ``observed``, ``accepted`` and ``source``.
    """
    return [_target(kind, entry, f"{path}: {kind}") for kind, entry in target_entries(path)]


def _target(kind: str, entry: dict, where: str) -> Target:
    if not isinstance(entry, dict) or not {"spec", "arm", "endpoint"} <= set(entry):
        raise InputError(f"{where} = {entry!r}; accepted: a mapping with spec, arm and endpoint")
    spec = load_trial_spec(entry["spec"])
    arm = spec.arm(entry["arm"])
    if entry["endpoint"] not in tc.ENDPOINT_NAMES:
        raise InputError(f"{where}.endpoint = {entry['endpoint']!r}; accepted: one of {', '.join(tc.ENDPOINT_NAMES)}")
    if kind == "plausibility":
        bounds = entry.get("accepted")
        if (not isinstance(entry.get("observed"), (int, float)) or not isinstance(bounds, list) or len(bounds) != 2
                or not bounds[0] <= bounds[1] or not str(entry.get("source", "")).strip()):
            raise InputError(f"{where} = {entry!r}; accepted: observed (a number), accepted [low, high] and source")
        return Target(kind, Path(entry["spec"]), arm.name, entry["endpoint"], float(entry["observed"]),
                      (float(bounds[0]), float(bounds[1])), str(entry["source"]))
    endpoint = arm.endpoint(entry["endpoint"])
    if endpoint is None or (kind in ("growth", "kill", "subgroup") and endpoint.role != "calibration"):
        raise InputError(f"{where}: arm {arm.name!r} of {entry['spec']} has no {entry['endpoint']} endpoint of role "
                         "calibration; accepted: an observed endpoint meant for calibration")
    return Target(kind if kind != "checks" else "check", Path(entry["spec"]), arm.name, entry["endpoint"],
                  float(endpoint.observed), None, endpoint.source.strip())


def scan_outcomes(courses: TumourCourses, kill_scale: float, spec: TrialSpec) -> pd.DataFrame:
    """RECIST outcomes of *courses* at *kill_scale* as the trial runner reads them
    (:func:`stat3qsp.trial.assessment.conduct_outcomes`): at each patient's own scan times and
    conduct (courses of :class:`~stat3qsp.calibration.tumour.CourseSimulator`), or, for courses on a
    common grid, at the spec's scheduled scans (which must lie on it), measurable, none leaving."""
    sld = courses.sld(kill_scale)
    n = sld.shape[0]
    if courses.weeks.ndim == 2:
        scans = courses.weeks
    else:
        scheduled = spec.assessment.scan_weeks(float(courses.weeks[-1]))
        index = np.searchsorted(courses.weeks, scheduled)
        if (scheduled.size == 0 or np.any(index >= courses.weeks.size)
                or not np.allclose(courses.weeks[index], scheduled)):
            raise InputError(f"{spec.id}: scans at {scheduled[:4].tolist()}... weeks are not on the calibration grid; "
                             "accepted: scan times in whole weeks within the horizon")
        scans, sld = np.broadcast_to(scheduled, (n, scheduled.size)), sld[:, index]
    measurable = np.ones(n, bool) if courses.measurable is None else courses.measurable
    leave = np.full(n, np.nan) if courses.discontinuation_weeks is None else courses.discontinuation_weeks
    early = np.flatnonzero(scans[:, 0] > leave)  # left before the first scan (NaN compares False)
    clinical = np.zeros(n, bool)
    for i in early:
        clinical[i] = progressed_at_first_scan(courses.baseline_mm[i], sld[i, :1], measurable[i], spec.recist)
    return conduct_outcomes(spec, courses.baseline_mm, measurable, scans, sld, leave, clinical)


def fit_kill_to_endpoint(courses: TumourCourses, spec: TrialSpec, endpoint: str, observed: float,
                         bracket: tuple[float, float] = (1e-4, 1.0), xtol: float = 1e-3) -> float:
    """Kill scale at which *endpoint* (ORR or CBR) of *courses*, read by :func:`scan_outcomes`, crosses
    *observed*: Brent's method on ``log k`` of the simulated minus observed value, a non-decreasing
    step function of ``k`` (a larger kill scale lowers every SLD and every rise over a nadir), so the
    root is where the share crosses the target, within *xtol*.

    Raises
    ------
    InputError
        If the target is not crossed between the ends of *bracket*.
    """
    def excess(log_kill: float) -> float:
        return endpoint_value(scan_outcomes(courses, math.exp(log_kill), spec), endpoint) - observed

    low, high = (math.log(b) for b in bracket)
    at_low, at_high = excess(low), excess(high)
    if at_low > 0 or at_high < 0:
        raise InputError(f"{endpoint} {observed:g} is not reached between tumour_kill_scale {bracket[0]} "
                         f"({at_low + observed:.3f}) and {bracket[1]} ({at_high + observed:.3f}); accepted: a "
                         "bracket around the target")
    if at_low == 0 or at_high == 0:
        return bracket[0] if at_low == 0 else bracket[1]
    return math.exp(brentq(excess, low, high, xtol=xtol))


def has_marrow_course(spec: TrialSpec, arm: str) -> bool:
    """True if the arm gets the spec's toxicity drug (the runner then follows its marrow and dose changes)."""
    return any(drug.drug == spec.toxicity.drug for drug in spec.arm(arm).drugs)


def runner_outcomes(spec: TrialSpec, arm: str, doubling_days: float, kill_scale: float, n_patients: int, seed: int,
                    horizon_weeks: float, models_dir: Path | str, extra: dict[str, float] | None = None) -> pd.DataFrame:
    """Patients table of the trial runner (one replicate of *n_patients*, *seed*) at the given scales (and
    *extra* values, e.g. the sensitive subgroup's)."""
    settings = TrialSettings(replicates=1, seed=seed, patients=n_patients, horizon_weeks=horizon_weeks, arms=(arm,))
    records = simulate_trial(spec, settings, models_dir=models_dir, progress=False,
                             overrides={DOUBLING: doubling_days, KILL_SCALE: kill_scale, **(extra or {})})
    return assess(records, spec)[0]


def growth_anchor(spec: TrialSpec, median_weeks: float, horizon_weeks: float = 104.0) -> float:
    """The last scheduled scan at or before the observed median PFS (weeks)."""
    scans = spec.assessment.scan_weeks(horizon_weeks)
    before = scans[scans <= median_weeks + 1e-9]
    if before.size == 0:
        raise InputError(f"{spec.id}: median PFS {median_weeks} weeks is before the first scan at {scans[0]} weeks; "
                         "accepted: a median at or after the first scan")
    return float(before[-1])


def growth_share(n_patients: int) -> float:
    """Target Kaplan-Meier share progressed by the anchor scan on *n_patients* calibration patients:
    ``0.5 + 0.25 / n``, just over half (module docstring: the sample's KM median is the anchor scan)."""
    if n_patients < 1:
        raise InputError(f"calibration patients = {n_patients!r}; accepted: at least 1")
    return 0.5 + 0.25 / n_patients


def km_progressed(outcomes: pd.DataFrame, weeks: float) -> float:
    """Kaplan-Meier ``1 - S(weeks)`` of the outcomes' PFS (:func:`stat3qsp.trial.endpoints.km_survival_at`;
    censored patients leave the risk set after their time; 1 once every patient has progressed)."""
    times = outcomes[tc.PFS_WEEKS].to_numpy(float)
    survival = km_survival_at(times, outcomes[tc.EVENT].to_numpy(bool), weeks + 1e-9)[0]
    if np.isnan(survival):
        raise InputError(f"no calibration patient is followed to week {weeks:g} (last follow-up {times.max():g} "
                         "weeks); accepted: a follow-up past the anchor scan")
    return 1.0 - survival


def endpoint_value(outcomes: pd.DataFrame, endpoint: str) -> float:
    """KM median PFS, ORR or CBR of one arm's outcomes (as :mod:`stat3qsp.trial.endpoints`)."""
    if endpoint == tc.MEDIAN_PFS_WEEKS:
        return km_median(outcomes[tc.PFS_WEEKS].to_numpy(float), outcomes[tc.EVENT].to_numpy(bool))[0]
    if endpoint == tc.ORR:
        return float(outcomes[tc.BEST_RESPONSE].isin((tc.CR, tc.PR)).mean())
    if endpoint == tc.CBR:
        return float(outcomes[tc.CLINICAL_BENEFIT].astype(bool).mean())
    raise InputError(f"endpoint {endpoint!r}; accepted: {tc.MEDIAN_PFS_WEEKS}, {tc.ORR} or {tc.CBR}")


def calibrate_targets(targets: list[Target], n_patients: int = 400, seed: int = CALIBRATION_SEED,
                      horizon_weeks: float = 104.0, doubling_bracket: tuple[float, float] = DOUBLING_BOUNDS,
                      kill_bracket: tuple[float, float] = (1e-4, 1.0), xtol: float = 1e-3,
                      models_dir: Path | str = DEFAULT_MODELS_DIR) -> TargetFit:
    """Fit both scales to the growth and kill targets and report every target (module docstring).

    Raises
    ------
    InputError
        If a target is not reached within its bracket.
    """
    growth, kill = targets[0], targets[1]
    patients = PatientSimulator(models_dir)
    specs = {t.spec_path: load_trial_spec(t.spec_path) for t in targets}
    simulators = {path: CourseSimulator(spec, n_patients, seed, horizon_weeks, models_dir, patients)
                  for path, spec in specs.items()}
    growth_spec = specs[growth.spec_path]
    anchor = growth_anchor(growth_spec, growth.observed, horizon_weeks)
    values = patients.context_values(growth_spec.arm(growth.arm).context)
    current_subgroup = (float(values.get(SHARE, 0.0)), float(values.get(FACTOR, 1.0)))
    share = growth_share(n_patients)

    def courses_at(doubling: float) -> tuple[TumourCourses, TumourCourses]:
        return (simulators[growth.spec_path].courses(growth.arm, doubling),
                simulators[kill.spec_path].courses(kill.arm, doubling))

    chosen = [t for t in targets if t.kind == "subgroup"]
    for t in chosen:
        if (t.spec_path, t.arm) != (growth.spec_path, growth.arm):
            raise InputError(f"subgroup target {t.spec_path} arm {t.arm}: accepted: an endpoint of the growth arm "
                             f"{growth.spec_path} {growth.arm}")
    sizes = [growth_spec.arm(t.arm).n_patients for t in chosen]
    fitted: dict[tuple[int, float], tuple] = {}

    def subgroup_fit(courses: TumourCourses, kill_scale: float) -> tuple[TumourCourses, float, float]:
        """The growth arm's courses with the subgroup fitted at *kill_scale* (none fitted: as simulated)."""
        key = (id(courses), kill_scale)
        if key not in fitted:
            def values_at(adjusted: TumourCourses) -> list[float]:
                outcomes = scan_outcomes(adjusted, kill_scale, growth_spec)
                return [endpoint_value(outcomes, t.endpoint) for t in chosen]
            share_, factor_ = current_subgroup
            if chosen:
                share_, factor_, _ = fit_subgroup(courses, values_at, [t.observed for t in chosen], sizes)
            fitted[key] = (courses, with_subgroup(courses, share_, factor_) if chosen else courses, share_, factor_)
        return fitted[key][1:]

    def growth_excess(courses: TumourCourses, kill_scale: float) -> float:
        adjusted = subgroup_fit(courses, kill_scale)[0]
        return km_progressed(scan_outcomes(adjusted, kill_scale, growth_spec), anchor) - share

    kill_spec = specs[kill.spec_path]
    for target in (growth, kill):
        if has_marrow_course(specs[target.spec_path], target.arm):
            raise InputError(f"{target.kind} target {target.spec_path} arm {target.arm}: the arm gets the spec's "
                             f"toxicity drug {specs[target.spec_path].toxicity.drug} (dose changes); accepted: a "
                             "fitted arm without a marrow course")

    def kill_fit(first_line: TumourCourses) -> float:
        return fit_kill_to_endpoint(first_line, kill_spec, kill.endpoint, kill.observed, kill_bracket, xtol)

    doubling, kill_scale, evaluations = solve_scales(courses_at, growth_excess, kill.observed, kill_spec.recist,
                                                     doubling_bracket, kill_bracket, xtol, kill_fit=kill_fit,
                                                     fallback_tolerance=1.0 / n_patients)
    final = simulators[growth.spec_path].courses(growth.arm, doubling)
    residual = growth_excess(final, kill_scale)
    _, share_fit, factor_fit = subgroup_fit(final, kill_scale)
    subgroup = {SHARE: share_fit, FACTOR: factor_fit} if chosen else {}
    rows, acceptance = [], []
    for t in targets:
        spec = specs[t.spec_path]
        if has_marrow_course(spec, t.arm):
            outcomes = runner_outcomes(spec, t.arm, doubling, kill_scale, n_patients, seed, horizon_weeks, models_dir,
                                       subgroup)
            how = f"the trial runner on {n_patients} patients of {spec.id} (marrow course and dose changes included)"
        else:
            courses = simulators[t.spec_path].courses(t.arm, doubling)
            if t.kind in ("growth", "kill"):
                acceptance.append(_acceptance_line(t, courses))
            if chosen:
                courses = with_subgroup(courses, share_fit, factor_fit)
            outcomes = scan_outcomes(courses, kill_scale, spec)
            how = f"as the trial runner reads {spec.id}: its scans with the scan window, its conduct and RECIST rules"
        rows.append(_fit_row(t, outcomes, how, spec, anchor))
    return TargetFit(doubling, kill_scale, pd.DataFrame(rows, columns=list(FIT_COLUMNS)), evaluations, n_patients, seed,
                     residual, share_fit, factor_fit, bool(chosen), tuple(acceptance))


def _acceptance_line(target: Target, courses: TumourCourses) -> str:
    """Acceptance of a fitted arm's calibration patients (:attr:`TargetFit.acceptance`)."""
    drawn, outside = int(np.sum(courses.draws)), int(np.sum(courses.rate_scale_rejections))
    return (f"{target.spec_path} {target.arm}: {courses.draws.size} patients from {drawn} candidates (acceptance "
            f"{courses.draws.size / drawn:.4f}); rejected for tumour_rate_scale's table bounds: {outside}")


def _fit_row(target: Target, outcomes: pd.DataFrame, how: str, spec: TrialSpec, anchor: float) -> tuple:
    """One row of the fit table."""
    simulated = endpoint_value(outcomes, target.endpoint)
    if target.kind in ("kill", "subgroup"):
        how += "; fitted"
    if target.kind == "growth":
        how += (f"; fitted as KM 1-S {growth_share(len(outcomes)):.4f} at the week-{anchor:g} scan "
                f"(simulated {km_progressed(outcomes, anchor):.4f})")
    accepted = "" if target.accepted is None else f"{target.accepted[0]:g} to {target.accepted[1]:g}"
    within = pd.NA if target.accepted is None else bool(target.accepted[0] <= simulated <= target.accepted[1])
    return (target.kind, str(target.spec_path), target.arm, target.endpoint, target.observed, simulated, how,
            accepted, within)
