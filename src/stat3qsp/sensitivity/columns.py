"""Column names and category values of the sensitivity and uncertainty output tables.

Import the module and use its constants (``from stat3qsp.sensitivity import columns as sc``;
``df[sc.MU_STAR]``); never star-import it. Tables using these names:

factors table (``results/sensitivity/<family>/factors.tsv``; :func:`stat3qsp.sensitivity.factors_table`)
    ``factor, nominal, low, high, scale, source, held_because``
design tables (``morris_design.tsv``, ``sobol_design.tsv``: one row per parameter sample)
    ``sample``, then one column per factor (parameter values in the table's units)
outputs table (one row per sample and output; :func:`stat3qsp.sensitivity.evaluate`)
    ``sample, output, value, error``
Morris table (:func:`stat3qsp.sensitivity.morris_indices`)
    ``output, factor, mu_star, mu_star_conf, mu, sigma, n_effects, rank``
Sobol table (:func:`stat3qsp.sensitivity.sobol_indices`)
    ``output, factor, S1, S1_conf, ST, ST_conf, n_base_samples, rank``
noise table (:func:`stat3qsp.sensitivity.noise_table`)
    ``output, nominal_mean, noise_sd, design_sd, noise_ratio, repeats``
uncertainty endpoints (``results/uncertainty/endpoints.tsv``)
    the comparison columns of :data:`stat3qsp.trial_columns.COMPARISON_COLUMNS`, then ``uncertainty``
uncertainty parameter draws (``results/uncertainty/parameters.tsv``)
    ``replicate``, ``tumour_doubling_days`` (the growth median per parameter vector), then one column per
    uncertain parameter
"""
from __future__ import annotations

# --- factors table ----------------------------------------------------------------------------
FACTOR = "factor"
"""Parameter id (``models/parameters.tsv``) of a factor of the sensitivity analysis."""
NOMINAL = "nominal"
"""Value of the factor when it is not varied: the table value (context-set parameters are not factors)."""
LOW = "low"
"""Lowest value of the factor's range (the table's lowerBound)."""
HIGH = "high"
"""Highest value of the factor's range (the table's upperBound)."""
SCALE = "scale"
"""How the range is sampled: one of :data:`SCALES`."""
LOG = "log"
"""Uniform in log10(value): ranges that span more than one decade with a lower bound > 0."""
LINEAR = "linear"
"""Uniform in value: every other range."""
SCALES = (LOG, LINEAR)
"""Values of :data:`SCALE`."""
SOURCE = "source"
"""The parameter table's source of the value (``fitted: ...``, ``assumed: ...``, a reference)."""
HELD = "held_because"
"""Why the parameter is not a factor (held at its value); empty for factors."""

# --- design and outputs tables ----------------------------------------------------------------
SAMPLE = "sample"
"""Index of a parameter sample within its design (0-based, in SALib's order)."""
OUTPUT = "output"
"""Output name, ``<context or arm>__<quantity>`` (e.g. ``her2_amplified__bliss``)."""
VALUE = "value"
"""Value of the output for the sample; NaN where the model cannot give it (see ``error``)."""
ERROR = "error"
"""Why ``value`` is NaN (e.g. no plausible virtual patient); empty otherwise."""

# --- Morris table -----------------------------------------------------------------------------
MU_STAR = "mu_star"
"""Mean absolute elementary effect (Campolongo 2007): output change over the factor's whole (log) range."""
MU_STAR_CONF = "mu_star_conf"
"""Half-width of the bootstrap 95% confidence interval of ``mu_star``."""
MU = "mu"
"""Mean elementary effect (sign: whether the output rises with the factor)."""
SIGMA = "sigma"
"""Standard deviation of the elementary effects (non-linearity and interactions)."""
N_EFFECTS = "n_effects"
"""Elementary effects of the factor with both ends of the step evaluable."""
RANK = "rank"
"""Rank of the factor for the output (1 = most influential: by ``mu_star``, or by ``ST``)."""

# --- Sobol table ------------------------------------------------------------------------------
S1 = "S1"
"""First-order Sobol index: share of the output variance due to the factor alone."""
S1_CONF = "S1_conf"
"""Half-width of the bootstrap 95% confidence interval of ``S1``."""
ST = "ST"
"""Total-order Sobol index: share of the variance involving the factor (alone or in interactions)."""
ST_CONF = "ST_conf"
"""Half-width of the bootstrap 95% confidence interval of ``ST``."""
N_BASE_SAMPLES = "n_base_samples"
"""Saltelli base samples whose whole block (A, B and every AB_i) was evaluable."""

# --- noise table ------------------------------------------------------------------------------
NOMINAL_MEAN = "nominal_mean"
"""Mean of the output at the nominal parameters over the repeats (different patient seeds)."""
NOISE_SD = "noise_sd"
"""Standard deviation of the output at the nominal parameters over the repeats: Monte Carlo noise."""
DESIGN_SD = "design_sd"
"""Standard deviation of the output over the Morris design (what the parameters change)."""
NOISE_RATIO = "noise_ratio"
"""``noise_sd / design_sd``: below about 0.3 the ranking is not driven by noise."""
REPEATS = "repeats"
"""Number of nominal repeats."""

# --- uncertainty tables -----------------------------------------------------------------------
UNCERTAINTY = "uncertainty"
"""Sources of uncertainty that the prediction interval contains (:data:`BASELINE_SOURCES` or
:data:`PARAMETER_SOURCES`)."""
BASELINE_SOURCES = "between-patient + trial size"
"""Interval over replicate trials at the nominal parameters."""
PARAMETER_SOURCES = "between-patient + trial size + parameters"
"""Interval over replicate trials each with its own parameter vector."""
