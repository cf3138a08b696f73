"""Snakemake script: the cross-setting comparison figure."""
from stat3qsp.workflow import plot_comparison, run_logged

run_logged(snakemake.log[0], plot_comparison, snakemake.input.settings, snakemake.input.add_on_range,
           snakemake.output[0])
