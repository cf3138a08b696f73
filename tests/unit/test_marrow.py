"""Marrow toxicity of ruxolitinib (stat3qsp.toxicity.marrow, stat3qsp.toxicity.dosing; models/toxicity/).

Layers: (a) pure functions against analytic answers (CTCAE v5.0 bands, PK closed form, dose rules,
predictive p); (b) mechanistic invariants of the ODE model (no drug keeps counts at baseline; a
constant effect E gives Friberg's steady state Circ_0 (1 - E)^(1/gamma), and the red-cell chain
Hb_0 (1 - E)^(1/(1 + gamma))); the calibration table reproduced by its own function; and the
NCT02066532 prediction, printed (validation only, never fitted).
"""
from __future__ import annotations

import csv
import re

import numpy as np
import pytest

from stat3qsp.toxicity import marrow as m
from stat3qsp.toxicity import dosing as mt
from stat3qsp.model.parameters import read_parameter_table
from stat3qsp.trial.marrow_course import check_hours
from stat3qsp.trial.spec import load_trial_spec

WEEK = 168.0


@pytest.fixture(scope="module")
def values():
    return m.marrow_values()


@pytest.fixture(scope="module")
def regimen_model(values):
    return m.MarrowModel(values)


@pytest.fixture(scope="module")
def input_model(values):
    return m.MarrowModel(values, with_pk=False)


def test_model_and_table_match_both_ways():
    text = (m.TOXICITY_DIR / "marrow.ant").read_text()
    code = "\n".join(line.split("//", 1)[0] for line in text.splitlines())
    code = "\n".join(l for l in code.splitlines() if not l.strip().startswith("unit "))
    ruled = set(re.findall(r"^\s*(\w+)\s*(?::=|'\s*=)", code, flags=re.M))
    states = set(re.findall(r"^\s*(\w+)\s*=[^=]", code, flags=re.M))
    used = set(re.findall(r"\b[A-Za-z_]\w*\b", code)) - {"has", "rux_conc"}
    units = {"per_hour", "giga_per_L", "g_per_dL", "dimensionless", "g_per_dL_per_hour"}
    needed = used - ruled - states - units
    rows = set(read_parameter_table(m.TOXICITY_DIR / "parameters.tsv"))
    assert needed == rows


@pytest.mark.parametrize("lineage, value, grade", [
    ("rbc", 12.0, 0), ("rbc", 11.99, 1), ("rbc", 10.0, 1), ("rbc", 9.99, 2), ("rbc", 8.0, 2), ("rbc", 7.99, 3),
    ("plt", 150, 0), ("plt", 149, 1), ("plt", 75, 1), ("plt", 74.9, 2), ("plt", 50, 2), ("plt", 49.9, 3),
    ("plt", 25, 3), ("plt", 24.9, 4),
    ("neut", 1.8, 0), ("neut", 1.79, 1), ("neut", 1.5, 1), ("neut", 1.49, 2), ("neut", 1.0, 2), ("neut", 0.99, 3),
    ("neut", 0.5, 3), ("neut", 0.49, 4),
])
def test_ctcae_v5_grade_boundaries(lineage, value, grade):
    assert int(m.ctcae_grade(lineage, value)) == grade


def test_pk_single_25mg_cmax_about_1uM_total(values):
    t = np.linspace(0, 12, 1201)
    free = m.rux_free_concentration(t, 25.0, 1e9, values)
    total = free / values["rux_fu"]
    assert 750 < total.max() < 1250  # pharmacology notes: about 1 uM total at 25 mg
    assert 1.0 <= t[total.argmax()] <= 2.0  # label Tmax 1-2 h


def test_pk_in_model_equals_closed_form(regimen_model, values):
    regimen_model.reset()
    regimen_model.runner.timeCourseSelections = ["time", "rux_conc"]
    out = regimen_model.segment(0.0, 48.0, 97, rux_dose=25.0, rux_interval=12.0, rux_start=0.0)
    regimen_model.runner.timeCourseSelections = regimen_model.selections
    expected = m.rux_free_concentration(out[:, 0], 25.0, 12.0, values)
    np.testing.assert_allclose(out[:, 1], expected, rtol=1e-9, atol=1e-9)


def test_single_dose_pstat3_time_course_within_shi2011_range(values):
    """Whole-blood free IC50 = fu * 281 nM; inhibition peaks 1-2 h post dose and is back near
    baseline (< 10%) by 24 h for single doses 5-200 mg (models/toxicity/pstat3_single_dose.tsv)."""
    with open(m.TOXICITY_DIR / "pstat3_single_dose.tsv", newline="") as handle:
        data = {r["quantity"]: (float(r["lower"]), float(r["upper"])) for r in csv.DictReader(handle, delimiter="\t")}
    ic50_free = data["free_fraction"][0] * data["wholeblood_IC50_total"][0]
    t = np.linspace(0, 24, 2401)
    for dose in data["dose"]:
        c = m.rux_free_concentration(t, dose, 1e9, values)
        inhibition = c / (ic50_free + c)
        lo, hi = data["time_of_maximal_inhibition"]
        assert lo <= t[inhibition.argmax()] <= hi
        assert inhibition[t >= data["time_back_to_baseline"][1]][0] < 0.10


def test_no_drug_keeps_counts_at_baseline(regimen_model):
    baselines = {"neut_circ_0": 2.3, "plt_circ_0": 410.0, "rbc_Hb_0": 10.1}
    out = regimen_model.simulate_regimen(0.0, 12.0, 26 * WEEK, points=30, baselines=baselines)
    for x in m.LINEAGES:
        np.testing.assert_allclose(out[x], baselines[m.BASELINES[x]], rtol=1e-7)


@pytest.mark.parametrize("effect", [0.2, 0.5])
def test_constant_effect_reaches_analytic_steady_state(values, effect):
    """Constant C with E = Emax C / (EC50 + C) = effect for each lineage in turn (no PK, so the
    integrator may take long steps over the 20 years)."""
    input_model = m.MarrowModel(values, with_pk=False, max_step_h=1e5)
    for x in m.LINEAGES:
        c = values[f"{x}_EC50"] * effect / (values[f"{x}_Emax"] - effect)
        input_model.reset()
        out = input_model.segment(0.0, 20 * 365 * 24.0, 2, rux_conc=c)
        got = out[-1, 1 + m.LINEAGES.index(x)]
        gamma = values[f"{x}_gamma"]
        exponent = 1 / (1 + gamma) if x == "rbc" else 1 / gamma
        assert got == pytest.approx(values[m.BASELINES[x]] * (1 - effect) ** exponent, rel=1e-3)


def test_concentration_course_matches_regimen(regimen_model, input_model, values):
    conc = lambda t: m.rux_free_concentration(t, 25.0, 12.0, values)  # noqa: E731
    a = regimen_model.simulate_regimen(25.0, 12.0, 3 * WEEK, points=2)
    b = input_model.simulate_concentration(conc, 3 * WEEK, step_h=0.25)
    t = np.linspace(0, 3 * WEEK, 4 * 504 + 1)
    c = input_model.simulate_concentration((t, conc(t)), 3 * WEEK, step_h=0.25)
    for x in m.LINEAGES:
        assert b[x][-1] == pytest.approx(a[x][-1], rel=0.01)
        assert c[x][-1] == pytest.approx(a[x][-1], rel=0.01)


def test_dose_rules_label_table():
    rules = mt.read_dose_rules("jakafi_label")
    ok = {"neut": 3.0, "rbc": 12.0}
    assert mt.next_dose(rules, 25.0, 25.0, {**ok, "plt": 40.0}) == (0.0, 25.0)
    assert mt.next_dose(rules, 25.0, 25.0, {**ok, "plt": 60.0})[0] == 5.0
    assert mt.next_dose(rules, 25.0, 25.0, {**ok, "plt": 90.0})[0] == 10.0
    assert mt.next_dose(rules, 25.0, 25.0, {**ok, "plt": 110.0})[0] == 20.0
    assert mt.next_dose(rules, 15.0, 15.0, {**ok, "plt": 110.0})[0] == 15.0
    assert mt.next_dose(rules, 25.0, 25.0, {**ok, "plt": 200.0})[0] == 25.0
    assert mt.next_dose(rules, 25.0, 25.0, {"neut": 0.4, "rbc": 12.0, "plt": 200.0})[0] == 0.0
    assert mt.next_dose(rules, 0.0, 25.0, {**ok, "plt": 45.0})[0] == 0.0
    assert mt.next_dose(rules, 0.0, 25.0, {**ok, "plt": 130.0})[0] == 20.0
    assert mt.next_dose(rules, 0.0, 10.0, {**ok, "plt": 130.0})[0] == 10.0


def test_dose_rules_grade3_hold():
    rules = mt.read_dose_rules("grade3_hold")
    assert mt.next_dose(rules, 25.0, 25.0, {"neut": 0.9, "plt": 200.0, "rbc": 12.0}) == (0.0, 25.0)
    assert mt.next_dose(rules, 0.0, 25.0, {"neut": 0.9, "plt": 200.0, "rbc": 12.0})[0] == 0.0
    assert mt.next_dose(rules, 0.0, 25.0, {"neut": 1.2, "plt": 80.0, "rbc": 12.0})[0] == 20.0
    assert mt.next_dose(rules, 25.0, 25.0, {"neut": 1.2, "plt": 60.0, "rbc": 7.0})[0] == 25.0


def test_falling_platelets_lower_the_dose_at_the_trial_visits(values):
    """The count checks of NCT02066532 come from its spec through the trial's path (Kearney 2021: days 8
    and 15 of cycle 1, then day 1 of every 21-day cycle); at them a platelet-sensitive marrow on 25 mg
    BID, resolved PK, is lowered by the label's rules."""
    spec = load_trial_spec("trials/NCT02066532.yaml")
    checks = check_hours(spec.toxicity, spec.cycle_length.hours, 12 * WEEK)
    assert (checks / 24.0).tolist() == [7, 14, 21, 42, 63]
    sensitive = m.MarrowModel({**values, "plt_EC50": 3.0})
    course = mt.simulate_course(sensitive, {"neut_circ_0": 4.0, "plt_circ_0": 160.0, "rbc_Hb_0": 13.0}, 25.0, 12.0,
                                mt.read_dose_rules("jakafi_label"), checks, 12 * WEEK)
    assert course.hours.tolist() == [0.0, *checks]
    assert np.any(course.doses[1:] < 25.0) and course.doses[-1] < 25.0
    assert course.toxicity_grades()["plt"] >= 1


def test_a_course_without_rules_is_the_regimen(regimen_model, values):
    """No rules and one check at the end: the resolved-PK course is one segment of the regimen from t = 0,
    so its grades there are those of :meth:`MarrowModel.simulate_regimen`'s counts."""
    end = 6 * WEEK
    baselines = {p: values[p] for p in m.BASELINES.values()}
    course = mt.simulate_course(regimen_model, baselines, 25.0, 12.0, (), np.array([end]), end)
    counts = regimen_model.simulate_regimen(25.0, 12.0, end, points=2, baselines=baselines)
    assert course.doses.tolist() == [25.0, 25.0]
    assert course.grades[-1].tolist() == [int(m.ctcae_grade(x, counts[x][-1])) for x in m.LINEAGES]
    assert counts["plt"][-1] < values["plt_circ_0"]


def test_calibration_table_is_reproduced_by_its_function():
    """calibrated.tsv is generated by marrow_trial.calibrate(); re-simulating its cohort with the
    fitted EC50s gives the table's simulated fractions exactly and each target within 0.05."""
    with open(m.TOXICITY_DIR / "calibrated.tsv", newline="") as handle:
        rows = list(csv.DictReader((l for l in handle if not l.startswith("#")), delimiter="\t"))
    meta = {r["parameterId"]: r["value"] for r in rows if r["kind"] == "meta"}
    values = m.marrow_values()
    courses = mt.calibration_courses(values, int(meta["n_patients"]), int(meta["seed"]))
    for r in rows:
        if r["kind"] in ("fitted", "check"):
            lineage, grade = r["parameterId"].split("_")[0], int(r["grade"])
            assert mt.incidence(courses, lineage, grade) == pytest.approx(float(r["simulated"]), abs=1e-9)
        if r["kind"] == "fitted":
            assert values[r["parameterId"]] == pytest.approx(float(r["value"]))
            assert float(r["simulated"]) == pytest.approx(float(r["target"]), abs=0.05)
