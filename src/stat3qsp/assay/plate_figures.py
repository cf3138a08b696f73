"""Figures of a lab plate (one per block, PNG and SVG): what SynergyFinder users expect to see.

Panels: the single-agent dose-response curves (replicate points, means, LL.4 fits), the response
heatmap, one synergy heatmap per score method with SynergyFinder's most synergistic 3 x 3 area
boxed (:func:`stat3qsp.assay.synergy.scores.most_synergistic_area`), and the 3D surface of the
ZIP score (else the first method's) over log10 doses. When the plate's drugs and context are
known and clinical exposure is given, the clinically reachable wells are boxed on every heatmap.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from stat3qsp.assay import columns as col  # noqa: E402
from stat3qsp.assay.figures import clinical_box  # noqa: E402
from stat3qsp.assay.hill import fit_ll4  # noqa: E402
from stat3qsp.assay.synergy.scores import SCORE_METHODS, most_synergistic_area  # noqa: E402

FORMATS = ("png", "svg")


def save_formats(fig, stem: Path | str, formats=FORMATS, dpi: int = 110) -> list[Path]:
    """Lay out *fig*, save it as ``<stem>.<format>`` for every format and close it; the paths written."""
    fig.tight_layout()
    stem = Path(stem)
    paths = [stem.with_name(stem.name + "." + fmt) for fmt in formats]
    for path in paths:
        fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return paths
"""File formats written for every figure."""


def plate_figure(block, wells: pd.DataFrame, summary: dict, stem: Path | str,
                 clinical_region: np.ndarray | None = None) -> list[Path]:
    """Write ``stem.png`` and ``stem.svg`` for one block; returns the paths written.

    *clinical_region* (the block's clinically reachable wells,
    :func:`stat3qsp.assay.synergy.compare.clinical_region_of`) is boxed on every heatmap with
    :func:`stat3qsp.assay.figures.clinical_box`, as on the model's sweep figures.
    """
    methods = [m for m in SCORE_METHODS if m + col.SCORE_SUFFIX in wells.columns]
    shape = (block.conc_r.size, block.conc_c.size)
    n_panels = 3 + len(methods)
    fig = plt.figure(figsize=(4.0 * min(n_panels, 4), 3.6 * int(np.ceil(n_panels / 4))))
    rows = int(np.ceil(n_panels / 4))
    ax = fig.add_subplot(rows, 4, 1)
    _curves(ax, block)
    ax = fig.add_subplot(rows, 4, 2)
    _heatmap(fig, ax, block.inhibition, block, "response (% inhibition)", "viridis", centre=False)
    _mark_clinical(ax, clinical_region)
    for k, method in enumerate(methods):
        ax = fig.add_subplot(rows, 4, 3 + k)
        grid = wells[method + col.SCORE_SUFFIX].to_numpy(dtype=float).reshape(shape)
        mean = summary.get(method, np.nan)
        title = f"{method} score (mean {mean:.2f}"
        if f"{method}_lo" in summary:
            title += f", [{summary[method + '_lo']:.2f}, {summary[method + '_hi']:.2f}]"
        _heatmap(fig, ax, grid, block, title + ")", "RdBu_r", centre=True)
        _mark_clinical(ax, clinical_region)
        if min(shape) >= 3 and np.any(np.isfinite(grid)):
            area = most_synergistic_area(grid)
            ax.add_patch(Rectangle((area.col_start - 0.5, area.row_start - 0.5), area.col_stop - area.col_start,
                                   area.row_stop - area.row_start, fill=False, ec="k", lw=1.6))
    if methods:
        ax = fig.add_subplot(rows, 4, 3 + len(methods), projection="3d")
        shown = "zip" if "zip" in methods else methods[0]  # SynergyFinder's default surface
        _surface(ax, wells[shown + col.SCORE_SUFFIX].to_numpy(dtype=float).reshape(shape), block, shown)
    fig.suptitle(f"block {block.block_id}: {block.drug_row} x {block.drug_col}", fontsize=10)
    return save_formats(fig, stem, FORMATS)


def _mark_clinical(ax, region: np.ndarray | None) -> None:
    if region is not None and np.any(region):
        clinical_box(ax, region)
        ax.legend(loc="upper left", fontsize=6, frameon=False)


def _curves(ax, block) -> None:
    for name, conc, unit, idx in ((block.drug_row, block.conc_r, block.conc_r_unit, lambda k: (k, 0)),
                                  (block.drug_col, block.conc_c, block.conc_c_unit, lambda k: (0, k))):
        floor = conc[1] / 3.0  # the zero dose drawn a third of the lowest dose
        x_all, y_all = [], []
        for k, c in enumerate(conc):
            reps = block.well_replicates(*idx(k))
            x_all += [c if c > 0 else floor] * reps.size
            y_all += list(reps)
        means = np.array([block.inhibition[idx(k)] for k in range(conc.size)])
        points = ax.plot(x_all, y_all, "o", ms=3, alpha=0.45)[0]
        color = points.get_color()
        ax.plot(np.where(conc > 0, conc, floor), means, "s", ms=4, color=color, label=f"{name} ({unit})")
        if conc.size >= 4:
            fit = fit_ll4(conc, means, increasing=True)
            grid = np.geomspace(conc[1], conc[-1], 200)
            ax.plot(grid, fit.predict(grid), "-", color=color, lw=1.2)
    ax.set_xscale("log")
    ax.set_xlabel("concentration (zero at left)")
    ax.set_ylabel("% inhibition")
    ax.set_title("single agents: replicates, means, LL.4", fontsize=9)
    ax.legend(fontsize=7, frameon=False)


def _heatmap(fig, ax, grid: np.ndarray, block, title: str, cmap: str, centre: bool) -> None:
    finite = grid[np.isfinite(grid)]
    limit = float(np.max(np.abs(finite))) if finite.size and np.max(np.abs(finite)) > 0 else 1.0
    image = ax.imshow(grid, origin="lower", cmap=cmap, vmin=-limit if centre else min(0.0, float(finite.min())),
                      vmax=limit if centre else max(100.0, float(finite.max())), aspect="auto")
    ax.set_xticks(range(block.conc_c.size), [f"{c:.3g}" for c in block.conc_c], rotation=90, fontsize=7)
    ax.set_yticks(range(block.conc_r.size), [f"{c:.3g}" for c in block.conc_r], fontsize=7)
    ax.set_xlabel(f"{block.drug_col} ({block.conc_c_unit})", fontsize=8)
    ax.set_ylabel(f"{block.drug_row} ({block.conc_r_unit})", fontsize=8)
    ax.set_title(title, fontsize=8)
    fig.colorbar(image, ax=ax, shrink=0.8)


def _surface(ax, grid: np.ndarray, block, method: str) -> None:
    x = np.arange(block.conc_c.size)
    y = np.arange(block.conc_r.size)
    xx, yy = np.meshgrid(x, y)
    finite = np.nan_to_num(grid)
    limit = float(np.max(np.abs(finite))) or 1.0
    ax.plot_surface(xx, yy, finite, cmap="RdBu_r", vmin=-limit, vmax=limit, edgecolor="0.3", lw=0.3)
    ax.set_xticks(x, [f"{c:.2g}" for c in block.conc_c], fontsize=6)
    ax.set_yticks(y, [f"{c:.2g}" for c in block.conc_r], fontsize=6)
    ax.set_xlabel(block.drug_col, fontsize=7)
    ax.set_ylabel(block.drug_row, fontsize=7)
    ax.set_zlabel(f"{method} score", fontsize=7)
    ax.set_title(f"{method} surface (dose index axes)", fontsize=8)
