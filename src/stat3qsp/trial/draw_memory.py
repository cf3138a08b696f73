"""The draws of a trial worker, remembered across the arms of a replicate.

Patient ``i`` of replicate ``r`` has the same biology stream in every arm (common random numbers,
:mod:`stat3qsp.trial.simulate`), so every arm in the same context draws the same candidates, pre-equilibrates
the same ones and accepts the same patient: in NCT02066532 five of six arms share a context, and a draw
(about nine 2000-h pre-equilibrations, acceptance-rejection on the untreated doubling time) is a quarter or
more of a patient's cost. :class:`DrawMemory` keeps the last :data:`DRAW_MEMORY_SIZE` accepted patients of a
worker's simulator, keyed by context, body-weight distribution and stream; a hit gives the same
:class:`~stat3qsp.trial.patient.VirtualPatient` (not copied: nothing changes it after the draw) and appends the
draw's retry reasons to the simulator's ``retried`` list, as the draw did. A draw that fails is not kept.
A memory belongs to one simulator with fixed values (one batch's worker state): it is not for a simulator
whose overrides, tolerances or population change.
"""
from __future__ import annotations

from collections import OrderedDict

from stat3qsp.trial.population import BIOLOGY_STREAM, patient_generator

DRAW_MEMORY_SIZE = 1024
"""Accepted patients kept per worker (about 3 kB each, so at most ~3 MB): more than a replicate's patients of an
arm in every spec (a larger ``--patients`` loses hits, not correctness)."""


class DrawMemory:
    """Draws of one simulator (module docstring)."""

    def __init__(self, size: int | None = None):
        self.size = DRAW_MEMORY_SIZE if size is None else int(size)
        self.hits = 0
        self._kept: OrderedDict = OrderedDict()

    def draw(self, simulator, context: str, body_weight, seed: int, replicate: int, patient: int):
        """``simulator.draw_patient(context, patient_generator(seed, replicate, patient, BIOLOGY_STREAM),
        body_weight)``, or the same patient remembered."""
        key = (context, body_weight, int(seed), int(replicate), int(patient))
        kept = self._kept.get(key)
        if kept is not None:
            self.hits += 1
            self._kept.move_to_end(key)
            simulator.retried.extend(kept[1])
            return kept[0]
        before = len(simulator.retried)
        virtual = simulator.draw_patient(context, patient_generator(seed, replicate, patient, BIOLOGY_STREAM),
                                         body_weight)
        if self.size > 0:
            self._kept[key] = (virtual, tuple(simulator.retried[before:]))
            if len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return virtual
