"""Snakemake script: one table of all synergy summaries."""
from stat3qsp.workflow import concatenate_tables, run_logged

run_logged(snakemake.log[0], concatenate_tables, list(snakemake.input), snakemake.output[0])
