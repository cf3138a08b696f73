"""Monte Carlo error of the predicted endpoints of a virtual trial.

A predicted endpoint is the median, over ``R`` replicate virtual trials, of the endpoint of each
replicate (:func:`stat3qsp.trial.endpoints.prediction_summary`). With a finite ``R`` that median
is itself random: :func:`median_standard_errors` gives its standard error, estimated by the
bootstrap over replicates (``B`` resamples of the ``R`` replicate values with replacement, the
standard deviation of their medians; Efron & Tibshirani 1993, An Introduction to the Bootstrap,
ch. 6). The quick workflow configuration runs few replicates, and the report states this error
next to the sizes used; the fast-versus-full validation of the multiscale method
(:func:`stat3qsp.trial.multiscale.compare_methods`) is to compare medians with it.

A replicate whose Kaplan-Meier median is not reached has ``inf``; it ranks above every finite
value. A bootstrap median that is ``inf`` makes the error ``inf`` (the median is not estimable
at that size), unless every resample's median is ``inf`` (error 0). NaN values (not estimable in a
replicate, e.g. the duration of response without responders) are left out, as in the summary.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from stat3qsp.errors import InputError
from stat3qsp.trial import columns as tc

MEDIAN = "median"
"""Median of the endpoint over the replicates (as the summary's ``predicted``)."""
MC_SE = "mc_se"
"""Bootstrap standard error of that median."""
N_REPLICATES = tc.N_REPLICATES
"""Replicates where the endpoint is defined."""
MONTE_CARLO_COLUMNS = (tc.ARM, tc.ENDPOINT, MEDIAN, MC_SE, N_REPLICATES)
"""Columns of the table of :func:`median_standard_errors` (``monte_carlo.tsv``)."""
BOOTSTRAP = 1000
"""Bootstrap resamples."""
SEED = 20261206
"""Seed of the resampling (the table is deterministic)."""


def bootstrap_median_se(values: np.ndarray, resamples: int = BOOTSTRAP, seed: int = SEED) -> float:
    """Bootstrap standard error of the median of *values* (NaN left out; module docstring)."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if values.size == 0:
        return float("nan")
    if values.size == 1:
        return float("inf")
    if resamples < 2:
        raise InputError(f"resamples = {resamples!r}; accepted: an integer >= 2")
    rng = np.random.default_rng(seed)
    draws = np.median(values[rng.integers(0, values.size, size=(resamples, values.size))], axis=1)
    if np.all(np.isposinf(draws)):
        return 0.0
    if np.any(np.isinf(draws)):
        return float("inf")
    return float(np.std(draws, ddof=1))


def median_standard_errors(replicate_endpoints: pd.DataFrame, resamples: int = BOOTSTRAP,
                           seed: int = SEED) -> pd.DataFrame:
    """Median over replicates and its bootstrap standard error, per arm and endpoint.

    Parameters
    ----------
    replicate_endpoints
        The replicate endpoints table (columns :data:`stat3qsp.trial.columns.ENDPOINT_COLUMNS`).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`MONTE_CARLO_COLUMNS`, in the table's order of arms and endpoints.
    """
    missing = {tc.ARM, tc.ENDPOINT, tc.VALUE} - set(replicate_endpoints.columns)
    if missing:
        raise InputError(f"replicate endpoints lack column(s) {sorted(missing)}; accepted: a replicate_endpoints table")
    rows = []
    for (arm, endpoint), group in replicate_endpoints.groupby([tc.ARM, tc.ENDPOINT], sort=False):
        values = group[tc.VALUE].to_numpy(float)
        defined = values[~np.isnan(values)]
        median = float(np.median(defined)) if defined.size else float("nan")
        rows.append((arm, endpoint, median, bootstrap_median_se(values, resamples, seed), int(defined.size)))
    return pd.DataFrame(rows, columns=list(MONTE_CARLO_COLUMNS))
