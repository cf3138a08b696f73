"""One virtual patient: regimen -> parameters and dosing series, pre-treatment steady state, the
Claret-type tumour equation, integrator tolerance and reproducible draws. The envelope method is
tested against the full integration in tests/test_envelope.py."""
from __future__ import annotations

import math

import numpy as np
import pytest

from stat3qsp.errors import InputError
from stat3qsp.trial.envelope_inputs import DoseSeries
from stat3qsp.trial.patient import DEFAULT_METHOD, TRIAL_RELATIVE_TOLERANCE, PatientSimulator
from stat3qsp.trial.regimen import dose_series, dosing_values, off_values
from stat3qsp.trial.population import patient_generator, read_population, volume_doubling_days
from stat3qsp.trial.spec import parse_dose, parse_interval
from stat3qsp.trial.spec_types import Arm, DrugRegimen, LoadingDose, TargetInhibition

WEEK = 168.0


@pytest.fixture(scope="module")
def patient(patient_simulator, nct_spec):
    return patient_simulator.draw_patient("her2_trastuzumab_resistant", patient_generator(7, 0, 0, 0), nct_spec.population.body_weight)


def _arm(drugs=(), clamps=()):
    return Arm("a", "test arm", False, None, "her2_trastuzumab_resistant", 1, tuple(drugs), tuple(clamps), ())


def test_regimen_sets_doses_from_body_weight_interval_and_start_day(patient_simulator, nct_spec):
    values = dosing_values(nct_spec.arm("ruxolitinib_trastuzumab"), patient_simulator.regimens, 80.0)
    assert values["tras_dose"] == pytest.approx(6 * 80.0)
    assert values["tras_loading_dose"] == pytest.approx(8 * 80.0)
    assert values["tras_interval"] == pytest.approx(21 * 24.0)
    assert values["rux_dose"] == 25.0 and values["rux_interval"] == 12.0
    assert values["rux_start"] == 0.0 and values["tras_start"] == 0.0 and values["jak_clamp_fraction"] == 0.0
    control = dosing_values(nct_spec.arm("historical_control"), patient_simulator.regimens, 80.0)
    assert control["rux_dose"] == 0.0
    clamp = dosing_values(nct_spec.arm("full_jak_inhibition"), patient_simulator.regimens, 80.0)
    assert clamp["jak_clamp_fraction"] == 1.0 and clamp["rux_dose"] == 0.0


def test_regimen_start_day_and_missing_loading_dose(patient_simulator):
    regimen = DrugRegimen("trastuzumab", parse_dose("2 mg/kg"), "iv", parse_interval("7 d"), "continuous", 8)
    values = dosing_values(_arm([regimen]), patient_simulator.regimens, 50.0)
    assert values["tras_start"] == 7 * 24.0
    assert values["tras_loading_dose"] == values["tras_dose"] == 100.0


@pytest.mark.parametrize("arm, named", [
    (_arm([DrugRegimen("tucatinib", parse_dose("300 mg"), "oral", parse_interval("12 h"), "continuous", 1)]), "'tucatinib'"),
    (_arm([DrugRegimen("neratinib", parse_dose("240 mg"), "iv", parse_interval("24 h"), "continuous", 1)]), "'iv'"),
    (_arm([DrugRegimen("ruxolitinib", parse_dose("25 mg"), "iv", parse_interval("12 h"), "continuous", 1)]), "'iv'"),
    (_arm([DrugRegimen("ruxolitinib", parse_dose("25 mg"), "oral", parse_interval("12 h"), "continuous", 1,
                       LoadingDose(parse_dose("50 mg"), "first", 0))]), "loading dose"),
    (_arm(clamps=[TargetInhibition("stat3", 1.0, 1)]), "'stat3'"),
])
def test_regimens_the_model_cannot_give_are_refused(patient_simulator, arm, named):
    with pytest.raises(InputError, match=named):
        dosing_values(arm, patient_simulator.regimens, 70.0)


def test_pretreatment_state_is_the_untreated_steady_state(patient_simulator, patient):
    """Without drug the drug effect g(t) - g0 is zero, so SLD grows exactly as SLD0 exp(scale g0 t)."""
    hours = 26 * WEEK
    course = patient_simulator.time_course(patient, off_values(patient_simulator.regimens), hours, 27,
                                   selections=("SLD", "net_growth_rate"))
    assert np.max(np.abs(course["net_growth_rate"] - patient.untreated_growth_rate)) < 1e-6 * patient.untreated_growth_rate
    expected = patient.baseline_sld_mm * np.exp(patient.values["tumour_rate_scale"] * patient.untreated_growth_rate
                                                * course["time_h"])
    assert course["SLD"].to_numpy() == pytest.approx(expected.to_numpy(), rel=1e-6)


def test_drug_effect_fades_with_resistance(patient_simulator, nct_spec, patient):
    """Claret form: with a fast resistance rate the treated course approaches the untreated one."""
    arm = nct_spec.arm("full_jak_inhibition")
    dosing = dosing_values(arm, patient_simulator.regimens, patient.body_weight_kg)
    scans = np.array([9.0, 18.0]) * WEEK
    untreated = patient_simulator.scans(patient, off_values(patient_simulator.regimens), scans)
    treated = patient_simulator.scans(patient, dosing, scans)
    fast = dict(patient.values, tumour_resistance_k=1.0)
    resistant = patient_simulator.scans(type(patient)(**{**patient.__dict__, "values": fast}), dosing, scans)
    assert np.all(treated < untreated)
    assert resistant == pytest.approx(untreated, rel=2e-3)


def test_trial_tolerance_sld_agrees_with_a_tight_tolerance_run(nct_spec, patient):
    """Loose trial tolerances change SLD by far less than 0.5 mm (here < 0.05 mm) on a BID regimen,
    integrated in full (the reference method)."""
    arm = nct_spec.arm("ruxolitinib_100mg_bid")
    scans = np.array([9.0, 18.0, 27.0]) * WEEK
    loose = PatientSimulator(method="full")
    tight = PatientSimulator(relative_tolerance=1e-10, absolute_tolerance=1e-14, method="full")
    dosing = dosing_values(arm, loose.regimens, patient.body_weight_kg)
    assert loose.tolerances[0] == TRIAL_RELATIVE_TOLERANCE and PatientSimulator().method == DEFAULT_METHOD == "envelope"
    difference = np.abs(loose.scans(patient, dosing, scans) - tight.scans(patient, dosing, scans))
    assert np.max(difference) < 0.05


def test_dosing_series_and_clamp_steps_of_a_regimen(patient_simulator, nct_spec):
    """What the envelope method reads from a regimen: ruxolitinib every 12 h, trastuzumab every 21
    days infused over tras_infusion_time, clamp start times; drugs not dosed are left out."""
    values = patient_simulator.context_values("her2_trastuzumab_resistant")
    dosing = dosing_values(nct_spec.arm("ruxolitinib_trastuzumab"), patient_simulator.regimens, 70.0)
    series, steps = dose_series(dosing, patient_simulator.regimens, values)
    assert sorted(series, key=lambda d: d.interval_h) == [
        DoseSeries(0.0, 12.0, 0.0), DoseSeries(0.0, 504.0, values["tras_infusion_time"])]
    assert steps == []
    clamp = dosing_values(_arm(clamps=[TargetInhibition("her2", 0.5, 8)]), patient_simulator.regimens, 70.0)
    assert dose_series(clamp, patient_simulator.regimens, values) == ([], [7 * 24.0])


def test_scans_stop_after_the_stop_rule_fires(patient_simulator, nct_spec, patient):
    dosing = dosing_values(nct_spec.arm("historical_control"), patient_simulator.regimens, patient.body_weight_kg)
    sld = patient_simulator.scans(patient, dosing, np.array([9.0, 18.0, 27.0]) * WEEK, stop=lambda baseline, s: s.size == 2)
    assert np.all(np.isfinite(sld[:2])) and np.isnan(sld[2])
    with pytest.raises(InputError, match="increasing"):
        patient_simulator.scans(patient, dosing, np.array([18.0, 9.0]) * WEEK)


def test_same_streams_same_patient_and_plausible(patient_simulator, nct_spec):
    weight = nct_spec.population.body_weight
    a = patient_simulator.draw_patient("her2_trastuzumab_resistant", patient_generator(3, 1, 4, 0), weight)
    b = patient_simulator.draw_patient("her2_trastuzumab_resistant", patient_generator(3, 1, 4, 0), weight)
    c = patient_simulator.draw_patient("her2_trastuzumab_resistant", patient_generator(3, 1, 5, 0), weight)
    assert a.values == b.values and a.body_weight_kg == b.body_weight_kg and np.array_equal(a.state, b.state)
    assert a.values != c.values
    rules = patient_simulator.population.acceptance
    for p in (a, c):
        days = volume_doubling_days(p.values["tumour_rate_scale"], p.untreated_growth_rate)
        assert rules.doubling_days[0] <= days <= rules.doubling_days[1]
        assert days == pytest.approx(p.values["tumour_doubling_days"], rel=1e-12)  # the drawn one
        assert rules.baseline_sld_mm[0] <= p.baseline_sld_mm <= rules.baseline_sld_mm[1]


def test_lognormal_draws_are_centred_on_the_context_value(patient_simulator):
    population = patient_simulator.population
    centres = patient_simulator.context_values("her2_trastuzumab_resistant")
    share = next(d for d in population.distributions if d.parameter_id == "HER2_tras_insensitive_share")
    assert share.value(centres[share.parameter_id], 0.0) == pytest.approx(0.8)
    cl = next(d for d in population.distributions if d.parameter_id == "tras_CL")
    assert cl.value(1.0, 1.0) == pytest.approx(math.exp(math.sqrt(math.log1p(0.43 ** 2))))


def test_population_file_errors_name_the_key(tmp_path):
    path = tmp_path / "population.yaml"
    path.write_text("parameters: {HER2_level: {distribution: gamma, cv: 0.3, source: x}}\n"
                    "acceptance: {max_draws: 5}\nscan_window_weeks: {min: 0, max: 0, source: x}\n")
    with pytest.raises(InputError, match=r"parameters.HER2_level.distribution = 'gamma'.*lognormal"):
        read_population(path)
