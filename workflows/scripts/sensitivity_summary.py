"""Snakemake script: the top factors of every output by Morris mu* and Sobol ST."""
from stat3qsp.sensitivity.steps import write_summary
from stat3qsp.config import run_logged

run_logged(snakemake.log[0], write_summary, list(snakemake.input.morris), list(snakemake.input.sobol), snakemake.output[0])
