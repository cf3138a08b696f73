"""The one tiny workflow configuration of the workflow tests, and how they run Snakemake.

Test files import it (``from tiny import TINY, run_snakemake``); each adds only the stage keys it tests.
"""
from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import yaml

from stat3qsp.model.parameters import read_parameter_table

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile")]

#: Model, contexts, dose response and synergy at the smallest sizes that exercise every rule.
_TINY = {
    "models_dir": str(ROOT / "models"),
    "contexts": ["her2_amplified"],
    "assay_hours": 24,
    "dose_response": {"ruxolitinib": {"low": "10 nM", "high": "10 uM", "points": 4}},
    "synergy": {
        "points": 4,
        "methods": ["hsa", "bliss", "loewe", "zip"],
        "seed": 1,
        "grids": {"trastuzumab": {"low": "0.1 nM", "high": "10 nM"}, "ruxolitinib": {"low": "100 nM", "high": "10 uM"}},
        "pairs": [{"row": "trastuzumab", "col": "ruxolitinib"}],
    },
}


def tiny(**changes) -> dict:
    """A fresh copy of the tiny configuration with top-level keys replaced or added."""
    config = copy.deepcopy(_TINY)
    config.update(copy.deepcopy(changes))
    return config


TINY = tiny()


def run_snakemake(workdir: Path, config: dict, *args: str, cores: int | None = 2,
                  timeout: float | None = None) -> subprocess.CompletedProcess:
    """Snakemake on *config* (written to ``workdir/config.yaml``) in *workdir*; targets and options
    in *args* (before ``--configfile``, which takes several values)."""
    config_path = workdir / "config.yaml"
    config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
    command = [*SNAKEMAKE, *(["--cores", str(cores)] if cores else []), *args, "-d", str(workdir),
               "--configfile", str(config_path)]
    return subprocess.run(command, capture_output=True, text=True, encoding="utf-8", cwd=workdir,
                          env={**os.environ, "PYTHONUTF8": "1"}, timeout=timeout)


#: The factors the tiny sensitivity stage varies: 8 of the 50 the automatic rules leave free for the synergy
#: family (the 8 with the largest Morris mu* of the full screen on the tiny trial's matrix, seed 1, 2026-12-07),
#: so that each Morris design has 2 x 9 rows, not 2 x 51; every other parameter is held (config
#: `sensitivity.fixed`, which accepts any id of models/parameters.tsv).
SENSITIVITY_FACTORS = ("S100_syn_STAT3_k", "prolif_S100_K", "S100_deg_k", "pSTAT3_cyt_dephos_k", "IL6R_act_k",
                       "prolif_RTK_K", "death_k_max", "IL6_bind_kon")


def _held_parameters(kept: tuple[str, ...]) -> list[str]:
    """Every parameter id of models/parameters.tsv except *kept* (each of which must be in it), in the table's order."""
    table = read_parameter_table(ROOT / "models" / "parameters.tsv")
    missing = [name for name in kept if name not in table]
    if missing:
        raise ValueError(f"tests/tiny.py SENSITIVITY_FACTORS: {missing} not in models/parameters.tsv")
    return [name for name in table if name not in kept]


#: The sensitivity stage at its smallest size: the synergy family (Morris, then Sobol indices of the top factors).
SENSITIVITY = {"seed": 1, "fixed": _held_parameters(SENSITIVITY_FACTORS),
               "synergy": {"contexts": ["her2_amplified"], "pair": {"row": "trastuzumab", "col": "ruxolitinib"},
                           "points": 4, "trajectories": 2, "top_factors": 2, "sobol_base_samples": 2}}


def uncertainty(spec: str) -> dict:
    """The uncertainty stage at its smallest size, on the combination arm of *spec* (a trial spec's path)."""
    return {"spec": spec, "arms": ["ruxolitinib_trastuzumab"], "replicates": 3, "patients": 2, "seed": 1,
            "parameter_seed": 2, "horizon_weeks": 20, "growth_scale": "rescaled",
            "profile_source": "fitted: Sobotta 2017 (PEtab)", "parameter_sets": [{"profile": True, "ranges": []}]}


#: The sensitivity and uncertainty stages on the tiny configuration (tests/unit/test_sensitivity.py checks its
#: names; tests/workflow/test_trial_workflow.py runs the same stages with the tiny trial).
SENSITIVITY_TINY = tiny(sensitivity=SENSITIVITY, uncertainty=uncertainty(str(ROOT / "trials" / "NCT02066532.yaml")))
