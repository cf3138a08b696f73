"""Snakemake script: training and validation errors of the fit and its baselines."""
from stat3qsp.calibration.signalling.workflow import run_validation
from stat3qsp.config import run_logged

run_logged(snakemake.log[0], run_validation, snakemake.input.problem, snakemake.input.spec, snakemake.params.fit,
           snakemake.params.models_dir, snakemake.input.estimate, snakemake.output.validation,
           snakemake.output.residuals)
