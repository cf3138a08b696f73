"""Snakemake script: rank the config's hypotheses into results/hypotheses/ (stat3qsp.hypotheses.ranking)."""
from pathlib import Path

from stat3qsp.config import run_logged
from stat3qsp.hypotheses.steps import ranking_rule

run_logged(snakemake.log[0], ranking_rule, snakemake.params.models_dir, dict(snakemake.params.settings),
           snakemake.input.signalling, str(Path(snakemake.output.ranking).parent), snakemake.input.targets)
