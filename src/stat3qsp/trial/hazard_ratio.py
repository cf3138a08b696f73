"""PFS hazard ratio of two arms of each replicate trial (Cox proportional hazards).

For a spec whose design names ``pfs_hazard_ratio`` (experimental arm) and ``control_arm``, each
replicate trial's patients of the two arms are fitted to Cox's model

    h(t | x) = h0(t) exp(beta x),   x = 1 for the experimental arm, 0 for the control arm,

on the PFS as :mod:`stat3qsp.trial.endpoints` reads it (``pfs_weeks`` dated at the scans, ``event``
False for a censored patient; failed simulations left out). beta maximises Cox's partial likelihood
with Efron's approximation for tied times (Cox 1972, J R Stat Soc B 34:187; Efron 1977, JASA 72:557),
which matters here since scan-dated PFS ties heavily: lifelines ``CoxPHFitter`` (0.30.3, Newton-Raphson,
no penalty). The hazard ratio is ``exp(beta)`` with the Wald 95% interval ``exp(beta -/+ 1.96 se)``.

**Independent arms.** The arms of one replicate have the same virtual patients (common random numbers,
:mod:`stat3qsp.trial.simulate`): a ratio on them is a paired comparison of each patient with itself, far
less variable between replicates than the ratio of a randomized trial, whose arms are different patients.
The predicted ratio of replicate ``r`` therefore compares the experimental arm of replicate ``r`` with the
control arm of replicate ``(r + 1) mod R`` (``R`` replicates in the table, in their order): two independent
groups drawn from the same population, as randomization gives. Each such pair is a virtual randomized
trial of the spec's arm sizes; neighbouring pairs share one arm, so the ``R`` ratios are not independent
of each other, but each has the distribution of a randomized trial's ratio. With one replicate (a table
of one replicate trial) there is no other group and the ratio is the paired one of that replicate.

Swapping the arms (x -> 1 - x) leaves the partial likelihood unchanged under beta -> -beta, so the
ratio becomes its reciprocal; identical arms give 1. Where the partial likelihood has no maximum, the
ratio is its limit: 0 when only the control arm has events, ``inf`` when only the experimental arm
has, with no interval; NaN without any event or with an empty arm (not estimable).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter
from numpy.typing import ArrayLike

from stat3qsp.trial import columns as tc
from stat3qsp.trial.spec_types import TrialSpec
from stat3qsp.trial.survival_inputs import survival_arrays

_TIME, _EVENT, _ARM = "time", "event", "experimental"


def cox_hazard_ratio(durations: ArrayLike, events: ArrayLike, experimental: ArrayLike,
                     confidence: float = 0.95) -> tuple[float, float, float]:
    """Hazard ratio of the experimental patients against the others and its Wald interval (module docstring).

    Parameters
    ----------
    durations
        Event or censoring times (finite, >= 0).
    events
        True for an event, False for censoring.
    experimental
        True for a patient of the experimental arm, False for the control arm.
    confidence
        Level of the interval.

    Returns
    -------
    tuple of float
        ``(hr, lo, hi)``.
    """
    time, event, arm = survival_arrays(durations, confidence, events=events, experimental=experimental)
    if arm.all() or not arm.any() or not event.any():
        return (np.nan, np.nan, np.nan)
    if not event[arm].any():
        return (0.0, np.nan, np.nan)
    if not event[~arm].any():
        return (np.inf, np.nan, np.nan)
    frame = pd.DataFrame({_TIME: time, _EVENT: event.astype(int), _ARM: arm.astype(int)})
    fitter = CoxPHFitter(alpha=1 - confidence).fit(frame, duration_col=_TIME, event_col=_EVENT)
    beta = float(fitter.params_[_ARM])
    lo, hi = (float(v) for v in fitter.confidence_intervals_.loc[_ARM])
    return (float(np.exp(beta)), float(np.exp(lo)), float(np.exp(hi)))


def hazard_ratio_endpoints(patients: pd.DataFrame, spec: TrialSpec, confidence: float = 0.95) -> pd.DataFrame:
    """The ``pfs_hazard_ratio`` rows of every replicate trial (columns
    :data:`stat3qsp.trial.columns.ENDPOINT_COLUMNS`): the experimental arm of replicate ``r`` against the
    control arm of the next replicate (module docstring, "Independent arms"); arm = the experimental arm,
    ``n_patients`` and ``n_failed`` over both arms. No rows when the spec's design has no hazard ratio or
    the table lacks one of its two arms (a run of selected arms)."""
    ratio = spec.design.pfs_hazard_ratio
    columns = list(tc.ENDPOINT_COLUMNS)
    if ratio is None or not {ratio.experimental_arm, ratio.control_arm} <= set(patients[tc.ARM]):
        return pd.DataFrame(columns=columns)
    table = patients if tc.REPLICATE in patients.columns else patients.assign(**{tc.REPLICATE: 0})
    experimental = dict(list(table[table[tc.ARM] == ratio.experimental_arm].groupby(tc.REPLICATE, sort=False)))
    control = dict(list(table[table[tc.ARM] == ratio.control_arm].groupby(tc.REPLICATE, sort=False)))
    replicates = [r for r in experimental if r in control]
    rows = []
    for i, replicate in enumerate(replicates):
        group = pd.concat([experimental[replicate], control[replicates[(i + 1) % len(replicates)]]])
        failed = (group[tc.STATUS] == tc.FAILED).to_numpy(bool) if tc.STATUS in group else np.zeros(len(group), bool)
        kept = group[~failed]
        value = cox_hazard_ratio(kept[tc.PFS_WEEKS].to_numpy(float), kept[tc.EVENT].to_numpy(bool),
                                 (kept[tc.ARM] == ratio.experimental_arm).to_numpy(bool), confidence)
        rows.append((replicate, ratio.experimental_arm, tc.PFS_HAZARD_RATIO, *value, len(kept), int(failed.sum())))
    return pd.DataFrame(rows, columns=columns)
