"""Prediction intervals of a virtual trial with parameter uncertainty added to between-patient variability.

The trial stage (:mod:`stat3qsp.trial.simulate`) predicts each endpoint as the median over replicate virtual
trials and its 90% prediction interval as their 5th-95th percentiles. That interval contains two
sources of uncertainty: **between-patient** variability (``models/population.yaml``, trial conduct)
and **trial size** (a replicate has the real trial's number of patients). It treats the model's
parameters as known. Here every replicate trial ``r`` first draws one parameter vector
``theta_r``, then its patients, so the interval also contains **parameter** uncertainty. A
*parameter set* says which parameters are uncertain:

- ``profile`` parameters (with ``profile: true``, the rows of ``models/parameters.tsv`` whose source
  is ``profile_source``, e.g. ``fitted: Sobotta 2017 (PEtab)``, whose bounds are 95%
  profile-likelihood intervals): a two-piece log-normal with median at the fitted value and the
  interval limits as its 2.5% and 97.5% quantiles, ``x = value * exp(s z)``, ``z ~ N(0, 1)``,
  ``s = ln(value / lower) / z_0.975`` for ``z < 0`` and ``ln(upper / value) / z_0.975`` otherwise
  (a limit at the value, e.g. a profile open towards a search bound, gives no spread on that side);
- ``range`` parameters (a declared subset of other rows): uniform over the table's range, in
  ``log10(value)`` when it spans more than one decade with a lower bound > 0.

Parameters are drawn independently: the profile intervals are marginal, so correlations between
fitted parameters (e.g. the product ``IL6R_act_k * STAT3_phos_JAK_k`` that the data identify) are
not kept, which widens the interval. ``theta_r`` comes from its own stream
``SeedSequence(parameter_seed, spawn_key=(r,))``, one draw per parameter of all sets together in
table order, so a parameter shared by two sets has the same value in both; the patients come from
the trial runner's streams ``(seed, r, i)``. Each replicate is simulated at the table values (the
trial stage's interval) and once per parameter set, always with the same patients, so the
differences between the intervals are the parameters' share. The growth scale is kept or rescaled
per ``theta_r`` as in :mod:`stat3qsp.sensitivity.outputs` (``growth_scale``); the kill scale keeps its
calibrated value. A replicate whose
``theta_r`` admits no growth scale or no plausible patient has NaN endpoints (counted out by
``n_replicates``).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from stat3qsp.trial import endpoints as ep
from stat3qsp.sensitivity import columns as sc
from stat3qsp.trial import columns as tc
from stat3qsp.compute.batch import Batch
from stat3qsp.model.catalog import DEFAULT_MODELS_DIR
from stat3qsp.errors import InputError
from stat3qsp.trial.patient import PatientSimulator
from stat3qsp.trial.names import DOUBLING
from stat3qsp.sensitivity.outputs import GROWTH_SCALE_MODES, GrowthScale
from stat3qsp.trial.simulate import simulate_patient
from stat3qsp.trial.assessment import assess, replicate_endpoints
from stat3qsp.trial.spec import load_trial_spec
from stat3qsp.sensitivity.uncertain_parameters import PROFILE, RANGE, UncertainParameter, uncertain_parameters  # noqa: F401

def draw_parameters(parameters: Sequence[UncertainParameter], seed: int, replicate: int) -> dict[str, float]:
    """``theta_r`` of replicate *replicate*: one draw per parameter, in the order given (module
    docstring; pass the union of the sets in table order)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(replicate,)))
    return {p.parameter_id: p.draw(rng) for p in parameters}


def union(parameter_sets: Sequence[Sequence[UncertainParameter]], table: Iterable[str]) -> list[UncertainParameter]:
    """The parameters of all sets, each once, in the order of *table* (the parameter ids)."""
    found = {p.parameter_id: p for group in parameter_sets for p in group}
    return [found[pid] for pid in table if pid in found]


def parameter_label(parameters: Sequence[UncertainParameter]) -> str:
    """Value of the ``uncertainty`` column for intervals that contain *parameters*."""
    profiles = sum(p.kind == PROFILE for p in parameters)
    ranges = [p.parameter_id for p in parameters if p.kind == RANGE]
    parts = [f"{profiles} fitted, profile intervals"] if profiles else []
    parts += [f"table ranges of {', '.join(ranges)}"] if ranges else []
    return f"{sc.PARAMETER_SOURCES} ({'; '.join(parts)})"


@dataclass(frozen=True)
class UncertaintySetup:
    """Replicate virtual trials at the table values and with each parameter set's uncertainty.

    Attributes
    ----------
    spec_path, arms
        Trial spec and the arms simulated.
    patients
        Patients per arm and replicate; None for each arm's ``n_patients``.
    seed, parameter_seed
        Seeds of the patients and of the parameter vectors.
    parameter_sets
        The uncertain parameters of each interval (:func:`uncertain_parameters`).
    order
        Parameter ids in table order (the draw order of :func:`draw_parameters`).
    """

    spec_path: str
    arms: tuple[str, ...]
    patients: int | None
    seed: int
    parameter_seed: int
    parameter_sets: tuple[tuple[UncertainParameter, ...], ...]
    order: tuple[str, ...]
    horizon_weeks: float = 104.0
    growth_scale: str = "rescaled"
    models_dir: str = str(DEFAULT_MODELS_DIR)

    def __post_init__(self) -> None:
        if self.growth_scale not in GROWTH_SCALE_MODES:
            raise InputError(f"growth_scale = {self.growth_scale!r}; accepted: {', '.join(GROWTH_SCALE_MODES)}")
        labels = [parameter_label(group) for group in self.parameter_sets]
        if not labels or len(set(labels)) < len(labels):
            raise InputError(f"parameter sets {labels}; accepted: at least one, all different")
        spec = load_trial_spec(self.spec_path)
        for arm in self.arms:
            spec.arm(arm)

    def build(self) -> "UncertaintyRunner":
        """Compile the patient model and return the runner of single replicates."""
        return UncertaintyRunner(self)


class UncertaintyRunner:
    """Simulates replicate trials of an :class:`UncertaintySetup`."""

    def __init__(self, setup: UncertaintySetup):
        self.setup = setup
        self.spec = load_trial_spec(setup.spec_path)
        self.simulator = PatientSimulator(Path(setup.models_dir))
        self.growth = GrowthScale(self.simulator, self.spec, setup.growth_scale)
        self.all_parameters = union(setup.parameter_sets, setup.order)

    def __call__(self, replicate: int) -> tuple[pd.DataFrame, list[dict]]:
        """Endpoints of replicate *replicate* at the table values and with each set's part of
        ``theta_r`` (column ``uncertainty``), and per set the values used with the growth scale
        (NaN where there is none)."""
        s = self.setup
        theta = draw_parameters(self.all_parameters, s.parameter_seed, replicate)
        tables = [self._trial(replicate, {}, sc.BASELINE_SOURCES)]
        rows = []
        for group in s.parameter_sets:
            label = parameter_label(group)
            values = {p.parameter_id: theta[p.parameter_id] for p in group}
            try:
                overrides = self.growth.overrides(values)
                tables.append(self._trial(replicate, overrides, label))
            except (InputError, RuntimeError):
                overrides = {**values, DOUBLING: np.nan}
                tables.append(tables[0].assign(**{tc.VALUE: np.nan, tc.LO: np.nan, tc.HI: np.nan, sc.UNCERTAINTY: label}))
            rows.append({tc.REPLICATE: replicate, sc.UNCERTAINTY: label,
                         DOUBLING: overrides.get(DOUBLING, self.growth.value), **values})
        return pd.concat(tables, ignore_index=True), rows

    def _trial(self, replicate: int, overrides: dict[str, float], label: str) -> pd.DataFrame:
        s = self.setup
        self.simulator.set_overrides(overrides)
        records = []
        for name in s.arms:
            arm = self.spec.arm(name)
            records += [simulate_patient(self.simulator, self.spec, arm, replicate, i, s.seed, s.horizon_weeks)
                        for i in range(s.patients or arm.n_patients)]
        patients, _ = assess(records, self.spec)
        return replicate_endpoints(patients, self.spec).assign(**{sc.UNCERTAINTY: label})


def _run_replicate(runner: UncertaintyRunner, replicate: int) -> tuple[pd.DataFrame, list[dict]]:
    return runner(replicate)


def simulate_replicates(setup: UncertaintySetup, replicates: Iterable[int], workers: int = 1,
                        progress: bool | str = "auto") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Replicate endpoints (:data:`~stat3qsp.trial_columns.ENDPOINT_COLUMNS` plus ``uncertainty``)
    and parameter draws (one row per replicate and set) of *replicates*; the same for any number of
    *workers* (processes of :class:`stat3qsp.batch.Batch`, each compiling the model once; 1 runs in
    this process) and any split of the replicates. *progress* as for the batch."""
    batch = Batch(setup, _run_replicate, workers, progress=progress, description="uncertainty replicates",
                  unit="replicates")
    results = batch.map(list(replicates))
    endpoints = pd.concat([r[0] for r in results], ignore_index=True)
    draws = pd.DataFrame([row for r in results for row in r[1]])
    return endpoints, draws


def interval_table(replicate_endpoints: pd.DataFrame, spec_path: str | Path, level: float = 0.90) -> pd.DataFrame:
    """Observed versus predicted per source of uncertainty: the trial stage's comparison table
    (:func:`stat3qsp.endpoints.comparison_table`) for each value of ``uncertainty``, stacked, with
    that column last; rows by endpoint, arm, then source."""
    spec = load_trial_spec(spec_path)
    tables = []
    for label, group in replicate_endpoints.groupby(sc.UNCERTAINTY, sort=False):
        replicates = group.drop(columns=[sc.UNCERTAINTY])
        summary = ep.prediction_summary(replicates, level)
        arms = set(group[tc.ARM])
        table = ep.comparison_table(summary, ep.observed_table(spec, arms), replicates)
        tables.append(table.assign(**{sc.UNCERTAINTY: label}))
    stacked = pd.concat(tables, ignore_index=True)
    endpoint_order = {name: i for i, name in enumerate(dict.fromkeys(stacked[tc.ENDPOINT]))}
    arm_order = {name: i for i, name in enumerate(dict.fromkeys(replicate_endpoints[tc.ARM]))}
    source_order = {name: i for i, name in enumerate(dict.fromkeys(replicate_endpoints[sc.UNCERTAINTY]))}
    keys = np.lexsort((stacked[sc.UNCERTAINTY].map(source_order), stacked[tc.ARM].map(arm_order),
                       stacked[tc.ENDPOINT].map(endpoint_order)))
    return stacked.iloc[keys].reset_index(drop=True)
