"""Marrow toxicity in the virtual trial (stat3qsp.trial.marrow_course and the course simulator it calls,
stat3qsp.toxicity.dosing.simulate_course; toxicity_rules, toxicity_endpoints).

The dose rules applied to counts (scripted and simulated), the coarse mean-effect step against the
fully resolved PK, the toxicity endpoints of a hand-made patients table, and the errors of a bad
``toxicity`` section of a spec.
"""
from __future__ import annotations

import copy
import math
import re

import numpy as np
import pandas as pd
import pytest

from stat3qsp.errors import InputError
from stat3qsp.io.yamlfiles import read_yaml
from stat3qsp.toxicity import dosing
from stat3qsp.toxicity.marrow import MarrowModel, effect_inputs, marrow_values, mean_effects
from stat3qsp.trial import columns as tc
from stat3qsp.trial import marrow_course as mc
from stat3qsp.trial.spec import trial_spec_from_dict
from stat3qsp.trial.toxicity_endpoints import toxicity_endpoints
from stat3qsp.trial.toxicity_rules import ToxicityRules

DAY = 24.0
SPEC = "trials/NCT02066532.yaml"


class ScriptedMarrow:
    """A marrow whose counts at successive checks are given (tests the rules, not the ODE)."""

    with_pk = False  # the coarse mean-effect inputs of the trial

    def __init__(self, counts: list[tuple[float, float, float]]):
        self.counts, self.values, self.calls = list(counts), marrow_values(), []

    def reset(self, overrides=None):
        self.calls.clear()

    def segment(self, t0, t1, points=2, **inputs):
        self.calls.append((t0, t1, inputs["neut_Emax"]))
        neut, plt, hb = self.counts.pop(0)
        return np.array([[t1, neut, plt, hb]])


BASE = {"neut_circ_0": 4.0, "plt_circ_0": 250.0, "rbc_Hb_0": 13.0}


def test_hold_then_restart_one_level_down_on_scripted_counts():
    # checks at day 7, 14, 21: ANC 0.8 (grade 3: hold), then 1.2 with platelets 100 (restart 20 mg), then normal.
    model = ScriptedMarrow([(0.8, 200.0, 12.5), (1.2, 100.0, 11.0), (2.0, 180.0, 11.5)])
    rules = dosing.read_dose_rules("grade3_hold")
    course = dosing.simulate_course(model, BASE, 25.0, 12.0, rules, np.array([7, 14, 21]) * DAY, 30 * DAY)
    assert course.doses.tolist() == [25.0, 0.0, 20.0, 20.0]
    assert course.changes() == [(7 * DAY, 0.0), (14 * DAY, 20.0)]
    # the held interval had no drug effect; the others had one
    assert [e == 0 for *_, e in model.calls] == [False, True, False]
    # grades at the checks: neutropenia 3 then 2 then 0 (ANC >= 1.8 LLN); anaemia 0 (Hb 12.5 >= 12), 1, 1
    assert course.grades[:, 0].tolist() == [0, 3, 2, 0]
    assert course.grades[:, 2].tolist() == [0, 0, 1, 1]
    full = mc.toxicity_values(course, 30 * DAY)
    assert full[mc.NEUTROPENIA_GRADE] == 3 and full[mc.ANAEMIA_GRADE] == 1 and full[mc.THROMBOCYTOPENIA_GRADE] == 1
    assert full[mc.DOSE_HELD] == 1 and full[mc.DOSE_REDUCED] == 1
    # mean dose: 25 mg for 7 d, 0 for 7 d, 20 mg for 16 d, over 30 d
    assert full[mc.MEAN_DOSE_MG] == pytest.approx((25 * 7 + 20 * 16) / 30)
    early = mc.toxicity_values(course, 5 * DAY)  # off treatment before the first check: nothing seen
    assert early[mc.NEUTROPENIA_GRADE] == 0 and early[mc.DOSE_HELD] == 0 and early[mc.DOSE_REDUCED] == 0


def test_a_hold_longer_than_the_limit_discontinues():
    low = (0.7, 200.0, 13.0)  # ANC stays < 1.0: held from day 7, never restarted
    model = ScriptedMarrow([low] * 6)
    rules = dosing.read_dose_rules("grade3_hold")
    checks = mc.check_hours(ToxicityRules(), 21 * DAY, 200 * DAY)
    assert (checks / DAY).tolist()[:5] == [7, 14, 21, 42, 63]
    course = dosing.simulate_course(model, BASE, 25.0, 12.0, rules, checks, 200 * DAY, max_hold_h=28 * DAY)
    # held at day 7; 14 and 21 d later still within 28 d; at day 42 (35 d) the drug stops
    assert course.stop_h == 42 * DAY
    assert mc.toxicity_values(course, 200 * DAY)[mc.TOXICITY_STOP_WEEKS] == pytest.approx(6.0)
    assert math.isnan(mc.toxicity_values(course, 30 * DAY)[mc.TOXICITY_STOP_WEEKS])


def test_baseline_grade_is_not_a_toxicity():
    # Hb 11 at baseline and on treatment: grade 1 throughout, not counted
    model = ScriptedMarrow([(3.0, 240.0, 11.0)])
    course = dosing.simulate_course(model, {**BASE, "rbc_Hb_0": 11.0}, 25.0, 12.0,
                                    dosing.read_dose_rules("grade3_hold"), np.array([7 * DAY]), 10 * DAY)
    assert mc.toxicity_values(course, 10 * DAY)[mc.ANAEMIA_GRADE] == 0


def test_simulated_counts_trigger_the_platelet_hold():
    # platelets 45 x1e9/L at baseline (< 50): the first check holds and off drug they stay below 50
    model = mc.marrow_model("models")
    course = dosing.simulate_course(model, {"plt_circ_0": 45.0, "neut_circ_0": 4.0, "rbc_Hb_0": 13.0}, 25.0, 12.0,
                                    dosing.read_dose_rules("grade3_hold"), np.array([7, 14, 21, 42, 63]) * DAY,
                                    70 * DAY, 28 * DAY)
    assert course.doses[1] == 0 and course.stop_h == 42 * DAY


def test_coarse_mean_effect_step_matches_the_resolved_pk():
    values = marrow_values()
    fine = MarrowModel(values)
    out = fine.simulate_regimen(25.0, 12.0, 6 * 168.0, points=2)
    coarse = mc.marrow_model("models")
    coarse.reset()
    last = coarse.segment(0.0, 6 * 168.0, 2, **effect_inputs(mean_effects(25.0, 12.0, values)))[-1]
    for i, lineage in enumerate(("neut", "plt", "rbc")):
        baseline = values[{"neut": "neut_circ_0", "plt": "plt_circ_0", "rbc": "rbc_Hb_0"}[lineage]]
        drop_fine, drop_coarse = baseline - out[lineage][-1], baseline - last[i + 1]
        assert drop_fine > 0 and drop_coarse == pytest.approx(drop_fine, rel=0.05)


def test_mean_effect_is_between_trough_and_peak_and_rises_with_dose():
    values = marrow_values()
    low, high = mean_effects(10.0, 12.0, values), mean_effects(50.0, 12.0, values)
    assert all(0 < low[x] < high[x] < 1 for x in low)
    assert mean_effects(0.0, 12.0, values) == {"neut": 0.0, "plt": 0.0, "rbc": 0.0}


def test_toxicity_endpoints_of_a_hand_made_table():
    rows = [  # arm a: 4 patients + 1 failed; arm b: no marrow course
        ("a", 0, 1, 0, 2, 1, 0, "ok"), ("a", 3, 0, 1, 0, 0, 1, "ok"), ("a", 0, 0, 0, 0, 0, 0, "ok"),
        ("a", 2, 2, 0, 1, 1, 1, "ok"), ("a", 4, 4, 4, 4, 1, 1, "failed"),
        ("b", np.nan, np.nan, np.nan, np.nan, np.nan, np.nan, "ok")]
    table = pd.DataFrame(rows, columns=[tc.ARM, mc.ANAEMIA_GRADE, mc.THROMBOCYTOPENIA_GRADE, mc.NEUTROPENIA_GRADE,
                                        "unused", mc.DOSE_REDUCED, mc.DOSE_HELD, tc.STATUS]).drop(columns="unused")
    out = toxicity_endpoints(table.assign(**{tc.REPLICATE: 0}))
    assert set(out[tc.ARM]) == {"a"}
    value = dict(zip(out[tc.ENDPOINT], out[tc.VALUE]))
    # anaemia grades 0, 3, 0, 2 -> any 2/4, grade >= 3 1/4; platelets 1, 0, 0, 2 -> 2/4; ANC 0, 1, 0, 0 -> 1/4
    assert value == {"anemia_any": 0.5, "anemia_grade3plus": 0.25, "thrombocytopenia_any": 0.5,
                     "neutropenia_any": 0.25, "dose_reduction": 0.5, "dose_interruption": 0.5}
    assert out[tc.N_PATIENTS].tolist() == [4] * 6 and out[tc.N_FAILED].tolist() == [1] * 6
    lo, hi = out.loc[out[tc.ENDPOINT] == "anemia_any", [tc.LO, tc.HI]].iloc[0]
    assert lo == pytest.approx(0.0676, abs=1e-3) and hi == pytest.approx(0.9324, abs=1e-3)  # Clopper-Pearson 2/4
    assert toxicity_endpoints(table.drop(columns=[mc.ANAEMIA_GRADE])).empty


@pytest.fixture(scope="module")
def raw_spec():
    return read_yaml(SPEC, "trial spec")


@pytest.mark.parametrize("change, key", [
    ({"dose_rules": "no_such_rules"}, "$.toxicity.dose_rules"),
    ({"population": "martians"}, "$.toxicity.population"),
    ({"max_hold": "four weeks"}, "$.toxicity.max_hold"),
    ({"drug": "neratinib"}, "toxicity"),
    ({"hold_below": 3}, "toxicity"),
])
def test_a_bad_toxicity_section_names_the_key(raw_spec, change, key):
    data = copy.deepcopy(raw_spec)
    data["toxicity"].update(change)
    with pytest.raises(InputError, match=re.escape(key)):
        trial_spec_from_dict(data)


def test_the_section_needs_a_source_and_defaults_when_absent(raw_spec):
    data = copy.deepcopy(raw_spec)
    del data["toxicity"]["source"]
    with pytest.raises(InputError, match="toxicity"):
        trial_spec_from_dict(data)
    del data["toxicity"]
    spec = trial_spec_from_dict(data)
    assert spec.toxicity.assumed and spec.toxicity.source.startswith("assumed:")
    assert not trial_spec_from_dict(copy.deepcopy(raw_spec)).toxicity.assumed



@pytest.fixture(scope="module")
def simulator():
    from stat3qsp.trial.patient import PatientSimulator

    return PatientSimulator("models")


def test_the_trial_path_records_toxicity_only_for_ruxolitinib_arms_and_doses_reach_the_tumour(simulator):
    from stat3qsp.trial import simulate as sim
    from stat3qsp.trial.regimen import dosing_values
    from stat3qsp.trial.spec import load_trial_spec

    spec = load_trial_spec(SPEC)
    control = sim.simulate_patient(simulator, spec, spec.arm("historical_control"), 0, 0, 1, 30.0)
    treated = sim.simulate_patient(simulator, spec, spec.arm("ruxolitinib_trastuzumab"), 0, 0, 1, 30.0)
    assert control.toxicity == {} and set(treated.toxicity) == set(mc.TOXICITY_COLUMNS)
    # the tumour on a dose held from the start equals the tumour without ruxolitinib (same patient, full method)
    arm = spec.arm("ruxolitinib_trastuzumab")
    virtual = simulator.draw_patient(arm.context, np.random.default_rng(3), spec.population.body_weight)
    dosing = dosing_values(arm, simulator.regimens, virtual.body_weight_kg)
    hours = np.array([9.0, 18.0]) * 168.0
    held = mc.modified_scans(simulator, virtual, dosing, hours, [(1.0, 0.0)], "rux_dose", "rux_start")
    off = simulator.scans(virtual, {**dosing, "rux_dose": 0.0}, hours, method="full")
    on = simulator.scans(virtual, dosing, hours, method="full")
    assert held == pytest.approx(off, rel=1e-3)
    assert mc.modified_scans(simulator, virtual, dosing, hours, [], "rux_dose", "rux_start") == pytest.approx(on)
