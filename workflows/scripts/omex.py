"""Snakemake script: the COMBINE archive (SBML, SED-ML, manifest) of one context."""
from stat3qsp.assay.omex import write_omex
from stat3qsp.config import run_logged

run_logged(snakemake.log[0], write_omex, snakemake.params.models_dir, snakemake.wildcards.context,
           dict(snakemake.config), snakemake.output[0])
