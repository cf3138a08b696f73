"""Posterior-predictive tails of an observed endpoint (stat3qsp.trial.predictive), by hand (layer a)."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from stat3qsp.errors import InputError
from stat3qsp.trial import columns as tc
from stat3qsp.trial import endpoints as ep
from stat3qsp.trial.predictive import predictive_tails


def test_tails_count_ties_in_both_and_rank_unreached_medians_above_all():
    values = [1.0, 2.0, 3.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, math.inf, math.nan]  # NaN: not estimable, left out
    # obs 3: <= {1, 2, 3, 3} = 4/10; >= {3, 3, 4, ..., 8, inf} = 8/10; p = 2 * 0.4.
    assert predictive_tails(values, 3.0) == pytest.approx((0.4, 0.8, 0.8))
    # obs 8.5: <= 9/10; >= only inf, 1/10; p = 0.2.
    assert predictive_tails(values, 8.5) == pytest.approx((0.9, 0.1, 0.2))
    # obs above every replicate but inf, below nothing: one tail 0 -> p = 0 only when no replicate reaches it.
    assert predictive_tails([1.0, 2.0], 5.0) == pytest.approx((1.0, 0.0, 0.0))


def test_rates_of_a_26_patient_trial_tie_with_the_rounded_observation():
    # 90 trials with 0 responders, 8 with 1 (1/26 = 0.03846, reported as 3.85%), 2 with 2.
    values = np.array([0] * 90 + [1] * 8 + [2] * 2) / 26
    p_le, p_ge, p = predictive_tails(values, 0.0385)
    assert (p_le, p_ge) == pytest.approx((0.98, 0.10))
    assert p == pytest.approx(0.20)
    # All replicates equal to the observation: both tails 1, p capped at 1.
    assert predictive_tails(np.zeros(5), 0.0) == (1.0, 1.0, 1.0)


def test_no_replicate_or_no_observation_gives_nan_and_bad_tolerance_is_refused():
    assert all(math.isnan(x) for x in predictive_tails([math.nan], 1.0))
    assert all(math.isnan(x) for x in predictive_tails([1.0], math.nan))
    with pytest.raises(InputError, match="tie_relative"):
        predictive_tails([1.0], 1.0, tie_relative=-1.0)


def test_comparison_table_puts_predictive_p_beside_the_interval():
    replicates = pd.DataFrame({tc.REPLICATE: range(10), tc.ARM: "combo", tc.ENDPOINT: tc.MEDIAN_PFS_WEEKS,
                               tc.VALUE: [8.0] * 6 + [16.0] * 4, tc.LO: np.nan, tc.HI: np.nan,
                               tc.N_PATIENTS: 26, tc.N_FAILED: 0})
    observed = pd.DataFrame({tc.ARM: ["combo"], tc.ENDPOINT: [tc.MEDIAN_PFS_WEEKS], tc.OBSERVED: [8.3],
                             tc.OBSERVED_LO: [np.nan], tc.OBSERVED_HI: [np.nan], tc.ROLE: ["validation"]})
    summary = ep.prediction_summary(replicates)
    row = ep.comparison_table(summary, observed, replicates).iloc[0]
    columns = list(tc.COMPARISON_COLUMNS)
    assert columns.index(tc.PREDICTIVE_P) == columns.index(tc.PREDICTED_HI) + 3
    # 6/10 at 8 <= 8.3, 4/10 at 16 >= 8.3: p = 0.8.
    assert (row[tc.P_LE_OBSERVED], row[tc.P_GE_OBSERVED], row[tc.PREDICTIVE_P]) == pytest.approx((0.6, 0.4, 0.8))
    assert math.isnan(ep.comparison_table(summary, observed).iloc[0][tc.PREDICTIVE_P])  # no replicates given
