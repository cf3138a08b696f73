"""Snakemake script: figure of the profile likelihoods."""
from stat3qsp.calibration.signalling.workflow import plot_profiles
from stat3qsp.config import run_logged

run_logged(snakemake.log[0], plot_profiles, snakemake.input.profiles, snakemake.input.fitted, snakemake.output[0])
