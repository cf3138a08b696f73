"""Virtual patients whose integration fails: retried with tighter integrator settings, then
recorded as failed with the reason, left out of the endpoints and counted (stat3qsp.trial.patient,
Failures; stat3qsp.trial.simulate; stat3qsp.trial.endpoints; stat3qsp.trial.summary).

Failures are forced by wrapping the patient_simulator's methods in this process (workers = 1)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from stat3qsp.trial import endpoints as ep
from stat3qsp.trial import columns as tc
from stat3qsp.io.tables import write_table_atomic
from stat3qsp.trial.patient import RETRY_MAX_STEPS_FACTOR, RETRY_TOLERANCE_FACTOR, PatientSimulator
from stat3qsp.trial.names import BASELINE
from stat3qsp.trial.simulate import TrialSettings, simulate_patient, simulate_trial
from stat3qsp.trial.assessment import assess, summarise
from stat3qsp.trial.summary import data_roles, failed_patients, predicted_vs_observed, summary_html, target_summary

ARM = "ruxolitinib_trastuzumab"
SEED, WEEKS, PATIENTS = 3, 20.0, 8


@pytest.fixture(scope="module")
def clean(nct_spec, patient_simulator):
    """The patients without forced failures, and the indices of the first three with a scan."""
    records = [simulate_patient(patient_simulator, nct_spec, nct_spec.arm(ARM), 0, i, SEED, WEEKS) for i in range(PATIENTS)]
    scanned = [i for i, r in enumerate(records) if np.isfinite(r.sld_mm).any()]
    assert len(scanned) >= 3
    return records, scanned[:3]


def forced(patient_simulator, monkeypatch, fail_always=(), fail_first=(), when="treatment"):
    """Make the integration of chosen patients raise as roadrunner does (RuntimeError): always, or
    only at the patient_simulator's own settings (the retry succeeds). Returns the integrator's settings
    at every attempt of every patient, read from the integrator itself."""
    current, attempts = {}, {}
    method = "start_treatment" if when == "treatment" else "_preequilibrate"
    original = getattr(patient_simulator, method)

    def wrapper(*args, **kwargs):
        result = original(*args, **kwargs)
        integrator = patient_simulator.model.runner.getIntegrator()
        settings = tuple(integrator.getValue(k) for k in ("relative_tolerance", "absolute_tolerance", "maximum_num_steps"))
        attempts.setdefault(current["patient"], []).append(settings)
        tight = settings[2] > patient_simulator.max_steps
        if current["patient"] in fail_always or (current["patient"] in fail_first and not tight):
            raise RuntimeError("CVODE Error: CV_ERR_FAILURE: forced by the test")
        return result

    monkeypatch.setattr(patient_simulator, method, wrapper)
    return current, attempts


def run(nct_spec, patient_simulator, current):
    records = []
    for i in range(PATIENTS):
        current["patient"] = i
        records.append(simulate_patient(patient_simulator, nct_spec, nct_spec.arm(ARM), 0, i, SEED, WEEKS))
    return records


def test_a_failing_patient_is_retried_with_tighter_settings_then_recorded_as_failed(nct_spec, patient_simulator, clean,
                                                                                    monkeypatch):
    reference, (failing, retried, fine) = clean
    current, attempts = forced(patient_simulator, monkeypatch, fail_always={failing}, fail_first={retried})
    records = run(nct_spec, patient_simulator, current)

    for patient in (failing, retried):
        first, second = attempts[patient]
        assert second[0] == pytest.approx(first[0] / RETRY_TOLERANCE_FACTOR)
        assert second[1] == pytest.approx(first[1] / RETRY_TOLERANCE_FACTOR)
        assert second[2] == first[2] * RETRY_MAX_STEPS_FACTOR
    assert len(attempts[fine]) == 1

    bad, again, good = records[failing], records[retried], records[fine]
    assert bad.status == tc.FAILED and np.isnan(bad.sld_mm).all()
    assert "forced by the test" in bad.failure_reason and "retry:" in bad.failure_reason
    assert again.status == tc.RETRIED and "forced by the test" in again.failure_reason
    assert np.isfinite(again.sld_mm).any()
    assert np.allclose(again.sld_mm, reference[retried].sld_mm, rtol=1e-3, equal_nan=True)
    assert good.status == tc.OK and good.failure_reason == ""
    assert np.array_equal(good.sld_mm, reference[fine].sld_mm, equal_nan=True)

    patients, sld = assess(records, nct_spec)
    row = patients.set_index(tc.PATIENT).loc[failing]
    assert row[tc.STATUS] == tc.FAILED and np.isnan(row[tc.PFS_WEEKS]) and pd.isna(row[tc.EVENT])
    assert failing not in set(sld[tc.PATIENT]) and retried in set(sld[tc.PATIENT])
    assert list(patients.columns[:len(tc.PATIENT_COLUMNS)]) == list(tc.PATIENT_COLUMNS)

    endpoints = ep.trial_endpoints(patients).set_index(tc.ENDPOINT)
    assert (endpoints[tc.N_FAILED] == 1).all()
    assert endpoints.loc[tc.ORR, tc.N_PATIENTS] == PATIENTS - 1
    without = ep.trial_endpoints(patients[patients[tc.STATUS] != tc.FAILED]).set_index(tc.ENDPOINT)
    pd.testing.assert_series_equal(endpoints[tc.VALUE], without[tc.VALUE])
    assert (without[tc.N_FAILED] == 0).all()


def test_failed_patients_are_counted_through_the_tables_and_the_report(nct_spec, patient_simulator, clean, monkeypatch,
                                                                         tmp_path):
    _, (failing, _, _) = clean
    current, _ = forced(patient_simulator, monkeypatch, fail_always={failing})
    patients, _ = assess(run(nct_spec, patient_simulator, current), nct_spec)
    settings = TrialSettings(replicates=1, seed=SEED, patients=PATIENTS, horizon_weeks=WEEKS, arms=(ARM,))
    per_replicate, comparison = summarise(patients, nct_spec, settings)

    # the workflow gathers shards from TSV: the same endpoints from the table read back
    write_table_atomic(tmp_path / "patients.tsv", patients)
    read = pd.read_csv(tmp_path / "patients.tsv", sep="\t")
    again, _ = summarise(read, nct_spec, settings)
    pd.testing.assert_frame_equal(per_replicate, again, check_dtype=False)

    assert set(comparison.loc[comparison[tc.N_REPLICATES].notna(), tc.N_FAILED]) == {1}
    assert failed_patients(comparison) == 1
    page = summary_html(nct_spec, data_roles(nct_spec, {}), predicted_vs_observed(comparison),
                        target_summary(nct_spec, comparison, per_replicate), failed=failed_patients(comparison))
    assert "Failed virtual patients: 1 " in page
    assert failed_patients(comparison.drop(columns=[tc.N_FAILED])) is None
    assert "Failed virtual patients: unknown" in summary_html(nct_spec, data_roles(nct_spec, {}),
                                                              predicted_vs_observed(comparison),
                                                              target_summary(nct_spec, comparison, per_replicate))


def test_a_patient_whose_draw_fails_is_recorded_with_its_conduct(nct_spec, patient_simulator, clean, monkeypatch):
    _, (failing, _, _) = clean
    current, attempts = forced(patient_simulator, monkeypatch, fail_always={failing}, when="draw")
    record = run(nct_spec, patient_simulator, current)[failing]
    assert record.status == tc.FAILED and record.draws == 0 and np.isnan(record.baseline_sld_mm)
    assert record.failure_reason.startswith("pre-equilibration:")
    assert len(attempts[failing]) == 2 and attempts[failing][1][0] < attempts[failing][0][0]
    assert record.conduct.scan_weeks.size > 0


def test_a_non_finite_sld_is_a_failure_never_a_silent_nan(nct_spec, clean, monkeypatch):
    patient_simulator = PatientSimulator(method="full")
    _, (failing, _, fine) = clean
    original = patient_simulator.start_treatment

    def infinite_baseline(patient, dosing, tolerances=None, max_steps=None):
        original(patient, dosing, tolerances, max_steps)
        if patient is chosen["patient"]:
            patient_simulator.model.runner.setValue(BASELINE, np.inf)

    chosen = {}
    draw = patient_simulator.draw_patient
    monkeypatch.setattr(patient_simulator, "start_treatment", infinite_baseline)
    monkeypatch.setattr(patient_simulator, "draw_patient", lambda *a: chosen.setdefault("patient", draw(*a)))
    record = simulate_patient(patient_simulator, nct_spec, nct_spec.arm(ARM), 0, failing, SEED, WEEKS)
    assert record.status == tc.FAILED and "non-finite SLD (inf)" in record.failure_reason
    assert record.failure_reason.count("non-finite SLD") == 2


def test_no_failures_in_a_normal_trial(nct_spec):
    records = simulate_trial(nct_spec, TrialSettings(replicates=1, seed=SEED, patients=4, horizon_weeks=WEEKS, arms=(ARM,)))
    patients, _ = assess(records, nct_spec)
    assert set(patients[tc.STATUS]) <= {tc.OK, tc.RETRIED}
    assert (ep.trial_endpoints(patients)[tc.N_FAILED] == 0).all()
