"""The one way the library integrates a compiled model: ``RoadRunner.simulate``'s steps without its leak.

libroadrunner 2.10's ``simulate`` leaves two garbage-collector-tracked empty lists behind per call, which a
long worker process accumulates, and costs more per call than ``oneStep`` (37.8 against 17.6 us on a
2-species model, a reset included; benchmarks/README.md, "The ``simulate`` leak avoided"). :func:`integrate`
takes the steps ``RoadRunner::simulate`` takes for a fixed-step, deterministic run (libroadrunner
``source/rrRoadRunner.cpp``, ``RoadRunner::simulate(const SimulateOptions*)``; ``CVODEIntegrator::restart`` and
``integrate``):

1. the integrator's and the model's integration start time set to ``times[0]`` (what decides whether a
   root found later, e.g. a piecewise trigger at a dose, restarts CVODE) and the model time to ``times[0]``;
2. the selections read at ``times[0]``;
3. the integrator restarted at ``times[0]`` from the current state (``oneStep(t0, h, reset=True)``);
4. for each later time ``t_i``: ``integrate(t_{i-1}, t_i - t_{i-1})`` without a restart
   (``oneStep(t_{i-1}, t_i - t_{i-1}, reset=False)``) and the selections read at the state it ends at
   (a ``time`` selection reads ``t_i``, as in ``simulate``).

The integrator is used with its settings as they are; ``simulate(start, end, points)`` switches
``variable_step_size`` off for its call, so :func:`integrate` expects it off (roadrunner's default, which the
library never changes).

The values are bit for bit those of ``runner.simulate(times=times, selections=selections)``
(``tests/unit/test_integrate.py`` checks on a dosed trial patient, and that calls leave no objects behind).
``simulate(start, end, points)`` outputs at ``start + i (end - start) / (points - 1)``: :func:`output_times`
gives those times, so ``integrate(runner, output_times(start, end, points), selections)`` is that call's
result too.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def output_times(start: float, end: float, points: int = 2) -> np.ndarray:
    """The output times of ``runner.simulate(start, end, points)``: ``start + i h``, ``h = (end - start) /
    (points - 1)`` (``SimulateOptions::getNext``; the last, ``start + (end - start)``, may be an ulp from *end*)."""
    start = float(start)
    return start + np.arange(int(points)) * ((float(end) - start) / (int(points) - 1))


def integrate(runner, times: Sequence[float] | np.ndarray, selections: Sequence[str]) -> np.ndarray:
    """Integrate *runner* from its current state at ``times[0]`` through every later time of *times*.

    Parameters
    ----------
    runner
        A ``roadrunner.RoadRunner`` (its integrator's settings are used as they are).
    times
        Increasing output times (h), at least two; the first is the time of the current state.
    selections
        Roadrunner selection ids (``"time"``, species ids for amounts, parameter ids), read at every time.

    Returns
    -------
    numpy.ndarray
        Shape ``(len(times), len(selections))``: the values at each time, the first row at ``times[0]``
        (module docstring: those of ``runner.simulate(times=times, selections=selections)``).

    Raises
    ------
    RuntimeError
        What roadrunner raises when the integrator fails (CVODE error-test failures, too many steps).
    """
    times = [float(t) for t in times]
    if len(times) < 2:
        raise ValueError(f"integrate needs at least two times, got {times}")
    if list(runner.timeCourseSelections) != list(selections):
        runner.timeCourseSelections = list(selections)
    start = times[0]
    runner.getIntegrator().setIntegrationStartTime(start)
    model = runner.model
    model.setIntegrationStartTime(start)
    model.setTime(start)
    rows = np.empty((len(times), len(selections)))
    rows[0] = runner.getSelectedValues()
    previous, reset = start, True
    for i, t in enumerate(times[1:], start=1):
        runner.oneStep(previous, t - previous, reset)
        rows[i] = runner.getSelectedValues()
        previous, reset = t, False
    for j, selection in enumerate(selections):
        if selection.lower() == "time":
            rows[:, j] = times  # simulate reports the requested time (the integrator may end an ulp from it)
    return rows
