"""Snakemake script: the dose-response figure of every readout (outputs named by readout)."""
from stat3qsp.assay.steps import plot_dose_responses
from stat3qsp.config import run_logged

run_logged(snakemake.log[0], plot_dose_responses, list(snakemake.input.tables), list(snakemake.input.fits),
           list(snakemake.params.readouts), [snakemake.output[name] for name in snakemake.params.readouts])
