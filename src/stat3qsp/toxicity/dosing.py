"""Virtual patients of the marrow model: baseline populations, dose hold/reduction rules applied to
simulated counts, and the calibration of the EC50s on myelofibrosis data (COMFORT-I). A trial's
haematological toxicity is predicted by the one trial path (:mod:`stat3qsp.trial.marrow_course`).

Dose rules are data (``models/toxicity/dose_rules.tsv``). NCT02066532's paper (Kearney 2021) does
not give its dose-modification rules, so two rule sets are offered: ``jakafi_label`` (the Jakafi
label's platelet table for myelofibrosis and the ANC < 0.5 hold) and ``grade3_hold`` (a generic
solid-tumour protocol rule: hold for ANC < 1.0 or platelets < 50, resume one level lower).

Per patient: counts are checked at the protocol's visits (NCT02066532: weekly in cycle 1, then day
1 of every 21-day cycle); at each check the rules set the dose for the next interval (0 = held).
A toxicity counts when the worst graded check on study is at least the grade and worse than the
patient's baseline grade. Dose changes restart the closed-form PK superposition at the check
(the previous doses' tail, about 5% of a peak 12 h after a dose, is dropped).
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
from stat3qsp.toxicity.marrow import BASELINES, LINEAGES, TOXICITY_DIR, MarrowModel, ctcae_grade, marrow_values

DOSE_LEVELS = (25.0, 20.0, 15.0, 10.0, 5.0)
DAY, WEEK = 24.0, 168.0


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
class PatientCourse:
    """Worst and baseline CTCAE grades by lineage, and the dose history of one virtual patient."""

    worst: dict[str, int]
    baseline: dict[str, int]
    reduced: bool
    held: bool
    final_dose: float

    def toxicity(self, lineage: str, grade: int) -> bool:
        return self.worst[lineage] >= grade and self.worst[lineage] > self.baseline[lineage]


def nct02066532_checks(end_h: float) -> np.ndarray:
    """Count checks: days 8, 15, 22 of cycle 1, then day 1 of every 21-day cycle (Kearney 2021)."""
    return np.unique(np.concatenate([[7 * DAY, 14 * DAY], np.arange(21 * DAY, end_h, 21 * DAY)]))


def simulate_patient(model: MarrowModel, baselines: dict[str, float], start_dose: float,
                     rules: tuple[DoseRule, ...], checks_h: np.ndarray, end_h: float) -> PatientCourse:
    """One patient on BID ruxolitinib from t = 0 to ``end_h`` with dose rules at the checks."""
    model.reset(baselines)
    base = {x: int(ctcae_grade(x, baselines[BASELINES[x]])) for x in LINEAGES}
    worst = dict(base)
    dose = before_hold = start_dose
    reduced = held = False
    t = 0.0
    for t_next in [*(c for c in checks_h if c < end_h), end_h]:
        out = model.segment(t, t_next, 2, rux_dose=dose, rux_interval=12.0, rux_start=t)
        counts = dict(zip(LINEAGES, out[-1, 1:]))
        for x in LINEAGES:
            worst[x] = max(worst[x], int(ctcae_grade(x, counts[x])))
        dose, before_hold = next_dose(rules, dose, before_hold, counts)
        held |= dose == 0
        reduced |= 0 < dose < start_dose
        t = t_next
    return PatientCourse(worst, base, reduced, held, dose)


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
                        weeks: float = 24.0) -> list[PatientCourse]:
    """The calibration cohort (myelofibrosis baselines, label rules, counts every 2 weeks)."""
    model = MarrowModel(values)
    patients = sample_baselines(read_population("myelofibrosis"), n, np.random.default_rng(seed))
    rules = read_dose_rules("jakafi_label")
    checks = np.arange(2 * WEEK, weeks * WEEK, 2 * WEEK)
    return [simulate_patient(model, p, mf_start_dose(p), rules, checks, weeks * WEEK) for p in patients]


def incidence(courses: list[PatientCourse], lineage: str, grade: int) -> float:
    return float(np.mean([c.toxicity(lineage, grade) for c in courses]))


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
