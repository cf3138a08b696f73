"""Figures of the calibration: data against simulation per observable, profiles, multistart waterfall."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import NullFormatter  # noqa: E402
import pandas as pd  # noqa: E402
import petab.v1 as petab  # noqa: E402

from stat3qsp.calibration.signalling import columns as cc  # noqa: E402
from stat3qsp.calibration.signalling.fit import PROFILE_THRESHOLD  # noqa: E402
from stat3qsp.calibration.signalling.objective import Objective  # noqa: E402

#: Colours of training and validation measurements.
COLOURS = {"training": "tab:blue", "validation": "tab:red"}
#: Time points of the simulated curves per hour of experiment.
CURVE_POINTS = 60


def fit_figure(residuals: pd.DataFrame, objectives: dict[str, Objective], x: dict[str, np.ndarray],
               observable: str, path: Path | str) -> None:
    """Data (points) against simulation (lines) of one observable, one panel per experiment.

    Time-course experiments (3 or more time points, or one condition) show one simulated curve per condition; the
    others show the simulation at the measured points against the input that varies most
    (IL-6 or ruxolitinib, nM). Training measurements are blue, validation (held-out) red.
    """
    data = residuals[residuals[petab.OBSERVABLE_ID] == observable]
    datasets = list(dict.fromkeys(data[petab.DATASET_ID]))
    ncols = min(4, len(datasets))
    nrows = int(np.ceil(len(datasets) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.0 * ncols, 3.1 * nrows), squeeze=False)
    conditions = next(iter(objectives.values())).problem.condition_df
    log = (data[cc.RESIDUAL].notna()).any()
    for ax, dataset in zip(axes.flat, datasets):
        part = data[data[petab.DATASET_ID] == dataset]
        if part[petab.TIME].nunique() >= 3 or part[petab.SIMULATION_CONDITION_ID].nunique() == 1:
            _time_panel(ax, part, objectives, x)
        else:
            _dose_panel(ax, part, conditions)
        ax.set_title(dataset.removeprefix(observable.lower() + "_"), fontsize=7)
        if log:
            ax.set_yscale("log")
            ax.yaxis.set_minor_formatter(NullFormatter())
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(datasets):]:
        ax.set_visible(False)
    handles = [plt.Line2D([], [], marker="o", ls="", color=c, label=f"{s} data") for s, c in COLOURS.items()]
    handles.append(plt.Line2D([], [], color="0.3", label="simulation"))
    fig.legend(handles=handles, loc="upper right", fontsize=8, frameon=False)
    fig.suptitle(f"{observable}: data and fitted model", fontsize=10, x=0.02, ha="left")
    fig.tight_layout(rect=(0, 0, 0.98, 0.96))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _time_panel(ax, part, objectives, x):
    for (condition, set_name), group in part.groupby([petab.SIMULATION_CONDITION_ID, cc.SET], sort=False):
        colour = COLOURS[set_name]
        objective = objectives[set_name]
        row = int(objective.measurements.index[
            (objective.measurements[petab.DATASET_ID] == group[petab.DATASET_ID].iloc[0])
            & (objective.measurements[petab.SIMULATION_CONDITION_ID] == condition)][0])
        end = group[petab.TIME].max()
        times, curve = objective.trajectory(x[set_name], row, np.linspace(0.0, end, max(int(CURVE_POINTS * end), 30)))
        line = ax.plot(times, curve, "-", lw=1, color=colour, alpha=0.8)[0]
        ax.plot(group[petab.TIME], group[petab.MEASUREMENT], "o", ms=3, color=line.get_color(), alpha=0.7)
        ax.annotate(condition.replace("__", " "), (times[-1], curve[-1]), fontsize=5, color=colour, ha="right", va="bottom")
    ax.set_xlabel("time after IL-6 (h)", fontsize=7)


def _dose_panel(ax, part, conditions):
    inputs = conditions.loc[part[petab.SIMULATION_CONDITION_ID]].drop(columns=[petab.CONDITION_NAME])
    varying = inputs.nunique().idxmax()
    others = [c for c in inputs.columns if c != varying]
    frame = part.assign(_x=inputs[varying].to_numpy(float), _key=inputs[others].astype(str).agg(" ".join, axis=1).to_numpy())
    for (key, time, set_name), group in frame.groupby(["_key", petab.TIME, cc.SET], sort=False):
        group = group.sort_values("_x")
        colour = COLOURS[set_name]
        xs = np.where(group["_x"] > 0, group["_x"], np.nan)
        ax.plot(xs, group[cc.SIMULATION], "-", lw=1, color=colour, alpha=0.8)
        ax.plot(xs, group[petab.MEASUREMENT], "o", ms=3, color=colour, alpha=0.7)
        zero = group[group["_x"] == 0]
        if len(zero):
            ax.plot(np.full(len(zero), np.nanmin(xs) / 3 if np.isfinite(np.nanmin(xs)) else 1.0), zero[petab.MEASUREMENT], "s", ms=3, color=colour, alpha=0.5)
    ax.set_xscale("log")
    ax.set_xlabel(f"{varying} (nM; square: none)", fontsize=7)


def profile_figure(profiles: pd.DataFrame, fitted: pd.DataFrame, nllh_min: float, path: Path | str) -> None:
    """Profile likelihood of each model parameter with the 95% threshold."""
    names = list(dict.fromkeys(profiles[cc.PARAMETER_ID]))
    ncols = min(3, len(names))
    nrows = int(np.ceil(len(names) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.6 * ncols, 2.8 * nrows), squeeze=False)
    for ax, name in zip(axes.flat, names):
        part = profiles[profiles[cc.PARAMETER_ID] == name]
        ax.plot(10.0 ** part[cc.LOG10_VALUE], part[cc.NLLH] - nllh_min, "o-", ms=3)
        ax.axhline(PROFILE_THRESHOLD, color="tab:red", lw=0.8, ls="--")
        row = fitted[fitted[cc.PARAMETER_ID] == name].iloc[0]
        ax.axvline(row[cc.VALUE], color="0.4", lw=0.8)
        ax.axvline(row[cc.TABLE_VALUE], color="tab:green", lw=0.8, ls=":")
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_ylim(-0.5, max(4.0, PROFILE_THRESHOLD * 2))
        ax.set_title(name, fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(names):]:
        ax.set_visible(False)
    fig.supxlabel("parameter value (unit of models/parameters.tsv); grey: fit, green dotted: table value", fontsize=8)
    fig.supylabel("negative log-likelihood - optimum", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def waterfall_figure(multistart: pd.DataFrame, path: Path | str) -> None:
    """Final negative log-likelihood of every start, sorted (a plateau means a reproducible optimum)."""
    values = np.sort(multistart[cc.NLLH].to_numpy(float))
    fig, ax = plt.subplots(figsize=(4.5, 3.2))
    ax.plot(np.arange(1, len(values) + 1), values - values[0] + 1.0, "o-", ms=4)
    ax.set_yscale("log")
    ax.set_xlabel("start (sorted)")
    ax.set_ylabel("nllh - best + 1")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
