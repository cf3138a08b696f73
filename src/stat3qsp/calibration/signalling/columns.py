"""Column names of the calibration output tables (``results/calibration/*.tsv``).

Import the module and use its constants (``from stat3qsp.calibration.signalling import columns as cc``); never
star-import it. Tables:

fitted parameters (``fitted_parameters.tsv``)
    ``parameterId, kind, value, lower95, upper95, lower_closed, upper_closed, at_bound, unit,
    table_value, table_lower, table_upper``
multistart (``multistart.tsv``)
    ``start, nllh_start, nllh, nfev, status, seconds`` and one column per model parameter (log10)
profiles (``profiles.tsv``)
    ``parameterId, log10_value, nllh, delta_nllh``
validation (``validation.tsv``)
    ``subset, n, rmse_log10, bias_log10, rmse_log10_no_drug_effect, rmse_log10_table_values``
residuals (``residuals.tsv``)
    the PEtab measurement columns plus ``simulation, set, residual_log10``
"""
from __future__ import annotations

PARAMETER_ID = "parameterId"
"""PEtab parameter identifier."""
KIND = "kind"
"""``model`` (a row of models/parameters.tsv), ``offset``, ``scale`` or ``sd`` (observation parameters)."""
VALUE = "value"
"""Fitted value (linear scale, the parameter's unit)."""
LOWER_95 = "lower95"
"""Lower end of the 95% profile-likelihood interval (linear); the last profiled value if the end is open."""
UPPER_95 = "upper95"
"""Upper end of the 95% profile-likelihood interval (linear); the last profiled value if the end is open."""
LOWER_CLOSED = "lower_closed"
"""True if the profile crossed the 95% threshold below the optimum (False: open, not identifiable downwards)."""
UPPER_CLOSED = "upper_closed"
"""True if the profile crossed the 95% threshold above the optimum."""
AT_BOUND = "at_bound"
"""True if the fitted value lies within 1% (log10 0.005) of a search bound."""
UNIT = "unit"
"""Unit of a model parameter (from models/parameters.tsv)."""
TABLE_VALUE = "table_value"
"""Value of the model parameter in models/parameters.tsv when the problem was built."""
TABLE_LOWER = "table_lower"
"""Lower bound of the model parameter in models/parameters.tsv."""
TABLE_UPPER = "table_upper"
"""Upper bound of the model parameter in models/parameters.tsv."""

START = "start"
"""Index of a multistart start (0: the nominal point)."""
NLLH_START = "nllh_start"
"""Negative log-likelihood at the start, after fitting the observation parameters."""
NLLH = "nllh"
"""Negative log-likelihood (PEtab convention, all constants included)."""
NFEV = "nfev"
"""Function evaluations of scipy.optimize.least_squares."""
STATUS = "status"
"""scipy.optimize.least_squares status (0: iteration limit, 1-4: converged)."""
SECONDS = "seconds"
"""Wall time of the local fit."""

LOG10_VALUE = "log10_value"
"""log10 of the profiled parameter's value."""
DELTA_NLLH = "delta_nllh"
"""Profile minus the optimum's negative log-likelihood; the 95% threshold is 1.92."""

SUBSET = "subset"
"""Which measurements: training, validation, or a part of the validation set."""
N = "n"
"""Number of measurements (log10-scaled observables only)."""
RMSE = "rmse_log10"
"""Root-mean-square of log10(simulated) - log10(measured) of the fitted model."""
BIAS = "bias_log10"
"""Mean of log10(simulated) - log10(measured) of the fitted model (> 0: overestimation)."""
RMSE_NO_DRUG = "rmse_log10_no_drug_effect"
"""The same for the baseline that ignores the drug (validation input set to 0, same fitted parameters)."""
RMSE_TABLE = "rmse_log10_table_values"
"""The same before calibration: model parameters of models/parameters.tsv, observation parameters fitted."""

SET = "set"
"""``training`` or ``validation``."""
SIMULATION = "simulation"
"""Simulated observable (PEtab simulation column)."""
RESIDUAL = "residual_log10"
"""log10(simulation) - log10(measurement) (NaN for linear-scale observables)."""
