"""Snakemake script: the Saltelli design over the top factors of the Morris screen."""
from stat3qsp.sensitivity.steps import write_sobol_design
from stat3qsp.config import run_logged

run_logged(snakemake.log[0], write_sobol_design, dict(snakemake.params.family), snakemake.params.models_dir,
           snakemake.input.factors, snakemake.input.morris, snakemake.output[0])
