"""Snakemake script: prediction intervals per source of uncertainty from the replicate blocks."""
from stat3qsp.sensitivity.steps import write_uncertainty
from stat3qsp.config import run_logged

run_logged(snakemake.log[0], write_uncertainty, dict(snakemake.params.settings), snakemake.params.models_dir,
           list(snakemake.input.endpoints), list(snakemake.input.parameters), snakemake.output.endpoints,
           snakemake.output.replicate_endpoints, snakemake.output.parameters)
