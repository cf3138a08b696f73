"""Snakemake script: predicted Kaplan-Meier band of every arm with the observed median PFS."""
from stat3qsp.trial_workflow import plot_km_band
from stat3qsp.workflow import run_logged

run_logged(snakemake.log[0], plot_km_band, snakemake.input.patients, snakemake.input.endpoints, snakemake.output[0])
