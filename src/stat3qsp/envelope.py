"""Stroboscopic envelope integration of a periodically dosed virtual patient.

Twice-daily oral dosing makes the signalling state oscillate with the dosing period ``P`` (12 h;
the least common multiple of the intervals of all short-interval drugs, e.g. 24 h with neratinib
once daily); resolving that oscillation 730 times a patient-year is what makes a full integration
expensive. After a transient of a few periods the state is periodic, modulated only slowly:
trastuzumab pharmacokinetics over its 21-day cycle (and its accumulation over the first cycles),
clamps that switch on. This module simulates the fast time scale only where it is needed and
advances over the slow one in closed form (envelope following: Petzold 1981, SIAM J Numer Anal
18:455, DOI:10.1137/0718030; Gear & Gallivan 1982, Proc IEEE 70:1078; stroboscopic averaging:
Calvo, Chartier, Murua & Sanz 2011, Appl Numer Math 61:1077, DOI:10.1016/j.apnum.2011.06.007).

**What is integrated.** The tumour does not act on the signalling; it integrates the cells' net
growth rate ``g(t)`` (``models/tumour/sld.ant``)::

    L(t) = ln(SLD(t) / SLD(0)) = s g0 t + k * integral_0^t (g(u) - g0) exp(-lambda u) du

(growth scale ``s``, kill scale ``k``, untreated rate ``g0``, resistance rate ``lambda``). With
periods ``[t_k, t_k + P]``, ``t_k = t_origin + k P``, the increment of ``L`` over period ``k`` is::

    dL_k = c + exp(-lambda t_k) b_k,     c = s g0 P,
    b_k  = k * integral_0^P (g(t_k + u) - g0) exp(-lambda u) du.

Only ``c`` is computed from the coefficients (:class:`TumourRate`); ``b_k`` is read from the
simulated increments, so the method needs no relation between ``s`` and ``k``.

``b_k`` depends only on the trajectory within the period, with the exact intra-period weight
``exp(-lambda u)``: if ``g`` is periodic, ``b_k`` is exactly constant and the weighted integral
over any number of periods is a geometric series; no period-average approximation of the weight
is made. Relative to an anchor period ``i`` the normalised increment is
``gamma_n = exp(lambda (n - i) P) (dL_n - c)`` (``= b_n exp(-lambda t_i)``).

**Algorithm (one level).** A simulated period starts from species amounts ``x`` with ``L = 0`` (so
the integrator controls the error of the increment itself) and gives ``dL_k`` and its end state
``F_k(x)`` (the period map).

1. *Resolve.* From t = 0 and through every *event* (a non-periodic change of the inputs: first
   doses, clamp starts; at the fine level also each dose of a long-interval drug and its infusion),
   periods are simulated in sequence from the exact state. The first period after which the
   trajectory is periodic becomes an *anchor*: no event in it, Poincare residual
   ``|F_k(x) - x| <= 1`` (norm below) and ``|gamma_k - gamma_{k-1}|`` below the tolerance of half
   a maximal span (the transient left is of that order, it decays geometrically). The ratio of
   the last two changes of ``gamma`` in the first transient measures the map's contraction ``rho``
   per period (unless given: :attr:`EnvelopeSettings.contraction`).
2. *Checkpoints.* From an anchor ``i`` the next simulated period ``j`` is the first of: the period
   before the next event, the period of the next output (a scan, whose ``L`` is then read inside
   it), ``i + max_span``. It is simulated from a guess of its start state, in rounds:

   - round 0 starts period ``j`` from the state found at the same phase of the slow inputs (the
     same number of periods after an event, same inputs regime) in an earlier cycle, else from the
     anchor's end state. With an earlier cycle to compare with, it is accepted when its end state
     and its normalised increment are those of the earlier cycle at the same phase (residual at
     most ``single_residual``, increment within the per-period tolerance). Without, it is accepted
     when the residual is small and the slow drift cannot bias it: a trajectory driven by a
     drifting input lags the periodic orbit of the frozen inputs by about ``rho / (1 - rho)``
     periods, so the bias is that times the drift of ``gamma`` per period,
     ``|gamma_j - gamma_i| / (j - i)``, which must be within the per-period tolerance;
   - round ``r`` starts the guess ``r`` periods earlier (``r`` warm-up periods on the driven
     trajectory forget it by ``rho^r``) and is accepted when ``rho |dL_j^(r) - dL_j^(r-1)|``, the
     error left, is within the per-period tolerance;
   - after ``max_rounds`` rounds, or once a round would cost more than the span, the span is
     simulated from the anchor's end state (exact; nothing is skipped).

   States and increments on the simulated trajectory are kept, by phase, as the guesses and
   comparisons of later cycles.
3. *Skip.* The periods strictly between anchors ``i`` and ``j`` (``n = j - i``) are not
   simulated; their increments sum to

       sum_{m=1}^{n-1} [ c + exp(-lambda m P) gamma_(i+m) ],

   with ``gamma`` interpolated (linear in ``m``, or quadratic once a midpoint is known): a finite
   arithmetico-geometric series, evaluated term by term (exact to rounding for any ``lambda``).
4. *Error control of a skip.* If ``gamma`` is monotone between the anchors the linear
   interpolation errs by at most ``|gamma_j - gamma_i|`` per period; when ``(n - 1) |gamma_j -
   gamma_i|`` exceeds the span's share of the tolerance, ``tol_P (n - 1)``, the midpoint period is
   simulated as in step 2 and the quadratic through the three points is used if its difference
   from the piecewise-linear interpolant (an estimate of the latter's error, so a conservative one
   of the quadratic's) summed over the span is within the share; else each half is refined in turn.
   Spans of at most :data:`SIMULATE_SPAN_MAX` periods that need refinement are simulated outright.

``tol_P = tolerance * P / 8760 h`` is the per-period share of ``tolerance``, the error of ``L``
allowed per year of follow-up. No step can fail: a checkpoint that does not converge is simulated
exactly from the last anchor, so the cost is bounded by about that of a full integration.

**Two levels.** With a long-interval drug (trastuzumab every 21 days) the inputs are periodic
with ``Q``, the least common multiple of the intervals, and the same algorithm runs at that level:
its "period" is a whole cycle, simulated by the fine level (:meth:`EnvelopeIntegrator.segment`)
from a guess of the state at the cycle's start, its events are only the non-periodic ones (t = 0,
first doses, clamp starts), and its skips use the cycle increments. A cycle forgets its start
state within its first dosing periods (they are resolved at the fine level), so the cycle map
contracts strongly. A year then costs the fine periods of the first cycles (until cycle-to-cycle
periodicity), and of the cycles of scans and refinement probes.

**Residual norm.** ``max_i |x'_i - x_i| / (rtol * max(|x_i|, |x'_i|, x_ref_i) + atol)``, with
``x_ref`` the patient's untreated steady state, so that a species that a drug drives near zero
(free HER2 under saturating trastuzumab) is measured on the scale of its untreated level.
``rtol`` (1e-3) lies above the integrator noise of the states (its relative tolerance, 1e-5).

**Error budget.** Per year of follow-up each level adds at most about ``tolerance`` to ``L``
(skips, step 4; anchors, step 2); simulated periods carry the integrator's error. With the trial
settings (tolerance 5e-5 per level; stat3qsp.patient) the envelope differs from a tight (1e-9)
full integration by at most 7e-5 in ``L`` over two years of every arm of trials/*.yaml with
twice-daily or daily dosing (at most 1.6e-5 except in trastuzumab-sensitive disease, where
trastuzumab modulates the growth rate most), the same order as the full integration at trial
tolerances (tests/test_envelope.py; benchmarks/bench_trial.py). Checked again when the kill scale
was separated from the growth scale (two patients of seed 11 per arm, scans every 4 weeks): at
most 5.1e-5 in trastuzumab-sensitive disease and 4.8e-6 in the other arms.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable

import numpy as np

HOURS_PER_YEAR = 8760.0
"""Hours of the year in which :attr:`EnvelopeSettings.tolerance` is counted."""
_SLACK_H = 1e-9
"""Two times closer than this (h) are the same time."""
SIMULATE_SPAN_MAX = 4
"""A span of at most this many periods between anchors whose interpolation is not accurate enough
is simulated outright (cheaper than a probe)."""

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
class _Period:
    """One simulated period: index, start and end states, increment of L and the outputs inside
    it as ``(output index, L since the period's start, state)``."""

    k: int
    x_start: np.ndarray
    x_end: np.ndarray
    increment: float
    outputs: list[tuple[int, float, np.ndarray]] = field(default_factory=list)


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
        return self.schedule.regime(k), int(self._phase[k - self._k0])

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

    Sets the floating species amounts and ``L = 0`` and simulates with output at the given times
    (the integrator restarts, so the error of ``L`` is controlled on the segment's own increment).
    """
    selections = [log_ratio_id, *species_ids]

    def segment(x0: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        runner.model.setFloatingSpeciesAmounts(list(x0))
        runner.setValue(log_ratio_id, 0.0)
        if list(runner.timeCourseSelections) != selections:
            runner.timeCourseSelections = selections
        result = np.array(runner.simulate(times=list(times)))
        return result[:, 0], result[:, 1:]

    return segment
