"""Snakemake script: the recomputed calibrated values against the committed ones."""
from stat3qsp.calibration.store import write_drift_table
from stat3qsp.config import run_logged

run_logged(snakemake.log[0], write_drift_table, snakemake.params.models_dir, list(snakemake.input.recomputed),
           snakemake.output[0])
