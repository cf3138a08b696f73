"""Figures of the workflow (matplotlib, Agg backend)."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from stat3qsp.dose_response import CONC, CONTEXT, DRUG  # noqa: E402
from stat3qsp.hill import ll4  # noqa: E402


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
