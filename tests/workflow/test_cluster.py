"""The workflow through a cluster executor, and the SLURM profile (layer d of the test plan).

The real Snakefile runs a tiny configuration (model, dose-response and synergy stages, the synergy matrix in
two shards) through snakemake-executor-plugin-cluster-generic, as Snakemake's own tests do: the "cluster" is
tests/data/cluster/submit.sh, a qsub stand-in that starts each job script as a background process of its own
and prints its process id as the job id. Each job thus re-parses the workflow and rebuilds the model in a new
Python process, as on a cluster node; the outputs must equal those of a local run (one shard). Called as
`bash submit.sh`, so the script needs no executable bit in a fresh checkout.

The SLURM profile (profiles/slurm/config.yaml) is checked without a cluster: every rule it (or a command in
docs/cluster.md) sets resources or threads for must exist, since Snakemake silently ignores unknown rule names
there; and its resource expressions must evaluate in a dry run.
"""
from __future__ import annotations

import collections
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tiny import ROOT, tiny

SUBMIT = ROOT / "tests" / "data" / "cluster" / "submit.sh"
PROFILE = ROOT / "profiles" / "slurm"
SNAKEMAKE = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile")]
TINY = tiny()
PAIR = "her2_amplified__trastuzumab__ruxolitinib"
TARGETS = ["results/model/her2_amplified.xml", "results/dose_response/her2_amplified__ruxolitinib.tsv",
           "results/synergy/summary.tsv"]
# Outputs compared between the cluster run and the local run: the model files byte for byte, the tables'
# data (not their provenance headers).
MODEL_FILES = ["model/her2_amplified.xml", "model/her2_amplified.equations.txt"]
TABLES = ["dose_response/her2_amplified__ruxolitinib.tsv", "dose_response/her2_amplified__ruxolitinib.fit.tsv",
          f"synergy/{PAIR}.matrix.tsv", f"synergy/{PAIR}.scores.tsv", f"synergy/{PAIR}.summary.tsv", "synergy/summary.tsv"]


def _snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    config_path = workdir / "config.yaml"
    config_path.write_text(yaml.safe_dump(TINY), encoding="utf-8")
    # The timeout guards against a cluster job that dies without telling Snakemake (it would wait forever).
    return subprocess.run([*SNAKEMAKE, "-d", str(workdir), "--configfile", str(config_path), *args],
                          capture_output=True, text=True, encoding="utf-8", cwd=workdir,
                          env={**os.environ, "PYTHONUTF8": "1"}, timeout=600)


def _job_outputs(jobs: Path) -> str:
    """The end of every job's output, for a failure message."""
    return "\n".join(f"== {path.name}\n{path.read_text(encoding='utf-8')[-1500:]}" for path in sorted(jobs.glob("*.out")))


@pytest.fixture(scope="module")
def cluster_run(tmp_path_factory) -> tuple[Path, Path, str]:
    """The tiny workflow through cluster-generic: (workdir, folder of the submit script's records, Snakemake's log)."""
    workdir = tmp_path_factory.mktemp("cluster")
    jobs = workdir / "jobs"
    jobs.mkdir()
    # Snakemake fills in {rule} and appends the job script's path.
    submit = f"bash {shlex.quote(str(SUBMIT))} {shlex.quote(str(jobs))} {{rule}}"
    result = _snakemake(workdir, "--executor", "cluster-generic", "--cluster-generic-submit-cmd", submit,
                        "--jobs", "3", "--set-scatter", "synergy=2", "--seconds-between-status-checks", "1",
                        *TARGETS)
    assert result.returncode == 0, result.stderr[-3000:] + _job_outputs(jobs)
    return workdir, jobs, result.stderr


@pytest.fixture(scope="module")
def local_run(tiny_workflow) -> Path:
    """The same configuration run locally: the session's one tiny workflow run (tests/workflow/conftest.py),
    whose default targets include TARGETS."""
    for target in TARGETS:
        assert (tiny_workflow / target).is_file(), target
    return tiny_workflow


def test_cluster_run_writes_the_targets(cluster_run):
    workdir, _, _ = cluster_run
    for target in TARGETS:
        assert (workdir / target).stat().st_size > 0, target


def test_every_job_ran_as_its_own_submitted_process(cluster_run):
    _, jobs, log = cluster_run
    submissions = [line.split("\t") for line in (jobs / "submissions.tsv").read_text(encoding="utf-8").splitlines()]
    job_ids = [job_id for job_id, _ in submissions]
    assert len(submissions) >= 5 and len(set(job_ids)) == len(job_ids)
    # Snakemake logs "rule NAME:" for each job it hands to the executor ("localrule NAME:" for one it runs
    # itself): each was submitted once, as its own process.
    handed_over = collections.Counter(re.findall(r"^rule (\w+):$", log, flags=re.MULTILINE))
    submitted = collections.Counter(rule for _, rule in submissions)
    assert submitted == handed_over
    assert submitted["sbml"] == submitted["dose_response"] == 1 and submitted["synergy_matrix_shard"] == 2
    for job_id in job_ids:
        assert f"external jobid '{job_id}'" in log


@pytest.mark.parametrize("table", TABLES)
def test_cluster_tables_equal_local_tables(cluster_run, local_run, table):
    workdir, _, _ = cluster_run
    cluster = pd.read_csv(workdir / "results" / table, sep="\t")
    local = pd.read_csv(local_run / "results" / table, sep="\t")
    assert len(cluster) > 0
    pd.testing.assert_frame_equal(cluster, local, check_exact=True)


@pytest.mark.parametrize("path", MODEL_FILES)
def test_cluster_model_files_equal_local_files(cluster_run, local_run, path):
    workdir, _, _ = cluster_run
    assert (workdir / "results" / path).read_bytes() == (local_run / "results" / path).read_bytes()


def _list_rules() -> set[str]:
    result = subprocess.run([*SNAKEMAKE, "--list-rules"], capture_output=True, text=True, encoding="utf-8",
                            cwd=ROOT, env={**os.environ, "PYTHONUTF8": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    return set(result.stdout.split())


def test_slurm_profile_and_docs_name_only_rules_of_the_workflow():
    profile = yaml.safe_load((PROFILE / "config.yaml").read_text(encoding="utf-8"))
    assert profile["executor"] == "slurm"
    named = set(profile["set-resources"]) | set(profile.get("set-threads", {}))
    docs = (ROOT / "docs" / "cluster.md").read_text(encoding="utf-8")
    named |= set(re.findall(r"--set-(?:threads|resources) (\w+)[=:]", docs))
    unknown = named - _list_rules()
    assert named and not unknown, f"not rules of the workflow: {sorted(unknown)}"


def test_slurm_profile_resources_evaluate(tmp_path):
    # The dry-run executor stands in for slurm (plugin not needed); the profile's values must parse and evaluate.
    result = _snakemake(tmp_path, "--workflow-profile", str(PROFILE), "--executor", "dryrun", "--dry-run", *TARGETS)
    assert result.returncode == 0, result.stderr[-3000:]
    log = result.stdout + result.stderr
    jobs = dict(re.findall(r"^rule (\w+):\n(?:    .*\n)*?    resources: (.*)$", log, flags=re.MULTILINE))
    assert "runtime=15," in jobs["sbml"] and "cpus_per_task=1" in jobs["sbml"]
    assert "runtime=30," in jobs["synergy_scores"]
