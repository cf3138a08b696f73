"""Uncertain parameters of the prediction intervals (:mod:`stat3qsp.sensitivity.uncertainty`): which
parameters, and one draw of each.

Light on imports: the workflow checks the ``uncertainty`` config against the parameter table when it
builds its DAG (:func:`stat3qsp.sensitivity.config_check.check_sensitivity_config`), without loading
the trial simulator.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from stat3qsp.errors import InputError
from stat3qsp.model.parameters import Parameter
from stat3qsp.trial.names import DOUBLING

PROFILE = "profile"
"""Kind of an uncertain parameter drawn from its profile-likelihood interval."""
RANGE = "range"
"""Kind of an uncertain parameter drawn uniformly over its table range."""


@dataclass(frozen=True)
class UncertainParameter:
    """One parameter with its uncertainty distribution (module docstring)."""

    parameter_id: str
    value: float
    low: float
    high: float
    kind: str

    def draw(self, rng: np.random.Generator) -> float:
        """One value, from one draw of *rng*."""
        if self.kind == PROFILE:
            z = rng.standard_normal()
            spread = math.log(self.value / self.low) if z < 0 else math.log(self.high / self.value)
            return self.value * math.exp(spread / _z_975() * z)
        u = rng.random()
        if self.low > 0 and self.high > 10.0 * self.low:
            return math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        return self.low + u * (self.high - self.low)


def uncertain_parameters(table: dict[str, Parameter], profile_source: str, ranges: Sequence[str] = (),
                         profile: bool = True) -> list[UncertainParameter]:
    """One parameter set: the profile parameters (source *profile_source*; if *profile*) and the
    declared *ranges*, in table order.

    Raises
    ------
    InputError
        For a declared id without a row, one that is also a profile parameter, a profile row whose
        value or bounds are not > 0, a range with equal bounds, or an empty set.
    """
    unknown = sorted(set(ranges) - set(table))
    if unknown:
        raise InputError(f"uncertainty ranges: {unknown} have no row in the parameter table; accepted: its parameterIds")
    chosen = []
    for pid, row in table.items():
        if row.source == profile_source and pid != DOUBLING:
            if pid in ranges:
                raise InputError(f"uncertainty ranges: {pid} is a profile parameter ({profile_source!r}); accepted: other rows")
            if not 0 < row.lower_bound <= row.value <= row.upper_bound:
                raise InputError(f"{pid}: a profile parameter needs 0 < lowerBound <= value <= upperBound")
            if profile:
                chosen.append(UncertainParameter(pid, row.value, row.lower_bound, row.upper_bound, PROFILE))
        elif pid in ranges:
            if not row.lower_bound < row.upper_bound:
                raise InputError(f"uncertainty ranges: {pid} has lowerBound = upperBound; accepted: a row with a range")
            chosen.append(UncertainParameter(pid, row.value, row.lower_bound, row.upper_bound, RANGE))
    if not chosen:
        raise InputError(f"an empty parameter set: no profile rows (source {profile_source!r}) and no ranges")
    return chosen


@functools.lru_cache(maxsize=1)
def _z_975() -> float:
    """The standard normal 97.5% quantile (a profile interval is a 95% interval)."""
    from scipy.special import ndtri
    return float(ndtri(0.975))
