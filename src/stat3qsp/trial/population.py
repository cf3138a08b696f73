"""Virtual patients: between-patient distributions, plausibility rules and random streams.

The distributions and the accepted ranges are data (``models/population.yaml``); this module reads
them, draws candidates and decides whether a candidate is a plausible patient (Allen, Rieger &
Musante 2016, CPT Pharmacometrics Syst Pharmacol 5:140, DOI:10.1002/psp4.12063: sample plausible
patients, reject the implausible ones).

Distributions, centred on the parameter's value in the arm's context (``c``):

- lognormal: ``x = c * exp(s z)``, ``s = sqrt(ln(1 + cv^2))``, ``z ~ N(0, 1)``; median ``c``;
- logitnormal: ``x = expit(logit(c) + sd z)``; median ``c``;
- bernoulli: ``x = 1`` if ``Phi(z) < c`` else ``0``: a binary covariate (HR status, a mutation) whose
  centre ``c`` is the probability of 1 (the prevalence);
- lognormal_mixture: a share ``w`` (``indolent_share``) of patients in an indolent subgroup whose
  median is ``f c`` (``indolent_factor`` f < 1), the others with median ``c``, both log-normal with
  the same ``cv``: ``F(x) = w Phi((ln x - ln(f c)) / s) + (1 - w) Phi((ln x - ln c) / s)``, drawn by
  inversion, ``x = F^-1(Phi(z))``, so ``x`` increases with ``z`` and is ``c`` times a function of
  ``z`` (a heavy lower tail; a patient's value scales with the centre, as for lognormal);
- subgroup_mixture: the same mixture with the subgroup's share ``w`` and factor ``f`` (any ``f > 0``,
  e.g. a drug-sensitive subgroup with ``f > 1``) read from the values of two parameters of the
  patient's context (``share``, ``factor``: parameter ids, e.g. calibrated ones), so that a
  calibration can move them; with ``contexts`` it applies in those contexts only, elsewhere every
  patient has the centre's value (a subgroup defined in one disease setting). With ``f > 1`` and a
  small ``cv`` the subgroup is the upper ``w`` of ``Phi(z)``; :func:`subgroup_values` evaluates it
  for many ``Phi(z)`` at once (the calibration's post-simulation fit of ``w`` and ``f``);
- doubling_time: the untreated volume doubling time (days), log-normal with median ``c`` and log-SD
  ``log_sd``, truncated to ``acceptance.untreated_volume_doubling_days`` by inversion of the truncated CDF
  at ``Phi(z)`` (increasing in ``z``); the patient's ``tumour_rate_scale`` follows from it and the
  candidate's ``g0`` (:mod:`stat3qsp.trial.doubling`; :meth:`~stat3qsp.trial.patient.PatientSimulator.draw_patient`).

Each candidate is one vector ``z`` of standard normal deviates, one per parameter in file order,
so the same virtual patient (same ``z``) can be placed in contexts with different centres. Where
``correlations`` are given (pairs with a correlation ``rho`` of their deviates), ``z = L u`` with
``u ~ N(0, I)`` and ``L`` the Cholesky factor of the correlation matrix; the marginals stay as
above. Without them the deviates are independent. The parameters listed under ``separate_stream`` (the
last ones in file order; a hypothesis's covariates, :mod:`stat3qsp.model.hypotheses`) take their deviates
from a stream of their own (spawned from the patient's biology stream): adding them leaves every other
parameter's deviates, and so the candidates, unchanged (common random numbers across hypotheses).

Informative early discontinuation (``informative_dropout``): a patient leaves before the first scan
with probability ``expit(a + b z_g)``, ``z_g`` the patient's growth deviate (minus the deviate of its
drawn doubling time, :meth:`ParameterDistribution.deviate`: high for fast growers) and ``b`` the log-odds
per standard deviation, ``a`` set so that the mean over the accepted patients' ``z_g`` is the spec's
fraction (:func:`dropout_probability`, :mod:`stat3qsp.trial.dropout`): clinical progression takes the
fast growers first (``b = 0``: leaving independent of the tumour).

Random streams: every patient has its own streams, ``np.random.SeedSequence(seed,
spawn_key=(replicate, patient, stream))`` (the same as ``SeedSequence(seed).spawn(...)`` nested
three times), so results do not depend on how patients are shared out between workers. Stream
:data:`BIOLOGY_STREAM` draws body weight and the candidates; :data:`CONDUCT_STREAM` draws the trial
conduct (measurable disease, early discontinuation, scan times).
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from scipy.optimize import brentq
# ndtr and ndtri are what scipy.stats.norm.cdf and .ppf compute, without their per-call overhead (about 60 us,
# 500 times the function: the mixture quantile evaluates its CDF some 80 times per patient).
from scipy.special import ndtr, ndtri

from stat3qsp.model.catalog import DEFAULT_MODELS_DIR
from stat3qsp.errors import InputError
from stat3qsp.io.yamlfiles import read_yaml
from stat3qsp.model.parameters import Parameter
from stat3qsp.trial.doubling import doubling_days, doubling_deviate
from stat3qsp.trial.mixture import mixture_cdf as _mixture_cdf
from stat3qsp.trial.mixture import mixture_log_quantile as _mixture_log_quantile
from stat3qsp.trial.mixture import subgroup_entry as _subgroup_entry
from stat3qsp.trial.names import HOURS_PER_DAY

BIOLOGY_STREAM = 0
"""Index of the per-patient stream for body weight and candidate parameters."""
CONDUCT_STREAM = 1
"""Index of the per-patient stream for measurable disease, early discontinuation and scan times."""
DISTRIBUTIONS = ("lognormal", "logitnormal", "lognormal_mixture", "bernoulli", "subgroup_mixture", "doubling_time")
"""Accepted distribution names."""


@dataclass(frozen=True)
class ParameterDistribution:
    """Between-patient distribution of one model parameter (see the module docstring)."""

    parameter_id: str
    distribution: str
    spread: float
    source: str
    indolent_share: float = 0.0
    indolent_factor: float = 1.0
    share_id: str = ""
    factor_id: str = ""
    contexts: tuple[str, ...] = ()
    window: tuple[float, float] = (0.0, math.inf)
    """The truncation window of a ``doubling_time`` (days; the acceptance window)."""

    def applies(self, context: str | None) -> bool:
        """Whether the parameter varies in *context* (a ``subgroup_mixture`` with ``contexts`` only there)."""
        return not self.contexts or context is None or context in self.contexts

    def subgroup(self, centres: dict[str, float] | None) -> tuple[float, float]:
        """``(share, factor)`` of the mixture: fixed, or a ``subgroup_mixture``'s from *centres* (a context's
        values; without the two parameters there: share 0, no subgroup)."""
        if self.distribution != "subgroup_mixture":
            return self.indolent_share, self.indolent_factor
        centres = centres or {}
        return float(centres.get(self.share_id, 0.0)), float(centres.get(self.factor_id, 1.0))

    def value(self, centre: float, z: float, centres: dict[str, float] | None = None) -> float:
        """The parameter value for a standard normal deviate ``z`` around ``centre`` (*centres*: the
        context's values, for a ``subgroup_mixture``)."""
        if self.distribution == "lognormal":
            return centre * math.exp(self._log_sd * z)
        if self.distribution in ("lognormal_mixture", "subgroup_mixture"):
            share, factor = self.subgroup(centres)
            return centre * math.exp(_mixture_log_quantile(float(ndtr(z)), self._log_sd, share, factor))
        if self.distribution == "bernoulli":
            return 1.0 if float(ndtr(z)) < centre else 0.0
        if self.distribution == "doubling_time":
            return doubling_days(centre, self.spread, self.window, z)
        logit = math.log(centre / (1.0 - centre)) + self.spread * z
        return 1.0 / (1.0 + math.exp(-logit))

    def deviate(self, centre: float, x: float, centres: dict[str, float] | None = None) -> float:
        """The standard normal deviate ``z`` whose value around ``centre`` is ``x`` (inverse of
        :meth:`value`)."""
        if self.distribution == "lognormal":
            return math.log(x / centre) / self._log_sd
        if self.distribution in ("lognormal_mixture", "subgroup_mixture"):
            share, factor = self.subgroup(centres)
            cdf = _mixture_cdf(math.log(x / centre), self._log_sd, share, factor)
            return float(ndtri(np.clip(cdf, 1e-300, 1 - 1e-16)))
        if self.distribution == "bernoulli":  # not invertible: the median deviate of x's class
            return float(ndtri(centre / 2 if x >= 0.5 else (1 + centre) / 2))
        if self.distribution == "doubling_time":
            return doubling_deviate(centre, self.spread, self.window, x)
        return (math.log(x / (1.0 - x)) - math.log(centre / (1.0 - centre))) / self.spread

    @property
    def _log_sd(self) -> float:
        return math.sqrt(math.log1p(self.spread ** 2))


@dataclass(frozen=True)
class Acceptance:
    """Plausible-patient rules: ranges of the untreated volume doubling time and of baseline SLD."""

    max_draws: int
    doubling_days: tuple[float, float]
    baseline_sld_mm: tuple[float, float]


@dataclass(frozen=True)
class PopulationModel:
    """Everything ``models/population.yaml`` says: distributions, acceptance, scan window, the
    Cholesky factor of the deviates' correlations (None: independent) and the informative-dropout
    slope ``b`` (log-odds per standard deviation of the growth deviate; 0: independent dropout)."""

    distributions: tuple[ParameterDistribution, ...]
    acceptance: Acceptance
    scan_window_weeks: tuple[float, float]
    cholesky: np.ndarray | None = None
    dropout_growth_log_odds: float = 0.0
    separate: tuple[str, ...] = ()

    def deviate_source(self, rng: np.random.Generator):
        """A function that gives the deviates ``u`` of one candidate after another from a patient's stream
        *rng* (module docstring: the ``separate`` parameters' from a stream spawned from it)."""
        n, own = len(self.distributions), len(self.separate)
        if not own:
            return lambda: rng.standard_normal(n)
        child = rng.spawn(1)[0]
        return lambda: np.concatenate([rng.standard_normal(n - own), child.standard_normal(own)])

    def distribution(self, parameter_id: str) -> ParameterDistribution:
        """The distribution of *parameter_id*; InputError if it does not vary between patients."""
        for d in self.distributions:
            if d.parameter_id == parameter_id:
                return d
        raise InputError(f"{parameter_id!r} has no distribution in the population file; accepted: one of "
                         f"{', '.join(self.parameter_ids)}")

    @property
    def parameter_ids(self) -> tuple[str, ...]:
        """Ids of the parameters that vary between patients, in draw order."""
        return tuple(d.parameter_id for d in self.distributions)


def read_population(path: Path | str = DEFAULT_MODELS_DIR / "population.yaml",
                    table: dict[str, Parameter] | None = None) -> PopulationModel:
    """Read and check ``population.yaml``.

    Parameters
    ----------
    path
        The population file.
    table
        The parameter table; if given, every distributed parameter must have a row, and logit-normal
        parameters must be fractions.

    Raises
    ------
    InputError
        Naming the key and value, for an unknown distribution, a spread that is not > 0, a parameter
        without a row, a missing source or an empty or reversed range.
    """
    path = Path(path)
    raw = read_yaml(path, "population file") or {}
    accepted = {"parameters", "acceptance", "scan_window_weeks"}
    optional = {"correlations", "informative_dropout", "separate_stream"}
    if not isinstance(raw, dict) or not accepted <= set(raw) <= accepted | optional:
        raise InputError(f"{path}: top-level keys {sorted(raw) if isinstance(raw, dict) else raw!r}; accepted: "
                         f"{sorted(accepted)} and optionally {sorted(optional)}")
    distributions = []
    for pid, entry in (raw["parameters"] or {}).items():
        where = f"{path}: parameters.{pid}"
        kind = entry.get("distribution")
        if kind not in DISTRIBUTIONS:
            raise InputError(f"{where}.distribution = {kind!r}; accepted: one of {', '.join(DISTRIBUTIONS)}")
        key = {"logitnormal": "sd", "doubling_time": "log_sd"}.get(kind, "cv")
        spread = 1.0 if kind == "bernoulli" else entry.get(key)
        if not isinstance(spread, (int, float)) or not spread > 0:
            raise InputError(f"{where}.{key} = {spread!r}; accepted: a number > 0")
        if not str(entry.get("source", "")).strip():
            raise InputError(f"{where}.source is missing; accepted: a citation or 'assumed: <why>'")
        if table is not None:
            if pid not in table:
                raise InputError(f"{where}: no row in the parameter table; accepted: one of its parameterIds")
            if kind in ("logitnormal", "bernoulli") and not (0 <= table[pid].lower_bound and table[pid].upper_bound <= 1):
                raise InputError(f"{where}: {kind} needs a fraction (bounds within [0, 1])")
        mixture = {}
        if kind == "lognormal_mixture":
            share, factor = entry.get("indolent_share"), entry.get("indolent_factor")
            if not isinstance(share, (int, float)) or not 0 <= share < 1:
                raise InputError(f"{where}.indolent_share = {share!r}; accepted: a fraction in [0, 1)")
            if not isinstance(factor, (int, float)) or not 0 < factor <= 1:
                raise InputError(f"{where}.indolent_factor = {factor!r}; accepted: a number in (0, 1]")
            mixture = {"indolent_share": float(share), "indolent_factor": float(factor)}
        if kind == "subgroup_mixture":
            mixture = _subgroup_entry(entry, where, table)
        distributions.append(ParameterDistribution(pid, kind, float(spread), str(entry["source"]), **mixture))
    rules = raw["acceptance"] or {}
    acceptance = Acceptance(
        max_draws=_count(rules.get("max_draws"), f"{path}: acceptance.max_draws"),
        doubling_days=_range(rules.get("untreated_volume_doubling_days"), f"{path}: acceptance.untreated_volume_doubling_days"),
        baseline_sld_mm=_range(rules.get("tumour_SLD_baseline"), f"{path}: acceptance.tumour_SLD_baseline"),
    )
    # a doubling_time is truncated to the acceptance window
    distributions = [replace(d, window=acceptance.doubling_days) if d.distribution == "doubling_time" else d
                     for d in distributions]
    window = _range(raw["scan_window_weeks"], f"{path}: scan_window_weeks", allow_negative=True)
    ids = [d.parameter_id for d in distributions]
    cholesky = _cholesky(raw.get("correlations") or [], ids, f"{path}: correlations")
    dropout = raw.get("informative_dropout") or {"growth_log_odds_per_sd": 0.0, "source": "independent"}
    slope = dropout.get("growth_log_odds_per_sd")
    if not isinstance(slope, (int, float)) or not math.isfinite(slope) or not str(dropout.get("source", "")).strip():
        raise InputError(f"{path}: informative_dropout = {dropout!r}; accepted: growth_log_odds_per_sd (a number) "
                         "and source")
    separate = tuple(raw.get("separate_stream") or ())
    if separate and list(separate) != ids[len(ids) - len(separate):]:
        raise InputError(f"{path}: separate_stream = {list(separate)!r}; accepted: the last distributed parameters, "
                         "in file order")
    return PopulationModel(tuple(distributions), acceptance, window, cholesky, float(slope), separate)


def _cholesky(pairs: list, ids: list[str], where: str) -> np.ndarray | None:
    """Cholesky factor of the deviates' correlation matrix from ``[{between: [a, b], rho, source}]``."""
    if not pairs:
        return None
    matrix = np.eye(len(ids))
    for i, pair in enumerate(pairs):
        names = pair.get("between") if isinstance(pair, dict) else None
        rho = pair.get("rho") if isinstance(pair, dict) else None
        if (not isinstance(names, list) or len(names) != 2 or not set(names) <= set(ids) or names[0] == names[1]
                or not isinstance(rho, (int, float)) or not -1 < rho < 1 or not str(pair.get("source", "")).strip()):
            raise InputError(f"{where}[{i}] = {pair!r}; accepted: between (two distributed parameters), rho in (-1, 1) "
                             "and source")
        a, b = ids.index(names[0]), ids.index(names[1])
        matrix[a, b] = matrix[b, a] = float(rho)
    try:
        return np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        raise InputError(f"{where}: the correlations do not form a positive-definite matrix; accepted: a valid "
                         "correlation structure") from None


def dropout_probability(fraction: float, slope: float, z: float, intercept: float | None = None) -> float:
    """Probability of leaving before the first scan for growth deviate *z* (module docstring):
    ``expit(a + slope z)``, ``a`` = *intercept*, or if None such that the mean over ``z ~ N(0, 1)`` is
    *fraction* (Gauss-Hermite quadrature, 40 nodes). The trial runner passes the intercept solved on
    the accepted patients' deviates (:func:`stat3qsp.trial.dropout.accepted_intercept`)."""
    if slope == 0 or fraction in (0.0, 1.0):
        return fraction
    a = _dropout_intercept(fraction, slope) if intercept is None else intercept
    return float(_expit(a + slope * z))


@functools.lru_cache(maxsize=64)
def _dropout_intercept(fraction: float, slope: float) -> float:
    nodes, weights = np.polynomial.hermite_e.hermegauss(40)
    weights = weights / weights.sum()

    def mean(a: float) -> float:
        return float(np.sum(weights * _expit(a + slope * nodes))) - fraction
    return float(brentq(mean, -50.0, 50.0, xtol=1e-12))


def _expit(x):
    return 1.0 / (1.0 + np.exp(-x))


def patient_generator(seed: int, replicate: int, patient: int, stream: int) -> np.random.Generator:
    """The random stream ``stream`` of one patient (module docstring)."""
    if seed < 0:
        raise InputError(f"seed = {seed!r}; accepted: an integer >= 0")
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(replicate, patient, stream)))


def candidate_values(population: PopulationModel, centres: dict[str, float], z: np.ndarray,
                     covariates: dict[str, float] | None = None, context: str | None = None) -> dict[str, float]:
    """Parameter values of one candidate from its independent deviates ``z`` (one per distributed
    parameter), correlated by the population's Cholesky factor where it has one.

    *covariates* (optional, a dict kept across the candidates of one patient) holds the binary
    (``bernoulli``) covariates: the first candidate fills it, later candidates keep its values, so that
    redrawing implausible candidates does not change the prevalence of a covariate (HR status).
    *context* (the patient's; None: every distribution applies) leaves a distribution restricted to other
    contexts at its centre.
    """
    if population.cholesky is not None:
        z = population.cholesky @ np.asarray(z, dtype=float)
    values = {d.parameter_id: d.value(centres[d.parameter_id], float(zi), centres) if d.applies(context)
              else centres[d.parameter_id] for d, zi in zip(population.distributions, z)}
    if covariates is not None:
        binary = {d.parameter_id for d in population.distributions if d.distribution == "bernoulli"}
        covariates.update({pid: values[pid] for pid in binary if pid not in covariates})
        values.update(covariates)
    return values


def within_bounds(values: dict[str, float], table: dict[str, Parameter]) -> bool:
    """True if every value lies within its parameter-table bounds."""
    return all(table[pid].lower_bound <= v <= table[pid].upper_bound for pid, v in values.items())


def volume_doubling_days(rate_scale: float, untreated_growth_rate_per_h: float) -> float:
    """Untreated tumour volume doubling time (days): ``ln 2 / (3 * scale * g0)``, ``inf`` if ``g0 <= 0``.

    The SLD grows at ``scale * g0`` per hour (``models/tumour/sld.ant``); a volume grows three times as
    fast as a diameter.
    """
    rate = 3.0 * rate_scale * untreated_growth_rate_per_h
    return math.log(2.0) / rate / HOURS_PER_DAY if rate > 0 else math.inf


def is_plausible(values: dict[str, float], untreated_growth_rate_per_h: float, acceptance: Acceptance,
                 rate_scale_id: str = "tumour_rate_scale", baseline_id: str = "tumour_SLD_baseline") -> bool:
    """Whether a candidate passes the acceptance rules of ``population.yaml``.

    ``untreated_growth_rate_per_h`` is the candidate's untreated steady-state ``net_growth_rate``.
    """
    doubling = volume_doubling_days(values[rate_scale_id], untreated_growth_rate_per_h)
    low, high = acceptance.doubling_days
    sld_low, sld_high = acceptance.baseline_sld_mm
    return low <= doubling <= high and sld_low <= values[baseline_id] <= sld_high


def _range(entry, where: str, allow_negative: bool = False) -> tuple[float, float]:
    if not isinstance(entry, dict) or not {"min", "max"} <= set(entry):
        raise InputError(f"{where} = {entry!r}; accepted: a mapping with min, max and source")
    low, high = entry["min"], entry["max"]
    if not all(isinstance(x, (int, float)) and math.isfinite(x) for x in (low, high)) or low > high or (
            not allow_negative and low < 0):
        raise InputError(f"{where}: min = {low!r}, max = {high!r}; accepted: finite numbers with "
                         f"{'' if allow_negative else '0 <= '}min <= max")
    if not str(entry.get("source", "")).strip():
        raise InputError(f"{where}.source is missing; accepted: a citation or 'assumed: <why>'")
    return float(low), float(high)


def _count(value, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InputError(f"{where} = {value!r}; accepted: an integer >= 1")
    return value
