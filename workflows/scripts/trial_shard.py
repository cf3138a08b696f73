"""Snakemake script: one shard of the replicate virtual trials of one trial spec (patients and SLD)."""
from stat3qsp.config import run_logged
from stat3qsp.trial.steps import run_shard_rule

# Guarded: the worker processes are spawned, and they import this file (without Snakemake's preamble).
if __name__ == "__main__":
    run_logged(snakemake.log[0], run_shard_rule, snakemake.params.models_dir, snakemake.input.spec,
               dict(snakemake.params.trials), snakemake.threads, snakemake.wildcards.scatteritem,
               snakemake.output.patients, snakemake.output.sld)
