"""Snakemake script: attribution and add-on benefit in every setting of the comparison."""
from stat3qsp.assay.steps import run_comparison
from stat3qsp.config import run_logged

run_logged(snakemake.log[0], run_comparison, snakemake.params.models_dir, dict(snakemake.params.spec),
           snakemake.params.hours, snakemake.output.settings, snakemake.output.add_on_range)
