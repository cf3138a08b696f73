"""Cross-setting comparison (stat3qsp.assay.comparison): attribution of STAT3 phosphorylation and add-on effects."""
from __future__ import annotations

import numpy as np
import pytest

from stat3qsp.assay import columns as col
from stat3qsp.model.catalog import read_catalog
from stat3qsp.assay.comparison import add_on_effects, compare_settings, comparison_doses, phosphorylation_shares
from stat3qsp.errors import InputError

CONTEXTS = ("her2_amplified", "her2_trastuzumab_resistant", "her2_mutant", "tnbc_egfr")


@pytest.mark.parametrize("context", CONTEXTS)
def test_shares_are_fractions_that_sum_to_one(model, context):
    shares = phosphorylation_shares(model.context(context))
    assert 0 <= shares[col.JAK_SHARE] <= 1 and 0 <= shares[col.RTK_SHARE] <= 1
    assert shares[col.JAK_SHARE] + shares[col.RTK_SHARE] == pytest.approx(1.0, abs=1e-12)
    assert 0 <= shares[col.IL6_TX_RTK_SHARE] <= 1


@pytest.mark.parametrize("context", CONTEXTS)
def test_shares_match_the_rate_laws(model, context):
    """The reaction rates read from roadrunner are the rate laws of models/core/stat3.ant."""
    sim = model.context(context)
    shares = phosphorylation_shares(sim)
    runner = model.runner
    v_jak = runner["STAT3_phos_JAK_k"] * runner["JAK_activity"] * runner["[IL6R_act]"] * runner["[STAT3_cyt]"]
    v_rtk = runner["STAT3_RTK_drive"] * runner["[STAT3_cyt]"]
    assert shares[col.JAK_SHARE] == pytest.approx(v_jak / (v_jak + v_rtk), rel=1e-9)


@pytest.mark.parametrize("context", CONTEXTS)
def test_ruxolitinib_lowers_the_jak_share(model, context):
    sim = model.context(context)
    shares = [phosphorylation_shares(sim, {"ruxolitinib": c})[col.JAK_SHARE] for c in (0.0, 100.0, 1000.0, 10000.0)]
    assert np.all(np.diff(shares) < 0)


def test_without_direct_kinase_input_everything_goes_through_jak(model):
    sim = model.context("tnbc_egfr")
    sim.assay({})
    runner = sim._apply({}, {"STAT3_phos_HER2_k": 0.0, "STAT3_phos_EGFR_k": 0.0})
    runner.reset()
    runner.model.setFloatingSpeciesAmounts(sim.start_state())
    runner.simulate(0, 500, 2)
    rates = dict(zip(runner.model.getReactionIds(), runner.model.getReactionRates()))
    assert rates["STAT3_phos_RTK"] == 0.0 and rates["STAT3_phos_JAK"] > 0


def test_egfr_context_has_the_largest_direct_share(model):
    shares = {c: phosphorylation_shares(model.context(c))[col.RTK_SHARE] for c in CONTEXTS}
    assert max(shares, key=shares.get) == "tnbc_egfr"


def test_add_on_effects_against_backbone(model):
    table = add_on_effects(model, "her2_amplified", {"trastuzumab": 60.0}, "ruxolitinib", np.array([10.0, 100.0, 1000.0]))
    sim = model.context("her2_amplified")
    backbone, combination = sim.assay({"trastuzumab": 60.0}), sim.assay({"trastuzumab": 60.0, "ruxolitinib": 100.0})
    row = table.iloc[1]
    assert row["delta_viability_pct"] == pytest.approx(combination["viability_pct"] - backbone["viability_pct"], rel=1e-12)
    assert row["relchange_pSTAT3_fraction"] == pytest.approx(100 * (combination["pSTAT3_fraction"] / backbone["pSTAT3_fraction"] - 1), rel=1e-12)
    # Bliss expectation from the two single treatments (viabilities in %).
    assert row[col.BLISS_VIABILITY] == pytest.approx(backbone["viability_pct"] * row["add_on_alone_viability_pct"] / 100, rel=1e-12)
    # More ruxolitinib, more effect on top of the backbone.
    assert np.all(np.diff(table["delta_pSTAT3_fraction"]) < 0) and np.all(np.diff(table["delta_viability_pct"]) < 0)


def test_add_on_in_backbone_is_refused(model):
    with pytest.raises(InputError, match="already part of the backbone"):
        add_on_effects(model, "her2_amplified", {"ruxolitinib": 30.0}, "ruxolitinib", np.array([10.0]))


def test_compare_settings_tables(model):
    settings, ranges = compare_settings(model, {"her2_amplified": {"trastuzumab": 60.0}, "tnbc_egfr": {"neratinib": 1.5}},
                                        "ruxolitinib", 30.0, np.geomspace(10, 1000, 3))
    assert list(settings[col.SETTING_CONTEXT]) == ["her2_amplified", "tnbc_egfr"]
    assert (settings[col.ADD_ON_NM] == 30.0).all() and len(ranges) == 6
    assert (settings[col.JAK_SHARE] + settings[col.RTK_SHARE]).to_numpy() == pytest.approx(1.0)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"add_on": "aspirin"}, "comparison.add_on: unknown drug 'aspirin'"),
        ({"backbones": {"lung": {"trastuzumab": "1 nM"}}}, "unknown context 'lung'"),
        ({"backbones": {"tnbc_egfr": {"ruxolitinib": "1 nM"}}}, "cannot be part of the backbone"),
        ({"add_on_range": {"low": "1 uM", "high": "10 nM", "points": 3}}, "need 0 < low < high"),
    ],
)
def test_bad_comparison_config_is_refused(change, message):
    spec = {"add_on": "ruxolitinib", "add_on_clinical": "30 nM", "add_on_range": {"low": "10 nM", "high": "1 uM", "points": 3},
            "backbones": {"tnbc_egfr": {"neratinib": "1.5 nM"}}}
    with pytest.raises(InputError, match=message.replace("(", r"\(")):
        comparison_doses({**spec, **change}, read_catalog())
