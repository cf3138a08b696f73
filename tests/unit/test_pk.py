"""Pharmacokinetics of the patient variant: exposure against the labels, and the closed-form
superposition of the Antimony modules against an independent event-based integration.

The label values (pharmacology reference notes of the project) are population summaries of other
PK models (Herceptin label: CL 0.241 L/day, Vc 3.02 L; here Bruno 2005's base model with a derived
Q), so exposures are checked with tolerances of that size: +-15% for trastuzumab peak and trough,
+-25% for the ruxolitinib Cmax ("about 1 uM"), the label ranges for Tmax (1-2 h) and +-20% for the
half-life ("about 3 h").
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from stat3qsp.trial import pk
from stat3qsp.errors import InputError
from stat3qsp.model import load_model
from stat3qsp.model.simulator import model_constants

WEEK = 168.0


@pytest.fixture(scope="module")
def patient_model():
    return load_model(variant="patient")


@pytest.fixture(scope="module")
def table(patient_model):
    return {pid: row.value for pid, row in patient_model.parameters.items()}


def _rules_at(model, values: dict[str, float], times: np.ndarray, variables: list[str]) -> np.ndarray:
    """Assignment rules of the compiled model evaluated at given times (no integration needed:
    the PK is a closed-form function of time). Every constant is set to its table value first
    (the compiled model is shared with other tests)."""
    runner = model.runner
    for pid in model_constants(model):
        runner.setValue(pid, model.parameters[pid].value)
    for pid, value in values.items():
        runner.setValue(pid, value)
    runner.reset()
    out = np.empty((len(times), len(variables)))
    for i, t in enumerate(times):
        runner.model.setTime(float(t))
        out[i] = [runner[v] for v in variables]
    runner.reset()
    return out


def _off(table):
    return {k: table[k] for k in ("rux_dose", "tras_dose", "tras_loading_dose", "rux_start", "tras_start")}


def test_trastuzumab_q3w_steady_state_peak_and_trough_match_the_label(patient_model, table):
    """6 mg/kg q3w at 70 kg after 8 mg/kg loading: label steady-state peak 189, trough 47.3 mg/L
    (peak at the end of the infusion)."""
    tau = 21 * 24.0
    dosing = {"tras_dose": 6 * 70.0, "tras_loading_dose": 8 * 70.0, "tras_interval": tau, "tras_start": 0.0}
    times = np.array([39 * tau + table["tras_infusion_time"], 40 * tau - 1e-6])
    peak, trough = _rules_at(patient_model, dosing, times, ["tras_C_plasma"])[:, 0]
    assert peak == pytest.approx(189.0, rel=0.15)
    assert trough == pytest.approx(47.3, rel=0.15)
    assert trough * 1e6 / table["tras_molar_mass"] > 20 * 1e6 / 148000  # above the 20 mg/L efficacy target


def test_trastuzumab_q_gives_the_terminal_half_life_of_bruno_2005(table):
    q = pk.two_compartment_q(table["tras_CL"], table["tras_V1"], table["tras_V2"], 28.5 * 24)
    assert table["tras_Q"] == pytest.approx(q, rel=1e-4)
    rates = pk.two_compartment_rates(table["tras_CL"], table["tras_V1"], table["tras_V2"], table["tras_Q"])
    assert np.log(2) / rates.beta / 24 == pytest.approx(28.5, rel=1e-4)


def test_ruxolitinib_25mg_single_dose_cmax_tmax_and_half_life(patient_model, table):
    """Label: Cmax about 1 uM total at 25 mg, Tmax 1-2 h, half-life about 3 h."""
    times = np.linspace(0.0, 12.0, 1201)
    single = {"rux_dose": 25.0, "rux_interval": 1e6, "rux_start": 0.0}
    total, free = _rules_at(patient_model, single, times, ["rux_C_total_nM", "rux_conc"]).T
    peak = int(np.argmax(total))
    assert total[peak] == pytest.approx(1000.0, rel=0.25)
    assert 1.0 <= times[peak] <= 2.0
    assert free == pytest.approx(table["rux_fu"] * total, rel=1e-12)
    late = times > 6.0
    slope = np.polyfit(times[late], np.log(total[late]), 1)[0]
    assert np.log(2) / -slope == pytest.approx(3.0, rel=0.2)


def _reference(rhs, n_states, times, boluses=(), infusions=(), output=lambda y: y[1]):
    """Independent reference: the PK ODEs (amounts, mg) integrated with LSODA between every dose
    event, boluses ``(time, state index, amount)`` added at their time, infusions ``(start, end,
    rate)`` into state 0 as a constant input while they run."""
    breaks = sorted({0.0, *(b[0] for b in boluses), *(i[0] for i in infusions), *(i[1] for i in infusions), *times})
    state, out = np.zeros(n_states), {}
    for a, b in zip(breaks, [*breaks[1:], None]):
        for t_bolus, index, amount in boluses:
            if t_bolus == a:
                state[index] += amount
        if a in times:
            out[a] = output(state)
        if b is None:
            break
        rate = sum(r for s0, s1, r in infusions if s0 <= a < s1)
        state = solve_ivp(lambda t, y: rhs(y, rate), (a, b), state, method="LSODA", rtol=1e-12, atol=1e-14).y[:, -1]
    return np.array([out[t] for t in times])


def _event_based_oral(times, dose, tau, start, ka, cl_f, v_f):
    """Reference for oral doses: depot (state 0) and central amounts, a bolus into the depot per dose."""
    k = cl_f / v_f
    boluses = [(t, 0, dose) for t in start + tau * np.arange(int(max(times) // tau) + 1) if t <= max(times)]
    return _reference(lambda y, r: [-ka * y[0], ka * y[0] - k * y[1]], 2, list(times), boluses=boluses,
                      output=lambda y: y[1] / v_f)


def _event_based_iv(times, dose, loading, tau, start, duration, cl, v1, v2, q):
    """Reference for IV infusions: central (state 0) and peripheral amounts, each dose infused at a
    constant rate over *duration*."""
    starts = [t for t in start + tau * np.arange(int(max(times) // tau) + 1) if t <= max(times)]
    infusions = [(t, t + duration, (loading if i == 0 else dose) / duration) for i, t in enumerate(starts)]
    rhs = lambda y, r: [r - (cl + q) / v1 * y[0] + q / v2 * y[1], q / v1 * y[0] - q / v2 * y[1]]  # noqa: E731
    return _reference(rhs, 2, list(times), infusions=infusions, output=lambda y: y[0] / v1)


def test_closed_form_oral_superposition_equals_event_based_reference(patient_model, table):
    times = np.array([0.0, 0.3, 1.2, 5.0, 11.99, 12.0, 12.5, 47.0, 60.1, 119.5])
    start = 0.0
    dosing = {"rux_dose": 25.0, "rux_interval": 12.0, "rux_start": start}
    model = _rules_at(patient_model, dosing, times, ["rux_C_plasma"])[:, 0]
    closed = pk.oral_one_compartment(times, 25.0, 12.0, start, table["rux_ka"], table["rux_CL_F"], table["rux_V_F"])
    reference = _event_based_oral(times, 25.0, 12.0, start, table["rux_ka"], table["rux_CL_F"], table["rux_V_F"])
    positive = reference > 0
    assert np.array_equal(model > 0, positive)
    assert model[positive] == pytest.approx(reference[positive], rel=1e-6)
    assert closed[positive] == pytest.approx(reference[positive], rel=1e-6)


def test_closed_form_iv_loading_superposition_equals_event_based_reference(patient_model, table):
    tau, start, duration = 21 * 24.0, 24.0, table["tras_infusion_time"]
    times = np.array([0.0, start + 0.5, start + duration, start + 5.0, start + tau - 1e-3, start + tau + 0.7,
                      start + 2.5 * tau, start + 4 * tau + 2.0])
    dosing = {"tras_dose": 420.0, "tras_loading_dose": 560.0, "tras_interval": tau, "tras_start": start}
    model = _rules_at(patient_model, dosing, times, ["tras_C_plasma"])[:, 0]
    args = (table["tras_CL"], table["tras_V1"], table["tras_V2"], table["tras_Q"])
    reference = _event_based_iv(times, 420.0, 560.0, tau, start, duration, *args)
    closed = pk.iv_two_compartment(times, 420.0, tau, start, *args, loading_dose=560.0, infusion_time=duration)
    assert model[0] == 0.0 and reference[0] == 0.0
    assert model[1:] == pytest.approx(reference[1:], rel=1e-6)
    assert closed == pytest.approx(model, rel=1e-9, abs=1e-12)
    bolus = pk.iv_two_compartment(times, 420.0, tau, start, *args, loading_dose=560.0)
    assert bolus[-2] == pytest.approx(closed[-2], rel=0.01)  # infusions change exposure little


def test_tumour_exposure_of_trastuzumab_is_the_interstitial_fraction_of_plasma(patient_model, table):
    dosing = {"tras_dose": 420.0, "tras_loading_dose": 420.0, "tras_interval": 504.0, "tras_start": 0.0}
    plasma_nM, at_cells = _rules_at(patient_model, dosing, np.array([100.0]), ["tras_C_plasma_nM", "tras_conc"])[0]
    assert at_cells == pytest.approx(table["tras_tumour_fraction"] * plasma_nM, rel=1e-12)


def test_no_dose_no_drug_and_nothing_before_the_first_dose(patient_model, table):
    values = {**_off(table), "rux_dose": 25.0, "rux_start": 48.0, "tras_dose": 420.0, "tras_loading_dose": 560.0,
              "tras_start": 48.0}
    before = _rules_at(patient_model, values, np.array([0.0, 47.9]), ["rux_conc", "tras_conc"])
    assert np.all(before == 0.0)
    off = _rules_at(patient_model, _off({**table, "rux_dose": 0.0, "tras_dose": 0.0, "tras_loading_dose": 0.0}),
                    np.array([0.0, 100.0]), ["rux_conc", "tras_conc"])
    assert np.all(off == 0.0)


@pytest.mark.parametrize("call", [
    lambda: pk.superposition([1.0], 1.0, 0.0, 0.0, (1.0,), (1.0,)),
    lambda: pk.oral_one_compartment([1.0], 1.0, 12.0, 0.0, 0.25, 18.0, 72.0),
    lambda: pk.two_compartment_q(0.01, 3.0, 2.7, 1.0),
    lambda: pk.two_compartment_rates(-1.0, 3.0, 2.7, 0.005),
    lambda: pk.iv_two_compartment([1.0], 420.0, 1.0, 0.0, 0.01, 3.0, 2.7, 0.005, infusion_time=2.0),
])
def test_bad_pk_input_is_refused(call):
    with pytest.raises(InputError):
        call()


# -- neratinib (models/pk/neratinib_oral.ant) ---------------------------------------------------
NERATINIB_MOLAR_MASS = 557.0
NERATINIB_LABEL_CMAX_NM = 84.5 * 1e3 / NERATINIB_MOLAR_MASS  # 84.5 ng/mL (ug/L) / 557 g/mol = 151.7 nM
NERATINIB_LABEL_HALF_LIFE_H = 14.6


def _neratinib_once(times, patient_model, dose=240.0):
    single = {"ner_dose": dose, "ner_interval": 1e6, "ner_start": 0.0}
    return _rules_at(patient_model, single, times, ["ner_C_total_nM", "ner_conc"]).T


def test_neratinib_240mg_single_dose_cmax_and_tmax_match_the_label(patient_model, table):
    """Label: one 240-mg dose gives Cmax 84.5 ng/mL (151.7 nM total) at Tmax 2-8 h.

    Tolerance on Cmax +-10%: the table's V/F is derived from this Cmax (so the model meets it
    within the rounding of V/F, < 0.1%); the 10% leave room for another absorption rate with Tmax
    anywhere in 3.7-7.3 h at the same V/F (ka 0.8-0.3 /h moves Cmax by +7% to -9%), all inside
    the label's Tmax range. The free concentration is the unbound fraction of the total.
    """
    times = np.linspace(0.0, 24.0, 2401)
    total, free = _neratinib_once(times, patient_model)
    peak = int(np.argmax(total))
    assert total[peak] == pytest.approx(NERATINIB_LABEL_CMAX_NM, rel=0.10)
    assert 2.0 <= times[peak] <= 8.0
    assert times[peak] == pytest.approx(pk.oral_tmax(table["ner_ka"], table["ner_CL_F"], table["ner_V_F"]), abs=0.01)
    assert free == pytest.approx(table["ner_fu"] * total, rel=1e-12)
    assert table["ner_fu"] <= 0.01  # more than 99% bound


def test_neratinib_once_daily_accumulates_as_its_half_life_says(patient_model, table):
    """Steady state of 240 mg once daily: the trough accumulates by R = 1 / (1 - exp(-k tau)) with
    k = ln2 / 14.6 h (label steady-state half-life; R = 1.47 for tau = 24 h), and the decline after
    the last dose has that half-life. +-5%: the table is derived from the half-life (rounding of
    CL/F, < 0.1%); absorption adds exp(-ka tau) = 6e-6 to R."""
    tau = 24.0
    dosing = {"ner_dose": 240.0, "ner_interval": tau, "ner_start": 0.0}
    first_trough, steady_trough = _rules_at(patient_model, dosing, np.array([tau - 1e-6, 20 * tau - 1e-6]),
                                            ["ner_C_total_nM"])[:, 0]
    expected = 1.0 / (1.0 - np.exp(-np.log(2) / NERATINIB_LABEL_HALF_LIFE_H * tau))
    assert steady_trough / first_trough == pytest.approx(expected, rel=0.05)
    tail = np.linspace(36.0, 60.0, 25)  # 36 h after one dose absorption is over (exp(-ka t) < 1e-7)
    single = _rules_at(patient_model, {**dosing, "ner_interval": 1e6}, tail, ["ner_C_total_nM"])[:, 0]
    slope = np.polyfit(tail, np.log(single), 1)[0]
    assert np.log(2) / -slope == pytest.approx(NERATINIB_LABEL_HALF_LIFE_H, rel=0.05)
    steady_peak = _rules_at(patient_model, dosing, np.array([19 * tau + pk.oral_tmax(
        table["ner_ka"], table["ner_CL_F"], table["ner_V_F"])]), ["ner_C_total_nM"])[0, 0]
    assert steady_peak == pytest.approx(expected * NERATINIB_LABEL_CMAX_NM, rel=0.10)


def test_closed_form_neratinib_superposition_equals_event_based_reference(patient_model, table):
    """Once-daily doses from day 2 (t0 = 24 h): the module's rule, pk.oral_one_compartment and an
    event-based LSODA integration of depot and central amounts agree."""
    times = np.array([0.0, 23.9, 24.3, 29.0, 47.99, 48.0, 55.5, 130.0, 200.1, 335.9])
    start, tau, dose = 24.0, 24.0, 240.0
    dosing = {"ner_dose": dose, "ner_interval": tau, "ner_start": start}
    args = (table["ner_ka"], table["ner_CL_F"], table["ner_V_F"])
    model = _rules_at(patient_model, dosing, times, ["ner_C_plasma"])[:, 0]
    closed = pk.oral_one_compartment(times, dose, tau, start, *args)
    reference = _event_based_oral(times, dose, tau, start, *args)
    positive = reference > 0
    assert np.array_equal(model > 0, positive) and positive.sum() == len(times) - 2
    assert model[positive] == pytest.approx(reference[positive], rel=1e-6)
    assert closed[positive] == pytest.approx(reference[positive], rel=1e-6)
