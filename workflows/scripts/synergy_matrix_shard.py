"""Snakemake script: simulate one shard (a block of rows) of a drug-pair dose matrix in one context."""
from stat3qsp.workflow import run_logged, run_synergy_matrix_shard

run_logged(snakemake.log[0], run_synergy_matrix_shard, snakemake.params.models_dir, snakemake.wildcards.context,
           snakemake.wildcards.row, snakemake.wildcards.col, dict(snakemake.params.synergy), snakemake.params.hours,
           snakemake.wildcards.scatteritem, snakemake.output[0])
