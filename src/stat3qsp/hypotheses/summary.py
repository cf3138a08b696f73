"""The ranking in words: an HTML page for the workflow's report (``results/hypotheses/summary.html``).

Sentences generated from the tables, so they stay true when the model changes: which hypothesis best
explains the trial and by how much (the difference of trial log scores is a log Bayes factor; with the
trial's 26 patients and a pool of a few dozen virtual patients per hypothesis, a difference below about 2,
a factor of about 7, is weak evidence), and per hypothesis its claim, how well its own tumour refit met the
population's calibration targets, and what it predicts for the forward-prediction trial (neratinib +
ruxolitinib in EGFR-high TNBC, seed 003).
"""
from __future__ import annotations

import html
import math

import pandas as pd

from stat3qsp.hypotheses import columns as hc

WEAK_EVIDENCE = 2.0
"""Differences of log score below this (a Bayes factor below about 7) are called weak."""


def best_sentence(ranking: pd.DataFrame, n_observed: int) -> str:
    """Which hypothesis best explains the observed endpoints, by how much, with the small-trial caveat."""
    table = ranking.sort_values(hc.TRIAL_LOG_SCORE, ascending=False)
    best = table.iloc[0]
    if len(table) == 1:
        return f"Only {best[hc.HYPOTHESIS]} was ranked (trial log score {best[hc.TRIAL_LOG_SCORE]:.2f})."
    second = table.iloc[1]
    gap = float(best[hc.TRIAL_LOG_SCORE] - second[hc.TRIAL_LOG_SCORE])
    strength = "weak" if gap < WEAK_EVIDENCE else "substantial"
    return (f"{best[hc.HYPOTHESIS]} explains the observed NCT02066532 endpoints best (trial log score "
            f"{best[hc.TRIAL_LOG_SCORE]:.2f}), {gap:.2f} above the next, {second[hc.HYPOTHESIS]}: a Bayes factor of "
            f"{math.exp(gap):.1f}, {strength} evidence. The trial had {n_observed} evaluable patients, and every "
            "score comes from a small pool of virtual patients (each hypothesis with its tumour scales refitted to "
            "the same calibration targets on the same, few, calibration patients), so the order of hypotheses within "
            "about 2 log units is not established.")


def forward_sentence(name: str, forward: pd.DataFrame, treated: str, control: str) -> str:
    """What hypothesis *name* predicts for the forward trial's arms (median PFS and ORR of the pool)."""
    rows = forward[forward[hc.HYPOTHESIS] == name].set_index(hc.ARM)
    if treated not in rows.index or control not in rows.index:
        return "No forward-prediction trial was run."
    a, b = rows.loc[treated], rows.loc[control]
    return (f"For the neratinib + ruxolitinib TNBC trial it predicts a median PFS of {a[hc.MEDIAN_PFS_WEEKS]:.1f} weeks "
            f"with ruxolitinib against {b[hc.MEDIAN_PFS_WEEKS]:.1f} with neratinib alone, and an ORR of "
            f"{100 * a[hc.ORR]:.0f}% against {100 * b[hc.ORR]:.0f}% ({int(a[hc.N_PATIENTS])} virtual patients per arm).")


def calibration_sentence(name: str, fits: pd.DataFrame | None) -> str:
    """How well hypothesis *name*'s tumour refit met the calibration targets (rows of calibration.tsv)."""
    if fits is None or not (fits[hc.HYPOTHESIS] == name).any():
        return ""
    rows = fits[fits[hc.HYPOTHESIS] == name]
    parts = [f"{r.endpoint} of {r.arm} {r.simulated:.3g} against {r.observed:.3g}" for r in rows.itertuples()
             if r.target in ("growth", "kill")]
    checks = [f"{r.endpoint} of {r.arm} {r.simulated:.3g} against {r.observed:.3g}" for r in rows.itertuples()
              if r.target == "check"]
    text = f"Refitted to the population's calibration targets: {'; '.join(parts)}"
    return text + (f" (checks, not fitted: {'; '.join(checks)})." if checks else ".")


def summary_html(ranking: pd.DataFrame, forward: pd.DataFrame, claims: dict[str, str], n_observed: int,
                 treated: str, control: str, fits: pd.DataFrame | None = None) -> str:
    """The page: the best-hypothesis sentence, one paragraph per hypothesis (claim, calibration fit and
    forward prediction), and the ranking table."""
    shown = [c for c in ranking.columns if not c.startswith(hc.LOG_PROBABILITY_PREFIX)]
    parts = ["<html><head><meta charset='utf-8'></head><body>", "<h2>Competing hypotheses</h2>",
             f"<p>{html.escape(best_sentence(ranking, n_observed))}</p>", "<ul>"]
    for name in ranking[hc.HYPOTHESIS]:
        modules = [m for m in name.split("+")]
        claim = " ".join(claims.get(m, "") for m in modules)
        parts.append(f"<li><b>{html.escape(name)}</b>: {html.escape(claim)} "
                     f"{html.escape(calibration_sentence(name, fits))} "
                     f"{html.escape(forward_sentence(name, forward, treated, control))}</li>")
    parts += ["</ul>", ranking[shown].round(4).to_html(index=False, na_rep="", border=0), "</body></html>"]
    return "\n".join(parts) + "\n"
