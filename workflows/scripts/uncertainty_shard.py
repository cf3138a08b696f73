"""Snakemake script: one shard of replicate trials with and without parameter uncertainty."""
from stat3qsp.sensitivity.steps import run_uncertainty_block
from stat3qsp.config import run_logged

run_logged(snakemake.log[0], run_uncertainty_block, dict(snakemake.params.settings), snakemake.params.models_dir,
           snakemake.wildcards.scatteritem, snakemake.output.endpoints, snakemake.output.parameters)
