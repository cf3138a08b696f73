"""Snakemake script: the cross-setting comparison figure."""
from stat3qsp.assay.steps import plot_comparison
from stat3qsp.config import run_logged

run_logged(snakemake.log[0], plot_comparison, snakemake.input.settings, snakemake.input.add_on_range,
           snakemake.output[0])
