"""Snakemake script: endpoints of every arm, real and counterfactual, against the design's target."""
from stat3qsp.trial.steps import plot_counterfactuals
from stat3qsp.config import run_logged

run_logged(snakemake.log[0], plot_counterfactuals, snakemake.input.spec, snakemake.input.endpoints,
           snakemake.output[0])
