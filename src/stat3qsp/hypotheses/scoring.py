"""Predictive scores of an observed trial from a pool of virtual patients: bootstrap trials, predictive p
and log predictive probability.

A hypothesis is scored on a pool of simulated virtual patients of the trial's arm (a few dozen by
default; the ranking's ``patients``). Replicate virtual trials of the trial's size ``n`` are drawn from
the pool with replacement (``bootstrap`` of them; Efron's bootstrap of the predictive distribution), and
each gives the trial's endpoints with the definitions of :func:`stat3qsp.trial.endpoints.trial_endpoints`
(Kaplan-Meier median PFS by its :func:`~stat3qsp.trial.endpoints.curve_median` rule, KM survival at 26
weeks, CR + PR share, clinical-benefit share, and the ORR and CBR of the response-evaluable patients:
measurable disease and at least one counted scan; NaN in a bootstrap trial without any), computed here in
numpy because the lifelines fit of a trial costs milliseconds: a bootstrap trial is exactly the patients
table of one replicate that ``trial_endpoints`` would be given (the rows of its drawn patients), and on it
both give the same values (tested, :func:`bootstrap_draws`).

For an observed endpoint ``y`` and the bootstrap endpoints ``v_1..v_B``:

- ``predictive_p`` is the two-sided posterior-predictive p of :func:`stat3qsp.trial.predictive.predictive_tails`;
- the predictive probability of the observation is the share of bootstrap trials within a window
  ``w`` of it, smoothed: ``p = (#{b: |v_b - y| <= w} + 1/2) / (B + 1)`` (never 0, so a log score
  is always finite; the 1/2 is Jeffreys' prior count), with ``w = 1 / (2 n)`` for a proportion
  (the observed count exactly) and :data:`MEDIAN_WINDOW_WEEKS` for a median time;
- the trial log score is the sum of ``ln p`` over the observed endpoints. The difference of two
  hypotheses' scores is the log Bayes factor of the observed endpoints (treated as independent).

Assumption: the pool is a sample of the hypothesis's patient population, so with a small pool the
bootstrap under-represents the tails (a pool of 40 has no patient rarer than 1 in 40).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from stat3qsp.errors import InputError
from stat3qsp.trial import columns as tc
from stat3qsp.trial import endpoints as ep
from stat3qsp.trial.endpoints import PFS_6MO_WEEKS
from stat3qsp.trial.predictive import predictive_tails

MEDIAN_WINDOW_WEEKS = 1.0
"""Half-width of the window of an observed median PFS (weeks). assumed: medians of a 9-weekly scanned
trial sit on scan and dropout times a week or more apart, and the observation is reported to 0.1 week."""
PROPORTIONS = (tc.PFS_6MO, tc.ORR, tc.CBR, tc.ORR_EVALUABLE, tc.CBR_EVALUABLE)
"""Endpoints that are shares of the trial's patients (window ``1 / (2 n)``, ``n`` the endpoint's denominator)."""
TREATED_ENDPOINTS = (tc.MEDIAN_PFS_WEEKS, tc.PFS_6MO, tc.ORR, tc.CBR)
"""Endpoints of every treated patient: the ones summed in the trial log score."""
SCORED_ENDPOINTS = TREATED_ENDPOINTS + tc.EVALUABLE_ENDPOINT_NAMES
"""Endpoints the bootstrap computes (the duration of response needs responders, rare here). The evaluable
ORR and CBR count the same responses as ``orr`` and ``cbr`` among fewer patients, so they get a predictive p
and a log probability but are not added to the trial log score (that would count the one PR twice)."""


def km_curve(durations: np.ndarray, events: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan-Meier curve at the distinct event times: ``(times, S(times))`` (product-limit estimator,
    ``S(t) = prod_{t_i <= t} (1 - d_i / n_i)``)."""
    durations, events = np.asarray(durations, float), np.asarray(events, bool)
    times = np.unique(durations[events])
    at_risk = (durations[None, :] >= times[:, None]).sum(axis=1)
    deaths = ((durations[None, :] == times[:, None]) & events[None, :]).sum(axis=1)
    return times, np.cumprod(1.0 - deaths / at_risk)


def km_median(durations: np.ndarray, events: np.ndarray) -> float:
    """Median of :func:`km_curve` by the rule of :func:`stat3qsp.trial.endpoints.curve_median`."""
    return ep.curve_median(*km_curve(durations, events))


def km_survival_at(durations: np.ndarray, events: np.ndarray, time: float) -> float:
    """``S(time)`` of :func:`km_curve`; NaN after the last follow-up unless the curve reached 0."""
    times, curve = km_curve(durations, events)
    if time > np.max(durations) and (not curve.size or curve[-1] > 0):
        return np.nan
    before = np.flatnonzero(times <= time)
    return float(curve[before[-1]]) if before.size else 1.0


def bootstrap_draws(pool_size: int, n: int, bootstrap: int, rng: np.random.Generator) -> np.ndarray:
    """Row indices of *bootstrap* trials of *n* patients drawn with replacement from a pool, shape ``(bootstrap, n)``."""
    return rng.integers(0, pool_size, size=(bootstrap, n))


def usable(patients: pd.DataFrame) -> pd.DataFrame:
    """The patients of a pool that the endpoints count (failed simulations left out)."""
    return patients[patients[tc.STATUS] != tc.FAILED] if tc.STATUS in patients else patients


def draws_endpoints(ok: pd.DataFrame, draws: np.ndarray) -> pd.DataFrame:
    """Endpoints (:data:`SCORED_ENDPOINTS`; the evaluable ones only if *ok* has ``measurable`` and
    ``n_scans``) of the bootstrap trials *draws* (rows of :func:`bootstrap_draws`) of the usable patients *ok*."""
    pfs, event = ok[tc.PFS_WEEKS].to_numpy(float), ok[tc.EVENT].to_numpy(bool)
    response = ok[tc.BEST_RESPONSE].isin((tc.CR, tc.PR)).to_numpy()
    benefit = ok[tc.CLINICAL_BENEFIT].astype(bool).to_numpy()
    evaluable = None
    if {tc.MEASURABLE, tc.N_SCANS} <= set(ok.columns):
        evaluable = ok[tc.MEASURABLE].astype(bool).to_numpy() & (ok[tc.N_SCANS].astype(float).to_numpy() >= 1)
    rows = []
    for draw in draws:
        row = [km_median(pfs[draw], event[draw]), km_survival_at(pfs[draw], event[draw], PFS_6MO_WEEKS),
               response[draw].mean(), benefit[draw].mean()]
        if evaluable is not None:
            chosen = draw[evaluable[draw]]
            row += [response[chosen].mean(), benefit[chosen].mean()] if chosen.size else [np.nan, np.nan]
        rows.append(row)
    names = SCORED_ENDPOINTS if evaluable is not None else TREATED_ENDPOINTS
    return pd.DataFrame(rows, columns=list(names))


def bootstrap_endpoints(patients: pd.DataFrame, n: int, bootstrap: int, rng: np.random.Generator) -> pd.DataFrame:
    """Endpoints (:func:`draws_endpoints`) of *bootstrap* trials of *n* patients drawn with replacement
    from *patients* (rows of a patients table of one arm; failed patients left out).

    Raises
    ------
    InputError
        If no patient is left, or *n* or *bootstrap* is not a positive integer.
    """
    if not (isinstance(n, int) and n >= 1 and isinstance(bootstrap, int) and bootstrap >= 1):
        raise InputError(f"n = {n!r}, bootstrap = {bootstrap!r}; accepted: integers >= 1")
    ok = usable(patients)
    if ok.empty:
        raise InputError("no simulated patient to draw bootstrap trials from; accepted: a pool of at least one")
    return draws_endpoints(ok, bootstrap_draws(len(ok), n, bootstrap, rng))


def window(endpoint: str, n: int) -> float:
    """Half-width of the window around an observed *endpoint* of a trial of *n* patients (module docstring)."""
    return 0.5 / n if endpoint in PROPORTIONS else MEDIAN_WINDOW_WEEKS


def log_predictive_probability(values: np.ndarray, observed: float, half_width: float) -> float:
    """``ln((#{|v - y| <= w} + 1/2) / (B + 1))`` over the defined values (module docstring); NaN without any."""
    values = np.asarray(values, float)
    values = values[~np.isnan(values)]
    if not values.size or np.isnan(observed):
        return np.nan
    with np.errstate(invalid="ignore"):
        hits = int(np.sum(np.abs(values - observed) <= half_width + 1e-12))
    return float(np.log((hits + 0.5) / (values.size + 1.0)))


def score_endpoints(boot: pd.DataFrame, observed: dict[str, float], n: int | dict[str, int]) -> dict[str, tuple[float, float]]:
    """``{endpoint: (predictive_p, log predictive probability)}`` of each observed endpoint; *n* is the
    trial's size or, per endpoint, its denominator (e.g. 14 response-evaluable of 26 patients)."""
    out = {}
    for endpoint, value in observed.items():
        values = boot[endpoint].to_numpy(float)
        size = n.get(endpoint) if isinstance(n, dict) else n
        out[endpoint] = (predictive_tails(values, value)[2], log_predictive_probability(values, value, window(endpoint, size)))
    return out
