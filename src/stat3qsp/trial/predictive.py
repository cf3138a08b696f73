"""Posterior-predictive check of an observed trial endpoint against replicate virtual trials.

How surprising an observation is, beyond inside or outside a prediction interval (posterior-
predictive check; Gelman, Meng and Stern 1996, Statistica Sinica 6:733): over the ``n`` replicate
trials where the endpoint is defined,

    p_le = #{replicates: pred <= obs} / n,   p_ge = #{replicates: pred >= obs} / n,
    predictive_p = min(1, 2 * min(p_le, p_ge)),

with ``inf`` (median not reached) above every finite observation. Endpoints of a trial of 26
patients are discrete (rates move in steps of 1/26, medians sit on scan dates), so a replicate
equal to the observation is counted in both tails (no mid-p: the two-sided p is conservative, never
below the one that splits ties); a replicate counts as equal when within :data:`TIE_RELATIVE` of the
observed value, because observations are reported rounded (3.85% for 1/26).
"""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from stat3qsp.errors import InputError

TIE_RELATIVE = 5e-3
"""A replicate endpoint within this relative distance of the observed value counts as equal to it
(observations are reported to 2-3 significant digits: 1/26 = 0.03846 is reported as 3.85%)."""
_ABSOLUTE_TIE = 1e-9
"""Smallest tie tolerance (an observed value of 0)."""


def predictive_tails(values: ArrayLike, observed: float,
                     tie_relative: float = TIE_RELATIVE) -> tuple[float, float, float]:
    """Posterior-predictive tail probabilities of an observation (module docstring).

    Parameters
    ----------
    values
        The endpoint in each replicate virtual trial; NaN (not estimable) is left out, ``inf``
        ranks above every finite value.
    observed
        The observed endpoint.
    tie_relative
        Replicates within ``tie_relative * |observed|`` of the observation count as equal to it
        (in both tails).

    Returns
    -------
    tuple of float
        ``(P(pred <= obs), P(pred >= obs), min(1, 2 * min of the two))``; NaN for an observation of
        NaN or no defined replicate.
    """
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if np.isnan(observed) or values.size == 0:
        return (np.nan, np.nan, np.nan)
    if not tie_relative >= 0:
        raise InputError(f"tie_relative = {tie_relative!r}; accepted: a relative tolerance >= 0")
    tolerance = max(tie_relative * abs(observed), _ABSOLUTE_TIE) if np.isfinite(observed) else 0.0
    with np.errstate(invalid="ignore"):
        tie = (values == observed) | (np.abs(values - observed) <= tolerance)
    p_le = float(np.mean((values < observed) | tie))
    p_ge = float(np.mean((values > observed) | tie))
    return (p_le, p_ge, min(1.0, 2.0 * min(p_le, p_ge)))
