"""Stroboscopic envelope integration (stat3qsp.trial.envelope): schedules, exactness on periodic
forcing and agreement with the full integration of toy and patient models, trial endpoints."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import roadrunner

from stat3qsp.trial import envelope as env
from stat3qsp.trial import envelope_inputs as env_inputs
from stat3qsp.trial import recist
from stat3qsp.trial import columns as tc
from stat3qsp.errors import InputError
from stat3qsp.trial.patient import PatientSimulator
from stat3qsp.trial.regimen import dosing_values
from stat3qsp.trial.population import patient_generator
from stat3qsp.trial.reading import assessed_sld
from stat3qsp.trial.simulate import TrialSettings, draw_conduct
from stat3qsp.trial.runner import run_trial
from stat3qsp.trial.spec import load_trial_spec
from stat3qsp.trial.spec_types import Arm, TargetInhibition

TNBC_SPEC = "trials/ner_rux_mtnbc.yaml"
WEEK = 168.0
TWO_YEARS = 104 * WEEK

# Toy model: a fast twice-daily input (oral-like: first-order absorption and elimination), a slow
# 21-day cycle input (a quick rise after each infusion, then decay) and a clamp that steps at
# t = clamp_start act on x -> y; y lowers the growth rate g; L is the tumour's log-ratio, with a
# growth scale (0.01) and a kill scale (0.03) that differ, as in models/tumour/sld.ant.
TOY = """
model toy
  compartment cell = 1
  species x in cell, y in cell
  x = 0; y = 0
  L = 0
  since_dose := time - 12 * floor(time / 12)
  fast := 4 * (exp(-0.3 * since_dose) - exp(-2 * since_dose))
  since_infusion := time - 504 * floor(time / 504)
  slow := 1 + slow_amplitude * (1 - exp(-2 * since_infusion)) * exp(-0.002 * since_infusion)
  clamp := piecewise(0.5, time >= clamp_start, 0)
  J1: -> x; 0.5 * fast * slow * (1 - clamp)
  J2: x -> ; 0.5 * x
  J3: x -> x + y; 0.2 * x
  J4: y -> ; 0.2 * y
  g := 0.02 - 0.015 * y / (y + 0.3)
  L' = 0.01 * 0.02 + 0.03 * (g - 0.02) * exp(-lam * time)
  slow_amplitude = 0; clamp_start = 1e9; lam = 0.001
end
"""


TOY_SCALE = np.full(2, 5.0)
"""Species scale of the toy's residual norm (its untreated levels would be 0)."""


def _toy(**values) -> roadrunner.RoadRunner:
    import antimony
    antimony.clearPreviousLoads()
    assert antimony.loadAntimonyString(TOY) >= 0, antimony.getLastError()
    runner = roadrunner.RoadRunner(antimony.getSBMLString("toy"))
    integrator = runner.getIntegrator()
    integrator.setValue("relative_tolerance", 1e-10)
    integrator.setValue("absolute_tolerance", 1e-14)
    integrator.setValue("maximum_num_steps", 1000000)
    for key, value in values.items():
        runner.setValue(key, value)
    return runner


def _toy_run(runner, schedules, scans, x0=np.zeros(2), settings=env_inputs.EnvelopeSettings()):
    """L at the scans from species amounts *x0* at t = 0: envelope (one or two levels) and full
    integration, and the fine level's statistics."""
    runner.reset()
    runner.model.setFloatingSpeciesAmounts(list(x0))
    full = np.array(runner.simulate(times=[0.0, *scans], selections=["L"]))[1:, 0]
    runner.reset()
    rate = env_inputs.TumourRate(0.01, 0.02, runner.getValue("lam"))
    fine = env.EnvelopeIntegrator(env_inputs.roadrunner_segment(runner, ["x", "y"], "L"), rate, schedules[0],
                                  TOY_SCALE, settings)
    top = fine
    if schedules[1] is not None:
        top = env.EnvelopeIntegrator(fine.segment, rate, schedules[1], TOY_SCALE,
                                     env_inputs.EnvelopeSettings(tolerance=settings.tolerance, max_span_h=26 * WEEK,
                                                          contraction=0.1))
    return top.run(np.asarray(x0, dtype=float), scans), full, fine.statistics


# -- (a) schedules ------------------------------------------------------------------------------
def test_least_common_multiple_of_dosing_intervals():
    assert env_inputs._lcm([12.0]) == 12.0
    assert env_inputs._lcm([12.0, 24.0]) == 24.0
    assert env_inputs._lcm([8.0, 12.0]) == 24.0
    assert env_inputs._lcm([12.0, 504.0]) == 504.0
    assert env_inputs._lcm([1.5, 2.0]) == 6.0


def test_twice_daily_with_a_three_weekly_infusion_gives_two_levels():
    fine, coarse = env_inputs.input_schedules([env_inputs.DoseSeries(0.0, 12.0), env_inputs.DoseSeries(0.0, 504.0, 1.5)], [], 1100.0)
    assert (fine.period_h, fine.origin_h, coarse.period_h, coarse.origin_h) == (12.0, 0.0, 504.0, 0.0)
    assert set(fine.events) == {(0.0, 0.0), (0.0, 1.5), (504.0, 505.5), (1008.0, 1009.5), (1512.0, 1513.5)}
    assert set(coarse.events) == {(0.0, 0.0), (0.0, 1.5)}
    assert fine.event_ranges()[:, 0].tolist() == [0, 0, 42, 84, 126]


def test_schedules_of_daily_and_twice_daily_drugs_clamps_and_late_starts():
    fine, coarse = env_inputs.input_schedules([env_inputs.DoseSeries(0.0, 24.0), env_inputs.DoseSeries(0.0, 12.0)], [504.0], 1000.0)
    assert fine.period_h == 24.0 and coarse is None and (504.0, 504.0) in fine.events
    late, _ = env_inputs.input_schedules([env_inputs.DoseSeries(30.0, 12.0)], [], 100.0)
    assert late.origin_h == 6.0 and (30.0, 30.0) in late.events
    assert env_inputs.input_schedules([env_inputs.DoseSeries(0.0, 504.0)], [0.0], 1000.0) is None


def test_period_boundaries_belong_to_the_period_they_end():
    schedule = env_inputs.Schedule(12.0, 0.0, ((24.0, 24.0), (36.0, 37.5)))
    assert schedule.period_of(24.0) == 1 and schedule.period_of(24.5) == 2 and schedule.first_period(24.0) == 2
    assert schedule.event_ranges().tolist() == [[2, 2], [3, 3]]


# -- (b) toy models -------------------------------------------------------------------------------
def test_periodic_forcing_is_summed_exactly_with_the_resistance_weight():
    """Strictly periodic forcing from the periodic orbit: every skipped period's normalised
    increment equals the anchor's, so the geometric series reproduces the full integration to
    integrator precision."""
    runner = _toy(lam=0.002)
    periodic = np.array(runner.simulate(times=[0.0, 600.0], selections=["x", "y"]))[-1]
    schedules = env_inputs.input_schedules([env_inputs.DoseSeries(0.0, 12.0)], [], 2000.0)
    scans = np.array([500.0, 1003.0, 2000.0])
    envelope, full, statistics = _toy_run(runner, schedules, scans, periodic)
    assert envelope == pytest.approx(full, rel=1e-7, abs=1e-9)
    assert statistics.simulated < 0.1 * 2000.0 / 12.0


def test_modulated_forcing_with_a_step_and_cycles_agrees_within_the_tolerance():
    """Slow 21-day modulation (two levels) and a clamp from day 40: the error stays within the
    budget, tolerance per level and year."""
    runner = _toy(slow_amplitude=0.05, clamp_start=40 * 24.0, lam=0.001)
    horizon = 52 * WEEK
    schedules = env_inputs.input_schedules([env_inputs.DoseSeries(0.0, 12.0), env_inputs.DoseSeries(0.0, 504.0)], [40 * 24.0], horizon)
    scans = np.array([9.0, 18.0, 30.0, 52.0]) * WEEK - 5.0
    envelope, full, statistics = _toy_run(runner, schedules, scans)
    assert np.max(np.abs(envelope - full)) < 2 * 2 * env_inputs.EnvelopeSettings().tolerance
    assert statistics.simulated < 0.35 * horizon / 12.0


def test_stop_leaves_later_scans_unsimulated():
    runner = _toy(lam=0.002)
    schedules = env_inputs.input_schedules([env_inputs.DoseSeries(0.0, 12.0)], [], 2000.0)
    rate = env_inputs.TumourRate(0.01, 0.02, 0.002)
    seen = []
    integrator = env.EnvelopeIntegrator(env_inputs.roadrunner_segment(runner, ["x", "y"], "L"), rate, schedules[0], TOY_SCALE)
    runner.reset()
    out = integrator.run(np.zeros(2), np.array([100.0, 500.0, 900.0]), lambda i, L: seen.append(i) or i == 1)
    assert seen == [0, 1] and np.all(np.isfinite(out[:2])) and np.isnan(out[2])


# -- (c) patients ---------------------------------------------------------------------------------
def _her2_clamp_arm(nct_spec) -> Arm:
    """The trial's regimen with HER2 half clamped from day 22 (a counterfactual step mid-cycle)."""
    base = nct_spec.arm("ruxolitinib_trastuzumab")
    return Arm("her2_clamp_day22", "test", True, None, base.context, 2, base.drugs,
               (TargetInhibition("her2", 0.5, 22),), ())


def _compare(patient_simulator, trial_spec, arm, seed, index):
    """SLD at two years of scans (the nct_spec's schedule and window) by both methods, and whether
    RECIST reads every scan the same."""
    weight = trial_spec.population.body_weight
    patient = patient_simulator.draw_patient(arm.context, patient_generator(seed, 0, index, 0), weight)
    conduct = draw_conduct(trial_spec, patient_simulator.population, patient_generator(seed, 0, index, 1), 104.0)
    dosing = dosing_values(arm, patient_simulator.regimens, patient.body_weight_kg)
    hours = conduct.scan_weeks * WEEK
    full = patient_simulator.scans(patient, dosing, hours, method="full")
    envelope = patient_simulator.scans(patient, dosing, hours, method="envelope")
    baseline = patient.baseline_sld_mm
    def read(sld):
        return recist.classify_scans(baseline, assessed_sld(sld, baseline, conduct.measurable), rules=trial_spec.recist)

    same = read(full) == read(envelope)
    return full, envelope, same, patient_simulator.last_statistics


@pytest.mark.parametrize("arm_name", ["ruxolitinib_trastuzumab", "ruxolitinib_100mg_bid", "trastuzumab_sensitive",
                                      "her2_clamp_day22"])
def test_envelope_agrees_with_the_full_integration(patient_simulator, nct_spec, arm_name):
    """Two patients per arm, two years of scans: within 0.1 mm wherever the tumour is of clinical
    size (< 1 m), within the envelope's error budget in ln SLD everywhere (docs/envelope.md: each of the
    two levels adds at most its tolerance to L per year; 2e-4 over two years; the two seed-11 patients of
    the clamp arm are both in the sensitive subgroup, whose drug effect is ~30x, and reach 1.6e-4), and
    RECIST reads every scan the same."""
    from stat3qsp.trial.patient import COARSE_SETTINGS, FINE_SETTINGS
    budget = (FINE_SETTINGS.tolerance + COARSE_SETTINGS.tolerance) * TWO_YEARS / (52 * WEEK)
    arm = _her2_clamp_arm(nct_spec) if arm_name == "her2_clamp_day22" else nct_spec.arm(arm_name)
    for index in (0, 1):
        full, envelope, same, statistics = _compare(patient_simulator, nct_spec, arm, 11, index)
        clinical = full < 1000.0
        assert np.max(np.abs(envelope - full)[clinical]) < 0.1
        assert np.max(np.abs(np.log(envelope / full))) < budget
        assert same
        assert statistics[0].simulated < 0.35 * TWO_YEARS / 12.0


def test_envelope_agrees_for_daily_neratinib_with_twice_daily_ruxolitinib(patient_simulator):
    """A 24-h period (least common multiple of 24 and 12 h), a single level (no long-interval drug)."""
    tnbc = load_trial_spec(TNBC_SPEC)
    full, envelope, same, statistics = _compare(patient_simulator, tnbc, tnbc.arm("neratinib_ruxolitinib"), 3, 0)
    assert np.max(np.abs(envelope / full - 1.0)) < 1e-4 and same
    assert len(statistics) == 1 and statistics[0].simulated < 0.2 * TWO_YEARS / 24.0


def test_a_responding_tumour_agrees(patient_simulator, nct_spec):
    """The strongest responder (over the first 27 weeks) among 12 patients in trastuzumab-sensitive
    disease shrinks by more than 30% (partial response); both methods see the same course."""
    arm = nct_spec.arm("trastuzumab_sensitive")
    scans = np.arange(1, 12) * 9 * WEEK
    candidates = [_patient_and_dosing(patient_simulator, nct_spec, arm, i) for i in range(12)]
    nadir = [np.min(patient_simulator.scans(p, d, scans[:3])) / p.baseline_sld_mm for p, d in candidates]
    patient, dosing = candidates[int(np.argmin(nadir))]
    envelope = patient_simulator.scans(patient, dosing, scans)
    full = patient_simulator.scans(patient, dosing, scans, method="full")
    assert np.min(full) < 0.7 * patient.baseline_sld_mm
    assert np.max(np.abs(envelope - full)) < 0.1
    assert (recist.classify_scans(patient.baseline_sld_mm, full, rules=nct_spec.recist)
            == recist.classify_scans(patient.baseline_sld_mm, envelope, rules=nct_spec.recist))


def _patient_and_dosing(patient_simulator, nct_spec, arm, index):
    patient = patient_simulator.draw_patient(arm.context, patient_generator(7, 0, index, 0), nct_spec.population.body_weight)
    return patient, dosing_values(arm, patient_simulator.regimens, patient.body_weight_kg)


def test_envelope_agrees_with_a_tight_full_integration(patient_simulator, nct_spec):
    """Against a 1e-9 relative-tolerance full integration, within 2e-5 of SLD (the full integration
    at trial tolerances is within about 1e-5 here)."""
    patient, dosing = _patient_and_dosing(patient_simulator, nct_spec, nct_spec.arm("ruxolitinib_100mg_bid"), 0)
    scans = np.arange(3.0, 53.0, 3.0) * WEEK
    tight = PatientSimulator(relative_tolerance=1e-9, absolute_tolerance=1e-13, method="full")
    reference = tight.scans(patient, dosing, scans)
    envelope = patient_simulator.scans(patient, dosing, scans)
    assert np.max(np.abs(envelope / reference - 1.0)) < 2e-5


def test_stop_rule_stops_at_the_same_scan(patient_simulator, nct_spec):
    patient, dosing = _patient_and_dosing(patient_simulator, nct_spec, nct_spec.arm("ruxolitinib_trastuzumab"), 2)
    scans = np.arange(1, 9) * 9 * WEEK
    grows = lambda baseline, sld: sld[-1] > 1.1 * baseline  # noqa: E731
    full = patient_simulator.scans(patient, dosing, scans, stop=grows, method="full")
    envelope = patient_simulator.scans(patient, dosing, scans, stop=grows)
    assert np.array_equal(np.isnan(full), np.isnan(envelope)) and np.isnan(full).any()
    assert np.nanmax(np.abs(envelope - full)) < 0.1


def test_unknown_method_is_refused(patient_simulator, nct_spec):
    with pytest.raises(InputError, match="method = 'euler'"):
        PatientSimulator(method="euler")
    patient, dosing = _patient_and_dosing(patient_simulator, nct_spec, nct_spec.arm("historical_control"), 0)
    with pytest.raises(InputError, match="accepted: one of envelope, multiscale, full"):
        patient_simulator.scans(patient, dosing, np.array([WEEK]), method="rk4")


# -- (d) a small trial end to end -----------------------------------------------------------------
def test_trial_endpoints_are_the_same_with_either_method(nct_spec):
    settings = TrialSettings(replicates=2, seed=5, patients=3, horizon_weeks=40,
                             arms=("ruxolitinib_trastuzumab", "ruxolitinib_100mg_bid"), method="envelope")
    envelope = run_trial(nct_spec, settings)
    full = run_trial(nct_spec, replace(settings, method="full"))
    assert envelope.replicate_endpoints.equals(full.replicate_endpoints)
    assert envelope.comparison.equals(full.comparison)
    columns = [tc.BEST_RESPONSE, tc.PFS_WEEKS, tc.EVENT, tc.N_SCANS]
    assert envelope.patients[columns].equals(full.patients[columns])
    # Each method errs by up to about 1.5e-5 relative (against a 1e-10 relative-tolerance run, on
    # these patients), in opposite directions for a 330-mm tumour: allow a relative 5e-5.
    assert np.allclose(envelope.sld["sld_mm"], full.sld["sld_mm"], rtol=5e-5, atol=0.01)
