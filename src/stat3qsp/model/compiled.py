"""Compiled models, cached on disk: the one place the library turns SBML into a roadrunner instance.

Compiling SBML to machine code (LLVM) costs about a second per model and happens in every process
(each Snakemake job, each worker); ``RoadRunner.saveState`` writes the compiled model, ``loadState``
restores it in about 20 ms without compiling. :func:`compile_sbml` keeps one state file per
(SBML, roadrunner version, machine) in :func:`cache_dir` and loads it when present: the instance is the
one a fresh compile gives (state, values, integrator; ``tests/unit/test_compiled.py`` checks that the
simulations are bitwise equal). ``STAT3QSP_CACHE_DIR`` names the folder (default
``$XDG_CACHE_HOME/stat3qsp``, else ``~/.cache/stat3qsp``); ``STAT3QSP_CACHE_DIR=off`` compiles every time.
A state file that cannot be read is compiled again and replaced.
"""
from __future__ import annotations

import functools
import hashlib
import os
import platform
from pathlib import Path

import roadrunner

from stat3qsp.io.tables import write_bytes_atomic

CACHE_ENV = "STAT3QSP_CACHE_DIR"
"""Environment variable naming the cache folder (``off``: no cache)."""
SUBFOLDER = "roadrunner"
"""Folder of the compiled-model states inside the cache folder."""
MAX_STATES = 200
"""States kept (about 0.6 MB each); beyond this the least recently used are deleted."""


def cache_dir() -> Path | None:
    """The folder of compiled-model states (None: caching is off)."""
    named = os.environ.get(CACHE_ENV, "")
    if named.lower() == "off":
        return None
    if named:
        return Path(named) / SUBFOLDER
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "stat3qsp" / SUBFOLDER


@functools.lru_cache(maxsize=1)
def _machine_key() -> str:
    """What the compiled code depends on besides the SBML: roadrunner's version and the CPU it targets."""
    flags = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("flags", "Features")):
                flags = line
                break
    except OSError:
        pass
    return "|".join([roadrunner.__version__, platform.system(), platform.machine(), flags])


def state_path(sbml: str) -> Path | None:
    """The state file of *sbml* in the cache (None: caching is off)."""
    folder = cache_dir()
    if folder is None:
        return None
    digest = hashlib.sha256(f"{_machine_key()}\n{sbml}".encode()).hexdigest()
    return folder / f"{digest}.rrstate"


def compile_sbml(sbml: str) -> roadrunner.RoadRunner:
    """A roadrunner instance of *sbml* as freshly compiled, from the cache when it holds one."""
    path = state_path(sbml)
    if path is not None and path.is_file():
        runner = roadrunner.RoadRunner()
        try:
            runner.loadState(str(path))
            os.utime(path)  # recently used
            return runner
        except Exception:  # an unreadable or truncated state: compile again and replace it
            pass
    runner = roadrunner.RoadRunner(sbml)
    if path is not None:
        try:
            write_bytes_atomic(path, runner.saveStateS())
            _prune(path.parent)
        except OSError:  # a read-only or full cache folder costs the next process a compile, nothing else
            pass
    return runner


def _prune(folder: Path) -> None:
    """Delete all but the :data:`MAX_STATES` most recently used states of *folder*."""
    keep = MAX_STATES
    states = sorted(folder.glob("*.rrstate"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in states[keep:]:
        old.unlink(missing_ok=True)
