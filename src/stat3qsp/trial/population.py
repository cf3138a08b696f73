"""Virtual patients: between-patient distributions, plausibility rules and random streams.

The distributions and the accepted ranges are data (``models/population.yaml``); this module reads
them, draws candidates and decides whether a candidate is a plausible patient (Allen, Rieger &
Musante 2016, CPT Pharmacometrics Syst Pharmacol 5:140, DOI:10.1002/psp4.12063: sample plausible
patients, reject the implausible ones).

Distributions, centred on the parameter's value in the arm's context (``c``):

- lognormal: ``x = c * exp(s z)``, ``s = sqrt(ln(1 + cv^2))``, ``z ~ N(0, 1)``; median ``c``;
- logitnormal: ``x = expit(logit(c) + sd z)``; median ``c``.

Each candidate is one vector ``z`` of standard normal deviates, one per parameter in file order,
so the same virtual patient (same ``z``) can be placed in contexts with different centres.

Random streams: every patient has its own streams, ``np.random.SeedSequence(seed,
spawn_key=(replicate, patient, stream))`` (the same as ``SeedSequence(seed).spawn(...)`` nested
three times), so results do not depend on how patients are shared out between workers. Stream
:data:`BIOLOGY_STREAM` draws body weight and the candidates; :data:`CONDUCT_STREAM` draws the trial
conduct (measurable disease, early discontinuation, scan times).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stat3qsp.model.catalog import DEFAULT_MODELS_DIR
from stat3qsp.errors import InputError
from stat3qsp.io.yamlfiles import read_yaml
from stat3qsp.model.parameters import Parameter

BIOLOGY_STREAM = 0
"""Index of the per-patient stream for body weight and candidate parameters."""
CONDUCT_STREAM = 1
"""Index of the per-patient stream for measurable disease, early discontinuation and scan times."""
DISTRIBUTIONS = ("lognormal", "logitnormal")
"""Accepted distribution names."""
HOURS_PER_DAY = 24.0


@dataclass(frozen=True)
class ParameterDistribution:
    """Between-patient distribution of one model parameter (see the module docstring)."""

    parameter_id: str
    distribution: str
    spread: float
    source: str

    def value(self, centre: float, z: float) -> float:
        """The parameter value for a standard normal deviate ``z`` around ``centre``."""
        if self.distribution == "lognormal":
            return centre * math.exp(math.sqrt(math.log1p(self.spread ** 2)) * z)
        logit = math.log(centre / (1.0 - centre)) + self.spread * z
        return 1.0 / (1.0 + math.exp(-logit))


@dataclass(frozen=True)
class Acceptance:
    """Plausible-patient rules: ranges of the untreated volume doubling time and of baseline SLD."""

    max_draws: int
    doubling_days: tuple[float, float]
    baseline_sld_mm: tuple[float, float]


@dataclass(frozen=True)
class PopulationModel:
    """Everything ``models/population.yaml`` says."""

    distributions: tuple[ParameterDistribution, ...]
    acceptance: Acceptance
    scan_window_weeks: tuple[float, float]

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
    if not isinstance(raw, dict) or set(raw) != accepted:
        raise InputError(f"{path}: top-level keys {sorted(raw) if isinstance(raw, dict) else raw!r}; accepted: exactly {sorted(accepted)}")
    distributions = []
    for pid, entry in (raw["parameters"] or {}).items():
        where = f"{path}: parameters.{pid}"
        kind = entry.get("distribution")
        if kind not in DISTRIBUTIONS:
            raise InputError(f"{where}.distribution = {kind!r}; accepted: one of {', '.join(DISTRIBUTIONS)}")
        key = "cv" if kind == "lognormal" else "sd"
        spread = entry.get(key)
        if not isinstance(spread, (int, float)) or not spread > 0:
            raise InputError(f"{where}.{key} = {spread!r}; accepted: a number > 0")
        if not str(entry.get("source", "")).strip():
            raise InputError(f"{where}.source is missing; accepted: a citation or 'assumed: <why>'")
        if table is not None:
            if pid not in table:
                raise InputError(f"{where}: no row in the parameter table; accepted: one of its parameterIds")
            if kind == "logitnormal" and not (0 <= table[pid].lower_bound and table[pid].upper_bound <= 1):
                raise InputError(f"{where}: logitnormal needs a fraction (bounds within [0, 1])")
        distributions.append(ParameterDistribution(pid, kind, float(spread), str(entry["source"])))
    rules = raw["acceptance"] or {}
    acceptance = Acceptance(
        max_draws=_count(rules.get("max_draws"), f"{path}: acceptance.max_draws"),
        doubling_days=_range(rules.get("untreated_volume_doubling_days"), f"{path}: acceptance.untreated_volume_doubling_days"),
        baseline_sld_mm=_range(rules.get("tumour_SLD_baseline"), f"{path}: acceptance.tumour_SLD_baseline"),
    )
    window = _range(raw["scan_window_weeks"], f"{path}: scan_window_weeks", allow_negative=True)
    return PopulationModel(tuple(distributions), acceptance, window)


def patient_generator(seed: int, replicate: int, patient: int, stream: int) -> np.random.Generator:
    """The random stream ``stream`` of one patient (module docstring)."""
    if seed < 0:
        raise InputError(f"seed = {seed!r}; accepted: an integer >= 0")
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(replicate, patient, stream)))


def candidate_values(population: PopulationModel, centres: dict[str, float], z: np.ndarray) -> dict[str, float]:
    """Parameter values of one candidate from its deviates ``z`` (one per distributed parameter)."""
    return {d.parameter_id: d.value(centres[d.parameter_id], float(zi)) for d, zi in zip(population.distributions, z)}


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
