"""Snakemake script: waterfall figure of the multistart."""
from stat3qsp.calibrate.workflow import plot_waterfall
from stat3qsp.workflow import run_logged

run_logged(snakemake.log[0], plot_waterfall, snakemake.input.multistart, snakemake.output[0])
