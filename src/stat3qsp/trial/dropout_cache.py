"""On-disk cache of the dropout's reference intervals, shared by every process of a run and across runs.

:func:`stat3qsp.trial.dropout.accepted_intervals` pre-equilibrates
:data:`~stat3qsp.trial.dropout.REFERENCE_CANDIDATES` reference candidates per context (about 2 s), and
every trial shard, worker and calibration step needs them again. The intervals are a deterministic
function of what the pre-equilibrations and the acceptance rules read, so they are stored once per

    sha256(compiled model (SBML, roadrunner version, CPU), context, every constant in the context,
           the parameter table, models/population.yaml (text and as read), the regimens' off values,
           the simulator's tolerances and steps, the reference seed and size, the code that computes them)

as a ``.npy`` file (float64, exact: a cached answer is byte-identical to a computed one) in
``<cache>/dropout/`` beside the compiled models (:func:`stat3qsp.model.compiled.cache_dir`;
``STAT3QSP_CACHE_DIR=off`` computes every time). Writes are atomic (a temporary file and a rename),
so parallel or interrupted runs leave either a whole file or none; a file that cannot be read or has
the wrong shape is computed again and replaced. A change to any input gives another key, so a stale
answer is never read.
"""
from __future__ import annotations

import functools
import hashlib
import importlib
import io
from pathlib import Path

import numpy as np

from stat3qsp.io.tables import write_bytes_atomic
from stat3qsp.model import compiled
from stat3qsp.model.simulator import PREEQUILIBRATION_HOURS
from stat3qsp.trial.regimen import off_values

SUBFOLDER = "dropout"
"""Folder of the cached intervals inside the cache folder."""
FORMAT_VERSION = "1"
"""Bumped when the stored content changes meaning."""
_CODE_MODULES = ("stat3qsp.trial.dropout", "stat3qsp.trial.dropout_cache", "stat3qsp.trial.population",
                 "stat3qsp.trial.mixture", "stat3qsp.trial.doubling",
                 "stat3qsp.trial.patient", "stat3qsp.model.simulator")
"""Modules whose source is part of the key (the computation and the pre-equilibration)."""


def cache_file(simulator, context: str, seed: int, candidates: int) -> Path | None:
    """The cache file of the reference intervals of *simulator* in *context* (None: caching is off)."""
    state = compiled.state_path(simulator.model.sbml)
    if state is None:
        return None
    population_file = simulator.model.catalog.models_dir / "population.yaml"
    parts = [
        FORMAT_VERSION, state.stem, context, seed, candidates, PREEQUILIBRATION_HOURS,
        sorted(simulator.context_values(context).items()),
        sorted((pid, p.value, p.lower_bound, p.upper_bound) for pid, p in simulator.model.parameters.items()),
        population_file.read_bytes() if population_file.is_file() else b"",
        simulator.population,
        sorted(off_values(simulator.regimens).items()),
        simulator.tolerances, simulator.max_steps,
        _code_digest(),
    ]
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()
    return state.parent.parent / SUBFOLDER / f"{context}-{digest[:32]}.npy"


def load(path: Path | None, candidates: int) -> tuple[np.ndarray, np.ndarray] | None:
    """``(lo, hi)`` from *path*; None if there is none or it is unreadable or of the wrong shape."""
    if path is None or not path.is_file():
        return None
    try:
        stored = np.load(io.BytesIO(path.read_bytes()), allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None
    if stored.shape != (2, candidates) or stored.dtype != np.float64:
        return None
    return stored[0].copy(), stored[1].copy()


def store(path: Path | None, lo: np.ndarray, hi: np.ndarray) -> None:
    """Write ``(lo, hi)`` to *path* atomically (nothing if caching is off or the folder is not writable)."""
    if path is None:
        return
    buffer = io.BytesIO()
    np.save(buffer, np.stack([np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)]),
            allow_pickle=False)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(path, buffer.getvalue())
    except OSError:  # a read-only or full cache costs the next process the computation, nothing else
        pass


@functools.lru_cache(maxsize=1)
def _code_digest() -> str:
    digest = hashlib.sha256()
    for name in _CODE_MODULES:
        digest.update(Path(importlib.import_module(name).__file__).read_bytes())
    return digest.hexdigest()
