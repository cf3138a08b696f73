"""Snakemake script: Morris indices of one output family from its evaluated blocks."""
from stat3qsp.sensitivity.steps import write_morris
from stat3qsp.config import run_logged

run_logged(snakemake.log[0], write_morris, dict(snakemake.params.family), snakemake.params.models_dir,
           snakemake.input.factors, snakemake.input.design, list(snakemake.input.blocks), snakemake.output.morris,
           snakemake.output.outputs)
