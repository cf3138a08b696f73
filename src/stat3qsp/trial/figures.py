"""Figures of a virtual trial (matplotlib, Agg backend), after Kearney 2021 Figs 2-3.

- :func:`km_band_figure`: per arm, the Kaplan-Meier PFS curves of the replicate trials as their
  pointwise median and 5-95% band, with the observed KM curve where the spec has one
  (``arms[].observed_km``) and the observed median PFS and its 95% CI marked at S = 0.5, with the
  median's predictive_p in the panel title;
- :func:`swimmer_figure`: time on study of every patient of one replicate trial, with the best
  response and how follow-up ended (progression or censoring) (cf. Fig. 2);
- :func:`waterfall_figure`: best % change of SLD from baseline of the patients with measurable
  disease and at least one scan, with the PR (-30%) and PD (+20%) thresholds (cf. Fig. 3a);
- :func:`spider_figure`: % change of SLD over time per patient (cf. Fig. 3b);
- :func:`counterfactual_figure`: predicted median PFS, ORR and CBR of every arm, real and
  counterfactual, against the design's historical control and target.

Virtual patients whose simulation failed (``status`` ``failed``; no RECIST outcome) are not drawn;
the endpoints count them (``n_failed``).
"""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from lifelines import KaplanMeierFitter  # noqa: E402

from stat3qsp.trial import columns as tc  # noqa: E402
from stat3qsp.trial.simulate import MEASURABLE, PCT_CHANGE, WEEK  # noqa: E402
from stat3qsp.trial.spec import TrialSpec  # noqa: E402

RESPONSE_COLOURS = {tc.CR: "#1a9850", tc.PR: "#91cf60", tc.SD: "#fdae61", tc.PD: "#d73027", tc.NE: "0.6"}
"""Colour per RECIST best response."""


def km_band_figure(patients: pd.DataFrame, comparison: pd.DataFrame, horizon_weeks: float, path: Path | str,
                   spec: TrialSpec | None = None) -> None:
    """Predicted KM band per arm with the observed KM curve (from *spec*, where its arm has
    ``observed_km``) and the observed median PFS (and 95% CI) where there is one."""
    observed_km = {} if spec is None else {a.name: a.observed_km for a in spec.arms if a.observed_km is not None}
    arms = list(dict.fromkeys(patients[tc.ARM]))
    patients = _simulated(patients)
    grid = np.linspace(0.0, horizon_weeks, 400)
    columns = min(3, len(arms))
    rows = int(np.ceil(len(arms) / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(4.3 * columns, 3.4 * rows), squeeze=False, sharey=True)
    for ax, arm in zip(axes.flat, arms):
        curves = []
        for _, trial in patients[patients[tc.ARM] == arm].groupby(tc.REPLICATE):
            fitter = KaplanMeierFitter().fit(trial[tc.PFS_WEEKS].to_numpy(float), trial[tc.EVENT].to_numpy(bool))
            curves.append(fitter.survival_function_at_times(grid).to_numpy())
        if curves:
            low, mid, high = np.quantile(np.array(curves), [0.05, 0.5, 0.95], axis=0)
            ax.fill_between(grid, low, high, step="post", color="C0", alpha=0.25, lw=0, label="90% of replicate trials")
            ax.step(grid, mid, where="post", color="C0", lw=1.5, label="median of replicate trials")
        if arm in observed_km:
            km = observed_km[arm]
            ax.step(km.weeks, km.survival, where="post", color="C3", lw=1.5, label="observed KM")
        row = comparison[(comparison[tc.ARM] == arm) & (comparison[tc.ENDPOINT] == tc.MEDIAN_PFS_WEEKS)]
        title = arm
        if len(row) and tc.PREDICTIVE_P in row.columns and np.isfinite(row[tc.PREDICTIVE_P].iloc[0]):
            title += f" (median PFS predictive p {row[tc.PREDICTIVE_P].iloc[0]:.2g})"
        if len(row) and np.isfinite(row[tc.OBSERVED].iloc[0]):
            observed, lo, hi = row[[tc.OBSERVED, tc.OBSERVED_LO, tc.OBSERVED_HI]].iloc[0]
            xerr = None if np.isnan(lo) else [[observed - lo], [hi - observed]]
            ax.errorbar([observed], [0.5], xerr=xerr, fmt="D", color="C3", ms=5, capsize=3,
                        label="observed median (95% CI)")
        ax.axhline(0.5, color="0.8", lw=0.8, ls=":")
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("weeks from registration")
        ax.set_xlim(0, horizon_weeks)
    for ax in axes.flat[len(arms):]:
        ax.axis("off")
    for ax in axes[:, 0]:
        ax.set_ylabel("progression-free")
    axes.flat[0].legend(fontsize=7, frameon=False, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def swimmer_figure(patients: pd.DataFrame, arm: str, replicate: int, path: Path | str) -> None:
    """Time on study per patient of one replicate trial, coloured by best response."""
    part = _one_trial(patients, arm, replicate).sort_values(tc.PFS_WEEKS)
    fig, ax = plt.subplots(figsize=(6.5, 0.22 * len(part) + 1.4))
    for y, row in enumerate(part.itertuples(index=False)):
        response = getattr(row, tc.BEST_RESPONSE)
        pfs = getattr(row, tc.PFS_WEEKS)
        ax.barh(y, pfs, color=RESPONSE_COLOURS[response], height=0.7)
        ax.plot(pfs, y, "x" if getattr(row, tc.EVENT) else ">", color="k", ms=4)
    ax.set_yticks(range(len(part)), [str(p) for p in part[tc.PATIENT]], fontsize=6)
    ax.set_xlabel("weeks from registration (x: progression, >: censored)")
    ax.set_ylabel("virtual patient")
    _finish(fig, ax, f"{arm}, replicate {replicate}", path)


def waterfall_figure(patients: pd.DataFrame, arm: str, replicate: int, path: Path | str) -> None:
    """Best % change of SLD per patient with measurable disease and a scan, largest first."""
    part = _one_trial(patients, arm, replicate).dropna(subset=[tc.BEST_PCT_CHANGE])
    part = part.sort_values(tc.BEST_PCT_CHANGE, ascending=False)
    fig, ax = plt.subplots(figsize=(6.5, 3.4))
    ax.bar(range(len(part)), part[tc.BEST_PCT_CHANGE], color=[RESPONSE_COLOURS[r] for r in part[tc.BEST_RESPONSE]])
    _recist_lines(ax)
    ax.axhline(0, color="k", lw=0.6)
    ax.set_xticks([])
    ax.set_ylabel("best change of SLD from baseline (%)")
    _finish(fig, ax, f"{arm}, replicate {replicate} (measurable disease, >= 1 scan)", path)


def spider_figure(patients: pd.DataFrame, sld: pd.DataFrame, arm: str, replicate: int, path: Path | str) -> None:
    """% change of SLD from baseline over time per patient with measurable disease."""
    part = _one_trial(patients, arm, replicate).set_index(tc.PATIENT)
    scans = sld[(sld[tc.ARM] == arm) & (sld[tc.REPLICATE] == replicate) & sld[MEASURABLE]]
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    for patient, course in scans.groupby(tc.PATIENT):
        if len(course) > 1:
            colour = RESPONSE_COLOURS[part.loc[patient, tc.BEST_RESPONSE]]
            ax.plot(course[WEEK], course[PCT_CHANGE], "-o", color=colour, ms=3, lw=1)
    _recist_lines(ax)
    ax.set_xlabel("weeks from registration")
    ax.set_ylabel("change of SLD from baseline (%)")
    _finish(fig, ax, f"{arm}, replicate {replicate} (scans up to progression)", path)


def _simulated(patients: pd.DataFrame) -> pd.DataFrame:
    """The patients with a RECIST outcome (not ``failed``; all of a table without ``status``)."""
    if tc.STATUS not in patients.columns:
        return patients
    return patients[patients[tc.STATUS] != tc.FAILED]


def _one_trial(patients: pd.DataFrame, arm: str, replicate: int) -> pd.DataFrame:
    patients = _simulated(patients)
    return patients[(patients[tc.ARM] == arm) & (patients[tc.REPLICATE] == replicate)]


def _recist_lines(ax) -> None:
    """Dashed lines at +20 % (progression) and -30 % (partial response) change of SLD (RECIST 1.1)."""
    ax.axhline(20, color="k", lw=0.8, ls="--")
    ax.axhline(-30, color="k", lw=0.8, ls="--")


def _finish(fig, ax, title: str, path: Path | str) -> None:
    """Response legend and title of a per-patient figure, then layout, save and close."""
    _response_legend(ax)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _response_legend(ax) -> None:
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in RESPONSE_COLOURS.values()]
    ax.legend(handles, list(RESPONSE_COLOURS), fontsize=7, frameon=False, ncol=5, loc="upper left")


def counterfactual_figure(comparison: pd.DataFrame, spec: TrialSpec, path: Path | str) -> None:
    """Predicted endpoints of every arm (median and 90% interval over replicate trials) with the
    observed values, against the design's historical control and target median PFS.

    Left: median PFS (weeks); right: ORR and CBR. Counterfactual arms are marked ``(what-if)``.
    """
    arms = [arm for arm in spec.arms if arm.name in set(comparison[tc.ARM])]
    labels = [f"{arm.name}{' (what-if)' if arm.counterfactual else ''}" for arm in arms]
    y = np.arange(len(arms))[::-1]
    fig, axes = plt.subplots(1, 2, figsize=(12, 0.45 * len(arms) + 1.8), sharey=True,
                             gridspec_kw={"width_ratios": [1.3, 1]})
    panels = ((axes[0], ((tc.MEDIAN_PFS_WEEKS, "C0", 0.0),)),
              (axes[1], ((tc.ORR, "C2", 0.12), (tc.CBR, "C4", -0.12))))
    for ax, endpoints in panels:
        for endpoint, colour, offset in endpoints:
            part = comparison[comparison[tc.ENDPOINT] == endpoint].set_index(tc.ARM)
            for yi, arm in zip(y, arms):
                if arm.name not in part.index:
                    continue
                row = part.loc[arm.name]
                mid, lo, hi = (float(row[c]) for c in (tc.PREDICTED, tc.PREDICTED_LO, tc.PREDICTED_HI))
                if np.isfinite(lo):
                    ax.plot([lo, hi], [yi + offset] * 2, color=colour, lw=2.5, alpha=0.6, solid_capstyle="butt")
                ax.plot([mid], [yi + offset], "o", color=colour, ms=5,
                        label=f"{endpoint} predicted (90% PI)" if yi == y[0] else None)
                if np.isfinite(row[tc.OBSERVED]):
                    err = None if np.isnan(row[tc.OBSERVED_LO]) else [[row[tc.OBSERVED] - row[tc.OBSERVED_LO]],
                                                                     [row[tc.OBSERVED_HI] - row[tc.OBSERVED]]]
                    ax.errorbar([row[tc.OBSERVED]], [yi + offset], xerr=err, fmt="D", color="C3", ms=5, capsize=3,
                                label="observed (95% CI)")
    design = spec.design
    for value, style, text in ((design.historical_control_median_pfs_weeks, ":", "historical control"),
                               (design.target_median_pfs_weeks, "--", "target")):
        if value is not None:
            axes[0].axvline(value, color="k", ls=style, lw=1, label=f"{text} {value:g} weeks")
    axes[0].set_yticks(y, labels, fontsize=8)
    axes[0].set_xlabel("median PFS (weeks)")
    axes[1].set_xlabel("rate")
    axes[1].set_xlim(-0.02, 1.0)
    for ax in axes:
        handles, names = ax.get_legend_handles_labels()
        unique = dict(zip(names, handles))
        ax.legend(unique.values(), unique.keys(), fontsize=7, frameon=False, loc="lower right")
        ax.grid(axis="x", color="0.9")
    fig.suptitle(f"{spec.id}: every arm against the design (medians and 90% intervals over replicate trials)",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
