"""The envelope method of a patient whose dose changes (stat3qsp.trial.envelope_patient): the piecewise segment
against an analytic answer, the boundary rule, and the course against the full integration of the same patient."""
from __future__ import annotations

import numpy as np
import pytest

from stat3qsp.trial import envelope_patient as ep
from stat3qsp.trial.marrow_course import modified_scans, patient_course
from stat3qsp.trial.names import HOURS_PER_WEEK
from stat3qsp.trial.patient import PatientSimulator
from stat3qsp.trial.population import patient_generator
from stat3qsp.trial.regimen import dosing_values
from stat3qsp.trial.spec import load_trial_spec


class _Runner:
    """Stands in for roadrunner: keeps the values set."""

    def __init__(self):
        self.values = {}

    def setValue(self, key, value):  # noqa: N802 (roadrunner's name)
        self.values[key] = value


def _linear_base(runner, calls):
    """dL/dt = dose and dx/dt = start of the current piece, integrated exactly from ``times[0]``."""
    def base(x0, times):
        calls.append((float(times[0]), float(times[-1]), runner.values["dose"]))
        dt = np.asarray(times) - times[0]
        return runner.values["dose"] * dt, np.asarray(x0)[None, :] + runner.values["start"] * dt[:, None]
    return base


def test_a_segment_across_two_changes_integrates_each_piece_with_its_dose():
    runner, calls = _Runner(), []
    pieces = [(0.0, 2.0, 0.0), (10.0, 0.0, 10.0), (24.0, 1.0, 24.0)]
    segment = ep.piecewise_segment(_linear_base(runner, calls), runner, "dose", "start", pieces)
    times = np.array([6.0, 12.0, 24.0, 30.0])
    L, x = segment(np.array([1.0]), times)
    # L = 2 (10 - 6) + 0 (24 - 10) + 1 (t - 24): 8 at 12 h and at 24 h, 14 at 30 h
    assert L == pytest.approx([0.0, 8.0, 8.0, 14.0])
    # x = 1 + 0 (10 - 6) + 10 (t - 10) for t in [10, 24], then + 24 (t - 24)
    assert x[:, 0] == pytest.approx([1.0, 21.0, 141.0, 141.0 + 24 * 6.0])
    assert calls == [(6.0, 10.0, 2.0), (10.0, 24.0, 0.0), (24.0, 30.0, 1.0)]
    assert runner.values == {"dose": 1.0, "start": 24.0}


def test_a_segment_that_starts_at_a_change_takes_the_new_dose_and_is_not_split():
    runner, calls = _Runner(), []
    segment = ep.piecewise_segment(_linear_base(runner, calls), runner, "dose", "start",
                                   [(0.0, 2.0, 0.0), (12.0, 5.0, 12.0)])
    L, _ = segment(np.array([0.0]), np.array([12.0, 24.0]))
    assert L == pytest.approx([0.0, 60.0]) and calls == [(12.0, 24.0, 5.0)]
    segment(np.array([0.0]), np.array([0.0, 12.0]))  # ends at the change: the old dose
    assert calls[-1] == (0.0, 12.0, 2.0)


def test_changes_must_fall_on_boundaries_of_the_dosing_period():
    on = ep.DoseChanges(((336.0, 0.0), (1008.0, 20.0)), "rux_dose", "rux_start")
    assert ep.changes_on_period_boundaries(on, 12.0, 0.0) and ep.changes_on_period_boundaries(on, 24.0, 0.0)
    assert not ep.changes_on_period_boundaries(on, 12.0, 6.0)
    assert not ep.changes_on_period_boundaries(ep.DoseChanges(((1.0, 0.0),), "rux_dose", "rux_start"), 12.0, 0.0)
    assert on.pieces({"rux_dose": 25.0, "rux_start": 0.0}, 1000.0) == [(0.0, 25.0, 0.0), (336.0, 0.0, 336.0)]


@pytest.fixture(scope="module")
def simulators():
    return PatientSimulator(method="full"), PatientSimulator(method="envelope")


def _changed_patient(simulator, spec, arm, hours):
    for index in range(20):
        patient = simulator.draw_patient(arm.context, patient_generator(1, 0, index, 0), spec.population.body_weight)
        dosing = dosing_values(arm, simulator.regimens, patient.body_weight_kg)
        course, dose_id, start_id = patient_course(simulator, spec, arm, patient, dosing, 0, index, 1, hours[-1])
        if course is not None and len(course.changes()) >= 3:
            return patient, dosing, course.changes(), dose_id, start_id
    raise AssertionError("no patient of 20 has three dose changes")


@pytest.mark.parametrize("spec_id, arm_name", [("NCT02066532", "ruxolitinib_trastuzumab"),
                                               ("ner_rux_mtnbc", "neratinib_ruxolitinib")])
def test_envelope_course_with_dose_changes_agrees_with_the_full_integration(simulators, spec_id, arm_name):
    """Two levels (twice-daily ruxolitinib, three-weekly trastuzumab) and one (24-h period): a hold, a
    reduced dose and more, 60 weeks of 6-weekly scans; within 1e-4 in ln SLD (the envelope's own error,
    docs/envelope.md), at a fraction of the integrated periods."""
    full, envelope = simulators
    spec = load_trial_spec(f"trials/{spec_id}.yaml")
    hours = np.arange(1, 11) * 6 * HOURS_PER_WEEK + 3.5
    patient, dosing, changes, dose_id, start_id = _changed_patient(full, spec, spec.arm(arm_name), hours)
    reference = modified_scans(full, patient, dosing, hours, changes, dose_id, start_id)
    got = modified_scans(envelope, patient, dosing, hours, changes, dose_id, start_id)
    assert np.max(np.abs(np.log(got / reference))) < 1e-4
    fine = envelope.last_statistics[0]
    assert fine.simulated < 0.5 * fine.periods


def test_a_change_off_the_period_boundaries_is_integrated_in_full(simulators):
    full, envelope = simulators
    spec = load_trial_spec("trials/NCT02066532.yaml")
    arm = spec.arm("ruxolitinib_trastuzumab")
    patient = full.draw_patient(arm.context, patient_generator(1, 0, 0, 0), spec.population.body_weight)
    dosing = dosing_values(arm, full.regimens, patient.body_weight_kg)
    hours = np.array([6.0, 12.0]) * HOURS_PER_WEEK
    changes = [(100.0, 0.0), (500.0, 20.0)]
    reference = modified_scans(full, patient, dosing, hours, changes, "rux_dose", "rux_start")
    assert np.array_equal(modified_scans(envelope, patient, dosing, hours, changes, "rux_dose", "rux_start"),
                          reference)


def _apply_one_by_one(self, context, *updates, tolerances=None, max_steps=None):
    """The former PatientSimulator._apply: runner.setValue of every value in turn."""
    for pid, value in self._prepare(context, updates, tolerances, max_steps).items():
        self.model.runner.setValue(pid, value)


def test_values_set_in_one_call_give_the_same_patients_bit_for_bit(monkeypatch):
    """Draws (pre-equilibrations), marrow dose changes and envelope scans of a few patients."""
    from stat3qsp.trial.simulate import TrialSettings, simulate_trial

    spec = load_trial_spec("trials/NCT02066532.yaml")
    settings = TrialSettings(replicates=1, seed=3, patients=4, horizon_weeks=30.0, arms=("ruxolitinib_trastuzumab",))
    batched = simulate_trial(spec, settings, 1, progress=False)
    monkeypatch.setattr(PatientSimulator, "_apply", _apply_one_by_one)
    reference = simulate_trial(spec, settings, 1, progress=False)
    for a, b in zip(batched, reference):
        assert a.values == b.values and a.draws == b.draws and a.doubling_days == b.doubling_days
        assert np.array_equal(a.sld_mm, b.sld_mm, equal_nan=True) and a.toxicity == b.toxicity


def test_the_regime_of_every_period_is_the_schedules():
    from stat3qsp.trial import envelope, envelope_inputs

    schedule = envelope_inputs.Schedule(12.0, 0.0, ((0.0, 0.0), (336.0, 336.0), (1008.0, 1008.0)),
                                        (1008.0, 0.0, 336.0, 1000.0 - 1e-10))
    integrator = envelope.EnvelopeIntegrator(lambda x, t: (np.zeros(len(t)), np.zeros((len(t), 1))),
                                             envelope_inputs.TumourRate(1.0, 0.01, 0.0), schedule, np.ones(1))
    integrator._prepare(0, 120)
    assert [integrator._key(k)[0] for k in range(0, 122)] == [schedule.regime(k) for k in range(0, 122)]
