"""The sensitivity and uncertainty stages of the workflow on a tiny config: they run, and an interrupted run
redoes only the shards that did not finish (layer d)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import yaml

from stat3qsp.sensitivity import columns as sc

from tiny import ROOT, SENSITIVITY_TINY as TINY

TARGETS = ["results/sensitivity/summary.tsv", "results/uncertainty/endpoints.tsv"]  # figures: test_figures_are_drawn


def _snakemake(workdir: Path, *extra: str) -> subprocess.CompletedProcess:
    (workdir / "config.yaml").write_text(yaml.safe_dump(TINY))
    command = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(workdir), "--cores", "2",
               *extra, "--configfile", str(workdir / "config.yaml")]
    return subprocess.run(command, capture_output=True, text=True, encoding="utf-8", cwd=workdir,
                          env={**os.environ, "PYTHONUTF8": "1"})


def test_tiny_sensitivity_and_uncertainty_stages_run_and_resume(tmp_path):
    result = _snakemake(tmp_path, *TARGETS)
    assert result.returncode == 0, result.stderr[-3000:]
    read = lambda p: pd.read_csv(tmp_path / p, sep="\t")  # noqa: E731
    factors = read("results/sensitivity/synergy/factors.tsv")
    morris = read("results/sensitivity/synergy/morris.tsv")
    free = factors[factors[sc.HELD].isna()]
    assert len(morris) == 2 * len(free) and set(morris[sc.OUTPUT]) == {"her2_amplified__bliss", "her2_amplified__loewe"}
    assert len(read("results/sensitivity/synergy/sobol_design.tsv")) == 4 * (3 + 2)
    assert set(read("results/sensitivity/summary.tsv")["method"]) == {"morris", "sobol"}
    endpoints = read("results/uncertainty/endpoints.tsv")
    assert endpoints[sc.UNCERTAINTY].str.startswith(sc.BASELINE_SOURCES).all()
    assert endpoints[sc.UNCERTAINTY].nunique() == 2
    # Resumable: a run interrupted after the first Morris shard redoes only what is missing.
    kept = {"factors.tsv", "morris_design.tsv", "shard_1-of-2.tsv"}
    for path in (tmp_path / "results/sensitivity").rglob("*.tsv"):
        if path.name not in kept or "sobol" in str(path):
            path.unlink()
    dry = _snakemake(tmp_path, *TARGETS, "--dry-run")
    assert dry.returncode == 0
    assert "output: results/sensitivity/synergy/morris/shard_2-of-2.tsv" in dry.stdout
    assert "output: results/sensitivity/synergy/morris/shard_1-of-2.tsv" not in dry.stdout
    assert "sensitivity_morris_design" not in dry.stdout and "uncertainty_shard" not in dry.stdout
