"""Snakemake script: write and validate the SBML of one context."""
from stat3qsp.model.export import write_sbml
from stat3qsp.config import run_logged

run_logged(snakemake.log[0], write_sbml, snakemake.params.models_dir, snakemake.wildcards.context,
           snakemake.output.sbml, snakemake.output.checks, snakemake.output.equations)
