"""Snakemake script: swimmer, waterfall and spider plots of every arm of one spec (replicate 0; outputs named
<arm>_<figure>)."""
from stat3qsp.trial.steps import plot_arms
from stat3qsp.config import run_logged

arms = list(snakemake.params.arms)
run_logged(snakemake.log[0], plot_arms, snakemake.input.patients, snakemake.input.sld, arms,
           [tuple(snakemake.output[f"{arm}_{figure}"] for figure in ("swimmer", "waterfall", "spider")) for arm in arms])
