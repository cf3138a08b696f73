"""Snakemake script: multistart fit of the calibration problem (training measurements)."""
from stat3qsp.calibration.signalling.workflow import run_multistart
from stat3qsp.config import run_logged

run_logged(snakemake.log[0], run_multistart, snakemake.input.problem, snakemake.input.spec, snakemake.params.fit,
           snakemake.params.models_dir, snakemake.output.multistart, snakemake.output.estimate)
