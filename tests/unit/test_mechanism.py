"""Mechanistic invariants of the ODE model (layer b of the test plan)."""
from __future__ import annotations

import numpy as np
import pytest

CONTEXTS = ("her2_amplified", "her2_trastuzumab_resistant")


def _stat3_amount(runner) -> float:
    cyt, nuc = runner["cytoplasm"], runner["nucleus"]
    return cyt * (runner["[STAT3_cyt]"] + runner["[pSTAT3_cyt]"] + 2 * runner["[pSTAT3_dimer_cyt]"]) + nuc * (
        2 * runner["[pSTAT3_dimer_nuc]"] + runner["[STAT3_nuc]"]
    )


@pytest.mark.parametrize("context", [*CONTEXTS, "her2_mutant", "tnbc_egfr"])
def test_without_il6_pstat3_stays_at_its_basal_level(model, context):
    """With IL-6 synthesis switched off, pSTAT3 is set by the direct kinase input alone and does not move."""
    sim = model.context(context)
    # Every IL6 transcription rate constant (basal, STAT3 feedback, each receptor kinase's).
    no_il6 = {pid: 0.0 for pid in model.parameters if pid.startswith("IL6_tx_") and pid.endswith("_k")}
    assert {"IL6_tx_basal_k", "IL6_tx_HER2_k", "IL6_tx_STAT3_k"} <= set(no_il6)
    runner = sim._apply({}, no_il6)
    runner.reset()
    result = runner.simulate(0, 72, 25, selections=["time", "pSTAT3_fraction", "[IL6_ext]"])
    pstat3 = result[:, 1]
    assert np.max(np.abs(result[:, 2])) < 1e-15
    # Direct HER2 input alone: the basal level, reached within hours and then flat.
    assert np.ptp(pstat3[6:]) < 1e-6
    assert pstat3[-1] < 0.1 * sim.assay({})["pSTAT3_fraction"]
    # And with no kinase input at all (every direct receptor-kinase route off), no STAT3 is phosphorylated.
    no_rtk = {pid: 0.0 for pid in model.parameters if pid.startswith("STAT3_phos_") and pid != "STAT3_phos_JAK_k"}
    assert "STAT3_phos_HER2_k" in no_rtk
    runner = sim._apply({}, {**no_il6, **no_rtk})
    runner.reset()
    assert np.max(np.abs(runner.simulate(0, 72, 25, selections=["pSTAT3_fraction"]))) < 1e-15


@pytest.mark.parametrize("context", CONTEXTS)
@pytest.mark.parametrize("readout", ["pSTAT3_fraction", "calprotectin_nM"])
def test_ruxolitinib_lowers_pstat3_and_calprotectin_monotonically(model, context, readout):
    sim = model.context(context)
    values = [sim.assay({"ruxolitinib": c})[readout] for c in np.geomspace(1, 30000, 12)]
    assert np.all(np.diff(values) < 0)
    assert values[-1] < 0.5 * sim.assay({})[readout]


def test_trastuzumab_lowers_il6_strongly_only_in_sensitive_cells(model):
    drop = {}
    for context in CONTEXTS:
        sim = model.context(context)
        drop[context] = 1 - sim.assay({"trastuzumab": 100})["IL6_secreted_nM"] / sim.assay({})["IL6_secreted_nM"]
    assert drop["her2_amplified"] > 0.5
    assert drop["her2_trastuzumab_resistant"] < 0.5 * drop["her2_amplified"]


@pytest.mark.parametrize("context", CONTEXTS)
@pytest.mark.parametrize("doses", [{}, {"ruxolitinib": 1000.0, "trastuzumab": 10.0}])
def test_conserved_totals_and_non_negative_states(model, context, doses):
    sim = model.context(context)
    runner = sim._apply(doses)
    runner.reset()
    stat3_total = runner["STAT3_total"] * runner["cytoplasm"]
    her2_level, receptor_total = runner["HER2_level"], runner["IL6R_total"]
    for end in np.linspace(0.5, 96, 40):
        runner.simulate(runner.model.getTime(), end, 2, selections=["time"])
        assert _stat3_amount(runner) == pytest.approx(stat3_total, rel=1e-7)
        assert runner["[IL6R]"] + runner["[IL6R_L]"] + runner["[IL6R_act]"] == pytest.approx(receptor_total, rel=1e-7)
        assert runner["[HER2]"] + runner["[HER2_tras]"] == pytest.approx(her2_level, rel=1e-6)
        assert np.all(runner.model.getFloatingSpeciesConcentrations() >= -1e-9)


@pytest.mark.parametrize("context", CONTEXTS)
def test_steady_state_is_reached_by_the_assay_time(model, context):
    """At 72 h every species is within 1 % of its long-run (1000 h) steady state under drug.

    The slowest mode is the IL-6 positive-feedback loop under trastuzumab (about 0.2 % left at 72 h).
    """
    sim = model.context(context)
    doses = {"ruxolitinib": 300.0, "trastuzumab": 10.0}
    sim.assay(doses)
    at_72 = np.array(sim.model.runner.model.getFloatingSpeciesConcentrations())
    sim.assay(doses, hours=1000.0)
    final = np.array(sim.model.runner.model.getFloatingSpeciesConcentrations())
    floor = 1e-6 * np.max(final)
    assert np.max(np.abs(at_72 - final) / np.maximum(np.abs(final), floor)) < 0.01


def test_viability_of_vehicle_is_100_and_combination_lowest(model):
    sim = model.context("her2_amplified")
    assert sim.assay({})["viability_pct"] == pytest.approx(100.0)
    single = min(sim.assay({"trastuzumab": 10.0})["viability_pct"], sim.assay({"ruxolitinib": 1000.0})["viability_pct"])
    assert sim.assay({"trastuzumab": 10.0, "ruxolitinib": 1000.0})["viability_pct"] < single
