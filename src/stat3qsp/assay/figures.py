"""Figures of the workflow (matplotlib, Agg backend)."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from stat3qsp.assay.dose_response import CONC, CONTEXT, DRUG  # noqa: E402
from stat3qsp.assay.hill import ll4  # noqa: E402


def dose_response_figure(sweeps: pd.DataFrame, fits: pd.DataFrame, readout: str, path: Path | str) -> None:
    """One panel per context, one curve per drug: simulated points and the fitted LL.4 curve."""
    contexts = list(dict.fromkeys(sweeps[CONTEXT]))
    fig, axes = plt.subplots(1, len(contexts), figsize=(4.2 * len(contexts), 3.6), squeeze=False, sharey=True)
    for ax, context in zip(axes[0], contexts):
        for drug, part in sweeps[sweeps[CONTEXT] == context].groupby(DRUG, sort=False):
            nonzero = part[part[CONC] > 0]
            points = ax.plot(nonzero[CONC], nonzero[readout], "o", ms=4, label=drug)[0]
            fit = fits[(fits[CONTEXT] == context) & (fits[DRUG] == drug) & (fits["readout"] == readout)].iloc[0]
            grid = np.geomspace(nonzero[CONC].min(), nonzero[CONC].max(), 200)
            ax.plot(grid, ll4(grid, fit["bottom"], fit["top"], fit["ic50_nM"], fit["slope"]), "-", color=points.get_color(), lw=1.2)
            ax.axhline(part.loc[part[CONC] == 0, readout].iloc[0], color="0.7", lw=0.8, ls=":")
        ax.set_xscale("log")
        ax.set_title(context, fontsize=10)
        ax.set_xlabel("free concentration (nM)")
    axes[0][0].set_ylabel(readout)
    axes[0][-1].legend(fontsize=8, frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _heatmap(ax, grid: np.ndarray, conc_r: np.ndarray, conc_c: np.ndarray, title: str, cmap: str, centre: bool) -> None:
    limit = np.nanmax(np.abs(grid)) or 1.0
    image = ax.imshow(grid, origin="lower", cmap=cmap, vmin=-limit if centre else 0, vmax=limit, aspect="auto")
    ax.set_xticks(range(len(conc_c)), [f"{c:.2g}" for c in conc_c], rotation=90, fontsize=7)
    ax.set_yticks(range(len(conc_r)), [f"{c:.2g}" for c in conc_r], fontsize=7)
    ax.set_title(title, fontsize=9)
    plt.colorbar(image, ax=ax, shrink=0.8)


def dose_matrix_figure(matrix: pd.DataFrame, readout: str, path: Path | str) -> None:
    """Heat map of one readout over a two-drug dose matrix (rows: drug_row, columns: drug_col, nM)."""
    conc_r, conc_c = np.unique(matrix["conc_r"]), np.unique(matrix["conc_c"])
    grid = matrix.pivot(index="conc_r", columns="conc_c", values=readout).loc[conc_r, conc_c].to_numpy()
    fig, ax = plt.subplots(figsize=(5.2, 4.2))
    _heatmap(ax, grid, conc_r, conc_c, f"{readout}, {matrix['context'].iloc[0]}", "viridis", False)
    ax.set_xlabel(f"{matrix['drug_col'].iloc[0]} (nM)")
    ax.set_ylabel(f"{matrix['drug_row'].iloc[0]} (nM)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def synergy_figure(matrix: pd.DataFrame, wells: pd.DataFrame, summary: pd.DataFrame, path: Path | str,
                   clinical: dict | None = None) -> None:
    """Viability inhibition, Bliss and ZIP heatmaps (exact mode), the isobologram at 50 % and the summaries.

    With *clinical* (drug -> :class:`stat3qsp.clinical_region.ClinicalRange`), the clinically reachable
    region is marked: a dashed green box around the clinical wells of each heatmap
    (:func:`stat3qsp.clinical_region.clinical_wells`), and in the isobologram the typical patient's
    steady-state [trough, peak] rectangle (shaded) and the population's 5th-95th percentile range
    (dotted).
    """
    from stat3qsp.assay import columns as col
    from stat3qsp.assay.clinical_region import clinical_wells
    from stat3qsp.assay.synergy.scores import most_synergistic_area

    drug_r, drug_c, context = matrix[col.DRUG_ROW].iloc[0], matrix[col.DRUG_COL].iloc[0], matrix["context"].iloc[0]
    conc_r, conc_c = np.unique(matrix[col.CONC_R]), np.unique(matrix[col.CONC_C])
    shape = (len(conc_r), len(conc_c))
    ranges = (clinical or {}).get(drug_r), (clinical or {}).get(drug_c)
    region = clinical_wells(conc_r, conc_c, *ranges)[0] if all(ranges) else None
    via = wells[(wells["readout"] == "viability_pct") & (wells[col.REFERENCE_MODE] == "exact")]
    fig, axes = plt.subplots(2, 3, figsize=(14, 8.5))
    _heatmap(axes[0, 0], via[col.INHIBITION].to_numpy().reshape(shape), conc_r, conc_c, "viability: % inhibition", "viridis", False)
    for ax, method in zip(axes[0, 1:], ("bliss", "zip")):
        if f"{method}_score" not in via:
            ax.axis("off")
            ax.set_title(f"{method}: not among the configured methods", fontsize=9)
            continue
        scores = via[f"{method}_score"].to_numpy().reshape(shape)
        _heatmap(ax, scores, conc_r, conc_c, f"viability: {method} score (exact)", "RdBu_r", True)
        if method == "bliss":
            area = most_synergistic_area(scores)
            ax.add_patch(plt.Rectangle((area.col_start - 0.5, area.row_start - 0.5), area.col_stop - area.col_start,
                                       area.row_stop - area.row_start, fill=False, lw=2, color="black"))
    for ax in axes[0]:
        ax.set_xlabel(f"{drug_c} (nM)")
        ax.set_ylabel(f"{drug_r} (nM)")
        if region is not None and region.any():
            clinical_box(ax, region)
    _isobologram(axes[1, 0], via[col.INHIBITION].to_numpy().reshape(shape), conc_r, conc_c, drug_r, drug_c)
    if all(ranges):
        _clinical_rectangle(axes[1, 0], *ranges)
    extra = [c for c in ("bliss" + col.CLINICAL_SUFFIX, col.N_CLINICAL_WELLS) if c in summary]
    table = summary[["readout", col.REFERENCE_MODE, *[m for m in ("hsa", "bliss", "loewe", "zip") if m in summary], "ci_mean", "musyc_alpha12", "musyc_alpha21", "musyc_beta", *extra]]
    axes[1, 1].axis("off")
    axes[1, 2].axis("off")
    cell_text = [[f"{v:.3g}" if isinstance(v, float) else str(v) for v in row] for row in table.itertuples(index=False)]
    labels = [c.replace("musyc_", "").replace("n_clinical_wells", "n_clin").replace("_clinical", "_clin") for c in table.columns]
    shown = axes[1, 1].table(cellText=cell_text, colLabels=labels, loc="center", fontsize=7)
    shown.auto_set_font_size(False)
    shown.set_fontsize(7)
    shown.scale(2.1, 1.3)
    fig.suptitle(f"{drug_r} x {drug_c} in {context}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def clinical_box(ax, region: np.ndarray) -> None:
    """Dashed box around the clinically reachable wells (a rectangle of the dose grid) of a heatmap.

    The one drawing of the region: the model sweep figures (:func:`synergy_figure`) and the lab
    plate figures (:mod:`stat3qsp.assay.plate_figures`, :func:`stat3qsp.assay.synergy.compare.comparison_figure`)
    call it with the mask of :func:`stat3qsp.assay.clinical_region.clinical_wells`."""
    rows, cols = np.nonzero(region)
    ax.add_patch(plt.Rectangle((cols.min() - 0.5, rows.min() - 0.5), cols.max() - cols.min() + 1,
                               rows.max() - rows.min() + 1, fill=False, lw=2, ls="--", color="#1b9e77",
                               label="clinically reachable"))


def _clinical_rectangle(ax, range_r, range_c) -> None:
    """Typical patient's [trough, peak] of both drugs (shaded) and the population range (dotted);
    the axes are widened to show the typical range whole (the contour covers the dose grid only)."""
    ax.add_patch(plt.Rectangle((range_c.low, range_r.low), range_c.high - range_c.low, range_r.high - range_r.low,
                               color="#1b9e77", alpha=0.25, lw=0, label="clinical [trough, peak], typical patient"))
    ax.add_patch(plt.Rectangle((range_c.population_low, range_r.population_low),
                               range_c.population_high - range_c.population_low,
                               range_r.population_high - range_r.population_low, fill=False, ls=":", lw=1.2,
                               color="#1b9e77", label="population 5th-95th percentile"))
    # Axes widened to show the typical range whole, also where it lies beyond the dose grid.
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    ax.set_xlim(min(x0, range_c.low / 1.5), max(x1, range_c.high * 1.5))
    ax.set_ylim(min(y0, range_r.low / 1.5), max(y1, range_r.high * 1.5))
    ax.legend(fontsize=7, frameon=False, loc="best")


def _isobologram(ax, inhibition: np.ndarray, conc_r: np.ndarray, conc_c: np.ndarray, drug_r: str, drug_c: str) -> None:
    """Contour of 50 % inhibition on log axes (nonzero doses) against Loewe's additivity line.

    Loewe's line joins the single-drug IC50s: c_r / IC50_r + c_c / IC50_c = 1, drawn parametrically
    (a curve on log axes). Where a single drug never reaches 50 %, its IC50 is infinite and the line
    degenerates to the other drug's IC50 (a straight line at that dose), which is said in the panel.
    """
    level = 50.0
    ax.contour(conc_c[1:], conc_r[1:], inhibition[1:, 1:], levels=[level], colors="C3")
    ic50 = []
    for single, conc in ((inhibition[:, 0], conc_r), (inhibition[0, :], conc_c)):
        above = np.nonzero(single >= level)[0]
        reached = len(above) and above[0] > 0
        ic50.append(np.exp(np.interp(level, single[above[0] - 1: above[0] + 1], np.log(np.maximum(conc[above[0] - 1: above[0] + 1], 1e-300))))
                    if reached else np.inf)
    t = np.linspace(1e-3, 1 - 1e-3, 200)
    if np.isfinite(ic50[0]) and np.isfinite(ic50[1]):
        ax.plot(ic50[1] * t, ic50[0] * (1 - t), "k--", lw=1, label="Loewe additivity")
    elif np.isfinite(ic50[0]):
        ax.axhline(ic50[0], color="k", ls="--", lw=1, label=f"Loewe additivity ({drug_c} alone < 50 %)")
    elif np.isfinite(ic50[1]):
        ax.axvline(ic50[1], color="k", ls="--", lw=1, label=f"Loewe additivity ({drug_r} alone < 50 %)")
    ax.plot([], [], color="C3", label="combination at 50 %")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(conc_c[1], conc_c[-1])
    ax.set_ylim(conc_r[1], conc_r[-1])
    ax.legend(fontsize=7, frameon=False, loc="upper right")
    ax.set_xlabel(f"{drug_c} (nM)")
    ax.set_ylabel(f"{drug_r} (nM)")
    ax.set_title("isobologram at 50 % viability inhibition", fontsize=9)


def comparison_figure(settings: pd.DataFrame, add_on_range: pd.DataFrame, path: Path | str) -> None:
    """Cross-setting comparison: STAT3 phosphorylation attribution and the add-on's effect on the backbone.

    Panel A: shares of STAT3 phosphorylation through IL-6/JAK and direct receptor kinases at the
    untreated steady state, and the receptor-kinase share of IL6 transcription. Panels B-D: change
    of viability (percentage points), pSTAT3 and calprotectin (% of the backbone value) when the
    add-on is given with each setting's backbone, over the add-on range; the dotted line marks the
    clinical free concentration.
    """
    from stat3qsp.assay import columns as col

    fig, axes = plt.subplots(1, 4, figsize=(17, 4.2))
    contexts = list(settings[col.SETTING_CONTEXT])
    x = np.arange(len(contexts))
    ax = axes[0]
    ax.bar(x, settings[col.JAK_SHARE], color="C0", label="IL-6/JAK")
    ax.bar(x, settings[col.RTK_SHARE], bottom=settings[col.JAK_SHARE], color="C1", label="receptor kinase, direct")
    ax.plot(x, settings[col.IL6_TX_RTK_SHARE], "kD", ms=6, label="receptor-kinase share of IL6 transcription")
    ax.set_xticks(x, contexts, rotation=20, ha="right", fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("share of STAT3 phosphorylation (untreated)")
    ax.legend(fontsize=7, frameon=False, loc="lower left")
    ax.set_title("A  where pSTAT3 comes from", fontsize=10, loc="left")
    add_on, clinical = settings[col.ADD_ON].iloc[0], settings[col.ADD_ON_NM].iloc[0]
    panels = (("delta_viability_pct", "viability change (percentage points)", "B  viability"),
              ("relchange_pSTAT3_fraction", "pSTAT3 change (% of backbone)", "C  pSTAT3"),
              ("relchange_calprotectin_nM", "calprotectin change (% of backbone)", "D  calprotectin"))
    for ax, (column, label, title) in zip(axes[1:], panels):
        for context, part in add_on_range.groupby(col.SETTING_CONTEXT, sort=False):
            backbone = part[col.BACKBONE].iloc[0]
            ax.plot(part[col.ADD_ON_NM], part[column], "o-", ms=3, label=f"{context} ({backbone})")
        ax.axvline(clinical, color="0.5", ls=":", lw=1)
        ax.axhline(0, color="0.8", lw=0.8)
        ax.set_xscale("log")
        ax.set_xlabel(f"{add_on} added (free nM)")
        ax.set_ylabel(label)
        ax.set_title(title, fontsize=10, loc="left")
    axes[1].legend(fontsize=7, frameon=False, loc="lower left")
    fig.suptitle(f"B-D: each setting's backbone + {add_on} against the backbone alone (dotted: clinical free "
                 f"concentration {clinical:g} nM)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
