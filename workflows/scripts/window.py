"""Snakemake script: the therapeutic window table and figure of one context (stat3qsp.trial.window)."""
from pathlib import Path

from stat3qsp.config import run_logged
from stat3qsp.trial.window import run_window

w = snakemake.params.window
out = Path(snakemake.output.table)
run_logged(snakemake.log[0], run_window, snakemake.input.spec, w["arm"], [snakemake.wildcards.context], out.parent,
           w["bid_doses"], w["alternative_doses"], w["alternative"], w["patients"], w["replicates"], w["seed"],
           w["horizon_weeks"], snakemake.threads, snakemake.params.models_dir)
