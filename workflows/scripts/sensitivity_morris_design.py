"""Snakemake script: the factors of one output family and their Morris design."""
from stat3qsp.sensitivity.steps import write_morris_design
from stat3qsp.config import run_logged

run_logged(snakemake.log[0], write_morris_design, dict(snakemake.params.family), snakemake.params.models_dir,
           snakemake.output.factors, snakemake.output.design)
