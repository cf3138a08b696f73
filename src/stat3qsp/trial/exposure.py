"""Free drug exposure at the tumour under the regimens of trial specs.

Exposure (:func:`exposure_table`). For every drug regimen of the arms of a trial spec, the free
concentration at the tumour cells as the patient model defines it: the drug's concentration
parameter of the catalog (e.g. ``rux_conc``, ``tras_conc``), which a PK module of the patient
variant writes as a closed-form function of time and dose (``models/pk/*.ant``; a small molecule's
free plasma concentration ``fu * C_total``, an antibody's interstitial share
``tras_tumour_fraction * C_plasma``). The function is evaluated on the compiled model itself (model
time set, assignment rules read; no integration), so the numbers are the exposures the trial
simulations see; tests check them against the closed forms of :mod:`stat3qsp.trial.pk`.

Steady state (:func:`steady_state`): doses are given until one more doubling of their number
changes the concentration at four phases of the dosing interval by less than
:data:`STEADY_STATE_TOLERANCE` (relative); over the next interval ``[t_n, t_n + tau]``, sampled at
:data:`PROFILE_POINTS` times (:data:`POPULATION_POINTS` for the population) and the maximum refined
by bounded scalar search,

    trough = min C,   peak = max C,   mean = (1 / tau) * integral of C over the interval

(adaptive quadrature, ``scipy.integrate.quad``, on both sides of the peak, where an infusion has
its kink).

A loading dose does not change the steady state.

Patients: the *typical* patient has the table values of the arm's context (the population medians)
and the spec's mean body weight; the *population* is :data:`POPULATION_SIZE` patients drawn as the
trial draws them (body weight from the spec, the distributions of ``models/population.yaml``, a
candidate redrawn until its values lie within the table bounds; the trial's other acceptance rules
concern tumour growth and do not change the PK), summarised by the 5th and 95th percentiles of
each patient's trough, peak and mean. A drug of a regimen without a PK module in the patient model
(no entry in ``models/pk/regimens.yaml``), or whose concentration is not a closed-form function of
time, gets a row of NaN with a note.

The clinical regimens' ranges mark the clinically reachable region of the synergy matrices
(:mod:`stat3qsp.assay.clinical_region`).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import libsbml
import numpy as np
import pandas as pd
from scipy.integrate import quad
from scipy.optimize import minimize_scalar

from stat3qsp.assay import columns as col
from stat3qsp.model.catalog import DEFAULT_MODELS_DIR
from stat3qsp.model.provenance import math_names
from stat3qsp.errors import InputError
from stat3qsp.model.simulator import Model, load_model
from stat3qsp.model.simulator import model_constants
from stat3qsp.trial.regimen import dosing_values, read_regimen_map
from stat3qsp.trial.names import VARIANT
from stat3qsp.trial.population import candidate_values, read_population, within_bounds
from stat3qsp.trial.spec_types import Arm, DrugRegimen, TrialSpec

STEADY_STATE_TOLERANCE = 1e-6
"""Largest relative change of the profile when the number of doses is doubled, at steady state."""
PROFILE_POINTS = 1001
"""Evenly spaced times per dosing interval (ends included) at steady state, typical patient."""
POPULATION_POINTS = 201
"""Evenly spaced times per dosing interval at steady state, each patient of the population."""
FIRST_DOSES = 8
"""Number of doses from which the steady-state search doubles."""
MAX_DOSES = 2 ** 16
"""Largest number of doses tried before giving up on a steady state."""
POPULATION_SIZE = 1000
"""Patients drawn for the population percentiles."""
PERCENTILES = (5.0, 95.0)
"""Percentiles of the population summary."""
_PHASES = (0.0, 0.25, 0.5, 0.75)


@dataclass(frozen=True)
class SteadyState:
    """Steady-state exposure over one dosing interval (nM) and the doses given before it."""

    trough: float
    peak: float
    mean: float
    doses: int


def steady_state(concentration: Callable[[np.ndarray], np.ndarray], start: float, interval: float,
                 points: int = PROFILE_POINTS, tolerance: float = STEADY_STATE_TOLERANCE,
                 first_doses: int = FIRST_DOSES) -> SteadyState:
    """Steady-state trough, peak and mean of a regular dosing series (module docstring).

    Parameters
    ----------
    concentration
        ``C(t)`` at an array of times (h since the start of the model's clock), in nM.
    start, interval
        Time of the first dose and the dosing interval (h).
    points
        Evenly spaced times of the steady-state interval.
    tolerance
        Relative change allowed between ``n`` and ``2 n`` doses.
    first_doses
        The first ``n`` of the search.

    Raises
    ------
    InputError
        If no steady state is reached within :data:`MAX_DOSES` doses.
    """
    if not interval > 0:
        raise InputError(f"dosing interval = {interval!r} h; accepted: a number > 0")
    phases = np.asarray(_PHASES) * interval
    n = first_doses
    before = concentration(start + n * interval + phases)
    while True:
        after = concentration(start + 2 * n * interval + phases)
        scale = np.maximum(np.abs(after), np.finfo(float).tiny)
        n *= 2
        if np.all(np.abs(after - before) <= tolerance * scale):
            break
        if n > MAX_DOSES:
            raise InputError(f"no steady state within {MAX_DOSES} doses every {interval:g} h; accepted: a regimen "
                             "whose concentrations settle")
        before = after
    t0 = start + n * interval
    times = t0 + np.linspace(0.0, interval, points)
    values = np.asarray(concentration(times), dtype=float)
    i = int(np.argmax(values))
    low, high = times[max(i - 1, 0)], times[min(i + 1, points - 1)]
    search = minimize_scalar(lambda t: -float(concentration(np.array([t]))[0]), bounds=(low, high), method="bounded",
                             options={"xatol": interval * 1e-9})
    peak = max(float(values[i]), -float(search.fun))
    # Adaptive quadrature split at the peak, where an infusion profile has its kink.
    area = sum(quad(lambda t: float(concentration(np.array([t]))[0]), a, b, limit=200, epsabs=0.0, epsrel=1e-10)[0]
               for a, b in ((t0, search.x), (search.x, t0 + interval)) if b > a)
    return SteadyState(float(values.min()), peak, area / interval, n)


def closed_form_in_time(sbml: str, variable: str) -> bool:
    """Whether *variable* is an assignment rule of time and constants only (recursively), so that
    setting the model time and reading it gives its value without integration."""
    document = libsbml.readSBMLFromString(sbml)
    model = document.getModel()
    # Plain strings only (no libsbml proxies kept): the names each assignment rule reads, and every
    # variable that is integrated (rate rules, species) or changed by events.
    assigned: dict[str, set[str]] = {}
    integrated = {model.getSpecies(i).getId() for i in range(model.getNumSpecies())}
    for i in range(model.getNumRules()):
        rule = model.getRule(i)
        if rule.isAssignment():
            assigned[rule.getVariable()] = math_names(rule.getMath())
        else:
            integrated.add(rule.getVariable())
    integrated |= {model.getEvent(i).getEventAssignment(j).getVariable()
                   for i in range(model.getNumEvents()) for j in range(model.getEvent(i).getNumEventAssignments())}
    parameters = {model.getParameter(i).getId() for i in range(model.getNumParameters())}
    compartments = {model.getCompartment(i).getId() for i in range(model.getNumCompartments())}
    constants = (parameters | compartments) - integrated
    known = parameters | compartments | integrated | set(assigned)
    seen: set[str] = set()

    def ok(name: str) -> bool:
        if name in seen:
            return True
        seen.add(name)
        if name in assigned:
            return all(ok(n) for n in assigned[name])
        return name in constants or name not in known  # not a model id: a csymbol (time, avogadro)
    return variable in assigned and ok(variable)


def regimen_label(regimen: DrugRegimen) -> str:
    """A regimen in words, e.g. ``25 mg oral every 12 h`` or ``6 mg/kg iv every 21 d (first dose 8 mg/kg)``."""
    hours = regimen.interval.hours
    every = f"{hours / 24:g} d" if hours >= 24 and hours % 24 == 0 else f"{hours:g} h"
    text = f"{regimen.dose.amount:g} {regimen.dose.unit} {regimen.route} every {every}"
    if regimen.loading_dose is not None:
        text += f" (first dose {regimen.loading_dose.dose.amount:g} {regimen.loading_dose.dose.unit})"
    return text


class _ExposureModel:
    """The compiled patient model with the PK of one arm set, read at given times."""

    def __init__(self, models_dir: Path | str):
        self.model: Model = load_model(models_dir, variant=VARIANT)
        self.regimens = read_regimen_map(self.model.catalog.models_dir)
        self.population = read_population(self.model.catalog.models_dir / "population.yaml", self.model.parameters)
        self.constants = model_constants(self.model)

    def centres(self, context: str) -> dict[str, float]:
        overrides = self.model.catalog.context(context).parameters
        return {pid: overrides.get(pid, self.model.parameters[pid].value) for pid in self.constants}

    def concentration(self, variable: str, values: dict[str, float]) -> Callable[[np.ndarray], np.ndarray]:
        runner = self.model.runner
        for pid, value in values.items():
            runner.setValue(pid, value)
        model = runner.model  # the executable model, looked up once (each runner.model is a wrapper call)

        def read(times: np.ndarray) -> np.ndarray:
            out = np.empty(len(times))
            for k, t in enumerate(times):
                model.setTime(float(t))
                out[k] = model.getValue(variable)
            return out
        return read


def exposure_table(specs: list[TrialSpec], models_dir: Path | str = DEFAULT_MODELS_DIR, seed: int = 1,
                   population_size: int = POPULATION_SIZE) -> pd.DataFrame:
    """Steady-state free exposure at the tumour of every drug regimen of the specs (module docstring).

    Parameters
    ----------
    specs
        Trial specs; one row per spec, drug and distinct regimen (arms that share it are listed).
    models_dir
        The models folder.
    seed
        Seed of the population draws (``numpy.random.default_rng(seed)``, one stream per row).
    population_size
        Patients drawn for the percentiles.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`stat3qsp.columns.EXPOSURE_COLUMNS`.
    """
    if not isinstance(population_size, int) or population_size < 10:
        raise InputError(f"population_size = {population_size!r}; accepted: an integer >= 10")
    pk = _ExposureModel(models_dir)
    try:
        rows = []
        stream = np.random.SeedSequence(seed)
        for spec in specs:
            for (drug, label), arms in _regimens(spec).items():
                rows.append(_exposure_row(pk, spec, drug, label, arms,
                                          np.random.default_rng(stream.spawn(1)[0]), population_size))
    finally:
        pk.model.runner.reset()
    return pd.DataFrame(rows, columns=list(col.EXPOSURE_COLUMNS))


def _regimens(spec: TrialSpec) -> dict[tuple[str, str], list[Arm]]:
    found: dict[tuple[str, str], list[Arm]] = {}
    for arm in spec.arms:
        for regimen in arm.drugs:
            found.setdefault((regimen.drug, regimen_label(regimen)), []).append(arm)
    return found


def _exposure_row(pk: _ExposureModel, spec: TrialSpec, drug: str, label: str, arms: list[Arm],
                  rng: np.random.Generator, population_size: int) -> dict:
    arm = arms[0]
    regimen = next(r for r in arm.drugs if r.drug == drug)
    weight = spec.population.body_weight.mean_kg
    row = {col.TRIAL: spec.id, col.EXPOSURE_DRUG: drug, col.REGIMEN: label,
           col.ARMS: ",".join(a.name for a in arms), col.CLINICAL: any(not a.counterfactual for a in arms),
           col.EXPOSURE_CONTEXT: arm.context, col.TYPICAL_BODY_WEIGHT: weight, col.N_POPULATION: 0,
           col.STEADY_STATE_DOSES: 0, col.EXPOSURE_NOTE: ""}
    blank = {c: np.nan for c in col.EXPOSURE_VALUE_COLUMNS}
    entry = pk.regimens.drugs.get(drug)
    variable = pk.model.catalog.drugs[drug].concentration_parameter if drug in pk.model.catalog.drugs else None
    if entry is None or variable is None:
        return {**row, **blank, col.EXPOSURE_NOTE: f"skipped: {drug} has no PK module in the patient model "
                                                   "(models/pk/regimens.yaml)"}
    if not closed_form_in_time(pk.model.sbml, variable):
        return {**row, **blank, col.EXPOSURE_NOTE: f"skipped: {variable} is not a closed-form function of time "
                                                   "in the patient model"}
    centres = pk.centres(arm.context)
    start, interval = (regimen.start_day - 1) * 24.0, regimen.interval.hours
    alone = replace(arm, drugs=(regimen,), target_inhibition=())  # this drug only: others may lack PK

    def exposure(values: dict[str, float], body_weight: float, **options) -> SteadyState:
        read = pk.concentration(variable, {**values, **dosing_values(alone, pk.regimens, body_weight)})
        return steady_state(read, start, interval, **options)

    pk.concentration(variable, centres)
    typical = exposure({}, weight)
    # The population's search starts one doubling below the typical patient's steady state.
    options = {"points": POPULATION_POINTS, "first_doses": max(1, typical.doses // 2)}
    weights = spec.population.body_weight.sample(rng, population_size)
    table = pk.model.parameters
    draws = []
    for body_weight in weights:
        for _ in range(pk.population.acceptance.max_draws):
            values = candidate_values(pk.population, centres, rng.standard_normal(len(pk.population.distributions)))
            if within_bounds(values, table):
                break
        else:
            raise InputError(f"no PK candidate within the table bounds in {pk.population.acceptance.max_draws} draws")
        state = exposure(values, float(body_weight), **options)
        draws.append((state.trough, state.peak, state.mean))
    draws = np.array(draws)
    low, high = PERCENTILES
    (t5, p5, m5), (t95, p95, m95) = np.percentile(draws, [low, high], axis=0)
    return {**row, col.FREE_TROUGH: typical.trough, col.FREE_PEAK: typical.peak, col.FREE_MEAN: typical.mean,
            col.TROUGH_P05: t5, col.TROUGH_P95: t95, col.PEAK_P05: p5, col.PEAK_P95: p95, col.MEAN_P05: m5,
            col.MEAN_P95: m95, col.N_POPULATION: population_size, col.STEADY_STATE_DOSES: typical.doses}
