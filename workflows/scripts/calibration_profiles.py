"""Snakemake script: profile likelihoods and the fitted-parameters table with 95% intervals."""
from stat3qsp.calibration.signalling.workflow import run_profiles
from stat3qsp.config import run_logged

run_logged(snakemake.log[0], run_profiles, snakemake.input.problem, snakemake.input.spec, snakemake.params.fit,
           snakemake.params.models_dir, snakemake.input.estimate, snakemake.output.profiles, snakemake.output.fitted)
