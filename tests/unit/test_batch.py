"""The batch engine (stat3qsp.compute.batch) in this process: the refusal of a setup that cannot be sent to
workers, the progress bar, the settings and the chunk sizes, on the decay model of tests/batch_models.py
(order, reproducibility, streaming, errors and recycling across spawned workers:
tests/workflow/test_batch_workers.py)."""
from __future__ import annotations

import io
import sys

import numpy as np
import pytest

from stat3qsp.compute import batch as engine
from stat3qsp.compute.batch import Batch, chunk_size, progress_shown
from stat3qsp.errors import InputError

from batch_models import DecaySetup, decay, rates


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
