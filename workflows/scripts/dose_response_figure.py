"""Snakemake script: the dose-response figure of one readout."""
from stat3qsp.assay.steps import plot_dose_response
from stat3qsp.config import run_logged

run_logged(snakemake.log[0], plot_dose_response, list(snakemake.input.tables), list(snakemake.input.fits),
           snakemake.wildcards.readout, snakemake.output[0])
