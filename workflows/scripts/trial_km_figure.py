"""Snakemake script: predicted Kaplan-Meier band of every arm with the observed median PFS."""
from stat3qsp.config import run_logged
from stat3qsp.trial.steps import plot_km_band

run_logged(snakemake.log[0], plot_km_band, snakemake.input.spec, dict(snakemake.params.trials),
           snakemake.input.patients, snakemake.input.endpoints, snakemake.output[0])
