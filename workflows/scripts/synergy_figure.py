"""Snakemake script: the combined synergy figure of one pair in one context (with the clinically
reachable region when the clinical exposure is configured)."""
from stat3qsp.assay.steps import plot_synergy
from stat3qsp.config import run_logged

run_logged(snakemake.log[0], plot_synergy, snakemake.input.matrix, snakemake.input.wells, snakemake.input.summary,
           snakemake.output[0], snakemake.params.exposure)
