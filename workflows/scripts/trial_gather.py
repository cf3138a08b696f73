"""Snakemake script: gather the shards of one trial spec into its four tables (endpoints computed here)."""
from stat3qsp.trial_workflow import gather_trial_tables
from stat3qsp.workflow import run_logged

run_logged(snakemake.log[0], gather_trial_tables, snakemake.params.models_dir, snakemake.input.spec,
           dict(snakemake.params.trials), list(snakemake.input.patients), list(snakemake.input.sld),
           snakemake.output.endpoints, snakemake.output.replicates, snakemake.output.patients, snakemake.output.sld)
