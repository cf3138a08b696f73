"""Snakemake script: the tumour calibration (growth and kill scales) and its generated table."""
from stat3qsp.calibration.store import calibrate_tumour
from stat3qsp.config import run_logged

run_logged(snakemake.log[0], calibrate_tumour, snakemake.input.spec, snakemake.params.models_dir, snakemake.output[0],
           int(snakemake.params.patients), "snakemake calibration_tumour")
