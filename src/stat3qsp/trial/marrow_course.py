"""Marrow toxicity of a virtual trial patient on ruxolitinib: blood counts, CTCAE grades and the dose
the spec's hold/reduction rules leave, and the tumour simulated on that changing dose.

Per patient of an arm with the spec's toxicity drug (:mod:`stat3qsp.trial.toxicity_rules`), before the
tumour (:func:`marrow_course`): baseline counts drawn from the spec's population
(``models/toxicity/populations.tsv``) on the patient's own random stream :data:`TOXICITY_STREAM`
(common to every arm of a replicate), the patient's own ruxolitinib PK (``rux_CL_F``, ``rux_V_F``,
``rux_ka``, ``rux_fu`` of the virtual patient) driving the marrow model
(:class:`stat3qsp.toxicity.marrow.MarrowModel`, one compiled per worker process) from count check to
count check through the one course simulator (:func:`stat3qsp.toxicity.dosing.simulate_course`); at
each check the worst CTCAE v5.0 grade of each lineage is recorded and the rules
(:func:`stat3qsp.toxicity.dosing.next_dose`) set the dose until the next (0 = held). A hold longer
than ``max_hold`` ends treatment (a toxicity discontinuation at that check). The marrow is slow
(transit times of 5-7 days against a 12 h dosing interval), so it runs on the PK exposure alone with
a coarse step: between checks each lineage gets its mean drug effect over a steady-state dosing
interval (:func:`stat3qsp.toxicity.marrow.mean_effects`; averaging, checked against the fully resolved PK in
tests/unit/test_marrow_trial.py), up to the follow-up horizon or an earlier discontinuation.

The tumour then sees that dose: a patient whose dose never changed is simulated as before (same
method, same numbers); one whose dose changed (:func:`modified_scans`) has the dose and the start of the
closed-form PK superposition reset at each change (the tail of the doses before a change, about 5% of a
peak 12 h after a dose, is dropped, as in the marrow): with the ``full`` method integrated in full, split at
the changes; with ``envelope`` by the envelope with every change an event
(:mod:`stat3qsp.trial.envelope_patient`); with ``multiscale``, piece by piece between the changes
(:func:`stat3qsp.trial.multiscale.changed_scans`).

Toxicity counts only while on treatment: up to the scan that showed progression, the end of
follow-up or discontinuation (:func:`toxicity_values`). An event counts when the worst
graded check on treatment is at least the grade and worse than the patient's baseline grade.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from stat3qsp.model.integrate import integrate, output_times
from stat3qsp.toxicity import dosing
from stat3qsp.toxicity.dosing import MarrowCourse
from stat3qsp.toxicity.marrow import LINEAGES, PK_PARAMETERS, MarrowModel, marrow_values
from stat3qsp.trial import multiscale
from stat3qsp.trial.envelope_patient import DoseChanges
from stat3qsp.trial.names import HOURS_PER_WEEK, SLD
from stat3qsp.trial.patient import ENVELOPE_TOLERANCE_FACTOR, FAST_INTERVAL_MAX_H
from stat3qsp.trial.population import patient_generator
from stat3qsp.trial.toxicity_rules import ToxicityRules

COARSE_STEP_H = 48.0
"""Largest integrator step of the marrow on its constant mean-effect input (h)."""
TOXICITY_STREAM = 7
"""Index of the per-patient random stream of the baseline blood counts (the biology and conduct
streams are 0 and 1, :mod:`stat3qsp.trial.population`)."""
# Patients-table columns of the toxicity (NaN / NA for patients without the drug).
ANAEMIA_GRADE = "anaemia_grade"
"""Worst CTCAE grade of anaemia on treatment, counted only above the baseline grade (else 0)."""
THROMBOCYTOPENIA_GRADE = "thrombocytopenia_grade"
"""Worst CTCAE grade of platelet count decreased on treatment (as :data:`ANAEMIA_GRADE`)."""
NEUTROPENIA_GRADE = "neutropenia_grade"
"""Worst CTCAE grade of neutrophil count decreased on treatment (as :data:`ANAEMIA_GRADE`)."""
DOSE_REDUCED = "dose_reduced"
"""1 if the dose was lowered below the starting dose on treatment, else 0."""
DOSE_HELD = "dose_held"
"""1 if the dose was held (0 mg) at least once on treatment, else 0."""
TOXICITY_STOP_WEEKS = "toxicity_stop_weeks"
"""Time of the toxicity discontinuation (weeks), NaN without."""
MEAN_DOSE_MG = "mean_dose_mg"
"""Time-averaged dose per administration on treatment (mg)."""
TOXICITY_COLUMNS = (ANAEMIA_GRADE, THROMBOCYTOPENIA_GRADE, NEUTROPENIA_GRADE, DOSE_REDUCED, DOSE_HELD,
                    TOXICITY_STOP_WEEKS, MEAN_DOSE_MG)
GRADE_COLUMNS = dict(zip(LINEAGES, (NEUTROPENIA_GRADE, THROMBOCYTOPENIA_GRADE, ANAEMIA_GRADE)))
_MARROW: dict[str, MarrowModel] = {}


def marrow_model(models_dir: Path | str) -> MarrowModel:
    """The marrow model of *models_dir* on a constant input (the coarse step, module docstring),
    compiled once per process."""
    key = str(Path(models_dir).resolve())
    if key not in _MARROW:
        values = marrow_values(toxicity_dir=Path(models_dir) / "toxicity", models_dir=Path(models_dir))
        _MARROW[key] = MarrowModel(values, with_pk=False, models_dir=Path(models_dir), max_step_h=COARSE_STEP_H)
    return _MARROW[key]


def check_hours(rules: ToxicityRules, cycle_h: float, end_h: float) -> np.ndarray:
    """Count checks (h): days 8 and 15 of cycle 1 if weekly, then day 1 of every check interval."""
    every = rules.check_interval_h or cycle_h
    weekly = [7 * 24.0, 14 * 24.0] if rules.weekly_checks_first_cycle else []
    times = np.unique(np.concatenate([weekly, np.arange(every, end_h, every)]))
    return times[(times > 0) & (times < end_h)]


def toxicity_values(course: MarrowCourse, off_h: float) -> dict[str, float]:
    """Patients-table values (:data:`TOXICITY_COLUMNS`) of *course* on treatment up to *off_h* (module
    docstring)."""
    if not math.isnan(course.stop_h):
        off_h = min(off_h, course.stop_h)
    values = {GRADE_COLUMNS[x]: float(g) for x, g in course.toxicity_grades(off_h).items()}
    given = course.doses[course.hours < off_h]
    values[DOSE_REDUCED] = float(bool(np.any((given > 0) & (given < course.start_dose))))
    values[DOSE_HELD] = float(bool(np.any(given == 0)))
    values[TOXICITY_STOP_WEEKS] = course.stop_h / HOURS_PER_WEEK if course.stop_h <= off_h else math.nan
    edges = np.append(course.hours, np.inf)
    spans = np.clip(np.minimum(edges[1:], off_h) - edges[:-1], 0, None)
    values[MEAN_DOSE_MG] = float(np.sum(spans * course.doses) / off_h) if off_h > 0 else course.start_dose
    return values


def marrow_course(models_dir: Path | str, rules: ToxicityRules, values: dict[str, float], start_dose: float,
                  interval_h: float, cycle_h: float, end_h: float, seed: int, replicate: int,
                  patient: int) -> MarrowCourse:
    """The course of one virtual patient (module docstring): *values* are the patient's model values
    (the PK rows are taken from them), counts drawn on the patient's :data:`TOXICITY_STREAM`."""
    model = marrow_model(models_dir)
    population = dosing.read_population(rules.population, Path(models_dir) / "toxicity" / "populations.tsv")
    rng = patient_generator(seed, replicate, patient, TOXICITY_STREAM)
    baselines = dosing.sample_baselines(population, 1, rng)[0]
    baselines.update({p: values[p] for p in PK_PARAMETERS if p in values})
    table = dosing.read_dose_rules(rules.dose_rules, Path(models_dir) / "toxicity" / "dose_rules.tsv")
    return dosing.simulate_course(model, baselines, start_dose, interval_h, table,
                                  check_hours(rules, cycle_h, end_h), end_h, rules.max_hold_h)


def modified_scans(simulator, patient, dosing_values: dict[str, float], scan_hours: np.ndarray,
                   changes: list[tuple[float, float]], dose_id: str, start_id: str, stop=None) -> np.ndarray:
    """SLD (mm) at the scans of a patient whose dose changes at *changes* (``(h, mg)``): the full
    integration of :meth:`stat3qsp.trial.patient.PatientSimulator.scans` split at every change,
    with its retry; NaN after a *stop* (as there). With the simulator's method ``multiscale``, the periodic
    state restarted at each change instead (:func:`stat3qsp.trial.multiscale.changed_scans`); with ``envelope``
    and at least one change, the envelope with the changes as events
    (:func:`stat3qsp.trial.envelope_patient.envelope_scans`; in full where a change is off the dosing period's
    boundaries)."""
    scan_hours = np.asarray(scan_hours, dtype=float)
    if simulator.method == "multiscale":
        return simulator._retrying("treatment", lambda tolerances, steps: multiscale.changed_scans(
            simulator, patient, dosing_values, scan_hours, changes, dose_id, start_id, stop, tolerances, steps,
            FAST_INTERVAL_MAX_H, ENVELOPE_TOLERANCE_FACTOR))

    def attempt(tolerances, max_steps) -> np.ndarray:
        simulator.start_treatment(patient, dosing_values, tolerances, max_steps)
        runner = simulator.model.runner
        pending = sorted(changes)
        sld = np.full(scan_hours.size, np.nan)
        previous = 0.0
        for i, t in enumerate(scan_hours):
            while pending and pending[0][0] < t:
                at, dose = pending.pop(0)
                if at > previous:
                    integrate(runner, output_times(previous, at), [SLD])
                    previous = at
                runner.setValue(dose_id, dose)
                runner.setValue(start_id, at)
            sld[i] = integrate(runner, output_times(previous, float(t)), [SLD])[-1, 0]
            previous = float(t)
            if not np.isfinite(sld[i]):
                raise RuntimeError(f"non-finite SLD ({sld[i]}) at {t:g} h of treatment")
            if stop is not None and stop(patient.baseline_sld_mm, sld[: i + 1]):
                break
        return sld

    if simulator.method == "envelope" and changes:
        course = DoseChanges(tuple(sorted(changes)), dose_id, start_id)

        def envelope(tolerances, max_steps) -> np.ndarray:
            sld = simulator.envelope_course(patient, dosing_values, scan_hours, stop, tolerances, max_steps, course)
            return attempt(tolerances, max_steps) if sld is None else sld
        return simulator._retrying("treatment", envelope)
    return simulator._retrying("treatment", attempt)


def patient_course(simulator, spec, arm, patient, dosing_values: dict[str, float], replicate: int, index: int,
                   seed: int, end_h: float) -> tuple[MarrowCourse | None, str, str]:
    """The marrow course of a patient of *arm* (None if the arm has no ``spec.toxicity.drug`` or its
    dose is 0) and the model ids of that drug's dose and first-dose time."""
    rules = spec.toxicity
    entry = simulator.regimens.drugs.get(rules.drug)
    if entry is None or not any(r.drug == rules.drug for r in arm.drugs) or dosing_values[entry["dose"]] <= 0:
        return None, "", ""
    values = {**simulator.context_values(patient.context), **patient.values}
    course = marrow_course(simulator.models_dir, rules, values, dosing_values[entry["dose"]],
                           dosing_values[entry["interval"]], spec.cycle_length.hours, end_h, seed, replicate, index)
    return course, entry["dose"], entry["start"]
