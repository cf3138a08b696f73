"""Multiscale trial simulation (stat3qsp.trial.multiscale, method "multiscale" of PatientSimulator.scans):
closed-form extrapolation, agreement with the full integration on the same patients, the cases where it falls
back to the full integration, and the validation of stat3qsp.trial.multiscale_validation on a few patients."""

import numpy as np
import pytest

from stat3qsp.errors import InputError
from stat3qsp.io.yamlfiles import read_yaml
from stat3qsp.trial import multiscale
from stat3qsp.trial.envelope_inputs import TumourRate
from stat3qsp.trial.multiscale import PeriodicProfile, extrapolate
from stat3qsp.trial.multiscale_validation import WITHIN_MC_ERROR, compare_methods
from stat3qsp.trial.names import HOURS_PER_WEEK
from stat3qsp.trial.patient import FAST_INTERVAL_MAX_H, METHODS
from stat3qsp.trial.population import patient_generator
from stat3qsp.trial.regimen import dosing_values
from stat3qsp.trial.simulate import TrialSettings
from stat3qsp.trial.spec import load_trial_spec

NER = "trials/ner_rux_mtnbc.yaml"


def test_extrapolation_sums_the_fading_periodic_increments_exactly():
    # dL/dt = s g0 + k (g - g0) exp(-lambda t) with g - g0 = -a (constant): closed form for comparison.
    s_g0, a_k, lam, start, period = 0.002, 0.003, 1e-4, 100.0, 12.0
    exact = lambda t: s_g0 * t - a_k * (1 - np.exp(-lam * t)) / lam  # noqa: E731
    grid = np.linspace(0.0, period, 13)
    profile = PeriodicProfile(start, period, exact(start), grid, exact(start + grid) - exact(start))
    hours = np.array([start + 5.0, start + 3 * period + 7.5, start + 400 * period + 0.25])
    got = extrapolate(profile, TumourRate(s_g0, 1.0, lam), hours)
    # the linear interpolation inside a period errs by at most h^2/8 max|L''| = a_k lambda / 8 ~ 4e-8 (h = 1 h)
    assert got == pytest.approx([exact(t) for t in hours], abs=a_k * lam / 8 * 1.01)
    assert got[0] == pytest.approx(exact(hours[0]), abs=1e-12)  # on the grid: exact


def _patient(simulator, spec, arm_name, index=0):
    arm = spec.arm(arm_name)
    patient = simulator.draw_patient(arm.context, patient_generator(3, 0, index, 0), spec.population.body_weight)
    return patient, dosing_values(arm, simulator.regimens, patient.body_weight_kg)


def test_multiscale_scans_agree_with_the_full_integration_past_the_warm_up(patient_simulator):
    spec = load_trial_spec(NER)
    patient, dosing = _patient(patient_simulator, spec, "neratinib_ruxolitinib")
    hours = np.arange(1, 13) * 6 * HOURS_PER_WEEK
    start, period = multiscale.warmup_end(patient_simulator, patient, dosing, hours[-1], FAST_INTERVAL_MAX_H)
    assert (hours > start + period).sum() >= 8  # most scans are extrapolated
    full = patient_simulator.scans(patient, dosing, hours, method="full")
    fast = patient_simulator.scans(patient, dosing, hours, method="multiscale")
    assert np.max(np.abs(np.log(fast / full))) < 1e-3
    assert patient_simulator.last_statistics == ()


def test_multiscale_stops_where_the_full_integration_stops(patient_simulator):
    spec = load_trial_spec(NER)
    patient, dosing = _patient(patient_simulator, spec, "neratinib_ruxolitinib")
    hours = np.arange(1, 13) * 6 * HOURS_PER_WEEK
    full = patient_simulator.scans(patient, dosing, hours, method="full")
    threshold = full[6] * 0.999 if full[6] > full[5] else full[6] * 1.001  # crossed first at scan 7
    crossed = (lambda b, s: s[-1] > threshold) if full[6] > full[5] else (lambda b, s: s[-1] < threshold)
    fast = patient_simulator.scans(patient, dosing, hours, stop=crossed, method="multiscale")
    first = int(np.flatnonzero([crossed(0, full[: i + 1]) for i in range(full.size)])[0])
    assert np.isnan(fast[first + 1:]).all() and not np.isnan(fast[: first + 1]).any()


@pytest.mark.parametrize("spec_path, arm_name, weeks", [
    (NER, "neratinib_ruxolitinib", 2.0),  # the follow-up ends within the warm-up (at least 2 weeks + 3 periods)
    ("trials/NCT02066532.yaml", "historical_control", 30.0),  # no short-interval drug: nothing oscillates
])
def test_multiscale_is_the_full_integration_where_it_does_not_apply(patient_simulator, spec_path, arm_name, weeks):
    spec = load_trial_spec(spec_path)
    patient, dosing = _patient(patient_simulator, spec, arm_name)
    hours = np.linspace(1.0, weeks, 4) * HOURS_PER_WEEK
    assert multiscale.warmup_end(patient_simulator, patient, dosing, hours[-1], FAST_INTERVAL_MAX_H) is None
    assert np.array_equal(patient_simulator.scans(patient, dosing, hours, method="multiscale"),
                          patient_simulator.scans(patient, dosing, hours, method="full"))


def test_validation_on_a_few_patients_passes_both_criteria():
    result = compare_methods(load_trial_spec(NER), "neratinib_ruxolitinib", 3, horizon_weeks=24.0)
    assert len(result.patients) == 3 and result.share_within_one_scan == 1.0 and result.passed
    assert result.patients["max_abs_log_sld_difference"].max() < 1e-3
    assert result.endpoints[WITHIN_MC_ERROR].all() and set(result.wall_s) == {"multiscale", "full"}


def test_the_method_is_a_checked_setting_the_config_schema_names():
    with pytest.raises(InputError, match="method = 'rk4'; accepted: one of envelope, multiscale, full"):
        TrialSettings(method="rk4")
    schema = read_yaml("config/schema.yaml")["properties"]["trials"]["properties"]["method"]
    assert tuple(schema["enum"]) == METHODS
    assert read_yaml("config/config.yaml")["trials"]["method"] == schema["default"]


def test_a_course_with_marrow_dose_changes_restarts_the_periodic_state_at_each_change():
    from stat3qsp.trial.marrow_course import modified_scans, patient_course
    from stat3qsp.trial.patient import PatientSimulator

    spec = load_trial_spec(NER)
    arm = spec.arm("neratinib_ruxolitinib")
    full, fast = PatientSimulator(method="full"), PatientSimulator(method="multiscale")
    hours = np.arange(1, 16) * 4 * HOURS_PER_WEEK
    for index in range(40):  # the first drawn patient whose course holds, then reduces the dose
        patient = full.draw_patient(arm.context, patient_generator(1, 0, index, 0), spec.population.body_weight)
        dosing = dosing_values(arm, full.regimens, patient.body_weight_kg)
        course, dose_id, start_id = patient_course(full, spec, arm, patient, dosing, 0, index, 1, hours[-1])
        changes = course.changes()
        if [dose for _, dose in changes][:2] == [0.0, 20.0]:
            break
    assert [dose for _, dose in changes][:2] == [0.0, 20.0], "no patient of 40 has a hold then a reduced dose"
    reference = modified_scans(full, patient, dosing, hours, changes, dose_id, start_id)
    got = modified_scans(fast, patient, dosing, hours, changes, dose_id, start_id)
    assert np.max(np.abs(np.log(got / reference))) < 1e-4
    last_change = max(at for at, _ in changes)
    found = multiscale.warmup_end(fast, patient, {**dosing, dose_id: changes[-1][1], start_id: last_change},
                                  hours[-1], FAST_INTERVAL_MAX_H, last_change)
    assert found is not None and (hours > sum(found)).sum() >= 5  # the last piece is extrapolated


def test_a_stop_before_the_periodic_start_integrates_no_further(patient_simulator, monkeypatch):
    """A patient who progresses at a scan of the warm-up costs no more than the full integration: nothing
    is integrated past that scan (no rest of the warm-up, no steady period)."""
    spec = load_trial_spec(NER)
    patient, dosing = _patient(patient_simulator, spec, "neratinib_ruxolitinib")
    hours = np.arange(1, 13) * 1 * HOURS_PER_WEEK
    start, _ = multiscale.warmup_end(patient_simulator, patient, dosing, hours[-1], FAST_INTERVAL_MAX_H)
    assert hours[1] < start  # the stop scan is inside the warm-up
    reached = []
    segment = patient_simulator._segment

    def recording(x0, times):
        reached.append(float(times[-1]))
        return segment(x0, times)
    monkeypatch.setattr(patient_simulator, "_segment", recording)
    sld = patient_simulator.scans(patient, dosing, hours, stop=lambda baseline, so_far: so_far.size == 2,
                                  method="multiscale")
    assert max(reached) == hours[1]
    assert np.isfinite(sld[:2]).all() and np.isnan(sld[2:]).all()
    unstopped = patient_simulator.scans(patient, dosing, hours, method="multiscale")
    assert max(reached) > start  # without the stop the warm-up and the steady period are integrated
    assert np.max(np.abs(np.log(sld[:2] / unstopped[:2]))) < 1e-12  # the same scans either way
