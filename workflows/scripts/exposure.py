"""Snakemake script: free drug exposure at the tumour under every regimen of the configured trial specs."""
from stat3qsp.trial.steps import run_exposure
from stat3qsp.config import run_logged

run_logged(snakemake.log[0], run_exposure, snakemake.params.models_dir, list(snakemake.params.specs),
           snakemake.params.seed, snakemake.output[0])
