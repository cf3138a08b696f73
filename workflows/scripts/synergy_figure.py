"""Snakemake script: the combined synergy figure of one pair in one context (with the clinically
reachable region when the clinical exposure is configured)."""
from stat3qsp.workflow import plot_synergy, run_logged

run_logged(snakemake.log[0], plot_synergy, snakemake.input.matrix, snakemake.input.wells, snakemake.input.summary,
           snakemake.output[0], snakemake.params.exposure)
