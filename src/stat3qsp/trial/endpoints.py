"""Trial endpoints from a patients table, their spread over replicate virtual trials, and the
comparison with the endpoints observed in the real trial.

Endpoints (names in :mod:`stat3qsp.trial.columns`), computed per replicate trial and arm:

- ``median_pfs_weeks``: Kaplan-Meier median PFS, the smallest time at which the KM estimate
  ``S(t) = prod_{t_i <= t} (1 - d_i / n_i)`` is <= 0.5 (``inf`` if never reached); where ``S`` is
  exactly 0.5 (within 1e-9) on an interval, the midpoint of that interval, as R's survival package
  and SAS PROC LIFETEST report it (lifelines' ``median_survival_time_`` returns one end or the other
  depending on floating-point rounding of the product, which matters for replicate trials with
  tied scan times). The 95%
  confidence interval read off where lifelines' pointwise exponential-Greenwood (log(-log)) 95%
  band of ``S(t)`` crosses 0.5 (the construction of Brookmeyer and Crowley 1982, Biometrics
  38:29); lifelines ``KaplanMeierFitter`` and ``median_survival_times``.
- ``pfs_6mo``: KM estimate ``S(26 weeks)`` with the same pointwise band; NaN when the last
  patient leaves follow-up censored before 26 weeks (not estimable).
- ``orr`` and ``cbr``: ``k / n`` (best response CR or PR; clinical benefit) with the exact
  Clopper-Pearson interval (Clopper and Pearson 1934, Biometrika 26:404),
  ``scipy.stats.binomtest(k, n).proportion_ci(method="exact")``, the method of Kearney 2021.
- ``median_dor_weeks``: Kaplan-Meier median duration of response among the responders (best
  response CR or PR). A responder's duration runs from the first scan at which the criteria for CR
  or PR are met (``response_weeks``; confirmed where the RECIST rules require it) to progression,
  ``DoR = pfs_weeks - response_weeks``; it ends in an event when the PFS does (progression, or
  death on study) and is censored when the PFS is (at the last progression-free scan): "measured from the time measurement
  criteria are first met for CR/PR until the first date that recurrent or progressive disease is
  objectively documented" (RECIST 1.1, Eisenhauer et al. 2009, Eur J Cancer 45:228, 'Duration of
  overall response'; deaths count as events as in the FDA guidance on cancer trial endpoints,
  2018). Median and interval as for ``median_pfs_weeks`` over the responders; NaN for a trial
  without responders (and for a patients table without ``response_weeks``); ``n_patients`` is the
  number of responders.

Virtual patients whose simulation failed (``status`` ``failed``, :mod:`stat3qsp.trial.simulate`) are left
out of every endpoint and counted in ``n_failed``, per replicate and arm and, in the summary and
comparison tables, summed over the replicates; a trial of failed patients only has NaN endpoints.

Over replicate virtual trials, each of the real trial's size, the prediction is the median of an
endpoint across replicates and its 90% prediction interval the 5th and 95th percentiles (numpy's
linear interpolation), over the replicates where the endpoint is defined (``n_replicates``: for
``median_dor_weeks``, the replicates with at least one responder). An observed endpoint is
*consistent* with the model when ``predicted_lo <= observed <= predicted_hi`` (closed interval; observed values as reported, i.e.
rounded): the real trial is then not among the 10% most extreme outcomes the model predicts for a
trial of that size.

How surprising an observation is, beyond inside/outside: the posterior-predictive tails
``P(pred <= obs)``, ``P(pred >= obs)`` and the two-sided ``predictive_p`` over the replicates
(:mod:`stat3qsp.trial.predictive`).
"""
from __future__ import annotations

import functools
from collections.abc import Collection

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.utils import median_survival_times
from numpy.typing import ArrayLike
from scipy.stats import binomtest

from stat3qsp.trial import columns as tc
from stat3qsp.errors import InputError
from stat3qsp.trial.predictive import predictive_tails
from stat3qsp.trial.spec_types import TrialSpec
from stat3qsp.trial.survival_inputs import survival_arrays

PFS_6MO_WEEKS = 26.0
"""Landmark of the 6-month PFS endpoint (weeks)."""

_TIE_TOLERANCE = 1e-9
"""Survival values within this of 0.5 count as exactly 0.5 (median on a flat segment)."""

_RESPONDERS = (tc.CR, tc.PR)
_REQUIRED_PATIENT_COLUMNS = (tc.ARM, tc.PFS_WEEKS, tc.EVENT, tc.BEST_RESPONSE, tc.CLINICAL_BENEFIT)


def km_median(durations: ArrayLike, events: ArrayLike,
              confidence: float = 0.95) -> tuple[float, float, float]:
    """Kaplan-Meier median survival and its confidence interval.

    Parameters
    ----------
    durations
        Event or censoring times.
    events
        True for an event, False for censoring.
    confidence
        Confidence level of the interval.

    Returns
    -------
    tuple of float
        ``(median, lo, hi)``; ``inf`` where the curve or its band does not reach 0.5, NaN for no
        patients.
    """
    fitter = _fit(durations, events, confidence)
    if fitter is None:
        return (np.nan, np.nan, np.nan)
    return _median(fitter)


def km_survival_at(durations: ArrayLike, events: ArrayLike, time: float,
                   confidence: float = 0.95) -> tuple[float, float, float]:
    """Kaplan-Meier survival probability at ``time`` and its pointwise confidence interval.

    Returns
    -------
    tuple of float
        ``(S(time), lo, hi)``; NaN when ``time`` is after the last follow-up and the curve has not
        reached 0 (not estimable), or for no patients.
    """
    fitter = _fit(durations, events, confidence)
    if fitter is None:
        return (np.nan, np.nan, np.nan)
    return _survival_at(fitter, time)


def proportion_ci(count: int, n: int, confidence: float = 0.95) -> tuple[float, float, float]:
    """Proportion ``count / n`` with its exact Clopper-Pearson confidence interval.

    Returns
    -------
    tuple of float
        ``(count / n, lo, hi)``; NaN for ``n == 0``.
    """
    if n == 0:
        return (np.nan, np.nan, np.nan)
    if not 0 <= count <= n:
        raise InputError(f"count = {count} out of n = {n}; accepted: 0 <= count <= n")
    return (count / n, *_clopper_pearson(int(count), int(n), float(confidence)))


def response_durations(pfs_weeks: ArrayLike, events: ArrayLike,
                       response_weeks: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Durations of response of the responders (module docstring, ``median_dor_weeks``).

    Parameters
    ----------
    pfs_weeks, events
        PFS time (weeks from registration) and whether it ends in an event, per patient.
    response_weeks
        Response onset per patient (weeks from registration); NaN for non-responders.

    Returns
    -------
    tuple of numpy.ndarray
        ``(pfs_weeks - response_weeks, events)`` of the patients with a finite onset.

    Raises
    ------
    InputError
        If a responder's onset is after its PFS time (negative duration).
    """
    pfs = np.asarray(pfs_weeks, dtype=float)
    onset = np.asarray(response_weeks, dtype=float)
    events = np.asarray(events, dtype=bool)
    if not pfs.shape == onset.shape == events.shape:
        raise InputError(f"pfs_weeks {pfs.shape}, events {events.shape} and response_weeks {onset.shape}; "
                         "accepted: arrays of one length")
    responders = ~np.isnan(onset)
    durations = pfs[responders] - onset[responders]
    if np.any(durations < -_TIE_TOLERANCE):
        raise InputError("a response onset is after the end of PFS; accepted: response_weeks <= pfs_weeks")
    return np.maximum(durations, 0.0), events[responders]


def trial_endpoints(patients: pd.DataFrame, landmark_weeks: float = PFS_6MO_WEEKS,
                    confidence: float = 0.95, populations: tuple[str, ...] = (tc.TREATED,)) -> pd.DataFrame:
    """Endpoints of every replicate trial and arm in a patients table.

    Parameters
    ----------
    patients
        One row per patient with columns ``arm, pfs_weeks, event, best_response,
        clinical_benefit`` and optionally ``replicate`` (absent: one trial, replicate 0),
        ``response_weeks`` (absent: ``median_dor_weeks`` is NaN) and ``status`` (absent: no
        patient failed); failed patients are counted in ``n_failed``, not in the endpoints.
    landmark_weeks
        Landmark of ``pfs_6mo`` (26 weeks).
    confidence
        Confidence level of the per-trial intervals.
    populations
        Analysis populations (:data:`stat3qsp.trial.columns.POPULATIONS`): ``treated`` gives the
        endpoints above over every patient; ``evaluable`` adds ``orr_evaluable`` and
        ``cbr_evaluable``, the ORR and CBR among the patients with measurable disease
        (``measurable``) and at least one counted scan (``n_scans`` >= 1), columns the table must
        then have.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`stat3qsp.trial_columns.ENDPOINT_COLUMNS`, one row per replicate, arm and
        endpoint (in :data:`~stat3qsp.trial_columns.ENDPOINT_NAMES` order).
    """
    evaluable = tc.EVALUABLE in populations
    if evaluable and not {tc.MEASURABLE, tc.N_SCANS} <= set(patients.columns):
        raise InputError(f"patients table lacks {tc.MEASURABLE} or {tc.N_SCANS}; accepted: both columns for the "
                         f"{tc.EVALUABLE!r} population")
    missing = [c for c in _REQUIRED_PATIENT_COLUMNS if c not in patients.columns]
    if missing:
        raise InputError(f"patients table lacks column(s) {', '.join(missing)}; accepted: a table with "
                         f"columns {', '.join(_REQUIRED_PATIENT_COLUMNS)} (and optionally {tc.REPLICATE})")
    table = patients if tc.REPLICATE in patients.columns else patients.assign(**{tc.REPLICATE: 0})
    rows = []
    for (replicate, arm), group in table.groupby([tc.REPLICATE, tc.ARM], sort=False):
        failed = (group[tc.STATUS] == tc.FAILED).to_numpy(bool) if tc.STATUS in group else np.zeros(len(group), bool)
        n_failed = int(failed.sum())
        group = group[~failed]
        n = len(group)
        fitter = _fit(group[tc.PFS_WEEKS].to_numpy(float), group[tc.EVENT].to_numpy(bool), confidence)
        values = {
            tc.MEDIAN_PFS_WEEKS: _median(fitter),
            tc.PFS_6MO: _survival_at(fitter, landmark_weeks),
            tc.ORR: proportion_ci(int(group[tc.BEST_RESPONSE].isin(_RESPONDERS).sum()), n, confidence),
            tc.CBR: proportion_ci(int(group[tc.CLINICAL_BENEFIT].astype(bool).sum()), n, confidence),
        }
        responders = int(group[tc.BEST_RESPONSE].isin(_RESPONDERS).sum())
        values[tc.MEDIAN_DOR_WEEKS] = _median_dor(group, confidence)
        counts = {tc.MEDIAN_DOR_WEEKS: responders}
        names = list(tc.TREATED_ENDPOINT_NAMES)
        if evaluable:
            response = group[group[tc.MEASURABLE].astype(bool) & (group[tc.N_SCANS].astype(float) >= 1)]
            m = len(response)
            values[tc.ORR_EVALUABLE] = proportion_ci(int(response[tc.BEST_RESPONSE].isin(_RESPONDERS).sum()), m,
                                                     confidence)
            values[tc.CBR_EVALUABLE] = proportion_ci(int(response[tc.CLINICAL_BENEFIT].astype(bool).sum()), m,
                                                     confidence)
            counts.update({tc.ORR_EVALUABLE: m, tc.CBR_EVALUABLE: m})
            names += list(tc.EVALUABLE_ENDPOINT_NAMES)
        rows.extend((replicate, arm, name, *values[name], counts.get(name, n), n_failed) for name in names)
    return pd.DataFrame(rows, columns=list(tc.ENDPOINT_COLUMNS))


def prediction_summary(endpoints: pd.DataFrame, level: float = 0.90) -> pd.DataFrame:
    """Median and prediction interval of each endpoint across replicate trials.

    Parameters
    ----------
    endpoints
        Output of :func:`trial_endpoints` for many replicates.
    level
        Coverage of the prediction interval: 0.90 gives the 5th and 95th percentiles.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`stat3qsp.trial_columns.SUMMARY_COLUMNS`. NaN values (not estimable) are
        left out and ``n_replicates`` counts the rest; ``inf`` (median not reached) is kept and
        ranks above every finite value. ``n_failed`` is the sum over the replicates (NaN if
        *endpoints* has no ``n_failed`` column, or a replicate has no count).
    """
    if not 0 < level < 1:
        raise InputError(f"level = {level!r}; accepted: a coverage in (0, 1), e.g. 0.90")
    probabilities = [0.5, (1 - level) / 2, 1 - (1 - level) / 2]
    rows = []
    for (arm, endpoint), group in endpoints.groupby([tc.ARM, tc.ENDPOINT], sort=False):
        values = group[tc.VALUE].to_numpy(float)
        values = values[~np.isnan(values)]
        quantiles = _quantiles(values, probabilities) if values.size else [np.nan] * 3
        failed = group[tc.N_FAILED] if tc.N_FAILED in group.columns else pd.Series([np.nan])
        rows.append((arm, endpoint, *quantiles, values.size, failed.sum() if failed.notna().all() else np.nan))
    return pd.DataFrame(rows, columns=list(tc.SUMMARY_COLUMNS))


def observed_table(spec: TrialSpec, arms: Collection[str] | None = None) -> pd.DataFrame:
    """Observed endpoints of every arm of a trial spec (of *arms* only, if given) and its design's PFS
    hazard ratio (``pfs_hazard_ratio``, on the experimental arm; only if both of its arms are chosen).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`stat3qsp.trial_columns.OBSERVED_COLUMNS`; unreported limits are NaN.
    """
    chosen = {arm.name for arm in spec.arms} if arms is None else set(arms)
    rows = [(arm.name, e.name, e.observed, e.lo, e.hi, e.role)
            for arm in spec.arms for e in arm.endpoints if arm.name in chosen]
    ratio = spec.design.pfs_hazard_ratio
    if ratio is not None and {ratio.experimental_arm, ratio.control_arm} <= chosen:
        rows.append((ratio.experimental_arm, tc.PFS_HAZARD_RATIO, ratio.observed, ratio.lo, ratio.hi, ratio.role))
    return pd.DataFrame(rows, columns=list(tc.OBSERVED_COLUMNS)).astype(  # unreported limits (None) become NaN
        {tc.OBSERVED: float, tc.OBSERVED_LO: float, tc.OBSERVED_HI: float})


def comparison_table(summary: pd.DataFrame, observed: pd.DataFrame,
                     replicate_endpoints: pd.DataFrame | None = None) -> pd.DataFrame:
    """Observed versus predicted endpoints.

    Parameters
    ----------
    summary
        Output of :func:`prediction_summary`.
    observed
        Output of :func:`observed_table`.
    replicate_endpoints
        The endpoints of every replicate trial that *summary* was made from (output of
        :func:`trial_endpoints`); gives the posterior-predictive tails and ``predictive_p``
        (:func:`predictive_tails`), NaN without it.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`stat3qsp.trial_columns.COMPARISON_COLUMNS`, one row per arm and endpoint
        present in either input (outer join). ``consistent`` (nullable boolean) is
        ``predicted_lo <= observed <= predicted_hi``, NA where the observation or the interval is
        missing; ``p_pred_le_observed``, ``p_pred_ge_observed`` and ``predictive_p`` from
        *replicate_endpoints*; ``n_replicates`` and ``n_failed`` from the summary (NaN for an observation without
        prediction).
        Rows are ordered by endpoint, then by arm as they first appear.
    """
    keys = [tc.ARM, tc.ENDPOINT]
    table = summary.merge(observed, on=keys, how="outer")
    for column in (tc.N_REPLICATES, tc.N_FAILED):
        if column not in table.columns:
            table[column] = np.nan
    known = table[[tc.OBSERVED, tc.PREDICTED_LO, tc.PREDICTED_HI]].notna().all(axis=1)
    inside = (table[tc.PREDICTED_LO] <= table[tc.OBSERVED]) & (table[tc.OBSERVED] <= table[tc.PREDICTED_HI])
    table[tc.CONSISTENT] = pd.array(inside, dtype="boolean")
    table.loc[~known, tc.CONSISTENT] = pd.NA
    tails = [(np.nan,) * 3] * len(table)
    if replicate_endpoints is not None:
        groups = {key: group[tc.VALUE].to_numpy(float)
                  for key, group in replicate_endpoints.groupby(keys, sort=False)}
        tails = [predictive_tails(groups.get((arm, endpoint), np.empty(0)), float(obs))
                 for arm, endpoint, obs in zip(table[tc.ARM], table[tc.ENDPOINT], table[tc.OBSERVED])]
    table[[tc.P_LE_OBSERVED, tc.P_GE_OBSERVED, tc.PREDICTIVE_P]] = np.array(tails, dtype=float).reshape(-1, 3)
    arm_order = {arm: i for i, arm in enumerate(pd.unique(pd.concat([summary[tc.ARM], observed[tc.ARM]])))}
    endpoint_order = {name: i for i, name in enumerate(tc.ENDPOINT_NAMES)}
    order = np.lexsort((table[tc.ARM].map(arm_order).to_numpy(),
                        table[tc.ENDPOINT].map(endpoint_order).fillna(len(endpoint_order)).to_numpy()))
    return table.iloc[order][list(tc.COMPARISON_COLUMNS)].reset_index(drop=True)


def _median_dor(group: pd.DataFrame, confidence: float) -> tuple[float, float, float]:
    """KM median duration of response of one trial's responders; NaN without them or without the
    ``response_weeks`` column."""
    if tc.RESPONSE_WEEKS not in group.columns:
        return (np.nan, np.nan, np.nan)
    onset = np.where(group[tc.BEST_RESPONSE].isin(_RESPONDERS), group[tc.RESPONSE_WEEKS].to_numpy(float), np.nan)
    durations, events = response_durations(group[tc.PFS_WEEKS].to_numpy(float), group[tc.EVENT].to_numpy(bool), onset)
    return _median(_fit(durations, events, confidence))


@functools.lru_cache(maxsize=4096)
def _clopper_pearson(count: int, n: int, confidence: float) -> tuple[float, float]:
    """Exact interval, cached: replicate trials of one size repeat the same few counts."""
    ci = binomtest(count, n).proportion_ci(confidence_level=confidence, method="exact")
    return (float(ci.low), float(ci.high))


def _fit(durations: ArrayLike, events: ArrayLike, confidence: float) -> KaplanMeierFitter | None:
    durations, events = survival_arrays(durations, confidence, events=events)
    if durations.size == 0:
        return None
    return KaplanMeierFitter(alpha=1 - confidence).fit(durations, event_observed=events)


def _median(fitter: KaplanMeierFitter | None) -> tuple[float, float, float]:
    if fitter is None:
        return (np.nan, np.nan, np.nan)
    limits = median_survival_times(fitter.confidence_interval_)
    median = curve_median(fitter.survival_function_.index.to_numpy(float),
                          fitter.survival_function_.iloc[:, 0].to_numpy(float))
    return (median, float(limits.iloc[0, 0]), float(limits.iloc[0, 1]))


def curve_median(times: np.ndarray, curve: np.ndarray) -> float:
    """Median of a survival curve ``S(times)`` (module docstring): the first time with ``S <= 0.5``,
    ``inf`` if none; on a flat segment at exactly 0.5 (within 1e-9), the midpoint of that segment."""
    reached = np.flatnonzero(curve <= 0.5 + _TIE_TOLERANCE)
    if reached.size == 0:
        return float(np.inf)
    median = times[reached[0]]
    below = np.flatnonzero(curve < 0.5 - _TIE_TOLERANCE)
    if curve[reached[0]] >= 0.5 - _TIE_TOLERANCE and below.size:
        median = (median + times[below[0]]) / 2.0
    return float(median)


def _survival_at(fitter: KaplanMeierFitter | None, time: float) -> tuple[float, float, float]:
    if fitter is None:
        return (np.nan, np.nan, np.nan)
    curve = fitter.survival_function_.iloc[:, 0]
    if time > fitter.durations.max() and curve.iloc[-1] > 0:
        return (np.nan, np.nan, np.nan)
    band = fitter.confidence_interval_survival_function_.loc[:time].iloc[-1]
    return (float(curve.loc[:time].iloc[-1]), float(band.iloc[0]), float(band.iloc[1]))


def _quantiles(values: np.ndarray, probabilities: list[float]) -> list[float]:
    """Linear-interpolation quantiles that allow ``+inf``: interpolating between two infinities
    (NaN in numpy) gives ``inf``. ``values`` must not contain NaN."""
    with np.errstate(invalid="ignore"):
        result = np.quantile(values, probabilities)
    return [np.inf if np.isnan(q) else float(q) for q in result]
