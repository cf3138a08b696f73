"""Parameter uncertainty in the virtual trial: the distributions against their definitions, the
replicate trials against the trial runner, and the interval table against the trial stage's format."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from stat3qsp.trial import endpoints as ep
from stat3qsp.sensitivity import columns as sc
from stat3qsp.trial import columns as tc
from stat3qsp.errors import InputError
from stat3qsp.trial.simulate import TrialSettings
from stat3qsp.trial.runner import run_trial
from stat3qsp.trial.spec import load_trial_spec
from stat3qsp.sensitivity.uncertainty import (PROFILE, RANGE, UncertainParameter, UncertaintySetup, draw_parameters,
                                  interval_table, simulate_replicates, uncertain_parameters)

ROOT = Path(__file__).resolve().parents[2]
SPEC = str(ROOT / "trials" / "NCT02066532.yaml")
ARM = "ruxolitinib_trastuzumab"
SOURCE = "fitted: Sobotta 2017 (PEtab)"


def test_profile_parameter_has_the_interval_limits_as_its_2_5_and_97_5_percent_quantiles():
    parameter = UncertainParameter("k", 2.0, 0.5, 3.0, PROFILE)
    rng = np.random.default_rng(1)
    draws = np.array([parameter.draw(rng) for _ in range(40000)])
    assert np.quantile(draws, [0.025, 0.5, 0.975]) == pytest.approx([0.5, 2.0, 3.0], rel=0.03)
    at_bound = UncertainParameter("k", 3.0, 0.5, 3.0, PROFILE)  # a profile open towards a search bound
    assert max(at_bound.draw(rng) for _ in range(200)) == 3.0


@pytest.mark.parametrize("low, high, log", [(0.1, 10.0, True), (2.0, 8.0, False), (0.0, 5.0, False)])
def test_range_parameter_is_uniform_in_log_beyond_one_decade(low, high, log):
    parameter = UncertainParameter("k", low, low, high, RANGE)
    rng = np.random.default_rng(2)
    draws = np.array([parameter.draw(rng) for _ in range(20000)])
    assert draws.min() >= low and draws.max() <= high
    middle = np.sqrt(low * high) if log else (low + high) / 2
    assert np.median(draws) == pytest.approx(middle, rel=0.03)


def test_uncertain_parameters_are_the_profile_rows_and_the_declared_ranges(model):
    parameters = uncertain_parameters(model.parameters, SOURCE, ["tumour_resistance_k"])
    kinds = {p.parameter_id: p.kind for p in parameters}
    fitted = {pid for pid, row in model.parameters.items() if row.source == SOURCE}
    assert len(fitted) == 8 and {k for k, v in kinds.items() if v == PROFILE} == fitted
    assert kinds["tumour_resistance_k"] == RANGE
    with pytest.raises(InputError, match="no row"):
        uncertain_parameters(model.parameters, SOURCE, ["not_a_parameter"])
    with pytest.raises(InputError, match="profile parameter"):
        uncertain_parameters(model.parameters, SOURCE, ["IL6R_act_k"])
    with pytest.raises(InputError, match="empty parameter set"):
        uncertain_parameters(model.parameters, "fitted: nowhere")
    assert [p.parameter_id for p in uncertain_parameters(model.parameters, SOURCE, ["survival_K"], profile=False)] == ["survival_K"]


def test_a_replicate_draws_the_same_parameters_in_any_block(model):
    parameters = uncertain_parameters(model.parameters, SOURCE)
    assert draw_parameters(parameters, 7, 3) == draw_parameters(parameters, 7, 3)
    assert draw_parameters(parameters, 7, 3) != draw_parameters(parameters, 7, 4)


@pytest.fixture(scope="module")
def replicates(model):
    fitted = tuple(uncertain_parameters(model.parameters, SOURCE))
    wider = tuple(uncertain_parameters(model.parameters, SOURCE, ["survival_K"]))
    setup = UncertaintySetup(SPEC, (ARM,), 3, 1, 11, (fitted, wider), tuple(model.parameters), horizon_weeks=30.0)
    whole = simulate_replicates(setup, range(2))
    split = [simulate_replicates(setup, block) for block in (range(0, 1), range(1, 2))]
    return whole, split


def test_blocks_of_replicates_give_the_same_results_as_one_run(replicates):
    (endpoints, draws), split = replicates
    pd.testing.assert_frame_equal(endpoints, pd.concat([s[0] for s in split], ignore_index=True))
    pd.testing.assert_frame_equal(draws, pd.concat([s[1] for s in split], ignore_index=True))


def test_table_value_replicates_are_the_trial_runner_and_parameter_replicates_differ(replicates):
    (endpoints, draws), _ = replicates
    baseline = endpoints[endpoints[sc.UNCERTAINTY] == sc.BASELINE_SOURCES].drop(columns=[sc.UNCERTAINTY])
    trial = run_trial(load_trial_spec(SPEC), TrialSettings(replicates=2, seed=1, patients=3, horizon_weeks=30.0,
                                                           arms=(ARM,)))
    pd.testing.assert_frame_equal(baseline.reset_index(drop=True), trial.replicate_endpoints.reset_index(drop=True))
    assert set(draws.columns) >= {"replicate", "tumour_doubling_days", "IL6R_act_k", "survival_K"} and len(draws) == 4
    assert draws["tumour_doubling_days"].nunique() == 4  # rescaled per parameter vector
    # Common draws: a parameter shared by two sets has the same value in both.
    assert (draws.groupby("replicate")["IL6R_act_k"].nunique() == 1).all()
    labels = list(endpoints[sc.UNCERTAINTY].unique())
    assert labels[1:] == [f"{sc.PARAMETER_SOURCES} (8 fitted, profile intervals)",
                          f"{sc.PARAMETER_SOURCES} (8 fitted, profile intervals; table ranges of survival_K)"]


def test_interval_table_is_the_comparison_table_per_source(replicates):
    (endpoints, _), _ = replicates
    table = interval_table(endpoints, SPEC)
    assert list(table.columns) == [*tc.COMPARISON_COLUMNS, sc.UNCERTAINTY]
    assert len(table) == 3 * endpoints[tc.ENDPOINT].nunique()
    baseline = endpoints[endpoints[sc.UNCERTAINTY] == sc.BASELINE_SOURCES].drop(columns=[sc.UNCERTAINTY])
    observed = ep.observed_table(load_trial_spec(SPEC))
    expected = ep.comparison_table(ep.prediction_summary(baseline), observed[observed[tc.ARM] == ARM], baseline)
    ours = table[table[sc.UNCERTAINTY] == sc.BASELINE_SOURCES].drop(columns=[sc.UNCERTAINTY])
    pd.testing.assert_frame_equal(ours.reset_index(drop=True), expected.reset_index(drop=True))


def test_setup_refuses_unknown_arms_growth_scale_modes_and_repeated_sets(model):
    fitted = tuple(uncertain_parameters(model.parameters, SOURCE))
    order = tuple(model.parameters)
    with pytest.raises(InputError):
        UncertaintySetup(SPEC, ("no_such_arm",), 3, 1, 1, (fitted,), order)
    with pytest.raises(InputError, match="growth_scale"):
        UncertaintySetup(SPEC, (ARM,), 3, 1, 1, (fitted,), order, growth_scale="refit")
    with pytest.raises(InputError, match="all different"):
        UncertaintySetup(SPEC, (ARM,), 3, 1, 1, (fitted, fitted), order)
