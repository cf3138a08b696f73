"""A new drug added by the documented extension path runs through the whole workflow (layer d)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from stat3qsp.assay.dose_response import sweep
from stat3qsp.model import build_model

from extension_models import install_extension
from tiny import ROOT


@pytest.fixture(scope="module")
def extended_dir(tmp_path_factory) -> Path:
    return install_extension(tmp_path_factory.mktemp("extension") / "models")


def test_new_drug_runs_through_the_workflow(extended_dir, tmp_path):
    """End-to-end (layer d): Snakemake on a tiny config whose models_dir is the extended copy."""
    config = {
        "models_dir": str(extended_dir),
        "contexts": ["her2_amplified_toyjaki_weak"],
        "assay_hours": 24,
        "dose_response": {"toyjaki": {"low": "1 nM", "high": "10 uM", "points": 4}},
        "synergy": {"points": 4, "methods": ["bliss"], "seed": 1,
                    "grids": {"toyjaki": {"low": "10 nM", "high": "1 uM"}, "trastuzumab": {"low": "0.1 nM", "high": "10 nM"}},
                    "pairs": [{"row": "trastuzumab", "col": "toyjaki"}]},
        "comparison": {"add_on": "toyjaki", "add_on_clinical": "30 nM", "add_on_range": {"low": "10 nM", "high": "1 uM", "points": 3},
                       "backbones": {"her2_amplified_toyjaki_weak": {"trastuzumab": "10 nM"}}},
    }
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    result = subprocess.run([sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--cores", "2", "-d", str(tmp_path),
                             "--configfile", str(tmp_path / "config.yaml")],
                            capture_output=True, text=True, encoding="utf-8", cwd=tmp_path, env={**os.environ, "PYTHONUTF8": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    table = pd.read_csv(tmp_path / "results/dose_response/her2_amplified_toyjaki_weak__toyjaki.tsv", sep="\t")
    assert table["pSTAT3_fraction"].is_monotonic_decreasing
    library = sweep(build_model(extended_dir), "her2_amplified_toyjaki_weak", "toyjaki", table["conc_nM"].to_numpy(), 24.0)
    assert np.allclose(table["pSTAT3_fraction"], library["pSTAT3_fraction"], rtol=1e-9)
    summary = pd.read_csv(tmp_path / "results/synergy/summary.tsv", sep="\t")
    assert set(summary["drug_col"]) == {"toyjaki"} and summary["bliss"].notna().all()
    settings = pd.read_csv(tmp_path / "results/comparison/settings.tsv", sep="\t")
    assert settings["add_on"].tolist() == ["toyjaki"] and (settings["delta_pSTAT3_fraction"] < 0).all()
    assert (tmp_path / "results/comparison/figures/settings.png").stat().st_size > 1000
