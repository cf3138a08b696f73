"""Caching: an edit reruns only the jobs that read what it changed (workflows/common.smk rerun triggers).

Dry runs only: the outputs of a tiny workflow with two trial specs are created empty and marked up to date
(``snakemake --touch`` records the params), then one file is edited and ``snakemake -n`` lists the jobs.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from stat3qsp.model.provenance import model_digest

ROOT = Path(__file__).resolve().parents[2]
SPECS = ("NCT02066532", "ner_rux_mtnbc")


def _config(tmp: Path) -> dict:
    return {
        "models_dir": str(tmp / "models"),
        "contexts": ["her2_trastuzumab_resistant"],
        "assay_hours": 24,
        "dose_response": {"ruxolitinib": {"low": "10 nM", "high": "10 uM", "points": 4}},
        "synergy": {"points": 4, "methods": ["bliss"], "seed": 1,
                    "grids": {"trastuzumab": {"low": "0.1 nM", "high": "10 nM"},
                              "ruxolitinib": {"low": "100 nM", "high": "10 uM"}},
                    "pairs": [{"row": "trastuzumab", "col": "ruxolitinib"}]},
        "trials": {"specs": [str(tmp / "trials" / f"{s}.yaml") for s in SPECS], "replicates": 1, "seed": 1},
    }


def _snakemake(tmp: Path, *args: str) -> str:
    command = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(tmp), "--cores", "1",
               *args, "--configfile", str(tmp / "config.yaml")]
    result = subprocess.run(command, capture_output=True, text=True, encoding="utf-8", cwd=tmp,
                            env={**os.environ, "PYTHONUTF8": "1"}, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result.stdout + result.stderr


def _jobs(tmp: Path, *args: str) -> list[tuple[str, list[str]]]:
    """(rule, outputs) of every job a dry run would run."""
    jobs, rule = [], None
    for line in _snakemake(tmp, "-n", *args).splitlines():
        found = re.match(r"^(?:local)?rule (\w+):", line)
        if found:
            rule = found.group(1)
            jobs.append((rule, []))
        elif line.startswith("    output: ") and rule is not None:
            jobs[-1][1].extend(p.strip() for p in line[len("    output: "):].split(","))
    return jobs


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("triggers")
    shutil.copytree(ROOT / "models", tmp / "models")
    (tmp / "trials").mkdir()
    for spec in SPECS:
        shutil.copy(ROOT / "trials" / f"{spec}.yaml", tmp / "trials")
    (tmp / "config.yaml").write_text(yaml.safe_dump(_config(tmp)), encoding="utf-8")
    for _, outputs in _jobs(tmp):
        for output in outputs:
            (tmp / output).parent.mkdir(parents=True, exist_ok=True)
            (tmp / output).touch()
    _snakemake(tmp, "--touch", "--forceall")  # every job: its params are recorded as up to date
    assert [rule for rule, _ in _jobs(tmp) if rule != "all"] == []
    return tmp


def test_an_edit_of_one_spec_reruns_only_that_trial(project):
    _edit(project / "trials" / "ner_rux_mtnbc.yaml", "n_patients: 20", "n_patients: 21")
    jobs = [(rule, outputs) for rule, outputs in _jobs(project) if rule != "all"]
    assert jobs, "the edit reran nothing"
    assert {rule for rule, _ in jobs} >= {"trial_shard", "trial_gather", "trial_summary"}
    assert all(o.startswith("results/trial/ner_rux_mtnbc/") for _, outputs in jobs for o in outputs), jobs
    _snakemake(project, "--touch")


def test_a_value_only_the_patient_model_reads_reruns_the_trial_jobs_not_the_cell_assays(project):
    cells = model_digest(project / "models", None, ["her2_trastuzumab_resistant"])
    _edit(project / "models" / "parameters.tsv", "rux_CL_F\t17.7\t", "rux_CL_F\t18.7\t")
    assert model_digest(project / "models", None, ["her2_trastuzumab_resistant"]) == cells
    rules = {rule for rule, _ in _jobs(project)}
    assert {"trial_shard", "exposure"} <= rules
    assert not rules & {"sbml", "omex", "dose_response", "synergy_matrix_shard"}, rules
    _snakemake(project, "--touch")


def test_a_signalling_value_reruns_the_cell_assays(project):
    _edit(project / "models" / "parameters.tsv", "tras_koff\t0.1\t", "tras_koff\t0.11\t")
    rules = {rule for rule, _ in _jobs(project)}
    assert {"sbml", "dose_response", "synergy_matrix_shard", "trial_shard"} <= rules
