"""Snakemake script: data against the fitted model for one observable."""
from stat3qsp.calibration.signalling.workflow import plot_fit
from stat3qsp.config import run_logged

run_logged(snakemake.log[0], plot_fit, snakemake.input.problem, snakemake.input.estimate, snakemake.input.residuals,
           snakemake.wildcards.observable, snakemake.output[0])
