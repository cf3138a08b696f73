"""Figures of the hypothesis ranking (matplotlib, Agg backend).

- :func:`ranking_figure`: left, the trial log score of every hypothesis (best on top) with the log
  predictive probability of each observed endpoint stacked; right, the predictive p of each endpoint (a
  p below 0.05 marks an observation the hypothesis does not expect);
- :func:`biomarker_figure`: Spearman correlation of each baseline feature with the benefit of adding
  ruxolitinib, per hypothesis (heat map).
"""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from stat3qsp.hypotheses import columns as hc  # noqa: E402


def ranking_figure(ranking: pd.DataFrame, endpoints: list[str], path: Path | str) -> None:
    """Log scores and predictive p of every hypothesis (module docstring)."""
    table = ranking.iloc[::-1]
    y = np.arange(len(table))
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 0.5 * len(table) + 2), sharey=True)
    start = np.zeros(len(table))
    for endpoint in endpoints:
        values = table[hc.LOG_PROBABILITY_PREFIX + endpoint].to_numpy(float)
        left.barh(y, values, left=start, label=endpoint)
        start += values
    left.set_yticks(y, table[hc.HYPOTHESIS])
    left.set_xlabel("log predictive probability (sum: trial log score)")
    left.legend(fontsize=8, loc="upper left")
    for i, endpoint in enumerate(endpoints):
        right.scatter(table[hc.PREDICTIVE_P_PREFIX + endpoint], y + 0.1 * (i - len(endpoints) / 2), label=endpoint)
    right.axvline(0.05, color="0.5", ls="--", lw=1)
    right.set_xlim(-0.02, 1.02)
    right.set_xlabel("predictive p of the observation")
    right.legend(fontsize=8)
    fig.suptitle("Hypotheses ranked on NCT02066532 (26 patients)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def biomarker_figure(biomarkers: pd.DataFrame, path: Path | str) -> None:
    """Heat map of the Spearman correlations of features with the ruxolitinib benefit (module docstring)."""
    grid = biomarkers.pivot_table(index=hc.FEATURE, columns=hc.HYPOTHESIS, values=hc.SPEARMAN_RHO, sort=False)
    fig, ax = plt.subplots(figsize=(1.2 * grid.shape[1] + 4, 0.35 * grid.shape[0] + 2))
    image = ax.imshow(grid.to_numpy(float), cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto")
    ax.set_xticks(range(grid.shape[1]), grid.columns, rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(grid.shape[0]), grid.index, fontsize=8)
    fig.colorbar(image, ax=ax, label="Spearman rho with the benefit of adding ruxolitinib\n(% smaller tumour at the first scan)")
    ax.set_title("Which baseline features predict benefit from ruxolitinib")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
