"""Batch engine: one function over many items, in worker processes that each build their state once.

A :class:`Batch` computes ``function(state, item)`` for every item of an iterable, where ``state =
setup.build()`` (e.g. a :class:`~stat3qsp.patient.PatientSimulator`, or the evaluator of a
sensitivity output) is built once per worker process, never per item: compiling the model costs
about 0.1-0.5 s, one simulation milliseconds.

- **Order and reproducibility.** Results come back in the order of the items, whatever the number
  of workers and whichever worker ran an item. They are therefore the same for any number of
  workers as long as an item's result depends only on the item and on the state's fixed values
  (every simulation of this package starts from a reset model and its own random streams).
- **Streaming.** Items are read from the iterable lazily, in chunks, at most
  :data:`CHUNKS_IN_FLIGHT_PER_WORKER` chunks per worker ahead of the results, so a generator of
  millions of parameter sets is never held in memory (nor are their results, with :meth:`Batch.imap`).
  Chunks are ``chunksize`` items, or by default shrink as the batch ends (:func:`chunk_size`: guided
  self-scheduling, Polychronopoulos & Kuck 1987, IEEE Trans Comput C-36:1425), so that the workers
  finish together.
- **Processes.** ``workers = 1`` runs in the calling process (no start-up, no pickling). More
  workers are processes of the ``spawn`` start method (a fresh interpreter: no inherited compiled
  model or thread of the parent); *setup* and *function* must be picklable (module-level), and each
  worker costs a fixed start-up (interpreter, imports, ``setup.build()``; about 0.5-1 s).
- **Recycling.** Workers are replaced after :data:`RECYCLE_AFTER_CHUNKS` chunks (new pools: max_tasks_per_child
  hangs in 3.11), a guard: :mod:`stat3qsp.model.integrate` avoids libroadrunner's ``simulate`` leak (benchmarks/).
- **Errors.** An exception of ``function`` (or of ``setup.build()``) is raised in the caller as
  itself, with a note naming the item (and the worker's process id); the items not yet started are
  cancelled and the workers stopped. A worker that dies (killed, out of memory, crashed in compiled
  code) raises :class:`BatchError`. Neither hangs.
- **Progress.** A tqdm bar on standard error, counting items: with ``progress="auto"`` only when
  standard error is a terminal and the batch has run for :data:`AUTO_PROGRESS_DELAY_S` (long
  command-line runs), so workflow logs and short runs get nothing; ``True`` always, ``False`` never.
- **Statistics** (:class:`BatchStatistics`): items done, failures (items whose result the
  caller's ``failed`` predicate calls failed), wall time, and per worker process the items it ran,
  when its state was ready, the CPU time its items took and its peak resident memory.
"""
from __future__ import annotations

import collections
import concurrent.futures as futures
import itertools
import math
import multiprocessing
import os
import pickle
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, Protocol

import psutil
from tqdm import tqdm

from stat3qsp.errors import InputError

CHUNKS_IN_FLIGHT_PER_WORKER = 4
"""Chunks submitted per worker ahead of the results (results are taken in order, so a slow chunk
must not leave the other workers idle)."""
MAX_CHUNKSIZE = 64
"""Largest default chunk: bounds the memory of a chunk and keeps the progress bar moving."""
GUIDED_DIVISOR = 4
"""A default chunk is the remaining items over this many times the workers (:func:`chunk_size`)."""
STREAM_CHUNKSIZE = 16
"""Default chunk of an iterable without a length (and no ``total``)."""
MEMORY_EVERY = 64
"""With ``workers = 1``, the peak memory is read every this many items (and after the last)."""
RECYCLE_AFTER_CHUNKS = 256
"""Workers are replaced after this many chunks (at most ~16 000 patients; a guard, module docstring)."""
AUTO_PROGRESS_DELAY_S = 2.0
"""With ``progress="auto"``, the bar appears only after the batch has run this long (s)."""
_MB = 1e6
"""Bytes per MB (memory is reported in MB = 10^6 bytes)."""


class WorkerSetup(Protocol):
    """A picklable description of the per-worker state; ``build()`` makes it (once per worker)."""

    def build(self) -> Any: ...


class BatchError(RuntimeError):
    """A worker process of a batch stopped without a Python exception (killed, crashed)."""


@dataclass
class WorkerStatistics:
    """One process that ran items of a batch.

    Attributes
    ----------
    pid
        Process id (the caller's own with ``workers = 1``).
    items
        Items it ran.
    ready_s
        Wall time from the start of the batch until its state was built (process start-up, imports
        and ``setup.build()``).
    build_s
        Wall time of ``setup.build()`` alone.
    startup_cpu_s
        CPU time of the process until its state was built (interpreter start, imports and
        ``setup.build()``); with ``workers = 1``, of ``setup.build()`` alone.
    cpu_s
        CPU time of the process spent on the items (process time; start-up not included).
    peak_rss_mb
        Peak resident memory of the process (MB, :func:`peak_rss_mb`) when it last reported: after
        every chunk of a worker process; with ``workers = 1``, every :data:`MEMORY_EVERY` items
        and at the end, of the caller's process with everything else it holds.
    """

    pid: int
    items: int = 0
    ready_s: float = math.nan
    build_s: float = math.nan
    startup_cpu_s: float = math.nan
    cpu_s: float = 0.0
    peak_rss_mb: float = math.nan


@dataclass
class BatchStatistics:
    """What a batch did (filled in while it runs).

    Attributes
    ----------
    workers
        Processes the batch asked for.
    items
        Items done.
    failures
        Items whose result the batch's ``failed`` predicate called failed (0 without a predicate).
    wall_s
        Wall time from the start of the batch to its last result (or to now while it runs).
    per_worker
        :class:`WorkerStatistics` by process id, for the processes that returned results.
    """

    workers: int
    items: int = 0
    failures: int = 0
    wall_s: float = 0.0
    per_worker: dict[int, WorkerStatistics] = field(default_factory=dict)

    @property
    def peak_rss_mb(self) -> float:
        """Largest peak resident memory of a worker process (MB); NaN before any result."""
        return max((w.peak_rss_mb for w in self.per_worker.values()), default=math.nan)

    @property
    def items_per_s(self) -> float:
        """Items done per second of wall time."""
        return self.items / self.wall_s if self.wall_s > 0 else math.nan

    def summary(self, unit: str = "items") -> str:
        """One line for a log: items, failures, workers, wall time and peak memory per worker."""
        memory = ", ".join(f"{w.peak_rss_mb:.0f}" for w in self.per_worker.values())
        return (f"{self.items} {unit} ({self.failures} failed) in {self.wall_s:.1f} s on {self.workers} "
                f"worker{'s' if self.workers > 1 else ''}; peak RSS per worker: {memory or 'n/a'} MB")


def progress_shown(progress: bool | str, stream=None) -> bool:
    """Whether a batch with *progress* draws a bar on *stream* (default standard error): always for
    True, never for False, and for ``"auto"`` if the stream is a terminal."""
    if not (progress is True or progress is False or progress == "auto"):
        raise InputError(f"progress = {progress!r}; accepted: 'auto', True or False")
    if progress == "auto":
        stream = sys.stderr if stream is None else stream
        isatty = getattr(stream, "isatty", None)
        return bool(isatty and isatty())
    return progress


def chunk_size(remaining: int | None, workers: int) -> int:
    """Items of the next default chunk: ``ceil(remaining / (GUIDED_DIVISOR * workers))`` between 1
    and :data:`MAX_CHUNKSIZE` (guided self-scheduling: large chunks while much is left, single
    items at the end, so no worker waits long for the last chunk of another);
    :data:`STREAM_CHUNKSIZE` when the number of items left is unknown; 1 in this process."""
    if workers == 1:
        return 1
    if remaining is None:
        return STREAM_CHUNKSIZE
    return max(1, min(MAX_CHUNKSIZE, math.ceil(remaining / (GUIDED_DIVISOR * workers))))


class Batch:
    """``function(state, item)`` over items with ``state = setup.build()`` once per worker (module
    docstring).

    Parameters
    ----------
    setup
        Has ``build()``, which returns the per-worker state; picklable when ``workers > 1``.
    function
        ``function(state, item) -> result``; a module-level function when ``workers > 1``.
    workers
        Processes: 1 runs in this process.
    chunksize
        Items sent to a worker at once; None for shrinking chunks (:func:`chunk_size`).
    progress
        ``"auto"``, True or False (module docstring).
    description, unit
        Label and unit of the progress bar and of :meth:`BatchStatistics.summary`.
    failed
        Optional ``failed(result) -> bool``, evaluated in this process, which counts
        :attr:`BatchStatistics.failures` (e.g. a virtual patient whose integration failed).
    recycle
        Chunks after which a worker process is replaced (module docstring, Recycling); None never.

    Examples
    --------
    >>> batch = Batch(setup, simulate_one, workers=2)            # doctest: +SKIP
    >>> results = batch.map(parameter_sets)                       # doctest: +SKIP
    >>> batch.statistics.summary()                                # doctest: +SKIP
    """

    def __init__(self, setup: WorkerSetup, function: Callable[[Any, Any], Any], workers: int = 1, *,
                 chunksize: int | None = None, progress: bool | str = "auto", description: str = "",
                 unit: str = "items", failed: Callable[[Any], bool] | None = None,
                 recycle: int | None = RECYCLE_AFTER_CHUNKS):
        if not isinstance(workers, int) or isinstance(workers, bool) or not 1 <= workers <= 256:
            raise InputError(f"workers = {workers!r}; accepted: an integer in [1, 256]")
        if chunksize is not None and (not isinstance(chunksize, int) or chunksize < 1):
            raise InputError(f"chunksize = {chunksize!r}; accepted: an integer >= 1 or None")
        if recycle is not None and (not isinstance(recycle, int) or recycle < 1):
            raise InputError(f"recycle = {recycle!r}; accepted: an integer >= 1 or None")
        progress_shown(progress)
        self.progress, self.recycle = progress, recycle
        self.setup, self.function, self.workers = setup, function, workers
        self.chunksize, self.description, self.unit, self.failed = chunksize, description, unit, failed
        self.statistics = BatchStatistics(workers)

    def map(self, items: Iterable, total: int | None = None) -> list:
        """The results of every item, in item order (see :meth:`imap`)."""
        return list(self.imap(items, total))

    def imap(self, items: Iterable, total: int | None = None) -> Iterator:
        """The results of the items one by one, in item order, reading the items lazily.

        Parameters
        ----------
        items
            Any iterable (a list, a generator).
        total
            Number of items, for the progress bar and the default chunk size; None for ``len(items)``
            if the iterable has a length.
        """
        if total is None and hasattr(items, "__len__"):
            total = len(items)
        self.statistics = BatchStatistics(self.workers)
        shown = progress_shown(self.progress)
        bar = tqdm(total=total, desc=self.description or None, unit=f" {self.unit}", disable=not shown,
                   delay=AUTO_PROGRESS_DELAY_S if self.progress == "auto" else 0.0, file=sys.stderr,
                   dynamic_ncols=True, mininterval=0.5, leave=True)
        start = time.perf_counter()
        run = self._here if self.workers == 1 else self._spawned
        try:
            for results, worker in run(iter(items), total, start):
                self._record(results, worker, bar, start)
                yield from results
        finally:
            self.statistics.wall_s = time.perf_counter() - start
            bar.close()

    # -- running -------------------------------------------------------------------------------
    def _record(self, results: list, worker: WorkerStatistics, bar: tqdm, start: float) -> None:
        stats = self.statistics
        stats.items += len(results)
        if self.failed is not None:
            stats.failures += sum(bool(self.failed(r)) for r in results)
        stats.per_worker[worker.pid] = worker
        stats.wall_s = time.perf_counter() - start
        if self.failed is not None and stats.failures:
            bar.set_postfix(failed=stats.failures, refresh=False)
        bar.update(len(results))

    def _here(self, items: Iterator, total: int | None, start: float) -> Iterator[tuple[list, WorkerStatistics]]:
        worker = _build(self.setup, time.time() - (time.perf_counter() - start), in_process=True)
        statistics: WorkerStatistics = worker["statistics"]
        for index, item in enumerate(items):
            yield _run(worker, self.function, index, [item], measure=index % MEMORY_EVERY == 0)
        statistics.peak_rss_mb = peak_rss_mb()

    def _spawned(self, items: Iterator, total: int | None, start: float) -> Iterator[tuple[list, WorkerStatistics]]:
        try:
            pickle.dumps((self.setup, self.function))
        except Exception as error:
            raise TypeError(f"a batch on {self.workers} workers needs a picklable setup and a module-level function: "
                            f"{error}") from error
        chunks = self._chunks(items, total)
        epoch = time.time() - (time.perf_counter() - start)
        per_pool = math.inf if self.recycle is None else self.recycle * self.workers
        following = next(chunks, None)
        while following is not None:
            pool = futures.ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                               initializer=_start_worker, initargs=(self.setup, epoch))
            pending: collections.deque[futures.Future] = collections.deque()
            submitted, chunk, following = 0, following, None
            try:
                while chunk is not None:  # fill: the chunks in flight
                    pending.append(pool.submit(_run_chunk, self.function, *chunk)); submitted += 1
                    full = len(pending) >= CHUNKS_IN_FLIGHT_PER_WORKER * self.workers or submitted >= per_pool
                    chunk = None if full else next(chunks, None)
                while pending:
                    done = pending.popleft().result()
                    if submitted < per_pool and (chunk := next(chunks, None)) is not None:
                        pending.append(pool.submit(_run_chunk, self.function, *chunk))
                        submitted += 1
                    elif submitted >= per_pool and following is None:
                        following = next(chunks, None)  # the first chunk of the next generation
                    yield done
            except BrokenProcessPool as error:
                raise BatchError(f"a worker process of the batch ({self.description or self.unit}) stopped without a "
                                 "Python exception (killed, out of memory, or crashed in compiled code); the batch "
                                 "was cancelled") from error
            finally:
                pool.shutdown(wait=True, cancel_futures=True)

    def _chunks(self, items: Iterator, total: int | None) -> Iterator[tuple[int, list]]:
        """``(index of the first item, items)`` of every chunk, read lazily."""
        first = 0
        while True:
            remaining = None if total is None else max(total - first, 1)
            chunk = list(itertools.islice(items, self.chunksize or chunk_size(remaining, self.workers)))
            if not chunk:
                return
            yield first, chunk
            first += len(chunk)


# -- inside a worker ---------------------------------------------------------------------------
_WORKER: dict[str, Any] = {}
"""The state of this worker process (:func:`_start_worker`)."""


def _build(setup: WorkerSetup, epoch: float, in_process: bool) -> dict[str, Any]:
    """The state of a worker, or the error of ``setup.build()`` (raised with the first item), and
    its statistics; *epoch* is the start of the batch (``time.time()``)."""
    begin, begin_cpu = time.time(), time.process_time()
    try:
        state, failure = setup.build(), None
    except Exception as error:
        error.add_note(f"while building the state of a batch worker (setup.build(), process {os.getpid()})")
        state, failure = None, error
    end = time.time()
    startup_cpu = time.process_time() - (begin_cpu if in_process else 0.0)
    return {"state": state, "error": failure,
            "statistics": WorkerStatistics(os.getpid(), ready_s=end - epoch, build_s=end - begin,
                                           startup_cpu_s=startup_cpu)}


def _start_worker(setup: WorkerSetup, epoch: float) -> None:
    """Initializer of a worker process: build its state once."""
    _WORKER.clear()
    _WORKER.update(_build(setup, epoch, in_process=False))


def _run_chunk(function: Callable[[Any, Any], Any], first: int, items: list) -> tuple[list, WorkerStatistics]:
    """Task of a worker process: :func:`_run` with its state."""
    return _run(_WORKER, function, first, items)


def _run(worker: dict[str, Any], function: Callable[[Any, Any], Any], first: int, items: list,
         measure: bool = True) -> tuple[list, WorkerStatistics]:
    """Results of the items of a chunk whose first item has index *first*, and the worker's
    statistics after it (its peak memory read if *measure*). An exception gets a note naming the
    item."""
    if worker["error"] is not None:
        raise worker["error"]
    state = worker["state"]
    results = []
    begin = time.process_time()
    for index, item in enumerate(items, first):
        try:
            results.append(function(state, item))
        except Exception as error:
            text = repr(item)
            error.add_note(f"in batch item {index}: {text[:200]}{' ...' if len(text) > 200 else ''} "
                           f"(process {os.getpid()})")
            raise
    statistics: WorkerStatistics = worker["statistics"]
    statistics.cpu_s += time.process_time() - begin
    statistics.items += len(items)
    if measure:
        statistics.peak_rss_mb = peak_rss_mb()
    return results, statistics


def peak_rss_mb() -> float:
    """Peak resident memory of this process (MB): on Linux the high-water mark of its own memory
    (``VmHWM`` of ``/proc/self/status``; ``getrusage``'s maximum RSS would not do: a spawned process
    inherits there the resident memory of the parent that started it), elsewhere the current RSS
    (psutil)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024 / _MB
    except OSError:
        pass
    return psutil.Process().memory_info().rss / _MB
