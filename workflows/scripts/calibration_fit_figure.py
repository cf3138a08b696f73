"""Snakemake script: data against the fitted model, one figure per observable (outputs named by observable)."""
from stat3qsp.calibration.signalling.workflow import plot_fits
from stat3qsp.config import run_logged

run_logged(snakemake.log[0], plot_fits, snakemake.input.problem, snakemake.input.estimate, snakemake.input.residuals,
           list(snakemake.params.observables), [snakemake.output[name] for name in snakemake.params.observables])
