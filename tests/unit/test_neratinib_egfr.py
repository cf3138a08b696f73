"""Neratinib (covalent HER2/EGFR inhibitor), the EGFR module and the her2_mutant and tnbc_egfr contexts.

Mechanistic invariants (layer b of the test plan) and analytic answers of the covalent kinetics
(layer a): the cell-free apparent IC50 at the kinase-assay time equals the biochemical IC50 of the
parameter table, the cellular steady-state IC50 follows KI * k_turnover / (kinact - k_turnover),
and activity returns after washout at the receptor turnover rate.
"""
from __future__ import annotations

import math
import shutil

import numpy as np
import pytest
import yaml

from stat3qsp.model.catalog import DEFAULT_MODELS_DIR
from stat3qsp.model import build_model

HER2_CONTEXTS = ("her2_amplified", "her2_trastuzumab_resistant")
NEW_CONTEXTS = ("her2_mutant", "tnbc_egfr")
#: Free trastuzumab at the label trough in the tumour interstitium (tras_tumour_fraction x 320 nM).
TRAS_SATURATING = 60.0


def _run(sim, doses: dict[str, float], parameters: dict[str, float], hours: float, selections: list[str]) -> np.ndarray:
    """Simulate from the context's untreated steady state with some parameters changed (not drug inputs)."""
    start = sim.start_state()
    runner = sim._apply(doses, parameters)
    runner.reset()
    runner.model.setFloatingSpeciesAmounts(start)
    return np.array(runner.simulate(0.0, hours, 2, selections=selections))[-1]


def _her2_signal(sim, doses: dict[str, float]) -> float:
    return float(sim.time_course(doses, hours=72, points=2)["HER2_signal"].iloc[-1])


# -- covalent kinetics: how the biochemical IC50s map onto the model -------------------------------
@pytest.mark.parametrize("receptor, turnover", [("HER2", "HER2_turnover_k"), ("EGFR", "EGFR_turnover_k")])
def test_cell_free_apparent_ic50_at_assay_time_is_the_biochemical_ic50(model, receptor, turnover):
    """Without receptor turnover (a kinase assay), half the kinase is alkylated at the assay time at the IC50."""
    sim = model.context("her2_amplified")
    table = model.parameters
    ic50, assay_time = table[f"ner_{receptor}_IC50"].value, table["ner_kinase_assay_time"].value
    runner = sim._apply({"neratinib": ic50}, {"HER2_turnover_k": 0.0, "EGFR_turnover_k": 0.0})
    runner.reset()
    inactive = runner.simulate(0.0, assay_time, 2, selections=[f"ner_{receptor}_inactive"])[-1, 0]
    assert inactive == pytest.approx(0.5, rel=1e-6)
    assert table[turnover].value > 0  # and in cells the receptor turns over (next test)


@pytest.mark.parametrize("receptor, turnover", [("HER2", "HER2_turnover_k"), ("EGFR", "EGFR_turnover_k")])
def test_cellular_steady_state_ic50_follows_turnover(model, receptor, turnover):
    """With turnover k, the steady-state IC50 is KI k / (kinact - k), about ten times below the biochemical IC50."""
    sim = model.context("her2_amplified")
    sim.assay({})
    runner = model.runner
    ki, kinact, k = runner[f"ner_{receptor}_KI"], runner["ner_kinact"], runner[turnover]
    ic50_cells = ki * k / (kinact - k)
    inactive = _run(sim, {"neratinib": ic50_cells}, {}, 500.0, [f"ner_{receptor}_inactive"])[0]
    assert inactive == pytest.approx(0.5, rel=1e-6)
    assert ic50_cells < 0.2 * model.parameters[f"ner_{receptor}_IC50"].value


@pytest.mark.parametrize("turnover_scale", [0.5, 1.0, 2.0])
@pytest.mark.parametrize("kinact_scale", [1.0, 4.0])
def test_her2_activity_recovers_after_washout_at_the_turnover_rate(model, turnover_scale, kinact_scale):
    """After washout the alkylated fraction decays as exp(-HER2_turnover_k t), whatever the drug's kinetics."""
    sim = model.context("her2_amplified")
    k = model.parameters["HER2_turnover_k"].value * turnover_scale
    params = {"HER2_turnover_k": k, "ner_kinact": model.parameters["ner_kinact"].value * kinact_scale}
    _run(sim, {"neratinib": 1000.0}, params, 24.0, ["time"])
    runner = model.runner
    runner.setValue("ner_conc", 0.0)
    washout = np.array(runner.simulate(24.0, 72.0, 49, selections=["time", "ner_HER2_inactive", "HER2_signal"]))
    time, inactive, signal = washout[:, 0] - 24.0, washout[:, 1], washout[:, 2]
    assert inactive[0] > 0.9
    assert np.allclose(inactive, inactive[0] * np.exp(-k * time), rtol=1e-5)
    # HER2 signalling (no trastuzumab) is proportional to the active share: half the deficit is
    # made good in ln2 / k (about 10 h at the table value), the half-life of HER2.
    deficit = 1.0 - signal
    half = np.interp(0.5 * deficit[0], deficit[::-1], time[::-1])
    assert half == pytest.approx(math.log(2) / k, rel=2e-3)


# -- neratinib and trastuzumab in the contexts ------------------------------------------------------
@pytest.mark.parametrize("context", ["her2_amplified", "her2_mutant"])
def test_neratinib_lowers_her2_signal_and_viability(model, context):
    sim = model.context(context)
    doses = [0.0, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 1000.0]
    signal = [_her2_signal(sim, {"neratinib": c}) for c in doses]
    viability = [sim.assay({"neratinib": c})["viability_pct"] for c in doses]
    assert np.all(np.diff(signal) < 0) and np.all(np.diff(viability) < 0)
    assert signal[-1] < 0.05 * signal[0]
    assert viability[doses.index(100.0)] < 50.0


@pytest.mark.parametrize("context", NEW_CONTEXTS)
def test_trastuzumab_barely_affects_her2_mutant_and_tnbc_egfr(model, context):
    sim = model.context(context)
    vehicle, tras = sim.assay({}), sim.assay({"trastuzumab": TRAS_SATURATING})
    assert tras["viability_pct"] > 90.0
    assert tras["pSTAT3_fraction"] > 0.95 * vehicle["pSTAT3_fraction"]
    # ... whereas neratinib at the same concentration acts strongly, and trastuzumab does in HER2-amplified cells.
    assert sim.assay({"neratinib": TRAS_SATURATING})["viability_pct"] < 60.0
    assert model.context("her2_amplified").assay({"trastuzumab": TRAS_SATURATING})["viability_pct"] < 50.0


def test_egfr_inhibition_by_neratinib_lowers_pstat3_in_tnbc_egfr(model):
    sim = model.context("tnbc_egfr")
    doses = [0.0, 1.0, 3.0, 10.0, 30.0, 100.0]
    pstat3 = np.array([sim.assay({"neratinib": c})["pSTAT3_fraction"] for c in doses])
    assert np.all(np.diff(pstat3) < 0)
    assert pstat3[-1] < 0.7 * pstat3[0]
    # Most of it is EGFR: a neratinib that cannot reach HER2 does nearly as much, one that cannot
    # reach EGFR little.
    select = ["pSTAT3_fraction"]
    egfr_only = _run(sim, {"neratinib": 100.0}, {"ner_HER2_IC50": 1e12}, 72.0, select)[0]
    her2_only = _run(sim, {"neratinib": 100.0}, {"ner_EGFR_IC50": 1e12}, 72.0, select)[0]
    drop = pstat3[0] - pstat3[-1]
    assert pstat3[0] - egfr_only > 0.8 * drop
    assert pstat3[0] - her2_only < 0.2 * drop


def test_tnbc_egfr_stat3_input_is_egfr_driven(model):
    """In tnbc_egfr, EGFR carries most of the RTK signal and feeds STAT3 directly and through IL-6."""
    sim = model.context("tnbc_egfr")
    sim.assay({})
    runner = model.runner
    assert runner["EGFR_signal"] > 10 * runner["HER2_signal"]
    assert runner["STAT3_EGFR_drive"] > runner["STAT3_HER2_drive"]
    assert runner["IL6_tx_EGFR"] > runner["IL6_tx_HER2"]


# -- the EGFR module leaves the HER2 contexts as they were -----------------------------------------
@pytest.fixture(scope="module")
def egfr_free_model(tmp_path_factory):
    """The project's model with copies of the HER2 contexts whose EGFR level is 0 (no EGFR input at all)."""
    models = tmp_path_factory.mktemp("models") / "models"
    shutil.copytree(DEFAULT_MODELS_DIR, models)
    catalog = yaml.safe_load((models / "catalog.yaml").read_text())
    for name in HER2_CONTEXTS:
        entry = catalog["contexts"][name]
        entry["parameters"]["EGFR_level"] = {"value": 0, "source": "assumed: test, no EGFR"}
        catalog["contexts"][f"{name}_no_egfr"] = entry
    (models / "catalog.yaml").write_text(yaml.safe_dump(catalog, sort_keys=False))
    return build_model(models)


@pytest.mark.parametrize("context", HER2_CONTEXTS)
@pytest.mark.parametrize("doses", [{}, {"trastuzumab": 10.0}, {"ruxolitinib": 300.0}, {"trastuzumab": 10.0, "ruxolitinib": 300.0},
                                   {"trastuzumab": TRAS_SATURATING, "ruxolitinib": 30.0}])
def test_default_egfr_moves_her2_contexts_by_less_than_one_percent(model, egfr_free_model, context, doses):
    with_egfr = model.context(context).assay(doses)
    without = egfr_free_model.context(f"{context}_no_egfr").assay(doses)
    for readout in ("viability_pct", "pSTAT3_fraction", "calprotectin_nM"):
        assert with_egfr[readout] == pytest.approx(without[readout], rel=0.01), readout


# -- conservation and non-negativity -----------------------------------------------------------------
def _stat3_amount(runner) -> float:
    cyt, nuc = runner["cytoplasm"], runner["nucleus"]
    return cyt * (runner["[STAT3_cyt]"] + runner["[pSTAT3_cyt]"] + 2 * runner["[pSTAT3_dimer_cyt]"]) + nuc * (
        2 * runner["[pSTAT3_dimer_nuc]"] + runner["[STAT3_nuc]"]
    )


@pytest.mark.parametrize("context", NEW_CONTEXTS + ("her2_amplified",))
@pytest.mark.parametrize("doses", [{}, {"neratinib": 30.0}, {"neratinib": 3.0, "ruxolitinib": 300.0, "trastuzumab": 10.0}])
def test_conserved_totals_and_bounded_states_with_neratinib(model, context, doses):
    sim = model.context(context)
    runner = sim._apply(doses)
    runner.reset()
    stat3_total = runner["STAT3_total"] * runner["cytoplasm"]
    for end in np.linspace(0.5, 96, 30):
        runner.simulate(runner.model.getTime(), end, 2, selections=["time"])
        assert _stat3_amount(runner) == pytest.approx(stat3_total, rel=1e-7)
        assert runner["[IL6R]"] + runner["[IL6R_L]"] + runner["[IL6R_act]"] == pytest.approx(runner["IL6R_total"], rel=1e-7)
        assert runner["[HER2]"] + runner["[HER2_tras]"] == pytest.approx(runner["HER2_level"], rel=1e-6)
        assert runner["[EGFR]"] == pytest.approx(runner["EGFR_level"], rel=1e-9)
        assert np.all(runner.model.getFloatingSpeciesConcentrations() >= -1e-9)
        for fraction in ("ner_HER2_inactive", "ner_EGFR_inactive"):
            assert -1e-12 <= runner[fraction] <= 1.0
