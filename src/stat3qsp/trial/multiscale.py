"""Multiscale trial simulation: the tumour driven by the periodic steady state of signalling (prototype).

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
integration, whatever the follow-up. What it neglects is the slow drift of the periodic orbit after
``T`` (trastuzumab accumulating over its first cycles); :func:`compare_methods` measures its effect
against the full integration on the same patients (``method="full"`` of
:meth:`stat3qsp.trial.patient.PatientSimulator.scans`, the reference). It is not the runner's default
(not validated at full size; benchmarks/README.md, Multiscale).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from stat3qsp.trial import envelope_inputs
from stat3qsp.trial.names import RATE_SCALE, RESISTANCE
from stat3qsp.trial.patient import FAST_INTERVAL_MAX_H, PatientSimulator, VirtualPatient
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


def periodic_scans(simulator: PatientSimulator, patient: VirtualPatient, dosing: dict[str, float],
                   scan_hours: np.ndarray) -> np.ndarray:
    """SLD (mm) at every scan by the multiscale method (module docstring); the full integration where the
    regimen has no short-interval drug (nothing oscillates) or the follow-up ends within the warm-up."""
    scan_hours = np.asarray(scan_hours, dtype=float)
    values = {**simulator.context_values(patient.context), **patient.values, **dosing}
    series, steps = dose_series(dosing, simulator.regimens, values)
    horizon = float(scan_hours[-1]) if scan_hours.size else 0.0
    schedules = envelope_inputs.input_schedules(series, steps, horizon, FAST_INTERVAL_MAX_H)
    if schedules is None or not scan_hours.size:
        return simulator.scans(patient, dosing, scan_hours, method="full")
    schedule = schedules[1] or schedules[0]
    period = schedule.period_h
    last_event = max([0.0, *(end for _, end in schedule.events if end <= horizon + period)])
    start = schedule.period_start(schedule.first_period(max(last_event, MIN_WARMUP_H)) + WARMUP_PERIODS)
    if start + period >= horizon:
        return simulator.scans(patient, dosing, scan_hours, method="full")
    rate = envelope_inputs.TumourRate(values[RATE_SCALE], patient.untreated_growth_rate, values[RESISTANCE])
    simulator.start_treatment(patient, dosing)
    segment = simulator._segment
    early = scan_hours[scan_hours <= start]
    L, states = segment(patient.state, np.concatenate(([0.0], early, [start])))
    n_grid = int(math.ceil(period / GRID_H))
    grid = np.linspace(0.0, period, n_grid + 1)
    increments, _ = segment(states[-1], start + grid)
    profile = PeriodicProfile(start, period, float(L[-1]), grid, increments)
    log_ratio = np.concatenate((L[1:1 + early.size], extrapolate(profile, rate, scan_hours[scan_hours > start])))
    sld = patient.baseline_sld_mm * np.exp(log_ratio)
    if not np.all(np.isfinite(sld)):
        raise RuntimeError("non-finite SLD in a multiscale patient simulation")
    return sld


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


def compare_methods(simulator: PatientSimulator, spec, arm_name: str, patients: int, seed: int = 1,
                    horizon_weeks: float = 104.0):
    """The multiscale method against the full integration on the same patients of one arm (replicate 0).

    Returns
    -------
    pandas.DataFrame
        Per patient: ``progression_week_full``, ``progression_week_multiscale`` (the first scan that RECIST
        reads as PD; NaN without), ``max_abs_log_ratio_difference`` over the scans, and ``within_one_scan``
        (both progress at the same scan or at neighbouring ones, or neither progresses).
    """
    import pandas as pd

    from stat3qsp.trial import recist
    from stat3qsp.trial import columns as tc
    from stat3qsp.trial.names import HOURS_PER_WEEK
    from stat3qsp.trial.population import BIOLOGY_STREAM, CONDUCT_STREAM, patient_generator
    from stat3qsp.trial.regimen import dosing_values
    from stat3qsp.trial.simulate import assessed_sld, draw_conduct

    arm = spec.arm(arm_name)
    rows = []
    for i in range(patients):
        virtual = simulator.draw_patient(arm.context, patient_generator(seed, 0, i, BIOLOGY_STREAM),
                                         spec.population.body_weight)
        conduct = draw_conduct(spec, simulator.population, patient_generator(seed, 0, i, CONDUCT_STREAM),
                               horizon_weeks)
        hours = conduct.scan_weeks * HOURS_PER_WEEK
        dosing = dosing_values(arm, simulator.regimens, virtual.body_weight_kg)
        full = simulator.scans(virtual, dosing, hours, method="full")
        fast = periodic_scans(simulator, virtual, dosing, hours)
        index = []
        for sld in (full, fast):
            read = assessed_sld(sld, virtual.baseline_sld_mm, conduct.measurable)
            classes = recist.classify_scans(virtual.baseline_sld_mm, read, rules=spec.recist)
            pd_scans = [k for k, c in enumerate(classes) if c == tc.PD]
            index.append(pd_scans[0] if pd_scans else None)
        weeks = [np.nan if k is None else float(conduct.scan_weeks[k]) for k in index]
        same = (index[0] is None and index[1] is None) or (
            index[0] is not None and index[1] is not None and abs(index[0] - index[1]) <= 1)
        rows.append((arm_name, i, *weeks, float(np.max(np.abs(np.log(fast / full)))), bool(same)))
    return pd.DataFrame(rows, columns=["arm", "patient", "progression_week_full", "progression_week_multiscale",
                                       "max_abs_log_ratio_difference", "within_one_scan"])
