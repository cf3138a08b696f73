"""Free exposure at the tumour (stat3qsp.trial.exposure): steady state against analytic answers, the
model-evaluated exposure of the trial regimens against the closed forms of stat3qsp.trial.pk; and the
clinically reachable wells of a dose matrix on hand-made grids (stat3qsp.assay.clinical_region; layer a)."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from stat3qsp.assay import columns as col
from stat3qsp.trial import pk
from stat3qsp.model.catalog import DEFAULT_MODELS_DIR
from stat3qsp.errors import InputError
from stat3qsp.assay.clinical_region import ClinicalRange, clinical_doses, clinical_ranges, clinical_scores, clinical_wells
from stat3qsp.trial.exposure import closed_form_in_time, exposure_table, steady_state
from stat3qsp.model import load_model
from stat3qsp.trial.spec import load_trial_spec, trial_spec_from_dict

SPEC = Path(__file__).resolve().parents[2] / "trials" / "NCT02066532.yaml"
KA, CL_F, V_F, TAU = 2.0, 17.7, 72.0, 12.0


def _oral_steady_state_analytic(dose: float, t: np.ndarray) -> np.ndarray:
    """``C_ss(t') = D ka / (V (ka - k)) [exp(-k t') / (1 - exp(-k tau)) - exp(-ka t') / (1 - exp(-ka tau))]``
    (Gibaldi & Perrier, ch. 3), ``t'`` the time since the last dose, in mg/L."""
    k = CL_F / V_F
    return dose * KA / (V_F * (KA - k)) * (np.exp(-k * t) / -np.expm1(-k * TAU) - np.exp(-KA * t) / -np.expm1(-KA * TAU))


def test_steady_state_of_the_oral_closed_form_matches_the_analytic_steady_state():
    state = steady_state(lambda t: pk.oral_one_compartment(t, 25.0, TAU, 0.0, KA, CL_F, V_F), 0.0, TAU)
    k = CL_F / V_F
    t_peak = np.log(KA * -np.expm1(-k * TAU) / (k * -np.expm1(-KA * TAU))) / (KA - k)
    assert state.trough == pytest.approx(_oral_steady_state_analytic(25.0, np.array([0.0]))[0], rel=1e-6)
    assert state.peak == pytest.approx(_oral_steady_state_analytic(25.0, np.array([t_peak]))[0], rel=1e-8)
    assert state.mean == pytest.approx(25.0 / (CL_F * TAU), rel=1e-6)  # AUC_tau = D / CL at steady state


def test_steady_state_refuses_a_concentration_that_never_settles():
    with pytest.raises(InputError, match="no steady state"):
        steady_state(lambda t: np.asarray(t, dtype=float), 0.0, 12.0)


@pytest.fixture(scope="module")
def combination_exposure() -> pd.DataFrame:
    """Exposure of the combination arm of NCT02066532 (ruxolitinib 25 mg BID, trastuzumab q3w)."""
    raw = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    raw["arms"] = raw["arms"][:1]
    return exposure_table([trial_spec_from_dict(raw, "combination")], seed=3, population_size=50)


def test_ruxolitinib_exposure_is_the_free_fraction_of_the_pk_closed_form(combination_exposure):
    model = load_model(variant="patient")
    fu, mw = (model.parameters[p].value for p in ("rux_fu", "rux_molar_mass"))
    row = combination_exposure.set_index(col.EXPOSURE_DRUG).loc["ruxolitinib"]
    times = 100 * TAU + np.linspace(0.0, TAU, 20001)
    free = fu * pk.mg_per_litre_to_nM(pk.oral_one_compartment(times, 25.0, TAU, 0.0, KA, CL_F, V_F), mw)
    assert row[col.FREE_TROUGH] == pytest.approx(free.min(), rel=1e-6)
    assert row[col.FREE_PEAK] == pytest.approx(free.max(), rel=1e-5)
    assert row[col.FREE_MEAN] == pytest.approx(fu * pk.mg_per_litre_to_nM(25.0 / (CL_F * TAU), mw), rel=1e-6)
    assert row[col.TROUGH_P05] < row[col.FREE_TROUGH] < row[col.TROUGH_P95]
    assert row[col.PEAK_P05] < row[col.FREE_PEAK] < row[col.PEAK_P95]
    assert bool(row[col.CLINICAL]) and row[col.N_POPULATION] == 50


def test_trastuzumab_exposure_is_the_tumour_fraction_of_the_pk_closed_form(combination_exposure):
    model = load_model(variant="patient")
    values = {p: model.parameters[p].value for p in ("tras_CL", "tras_V1", "tras_V2", "tras_Q", "tras_infusion_time",
                                                       "tras_tumour_fraction", "tras_molar_mass")}
    row = combination_exposure.set_index(col.EXPOSURE_DRUG).loc["trastuzumab"]
    weight = row[col.TYPICAL_BODY_WEIGHT]
    tau = 21 * 24.0
    times = 200 * tau + np.union1d(np.linspace(0.0, tau, 50001), [values["tras_infusion_time"]])  # peak: infusion end
    plasma = pk.iv_two_compartment(times, 6 * weight, tau, 0.0, values["tras_CL"], values["tras_V1"], values["tras_V2"],
                                   values["tras_Q"], loading_dose=8 * weight, infusion_time=values["tras_infusion_time"])
    free = values["tras_tumour_fraction"] * pk.mg_per_litre_to_nM(plasma, values["tras_molar_mass"])
    assert row[col.FREE_TROUGH] == pytest.approx(free.min(), rel=1e-6)
    assert row[col.FREE_PEAK] == pytest.approx(free.max(), rel=1e-5)
    mean = values["tras_tumour_fraction"] * pk.mg_per_litre_to_nM(6 * weight / (values["tras_CL"] * tau),
                                                                 values["tras_molar_mass"])
    assert row[col.FREE_MEAN] == pytest.approx(mean, rel=1e-5)


def test_a_drug_without_pk_module_is_skipped_with_a_note(tmp_path):
    models = tmp_path / "models"
    shutil.copytree(DEFAULT_MODELS_DIR, models)
    regimens = yaml.safe_load((models / "pk" / "regimens.yaml").read_text())
    del regimens["drugs"]["ruxolitinib"]
    (models / "pk" / "regimens.yaml").write_text(yaml.safe_dump(regimens))
    raw = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    raw["arms"] = raw["arms"][:1]
    table = exposure_table([trial_spec_from_dict(raw, "combination")], models, seed=1, population_size=10)
    skipped = table.set_index(col.EXPOSURE_DRUG).loc["ruxolitinib"]
    assert "no PK module" in skipped[col.EXPOSURE_NOTE] and np.isnan(skipped[col.FREE_PEAK])
    assert np.isfinite(table.set_index(col.EXPOSURE_DRUG).loc["trastuzumab", col.FREE_PEAK])
    assert set(clinical_ranges(table)) == {"trastuzumab"}


def test_closed_form_check_accepts_pk_rules_and_refuses_states():
    sbml = load_model(variant="patient").sbml
    assert closed_form_in_time(sbml, "rux_conc") and closed_form_in_time(sbml, "tras_conc")
    assert not closed_form_in_time(sbml, "SLD")  # depends on the state SLD_log_ratio
    assert not closed_form_in_time(sbml, "rux_dose")  # a constant, not a rule


def test_clinical_ranges_use_the_clinical_regimens_only():
    spec = load_trial_spec(SPEC)
    rows = pd.DataFrame([
        {col.TRIAL: spec.id, col.EXPOSURE_DRUG: "x", col.REGIMEN: "a", col.CLINICAL: True, col.FREE_TROUGH: 2.0,
         col.FREE_PEAK: 20.0, col.TROUGH_P05: 1.0, col.PEAK_P95: 30.0},
        {col.TRIAL: spec.id, col.EXPOSURE_DRUG: "x", col.REGIMEN: "b", col.CLINICAL: True, col.FREE_TROUGH: 4.0,
         col.FREE_PEAK: 40.0, col.TROUGH_P05: 3.0, col.PEAK_P95: 50.0},
        {col.TRIAL: spec.id, col.EXPOSURE_DRUG: "x", col.REGIMEN: "c", col.CLINICAL: False, col.FREE_TROUGH: 8.0,
         col.FREE_PEAK: 80.0, col.TROUGH_P05: 6.0, col.PEAK_P95: 90.0},
    ])
    x = clinical_ranges(rows)["x"]
    assert (x.low, x.high, x.population_low, x.population_high) == (2.0, 40.0, 1.0, 50.0)


GRID = np.array([0.0, 1.0, 10.0, 100.0, 1000.0])


@pytest.mark.parametrize(
    "low, high, expected, note",
    [
        (2.0, 30.0, [0, 1, 1, 1, 0], ""),            # bracketed by 1 and 100
        (10.0, 100.0, [0, 0, 1, 1, 0], ""),          # on grid doses: nothing to widen
        (0.1, 0.5, [0, 1, 0, 0, 0], ""),             # below the first dose: bracketed by 0 and 1
        (500.0, 5000.0, [0, 0, 0, 1, 1], "clipped"),  # beyond the top dose: clipped at it
        (2000.0, 3000.0, [0, 0, 0, 0, 0], "above"),   # wholly above the grid: no dose
        (5.0, 5.0, [0, 1, 1, 0, 0], ""),             # a single concentration between two doses
    ],
)
def test_clinical_doses_widen_the_range_to_the_bracketing_grid_doses(low, high, expected, note):
    mask, text = clinical_doses(GRID, low, high)
    assert mask.tolist() == [bool(e) for e in expected]
    assert note in text and (text == "") == (note == "")


def test_clinical_doses_without_a_zero_dose_start_at_the_lowest_dose():
    assert clinical_doses(np.array([1.0, 10.0]), 0.1, 0.5)[0].tolist() == [True, False]


def test_clinical_wells_are_the_product_of_both_drugs_clinical_doses():
    r = ClinicalRange("r", 2.0, 30.0, 1.0, 50.0, "")
    c = ClinicalRange("c", 10.0, 100.0, 5.0, 200.0, "")
    wells, note = clinical_wells(GRID, GRID[:4], r, c)
    expected = np.zeros((5, 4), dtype=bool)
    expected[1:4, 2:4] = True
    assert (wells == expected).all() and note == ""
    none, note = clinical_wells(GRID, GRID, r, None)
    assert not none.any() and "no clinical exposure" in note
    above, note = clinical_wells(GRID, GRID, r, ClinicalRange("c", 2e3, 3e3, 1e3, 4e3, ""))
    assert not above.any() and "no well within the clinical ranges" in note


def test_clinical_scores_average_the_scores_of_the_clinical_wells_only():
    conc = np.array([0.0, 1.0, 10.0])
    r_grid, c_grid = np.meshgrid(conc, conc, indexing="ij")
    bliss = np.arange(9, dtype=float).reshape(3, 3)
    ci = np.full((3, 3), np.nan)
    ci[2, 2] = 0.5
    wells = pd.DataFrame({col.CONC_R: r_grid.ravel(), col.CONC_C: c_grid.ravel(), "bliss_score": bliss.ravel(),
                          col.CI: ci.ravel()})
    mask = np.zeros((3, 3), dtype=bool)
    mask[1:, 2] = True  # wells (1, 2) and (2, 2): scores 5 and 8
    scores = clinical_scores(wells, mask, ("bliss",))
    assert scores["bliss" + col.CLINICAL_SUFFIX] == pytest.approx(6.5)
    assert scores[col.CI_CLINICAL] == pytest.approx(0.5)  # NaN CI of (1, 2) left out
    assert scores[col.N_CLINICAL_WELLS] == 2
    empty = clinical_scores(wells, np.zeros((3, 3), dtype=bool), ("bliss",))
    assert np.isnan(empty["bliss" + col.CLINICAL_SUFFIX]) and empty[col.N_CLINICAL_WELLS] == 0
