"""Report tables of a virtual trial: which data calibrated and which validated the model, the
predicted-versus-observed endpoints in words, and what the counterfactual arms say about the
trial's target.

- :func:`data_roles`: one row per body of data the model's fitted values come from (the
  parameter-table rows whose source starts with ``fitted:``, grouped by source) and one per observed
  endpoint of the spec, with its role there (``calibration``: fitted to; ``validation``: held out,
  only compared with the prediction).
- :func:`predicted_vs_observed`: the comparison table (:func:`stat3qsp.endpoints.comparison_table`)
  restricted to observed endpoints, as text: observed value and 95% CI, predicted median and 90%
  prediction interval over replicate trials, the two-sided posterior-predictive p with its two
  tails (:mod:`stat3qsp.trial.predictive`), and ``yes``/``no`` for consistency (observed within
  the interval; a ``no`` within 0.1% of a limit is noted as at the edge, since the text rounds).
  Rates are shown in percent.
- :func:`target_summary`: per arm, the predicted median PFS and its interval against the trial's
  target (``design.target_median_pfs_weeks``), with the share of replicate trials whose KM median
  reaches it: ``yes`` when the 5th percentile is at or above the target, ``no`` when the 95th is
  below it, ``uncertain`` in between.
- :func:`failed_patients`: the number of virtual patients whose simulation failed (left out of
  the endpoints; :mod:`stat3qsp.trial.simulate`), from the comparison table's ``n_failed``.
- :func:`summary_html`: the three tables in one HTML page, for the workflow's report, with a line
  that states the number of failed virtual patients (0 included).
"""
from __future__ import annotations

import html

import numpy as np
import pandas as pd

from stat3qsp.trial import columns as tc
from stat3qsp.model.parameters import Parameter
from stat3qsp.trial.spec_types import TrialSpec

FITTED_PREFIX = "fitted:"
"""Source prefix of a fitted parameter in models/parameters.tsv."""
EDGE_TOLERANCE = 1e-3
"""An observed value outside the interval by less than this (relative) is noted as at its edge."""
_RATES = (tc.PFS_6MO, tc.ORR, tc.CBR) + tc.TOXICITY_ENDPOINT_NAMES
_CALIBRATED_AS = {tc.MEDIAN_PFS_WEEKS: "median PFS", tc.ORR: "ORR"}
"""How a calibration target is matched, by endpoint (:mod:`stat3qsp.calibration.tumour`)."""


def data_roles(spec: TrialSpec, parameters: dict[str, Parameter]) -> pd.DataFrame:
    """Which data calibrated the model and which validated it (module docstring).

    Returns
    -------
    pandas.DataFrame
        Columns ``role, data, used_for, source`` (:mod:`stat3qsp.trial.columns`); calibration rows
        first.
    """
    fitted: dict[str, list[str]] = {}
    for pid, row in parameters.items():
        if row.source.startswith(FITTED_PREFIX):
            fitted.setdefault(row.source[len(FITTED_PREFIX):].strip(), []).append(pid)
    rows = [("calibration", source, f"fitted: {', '.join(ids)}", "models/parameters.tsv")
            for source, ids in fitted.items()]
    observed = [(arm.name, e.name, e) for arm in spec.arms for e in arm.endpoints]
    ratio = spec.design.pfs_hazard_ratio
    if ratio is not None:
        observed.append((f"{ratio.experimental_arm} vs {ratio.control_arm}", tc.PFS_HAZARD_RATIO, ratio))
    for arm, name, endpoint in observed:
        value = _format_value(name, endpoint.observed, endpoint.lo, endpoint.hi)
        data = f"{spec.id} {arm}: {name} {value}"
        used = ("calibration target of a fitted parameter (compared on its own scale, see the note of "
                "predicted_vs_observed.tsv)" if endpoint.role == "calibration"
                else "held out: only compared with the prediction; nothing fitted to it")
        rows.append((endpoint.role, data, used, endpoint.source.strip()))
    table = pd.DataFrame(rows, columns=[tc.ROLE, tc.DATA, tc.USED_FOR, tc.SOURCE])
    order = table[tc.ROLE].map({"calibration": 0, "validation": 1}).fillna(2)
    return table.iloc[np.argsort(order.to_numpy(), kind="stable")].reset_index(drop=True)


def predicted_vs_observed(comparison: pd.DataFrame) -> pd.DataFrame:
    """Observed endpoints against the prediction, as text with ``yes``/``no`` consistency.

    Parameters
    ----------
    comparison
        Columns :data:`stat3qsp.trial_columns.COMPARISON_COLUMNS`.

    Returns
    -------
    pandas.DataFrame
        Columns ``endpoint, arm, role, observed (95% CI), predicted (90% PI), predictive_p,
        consistent, note``; ``predictive_p`` is ``n/a`` where the comparison has none (no
        replicate endpoints, or no ``predictive_p`` column).
    """
    observed = comparison[comparison[tc.OBSERVED].notna()]
    rows = []
    for r in observed.itertuples(index=False):
        row = r._asdict()
        consistent = row[tc.CONSISTENT]
        verdict = "n/a" if pd.isna(consistent) else ("yes" if bool(consistent) else "no")
        notes = []
        if row[tc.ROLE] == "calibration":
            what = _CALIBRATED_AS.get(row[tc.ENDPOINT], row[tc.ENDPOINT])
            notes.append(f"calibration target: the fit matches the {what} without this spec's trial conduct "
                         "(calibration/tumour/targets.yaml, stat3qsp.calibration.targets); the value predicted here, "
                         "with the spec's scan window and early discontinuation, is not exactly what was fitted")
        edge = _edge(row[tc.OBSERVED], row[tc.PREDICTED_LO], row[tc.PREDICTED_HI])
        if verdict == "no" and edge is not None:
            notes.append(f"at the edge: the interval ends at {edge:.6g}")
        rows.append((row[tc.ENDPOINT], row[tc.ARM], row[tc.ROLE],
                     _format_value(row[tc.ENDPOINT], row[tc.OBSERVED], row[tc.OBSERVED_LO], row[tc.OBSERVED_HI]),
                     _format_value(row[tc.ENDPOINT], row[tc.PREDICTED], row[tc.PREDICTED_LO], row[tc.PREDICTED_HI],
                                   brackets="[]"),
                     _format_p(row), verdict, "; ".join(notes)))
    return pd.DataFrame(rows, columns=[tc.ENDPOINT, tc.ARM, tc.ROLE, tc.OBSERVED_TEXT, tc.PREDICTED_TEXT,
                                       tc.PREDICTIVE_P_TEXT, tc.CONSISTENT_TEXT, tc.NOTE])


def _format_p(row: dict) -> str:
    """``0.04 (<= obs 0.02, >= obs 0.99)``, or ``n/a`` without a predictive p."""
    p = row.get(tc.PREDICTIVE_P, np.nan)
    if pd.isna(p):
        return "n/a"
    return f"{p:.2g} (<= obs {row[tc.P_LE_OBSERVED]:.2g}, >= obs {row[tc.P_GE_OBSERVED]:.2g})"


def target_summary(spec: TrialSpec, comparison: pd.DataFrame, replicate_endpoints: pd.DataFrame) -> pd.DataFrame:
    """Predicted median PFS of every arm against the trial's target (module docstring).

    Parameters
    ----------
    spec
        The trial spec (target, historical control, arms).
    comparison
        Columns :data:`stat3qsp.trial_columns.COMPARISON_COLUMNS`.
    replicate_endpoints
        Columns :data:`stat3qsp.trial_columns.ENDPOINT_COLUMNS` (every replicate and arm).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`stat3qsp.trial_columns.TARGET_COLUMNS`, arms in spec order.
    """
    target = spec.design.target_median_pfs_weeks
    control = spec.design.historical_control_median_pfs_weeks
    pfs = comparison[comparison[tc.ENDPOINT] == tc.MEDIAN_PFS_WEEKS].set_index(tc.ARM)
    per_trial = replicate_endpoints[replicate_endpoints[tc.ENDPOINT] == tc.MEDIAN_PFS_WEEKS]
    rows = []
    for arm in spec.arms:
        if arm.name not in pfs.index:
            continue
        predicted, lo, hi = (float(pfs.loc[arm.name, c]) for c in (tc.PREDICTED, tc.PREDICTED_LO, tc.PREDICTED_HI))
        values = per_trial.loc[per_trial[tc.ARM] == arm.name, tc.VALUE].to_numpy(float)
        values = values[~np.isnan(values)]
        if target is None or not values.size or np.isnan(lo):
            share, verdict = np.nan, "n/a"
        else:
            share = float(np.mean(values >= target))
            verdict = "yes" if lo >= target else ("no" if hi < target else "uncertain")
        rows.append((arm.name, arm.counterfactual, predicted, lo, hi, np.nan if target is None else target,
                     np.nan if control is None else control, share, verdict, " ".join(arm.description.split())))
    return pd.DataFrame(rows, columns=list(tc.TARGET_COLUMNS))


def failed_patients(comparison: pd.DataFrame) -> int | None:
    """Virtual patients of all arms and replicates whose simulation failed: the sum over arms of
    the comparison table's ``n_failed`` (one value per arm, repeated on its endpoints); None if the
    table has no count (no ``n_failed`` column, or an arm with a prediction but no count)."""
    if tc.N_FAILED not in comparison.columns:
        return None
    predicted = comparison[comparison[tc.N_REPLICATES].notna()]
    per_arm = predicted.groupby(tc.ARM, sort=False)[tc.N_FAILED].agg(lambda x: x.max() if x.notna().all() else np.nan)
    if per_arm.isna().any():
        return None
    return int(per_arm.sum())


def summary_html(spec: TrialSpec, roles: pd.DataFrame, observed: pd.DataFrame, target: pd.DataFrame,
                 failed: int | None = None, monte_carlo: pd.DataFrame | None = None,
                 replicates: int | None = None, misses: pd.DataFrame | None = None) -> str:
    """One HTML page with the three tables of this module, for the Snakemake report.

    *failed* is the number of virtual patients whose simulation failed (:func:`failed_patients`);
    the page states it, 0 included, and says so when it is not known (None). *monte_carlo* (the
    table of :func:`stat3qsp.trial.monte_carlo.median_standard_errors`) adds the Monte Carlo error
    of every predicted median at the run's number of *replicates*. *misses* (the table of
    :func:`stat3qsp.trial.misses.validation_misses`) adds the validation endpoints the model misses,
    or "none".
    """
    design = spec.design
    goal = ("" if design.target_median_pfs_weeks is None else
            f"The design asked for a median PFS of {design.target_median_pfs_weeks:g} weeks"
            + ("" if design.historical_control_median_pfs_weeks is None else
               f" against a historical control of {design.historical_control_median_pfs_weeks:g} weeks") + ". ")
    styles = ("body{font-family:sans-serif;font-size:13px;margin:1em} table{border-collapse:collapse;margin-bottom:1.5em}"
              " td,th{border:1px solid #bbb;padding:3px 6px;text-align:left;vertical-align:top} th{background:#eee}")
    parts = [f"<html><head><meta charset='utf-8'><style>{styles}</style></head><body>",
             f"<h2>{html.escape(spec.id)}: calibration, validation and the design's target</h2>",
             *(["<p><strong>FORWARD PREDICTION</strong>: the outcome of this trial is not known; every value on "
                "this page is predicted, none is observed.</p>"] if spec.forward_prediction else []),
             "<h3>Which data calibrated the model and which validated it</h3>",
             "<p>Calibration data were used to fit parameter values; validation data were held out and are only "
             "compared with the predictions below.</p>", _table_html(roles),
             "<h3>Predicted versus observed</h3>",
             "<p>Observed: value and 95% confidence interval as reported. Predicted: median over replicate virtual "
             "trials of the observed size and the 5th-95th percentile interval (90% PI). predictive_p: two-sided "
             "posterior-predictive p, 2 x the smaller of the shares of replicate trials at most and at least as "
             "extreme as the observation (ties in both; below 0.1 the real trial is among the model's 10% most "
             "extreme outcomes). Consistent: the observed value lies in the 90% PI.</p>", f"<p>{_failed_text(failed)}</p>", _table_html(observed),
             *([] if misses is None else _misses_html(misses)),
             "<h3>What would it take to reach the target?</h3>",
             f"<p>{goal}Median PFS of every arm, real and counterfactual (median and 90% PI over replicate trials), "
             "and the share of replicate trials whose Kaplan-Meier median reaches the target. reaches_target: yes if "
             "the whole interval is at or above the target, no if wholly below, uncertain otherwise. PFS is dated "
             "at the scans, so medians of single trials cluster at the scan times.</p>",
             _table_html(target.round(3))]
    if monte_carlo is not None:
        parts += ["<h3>Monte Carlo error of the predictions</h3>",
                  f"<p>Medians over {replicates if replicates is not None else 'the'} replicate virtual trials of this "
                  "run and their Monte Carlo standard error (mc_se: bootstrap over replicates; inf where a replicate's "
                  "median PFS is not reached often enough to estimate it). More replicates (config trials.replicates, "
                  "config/full.yaml) shrink it as 1/sqrt(replicates).</p>", _table_html(monte_carlo.round(4))]
    parts.append("</body></html>")
    return "\n".join(parts)


def _misses_html(misses: pd.DataFrame) -> list[str]:
    """The section on the validation endpoints with predictive_p below 0.1 (``none`` without any)."""
    intro = ("<p>Every observed validation endpoint with predictive_p below 0.1 (issue 13 asks for 0.1 or more), where "
             "the replicate trials lie against the observation (below or above, with the small one-sided share) and "
             "why, by kind of endpoint; calibration endpoints are not listed (they were fitted). The same rows are in "
             "validation_misses.tsv.</p>")
    body = ("<p>none: every observed validation endpoint has predictive_p of 0.1 or more.</p>" if not len(misses)
            else _table_html(misses.round({tc.PREDICTIVE_P: 3})))
    return ["<h3>Validation endpoints the model misses, and why</h3>", intro, body]


def _failed_text(failed: int | None) -> str:
    """The report's sentence on failed virtual patients."""
    if failed is None:
        return "Failed virtual patients: unknown (no count was given for this page)."
    return (f"Failed virtual patients: {failed} (the integration failed also when retried with tighter integrator "
            "settings; left out of every endpoint, listed with the reason in patients.tsv).")


def _table_html(table: pd.DataFrame) -> str:
    return table.to_html(index=False, na_rep="", escape=True, border=0)


def _edge(observed: float, lo: float, hi: float, tolerance: float = EDGE_TOLERANCE) -> float | None:
    """The interval limit within *tolerance* (relative) of the observed value, if any."""
    for limit in (lo, hi):
        if np.isfinite(limit) and abs(observed - limit) <= tolerance * max(abs(limit), 1e-12):
            return float(limit)
    return None


def _format_value(endpoint: str, value: float, lo: float | None, hi: float | None, brackets: str = "()") -> str:
    """``8.3 (7.1 to 13.9)`` for weeks, ``3.85% (0.1% to 19.6%)`` for rates; no interval if unknown."""
    rate = endpoint in _RATES
    lo = np.nan if lo is None else lo
    hi = np.nan if hi is None else hi

    def text(x: float) -> str:
        if np.isinf(x):
            return "not reached"
        return f"{100 * x:.3g}%" if rate else f"{x:.3g}"
    shown = text(value)
    if not (np.isnan(lo) or np.isnan(hi)):
        shown += f" {brackets[0]}{text(lo)} to {text(hi)}{brackets[1]}"
    return shown
