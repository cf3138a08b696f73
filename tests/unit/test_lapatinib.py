"""Lapatinib (reversible HER2/EGFR kinase inhibitor), its oral PK and the EGF104900 trial spec.

Layers of the test plan: (a) analytic answers (the HER2 signal left at a free concentration C is
the occupancy term 1 / (1 + C / (lap_cell_shift * lap_HER2_IC50)), the closed-form PK equals the
Antimony module); (b) a mechanistic property (viability and pSTAT3 fall with the dose in
HER2-amplified cells); exposure against the label, and the trial spec with its roles and the error
of a model that lacks the drug.

Label values (Tykerb (lapatinib) US label, clinical pharmacology, as given in the project brief and
not re-read here): 1250 mg once daily at steady state, Cmax about 2.43 ug/mL and AUC0-24 about
36.2 ug*h/mL. Tolerance +-25%: the one-compartment model keeps the AUC (CL/F = dose / AUC) and the
effective half-life of 24 h, which caps Cmax / Cavg at 1.39 (label 1.61), so its Cmax is about 22%
low by construction (models/parameters.tsv, lap_V_F).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from stat3qsp.trial import pk
from stat3qsp.model.catalog import DEFAULT_MODELS_DIR
from stat3qsp.errors import InputError
from stat3qsp.model import load_model
from stat3qsp.model.simulator import model_constants
from stat3qsp.trial.runner import run_trial
from stat3qsp.trial.simulate import TrialSettings
from stat3qsp.trial.spec import load_trial_spec

ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = ROOT / "trials" / "EGF104900.yaml"
LABEL_DOSE_MG = 1250.0
LABEL_CMAX_MG_PER_L = 2.43   # ug/mL
LABEL_AUC_MG_H_PER_L = 36.2  # ug*h/mL, over one 24-h interval at steady state
TAU_H = 24.0


@pytest.fixture(scope="module")
def table(model):
    return {pid: row.value for pid, row in model.parameters.items()}


def _steady_state_interval(table, points: int = 2401) -> tuple[np.ndarray, np.ndarray]:
    """Total plasma lapatinib (mg/L) over the 30th day of 1250 mg once daily (steady state within
    a few half-lives of 24 h), closed form of models/pk/lapatinib_oral.ant."""
    t = np.linspace(29 * TAU_H, 30 * TAU_H, points)
    c = pk.oral_one_compartment(t, LABEL_DOSE_MG, TAU_H, 0.0, table["lap_ka"], table["lap_CL_F"], table["lap_V_F"])
    return t, c


def test_1250mg_once_daily_steady_state_cmax_and_auc_match_the_label(table):
    t, c = _steady_state_interval(table)
    auc = np.trapezoid(c, t)
    assert c.max() == pytest.approx(LABEL_CMAX_MG_PER_L, rel=0.25)
    assert auc == pytest.approx(LABEL_AUC_MG_H_PER_L, rel=0.25)
    assert auc == pytest.approx(LABEL_AUC_MG_H_PER_L, rel=0.01)  # CL/F is dose / AUC
    assert np.log(2) * table["lap_V_F"] / table["lap_CL_F"] == pytest.approx(24.0, rel=0.01)
    assert pk.oral_tmax(table["lap_ka"], table["lap_CL_F"], table["lap_V_F"]) == pytest.approx(4.0, abs=0.1)


def test_the_pk_module_is_the_closed_form_and_gives_free_drug_in_nM(table):
    """The patient variant's assignment rules at a few times of once-daily dosing equal the closed
    form; the free concentration at the cells is lap_fu times the total, converted with the free
    base's molar mass (581.06 g/mol, not the ditosylate salt)."""
    patient = load_model(variant="patient")
    runner = patient.runner
    for pid in model_constants(patient):
        runner.setValue(pid, patient.parameters[pid].value)
    for pid, value in {"lap_dose": LABEL_DOSE_MG, "lap_interval": TAU_H, "lap_start": 0.0}.items():
        runner.setValue(pid, value)
    runner.reset()
    times = np.array([0.5, 4.0, 23.99, 24.5, 100.0, 30 * TAU_H - 0.5])
    rules = []
    for time in times:
        runner.model.setTime(float(time))
        rules.append([runner["lap_C_plasma"], runner["lap_conc"]])
    runner.reset()
    plasma, free = np.array(rules).T
    closed = pk.oral_one_compartment(times, LABEL_DOSE_MG, TAU_H, 0.0, table["lap_ka"], table["lap_CL_F"],
                                     table["lap_V_F"])
    assert plasma == pytest.approx(closed, rel=1e-9)
    assert free == pytest.approx(table["lap_fu"] * pk.mg_per_litre_to_nM(closed, 581.06), rel=1e-9)
    assert table["lap_fu"] <= 0.01  # more than 99% bound
    assert patient.catalog.drugs["lapatinib"].molecular_weight_g_per_mol == table["lap_molar_mass"] == 581.06


def test_lapatinib_lowers_her2_signalling_and_viability_with_the_dose(model, table):
    """In HER2-amplified cells the HER2 signal left is the occupancy term of the cellular IC50
    (lap_cell_shift x the biochemical IC50), and pSTAT3 and 72-h viability fall monotonically."""
    cells = model.context("her2_amplified")
    doses = [0.0, 10.0, 100.0, 1000.0]
    readouts = [cells.assay({"lapatinib": c}) for c in doses]
    viability = [r["viability_pct"] for r in readouts]
    pstat3 = [r["pSTAT3_fraction"] for r in readouts]
    assert viability[0] == pytest.approx(100.0)
    assert all(np.diff(viability) < 0) and all(np.diff(pstat3) < 0)
    assert viability[-1] < 50.0  # well above the cellular IC50 most of the HER2-driven growth is gone
    signal = [float(cells.time_course({"lapatinib": c}, hours=72, points=2)["HER2_signal"].iloc[-1]) for c in doses]
    ic50_cell = table["lap_cell_shift"] * table["lap_HER2_IC50"]
    expected = [signal[0] / (1.0 + c / ic50_cell) for c in doses]
    assert signal == pytest.approx(expected, rel=1e-6)


def test_egf104900_spec_loads_with_its_arms_and_roles():
    spec = load_trial_spec(SPEC_PATH)
    assert spec.citation.doi == "10.1200/JCO.2008.21.4437"
    assert spec.population.context == "her2_trastuzumab_resistant"
    assert [a.name for a in spec.arms] == ["lapatinib_monotherapy", "lapatinib_trastuzumab"]
    mono, combination = spec.arms
    assert [(d.drug, d.dose.amount, d.interval.hours) for d in mono.drugs] == [("lapatinib", 1500.0, 24.0)]
    lapatinib, trastuzumab = combination.drugs
    assert (lapatinib.drug, lapatinib.dose.amount, lapatinib.interval.hours) == ("lapatinib", 1000.0, 24.0)
    assert (trastuzumab.drug, trastuzumab.dose.amount, trastuzumab.dose.unit) == ("trastuzumab", 2.0, "mg/kg")
    assert trastuzumab.interval.days == 7 and trastuzumab.loading_dose.dose.amount == 4.0
    assert mono.n_patients == combination.n_patients == 148
    assert not mono.counterfactual and not combination.counterfactual
    observed = {(a.name, e.name): (e.observed, e.role) for a in spec.arms for e in a.endpoints}
    assert observed == {
        ("lapatinib_monotherapy", "median_pfs_weeks"): (8.1, "calibration"),
        ("lapatinib_monotherapy", "orr"): (0.069, "calibration"),  # fit the sensitive subgroup (sci6)
        ("lapatinib_monotherapy", "cbr"): (0.124, "calibration"),
        ("lapatinib_trastuzumab", "median_pfs_weeks"): (12.0, "validation"),
        ("lapatinib_trastuzumab", "orr"): (0.103, "validation"),
        ("lapatinib_trastuzumab", "cbr"): (0.247, "validation"),
    }
    raw = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))["design"]
    assert raw["control_arm"] == "lapatinib_monotherapy"
    assert (raw["pfs_hazard_ratio"]["observed"], raw["pfs_hazard_ratio"]["role"]) == (0.73, "validation")


def test_a_model_without_lapatinib_refuses_the_trial_naming_the_drug(tmp_path):
    """The extension path in reverse: without the catalog entry, PK module and regimen mapping the
    run stops before any patient is simulated, with the trial runner's missing-drug error."""
    models = tmp_path / "models"
    shutil.copytree(DEFAULT_MODELS_DIR, models)
    catalog_path, regimens_path = models / "catalog.yaml", models / "pk" / "regimens.yaml"
    catalog = yaml.safe_load(catalog_path.read_text())
    del catalog["drugs"]["lapatinib"]
    catalog["variants"]["patient"].remove("pk/lapatinib_oral.ant")
    catalog_path.write_text(yaml.safe_dump(catalog))
    regimens = yaml.safe_load(regimens_path.read_text())
    del regimens["drugs"]["lapatinib"]
    regimens_path.write_text(yaml.safe_dump(regimens))
    spec = load_trial_spec(SPEC_PATH)
    with pytest.raises(InputError, match=r"drug 'lapatinib' has no PK module in the patient model") as error:
        run_trial(spec, TrialSettings(replicates=1, patients=1), models_dir=models, progress="off")
    assert str(error.value).startswith("arm 'lapatinib_monotherapy', drugs[0]")
