"""The envelope method for one virtual patient: its schedules and levels, and a course whose dose changes.

:func:`envelope_scans` is ``method="envelope"`` of :meth:`stat3qsp.trial.patient.PatientSimulator.scans`
(docs/envelope.md): the regimen's dosing series and clamp starts give the schedules
(:func:`stat3qsp.trial.envelope_inputs.input_schedules`), one :class:`~stat3qsp.trial.envelope.EnvelopeIntegrator`
per level integrates ``L = ln(SLD / SLD0)`` to every scan.

**Dose changes** (marrow toxicity: holds and reductions, :func:`stat3qsp.trial.marrow_course.modified_scans`).
A change at ``a`` sets the drug's dose and the start of its closed-form PK superposition to ``a`` (what the
full integration does). For the envelope a change is one more non-periodic change of the inputs, like a
clamp start: it is an event and a reset of both levels (the periods around it are integrated from the exact
state, no state from before it is used as a guess after it), and the segment function sets the dose of the
piece it starts in and splits its integration at every change inside it (:func:`piecewise_segment`). The
fine period keeps its phase only if every change falls on a boundary of it (count checks are whole days,
the period 12 or 24 h: :func:`changes_on_period_boundaries`); otherwise the course is integrated in full.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from stat3qsp.trial import envelope, envelope_inputs
from stat3qsp.trial.envelope_inputs import _SLACK_H, SegmentFunction
from stat3qsp.trial.names import RATE_SCALE, RESISTANCE
from stat3qsp.trial.regimen import dose_series


@dataclass(frozen=True)
class DoseChanges:
    """Dose changes of one drug during a course: ``changes`` are ``(h, new dose)``, increasing in time;
    ``dose_id`` and ``start_id`` the model parameters of the drug's dose and first-dose time."""

    changes: tuple[tuple[float, float], ...]
    dose_id: str
    start_id: str

    def pieces(self, dosing: dict[str, float], horizon_h: float) -> list[tuple[float, float, float]]:
        """``(from h, dose, start h)`` of every piece of the course up to *horizon_h* (the first from 0)."""
        out = [(0.0, float(dosing[self.dose_id]), float(dosing[self.start_id]))]
        for at, dose in sorted(self.changes):
            if at < horizon_h:
                out.append((float(at), float(dose), float(at)))
        return out


def piecewise_segment(base: SegmentFunction, runner, dose_id: str, start_id: str,
                      pieces: Sequence[tuple[float, float, float]]) -> SegmentFunction:
    """A :data:`~stat3qsp.trial.envelope_inputs.SegmentFunction` of a course with dose changes (module docstring).

    Before integrating from ``times[0]`` it sets the dose and start of the piece that holds ``times[0]`` (a
    change at ``times[0]`` included); a change strictly inside the segment ends a sub-segment there (the
    state and ``L`` at the change carried on), so *base* never integrates across a change.
    """
    starts = np.array([p[0] for p in pieces])

    def apply(t: float) -> None:
        _, dose, start = pieces[int(np.searchsorted(starts, t + _SLACK_H, side="right")) - 1]
        runner.setValue(dose_id, dose)
        runner.setValue(start_id, start)

    def segment(x0: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        times = np.asarray(times, dtype=float)
        cuts = starts[(starts > times[0] + _SLACK_H) & (starts < times[-1] - _SLACK_H)]
        if not cuts.size:
            apply(float(times[0]))
            return base(x0, times)
        merged = np.union1d(times, cuts)
        bounds = [0, *np.searchsorted(merged, cuts), merged.size - 1]
        log_ratio = np.empty(merged.size)
        states = np.empty((merged.size, np.asarray(x0).size))
        x, offset = np.asarray(x0, dtype=float), 0.0
        for begin, end in zip(bounds[:-1], bounds[1:]):
            apply(float(merged[begin]))
            L, S = base(x, merged[begin:end + 1])
            log_ratio[begin:end + 1], states[begin:end + 1] = offset + L, S
            x, offset = S[-1], offset + float(L[-1])
        rows = np.searchsorted(merged, times)
        return log_ratio[rows], states[rows]
        return log_ratio, states

    return segment


def check_sld(value: float, hours: float) -> None:
    """RuntimeError (retried, then a failure; never a silent NaN) for a non-finite SLD at a scan."""
    if not np.isfinite(value):
        raise RuntimeError(f"non-finite SLD ({value}) at {hours:g} h of treatment")


def changes_on_period_boundaries(changes: DoseChanges, period_h: float, origin_h: float) -> bool:
    """True if every change time is a boundary ``origin + k P`` of the fine period (module docstring)."""
    phases = [((at - origin_h) / period_h) % 1.0 for at, _ in changes.changes]
    return all(min(p, 1.0 - p) * period_h <= 1e-6 for p in phases)


def envelope_scans(simulator, patient, dosing: dict[str, float], scan_hours: np.ndarray, stop,
                   tolerances: tuple[float, float], max_steps: int, fast_interval_h: float, tolerance_factor: float,
                   fine_settings, coarse_settings, changes: DoseChanges | None = None) -> np.ndarray | None:
    """SLD (mm) at every scan by the envelope method (module docstring), NaN after a *stop* (as
    :meth:`stat3qsp.trial.patient.PatientSimulator.scans`); None where the method does not apply (no fast-dosed
    drug, no scans, dose changes off the period's boundaries: the caller integrates in full). RuntimeError for
    a non-finite result (the caller retries)."""
    values = {**simulator.context_values(patient.context), **patient.values, **dosing}
    series, steps = dose_series(dosing, simulator.regimens, values)
    horizon = float(scan_hours[-1]) if scan_hours.size else 0.0
    pieces = changes.pieces(dosing, horizon) if changes is not None else []
    schedules = envelope_inputs.input_schedules(series, steps + [p[0] for p in pieces[1:]], horizon, fast_interval_h)
    if schedules is None or not scan_hours.size:
        return None
    if len(pieces) > 1 and not changes_on_period_boundaries(changes, schedules[0].period_h, schedules[0].origin_h):
        return None
    simulator.start_treatment(patient, dosing, tuple(t / tolerance_factor for t in tolerances), max_steps)
    segment = simulator._segment
    if len(pieces) > 1:
        segment = piecewise_segment(segment, simulator.model.runner, changes.dose_id, changes.start_id, pieces)
    rate = envelope_inputs.TumourRate(values[RATE_SCALE], patient.untreated_growth_rate, values[RESISTANCE])
    fine = envelope.EnvelopeIntegrator(segment, rate, schedules[0], patient.state, fine_settings)
    levels = [fine]
    if schedules[1] is not None:
        levels.append(envelope.EnvelopeIntegrator(fine.segment, rate, schedules[1], patient.state, coarse_settings))
    baseline = patient.baseline_sld_mm
    sld = np.full(scan_hours.size, np.nan)

    def on_scan(i: int, log_ratio: float) -> bool:
        sld[i] = baseline * np.exp(log_ratio)
        check_sld(sld[i], scan_hours[i])
        return stop is not None and bool(stop(baseline, sld[: i + 1]))

    log_ratio = levels[-1].run(patient.state, scan_hours, on_scan)
    simulator.last_statistics = tuple(level.statistics for level in levels)
    sld = baseline * np.exp(log_ratio)
    if not np.all(np.isfinite(sld[~np.isnan(sld)])):
        raise RuntimeError("non-finite SLD in a patient simulation")
    return sld
