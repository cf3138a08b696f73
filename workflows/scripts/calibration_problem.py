"""Snakemake script: build and lint the calibration's PEtab problem."""
from stat3qsp.calibration.signalling.workflow import write_calibration_problem
from stat3qsp.config import run_logged

run_logged(snakemake.log[0], write_calibration_problem, snakemake.input.spec, snakemake.params.models_dir,
           snakemake.params.folder)
