"""Response is possible where a drug is active: strong target inhibition in a sensitive context gives
confirmed partial responses (issue 13), and no inhibition gives none; the fitted drug-sensitive subgroup of
trastuzumab-resistant disease responds to lapatinib, and its sensitivity acts only through kinase inhibition."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from stat3qsp.trial import columns as tc
from stat3qsp.trial.runner import run_trial
from stat3qsp.trial.simulate import TrialSettings
from stat3qsp.trial.spec import load_trial_spec
from stat3qsp.trial.spec_types import TargetInhibition

from stat3qsp.calibration.subgroup import FACTOR, SENSITIVITY

EGF104900 = "trials/EGF104900.yaml"  # her2_trastuzumab_resistant, RECIST 1.0, scans every 4 weeks
VOGEL = "trials/vogel2002.yaml"  # her2_amplified, WHO/RECIST thresholds, responses confirmed >= 4 weeks later


@pytest.fixture(scope="module")
def outcomes():
    spec = load_trial_spec(VOGEL)
    base = spec.arm("trastuzumab_standard_dose")
    clamp = dataclasses.replace(base, name="full_her2_inhibition", counterfactual=True, rationale="test", drugs=(),
                                target_inhibition=(TargetInhibition("her2", 1.0, 1),), endpoints=())
    untreated = dataclasses.replace(clamp, name="no_inhibition", target_inhibition=(TargetInhibition("her2", 0.0, 1),))
    spec = dataclasses.replace(spec, arms=(clamp, untreated))
    result = run_trial(spec, TrialSettings(replicates=1, seed=3, patients=16, horizon_weeks=40))
    return {arm: part.reset_index(drop=True) for arm, part in result.patients.groupby(tc.ARM)}


def test_full_her2_inhibition_in_her2_amplified_disease_gives_confirmed_partial_responses(outcomes):
    clamp = outcomes["full_her2_inhibition"]
    responders = clamp[clamp[tc.BEST_RESPONSE].isin([tc.PR, tc.CR])]
    assert len(responders) >= 4  # a quarter of the patients or more
    # confirmed: the response was seen at a scan with a later counted scan at least 4 weeks after it
    assert np.all(responders[tc.BEST_PCT_CHANGE] <= -30.0)
    assert np.all(responders[tc.N_SCANS] >= 2)
    assert np.all(responders[tc.PFS_WEEKS] >= responders[tc.RESPONSE_WEEKS] + 4.0)


def test_the_same_patients_without_inhibition_do_not_respond_and_progress_sooner(outcomes):
    clamp, none = outcomes["full_her2_inhibition"], outcomes["no_inhibition"]
    assert np.allclose(clamp["baseline_sld_mm"], none["baseline_sld_mm"])  # common random numbers
    assert not none[tc.BEST_RESPONSE].isin([tc.PR, tc.CR]).any()
    assert np.all(none[tc.BEST_PCT_CHANGE].dropna() > -30.0)
    assert np.all(none[tc.PFS_WEEKS] <= clamp[tc.PFS_WEEKS] + 1e-9)
    assert none[tc.PFS_WEEKS].median() < clamp[tc.PFS_WEEKS].median()


# -- the fitted drug-sensitive subgroup of trastuzumab-resistant disease (models/population.yaml) -------------

def _scan_outcomes(spec, sim, patient, arm, scan_weeks, sensitivity):
    """RECIST outcomes (the runner's reading) of one patient of *arm* at *scan_weeks*, with its
    ``tumour_sensitivity`` set to *sensitivity*."""
    from stat3qsp.calibration.targets import scan_outcomes
    from stat3qsp.calibration.tumour import TumourCourses
    from stat3qsp.trial.regimen import dosing_values

    values = {**patient.values, SENSITIVITY: sensitivity}
    sld = sim.scans(dataclasses.replace(patient, values=values), dosing_values(arm, sim.regimens, patient.body_weight_kg),
                    scan_weeks * 168.0)
    courses = TumourCourses(scan_weeks[None, :], np.array([patient.baseline_sld_mm]), np.zeros(1),
                            np.log(sld / patient.baseline_sld_mm)[None, :])
    return sld, scan_outcomes(courses, 1.0, spec).iloc[0]


@pytest.fixture(scope="module")
def sensitive_patients():
    """The first patients of the fitted population (EGF104900's resistant context, seed 5) in the subgroup."""
    from stat3qsp.trial.patient import PatientSimulator
    from stat3qsp.trial.population import BIOLOGY_STREAM, patient_generator

    spec = load_trial_spec(EGF104900)
    arm = spec.arm("lapatinib_monotherapy")
    sim = PatientSimulator()
    factor = sim.context_values(arm.context)[FACTOR]
    found = []
    for i in range(120):
        patient = sim.draw_patient(arm.context, patient_generator(5, 0, i, BIOLOGY_STREAM), spec.population.body_weight)
        if patient.values[SENSITIVITY] > 0.5 * (1.0 + factor):
            found.append(patient)
        if len(found) == 4:
            break
    return spec, sim, factor, found


def test_the_fitted_subgroup_gives_confirmed_partial_responses_to_lapatinib_in_resistant_disease(sensitive_patients):
    spec, sim, factor, found = sensitive_patients
    assert factor > 1.0 and len(found) == 4  # a fitted subgroup of some size (share > 1/30)
    arm, scans = spec.arm("lapatinib_monotherapy"), np.arange(4.0, 33.0, 4.0)
    responses = 0
    for patient in found:
        sld, outcome = _scan_outcomes(spec, sim, patient, arm, scans, patient.values[SENSITIVITY])
        sld_plain, plain = _scan_outcomes(spec, sim, patient, arm, scans, 1.0)
        assert np.all(sld <= sld_plain * (1 + 1e-6))  # the subgroup's kinase dependence only adds drug effect
        assert plain[tc.BEST_RESPONSE] not in (tc.PR, tc.CR)  # without it lapatinib gives no response
        if outcome[tc.BEST_RESPONSE] in (tc.PR, tc.CR):
            responses += 1
            assert outcome[tc.BEST_PCT_CHANGE] <= -30.0 and outcome[tc.PFS_WEEKS] >= outcome[tc.RESPONSE_WEEKS] + 4.0
    assert responses >= 1


def test_the_subgroup_does_not_change_a_course_without_kinase_inhibition(sensitive_patients):
    spec, sim, _, found = sensitive_patients
    control = load_trial_spec("trials/NCT02066532.yaml").arm("historical_control")  # trastuzumab alone
    assert not any(d.drug in ("lapatinib", "neratinib") for d in control.drugs)
    scans = np.arange(3.0, 25.0, 3.0)
    sld, _ = _scan_outcomes(spec, sim, found[0], control, scans, found[0].values[SENSITIVITY])
    sld_plain, _ = _scan_outcomes(spec, sim, found[0], control, scans, 1.0)
    # trastuzumab leaves a trace of HER2 kinase inhibition: below 1e-7 relative (9e-9 for the patient found since the
    # doubling time is drawn, 2026-12-07; was below 1e-9 for the earlier population's patient)
    assert sld == pytest.approx(sld_plain, rel=1e-7)
