"""Snakemake script: replicate virtual trials of every arm of one trial spec, and their tables."""
from stat3qsp.trial_workflow import run_trial_tables
from stat3qsp.workflow import run_logged

# Guarded: the worker processes are spawned, and they import this file (without Snakemake's preamble).
if __name__ == "__main__":
    run_logged(snakemake.log[0], run_trial_tables, snakemake.params.models_dir, snakemake.input.spec,
               dict(snakemake.params.trials), snakemake.threads, snakemake.output.endpoints,
               snakemake.output.replicates, snakemake.output.patients, snakemake.output.sld)
