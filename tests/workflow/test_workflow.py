"""End-to-end: the Snakemake workflow on a tiny configuration (layer d of the test plan)."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from stat3qsp.config import check_config, validate_config
from stat3qsp.errors import InputError
from stat3qsp.io.yamlfiles import read_yaml

from tiny import ROOT, TINY, run_snakemake


def _run(workdir: Path, config: dict, *extra: str) -> subprocess.CompletedProcess:
    return run_snakemake(workdir, config, *extra)


@pytest.fixture(scope="module")
def tiny_run(tiny_workflow) -> Path:
    """The session's one tiny workflow run (tests/workflow/conftest.py)."""
    return tiny_workflow


def test_tiny_workflow_writes_validated_sbml_and_sweeps(tiny_run):
    checks = (tiny_run / "results/model/her2_amplified.checks.txt").read_text()
    assert checks.startswith("libsbml consistency checks (units on): 0 errors")
    table = pd.read_csv(tiny_run / "results/dose_response/her2_amplified__ruxolitinib.tsv", sep="\t")
    assert len(table) == 5 and table["conc_nM"].iloc[0] == 0
    assert table["pSTAT3_fraction"].is_monotonic_decreasing
    for readout in ("viability_pct", "pSTAT3_fraction", "calprotectin_nM"):
        assert (tiny_run / f"results/dose_response/figures/{readout}.png").stat().st_size > 1000


def test_tiny_workflow_scores_the_synergy_matrix(tiny_run):
    stem = tiny_run / "results/synergy/her2_amplified__trastuzumab__ruxolitinib"
    matrix = pd.read_csv(f"{stem}.matrix.tsv", sep="\t")
    assert len(matrix) == 16
    summary = pd.read_csv(f"{stem}.summary.tsv", sep="\t")
    assert set(summary["reference_mode"]) == {"fitted", "exact"}
    assert summary[["hsa", "bliss", "loewe", "zip", "musyc_alpha12"]].notna().all().all()
    # HSA is never below Bliss for inhibitions in [0, 100]: max(a, b) <= a + b - ab/100.
    assert (summary["hsa"] >= summary["bliss"] - 1e-9).all()
    assert (tiny_run / "results/synergy/figures/her2_amplified__trastuzumab__ruxolitinib.png").stat().st_size > 1000


def test_every_table_reads_with_pandas_defaults_and_has_a_sidecar_naming_the_model(tiny_run):
    """Plain tables (issue 16): no '#' lines, ``pandas.read_csv(path, sep="\\t")`` with nothing else, and a
    ``<table>.tsv.json`` sidecar whose provenance names the model digest (``model_sha256``) of models/."""
    from stat3qsp.model.provenance import model_provenance

    # results/benchmarks/ holds Snakemake's own `benchmark:` records (plain TSV, written by Snakemake, no sidecar).
    paths = sorted(p for p in (tiny_run / "results").rglob("*.tsv") if "benchmarks" not in p.relative_to(tiny_run).parts)
    assert len(paths) >= 5
    digest = model_provenance(ROOT / "models")["model_sha256"]
    for path in paths:
        assert not any(line.startswith("#") for line in path.read_text(encoding="utf-8").splitlines()), path
        table = pd.read_csv(path, sep="\t")
        assert len(table.columns) > 1 and len(table) > 0, path
        record = json.loads(Path(f"{path}.json").read_text(encoding="utf-8"))
        assert record["table"] == path.name
        assert record["provenance"]["model_sha256"] == digest, path


def test_rerun_has_nothing_to_do(tiny_run):
    result = _run(tiny_run, TINY, "--dry-run")
    assert result.returncode == 0
    assert "Nothing to be done" in result.stdout + result.stderr


def test_report_is_written(tiny_run):
    result = _run(tiny_run, TINY, "--report", "results/report.html")
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tiny_run / "results/report.html").stat().st_size > 10000


BAD_CONFIGS = [
    ({"contexts": ["lung"]}, "unknown context 'lung'"),
    ({"dose_response": {"aspirin": {"low": "1 nM", "high": "2 nM", "points": 3}}}, "unknown drug 'aspirin'"),
    ({"dose_response": {"ruxolitinib": {"low": "1", "high": "2 nM", "points": 3}}}, "low"),
    ({"assay_hours": -1}, "assay_hours"),
    ({"colour": "blue"}, "colour"),
    ({"synergy": {**TINY["synergy"], "pairs": [{"row": "trastuzumab", "col": "aspirin"}]}}, "synergy.pairs[0].col"),
]


@pytest.mark.parametrize("change, message", BAD_CONFIGS)
def test_bad_config_is_refused_in_one_line(change, message):
    """The checks the Snakefile and workflows/common.smk run before any job, on the config as Snakemake
    builds it (config/config.yaml, updated by the test's --configfile)."""
    from snakemake.utils import update_config, validate

    config = read_yaml(ROOT / "config" / "config.yaml", "workflow config")
    update_config(config, {**TINY, **change})
    with pytest.raises(InputError) as error:
        validate_config(config, str(ROOT / "config" / "schema.yaml"), [], validate)
        check_config(config)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_bad_config_fails_before_any_job(tmp_path):
    """Through Snakemake, for one of the bad configs above: the one error, and no output."""
    change, message = BAD_CONFIGS[0]
    result = _run(tmp_path, {**TINY, **change})
    assert result.returncode != 0
    assert message in result.stderr + result.stdout
    assert not (tmp_path / "results").exists()


def test_every_report_caption_is_a_file():
    """Snakemake loads captions only when writing the report (after the whole run), and does not
    expand wildcards in their paths: a missing caption must fail here, not at the end of `make run`."""
    import re

    captions = [(smk.name, caption) for smk in sorted((ROOT / "workflows").glob("*.smk"))
                for caption in re.findall(r'caption="([^"]+)"', smk.read_text(encoding="utf-8"))]
    assert len(captions) >= 10
    for smk, caption in captions:
        assert (ROOT / "workflows" / caption).is_file(), f"{smk}: caption {caption} is not a file"
