"""The calibration on Sobotta et al. 2017: PEtab problem, objective, split, fit (fast configuration)."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import petab.v1 as petab
import pytest
import roadrunner

from stat3qsp.calibration.signalling.fit import PROFILE_THRESHOLD, multistart, profile, profile_interval
from stat3qsp.calibration.signalling.loading import load_objective
from stat3qsp.calibration.signalling.problem import (BROKEN_ROW, CONDITION_FILE, DROPPED, OBSERVABLE_FILE, PROBLEM_YAML,
                                        TRAINING_FILE, VALIDATION, VALIDATION_FILE, VALIDATION_YAML, build_problem,
                                        is_training, lint, to_model_units, write_problem)
from stat3qsp.calibration.signalling.spec import read_spec

SPEC = Path(__file__).resolve().parents[2] / "calibration" / "sobotta2017" / "spec.yaml"


@pytest.fixture(scope="module")
def spec():
    return read_spec(SPEC)


@pytest.fixture(scope="module")
def built(spec):
    return build_problem(spec)


@pytest.fixture(scope="module")
def problem_yaml(built, tmp_path_factory):
    return write_problem(built, tmp_path_factory.mktemp("sobotta2017"))


@pytest.fixture(scope="module")
def fast_objective(problem_yaml, spec):
    return load_objective(problem_yaml, spec.fit_config("fast").datasets)


# -- units and inputs ------------------------------------------------------------------------------
def test_il6_ng_per_ml_is_converted_with_21_kda():
    assert to_model_units(1.0, "ng/mL", 21000) == pytest.approx(0.047619, rel=1e-4)
    assert to_model_units(40.0, "ng/mL", 21000) == pytest.approx(40 * 1e-6 / 21000 * 1e9)
    assert to_model_units(500.0, "nM") == 500.0
    assert to_model_units(0.5, "uM") == 500.0


def test_condition_table_carries_il6_in_nM(built):
    conditions = built.conditions
    assert conditions.loc["il6_40__ruxolitinib_0", "IL6_ext"] == pytest.approx(40 / 21.0)
    assert conditions.loc["il6_0p0005__ruxolitinib_0", "IL6_ext"] == pytest.approx(0.0005 / 21.0)
    assert conditions.loc["il6_40__ruxolitinib_500", "rux_conc"] == 500.0
    preeq = conditions[conditions.index.str.startswith("preeq")]
    assert (preeq["IL6_ext"] == 0).all(), "pre-equilibration is without IL-6"


def test_times_are_hours_and_not_negative(built, spec):
    published = petab.get_measurement_df(spec.source.parent / "measurementData_Sobotta_Frontiers2017.tsv")
    used = built.provenance[built.provenance["use"] != DROPPED]
    assert built.training[petab.TIME].max() == pytest.approx(published.loc[used["sourceRow"], petab.TIME].max() / 60)
    assert (built.training[petab.TIME] >= 0).all() and (built.validation[petab.TIME] >= 0).all()


# -- the PEtab problem -----------------------------------------------------------------------------
def test_generated_problem_passes_petab_lint(problem_yaml):
    assert lint(problem_yaml) == []
    assert lint(problem_yaml.parent / VALIDATION_YAML) == []


def test_committed_problem_passes_lint_and_matches_the_recipe(problem_yaml):
    committed = SPEC.parent
    assert lint(committed / PROBLEM_YAML) == []
    for name, read in ((CONDITION_FILE, petab.get_condition_df), (OBSERVABLE_FILE, petab.get_observable_df),
                       (TRAINING_FILE, petab.get_measurement_df), (VALIDATION_FILE, petab.get_measurement_df)):
        pd.testing.assert_frame_equal(read(committed / name), read(problem_yaml.parent / name), check_dtype=False)


def test_dropped_rows_have_a_reason_and_no_unrepresented_input_is_kept(built, spec):
    fates = built.provenance
    assert fates.loc[fates["use"] == DROPPED, "reason"].str.len().gt(0).all()
    assert (fates["reason"] == BROKEN_ROW).sum() == 2
    published = petab.Problem.from_yaml(spec.source)
    inputs = published.condition_df.loc[fates["sourceConditionId"]]
    kept = (fates["use"] != DROPPED).to_numpy()
    for column in spec.unrepresented_inputs:
        assert (inputs.loc[kept, column] == 0).all(), column


# -- training/validation split ---------------------------------------------------------------------
def test_training_has_no_ruxolitinib_and_validation_only_ruxolitinib(built, spec):
    assert is_training(built.training, built.conditions, spec.validation_input).all()
    assert not is_training(built.validation, built.conditions, spec.validation_input).any()
    for table in (built.training, built.validation):
        preeq = built.conditions.loc[table[petab.PREEQUILIBRATION_CONDITION_ID], spec.validation_input].to_numpy()
        sim = built.conditions.loc[table[petab.SIMULATION_CONDITION_ID], spec.validation_input].to_numpy()
        np.testing.assert_array_equal(preeq, sim)


def test_every_published_ruxolitinib_row_is_validation_or_dropped(built, spec):
    published = petab.Problem.from_yaml(spec.source)
    rux = published.condition_df.loc[built.provenance["sourceConditionId"], "input_ruxolitinib"].to_numpy() > 0
    assert set(built.provenance.loc[rux, "use"]) <= {VALIDATION, DROPPED}
    assert (built.provenance["use"] == VALIDATION).sum() == len(built.validation) > 0


# -- the model in the hepatocyte setting -----------------------------------------------------------
def test_hepatocytes_without_il6_have_no_active_receptors_or_pstat3(built):
    runner = roadrunner.RoadRunner(built.sbml)
    runner.simulate(0, 2000, 2)
    assert runner["pSTAT3_fraction"] < 1e-9
    assert runner["[IL6R_act]"] < 1e-12
    assert runner["[IL6_mRNA]"] == 0.0


# -- objective -------------------------------------------------------------------------------------
def test_objective_equals_petab_negative_log_likelihood(fast_objective):
    """Golden value from an independent implementation: petab.v1.calculate_llh (libpetab-python 0.8.2)."""
    objective = fast_objective
    x = objective.x_nominal.copy()
    x[objective.dynamic] += 0.1
    simulation = objective.simulation_table(x)
    parameters = objective.problem.parameter_df.copy()
    for pid, value in objective.parameter_values(x).items():
        parameters.loc[pid, petab.NOMINAL_VALUE] = value
    llh = petab.calculate_llh(objective.measurements, simulation, objective.problem.observable_df, parameters)
    assert objective.nllh(x) == pytest.approx(-llh, rel=1e-10)


def test_jacobian_matches_finite_differences(fast_objective):
    objective = fast_objective
    x = np.clip(objective.x_nominal + 0.05, objective.lb, objective.ub)
    jac = objective.jacobian(x)
    f0 = objective.residuals(x)
    for j in [objective.dynamic[0], *np.setdiff1d(np.arange(len(x)), objective.dynamic)[:4]]:
        step = 1e-4 if j in objective.dynamic else 1e-7
        shifted = x.copy()
        shifted[j] += step
        numeric = (objective.residuals(shifted) - f0) / step
        np.testing.assert_allclose(jac[:, j], numeric, atol=2e-3 * max(1.0, np.abs(numeric).max()))


# -- fit -------------------------------------------------------------------------------------------
def test_fast_fit_lowers_the_objective_below_the_starting_values(problem_yaml, fast_objective, spec):
    """pyPESTO + fides never end a start above where it began; the same seed gives the same fits."""
    config = spec.fit_config("fast")
    results = multistart(fast_objective, config)
    assert len(results) == config.starts and sorted(r.start for r in results) == list(range(config.starts))
    assert results[0].nllh < fast_objective.nllh(fast_objective.x_nominal)
    assert all(r.nllh <= r.nllh_start + 1e-9 for r in results)
    for r in results:
        assert fast_objective.nllh(r.x) == pytest.approx(r.nllh, rel=1e-12)
    again = multistart(fast_objective, dataclasses.replace(config, workers=2))  # forked workers, same starts
    for a, b in zip(results, again):
        assert a.start == b.start and a.nllh == b.nllh
        np.testing.assert_array_equal(a.x, b.x)


def test_profile_points_are_constrained_fits_from_the_fixed_step(fast_objective, spec):
    """Each profile point is a fides fit with the parameter fixed one step from the last point: the value
    fixed is the step, and the fit is never worse than its starting guess (the last point with the
    parameter moved)."""
    config = spec.fit_config("fast")
    x_hat = np.clip(fast_objective.x_nominal, fast_objective.lb, fast_objective.ub)
    j = int(fast_objective.dynamic[0])
    table = profile(fast_objective, x_hat, j, config)
    assert set(table["parameterId"]) == {fast_objective.x_ids[j]}
    expected = [x_hat[j] + k * config.profile_step for k in range(-config.profile_max_steps, config.profile_max_steps + 1)]
    np.testing.assert_allclose(table["log10_value"], np.clip(expected, fast_objective.lb[j], fast_objective.ub[j]))
    centre = table.index[np.isclose(table["log10_value"], x_hat[j])][0]
    assert table.loc[centre, "nllh"] == pytest.approx(fast_objective.nllh(x_hat), rel=1e-12)
    for row in (centre - 1, centre + 1):
        guess = x_hat.copy()
        guess[j] = table.loc[row, "log10_value"]
        assert table.loc[row, "nllh"] <= fast_objective.nllh(guess) + 1e-9


def test_profile_interval_of_a_parabola():
    """A quadratic profile nllh = (u - 1)^2 / (2 s^2) has the 95% interval u = 1 +- s sqrt(2 * 1.92)."""
    s = 0.1
    u = np.linspace(0.5, 1.5, 201)
    table = pd.DataFrame({"log10_value": u, "nllh": (u - 1.0) ** 2 / (2 * s**2)})
    low, high, low_closed, high_closed = profile_interval(table, 0.0)
    half = s * np.sqrt(2 * PROFILE_THRESHOLD)
    assert np.log10(low) == pytest.approx(1.0 - half, abs=1e-3) and np.log10(high) == pytest.approx(1.0 + half, abs=1e-3)
    assert low_closed and high_closed
    _, high_open, _, closed = profile_interval(table[table["log10_value"] <= 1.1], 0.0)
    assert not closed and np.log10(high_open) == pytest.approx(1.1)


def test_a_fit_on_a_subset_of_datasets_is_completed_for_the_validation(problem_yaml, fast_objective):
    """The ``fast`` fit estimates the observation parameters of two datasets only; the validation stage
    fits the others at the fitted model parameters (it refused the estimate before) and never moves a fitted value."""
    from stat3qsp.calibration.signalling.workflow import _training_vector
    from stat3qsp.errors import InputError

    training = load_objective(problem_yaml)
    values = {p: 10.0 ** fast_objective.x_nominal[j] for j, p in enumerate(fast_objective.x_ids)}
    assert set(values) < set(training.x_ids)
    x = _training_vector(training, values)
    for j, pid in enumerate(training.x_ids):
        if j in training.dynamic:
            assert x[j] == pytest.approx(np.log10(values[pid]))
    assert training.nllh(x) <= training.nllh(training.x_nominal) + 1e-9
    model_parameter = training.x_ids[training.dynamic[0]]
    with pytest.raises(InputError, match=model_parameter):
        _training_vector(training, {p: v for p, v in values.items() if p != model_parameter})
