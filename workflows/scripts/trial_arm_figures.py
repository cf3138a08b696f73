"""Snakemake script: swimmer, waterfall and spider plots of one arm (replicate 0)."""
from stat3qsp.trial.steps import plot_arm
from stat3qsp.config import run_logged

run_logged(snakemake.log[0], plot_arm, snakemake.input.patients, snakemake.input.sld, snakemake.wildcards.arm,
           snakemake.output.swimmer, snakemake.output.waterfall, snakemake.output.spider)
