"""Snakemake script: prediction intervals per source of uncertainty, per endpoint."""
from stat3qsp.sensitivity.steps import plot_intervals
from stat3qsp.config import run_logged

run_logged(snakemake.log[0], plot_intervals, snakemake.input[0], snakemake.output[0])
