"""Virtual patients of the marrow model: baseline populations, dose hold/reduction rules applied to
simulated counts over a course (:func:`simulate_course`, the one course simulator: the trial's
:mod:`stat3qsp.trial.marrow_course` and the calibration here call it), and the calibration of the
EC50s on myelofibrosis data (COMFORT-I).

Dose rules are data (``models/toxicity/dose_rules.tsv``). NCT02066532's paper (Kearney 2021) does
not give its dose-modification rules, so two rule sets are offered: ``jakafi_label`` (the Jakafi
label's platelet table for myelofibrosis and the ANC < 0.5 hold) and ``grade3_hold`` (a generic
solid-tumour protocol rule: hold for ANC < 1.0 or platelets < 50, resume one level lower).

Per patient: counts are checked at the protocol's visits (a trial's: its spec's ``toxicity`` section,
:func:`stat3qsp.trial.marrow_course.check_hours`); at each check the rules set the dose for the next
interval (0 = held). A toxicity counts when the worst graded check on treatment is at least the grade
and worse than the patient's baseline grade. Dose changes restart the closed-form PK superposition at
the check (the previous doses' tail, about 5% of a peak 12 h after a dose, is dropped).
"""
from __future__ import annotations

import csv
import datetime
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar

from stat3qsp.errors import InputError
from stat3qsp.io.tables import write_table_atomic
from stat3qsp.toxicity.marrow import (BASELINES, LINEAGES, TOXICITY_DIR, MarrowModel, ctcae_grade, effect_inputs,
                                      marrow_values, mean_effects)

DOSE_LEVELS = (25.0, 20.0, 15.0, 10.0, 5.0)
WEEK = 168.0


@dataclass(frozen=True)
class DoseRule:
    """One row of ``dose_rules.tsv``: when ``lower <= count < upper`` of ``lineage``, do ``action``."""

    lineage: str
    lower: float
    upper: float
    action: str
    dose_mg: float


def read_dose_rules(rule_set: str, path: Path = TOXICITY_DIR / "dose_rules.tsv") -> tuple[DoseRule, ...]:
    """The rules of one rule set."""
    with open(path, newline="") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t") if r["rule_set"] == rule_set]
    if not rows:
        raise InputError(f"no dose rules named {rule_set!r} in {path}")
    num = lambda s, default: float(s) if s.strip() else default  # noqa: E731
    return tuple(DoseRule(r["lineage"], num(r["lower"], -math.inf), num(r["upper"], math.inf), r["action"],
                          num(r["dose_mg"], math.nan)) for r in rows)


def _level_below(dose: float) -> float:
    lower = [d for d in DOSE_LEVELS if d < dose]
    return max(lower) if lower else DOSE_LEVELS[-1]


def next_dose(rules: tuple[DoseRule, ...], dose: float, before_hold: float, counts: dict[str, float]) -> tuple[float, float]:
    """Dose (mg BID; 0 = held) after a count check, and the dose before the current hold.

    Held: restart when every ``restart_allowed`` count is reached and, if the set has ``restart``
    bands, the platelet count is in one (dose at most the band's); ``restart_one_level_down``
    restarts one level below the dose before the hold. Dosing: any ``hold`` band holds; ``cap``
    limits the dose; ``down_if_at_least`` lowers it one level if it is at least ``dose_mg``.
    """
    def inside(r: DoseRule) -> bool:
        return r.lineage in counts and r.lower <= counts[r.lineage] < r.upper

    if dose == 0:
        allowed = all(counts[r.lineage] >= r.lower for r in rules if r.action == "restart_allowed")
        bands = [r for r in rules if r.action == "restart"]
        matched = [r.dose_mg for r in bands if inside(r)]
        if not allowed or (bands and not matched):
            return 0.0, before_hold
        new = min([before_hold, *matched])
        if any(r.action == "restart_one_level_down" for r in rules):
            new = _level_below(before_hold)
        return new, before_hold
    if any(r.action == "hold" and inside(r) for r in rules):
        return 0.0, dose
    new = dose
    for r in rules:
        if inside(r) and r.action == "cap":
            new = min(new, r.dose_mg)
        elif inside(r) and r.action == "down_if_at_least" and dose >= r.dose_mg:
            new = min(new, _level_below(dose))
    return new, before_hold


def read_population(name: str, path: Path = TOXICITY_DIR / "populations.tsv") -> dict[str, tuple[float, float, float, float]]:
    """Baseline distributions of a population: parameterId -> (median, CV, lower, upper)."""
    with open(path, newline="") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t") if r["population"] == name]
    if not rows:
        raise InputError(f"no population named {name!r} in {path}")
    return {r["parameterId"]: tuple(float(r[c]) for c in ("median", "cv", "lower", "upper")) for r in rows}


def sample_baselines(population: dict, n: int, rng: np.random.Generator) -> list[dict[str, float]]:
    """n patients' baselines: log-normal (sd of log = sqrt(ln(1 + CV^2))), redrawn outside [lower, upper]."""
    columns = {}
    for pid, (median, cv, lower, upper) in population.items():
        sd = math.sqrt(math.log(1 + cv * cv))
        x = median * np.exp(sd * rng.standard_normal(n))
        while np.any(bad := (x < lower) | (x > upper)):
            x[bad] = median * np.exp(sd * rng.standard_normal(int(bad.sum())))
        columns[pid] = x
    return [{pid: float(columns[pid][i]) for pid in columns} for i in range(n)]


@dataclass(frozen=True)
class MarrowCourse:
    """One patient's marrow on the drug: the checks, the grades there and the dose after each.

    ``hours[0] = 0`` (baseline, grades at baseline); ``doses[i]`` is given from ``hours[i]`` to
    ``hours[i + 1]``; ``stop_h`` the discontinuation after a too long hold (NaN without).
    """

    hours: np.ndarray
    grades: np.ndarray
    doses: np.ndarray
    start_dose: float
    stop_h: float

    def changes(self) -> list[tuple[float, float]]:
        """``(time h, new dose mg)`` at every check where the dose changed (0 at a stop)."""
        out = [(float(t), float(d)) for t, d, before in zip(self.hours[1:], self.doses[1:], self.doses[:-1])
               if d != before]
        if not math.isnan(self.stop_h) and self.doses[-1] != 0:
            out.append((self.stop_h, 0.0))
        return out

    def toxicity_grades(self, off_h: float = math.inf) -> dict[str, int]:
        """Worst grade of each lineage at the checks up to *off_h* (and a stop), counted only above the
        patient's baseline grade (else 0; module docstring)."""
        if not math.isnan(self.stop_h):
            off_h = min(off_h, self.stop_h)
        seen = self.hours <= off_h
        worst = {x: int(self.grades[seen, i].max()) for i, x in enumerate(LINEAGES)}
        return {x: worst[x] if worst[x] > self.grades[0, i] else 0 for i, x in enumerate(LINEAGES)}


def simulate_course(model: MarrowModel, baselines: dict[str, float], start_dose: float, interval_h: float,
                    rules: tuple[DoseRule, ...], checks_h: np.ndarray, end_h: float,
                    max_hold_h: float = math.inf) -> MarrowCourse:
    """Counts of one patient (``baselines``: marrow parameter values, e.g. ``rbc_Hb_0`` and PK) on D mg
    every tau h, checked at the ``checks_h`` in (0, ``end_h``], the dose set by *rules* at each check.

    A model with PK (``model.with_pk``) integrates the resolved concentration (the superposition restarted
    at each check); one without gets each lineage's mean effect over a steady-state interval of the
    current dose (:func:`stat3qsp.toxicity.marrow.mean_effects`), the coarse step of the trial. A hold
    longer than *max_hold_h* stops the drug at that check (``stop_h``).
    """
    if start_dose <= 0 or interval_h <= 0:
        raise InputError(f"need a starting dose > 0 mg and an interval > 0 h, got {start_dose} mg every {interval_h} h")
    model.reset(baselines)
    base = [int(ctcae_grade(x, baselines[BASELINES[x]])) for x in LINEAGES]
    hours, grades, doses = [0.0], [base], [start_dose]
    dose = before_hold = start_dose
    t, held_since, stop, effects = 0.0, math.nan, math.nan, {}
    for check in [float(c) for c in checks_h if 0 < c <= end_h]:
        if model.with_pk:
            inputs = {"rux_dose": dose, "rux_interval": interval_h, "rux_start": t}
        else:
            if dose not in effects:
                effects[dose] = effect_inputs(mean_effects(dose, interval_h, {**model.values, **baselines}))
            inputs = effects[dose]
        out = model.segment(t, check, 2, **inputs)
        counts = dict(zip(LINEAGES, out[-1, 1:]))
        new, before_hold = next_dose(rules, dose, before_hold, counts)
        if new > 0:
            held_since = math.nan
        elif math.isnan(held_since):
            held_since = check
        elif check - held_since > max_hold_h:
            stop = check
        hours.append(check)
        grades.append([int(ctcae_grade(x, counts[x])) for x in LINEAGES])
        doses.append(new)
        dose, t = new, check
        if not math.isnan(stop):
            break
    return MarrowCourse(np.array(hours), np.array(grades, dtype=int), np.array(doses, dtype=float),
                        float(start_dose), stop)


# ---- calibration on COMFORT-I (myelofibrosis, 15-20 mg BID by baseline platelets, 24 weeks)
#: (lineage, grade, observed fraction, source). Fitted: one target per lineage (its EC50).
CALIBRATION_TARGETS = (
    ("rbc", 3, 0.452, "COMFORT-I ruxolitinib, anaemia grade 3-4 45.2% (PMC5042185 Table 2, DOI:10.2147/JBM.S102471)"),
    ("plt", 1, 0.697, "COMFORT-I ruxolitinib, thrombocytopenia all grades 69.7% (PMC5042185 Table 2)"),
    ("neut", 1, 0.19, "Jakafi label COMFORT-I neutropenia all grades about 19% (recalled; not verified here)"),
)
#: Reported alongside, not fitted.
CALIBRATION_CHECKS = (("rbc", 1, 0.961, "COMFORT-I anaemia all grades 96.1% (PMC5042185 Table 2)"),)


def mf_start_dose(baselines: dict[str, float]) -> float:
    """Jakafi label starting dose: 20 mg BID above 200 x1e9/L platelets, else 15 mg BID."""
    return 20.0 if baselines["plt_circ_0"] > 200 else 15.0


def calibration_courses(values: dict[str, float], n: int = 200, seed: int = 20140226,
                        weeks: float = 24.0) -> list[MarrowCourse]:
    """The calibration cohort (myelofibrosis baselines, label rules, BID with the resolved PK, counts
    every 2 weeks up to and at ``weeks``, no limit on a hold)."""
    model = MarrowModel(values)
    patients = sample_baselines(read_population("myelofibrosis"), n, np.random.default_rng(seed))
    rules = read_dose_rules("jakafi_label")
    checks = np.append(np.arange(2 * WEEK, weeks * WEEK, 2 * WEEK), weeks * WEEK)
    return [simulate_course(model, p, mf_start_dose(p), 12.0, rules, checks, weeks * WEEK) for p in patients]


def incidence(courses: list[MarrowCourse], lineage: str, grade: int) -> float:
    """Fraction of *courses* with a toxicity of *lineage* at grade >= *grade* (>= 1)."""
    return float(np.mean([c.toxicity_grades()[lineage] >= grade for c in courses]))


def calibrate(out: Path | None = TOXICITY_DIR / "calibrated.tsv", n: int = 200, seed: int = 20140226,
              passes: int = 2) -> dict[str, float]:
    """Fit log EC50 of each lineage to its COMFORT-I target (bounded Brent, coordinate-wise, ``passes``
    rounds since the lineages share the dose rules); objective = sum of squared fraction errors.
    Writes ``out`` (generated; never edit) and returns the fitted EC50s (nM, free)."""
    values = marrow_values(calibrated=False)
    for _ in range(passes):
        for lineage, grade, target, _source in CALIBRATION_TARGETS:
            pid = f"{lineage}_EC50"

            def loss(log_ec50: float) -> float:
                trial = {**values, pid: math.exp(log_ec50)}
                return (incidence(calibration_courses(trial, n, seed), lineage, grade) - target) ** 2

            fit = minimize_scalar(loss, bounds=(math.log(0.3), math.log(3000.0)), method="bounded",
                                  options={"xatol": 0.03})
            values[pid] = float(math.exp(fit.x))
    courses = calibration_courses(values, n, seed)
    simulated = {(x, g): incidence(courses, x, g) for x, g, *_ in (*CALIBRATION_TARGETS, *CALIBRATION_CHECKS)}
    objective = sum((simulated[(x, g)] - t) ** 2 for x, g, t, _ in CALIBRATION_TARGETS)
    if out is not None:
        _write_calibration(Path(out), values, simulated, objective, n, seed)
    return {f"{x}_EC50": values[f"{x}_EC50"] for x in LINEAGES}


def _write_calibration(out: Path, values, simulated, objective, n, seed) -> None:
    rows = [("kind", "parameterId", "value", "unit", "grade", "target", "simulated", "source")]
    for x, g, t, source in CALIBRATION_TARGETS:
        rows.append(("fitted", f"{x}_EC50", f"{values[f'{x}_EC50']:.6g}", "nM", str(g), f"{t}",
                     f"{simulated[(x, g)]:.4f}", source))
    for x, g, t, source in CALIBRATION_CHECKS:
        rows.append(("check", f"{x}_grade{g}", "", "fraction", str(g), f"{t}", f"{simulated[(x, g)]:.4f}", source))
    rows += [("meta", "objective", f"{objective:.6g}", "fraction^2", "", "", "", "sum of squared target errors"),
             ("meta", "n_patients", str(n), "1", "", "", "", "myelofibrosis virtual cohort"),
             ("meta", "seed", str(seed), "1", "", "", "", "numpy default_rng"),
             ("meta", "date", datetime.date.today().isoformat(), "", "", "", "", "")]
    write_table_atomic(out, pd.DataFrame(rows[1:], columns=list(rows[0])),
                       ["generated by stat3qsp.toxicity.dosing.calibrate(); do not edit by hand", f"seed: {seed}"])
