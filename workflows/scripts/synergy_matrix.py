"""Snakemake script: gather the shards of a drug-pair dose matrix in one context."""
from stat3qsp.assay.steps import gather_synergy_matrix
from stat3qsp.config import run_logged

run_logged(snakemake.log[0], gather_synergy_matrix, snakemake.params.models_dir, snakemake.params.hours,
           list(snakemake.input.shards), snakemake.output[0])
