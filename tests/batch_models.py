"""The batch engine's test model (shared by tests/unit/test_batch.py and tests/workflow/test_batch_workers.py,
and imported by their spawned workers): first-order decay, analytic answer ``x(t) = x0 exp(-k t)``, and batch
functions that fail on one item."""
from __future__ import annotations

import os
from dataclasses import dataclass

import roadrunner

from stat3qsp.errors import InputError
from stat3qsp.model.compose import MODEL_ID, antimony_to_sbml

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
