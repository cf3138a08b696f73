"""Multiscale trial simulation: the tumour driven by the periodic steady state of signalling.

Signalling relaxes in hours, the tumour changes over weeks. After the transient of the first doses
(the events of :func:`stat3qsp.trial.envelope_inputs.input_schedules`: first doses, clamp starts) the
signalling state of a patient on a periodic regimen is periodic with the regimen's period ``Q`` (the
dosing period ``P`` of the short-interval drugs, or the trastuzumab cycle). This method integrates the
patient exactly from t = 0 to ``T = end of the last event + WARMUP_PERIODS Q`` (at least
:data:`MIN_WARMUP_H`), then one period ``[T, T + Q]`` with output every :data:`GRID_H` and assumes the
signalling periodic from there on. With ``dL/dt = s g0 + k (g(t) - g0) exp(-lambda t)``
(``models/tumour/sld.ant``; :class:`stat3qsp.trial.envelope_inputs.TumourRate`) and ``l(u)`` the increment of
``L`` over ``[T, T + u]``, a scan at ``t = T + n Q + u`` has::

    L(t) = L(T) + s g0 (n Q + u) + B (1 - r^n) / (1 - r) + r^n (l(u) - s g0 u),
    B = l(Q) - s g0 Q,  r = exp(-lambda Q),

(``l`` interpolated linearly on the grid), in closed form: the cost is that of ``T + Q`` hours of
integration, whatever the follow-up. The steady period is integrated with tolerances
``ENVELOPE_TOLERANCE_FACTOR`` times tighter (its error is multiplied by the periods it stands for).
What it neglects is the slow drift of the periodic orbit after ``T`` (trastuzumab accumulating over its
first cycles); :mod:`stat3qsp.trial.multiscale_validation` measures its effect against the full
integration on the same patients.

This is ``method="multiscale"`` of :meth:`stat3qsp.trial.patient.PatientSimulator.scans`
(:func:`periodic_scans`). Where it does not apply the full integration is used (the same numbers as
``method="full"``): a regimen without a short-interval drug (nothing oscillates: no arm with no drug,
trastuzumab alone), a follow-up that ends within ``T + Q`` (the whole course is then warm-up). A
patient whose dose changes mid-course (marrow toxicity: reductions and holds,
:func:`stat3qsp.trial.marrow_course.modified_scans`) restarts the periodic state at each change
(:func:`changed_scans`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from stat3qsp.trial import envelope_inputs
from stat3qsp.trial.names import RATE_SCALE, RESISTANCE
from stat3qsp.trial.regimen import dose_series

WARMUP_PERIODS = 3
"""Periods of the regimen integrated after the last event before the signalling is taken as periodic."""
MIN_WARMUP_H = 336.0
"""At least this much of the start (h) is integrated exactly (two weeks: pharmacokinetic accumulation)."""
GRID_H = 1.0
"""Output spacing (h) of the integrated steady period."""


@dataclass(frozen=True)
class PeriodicProfile:
    """The periodic part of one patient's course: where it starts, its period and ``l(u)`` on a grid."""

    start_h: float
    period_h: float
    log_ratio_at_start: float
    grid_h: np.ndarray
    increments: np.ndarray


def warmup_end(simulator, patient, dosing: dict[str, float], horizon_h: float, fast_interval_h: float,
               begin_h: float = 0.0) -> tuple[float, float] | None:
    """``(T, Q)`` of the patient's regimen from *begin_h* (t = 0, or a dose change: :func:`changed_scans`) to
    *horizon_h* (module docstring); None where the method does not apply."""
    values = {**simulator.context_values(patient.context), **patient.values, **dosing}
    series, steps = dose_series(dosing, simulator.regimens, values)
    schedules = envelope_inputs.input_schedules(series, steps, horizon_h, fast_interval_h)
    if schedules is None:
        return None
    schedule = schedules[1] or schedules[0]
    period = schedule.period_h
    last_event = max([0.0, *(end for _, end in schedule.events if end <= horizon_h + period)])
    start = schedule.period_start(schedule.first_period(max(last_event, begin_h + MIN_WARMUP_H)) + WARMUP_PERIODS)
    return (start, period) if start + period < horizon_h else None


def periodic_scans(simulator, patient, dosing: dict[str, float], scan_hours: np.ndarray, stop,
                   tolerances: tuple[float, float], max_steps: int, fast_interval_h: float,
                   tolerance_factor: float) -> np.ndarray:
    """SLD (mm) at every scan by the multiscale method (module docstring), NaN after a *stop* (as
    :meth:`stat3qsp.trial.patient.PatientSimulator.scans`); the full integration
    (``simulator._scans``) where the method does not apply. RuntimeError for a non-finite result (the
    caller retries)."""
    scan_hours = np.asarray(scan_hours, dtype=float)
    found = warmup_end(simulator, patient, dosing, float(scan_hours[-1]), fast_interval_h) if scan_hours.size else None
    if found is None:
        return simulator._scans(patient, dosing, scan_hours, stop, tolerances, max_steps)
    start, period = found
    simulator.last_statistics = ()
    values = {**simulator.context_values(patient.context), **patient.values}
    rate = envelope_inputs.TumourRate(values[RATE_SCALE], patient.untreated_growth_rate, values[RESISTANCE])
    simulator.start_treatment(patient, dosing, tolerances, max_steps)
    segment = simulator._segment
    early = scan_hours[scan_hours < start]
    baseline = patient.baseline_sld_mm
    sld = np.full(scan_hours.size, np.nan)

    def on_scans(log_ratio: np.ndarray) -> bool:
        sld[:early.size] = baseline * np.exp(log_ratio)
        return _stopped(sld, 0, early.size, baseline, stop)

    found = _exact_until(segment, patient.state, 0.0, early, start, on_scans)
    if found is None:
        return sld
    profile, _ = _profile(segment, simulator.model.runner, found[2], start, period, found[1],
                          tolerances, tolerance_factor)
    sld[early.size:] = baseline * np.exp(extrapolate(profile, rate, scan_hours[early.size:]))
    _stopped(sld, early.size, scan_hours.size, baseline, stop)
    return sld


def changed_scans(simulator, patient, dosing: dict[str, float], scan_hours: np.ndarray, changes, dose_id: str,
                  start_id: str, stop, tolerances: tuple[float, float], max_steps: int, fast_interval_h: float,
                  tolerance_factor: float) -> np.ndarray:
    """SLD (mm) at the scans of a patient whose dose changes at *changes* (``(h, mg)``, marrow toxicity;
    :func:`stat3qsp.trial.marrow_course.modified_scans` is the full integration of the same course).

    The periodic state is restarted at each change: from a change at ``a`` the dose *dose_id* and the
    first-dose time *start_id* of the drug are reset (as the full integration does), and the piece up
    to the next change ``b`` is a regimen of its own: warm-up from ``a`` (:func:`warmup_end` with
    ``begin_h = a``), one steady period, scans in ``(a, b]`` in closed form, and the state at ``b``
    taken from the steady period at the phase of ``b`` (the state is periodic there), ``L(b)`` from
    the closed form. A piece too short for its warm-up is integrated exactly. NaN after a *stop*."""
    scan_hours = np.asarray(scan_hours, dtype=float)
    horizon = float(scan_hours[-1]) if scan_hours.size else 0.0
    pieces = [(0.0, dict(dosing))]
    for at, dose in sorted(changes):
        if at < horizon:
            pieces.append((float(at), {**pieces[-1][1], dose_id: float(dose), start_id: float(at)}))
    simulator.last_statistics = ()
    values = {**simulator.context_values(patient.context), **patient.values}
    rate = envelope_inputs.TumourRate(values[RATE_SCALE], patient.untreated_growth_rate, values[RESISTANCE])
    simulator.start_treatment(patient, dosing, tolerances, max_steps)
    runner, segment = simulator.model.runner, simulator._segment
    baseline, state, offset = patient.baseline_sld_mm, patient.state, 0.0
    sld = np.full(scan_hours.size, np.nan)
    done = 0
    for k, (begin, piece) in enumerate(pieces):
        end = pieces[k + 1][0] if k + 1 < len(pieces) else horizon
        runner.setValue(dose_id, piece[dose_id])
        runner.setValue(start_id, piece[start_id])
        inside = scan_hours[done:][scan_hours[done:] <= end]
        found = warmup_end(simulator, patient, piece, end, fast_interval_h, begin)
        _tolerances(runner, tolerances, 1.0)
        early = inside if found is None else inside[inside < found[0]]

        def on_scans(log_ratio: np.ndarray) -> bool:
            sld[done:done + early.size] = baseline * np.exp(offset + log_ratio)
            return _stopped(sld, done, done + early.size, baseline, stop)

        exact = _exact_until(segment, state, begin, early, end if found is None else found[0], on_scans)
        if exact is None:
            return sld
        if found is None:
            _, at_end, state = exact
        else:
            start, period = found
            profile, profile_states = _profile(segment, runner, exact[2], start, period, exact[1],
                                               tolerances, tolerance_factor)
            late = extrapolate(profile, rate, np.append(inside[early.size:], end))
            at_end = late[-1]
            sld[done + early.size:done + inside.size] = baseline * np.exp(offset + late[:-1])
            if _stopped(sld, done + early.size, done + inside.size, baseline, stop):
                return sld
            phase = (end - start) - math.floor((end - start) / period + 1e-12) * period
            state = np.array([np.interp(phase, profile.grid_h, column) for column in profile_states.T])
        done, offset = done + inside.size, offset + float(at_end)
    return sld


def _exact_until(segment, state: np.ndarray, begin: float, scans: np.ndarray, end: float,
                 on_scans) -> tuple[np.ndarray, float, np.ndarray] | None:
    """Integrate from *state* at *begin* through *scans* (all in ``(begin, end]``) and on to *end*; after
    the scans, ``on_scans(L at the scans)`` is asked, and where it returns True (a stop) nothing more is
    integrated and None returned. Else ``(L at the scans, L at end, state at end)`` (``L`` from *begin*).
    The integration restarts at the last scan, so a patient who progresses there costs no more than the
    full integration."""
    if not scans.size:
        log_ratio, states = segment(state, np.array([begin, end]))
        on_scans(log_ratio[1:1])
        return log_ratio[1:1], float(log_ratio[-1]), states[-1]
    log_ratio, states = segment(state, np.concatenate(([begin], scans)))
    if on_scans(log_ratio[1:]):
        return None
    if end <= scans[-1]:
        return log_ratio[1:], float(log_ratio[-1]), states[-1]
    rest, rest_states = segment(states[-1], np.array([scans[-1], end]))
    return log_ratio[1:], float(log_ratio[-1] + rest[-1]), rest_states[-1]


def _tolerances(runner, tolerances: tuple[float, float], factor: float) -> None:
    integrator = runner.getIntegrator()
    integrator.setValue("relative_tolerance", tolerances[0] / factor)
    integrator.setValue("absolute_tolerance", tolerances[1] / factor)


def _profile(segment, runner, state: np.ndarray, start: float, period: float, log_ratio: float,
             tolerances: tuple[float, float], factor: float) -> tuple[PeriodicProfile, np.ndarray]:
    """The steady period from *state* at *start* (tolerances *factor* times tighter) and its states on the grid."""
    _tolerances(runner, tolerances, factor)
    grid = np.linspace(0.0, period, int(math.ceil(period / GRID_H)) + 1)
    increments, states = segment(state, start + grid)
    return PeriodicProfile(start, period, log_ratio, grid, increments), states


def _stopped(sld: np.ndarray, first: int, end: int, baseline: float, stop) -> bool:
    """Check scans ``first..end-1`` in turn (RuntimeError if not finite), ask *stop* after each; at a
    stop the later scans become NaN and True is returned."""
    for i in range(first, end):
        if not np.isfinite(sld[i]):
            raise RuntimeError(f"non-finite SLD ({sld[i]}) in a multiscale patient simulation (scan {i})")
        if stop is not None and stop(baseline, sld[: i + 1]):
            sld[i + 1:] = np.nan
            return True
    return False


def extrapolate(profile: PeriodicProfile, rate: envelope_inputs.TumourRate, hours: np.ndarray) -> np.ndarray:
    """``L`` at *hours* (all after the profile's start) from the periodic profile (module docstring)."""
    period, drift = profile.period_h, rate.scale * rate.untreated_rate
    since = np.asarray(hours, dtype=float) - profile.start_h
    n = np.floor(since / period + 1e-12)
    u = since - n * period
    r = math.exp(-rate.resistance_k * period)
    b = profile.increments[-1] - drift * period
    geometric = n if r == 1.0 else (1.0 - r ** n) / (1.0 - r)
    inside = np.interp(u, profile.grid_h, profile.increments) - drift * u
    return profile.log_ratio_at_start + drift * since + b * geometric + r ** n * inside
