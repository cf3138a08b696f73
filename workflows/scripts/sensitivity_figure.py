"""Snakemake script: the Morris or Sobol figure of one output family."""
from stat3qsp.sensitivity.steps import plot_morris, plot_sobol
from stat3qsp.config import run_logged

plot = plot_morris if snakemake.wildcards.analysis == "morris" else plot_sobol
run_logged(snakemake.log[0], plot, snakemake.input[0], snakemake.output[0])
