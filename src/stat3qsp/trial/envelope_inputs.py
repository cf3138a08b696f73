"""Inputs of the envelope integrator: dosing series and their schedules per level, and the roadrunner
segment function of a patient (docs/envelope.md)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable
import numpy as np

from stat3qsp.model.integrate import integrate


_SLACK_H = 1e-9
"""Two times closer than this (h) are the same time."""


SegmentFunction = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
"""``segment(x0, times) -> (L, states)``: from species amounts *x0* at ``times[0]``, with L = 0
there, integrate to every later time of *times*; return L at every time (shape ``(n,)``) and the
species amounts (shape ``(n, m)``; rows may be NaN except the last)."""


@dataclass(frozen=True)
class Schedule:
    """Time structure of the inputs of one patient at one level.

    Attributes
    ----------
    period_h
        ``P``: the period of the inputs (h).
    origin_h
        A period boundary: ``t_k = origin_h + k P``; ``0 <= origin_h < period_h``.
    events
        Windows ``(start_h, end_h)`` in which the inputs are not periodic with ``P`` (first doses,
        clamp starts; at the fine level also every dose of a long-interval drug and its
        infusion). A period that overlaps one is always simulated from the exact state.
    resets
        Times after which the inputs differ from any earlier cycle (t = 0, first doses, clamp
        starts): states found before one are not used as guesses after it.
    """

    period_h: float
    origin_h: float
    events: tuple[tuple[float, float], ...]
    resets: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if not (self.period_h > 0 and 0 <= self.origin_h < self.period_h):
            raise ValueError(f"schedule needs period_h > 0 and 0 <= origin_h < period_h, got {self!r}")

    def period_start(self, k: int) -> float:
        """``t_k``, the start of period *k*."""
        return self.origin_h + k * self.period_h

    def first_period(self, t: float) -> int:
        """Index of the first period that starts at or after *t*."""
        return math.ceil((t - self.origin_h) / self.period_h - _SLACK_H)

    def period_of(self, t: float) -> int:
        """Index of the period ``(t_k, t_k + P]`` that holds *t*."""
        return math.ceil((t - self.origin_h) / self.period_h - _SLACK_H) - 1

    def regime(self, k: int) -> int:
        """Number of :attr:`resets` at or before the end of period *k*."""
        return sum(1 for t in self.resets if t < self.period_start(k + 1) - _SLACK_H)

    def event_ranges(self) -> np.ndarray:
        """First and last index of the periods that each event window overlaps, shape ``(E, 2)``."""
        ranges = [(math.floor((b - self.origin_h) / self.period_h + _SLACK_H),
                   math.floor((e - self.origin_h) / self.period_h - _SLACK_H * (e > b)))
                  for b, e in self.events]
        return np.array(sorted(ranges), dtype=int).reshape(-1, 2)


@dataclass(frozen=True)
class DoseSeries:
    """A regular dosing series: first dose, interval and infusion duration (h)."""

    start_h: float
    interval_h: float
    duration_h: float = 0.0


def input_schedules(series: list[DoseSeries], steps_h: list[float], horizon_h: float,
                    fast_interval_max_h: float = 48.0, outer_period_max_h: float = 1008.0
                    ) -> tuple[Schedule, Schedule | None] | None:
    """Schedules of the fine (dosing period) and coarse (long-interval dosing cycle) levels.

    The fine period ``P`` is the least common multiple of the intervals of the series dosed at
    most every *fast_interval_max_h*; the coarse period ``Q`` that of ``P`` and the other
    (long-interval) series, if at most *outer_period_max_h*. Events of the fine level: t = 0, the
    first dose of every series, every dose of a long-interval series (with its infusion) and every
    step in *steps_h* (clamp starts). The coarse level has the same events except the repeated
    long-interval doses, which are periodic with ``Q``.

    Returns
    -------
    tuple or None
        ``(fine, coarse)``, ``coarse`` None without long-interval series (or when ``Q`` would be
        too long); None when no series is fast (the inputs do not oscillate: nothing to skip).
    """
    fast = [d for d in series if d.interval_h <= fast_interval_max_h]
    slow = [d for d in series if d.interval_h > fast_interval_max_h]
    if not fast:
        return None
    period = _lcm([d.interval_h for d in fast])
    origin = max(d.start_h for d in fast) % period
    steps = ([(0.0, 0.0)] + [(float(t), float(t)) for t in steps_h]
             + [(float(d.start_h), float(d.start_h + d.duration_h)) for d in series])
    doses = [(float(t), float(t) + d.duration_h) for d in slow
             for t in np.arange(d.start_h, horizon_h + d.interval_h, d.interval_h)]
    resets = tuple(sorted({b for b, _ in steps}))
    fine = Schedule(period, origin, tuple(sorted(set(steps + doses))), resets)
    if not slow:
        return fine, None
    outer = _lcm([period] + [d.interval_h for d in slow])
    if outer > outer_period_max_h:
        return fine, None
    first = min(d.start_h for d in slow)
    aligned = origin + math.floor((first - origin) / period + _SLACK_H) * period
    return fine, Schedule(outer, aligned % outer, tuple(sorted(set(steps))), resets)


def _lcm(intervals: list[float]) -> float:
    """Least common multiple of intervals (h), read as fractions with denominators up to 60."""
    result = Fraction(intervals[0]).limit_denominator(60)
    for value in intervals[1:]:
        f = Fraction(value).limit_denominator(60)
        d = result.denominator * f.denominator
        result = Fraction(math.lcm(int(result * d), int(f * d)), d)
    return float(result)


def roadrunner_segment(runner, species_ids: list[str], log_ratio_id: str) -> SegmentFunction:
    """A :data:`SegmentFunction` of a roadrunner model whose tumour state is *log_ratio_id*.

    Sets the floating species amounts and ``L = 0`` and integrates with output at the given times
    (:func:`stat3qsp.model.integrate.integrate`; the integrator restarts, so the error of ``L`` is controlled
    on the segment's own increment).
    """
    selections = [log_ratio_id, *species_ids]

    def segment(x0: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        runner.model.setFloatingSpeciesAmounts(list(x0))
        runner.setValue(log_ratio_id, 0.0)
        result = integrate(runner, times, selections)
        return result[:, 0], result[:, 1:]

    return segment


HOURS_PER_YEAR = 8760.0
"""Hours of the year in which :attr:`EnvelopeSettings.tolerance` is counted."""


@dataclass(frozen=True)
class TumourRate:
    """Coefficients of ``dL/dt = s g0 + k (g - g0) exp(-lambda t)`` (``models/tumour/sld.ant``) that
    the envelope needs: the constant untreated part ``s g0`` and the fading weight ``lambda`` (the
    kill scale ``k`` is part of the simulated increments).

    Attributes
    ----------
    scale
        ``s``, ``tumour_rate_scale`` (growth).
    untreated_rate
        ``g0`` (per hour).
    resistance_k
        ``lambda`` (per hour), ``tumour_resistance_k``.
    """

    scale: float
    untreated_rate: float
    resistance_k: float


@dataclass(frozen=True)
class EnvelopeSettings:
    """Error control of one level of :class:`EnvelopeIntegrator` (module docstring).

    Attributes
    ----------
    tolerance
        Error allowed in ``L = ln(SLD / SLD0)`` per year of skipped follow-up.
    residual_rtol, residual_atol
        Scale of the residual norm: relative (to the species' scale) and absolute (model amount
        units). A residual of 1 in this norm is the test for the end of a transient.
    single_residual
        A checkpoint simulated from a guess is accepted at once when its residual is at most this
        (in the same norm) and the slow drift is too small to matter (step 2).
    max_span_h
        Longest span skipped between two simulated periods (h).
    max_rounds
        Warm-up rounds at a checkpoint (step 2) before it is simulated from the anchor's end state.
    contraction
        Contraction ``rho`` of the period map per period; None to measure it on the transients.
    """

    tolerance: float = 5e-5
    residual_rtol: float = 1e-3
    residual_atol: float = 1e-9
    single_residual: float = 1.0
    max_span_h: float = 504.0
    max_rounds: int = 3
    contraction: float | None = None

    def __post_init__(self) -> None:
        if not (self.tolerance > 0 and self.residual_rtol > 0 and self.residual_atol >= 0 and self.single_residual > 0
                and self.max_span_h > 0 and self.max_rounds >= 1
                and (self.contraction is None or 0 <= self.contraction < 1)):
            raise ValueError(f"invalid envelope settings {self!r}")


@dataclass
class EnvelopeStatistics:
    """What one level of an envelope integrator did since it was made.

    Attributes
    ----------
    periods
        Periods covered by its integrations.
    simulated
        Periods it simulated (warm-up and refinement included).
    segments
        Segments it asked for (each a restart of the integrator, or of the finer level).
    rounds
        Rounds at checkpoints (step 2).
    probes
        Midpoints simulated to refine a skip (step 4).
    fallbacks
        Checkpoints simulated from the anchor after their rounds did not converge.
    """

    periods: int = 0
    simulated: int = 0
    segments: int = 0
    rounds: int = 0
    probes: int = 0
    fallbacks: int = 0
