"""Report tables of a virtual trial (stat3qsp.trial.summary) on hand-made inputs (layer a)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from stat3qsp.trial import columns as tc
from stat3qsp.model.parameters import Parameter
from stat3qsp.trial.summary import data_roles, predicted_vs_observed, summary_html, target_summary
from stat3qsp.trial.spec import load_trial_spec

SPEC = load_trial_spec(Path(__file__).resolve().parents[2] / "trials" / "NCT02066532.yaml")


def _parameter(pid: str, source: str) -> Parameter:
    return Parameter(pid, 1.0, "dimensionless", 0.0, 2.0, source, "")


def _comparison(rows: list[tuple]) -> pd.DataFrame:
    columns = [tc.ENDPOINT, tc.ARM, tc.OBSERVED, tc.OBSERVED_LO, tc.OBSERVED_HI, tc.PREDICTED, tc.PREDICTED_LO,
               tc.PREDICTED_HI, tc.CONSISTENT, tc.ROLE]
    table = pd.DataFrame(rows, columns=columns)
    table[tc.CONSISTENT] = pd.array(table[tc.CONSISTENT], dtype="boolean")
    return table


def test_data_roles_group_fitted_parameters_by_source_and_list_every_observed_endpoint():
    table = {"a_k": _parameter("a_k", "fitted: Lab 2017 (PEtab)"), "b_k": _parameter("b_k", "fitted: Lab 2017 (PEtab)"),
             "scale": _parameter("scale", "fitted: control median 8 weeks"), "c_k": _parameter("c_k", "assumed: x")}
    roles = data_roles(SPEC, table)
    calibration = roles[roles[tc.ROLE] == "calibration"]
    assert calibration[tc.USED_FOR].tolist()[:2] == ["fitted: a_k, b_k", "fitted: scale"]
    assert not roles[tc.USED_FOR].str.contains("c_k").any()
    endpoints = [(arm.name, e.name, e.role) for arm in SPEC.arms for e in arm.endpoints]
    assert len(roles) == 2 + len(endpoints)
    validation = roles[roles[tc.ROLE] == "validation"]
    assert len(validation) == sum(role == "validation" for *_, role in endpoints)
    assert validation[tc.USED_FOR].str.startswith("held out").all()
    assert roles[tc.ROLE].tolist() == sorted(roles[tc.ROLE].tolist())  # calibration rows first


def test_data_roles_of_the_project_calibrate_on_external_data_and_validate_on_the_combination_arm():
    from stat3qsp.model.parameters import read_parameter_table

    table = read_parameter_table(Path(__file__).resolve().parents[2] / "models" / "parameters.tsv")
    roles = data_roles(SPEC, table)
    calibration = roles[roles[tc.ROLE] == "calibration"]
    assert calibration[tc.USED_FOR].str.contains("tumour_kill_scale").any()
    assert not calibration[tc.DATA].str.contains("NCT02066532").any()
    validation = roles[roles[tc.ROLE] == "validation"][tc.DATA]
    combination = validation.str.startswith("NCT02066532 ruxolitinib_trastuzumab")
    assert combination.sum() == 6 + len(tc.TOXICITY_ENDPOINT_NAMES) and validation[~combination].str.startswith("NCT02066532 historical_control").all()


def test_predicted_vs_observed_says_yes_no_and_formats_rates_in_percent():
    comparison = _comparison([
        (tc.MEDIAN_PFS_WEEKS, "combo", 8.3, 7.1, 13.9, 9.0, 8.2, 17.2, True, "validation"),
        (tc.ORR, "combo", 0.0385, 0.001, 0.196, 0.0, 0.0, 0.0, False, "validation"),
        (tc.PFS_6MO, "combo", 0.21, np.nan, np.nan, 0.07, np.nan, np.nan, pd.NA, "validation"),
        (tc.MEDIAN_PFS_WEEKS, "control", 8.0, np.nan, np.nan, 8.9, 8.2, 17.2, False, "calibration"),
        (tc.MEDIAN_PFS_WEEKS, "edge", 8.3, 7.1, 13.9, 16.1, 8.30006, 17.3, False, "validation"),
        (tc.MEDIAN_PFS_WEEKS, "what_if", np.nan, np.nan, np.nan, 17.0, 16.0, 25.0, pd.NA, None),
    ])
    table = predicted_vs_observed(comparison)
    assert table[tc.ARM].tolist() == ["combo", "combo", "combo", "control", "edge"]  # the what-if arm: nothing observed
    assert table[tc.CONSISTENT_TEXT].tolist() == ["yes", "no", "n/a", "no", "no"]
    assert table[tc.NOTE].iloc[4] == "at the edge: the interval ends at 8.30006"
    assert table[tc.OBSERVED_TEXT].iloc[0] == "8.3 (7.1 to 13.9)"
    assert table[tc.OBSERVED_TEXT].iloc[1] == "3.85% (0.1% to 19.6%)"
    assert table[tc.PREDICTED_TEXT].iloc[2] == "7%"  # no interval: none shown
    assert "calibration target" in table[tc.NOTE].iloc[3] and table[tc.NOTE].iloc[0] == ""
    assert set(table[tc.PREDICTIVE_P_TEXT]) == {"n/a"}  # the comparison has no predictive_p column
    comparison[tc.P_LE_OBSERVED], comparison[tc.P_GE_OBSERVED] = 0.02, 0.99
    comparison[tc.PREDICTIVE_P] = 0.04
    assert predicted_vs_observed(comparison)[tc.PREDICTIVE_P_TEXT].iloc[0] == "0.04 (<= obs 0.02, >= obs 0.99)"


def test_target_summary_compares_every_arm_with_the_design_target():
    arms = [arm.name for arm in SPEC.arms]
    predicted = {arms[0]: (9.0, 8.0, 17.0), arms[1]: (8.0, 7.0, 9.0), arms[2]: (17.0, 13.0, 25.0)}
    comparison = _comparison([(tc.MEDIAN_PFS_WEEKS, arm, np.nan, np.nan, np.nan, *values, pd.NA, None)
                              for arm, values in predicted.items()])
    replicates = pd.DataFrame({tc.REPLICATE: [0, 1, 2, 3] * 3, tc.ARM: np.repeat(list(predicted), 4),
                               tc.ENDPOINT: tc.MEDIAN_PFS_WEEKS, tc.VALUE: [8, 9, 17, 13, 7, 8, 9, 8, 13, 17, 25, 17],
                               tc.LO: np.nan, tc.HI: np.nan, tc.N_PATIENTS: 26})
    table = target_summary(SPEC, comparison, replicates).set_index(tc.ARM)
    assert list(table.index) == arms[:3]  # spec order, arms without a prediction left out
    assert table[tc.REACHES_TARGET].tolist() == ["uncertain", "no", "yes"]
    assert table[tc.SHARE_REACHING].tolist() == pytest.approx([0.5, 0.0, 1.0])  # >= 13 counts as reaching
    assert (table[tc.TARGET_WEEKS] == SPEC.design.target_median_pfs_weeks).all()
    assert (table[tc.CONTROL_WEEKS] == SPEC.design.historical_control_median_pfs_weeks).all()
    page = summary_html(SPEC, data_roles(SPEC, {}), predicted_vs_observed(comparison), table.reset_index())
    assert page.count("<table") == 3 and "13 weeks" in page
