"""Monte Carlo error of the predicted medians (stat3qsp.trial.monte_carlo)."""
import numpy as np
import pandas as pd
import pytest

from stat3qsp.trial import columns as tc
from stat3qsp.trial.monte_carlo import MC_SE, MEDIAN, bootstrap_median_se, median_standard_errors


def test_bootstrap_se_matches_the_asymptotic_se_of_a_normal_median():
    # The median of n normal values has standard error sqrt(pi / 2) sigma / sqrt(n) for large n.
    values = np.random.default_rng(3).normal(10.0, 2.0, size=400)
    expected = np.sqrt(np.pi / 2) * 2.0 / np.sqrt(400)
    assert bootstrap_median_se(values, resamples=2000) == pytest.approx(expected, rel=0.15)


def test_bootstrap_se_shrinks_as_one_over_root_n():
    rng = np.random.default_rng(5)
    small = bootstrap_median_se(rng.normal(size=100), resamples=2000)
    large = bootstrap_median_se(rng.normal(size=1600), resamples=2000)
    assert small / large == pytest.approx(4.0, rel=0.3)


def test_not_reached_medians_and_constant_values():
    assert bootstrap_median_se(np.full(5, np.inf)) == 0.0
    assert bootstrap_median_se(np.array([1.0, np.inf, np.inf, 2.0])) == np.inf
    assert bootstrap_median_se(np.array([3.0, 3.0, 3.0])) == 0.0
    assert np.isnan(bootstrap_median_se(np.array([np.nan, np.nan])))


def test_table_per_arm_and_endpoint_leaves_out_nan():
    rows = [(r, arm, "orr", value) for r, (a, b) in enumerate([(0.1, 0.5), (0.2, np.nan), (0.3, 0.7)])
            for arm, value in (("a", a), ("b", b))]
    table = median_standard_errors(pd.DataFrame(rows, columns=[tc.REPLICATE, tc.ARM, tc.ENDPOINT, tc.VALUE]))
    assert list(table[tc.ARM]) == ["a", "b"]
    assert list(table[MEDIAN]) == pytest.approx([0.2, 0.6])
    assert list(table[tc.N_REPLICATES]) == [3, 2]
    assert (table[MC_SE] > 0).all()
