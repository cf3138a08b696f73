"""The batch engine (stat3qsp.compute.batch) across spawned worker processes (moved from tests/unit: each
test starts interpreters): order and reproducibility for one and two workers, statistics, recycled workers,
lazy reading of an endless generator, errors of an item and of the setup, and a worker that dies, on the
decay model of tests/batch_models.py (analytic answer ``x(t) = x0 exp(-k t)``)."""
from __future__ import annotations

import itertools
import math
import os

import numpy as np
import psutil
import pytest

from stat3qsp.compute import batch as engine
from stat3qsp.compute.batch import Batch, BatchError
from stat3qsp.errors import InputError

from batch_models import HOURS, DecaySetup, decay, decay_or_die, decay_or_raise, rates


def test_results_are_in_item_order_and_the_same_for_one_and_two_workers():
    one = Batch(DecaySetup(), decay, workers=1, progress=False)
    two = Batch(DecaySetup(), decay, workers=2, chunksize=3, progress=False, failed=lambda x: x < 0.5)
    ballast = np.ones(25_000_000)  # 200 MB resident in this process while it spawns the workers
    first, second = one.map(rates(23)), two.map(rates(23))
    caller = psutil.Process().memory_info().rss / 1e6
    del ballast
    assert first == second
    assert first == pytest.approx([math.exp(-k * HOURS) for k in rates(23)], rel=1e-6)
    stats = two.statistics
    assert stats.items == 23 and sum(w.items for w in stats.per_worker.values()) == 23
    assert stats.failures == sum(x < 0.5 for x in first) > 0
    assert all(w.pid != os.getpid() and w.ready_s >= w.build_s and w.cpu_s > 0 for w in stats.per_worker.values())
    # a worker's own peak memory, not the caller's (which getrusage would give a spawned process)
    assert all(0 < w.peak_rss_mb < caller - 100 for w in stats.per_worker.values())
    assert list(one.statistics.per_worker) == [os.getpid()]
    assert "23 items (" in stats.summary()


def test_recycled_workers_give_the_same_results():
    # Every worker is replaced after each chunk (libroadrunner's per-simulate leak), its state built again.
    recycled = Batch(DecaySetup(), decay, workers=2, chunksize=2, progress=False, recycle=1)
    kept = Batch(DecaySetup(), decay, workers=2, chunksize=2, progress=False, recycle=None)
    assert recycled.map(rates(9)) == kept.map(rates(9))
    # 5 chunks, at most 2 per generation of 2 workers: 3 generations, each with its own processes
    assert len(recycled.statistics.per_worker) >= 3 and len(kept.statistics.per_worker) <= 2
    assert sum(w.items for w in recycled.statistics.per_worker.values()) == 9
    with pytest.raises(InputError, match="recycle"):
        Batch(DecaySetup(), decay, workers=2, recycle=0)


@pytest.mark.parametrize("workers", [1, 2])
def test_items_are_read_lazily_from_an_endless_generator(workers):
    pulled = []

    def endless():
        for k in itertools.count():
            pulled.append(k)
            yield (k % 10) / 10.0

    batch = Batch(DecaySetup(), decay, workers=workers, chunksize=2, progress=False)
    stream = batch.imap(endless())
    head = list(itertools.islice(stream, 5))
    stream.close()
    assert head == pytest.approx([math.exp(-k / 10.0 * HOURS) for k in range(5)], rel=1e-6)
    ahead = 2 * (engine.CHUNKS_IN_FLIGHT_PER_WORKER * workers + 1) if workers > 1 else 0
    assert len(pulled) <= 5 + ahead


@pytest.mark.parametrize("workers", [1, 2])
def test_an_error_of_an_item_is_raised_as_itself_naming_the_item(workers):
    batch = Batch(DecaySetup(), decay_or_raise, workers=workers, chunksize=2, progress=False)
    with pytest.raises(ValueError, match="0.7 is not allowed") as raised:
        batch.map(rates(20))
    assert any("batch item 7: 0.7" in note for note in raised.value.__notes__)


def test_an_error_of_the_setup_is_raised_as_itself():
    with pytest.raises(InputError, match="no model") as raised:
        Batch(DecaySetup(fail=True), decay, workers=2, progress=False).map(rates(4))
    assert any("setup.build()" in note for note in raised.value.__notes__)


def test_a_worker_that_dies_stops_the_batch_with_one_error():
    with pytest.raises(BatchError, match="stopped without a Python exception"):
        Batch(DecaySetup(), decay_or_die, workers=2, chunksize=1, progress=False).map(rates(12))
