"""The batch engine (stat3qsp.compute.batch): order and reproducibility across workers, streaming, errors,
statistics and the progress bar, on a small inline Antimony model (first-order decay, analytic
answer ``x(t) = x0 exp(-k t)``)."""
from __future__ import annotations

import io
import itertools
import math
import os
import sys
from dataclasses import dataclass

import numpy as np
import psutil
import pytest
import roadrunner

from stat3qsp.compute import batch as engine
from stat3qsp.compute.batch import Batch, BatchError, chunk_size, progress_shown
from stat3qsp.model.compose import MODEL_ID, antimony_to_sbml
from stat3qsp.errors import InputError

DECAY = f"""
model {MODEL_ID}
  compartment cell = 1
  species x in cell
  x = 1
  J0: x -> ; k * x
  k = 0.1
end
"""
HOURS = 10.0


@dataclass(frozen=True)
class DecaySetup:
    """Per-worker state: the compiled decay model (``fail``: build raises instead)."""

    fail: bool = False

    def build(self) -> roadrunner.RoadRunner:
        if self.fail:
            raise InputError("no model for this worker")
        runner = roadrunner.RoadRunner(antimony_to_sbml(DECAY))
        runner.getIntegrator().setValue("relative_tolerance", 1e-10)
        runner.getIntegrator().setValue("absolute_tolerance", 1e-14)
        return runner


def decay(runner: roadrunner.RoadRunner, k: float) -> float:
    """x at HOURS with rate constant k, from a reset model."""
    runner.reset()
    runner.setValue("k", float(k))
    return float(runner.simulate(0.0, HOURS, 2, selections=["x"])[-1, 0])


def decay_or_raise(runner: roadrunner.RoadRunner, k: float) -> float:
    if k == 0.7:
        raise ValueError("k = 0.7 is not allowed here")
    return decay(runner, k)


def decay_or_die(runner: roadrunner.RoadRunner, k: float) -> float:
    if k == 0.7:
        os._exit(3)
    return decay(runner, k)


def rates(n: int):
    """A generator of rate constants 0.0, 0.1, ..., (n - 1) / 10."""
    return (i / 10.0 for i in range(n))


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


def test_a_setup_that_cannot_be_sent_to_workers_is_refused_before_any_process_starts():
    with pytest.raises(TypeError, match="picklable"):
        Batch(DecaySetup(), lambda runner, k: k, workers=2, progress=False).map(rates(3))


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_writes_nothing_when_stderr_is_not_a_terminal(monkeypatch, capsys):
    monkeypatch.setattr(engine, "AUTO_PROGRESS_DELAY_S", 0.0)
    assert Batch(DecaySetup(), decay, progress="auto").map(rates(5))
    assert capsys.readouterr().err == ""
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    Batch(DecaySetup(), decay, progress="auto", unit="assays").map(list(rates(5)))
    assert "5/5" in terminal.getvalue() and "assays/s" in terminal.getvalue()


def test_progress_choices():
    assert progress_shown(True, io.StringIO()) and not progress_shown(False, _Terminal())
    assert progress_shown("auto", _Terminal()) and not progress_shown("auto", io.StringIO())
    for bad in ("yes", 1, None):
        with pytest.raises(InputError, match="progress"):
            progress_shown(bad)
    with pytest.raises(InputError, match="workers"):
        Batch(DecaySetup(), decay, workers=0)


def test_default_chunks_shrink_to_single_items_at_the_end():
    assert chunk_size(None, 1) == 1 and chunk_size(None, 2) == engine.STREAM_CHUNKSIZE
    assert chunk_size(80, 2) == 10 and chunk_size(10**6, 2) == engine.MAX_CHUNKSIZE and chunk_size(3, 4) == 1
    batch = Batch(DecaySetup(), decay, workers=2)
    sizes = [len(chunk) for _, chunk in batch._chunks(iter(range(1000)), 1000)]
    assert sum(sizes) == 1000 and sizes[0] == engine.MAX_CHUNKSIZE and sizes[-4:] == [1, 1, 1, 1]
    assert sizes == sorted(sizes, reverse=True)
    assert np.isnan(engine.BatchStatistics(2).peak_rss_mb)
