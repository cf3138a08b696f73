"""Snakemake script: waterfall figure of the multistart."""
from stat3qsp.calibration.signalling.workflow import plot_waterfall
from stat3qsp.config import run_logged

run_logged(snakemake.log[0], plot_waterfall, snakemake.input.multistart, snakemake.output[0])
