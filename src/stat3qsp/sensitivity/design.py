"""Global sensitivity analysis of model outputs: Morris screening, then Sobol indices (SALib).

**Factors.** Every row of ``models/parameters.tsv`` that the outputs' model can set is a factor,
except the rows :func:`held_parameters` holds (inputs, normalisations, doses, context definitions,
parameters of drugs no output involves, values the trial runner sets, the calibrated tumour scales).
A factor ranges over the table's bounds (for ``fitted`` rows: their 95% profile-likelihood interval;
for ``assumed`` rows: a plausible range), uniformly in ``log10(value)`` when the range spans more
than one decade with a lower bound > 0, else uniformly in value. Parameters a factor does not name
keep their table (or context) values.

**Morris** (Morris 1991, Technometrics 33:161; mu* of Campolongo, Cariboni & Saltelli 2007,
Environ Model Softw 22:1509). ``r`` trajectories of ``k + 1`` points on a ``p``-level grid of the
unit cube (``SALib.sample.morris``), each step changing one factor by ``Delta = p / (2 (p - 1))``.
Elementary effect of the step: ``EE_i = (y(x + Delta e_i) - y(x)) / Delta`` (signed by the
direction of the step): the change of the output over the factor's whole (log) range, extrapolated
linearly from a step of 2/3 of it. Per factor and
output: ``mu* = mean |EE_i|``, ``mu = mean EE_i``, ``sigma = sd EE_i`` (ddof 1), and the half-width
of a bootstrap 95% interval of ``mu*`` (``z_0.975`` times the sd of ``mu*`` over resamples), as
``SALib.analyze.morris`` computes them. A step whose ends are not both evaluable (the model cannot
give the output there, e.g. no plausible virtual patient) is left out, and ``n_effects`` counts the
rest; with complete outputs the indices equal SALib's.

**Sobol** (Sobol 2001, Math Comput Simul 55:271; Saltelli 2002, Comput Phys Commun 145:280;
estimators of Saltelli et al. 2010, Comput Phys Commun 181:259, as ``SALib.analyze.sobol``). For
the top factors of the Morris screen (:func:`top_factors`), ``N`` base samples of a scrambled Sobol'
sequence in ``2k`` dimensions, arranged as ``A, AB_1, ..., AB_k, B`` (``N (k + 2)`` points;
``SALib.sample.sobol``, no second order). ``S1_i = V[E(y | x_i)] / V(y)`` and
``ST_i = E[V(y | x_~i)] / V(y)``, with bootstrap 95% intervals. A base sample whose block has an
unevaluable point is left out (``n_base_samples``).

Evaluation (:func:`evaluate`) runs the samples on the batch engine (:mod:`stat3qsp.compute.batch`), in
worker processes that each compile the model once; every sample starts from the model's reset
state with its own values and fixed seeds, and results come back in sample order, so they are the
same for any number of workers.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Protocol, Sequence

import numpy as np
import pandas as pd
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample
from scipy import stats

from stat3qsp.sensitivity import columns as sc
from stat3qsp.compute.batch import Batch
from stat3qsp.model.catalog import Catalog
from stat3qsp.errors import InputError
from stat3qsp.model.parameters import Parameter
from stat3qsp.trial.regimen import RegimenMap
from stat3qsp.calibration.subgroup import FACTOR, SENSITIVITY, SHARE
from stat3qsp.trial.names import DOUBLING, KILL_SCALE, RATE_SCALE, UNTREATED_GROWTH_RATE

MORRIS_LEVELS = 4
"""Levels ``p`` of the Morris grid (step ``Delta = p / (2 (p - 1)) = 2/3`` of the range)."""
BOOTSTRAP_RESAMPLES = 1000
"""Bootstrap resamples of the confidence intervals."""
CONFIDENCE = 0.95
"""Level of the bootstrap confidence intervals."""
MORRIS_STREAM, SOBOL_STREAM, BOOTSTRAP_STREAM = 0, 1, 2
"""Random streams of the configured seed (:func:`stream`): Morris design, Sobol design, bootstrap."""


class OutputSetup(Protocol):
    """A picklable description of an output family; ``build()`` compiles the model (once per worker)."""

    def build(self) -> Callable[[dict[str, float]], dict[str, float]]: ...


@dataclass(frozen=True)
class Factor:
    """One varied parameter: its range and how the range is sampled (module docstring)."""

    parameter_id: str
    nominal: float
    low: float
    high: float
    source: str

    @property
    def scale(self) -> str:
        """:data:`~stat3qsp.sensitivity_columns.LOG` or :data:`~stat3qsp.sensitivity_columns.LINEAR`."""
        return sc.LOG if self.low > 0 and self.high > 10.0 * self.low else sc.LINEAR

    @property
    def bounds(self) -> tuple[float, float]:
        """Bounds in SALib's space: log10 of the range for a log factor, the range otherwise."""
        if self.scale == sc.LOG:
            return (math.log10(self.low), math.log10(self.high))
        return (self.low, self.high)

    def value(self, x: np.ndarray | float) -> np.ndarray | float:
        """Parameter value(s) of SALib coordinate(s) ``x``."""
        return 10.0 ** np.asarray(x) if self.scale == sc.LOG else np.asarray(x)

    def coordinate(self, value: np.ndarray | float) -> np.ndarray | float:
        """SALib coordinate(s) of parameter value(s)."""
        return np.log10(np.asarray(value)) if self.scale == sc.LOG else np.asarray(value)


def stream(seed: int, index: int) -> np.random.Generator:
    """Generator of stream *index* of *seed*: ``SeedSequence(seed, spawn_key=(index,))``."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(index,)))


# -- factors -------------------------------------------------------------------------------------
def drug_prefix(catalog: Catalog, drug: str) -> str:
    """Prefix of a drug's parameters: that of its concentration parameter (``rux_`` of ``rux_conc``)."""
    return catalog.drug(drug).concentration_parameter.split("_", 1)[0] + "_"


def held_parameters(catalog: Catalog, regimens: RegimenMap, contexts: Iterable[str], drugs: Iterable[str],
                    declared: Iterable[str] = ()) -> dict[str, str]:
    """Parameters that are not factors, with the reason (module docstring).

    Parameters
    ----------
    catalog, regimens
        The model catalog and the regimen map of the patient model.
    contexts
        Contexts the outputs are computed in: the values they set define them.
    drugs
        Drugs the outputs involve: parameters of the other drugs (by prefix) cannot change them.
    declared
        Further parameters held at their values (config ``sensitivity.fixed``).
    """
    held: dict[str, str] = {}
    drugs = set(drugs)
    for name, drug in catalog.drugs.items():
        held[drug.concentration_parameter] = "drug concentration (an input)"
        if name not in drugs:
            held[drug_prefix(catalog, name)] = f"parameter of {name}, which no output involves"
    for pid in regimens.parameter_ids():
        held[pid] = "dose, dosing interval or target clamp (set by the trial spec)"
    for context in contexts:
        for pid in catalog.context(context).parameters:
            held[pid] = f"set by context {context} (defines it, models/catalog.yaml)"
    held[UNTREATED_GROWTH_RATE] = "set per patient by the trial runner (untreated steady state)"
    held[RATE_SCALE] = "set per patient from its drawn doubling time (ln 2 / (3 g0 D), stat3qsp.trial.doubling)"
    held[DOUBLING] = "calibrated on the EGF104900 lapatinib arm (config growth_scale: fixed or rescaled)"
    held[KILL_SCALE] = "calibrated on the first-line trastuzumab ORR (Vogel 2002); kept at its value"
    held[SENSITIVITY] = "drawn per patient (sensitive subgroup of trastuzumab-resistant disease, models/population.yaml)"
    for pid in (SHARE, FACTOR):
        held[pid] = "calibrated on the EGF104900 lapatinib arm's ORR and CBR; kept at its value"
    for pid in declared:
        held[pid] = "declared fixed (config sensitivity.fixed)"
    return held


def factors_table(table: dict[str, Parameter], settable: Iterable[str], held: dict[str, str]) -> pd.DataFrame:
    """Every parameter the model can set: the factors (``held_because`` empty) and the held rows.

    A prefix key of *held* (ending in ``_``, from :func:`held_parameters`) holds every id it starts.
    """
    settable = set(settable)
    unknown = sorted(p for p in held if not p.endswith("_") and p not in table)
    if unknown:
        raise InputError(f"held parameter(s) {unknown} have no row in the parameter table; accepted: its parameterIds")
    rows = []
    for pid, row in table.items():
        if pid not in settable:
            continue
        reason = held.get(pid) or next((why for key, why in held.items() if key.endswith("_") and pid.startswith(key)), "")
        if not reason and row.lower_bound == row.upper_bound:
            reason = "lowerBound = upperBound (a normalisation or constant)"
        factor = Factor(pid, row.value, row.lower_bound, row.upper_bound, row.source)
        rows.append({sc.FACTOR: pid, sc.NOMINAL: row.value, sc.LOW: row.lower_bound, sc.HIGH: row.upper_bound,
                     sc.SCALE: factor.scale, sc.SOURCE: row.source, sc.HELD: reason})
    return pd.DataFrame(rows, columns=[sc.FACTOR, sc.NOMINAL, sc.LOW, sc.HIGH, sc.SCALE, sc.SOURCE, sc.HELD])


def factors_from_table(factors: pd.DataFrame, names: Sequence[str] | None = None) -> list[Factor]:
    """The factors of a factors table (rows not held), optionally only *names* (in that order)."""
    free = factors[factors[sc.HELD].fillna("") == ""].set_index(sc.FACTOR)
    names = list(free.index) if names is None else list(names)
    missing = sorted(set(names) - set(free.index))
    if missing:
        raise InputError(f"factor(s) {missing} are not factors of this analysis; accepted: {', '.join(free.index)}")
    return [Factor(n, float(free.at[n, sc.NOMINAL]), float(free.at[n, sc.LOW]), float(free.at[n, sc.HIGH]),
                   str(free.at[n, sc.SOURCE])) for n in names]


def salib_problem(factors: Sequence[Factor]) -> dict[str, Any]:
    """SALib problem: names and bounds in SALib's space (log10 for log factors)."""
    return {"num_vars": len(factors), "names": [f.parameter_id for f in factors],
            "bounds": [list(f.bounds) for f in factors]}


# -- designs -------------------------------------------------------------------------------------
def _design_table(factors: Sequence[Factor], x: np.ndarray) -> pd.DataFrame:
    table = pd.DataFrame({f.parameter_id: f.value(x[:, i]) for i, f in enumerate(factors)})
    table.insert(0, sc.SAMPLE, np.arange(len(table)))
    return table


def coordinates(design: pd.DataFrame, factors: Sequence[Factor]) -> np.ndarray:
    """SALib coordinates of a design table (inverse of the value transform)."""
    return np.column_stack([f.coordinate(design[f.parameter_id].to_numpy(float)) for f in factors])


def morris_design(factors: Sequence[Factor], trajectories: int, rng: np.random.Generator,
                  levels: int = MORRIS_LEVELS) -> pd.DataFrame:
    """Morris trajectories (``trajectories * (k + 1)`` samples) as parameter values."""
    if trajectories < 2:
        raise InputError(f"trajectories = {trajectories!r}; accepted: an integer >= 2")
    x = morris_sample.sample(salib_problem(factors), trajectories, num_levels=levels, seed=rng)
    return _design_table(factors, x)


def sobol_design(factors: Sequence[Factor], base_samples: int, rng: np.random.Generator) -> pd.DataFrame:
    """Saltelli design (``N (k + 2)`` samples, no second order) as parameter values."""
    if base_samples < 2 or base_samples & (base_samples - 1):
        raise InputError(f"sobol base samples = {base_samples!r}; accepted: a power of 2 >= 2")
    x = sobol_sample.sample(salib_problem(factors), base_samples, calc_second_order=False, seed=rng)
    return _design_table(factors, x)


def design_values(design: pd.DataFrame) -> list[tuple[int, dict[str, float]]]:
    """``(sample, {parameter: value})`` of every row of a design table."""
    names = [c for c in design.columns if c != sc.SAMPLE]
    return [(int(row[0]), dict(zip(names, map(float, row[1:])))) for row in design[[sc.SAMPLE, *names]].itertuples(index=False)]


# -- evaluation ----------------------------------------------------------------------------------
def _evaluate_one(evaluator: Any, item: tuple[int, dict[str, float]]) -> list[tuple[int, str, float, str]]:
    sample, values = item
    try:
        outputs = evaluator(values)
        return [(sample, name, float(value), "") for name, value in outputs.items()]
    except (InputError, RuntimeError) as error:
        message = str(error).splitlines()[0][:300]
        return [(sample, name, np.nan, message) for name in evaluator.outputs]


def evaluate(setup: OutputSetup, design: pd.DataFrame, workers: int = 1,
             progress: bool | str = "auto") -> pd.DataFrame:
    """Outputs of every sample of a design (columns ``sample, output, value, error``).

    The samples run on the batch engine (:class:`stat3qsp.batch.Batch`: ``setup.build()`` once per
    worker process, *workers* processes, 1 in this one; *progress* as there). A sample whose
    outputs the model cannot give (:class:`~stat3qsp.errors.InputError` or ``RuntimeError``, e.g.
    no plausible virtual patient) gets NaN and the first line of the message.
    """
    batch = Batch(setup, _evaluate_one, workers, progress=progress, description="sensitivity samples",
                  unit="samples", failed=lambda rows: any(row[3] for row in rows))
    rows = batch.map(design_values(design))
    return pd.DataFrame([r for chunk in rows for r in chunk], columns=[sc.SAMPLE, sc.OUTPUT, sc.VALUE, sc.ERROR])


def output_matrix(outputs: pd.DataFrame, samples: int) -> pd.DataFrame:
    """Outputs as a ``samples x outputs`` table (rows in sample order; NaN where missing)."""
    wide = outputs.pivot(index=sc.SAMPLE, columns=sc.OUTPUT, values=sc.VALUE)
    names = list(dict.fromkeys(outputs[sc.OUTPUT]))
    return wide.reindex(index=range(samples), columns=names)


# -- analyses ------------------------------------------------------------------------------------
def elementary_effects(x: np.ndarray, y: np.ndarray, levels: int = MORRIS_LEVELS) -> list[np.ndarray]:
    """Elementary effects of every factor from Morris trajectories (module docstring).

    Parameters
    ----------
    x
        ``(r (k + 1), k)`` SALib coordinates of the trajectories, in design order.
    y
        Output of each row (NaN: not evaluable).

    Returns
    -------
    list of numpy.ndarray
        Per factor, the effects of the steps with both ends evaluable.
    """
    n, k = x.shape
    if n % (k + 1):
        raise InputError(f"{n} samples are not whole trajectories of {k + 1} points")
    delta = levels / (2.0 * (levels - 1))
    effects: list[list[float]] = [[] for _ in range(k)]
    for start in range(0, n, k + 1):
        for j in range(start, start + k):
            step = x[j + 1] - x[j]
            moved = np.flatnonzero(step != 0)
            if moved.size != 1:
                raise InputError(f"samples {j} and {j + 1} differ in {moved.size} factors; accepted: Morris trajectories")
            if np.isfinite(y[j]) and np.isfinite(y[j + 1]):
                effects[moved[0]].append((y[j + 1] - y[j]) * np.sign(step[moved[0]]) / delta)
    return [np.asarray(e, dtype=float) for e in effects]


def morris_indices(factors: Sequence[Factor], design: pd.DataFrame, outputs: pd.DataFrame, rng: np.random.Generator,
                   levels: int = MORRIS_LEVELS, resamples: int = BOOTSTRAP_RESAMPLES) -> pd.DataFrame:
    """Morris mu*, its confidence half-width, mu and sigma per output and factor, ranked by mu*."""
    x = coordinates(design.sort_values(sc.SAMPLE), factors)
    wide = output_matrix(outputs, len(x))
    z = stats.norm.ppf(0.5 + CONFIDENCE / 2)
    rows = []
    for name in wide.columns:
        for factor, ee in zip(factors, elementary_effects(x, wide[name].to_numpy(float), levels)):
            if ee.size:
                boot = np.abs(ee[rng.integers(0, ee.size, size=(resamples, ee.size))]).mean(axis=1)
                conf = z * boot.std(ddof=1)
            rows.append({sc.OUTPUT: name, sc.FACTOR: factor.parameter_id,
                         sc.MU_STAR: np.abs(ee).mean() if ee.size else np.nan, sc.MU_STAR_CONF: conf if ee.size else np.nan,
                         sc.MU: ee.mean() if ee.size else np.nan, sc.SIGMA: ee.std(ddof=1) if ee.size > 1 else np.nan,
                         sc.N_EFFECTS: ee.size})
    return _ranked(pd.DataFrame(rows), sc.MU_STAR)


def sobol_indices(factors: Sequence[Factor], outputs: pd.DataFrame, base_samples: int, rng: np.random.Generator,
                  resamples: int = BOOTSTRAP_RESAMPLES) -> pd.DataFrame:
    """First- and total-order Sobol indices with bootstrap half-widths per output, ranked by ST."""
    k = len(factors)
    wide = output_matrix(outputs, base_samples * (k + 2))
    problem = salib_problem(factors)
    rows = []
    for name in wide.columns:
        blocks = wide[name].to_numpy(float).reshape(base_samples, k + 2)
        complete = blocks[np.all(np.isfinite(blocks), axis=1)]
        result = None
        if len(complete) >= 2 and np.var(complete) > 0:
            result = sobol_analyze.analyze(problem, complete.ravel(), calc_second_order=False,
                                           num_resamples=resamples, conf_level=CONFIDENCE, seed=rng)
        for i, factor in enumerate(factors):
            values = {key: float(result[key][i]) if result is not None else np.nan for key in ("S1", "S1_conf", "ST", "ST_conf")}
            rows.append({sc.OUTPUT: name, sc.FACTOR: factor.parameter_id, sc.S1: values["S1"],
                         sc.S1_CONF: values["S1_conf"], sc.ST: values["ST"], sc.ST_CONF: values["ST_conf"],
                         sc.N_BASE_SAMPLES: len(complete)})
    return _ranked(pd.DataFrame(rows), sc.ST)


def _ranked(table: pd.DataFrame, by: str) -> pd.DataFrame:
    table[sc.RANK] = table.groupby(sc.OUTPUT, sort=False)[by].rank(ascending=False, method="first", na_option="bottom").astype(int)
    order = {name: i for i, name in enumerate(dict.fromkeys(table[sc.OUTPUT]))}
    return table.sort_values([sc.OUTPUT, sc.RANK], key=lambda c: c.map(order) if c.name == sc.OUTPUT else c,
                             kind="stable").reset_index(drop=True)


def top_factors(morris: pd.DataFrame, count: int) -> list[str]:
    """The *count* factors with the largest normalised mu* (mu* over the output's largest mu*) for
    any output; outputs whose effects are all 0 or NaN do not vote. Ties keep the order of *morris*."""
    scores: dict[str, float] = dict.fromkeys(morris[sc.FACTOR], 0.0)
    for _, group in morris.groupby(sc.OUTPUT, sort=False):
        largest = group[sc.MU_STAR].max()
        if not np.isfinite(largest) or largest <= 0:
            continue
        for factor, mu_star in zip(group[sc.FACTOR], group[sc.MU_STAR].fillna(0.0) / largest):
            scores[factor] = max(scores[factor], float(mu_star))
    ranked = sorted(scores, key=lambda f: -scores[f])
    return ranked[:count]


def _finite(values: pd.Series) -> np.ndarray:
    values = values.to_numpy(float)
    return values[np.isfinite(values)]


def noise_table(repeats: pd.DataFrame, design_outputs: pd.DataFrame) -> pd.DataFrame:
    """Monte Carlo noise of each output (its sd over nominal repeats with other patients) against
    its sd over the Morris design; non-finite values (NaN, a median not reached) are left out."""
    rows = []
    for name, group in repeats.groupby(sc.OUTPUT, sort=False):
        values = _finite(group[sc.VALUE])
        design = _finite(design_outputs.loc[design_outputs[sc.OUTPUT] == name, sc.VALUE])
        design_sd = float(np.std(design, ddof=1)) if design.size > 1 else np.nan
        noise_sd = float(np.std(values, ddof=1)) if values.size > 1 else np.nan
        rows.append({sc.OUTPUT: name, sc.NOMINAL_MEAN: float(values.mean()) if values.size else np.nan,
                     sc.NOISE_SD: noise_sd, sc.DESIGN_SD: design_sd,
                     sc.NOISE_RATIO: noise_sd / design_sd if design_sd > 0 else np.nan, sc.REPEATS: values.size})
    return pd.DataFrame(rows, columns=[sc.OUTPUT, sc.NOMINAL_MEAN, sc.NOISE_SD, sc.DESIGN_SD, sc.NOISE_RATIO, sc.REPEATS])
