"""The tumour module's two clinical scales (models/tumour/sld.ant) and their calibration
(stat3qsp.calibration.tumour): mechanism invariants of the growth/kill form (layer b), the calibration's
pure functions against analytic answers and its joint solve on synthetic courses (layer a), the
table values against their calibration targets, and responses in trastuzumab-sensitive disease."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from stat3qsp.trial import columns as tc
from stat3qsp.calibration.tumour import (KILL_CALIBRATION_ARM, TumourCourses,
                                         fit_kill_scale, latent_best_ratio, latent_orr, median_latent_pfs, solve_scales)
from stat3qsp.errors import InputError
from stat3qsp.trial.patient import PatientSimulator
from stat3qsp.trial.regimen import dosing_values, off_values
from stat3qsp.trial.names import KILL_SCALE, RATE_SCALE
from stat3qsp.trial.population import patient_generator
from stat3qsp.trial.simulate import TrialSettings
from stat3qsp.trial.runner import run_trial
from stat3qsp.trial.spec import load_trial_spec

SPEC = "trials/NCT02066532.yaml"
VOGEL = "trials/vogel2002.yaml"
WEEK = 168.0
SCANS = np.array([3.0, 9.0, 18.0]) * WEEK


@pytest.fixture(scope="module")
def spec():
    return load_trial_spec(SPEC)


@pytest.fixture(scope="module")
def vogel():
    return load_trial_spec(VOGEL)


@pytest.fixture(scope="module")
def tight():
    """Full integration at tight tolerances, so that identities hold to about 1e-7 in ln SLD."""
    return PatientSimulator(relative_tolerance=1e-9, absolute_tolerance=1e-12, method="full")


def _log_ratio(simulator, patient, dosing, kill=None, rate=None) -> np.ndarray:
    """ln(SLD / SLD0) at :data:`SCANS` with this patient's kill and growth scales set (both vary between
    patients, models/population.yaml, so they are set in the patient's values)."""
    values = {**patient.values, **({} if kill is None else {KILL_SCALE: kill}), **({} if rate is None else {RATE_SCALE: rate})}
    patient = dataclasses.replace(patient, values=values)
    return np.log(simulator.scans(patient, dosing, SCANS) / patient.baseline_sld_mm)


# -- (b) mechanism invariants ------------------------------------------------------------------------
def test_without_drug_there_is_no_kill_term(tight, spec):
    """No drug: g = g0, so ln(SLD/SLD0) = s g0 t whatever the kill scale."""
    patient = tight.draw_patient("her2_trastuzumab_resistant", patient_generator(7, 0, 0, 0),
                                 spec.population.body_weight)
    untreated = patient.values[RATE_SCALE] * patient.untreated_growth_rate * SCANS
    for kill in (0.0, 0.02, 1.0):
        assert _log_ratio(tight, patient, off_values(tight.regimens), kill) == pytest.approx(untreated, rel=1e-6)


def test_drug_effect_scales_with_the_kill_scale_only(tight, vogel):
    """On trastuzumab in sensitive disease: a kill scale of 0 leaves only the untreated growth; the
    effect is linear in the kill scale and shrinks the tumour; the growth scale moves only the
    untreated part s g0 t."""
    spec = vogel
    arm = spec.arm(KILL_CALIBRATION_ARM)
    patient = tight.draw_patient(arm.context, patient_generator(7, 0, 0, 0), spec.population.body_weight)
    dosing = dosing_values(arm, tight.regimens, patient.body_weight_kg)
    s, g0 = patient.values[RATE_SCALE], patient.untreated_growth_rate
    none, one, two = (_log_ratio(tight, patient, dosing, kill) for kill in (0.0, 0.01, 0.02))
    assert none == pytest.approx(s * g0 * SCANS, rel=1e-6)
    assert two - one == pytest.approx(one - none, rel=1e-5)
    assert np.all(one < none)
    faster = _log_ratio(tight, patient, dosing, 0.01, rate=2 * s)
    assert faster - one == pytest.approx(s * g0 * SCANS, rel=1e-5)


# -- (a) the calibration's pure functions ------------------------------------------------------------
def test_best_ratio_is_the_nadir_before_latent_progression():
    weeks = np.arange(1.0, 40.0)
    v_shape = 100.0 * np.exp(-0.05 * np.minimum(weeks, 10.0) + 0.05 * np.maximum(weeks - 10.0, 0.0))
    assert latent_best_ratio(weeks, v_shape, 100.0) == pytest.approx(math.exp(-0.5))
    assert latent_best_ratio(weeks, 100.0 * np.exp(0.05 * weeks), 100.0) == 1.0  # never below baseline
    # progression at week 1 (+30%): the shrinkage after it does not count
    late = np.where(weeks < 2.0, 130.0, 100.0 * np.exp(-0.1 * weeks))
    assert latent_best_ratio(weeks, late, 100.0) == 1.0


def test_courses_give_sld_in_closed_form():
    weeks = np.array([1.0, 2.0])
    courses = TumourCourses(weeks, np.array([50.0]), np.array([0.1]), np.array([[-3.0, -5.0]]))
    assert courses.sld(0.02) == pytest.approx(50.0 * np.exp(0.1 * weeks - 0.02 * np.array([3.0, 5.0]))[None, :])


def _synthetic(n: int = 201):
    """Patients with untreated growth ``s c_i`` per week; the first-line drug effect ``-d_i t`` and the
    control's ``-e_i t`` (per unit kill scale)."""
    rng = np.random.default_rng(5)
    weeks = np.arange(1.0, 105.0)
    base = np.full(n, 100.0)
    c, d, e = (rng.lognormal(np.log(m), 0.8, n) for m in (4.5, 3.4, 0.3))

    def courses_at(s: float) -> tuple[TumourCourses, TumourCourses]:
        return (TumourCourses(weeks, base, s * c, -e[:, None] * weeks),
                TumourCourses(weeks, base, s * c, -d[:, None] * weeks))
    return courses_at


def test_joint_solve_reproduces_both_targets():
    courses_at = _synthetic(101)
    rate, kill, evaluations = solve_scales(courses_at, lambda control, k: median_latent_pfs(control, k) - 8.0, 0.35)
    control, first_line = courses_at(rate)
    assert median_latent_pfs(control, kill) == pytest.approx(8.0, abs=0.02)
    assert latent_orr(first_line, kill) == pytest.approx(0.35, abs=1.0 / 101)
    assert evaluations > 2
    # the targets interact: without the kill scale's effect on the control its PFS would be shorter
    assert median_latent_pfs(control, 0.0) < 8.0 - 0.1


def test_an_orr_outside_the_bracket_is_refused():
    _, first_line = _synthetic()(0.01)
    with pytest.raises(InputError, match="not reached between tumour_kill_scale"):
        fit_kill_scale(first_line, 0.35, bracket=(1e-4, 1e-3))
    with pytest.raises(InputError, match="strictly between 0 and 1"):
        fit_kill_scale(first_line, 1.0)


# -- responses under each trial's conduct (the table's values meet their targets: tests/unit/test_calibrated.py) --
def test_trastuzumab_sensitive_disease_responds(spec, vogel):
    """With each trial's scans and conduct, trastuzumab-sensitive arms have responders; trastuzumab
    alone in the resistant population responds less."""
    settings = dict(replicates=1, seed=2, patients=20, horizon_weeks=20)
    nct = run_trial(spec, TrialSettings(arms=("historical_control", "trastuzumab_sensitive"), **settings))
    first_line = run_trial(vogel, TrialSettings(arms=(KILL_CALIBRATION_ARM,), **settings))
    table = pd.concat([nct.replicate_endpoints, first_line.replicate_endpoints])
    orr = table[table[tc.ENDPOINT] == tc.ORR].set_index(tc.ARM)[tc.VALUE]
    assert orr[KILL_CALIBRATION_ARM] > 0 and orr["trastuzumab_sensitive"] > 0
    assert orr["historical_control"] < orr[KILL_CALIBRATION_ARM]


def _step_courses(shares: dict[float, float]):
    """Courses whose growth excess is a step function of the scale: the share given per scale (a dict
    ordered by scale, the share of the largest key not above s), and a fixed first-line arm (41 patients:
    its kill scale is fitted at every evaluation and does not enter the step)."""
    first_line = _synthetic(41)(0.01)[1]

    def courses_at(s: float):
        return s, first_line

    def growth_excess(s: float, kill: float) -> float:
        return max((v for key, v in shares.items() if key <= s), default=0.0) - 0.5 - 0.25 / 12
    return courses_at, growth_excess


def test_the_growth_solve_returns_the_scale_just_over_the_target():
    # 5 of 12 below 0.03, 7 of 12 from 0.03: the returned scale meets the target (never the one just below)
    courses_at, growth_excess = _step_courses({0.0: 5 / 12, 0.03: 7 / 12})
    rate, _, _ = solve_scales(courses_at, growth_excess, 0.35, rate_bracket=(0.01, 0.1))
    assert growth_excess(rate, 0.0) > 0 and rate == pytest.approx(0.03, rel=2e-3)


def test_an_unreachable_growth_target_falls_back_within_one_patient_only():
    # the share saturates at 6 of 12 (KM exactly half): 7 of 12 is reached at no scale
    courses_at, growth_excess = _step_courses({0.0: 4 / 12, 0.02: 5 / 12, 0.05: 6 / 12})
    with pytest.raises(InputError, match="not reached between tumour_doubling_days"):
        solve_scales(courses_at, growth_excess, 0.35, rate_bracket=(0.01, 0.1))
    with pytest.warns(UserWarning, match="closest") as caught:
        rate, _, evaluations = solve_scales(courses_at, growth_excess, 0.35, rate_bracket=(0.01, 0.1),
                                            fallback_tolerance=1 / 12)
    assert caught[0].category.__name__ == "GrowthFallbackWarning"
    assert rate >= 0.05 and growth_excess(rate, 0.0) == pytest.approx(-0.25 / 12)
    assert evaluations == 9  # the log grid, ends included
