"""Workflow tests (layer d): Snakemake and the command line in subprocesses; every test here is marked slow.

``tiny_workflow`` is the one run of the whole workflow on the tiny configuration (tests/tiny.py) that the
test files share: under pytest-xdist the first worker to ask runs it and the others wait for it (a file
lock in the session's shared temporary folder), so a session makes it once."""
from __future__ import annotations

import fcntl
from pathlib import Path

import pytest

from tiny import TINY, run_snakemake

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def tiny_workflow(tmp_path_factory, worker_id) -> Path:
    """The working folder of the whole workflow run on TINY (default targets), made once per session."""
    base = tmp_path_factory.getbasetemp()
    shared = base if worker_id == "master" else base.parent  # the xdist workers' common session folder
    workdir, done = shared / "tiny_workflow", shared / "tiny_workflow.done"
    with open(shared / "tiny_workflow.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            workdir.mkdir(exist_ok=True)
            result = run_snakemake(workdir, TINY)
            assert result.returncode == 0, result.stderr[-3000:]
            done.touch()
    return workdir
