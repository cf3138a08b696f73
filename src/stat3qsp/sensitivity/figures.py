"""Figures of the sensitivity and uncertainty stages (matplotlib, Agg backend)."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from stat3qsp.sensitivity import columns as sc  # noqa: E402
from stat3qsp.trial import columns as tc  # noqa: E402

SHOWN_FACTORS = 12
"""Factors shown per output in the Morris figure (the highest mu*)."""


def _panels(count: int, width: float = 4.6, height: float = 4.0):
    columns = min(count, 4)
    rows = -(-count // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(width * columns, height * rows), squeeze=False)
    for ax in axes.ravel()[count:]:
        ax.axis("off")
    return fig, axes.ravel()


def morris_figure(morris: pd.DataFrame, path: Path | str, shown: int = SHOWN_FACTORS) -> None:
    """Per output, the factors with the highest mu* as ranked horizontal bars (95% bootstrap
    half-widths as error bars); red where the mean effect mu is positive, blue where negative."""
    outputs = list(dict.fromkeys(morris[sc.OUTPUT]))
    fig, axes = _panels(len(outputs))
    for ax, name in zip(axes, outputs):
        part = morris[morris[sc.OUTPUT] == name].sort_values(sc.RANK).head(shown).iloc[::-1]
        colours = np.where(part[sc.MU].fillna(0) >= 0, "tab:red", "tab:blue")
        y = np.arange(len(part))
        ax.barh(y, part[sc.MU_STAR].fillna(0), xerr=part[sc.MU_STAR_CONF].fillna(0), color=colours, alpha=0.8,
                error_kw={"lw": 0.8})
        ax.plot(part[sc.SIGMA], y, "k|", ms=8, label="sigma")
        ax.set_yticks(y, part[sc.FACTOR], fontsize=7)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("mu* (output change over the factor's range)", fontsize=8)
    axes[0].legend(fontsize=7, frameon=False, loc="lower right")
    fig.suptitle("Morris screening: red = output rises with the factor (mu > 0), blue = falls", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def sobol_figure(sobol: pd.DataFrame, path: Path | str) -> None:
    """Per output, first-order (S1) and total-order (ST) Sobol indices of the screened factors,
    ranked by ST, with 95% bootstrap half-widths."""
    outputs = list(dict.fromkeys(sobol[sc.OUTPUT]))
    fig, axes = _panels(len(outputs), height=3.4)
    for ax, name in zip(axes, outputs):
        part = sobol[sobol[sc.OUTPUT] == name].sort_values(sc.RANK).iloc[::-1]
        y = np.arange(len(part))
        ax.barh(y + 0.2, part[sc.ST].fillna(0), 0.4, xerr=part[sc.ST_CONF].fillna(0), color="tab:orange", label="ST",
                error_kw={"lw": 0.8})
        ax.barh(y - 0.2, part[sc.S1].fillna(0), 0.4, xerr=part[sc.S1_CONF].fillna(0), color="tab:green", label="S1",
                error_kw={"lw": 0.8})
        ax.set_yticks(y, part[sc.FACTOR], fontsize=7)
        ax.axvline(0, color="0.5", lw=0.6)
        n = int(part[sc.N_BASE_SAMPLES].iloc[0]) if len(part) else 0
        ax.set_title(f"{name} (N = {n})", fontsize=9)
        ax.set_xlabel("Sobol index", fontsize=8)
    axes[0].legend(fontsize=7, frameon=False, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def interval_figure(endpoints: pd.DataFrame, path: Path | str) -> None:
    """Per endpoint and arm, the 90% prediction interval and median of each source of uncertainty
    (one line each), with the observed value and its 95% confidence interval (black); endpoints
    that some source cannot predict (e.g. duration of response without responders) are left out."""
    names = [e for e in dict.fromkeys(endpoints[tc.ENDPOINT])
             if endpoints.loc[endpoints[tc.ENDPOINT] == e, tc.PREDICTED].notna().all()]
    sources = list(dict.fromkeys(endpoints[sc.UNCERTAINTY]))
    arms = list(dict.fromkeys(endpoints[tc.ARM]))
    colours = plt.get_cmap("tab10")
    fig, axes = _panels(len(names), width=4.2, height=1.2 + 0.9 * len(arms))
    for ax, name in zip(axes, names):
        part = endpoints[endpoints[tc.ENDPOINT] == name]
        for a, arm in enumerate(arms):
            rows = part[part[tc.ARM] == arm]
            for s, source in enumerate(sources):
                row = rows[rows[sc.UNCERTAINTY] == source]
                if row.empty:
                    continue
                row = row.iloc[0]
                y = a + 0.25 * (s - (len(sources) - 1) / 2)
                ax.plot([row[tc.PREDICTED_LO], row[tc.PREDICTED_HI]], [y, y], "-", lw=4, color=colours(s), alpha=0.8,
                        solid_capstyle="butt", label=source if a == 0 else None)
                ax.plot(row[tc.PREDICTED], y, "o", color="white", mec=colours(s), ms=5)
            observed = rows.iloc[0] if len(rows) else None
            if observed is not None and np.isfinite(observed[tc.OBSERVED]):
                y = a + 0.25 * len(sources) / 2 + 0.1
                lo, hi = observed[tc.OBSERVED_LO], observed[tc.OBSERVED_HI]
                if np.isfinite(lo) and np.isfinite(hi):
                    ax.plot([lo, hi], [y, y], "-", color="black", lw=1)
                ax.plot(observed[tc.OBSERVED], y, "D", color="black", ms=4, label="observed (95% CI)" if a == 0 else None)
        ax.set_yticks(range(len(arms)), arms, fontsize=7)
        ax.set_ylim(-0.7, len(arms) - 0.3)
        ax.set_title(name, fontsize=9)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=1, fontsize=7, frameon=False)
    fig.tight_layout(rect=(0, 0.08 + 0.03 * len(sources), 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
