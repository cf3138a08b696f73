"""Snakemake script: simulate one shard (a block of rows) of a drug-pair dose matrix in one context."""
from stat3qsp.assay.steps import run_synergy_matrix_shard
from stat3qsp.config import run_logged

run_logged(snakemake.log[0], run_synergy_matrix_shard, snakemake.params.models_dir, snakemake.wildcards.context,
           snakemake.wildcards.row, snakemake.wildcards.col, dict(snakemake.params.synergy), snakemake.params.hours,
           snakemake.wildcards.scatteritem, snakemake.output[0])
