"""Snakemake script: write and validate the SBML of one context."""
from stat3qsp.workflow import run_logged, write_validated_sbml

run_logged(snakemake.log[0], write_validated_sbml, snakemake.params.models_dir, snakemake.wildcards.context,
           snakemake.output.sbml, snakemake.output.checks, snakemake.output.equations)
