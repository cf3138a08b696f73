"""Stroboscopic envelope integration of a periodically dosed virtual patient.

The method, its error control and its validation are written out in ``docs/envelope.md``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from stat3qsp.trial.envelope_inputs import (Schedule, SegmentFunction, _SLACK_H)
from stat3qsp.trial.envelope_inputs import (TumourRate, EnvelopeSettings, EnvelopeStatistics, HOURS_PER_YEAR)

SIMULATE_SPAN_MAX = 4
"""A span of at most this many periods between anchors whose interpolation is not accurate enough
is simulated outright (cheaper than a probe)."""


@dataclass
class _Period:
    """One simulated period: index, start and end states, increment of L and the outputs inside
    it as ``(output index, L since the period's start, state)``."""

    k: int
    x_start: np.ndarray
    x_end: np.ndarray
    increment: float
    outputs: list[tuple[int, float, np.ndarray]] = field(default_factory=list)


class EnvelopeIntegrator:
    """Stroboscopic envelope integration of ``L`` (module docstring).

    Parameters
    ----------
    segment
        Integrates the model from a state over given times (:data:`SegmentFunction`): a
        roadrunner model (:func:`roadrunner_segment`) or the :meth:`segment` of a finer level.
    rate
        Coefficients of the tumour equation.
    schedule
        Period, origin and events of the inputs at this level.
    reference_state
        Species scale of the residual norm (the untreated steady state).
    settings
        Error control.

    Notes
    -----
    The object keeps the period maps' fixed points it found (as starting guesses): use a new one
    per patient.
    """

    def __init__(self, segment: SegmentFunction, rate: TumourRate, schedule: Schedule,
                 reference_state: np.ndarray, settings: EnvelopeSettings = EnvelopeSettings()):
        self._segment = segment
        self.rate = rate
        self.schedule = schedule
        self.settings = settings
        self._reference = np.abs(np.asarray(reference_state, dtype=float))
        period = schedule.period_h
        self._c = rate.scale * rate.untreated_rate * period
        self._decay = math.exp(-rate.resistance_k * period)
        self._tol_period = settings.tolerance * period / HOURS_PER_YEAR
        self._max_span = max(1, int(settings.max_span_h / period + _SLACK_H))
        self._tol_transient = self._tol_period * self._max_span / 2.0
        self._ranges = schedule.event_ranges()
        self._memory: dict[tuple[int, int], np.ndarray] = {}
        self._increments: dict[tuple[int, int], tuple[int, float]] = {}
        self._contraction: float | None = settings.contraction
        self._measuring = settings.contraction is None
        self._last_change: tuple[int, float] | None = None
        self.statistics = EnvelopeStatistics()

    # -- public -----------------------------------------------------------------------------
    def run(self, x0: np.ndarray, scan_hours: np.ndarray, on_scan: Callable[[int, float], bool] | None = None
            ) -> np.ndarray:
        """``L`` at each scan time (h, increasing, > 0), from species amounts *x0* at t = 0 with L = 0.

        *on_scan(i, L_i)* is called for the scans in order; when it returns True the later scans
        are not simulated (NaN).
        """
        scans = np.asarray(scan_hours, dtype=float)
        if scans.size == 0:
            return np.full(0, np.nan)
        L, _ = self._integrate(np.asarray(x0, dtype=float), np.concatenate(([0.0], scans)), on_scan)
        return L[1:]

    def segment(self, x0: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The :data:`SegmentFunction` of this level, for a coarser level."""
        return self._integrate(np.asarray(x0, dtype=float), np.asarray(times, dtype=float), None)

    # -- the integration --------------------------------------------------------------------
    def _integrate(self, x0: np.ndarray, times: np.ndarray, on_scan) -> tuple[np.ndarray, np.ndarray]:
        schedule = self.schedule
        self._times, self._on_scan = times[1:], on_scan
        self._out = np.full(self._times.size, np.nan)
        self._states = np.full((self._times.size, x0.size), np.nan)
        self._next, self._stopped = 0, False
        self._x, self._L = x0, 0.0
        first = schedule.first_period(times[0])
        if schedule.period_start(first) > times[0] + _SLACK_H:
            self._lead(times[0], schedule.period_start(first))
        if not self._finished():
            self._periods_of_outputs = np.array([schedule.period_of(t) for t in self._times])
            self._prepare(first, int(self._periods_of_outputs[-1]))
            self._loop(first)
        return np.concatenate(([0.0], self._out)), np.vstack([x0, self._states])

    def _prepare(self, k0: int, k1: int) -> None:
        """Event mask, phase (periods since the last event) and next event of periods k0..k1 (and
        of the period after, for the states at the end)."""
        ks = np.arange(k0, k1 + 2)
        begin, end = self._ranges[:, :1], self._ranges[:, 1:]
        self._k0, self._k1 = k0, k1
        self._event = np.any((begin <= ks) & (ks <= end), axis=0) if self._ranges.size else np.zeros(ks.size, bool)
        started = np.where(begin <= ks, np.minimum(end, ks), -1)
        last = started.max(axis=0) if self._ranges.size else np.full(ks.size, -1)
        self._phase = np.where(last >= 0, ks - last, -1 - ks)
        later = np.flatnonzero(self._event)
        self._next_event = np.append(later, ks.size)[np.searchsorted(later, np.arange(ks.size), side="right")] + k0
        ends = [self.schedule.period_start(int(k) + 1) - _SLACK_H for k in ks]  # Schedule.regime of each period
        self._regime = np.searchsorted(np.sort(np.asarray(self.schedule.resets, dtype=float)), ends, side="left")
        self.statistics.periods += ks.size - 1

    def _is_event(self, k: int) -> bool:
        return bool(self._event[k - self._k0])

    def _loop(self, k: int) -> None:
        anchor, previous = None, None
        while not self._finished():
            if anchor is None:
                periods = self._resolve(k, 1 if previous is not None else 2)
                last = periods[-1]
                before = periods[-2] if len(periods) > 1 else previous
                if self._is_event(last.k):
                    periodic = False
                elif before is not None:
                    periodic = self._periodic(before, last)
                else:
                    periodic = self._residual(last.x_start, last.x_end) <= self.settings.single_residual
                if periodic:
                    anchor = last
                previous, k = last, last.k + 1
                continue
            j = self._checkpoint(anchor.k)
            if j - anchor.k - 1 < 2:
                anchor = None
                continue
            extra = 2 if j + 2 <= self._k1 and self._is_event(j + 1) and not self._is_event(j + 2) else 0
            between, periods = self._acquire(j, anchor, extra)
            if between is None:
                self._L += self._span(anchor, periods[0])
            else:
                self._L += sum(p.increment for p in between)
            for p in periods:
                self._emit(p)
            last = periods[-1]
            self._x, k, previous = last.x_end, last.k + 1, last
            ends_transient = len(periods) == 1 or self._periodic(periods[-2], last)
            anchor = last if ends_transient and not (k <= self._k1 and self._is_event(k)) else None

    def _finished(self) -> bool:
        return self._stopped or self._next >= self._times.size

    def _periods(self, x0: np.ndarray, k0: int, count: int) -> list[_Period]:
        """Simulate periods ``k0 .. k0 + count - 1`` in one segment from *x0*."""
        schedule = self.schedule
        starts = schedule.period_start(k0) + schedule.period_h * np.arange(count + 1)
        pending = self._times[self._next:]
        inside = pending[(pending > starts[0]) & (pending < starts[-1])]
        inside = inside[np.min(np.abs(inside[:, None] - starts[None, :]), axis=1) > _SLACK_H]
        times = np.sort(np.concatenate((starts, inside)))
        L, states = self._segment(x0, times)
        self.statistics.segments += 1
        self.statistics.simulated += count
        bounds = np.searchsorted(times, starts - _SLACK_H)
        where = {round(float(t), 6): i for i, t in enumerate(times)}
        periods = []
        for m in range(count):
            b, e = bounds[m], bounds[m + 1]
            outputs = []
            for i in range(self._next, self._times.size):
                t = self._times[i]
                if t > times[e] + _SLACK_H:
                    break
                if t > times[b] + _SLACK_H:
                    row = where[round(float(t), 6)]
                    outputs.append((i, float(L[row] - L[b]), states[row]))
            periods.append(_Period(k0 + m, x0 if m == 0 else states[b], states[e], float(L[e] - L[b]), outputs))
        return periods

    def _emit(self, period: _Period) -> None:
        """Record the outputs of an accepted period (L at its start is ``self._L``) and move L on."""
        for i, partial, state in period.outputs:
            if self._stopped or i != self._next:
                continue
            self._out[i] = self._L + partial
            self._states[i] = state
            self._next += 1
            if self._on_scan is not None and self._on_scan(i, float(self._out[i])):
                self._stopped = True
        self._L += period.increment

    def _lead(self, start: float, end: float) -> None:
        """Resolve ``[start, end]`` before the first period boundary."""
        pending = self._times[self._times <= end + _SLACK_H]
        times = np.unique(np.concatenate(([start, end], pending)))
        L, states = self._segment(self._x, times)
        self.statistics.segments += 1
        outputs = [(i, float(L[np.flatnonzero(np.abs(times - t) <= _SLACK_H)[0]]),
                    states[np.flatnonzero(np.abs(times - t) <= _SLACK_H)[0]]) for i, t in enumerate(pending)]
        self._emit(_Period(-1, self._x, states[-1], float(L[-1]), outputs))
        self._x = states[-1]

    def _resolve(self, k: int, count: int) -> list[_Period]:
        periods = self._periods(self._x, k, min(count, self._k1 - k + 1))
        for p in periods:
            self._emit(p)
        self._x = periods[-1].x_end
        self._remember(periods)
        return periods

    def _remember(self, periods: list[_Period], first: int = 0) -> None:
        """Keep the start states of ``periods[first:]`` and the end state of the last, states on
        the patient's trajectory, as guesses for the same phase of later cycles, and the periods'
        increments to compare with."""
        for p in periods[first:]:
            self._memory[self._key(p.k)] = p.x_start
        for p in periods:
            self._increments[self._key(p.k)] = (p.k, p.increment)
        self._memory[self._key(periods[-1].k + 1)] = periods[-1].x_end

    def _key(self, k: int) -> tuple[int, int]:
        """Memory key of period *k*: inputs regime and phase (periods since the last event)."""
        return int(self._regime[k - self._k0]), int(self._phase[k - self._k0])

    def _acquire(self, k: int, left: _Period, extra: int = 0) -> tuple[list[_Period] | None, list[_Period]]:
        """Period *k* on the patient's trajectory (step 2) and the *extra* periods after it.

        Returns ``(between, tail)``: ``tail`` is period *k* and the extra periods; ``between`` the
        periods ``left.k + 1 .. k - 1`` if they were simulated on the way (the exact fallback:
        from the anchor's end state, when the rounds do not converge or would cost more), else None.
        """
        guess = self._memory.get(self._key(k))
        after = self._memory.get(self._key(k + 1)) if guess is not None else None
        previous = None
        for rounds in range(self.settings.max_rounds + 1):
            start, x0 = k - rounds, left.x_end if guess is None else guess
            exact = (start <= left.k + 1 or rounds == self.settings.max_rounds
                     or (rounds > 0 and k - left.k <= 2 * (rounds + 1)))
            if exact:
                start, x0 = left.k + 1, left.x_end
                self.statistics.fallbacks += rounds > 0
            periods = self._periods(x0, start, k - start + 1 + (extra if rounds == 0 or exact else 0))
            self.statistics.rounds += 1
            target = periods[k - start]
            if exact:
                done = True
            elif rounds == 0 and after is not None and self._key(k) in self._increments:
                earlier, increment = self._increments[self._key(k)]
                change = (target.increment - self._c) - self._decay ** (k - earlier) * (increment - self._c)
                done = (abs(change) <= self._tol_period
                        and self._residual(after, target.x_end) <= self.settings.single_residual)
            elif rounds == 0:
                slope = abs(self._gamma(left, target) - (left.increment - self._c)) / (k - left.k)
                done = (slope * self._lag() <= self._tol_period
                        and self._residual(x0, target.x_end) <= self.settings.single_residual)
            else:
                done = self._rho() * abs(target.increment - previous) <= self._tol_period
            if done:
                self._remember(periods, 0 if exact else 1)
                tail = periods[k - start:]
                if extra and len(tail) == 1:
                    tail += self._periods(target.x_end, k + 1, extra)
                    self._remember(tail[1:])
                return (periods[:k - start] if exact else None), tail
            previous = target.increment
        raise AssertionError("unreachable: the last round is exact")

    def _checkpoint(self, i: int) -> int:
        """Next period to simulate after anchor *i*: the one before the next event, the one of the
        next output, or the last of the longest span."""
        event = int(self._next_event[i - self._k0])
        return min(self._k1, i + self._max_span, event - 1, int(self._periods_of_outputs[self._next]))

    # -- error control ----------------------------------------------------------------------
    def _residual(self, x: np.ndarray, x_end: np.ndarray) -> float:
        """Poincare residual in the weighted max norm (module docstring)."""
        s = self.settings
        scale = np.maximum(np.maximum(np.abs(x), np.abs(x_end)), self._reference)
        return float(np.max(np.abs(x_end - x) / (s.residual_rtol * scale + s.residual_atol)))

    def _periodic(self, previous: _Period, current: _Period) -> bool:
        """Step 1: a resolved period ends the transient. Until the first transient ends, the ratio
        of consecutive changes of ``gamma`` measures the contraction of the period map (for
        :meth:`_lag`; the last ratio, the most asymptotic)."""
        change = abs((current.increment - self._c) / self._decay - (previous.increment - self._c))
        earlier = self._last_change
        if (self._measuring and earlier is not None and earlier[0] == previous.k
                and min(earlier[1], change) > 10 * self._tol_period):
            self._contraction = min(change / earlier[1], 0.9)
        self._last_change = (current.k, change)
        if self._residual(current.x_start, current.x_end) > 1.0:
            return False
        periodic = change <= self._tol_transient
        self._measuring = self._measuring and not periodic
        return periodic

    def _rho(self) -> float:
        """Contraction of the period map per period (0.5 until measured)."""
        return 0.5 if self._contraction is None else self._contraction

    def _lag(self) -> float:
        """Delay (in periods) of the trajectory behind the periodic orbit of the frozen inputs:
        ``rho / (1 - rho)`` for a map contracting by ``rho`` per period."""
        return self._rho() / (1.0 - self._rho())

    def _gamma(self, left: _Period, period: _Period) -> float:
        """``gamma`` of *period* normalised to the start of the span at *left*."""
        return self._decay ** -(period.k - left.k) * (period.increment - self._c)

    def _series(self, steps: np.ndarray, gamma: np.ndarray) -> float:
        """Sum of the increments ``c + exp(-lambda n P) gamma_n`` of skipped periods ``n``."""
        return float(steps.size * self._c + np.sum(self._decay ** steps * gamma))

    def _between(self, left: _Period, right: _Period) -> float:
        """Simulate the periods strictly between two anchors from the left one's end state."""
        periods = self._periods(left.x_end, left.k + 1, right.k - left.k - 1)
        return float(sum(p.increment for p in periods))

    def _span(self, left: _Period, right: _Period) -> float:
        """Sum of the increments strictly between two anchors, refined until within tolerance
        (step 3)."""
        n = right.k - left.k
        if n <= 1:
            return 0.0
        steps = np.arange(1, n)
        g_left, g_right = left.increment - self._c, self._gamma(left, right)
        budget = self._tol_period * (n - 1)
        if (n - 1) * abs(g_right - g_left) <= budget:
            return self._series(steps, g_left + (g_right - g_left) * steps / n)
        if n <= SIMULATE_SPAN_MAX:
            return self._between(left, right)
        m = (n + 1) // 2
        self.statistics.probes += 1
        between, periods = self._acquire(left.k + m, left)
        mid = periods[0]
        if between is not None:
            return sum(p.increment for p in between) + mid.increment + self._span(mid, right)
        g_mid = self._gamma(left, mid)
        others = steps[steps != m]
        linear = np.interp(others, [0, m, n], [g_left, g_mid, g_right])
        quadratic = (g_left * (others - m) * (others - n) / (m * n) - g_mid * others * (others - n) / (m * (n - m))
                     + g_right * others * (others - m) / (n * (n - m)))
        if np.sum(self._decay ** others * np.abs(quadratic - linear)) <= budget:
            return self._series(others, quadratic) + mid.increment
        return self._span(left, mid) + mid.increment + self._span(mid, right)


