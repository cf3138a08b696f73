"""Global sensitivity analysis: factors, Morris and Sobol against analytic answers and SALib, the
output families against the synergy and trial stages, and the configuration checks (the workflow
stage: tests/workflow/test_trial_workflow.py; one or two worker processes: tests/workflow/test_processes.py)."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from SALib.analyze import morris as salib_morris

from stat3qsp.sensitivity import design as sa
from stat3qsp.sensitivity import columns as sc
from stat3qsp.errors import InputError
from stat3qsp.trial.regimen import read_regimen_map
from stat3qsp.sensitivity.outputs import SynergySetup, TrialSetup
from stat3qsp.sensitivity.steps import check_sensitivity_config
from stat3qsp.assay.synergy.scores import score_matrix
from stat3qsp.assay.synergy.sweep import simulate_matrix, to_inhibition
from stat3qsp.trial.simulate import TrialSettings
from stat3qsp.trial.runner import run_trial
from stat3qsp.trial.spec import load_trial_spec

from tiny import SENSITIVITY_TINY

ROOT = Path(__file__).resolve().parents[2]
SPEC = str(ROOT / "trials" / "NCT02066532.yaml")
ARM = "ruxolitinib_trastuzumab"
TRAS = (0.0, 0.1, 1.0, 10.0)
RUX = (0.0, 100.0, 1000.0, 10000.0)


def _linear_factors(k: int) -> list[sa.Factor]:
    return [sa.Factor(f"x{i}", 0.0, -1.0, 1.0, "assumed: test") for i in range(k)]


def _outputs(design: pd.DataFrame, function) -> pd.DataFrame:
    """Outputs table of a numpy function of the design's factor columns."""
    x = design.drop(columns=[sc.SAMPLE]).to_numpy(float)
    return pd.DataFrame({sc.SAMPLE: design[sc.SAMPLE], sc.OUTPUT: "y", sc.VALUE: function(x), sc.ERROR: ""})


# -- factors ------------------------------------------------------------------------------------
@pytest.mark.parametrize("low, high, scale", [(1.0, 10.0, sc.LINEAR), (1.0, 10.01, sc.LOG), (0.0, 100.0, sc.LINEAR),
                                              (0.05, 5.0, sc.LOG)])
def test_factor_is_sampled_on_log_scale_beyond_one_decade(low, high, scale):
    factor = sa.Factor("p", low, low, high, "assumed: test")
    assert factor.scale == scale
    x = np.linspace(*factor.bounds, 5)
    assert np.allclose(factor.coordinate(factor.value(x)), x)
    assert np.isclose(factor.value(factor.bounds[0]), low) and np.isclose(factor.value(factor.bounds[1]), high)


def test_factors_hold_inputs_doses_context_definitions_and_other_drugs(model):
    setup = TrialSetup(SPEC, ARM, 2, 1)
    held = sa.held_parameters(model.catalog, read_regimen_map(), [setup.context], setup.drugs, ["EGFR_level"])
    table = sa.factors_table(model.parameters, setup.settable(), held)
    reasons = table.set_index(sc.FACTOR)[sc.HELD]
    for pid in ("rux_dose", "tras_interval", "jak_clamp_fraction", "HER2_tras_insensitive_share",
                "IL6_tx_HER2_k", "ner_kinact", "tumour_rate_scale", "tumour_kill_scale", "tumour_untreated_growth_rate",
                "EGFR_level",
                "HER2_reference_level", "rux_molar_mass"):
        assert reasons[pid], pid
    factors = sa.factors_from_table(table)
    names = [f.parameter_id for f in factors]
    fitted = [pid for pid, row in model.parameters.items() if row.source == "fitted: Sobotta 2017 (PEtab)"]
    assert set(fitted) <= set(names) and {"rux_CL_F", "tras_CL", "tumour_resistance_k"} <= set(names)
    assert all(f.low < f.high and f.low <= f.nominal <= f.high for f in factors)
    with pytest.raises(InputError, match="no row"):
        sa.factors_table(model.parameters, setup.settable(), {"not_a_parameter": "why"})


def test_a_held_parameter_cannot_be_asked_for_as_a_factor(model):
    setup = SynergySetup(("her2_amplified",), "trastuzumab", "ruxolitinib", TRAS, RUX, 72.0)
    held = sa.held_parameters(model.catalog, read_regimen_map(), setup.contexts, setup.drugs)
    table = sa.factors_table(model.parameters, setup.settable(), held)
    with pytest.raises(InputError, match="HER2_level"):
        sa.factors_from_table(table, ["HER2_level"])
    assert table.set_index(sc.FACTOR).at["tras_conc", sc.HELD] == "drug concentration (an input)"
    assert "medium" in {f.parameter_id for f in sa.factors_from_table(table)}  # compartments: cell model only


# -- Morris -------------------------------------------------------------------------------------
def test_morris_effects_of_a_linear_function_are_its_slopes_over_the_range():
    factors = _linear_factors(4)
    slopes = np.array([3.0, -2.0, 0.5, 0.0])
    design = sa.morris_design(factors, 6, sa.stream(1, sa.MORRIS_STREAM))
    morris = sa.morris_indices(factors, design, _outputs(design, lambda x: x @ slopes), sa.stream(1, 2)).set_index(sc.FACTOR)
    # EE = dy / Delta with Delta = 2/3 of the unit range: the change over the whole range (-1, 1).
    assert np.allclose(morris.loc[[f.parameter_id for f in factors], sc.MU], 2.0 * slopes)
    assert np.allclose(morris[sc.SIGMA], 0.0) and (morris[sc.N_EFFECTS] == 6).all()
    assert list(morris.sort_values(sc.RANK).index[:3]) == ["x0", "x1", "x2"]


def test_morris_indices_equal_salib_and_leave_out_steps_without_output():
    factors = [sa.Factor("a", 1.0, 0.1, 10.0, "assumed: test"), *_linear_factors(3)]
    design = sa.morris_design(factors, 8, sa.stream(3, sa.MORRIS_STREAM))

    def function(x):
        return np.log(x[:, 0]) * x[:, 1] + np.sin(3 * x[:, 2]) + x[:, 3] ** 2

    outputs = _outputs(design, function)
    ours = sa.morris_indices(factors, design, outputs, sa.stream(3, 2)).set_index(sc.FACTOR)
    theirs = salib_morris.analyze(sa.salib_problem(factors), sa.coordinates(design, factors),
                                  outputs[sc.VALUE].to_numpy(), num_levels=sa.MORRIS_LEVELS, seed=1)
    for name, key in ((sc.MU, "mu"), (sc.MU_STAR, "mu_star"), (sc.SIGMA, "sigma")):
        assert np.allclose(ours.loc[theirs["names"], name], theirs[key], rtol=1e-12)
    outputs.loc[outputs[sc.SAMPLE] == 3, sc.VALUE] = np.nan  # a point without output: its two steps go
    partial = sa.morris_indices(factors, design, outputs, sa.stream(3, 2))
    assert partial[sc.N_EFFECTS].sum() == 8 * len(factors) - 2


# -- Sobol --------------------------------------------------------------------------------------
def test_sobol_indices_of_the_ishigami_function_match_the_analytic_values():
    """Ishigami (a = 7, b = 0.1) on [-pi, pi]^3: S1 = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424,
    0.2437) (Saltelli et al. 2008, Global Sensitivity Analysis: The Primer, section 4.8)."""
    factors = [sa.Factor(f"x{i}", 0.0, -math.pi, math.pi, "assumed: test") for i in range(3)]
    design = sa.sobol_design(factors, 1024, sa.stream(5, sa.SOBOL_STREAM))

    def ishigami(x):
        return np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])

    outputs = _outputs(design, ishigami)
    sobol = sa.sobol_indices(factors, outputs, 1024, sa.stream(5, 2), resamples=100).set_index(sc.FACTOR)
    assert np.allclose(sobol.loc[["x0", "x1", "x2"], sc.S1], [0.3139, 0.4424, 0.0], atol=0.04)
    assert np.allclose(sobol.loc[["x0", "x1", "x2"], sc.ST], [0.5576, 0.4424, 0.2437], atol=0.04)
    assert list(sobol.sort_values(sc.RANK).index) == ["x0", "x1", "x2"]
    outputs.loc[outputs[sc.SAMPLE] == 7, sc.VALUE] = np.nan  # one unevaluable point drops its base sample
    assert (sa.sobol_indices(factors, outputs, 1024, sa.stream(5, 2), resamples=10)[sc.N_BASE_SAMPLES] == 1023).all()


def test_top_factors_compare_outputs_by_normalised_mu_star():
    morris = pd.DataFrame({sc.OUTPUT: ["big"] * 3 + ["small"] * 3 + ["flat"] * 3, sc.FACTOR: ["a", "b", "c"] * 3,
                           sc.MU_STAR: [100.0, 50.0, 1.0, 0.01, 0.0, 0.02, 0.0, 0.0, 0.0]})
    assert sa.top_factors(morris, 2) == ["a", "c"]


def test_noise_table_compares_repeats_with_the_design_spread():
    repeats = pd.DataFrame({sc.OUTPUT: "y", sc.VALUE: [1.0, 3.0, np.inf]})
    design = pd.DataFrame({sc.OUTPUT: "y", sc.VALUE: [0.0, 4.0, 8.0, np.nan]})
    row = sa.noise_table(repeats, design).iloc[0]
    assert row[sc.NOISE_SD] == pytest.approx(math.sqrt(2)) and row[sc.DESIGN_SD] == pytest.approx(4.0)
    assert row[sc.NOISE_RATIO] == pytest.approx(math.sqrt(2) / 4) and row[sc.REPEATS] == 2


# -- output families ------------------------------------------------------------------------------
def test_synergy_outputs_at_table_values_equal_the_synergy_stage(model):
    """Bliss (either mode) and fitted Loewe of the matrix the synergy stage simulates
    (stat3qsp.assay.synergy.sweep.simulate_matrix), scored as the stage scores viability."""
    setup = SynergySetup(("her2_trastuzumab_resistant",), "trastuzumab", "ruxolitinib", TRAS, RUX, 72.0)
    ours = setup.build()({})
    matrix = simulate_matrix(model, "her2_trastuzumab_resistant", "trastuzumab", "ruxolitinib", np.array(TRAS),
                             np.array(RUX), 72.0)
    inhibition = to_inhibition(matrix["viability_pct"].to_numpy().reshape(4, 4), "viability_pct", 100.0)
    for mode in ("fitted", "exact"):
        curves = {}
        if mode == "exact":
            cells = model.context("her2_trastuzumab_resistant")
            curves = {"single_r": lambda c: 100.0 - cells.assay({"trastuzumab": c})["viability_pct"],
                      "single_c": lambda c: 100.0 - cells.assay({"ruxolitinib": c})["viability_pct"]}
        stage = score_matrix(np.array(TRAS), np.array(RUX), inhibition, methods=("bliss", "loewe"), reference=mode,
                             **curves).summary
        assert ours["her2_trastuzumab_resistant__bliss"] == pytest.approx(stage["bliss"], abs=1e-9)
        # Fitted Loewe is the output; the exact mode differs by far less than the spread over the factors.
        tolerance = 1e-9 if mode == "fitted" else 0.1
        assert ours["her2_trastuzumab_resistant__loewe"] == pytest.approx(stage["loewe"], abs=tolerance)


def test_trial_outputs_at_table_values_equal_the_trial_runner():
    setup = TrialSetup(SPEC, ARM, 4, 3, horizon_weeks=30.0)
    ours = setup.build()({})
    result = run_trial(load_trial_spec(SPEC), TrialSettings(replicates=1, seed=3, patients=4, horizon_weeks=30.0,
                                                            arms=(ARM,)))
    table = result.replicate_endpoints.set_index("endpoint")
    for endpoint in ("median_pfs_weeks", "pfs_6mo", "orr", "cbr"):
        assert ours[f"{ARM}__{endpoint}"] == pytest.approx(table.at[endpoint, "value"], nan_ok=True)


def test_trial_outputs_rescale_the_growth_scale_or_report_why_they_cannot():
    evaluator = TrialSetup(SPEC, ARM, 2, 1, horizon_weeks=20.0).build()
    growth = evaluator.growth
    shifted = growth.overrides({"growth_k_max": 0.08})["tumour_doubling_days"]
    # the drawn doubling time fixes the untreated growth whatever g0; the cells' other drug effect moves the median
    assert shifted != growth.value
    # the reference patient at the rescaled median grows over the calibration time as at the table values
    assert growth.log_growth({"growth_k_max": 0.08, "tumour_doubling_days": shifted})[0] == pytest.approx(
        growth.growth, rel=1e-4)
    assert "tumour_doubling_days" not in TrialSetup(SPEC, ARM, 2, 1, growth_scale="fixed").build().growth.overrides(
        {"growth_k_max": 0.08})
    design = pd.DataFrame({sc.SAMPLE: [0], "death_k_max": [0.1], "growth_k_max": [0.01]})
    outputs = sa.evaluate(TrialSetup(SPEC, ARM, 2, 1, horizon_weeks=20.0), design)
    assert outputs[sc.VALUE].isna().all() and outputs[sc.ERROR].str.contains("does not progress").all()


def test_figures_are_drawn(tmp_path):
    from stat3qsp.sensitivity.figures import interval_figure, morris_figure, sobol_figure

    factors = _linear_factors(3)
    design = sa.morris_design(factors, 4, sa.stream(2, sa.MORRIS_STREAM))
    morris_figure(sa.morris_indices(factors, design, _outputs(design, lambda x: x[:, 0] - x[:, 1] ** 2), sa.stream(2, 2)),
                  tmp_path / "morris.png")
    design = sa.sobol_design(factors, 16, sa.stream(2, sa.SOBOL_STREAM))
    sobol_figure(sa.sobol_indices(factors, _outputs(design, lambda x: x[:, 0] + x[:, 1] * x[:, 2]), 16, sa.stream(2, 2)),
                 tmp_path / "sobol.png")
    endpoints = pd.DataFrame({"endpoint": ["orr"] * 2, "arm": [ARM] * 2, "observed": [0.04] * 2, "observed_lo": [0.0] * 2,
                              "observed_hi": [0.2] * 2, "predicted": [0.0, 0.04], "predicted_lo": [0.0] * 2,
                              "predicted_hi": [0.08, 0.2], sc.UNCERTAINTY: [sc.BASELINE_SOURCES, sc.PARAMETER_SOURCES]})
    interval_figure(endpoints, tmp_path / "intervals.png")
    assert all((tmp_path / f"{name}.png").stat().st_size > 5000 for name in ("morris", "sobol", "intervals"))


# -- configuration checks --------------------------------------------------------------------
@pytest.mark.parametrize("change, message", [
    ({"fixed": ["HER2_levle"]}, "HER2_levle"),
    ({"synergy": {**SENSITIVITY_TINY["sensitivity"]["synergy"], "contexts": ["lung"]}}, "unknown context 'lung'"),
    ({"synergy": {**SENSITIVITY_TINY["sensitivity"]["synergy"], "pair": {"row": "neratinib", "col": "ruxolitinib"}}}, "synergy.grids"),
])
def test_config_names_are_checked_before_any_job(change, message):
    config = {**SENSITIVITY_TINY, "sensitivity": {**SENSITIVITY_TINY["sensitivity"], **change}}
    with pytest.raises(InputError, match=message):
        check_sensitivity_config(config)
