"""Snakemake script: report tables of one trial (calibration and validation data, predicted versus
observed, the validation endpoints it misses, the arms against the design's target) and their HTML page."""
from stat3qsp.trial.steps import write_trial_report_tables
from stat3qsp.config import run_logged

run_logged(snakemake.log[0], write_trial_report_tables, snakemake.params.models_dir, snakemake.input.spec,
           snakemake.input.endpoints, snakemake.input.replicates, snakemake.output.observed,
           snakemake.output.roles, snakemake.output.target, snakemake.output.html,
           snakemake.output.monte_carlo, snakemake.output.misses)
