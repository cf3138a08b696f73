"""Snakemake script: Monte Carlo noise of the outputs of one output family."""
from stat3qsp.sensitivity.steps import write_noise
from stat3qsp.config import run_logged

run_logged(snakemake.log[0], write_noise, dict(snakemake.params.family), snakemake.params.models_dir,
           snakemake.input.outputs, snakemake.output[0])
