"""The patient's untreated volume doubling time drawn from a stated distribution (kind ``doubling_time`` of
``models/population.yaml``), and the growth scale that goes with it.

Until 2026-12-07 the growth scale ``tumour_rate_scale`` was drawn (a log-normal mixture around a calibrated
median) and a candidate was accepted only if its doubling time ``D = ln 2 / (3 s g0)`` lay in the window of
``acceptance.untreated_volume_doubling_days``; at the calibrated median 94% of candidates failed the 30-day
floor, so the accepted patients were the lower tail of the distribution cut at 30 days, and the scale acted on
the outcomes only through a thinning tail (docs/population.md, "Why the durable tail is gone"). Now ``D``
itself is drawn, log-normal in days with median ``m`` (the parameter's value in the context: the calibrated
``tumour_doubling_days``) and log-SD ``sigma``, truncated to the window ``[a, b]`` by inversion of the
truncated CDF, so no candidate is rejected for growth::

    alpha = (ln a - ln m) / sigma,  beta = (ln b - ln m) / sigma
    p     = Phi(alpha) + Phi(z) (Phi(beta) - Phi(alpha))
    D     = m exp(sigma Phi^-1(p))

with ``z`` the patient's standard normal deviate: ``D`` increases with ``z`` (the patient's growth deviate,
the one the informative dropout reads, is ``-z``: fast growers have a high growth deviate;
:func:`stat3qsp.trial.dropout.growth_deviate`). The patient's growth scale is then
``tumour_rate_scale = ln 2 / (3 g0 D)`` (:func:`rate_scale_for`, ``g0`` the candidate's untreated net growth
rate per hour, ``D`` in hours), so the untreated log-SLD growth ``s g0 = ln 2 / (3 D)`` is the drawn one
whatever the signalling parameters: they no longer move the untreated growth through ``g0`` (they still move
the drug effect ``g(t) - g0``).
"""
from __future__ import annotations

import math

from scipy.special import ndtr, ndtri

from stat3qsp.trial.names import HOURS_PER_DAY


def _standardised(median: float, log_sd: float, window: tuple[float, float]) -> tuple[float, float]:
    """``(Phi(alpha), Phi(beta))`` of the window (module docstring)."""
    low, high = window
    alpha = (math.log(low) - math.log(median)) / log_sd if low > 0 else -math.inf
    beta = (math.log(high) - math.log(median)) / log_sd if math.isfinite(high) else math.inf
    return float(ndtr(alpha)), float(ndtr(beta))


def doubling_days(median: float, log_sd: float, window: tuple[float, float], z: float) -> float:
    """The doubling time (days) of standard normal deviate *z*: the truncated log-normal's quantile at
    ``Phi(z)`` (module docstring), within the window."""
    lower, upper = _standardised(median, log_sd, window)
    p = lower + float(ndtr(z)) * (upper - lower)
    value = median * math.exp(log_sd * float(ndtri(min(max(p, 1e-300), 1.0 - 1e-16))))
    return min(max(value, window[0]), window[1])


def doubling_deviate(median: float, log_sd: float, window: tuple[float, float], days: float) -> float:
    """The standard normal deviate whose doubling time is *days* (inverse of :func:`doubling_days`;
    ``-inf``/``inf`` at or beyond the window's ends)."""
    lower, upper = _standardised(median, log_sd, window)
    if days <= window[0]:
        return -math.inf
    if days >= window[1]:
        return math.inf
    u = (float(ndtr((math.log(days) - math.log(median)) / log_sd)) - lower) / (upper - lower)
    return float(ndtri(min(max(u, 1e-300), 1.0 - 1e-16)))


def rate_scale_for(days: float, untreated_growth_rate_per_h: float) -> float:
    """``tumour_rate_scale = ln 2 / (3 g0 D)`` (D in hours): the scale at which a patient with untreated net
    growth rate *g0* doubles its tumour volume in *days*; ``inf`` if ``g0 <= 0`` (no scale gives it)."""
    if not untreated_growth_rate_per_h > 0:
        return math.inf
    return math.log(2.0) / (3.0 * untreated_growth_rate_per_h * days * HOURS_PER_DAY)
