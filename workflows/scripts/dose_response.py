"""Snakemake script: one drug x context dose-response sweep with LL.4 fits."""
from stat3qsp.assay.steps import run_dose_response
from stat3qsp.config import run_logged

run_logged(snakemake.log[0], run_dose_response, snakemake.params.models_dir, snakemake.wildcards.context,
           snakemake.wildcards.drug, dict(snakemake.params.grid), snakemake.params.hours,
           snakemake.output.table, snakemake.output.fits)
