"""Snakemake script: one table of all synergy summaries."""
from stat3qsp.assay.steps import concatenate_tables
from stat3qsp.config import run_logged

run_logged(snakemake.log[0], concatenate_tables, list(snakemake.input), snakemake.output[0])
