"""Snakemake script: the dose-response figure of one readout."""
from stat3qsp.workflow import plot_dose_response, run_logged

run_logged(snakemake.log[0], plot_dose_response, list(snakemake.input.tables), list(snakemake.input.fits),
           snakemake.wildcards.readout, snakemake.output[0])
