"""The on-disk cache of the dropout's reference intervals (stat3qsp.trial.dropout_cache): a cached answer is
byte-identical to a computed one, is keyed by its inputs, and a damaged file is computed again."""
from __future__ import annotations

import numpy as np
import pytest

from stat3qsp.trial import dropout, dropout_cache

CONTEXT = "her2_amplified"


@pytest.fixture()
def small_cache(tmp_path, monkeypatch):
    """A fresh cache folder and 16 reference candidates (fast)."""
    monkeypatch.setenv("STAT3QSP_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(dropout, "REFERENCE_CANDIDATES", 16)
    return tmp_path


def _path(simulator, context=CONTEXT):
    return dropout_cache.cache_file(simulator, context, dropout.REFERENCE_SEED, dropout.REFERENCE_CANDIDATES)


def test_cached_intervals_are_byte_identical_to_computed_ones(patient_simulator, small_cache, monkeypatch):
    computed = dropout.accepted_intervals(patient_simulator, CONTEXT)
    first = dropout.cached_intervals(patient_simulator, CONTEXT)  # computes and stores
    path = _path(patient_simulator)
    assert path.is_file() and path.parent.parent == small_cache
    assert not list(path.parent.glob(".*.tmp"))  # the atomic write left no temporary file

    def no_simulation(*args, **kwargs):
        raise AssertionError("the cache was not used")
    monkeypatch.setattr(dropout, "accepted_intervals", no_simulation)
    second = dropout.cached_intervals(patient_simulator, CONTEXT)  # read back, nothing simulated
    for a, b, c in zip(computed, first, second):
        assert a.dtype == b.dtype == c.dtype == np.float64
        assert a.tobytes() == b.tobytes() == c.tobytes()
    assert np.any(computed[1] > computed[0])  # some candidates are accepted: the content is not trivial


def test_the_key_changes_with_the_inputs(patient_simulator, small_cache, monkeypatch):
    path = _path(patient_simulator)
    assert _path(patient_simulator, "her2_trastuzumab_resistant") != path  # another context
    monkeypatch.setattr(dropout, "REFERENCE_CANDIDATES", 17)
    assert _path(patient_simulator) != path  # another reference sample
    monkeypatch.setattr(dropout, "REFERENCE_CANDIDATES", 16)
    monkeypatch.setattr(patient_simulator, "tolerances", (1e-6, 1e-10))
    assert _path(patient_simulator) != path  # other integrator settings
    monkeypatch.undo()
    monkeypatch.setenv("STAT3QSP_CACHE_DIR", "off")
    assert _path(patient_simulator) is None


def test_a_damaged_file_is_computed_again_and_replaced(patient_simulator, small_cache):
    path = _path(patient_simulator)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x93NUMPY truncated")
    assert dropout_cache.load(path, dropout.REFERENCE_CANDIDATES) is None
    lo, hi = dropout.cached_intervals(patient_simulator, CONTEXT)
    stored = dropout_cache.load(path, dropout.REFERENCE_CANDIDATES)
    assert stored is not None and stored[0].tobytes() == lo.tobytes() and stored[1].tobytes() == hi.tobytes()
    assert dropout_cache.load(path, dropout.REFERENCE_CANDIDATES + 1) is None  # wrong shape: not used
