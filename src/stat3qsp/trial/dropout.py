"""Informative early dropout whose mean over the *accepted* patients is the trial spec's fraction.

A patient leaves before the first scan with probability ``expit(a + b z)``, ``z`` the patient's growth
deviate (minus the standard normal deviate of its drawn untreated doubling time ``tumour_doubling_days``,
:mod:`stat3qsp.trial.doubling`: high for fast growers) and ``b`` the log-odds per standard deviation of
``models/population.yaml`` (:func:`stat3qsp.trial.population.dropout_probability`). The doubling time is
drawn on its window by inversion, so no candidate is rejected for growth and the accepted ``z`` are
``N(0, 1)`` but for the rules that remain: the growth scale ``ln 2 / (3 g0 D)`` within its table bounds
(which rejects a candidate with an extreme ``g0``) and the other parameters' bounds and baseline SLD
(independent of ``z``). Here ``a`` solves

    E[expit(a + b z) | accepted] = fraction

on the accepted deviates' distribution of the arm's context, computed once per simulator, context,
fraction and slope (deterministic, cached; the intervals of step 2 also on disk, shared by every
process: :mod:`stat3qsp.trial.dropout_cache`):

1. :data:`REFERENCE_CANDIDATES` reference candidates are drawn from a fixed stream
   (:data:`REFERENCE_SEED`, the same for every context), pre-equilibrated (their untreated growth
   rate ``g0_j``) and checked against every rule that does not involve the doubling time (bounds of
   the other parameters, baseline SLD): ``ok_j``.
2. The growth scale's bounds ``[s_lo, s_hi]`` accept, for candidate ``j``, the doubling times
   ``ln 2 / (3 g0_j s_hi) <= D <= ln 2 / (3 g0_j s_lo)`` (within the window), an interval
   ``[lo_j, hi_j]`` of ``z`` (through
   :meth:`~stat3qsp.trial.population.ParameterDistribution.deviate`). The accepted density is
   ``phi(z) * mean_j ok_j 1[lo_j <= z <= hi_j]`` (exact in ``z``, Monte Carlo over the other
   parameters only), and

       E[expit(a + b z) | accepted] = sum_j ok_j int_{lo_j}^{hi_j} phi expit(a + b z) dz
                                      / sum_j ok_j (Phi(hi_j) - Phi(lo_j)),

   the integrals from a cumulative trapezoid on :data:`Z_GRID`; ``a`` by Brent's method. Where every
   interval is the whole line this is the intercept on ``N(0, 1)``.

``g0`` does not depend on the doubling time or the growth scale (the tumour module does not act on the
signalling, ``models/tumour/sld.ant``), so the candidates' other deviates fix ``g0_j`` whatever ``z``. With
correlated deviates (``correlations`` in ``models/population.yaml``; none today) the other
parameters move with ``z``; their correlation is then ignored here (an approximation).
"""
from __future__ import annotations

import math
import weakref

import numpy as np
from scipy.optimize import brentq
from scipy.stats import norm

from stat3qsp.errors import InputError, SimulationError
from stat3qsp.trial import dropout_cache
from stat3qsp.trial.names import BASELINE, DOUBLING, RATE_SCALE
from stat3qsp.trial.population import candidate_values, volume_doubling_days, within_bounds

REFERENCE_SEED = 20260413
"""Seed of the reference candidates (fixed: the intercept is the same in every run and worker)."""
REFERENCE_CANDIDATES = 400
"""Reference candidates per context (about 2 s of pre-equilibration)."""
Z_GRID = np.linspace(-9.0, 9.0, 7201)
"""Grid of the growth deviate for the integrals (step 0.0025)."""

_CACHE: "weakref.WeakKeyDictionary[object, dict]" = weakref.WeakKeyDictionary()


def accepted_intervals(simulator, context: str) -> tuple[np.ndarray, np.ndarray]:
    """``(lo, hi)``: per reference candidate, the interval of growth deviates it is accepted with
    (empty, ``lo > hi``, where a rule without the growth scale rejects it; module docstring)."""
    population = simulator.population
    growth = population.distribution(DOUBLING)
    centres = simulator.context_values(context)
    table = simulator.model.parameters
    acceptance = population.acceptance
    rng = np.random.default_rng(np.random.SeedSequence(REFERENCE_SEED))
    n = len(population.distributions)
    others = [pid for pid in population.parameter_ids if pid != DOUBLING]
    rate_low, rate_high = table[RATE_SCALE].lower_bound, table[RATE_SCALE].upper_bound
    sld_low, sld_high = acceptance.baseline_sld_mm
    days_low, days_high = acceptance.doubling_days
    bounds, retried = [], list(simulator.retried)
    for _ in range(REFERENCE_CANDIDATES):
        values = candidate_values(population, centres, rng.standard_normal(n), context=context)
        g0 = math.nan
        if within_bounds({pid: values[pid] for pid in others}, table) and sld_low <= values[BASELINE] <= sld_high:
            try:
                g0 = simulator.preequilibrate(context, values)[0]
            except SimulationError:
                pass
        if not g0 > 0:  # rejected by another rule, failed, or never doubles: no deviate is accepted
            bounds.append((1.0, 0.0))
            continue
        # the scale is ln 2 / (3 g0 D): within its table bounds <=> D in [d_min, d_max] (and D in the window)
        at_unit_scale = volume_doubling_days(1.0, g0)
        d_min = max(days_low, at_unit_scale / rate_high)
        d_max = min(days_high, at_unit_scale / rate_low if rate_low > 0 else math.inf)
        if d_min > d_max:
            bounds.append((1.0, 0.0))
            continue
        # D increases with its deviate z_D; the growth deviate is -z_D (fast growers high)
        bounds.append((-_deviate(growth, centres[DOUBLING], d_max, math.inf),
                       -_deviate(growth, centres[DOUBLING], d_min, -math.inf)))
    simulator.retried[:] = retried  # the reference candidates' retries are not the current patient's
    lo, hi = np.array(bounds).T
    return lo, hi


def cached_intervals(simulator, context: str) -> tuple[np.ndarray, np.ndarray]:
    """:func:`accepted_intervals`, from the on-disk cache where it holds them (computed and stored
    otherwise; byte-identical either way, :mod:`stat3qsp.trial.dropout_cache`)."""
    path = dropout_cache.cache_file(simulator, context, REFERENCE_SEED, REFERENCE_CANDIDATES)
    found = dropout_cache.load(path, REFERENCE_CANDIDATES)
    if found is not None:
        return found
    lo, hi = accepted_intervals(simulator, context)
    dropout_cache.store(path, lo, hi)
    return lo, hi


def accepted_intercept(simulator, context: str, fraction: float, slope: float) -> float | None:
    """The intercept ``a`` with ``E[expit(a + slope z) | accepted in context] = fraction``
    (module docstring; cached per simulator, context, centres, fraction and slope); None where the
    probability does not depend on ``z`` (slope 0, fraction 0 or 1).

    Raises
    ------
    InputError
        If no reference candidate is plausible in *context*.
    """
    if slope == 0 or fraction in (0.0, 1.0):
        return None
    centres = simulator.context_values(context)
    key = (context, float(fraction), float(slope), tuple(sorted(centres.items())))
    cache = _CACHE.setdefault(simulator, {})
    if key not in cache:
        if key[:2] + key[3:] not in cache:  # the intervals do not depend on fraction or slope
            cache[key[:2] + key[3:]] = cached_intervals(simulator, context)
        lo, hi = cache[key[:2] + key[3:]]
        cache[key] = intercept_on_intervals(lo, hi, fraction, slope, context)
    return cache[key]


def intercept_on_intervals(lo: np.ndarray, hi: np.ndarray, fraction: float, slope: float,
                           context: str = "") -> float:
    """``a`` such that the mean of ``expit(a + slope z)`` over ``z ~ N(0, 1)`` restricted to the union
    (with multiplicity) of the intervals ``[lo_j, hi_j]`` is *fraction*."""
    lo, hi = np.clip(lo, Z_GRID[0], Z_GRID[-1]), np.clip(hi, Z_GRID[0], Z_GRID[-1])
    keep = hi > lo
    if not keep.any():
        raise InputError(f"no plausible reference patient in context {context!r}; accepted: distributions in "
                         "models/population.yaml that meet its acceptance ranges")
    lo, hi = lo[keep], hi[keep]
    mass = float(np.sum(norm.cdf(hi) - norm.cdf(lo)))
    density = norm.pdf(Z_GRID)

    def excess(a: float) -> float:
        f = density / (1.0 + np.exp(-(a + slope * Z_GRID)))
        cumulative = np.concatenate([[0.0], np.cumsum(0.5 * (f[1:] + f[:-1]) * np.diff(Z_GRID))])
        inside = np.interp(hi, Z_GRID, cumulative) - np.interp(lo, Z_GRID, cumulative)
        return float(np.sum(inside)) / mass - fraction
    return float(brentq(excess, -60.0, 60.0, xtol=1e-12))


def growth_deviate(simulator, virtual) -> float:
    """The patient's growth deviate: minus the standard normal deviate of its drawn doubling time
    (:mod:`stat3qsp.trial.doubling`; high for fast growers), 0 if the doubling time does not vary."""
    population = simulator.population
    if DOUBLING not in population.parameter_ids:
        return 0.0
    centre = simulator.context_values(virtual.context)[DOUBLING]
    return -population.distribution(DOUBLING).deviate(centre, virtual.values[DOUBLING])


def _deviate(distribution, centre: float, x: float, beyond: float) -> float:
    """The deviate of value *x* (``beyond`` where *x* is 0 or infinite)."""
    if not 0 < x < math.inf:
        return beyond
    return float(np.clip(distribution.deviate(centre, x), -40.0, 40.0))
