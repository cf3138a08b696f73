"""Snakemake script: evaluate one shard of a sensitivity design."""
from stat3qsp.sensitivity.steps import run_design_block
from stat3qsp.config import run_logged

run_logged(snakemake.log[0], run_design_block, dict(snakemake.params.family), snakemake.params.models_dir,
           snakemake.input.design, snakemake.wildcards.scatteritem, snakemake.output[0])
