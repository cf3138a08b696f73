"""Snakemake script: gather the shards of one trial spec into its four tables (endpoints computed here)."""
from stat3qsp.config import run_logged
from stat3qsp.trial.steps import gather_rule

run_logged(snakemake.log[0], gather_rule, snakemake.params.models_dir, snakemake.input.spec,
           dict(snakemake.params.trials), list(snakemake.input.patients), list(snakemake.input.sld),
           snakemake.output.endpoints, snakemake.output.replicates, snakemake.output.patients, snakemake.output.sld)
