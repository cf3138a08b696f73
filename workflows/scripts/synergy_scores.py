"""Snakemake script: score one simulated dose matrix (all methods, both reference modes; with the
clinical exposure, also over the clinically reachable wells)."""
from stat3qsp.assay.steps import run_synergy_scores
from stat3qsp.config import run_logged

run_logged(snakemake.log[0], run_synergy_scores, snakemake.params.models_dir, snakemake.input[0],
           dict(snakemake.params.synergy), snakemake.params.hours, snakemake.output.wells, snakemake.output.summary,
           snakemake.params.exposure)
