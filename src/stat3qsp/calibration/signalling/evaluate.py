"""Training and validation errors of a fit, with two baselines.

Errors are on the log10 scale of the (log10-transformed) observables: for a measurement m and its
simulation h (with the fitted offset and scale of its experiment),

    e = log10(h) - log10(m),   RMSE = sqrt(mean(e^2)),   bias = mean(e).

Baselines on the same measurements:

- *no drug effect*: the fitted model with the validation input (ruxolitinib) set to 0 in every
  condition, i.e. the prediction "the drug changes nothing";
- *table values*: the model parameters of ``models/parameters.tsv`` (before calibration), with the
  observation parameters (offsets, scales, noise) fitted to the training data.

Validation measurements use the offsets and scales fitted on the training measurements of the same
experiment (every validation experiment has untreated controls in the training set).
"""
from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import petab.v1 as petab

from stat3qsp.calibration.signalling import columns as cc
from stat3qsp.calibration.signalling.objective import Objective


def align(source: Objective, x: np.ndarray, target: Objective) -> np.ndarray:
    """Parameter vector of *target* with the values of *x* (a vector of *source*), matched by id."""
    values = dict(zip(source.x_ids, x))
    return np.array([values[p] for p in target.x_ids], dtype=float)


def residual_table(objective: Objective, x: np.ndarray, set_name: str) -> pd.DataFrame:
    """The measurements with simulation and log10 residual (see the module docstring)."""
    table = objective.measurements.copy()
    h = objective.observables(x)
    table[cc.SIMULATION] = h
    table[cc.SET] = set_name
    log = objective.transformations == petab.LOG10
    table[cc.RESIDUAL] = np.where(log, np.log10(np.maximum(h, 1e-300)) - np.log10(np.where(log, table[petab.MEASUREMENT], 1.0)), np.nan)
    return table


def without_input(objective: Objective, target: str) -> Objective:
    """The objective of the same measurements with model entity *target* set to 0 in every condition."""
    problem = copy.copy(objective.problem)
    problem.condition_df = objective.problem.condition_df.copy()
    problem.condition_df[target] = 0.0
    return Objective(problem, objective.measurements)


def _rmse(e: np.ndarray) -> float:
    e = e[np.isfinite(e)]
    return float(np.sqrt(np.mean(e**2))) if len(e) else float("nan")


def error_table(training: Objective, validation: Objective, x: np.ndarray, x_table: np.ndarray,
                target: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Errors of the fit and both baselines on training and validation measurements.

    Parameters
    ----------
    training, validation
        Objectives of the training and the validation measurements (same problem).
    x, x_table
        Fitted parameters, and the table-values baseline (both vectors of *training*).
    target
        The validation input (model entity), e.g. ``rux_conc``.

    Returns
    -------
    (errors, residuals)
        One row per subset (columns of :mod:`stat3qsp.calibration.signalling.columns`), and the per-measurement
        residual table of training and validation.
    """
    x_val = align(training, x, validation)
    fitted = {"training": residual_table(training, x, "training"), "validation": residual_table(validation, x_val, "validation")}
    table_values = {"training": residual_table(training, x_table, "training"),
                    "validation": residual_table(validation, align(training, x_table, validation), "validation")}
    no_drug = without_input(validation, target)
    no_drug_residuals = residual_table(no_drug, x_val, "validation")[cc.RESIDUAL].to_numpy()

    val = fitted["validation"]
    dose = validation.problem.condition_df.loc[val[petab.SIMULATION_CONDITION_ID], target].to_numpy(float)
    common = pd.Series(dose).mode().iloc[0]
    subsets = {"validation": np.ones(len(val), bool),
               f"validation, {target} = {common:g}": dose == common,
               f"validation, other {target}": dose != common}
    for oid in sorted(val[petab.OBSERVABLE_ID].unique()):
        subsets[f"validation, {oid}"] = (val[petab.OBSERVABLE_ID] == oid).to_numpy()
    for time in sorted(val[petab.TIME].unique()):
        subsets[f"validation, t = {time:g} h"] = (val[petab.TIME] == time).to_numpy()

    train_e = fitted["training"][cc.RESIDUAL].to_numpy()
    rows = [{cc.SUBSET: "training", cc.N: int(np.isfinite(train_e).sum()), cc.RMSE: _rmse(train_e),
             cc.BIAS: float(np.nanmean(train_e)), cc.RMSE_NO_DRUG: _rmse(train_e),
             cc.RMSE_TABLE: _rmse(table_values["training"][cc.RESIDUAL].to_numpy())}]
    val_e, table_e = val[cc.RESIDUAL].to_numpy(), table_values["validation"][cc.RESIDUAL].to_numpy()
    for name, mask in subsets.items():
        if not mask.any():
            continue
        rows.append({cc.SUBSET: name, cc.N: int(np.isfinite(val_e[mask]).sum()), cc.RMSE: _rmse(val_e[mask]),
                     cc.BIAS: float(np.nanmean(val_e[mask])), cc.RMSE_NO_DRUG: _rmse(no_drug_residuals[mask]),
                     cc.RMSE_TABLE: _rmse(table_e[mask])})
    return pd.DataFrame(rows), pd.concat([fitted["training"], val], ignore_index=True)
