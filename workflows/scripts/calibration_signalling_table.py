"""Snakemake script: the signalling calibration's generated table from the fitted parameters."""
from stat3qsp.calibration.store import write_signalling_table
from stat3qsp.config import run_logged

run_logged(snakemake.log[0], write_signalling_table, snakemake.input.fitted, snakemake.input.spec,
           snakemake.params.models_dir, snakemake.output[0], "snakemake calibration_signalling_table")
