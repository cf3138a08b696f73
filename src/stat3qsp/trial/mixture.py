"""The log-normal mixture of ``models/population.yaml`` (kinds ``lognormal_mixture`` and
``subgroup_mixture``, :mod:`stat3qsp.trial.population`): its CDF and quantile, a vectorised quantile
for many patients at once (:func:`subgroup_values`, the tumour calibration's post-simulation fit of a
subgroup's share and factor) and the check of a ``subgroup_mixture`` entry.

With ``s = sqrt(ln(1 + cv^2))``, share ``w`` and factor ``f`` of the subgroup, centre 1::

    F(ln x) = w Phi((ln x - ln f) / s) + (1 - w) Phi(ln x / s)
"""
from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq
from scipy.special import ndtr

from stat3qsp.errors import InputError
from stat3qsp.model.parameters import Parameter


def mixture_cdf(log_ratio, s: float, w: float, factor: float):
    """CDF of the mixture at ``ln(x / c)`` (module docstring); arrays element-wise."""
    return w * ndtr((log_ratio - math.log(factor)) / s) + (1 - w) * ndtr(log_ratio / s)


def mixture_log_quantile(u: float, s: float, w: float, factor: float) -> float:
    """``ln x`` at which the mixture's CDF is *u* (Brent; *u* clipped to the bracket's CDF)."""
    low, high = min(0.0, math.log(factor)) - 12 * s, max(0.0, math.log(factor)) + 12 * s
    u = min(max(u, float(mixture_cdf(low, s, w, factor))), float(mixture_cdf(high, s, w, factor)))
    return float(brentq(lambda y: float(mixture_cdf(y, s, w, factor)) - u, low, high, xtol=1e-10))


def subgroup_values(uniforms: np.ndarray, cv: float, share: float, factor: float, iterations: int = 60) -> np.ndarray:
    """``exp(F^-1(u))`` of the mixture (centre 1, module docstring) for many ``u = Phi(z)`` at once: a
    vectorised bisection on ``ln x`` (60 halvings of a bracket of 24 log-sd or more: well below 1e-10)."""
    s = math.sqrt(math.log1p(cv ** 2))
    u = np.asarray(uniforms, dtype=float)
    low = np.full(u.shape, min(0.0, math.log(factor)) - 12 * s)
    high = np.full(u.shape, max(0.0, math.log(factor)) + 12 * s)
    for _ in range(iterations):
        middle = 0.5 * (low + high)
        below = mixture_cdf(middle, s, share, factor) < u
        low, high = np.where(below, middle, low), np.where(below, high, middle)
    return np.exp(0.5 * (low + high))


def subgroup_entry(entry: dict, where: str, table: dict[str, Parameter] | None) -> dict:
    """``share_id``, ``factor_id`` and ``contexts`` of a ``subgroup_mixture`` entry (checked)."""
    share, factor, contexts = entry.get("share"), entry.get("factor"), entry.get("contexts") or []
    for key, pid in (("share", share), ("factor", factor)):
        if not isinstance(pid, str) or (table is not None and pid not in table):
            raise InputError(f"{where}.{key} = {pid!r}; accepted: the id of a row of the parameter table")
    if table is not None and not (0 <= table[share].lower_bound and table[share].upper_bound < 1):
        raise InputError(f"{where}.share = {share!r}: its bounds must lie in [0, 1)")
    if table is not None and not table[factor].lower_bound > 0:
        raise InputError(f"{where}.factor = {factor!r}: its lower bound must be > 0")
    if not isinstance(contexts, list) or not all(isinstance(c, str) for c in contexts):
        raise InputError(f"{where}.contexts = {contexts!r}; accepted: a list of context names")
    return {"share_id": share, "factor_id": factor, "contexts": tuple(contexts)}
