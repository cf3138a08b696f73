"""The validation endpoints a run misses (stat3qsp.trial.misses) on a synthetic comparison table (layer a)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from stat3qsp.trial import columns as tc
from stat3qsp.trial import misses
from stat3qsp.trial.spec import load_trial_spec
from stat3qsp.trial.summary import data_roles, predicted_vs_observed, summary_html, target_summary

SPEC = load_trial_spec(Path(__file__).resolve().parents[2] / "trials" / "EGF104900.yaml")  # scans at 4, 8, 12, ... weeks


def _comparison(rows: list[tuple]) -> pd.DataFrame:
    """Rows ``(endpoint, arm, observed, predicted, p_le, p_ge, role)``; predictive_p from the tails."""
    table = pd.DataFrame(rows, columns=[tc.ENDPOINT, tc.ARM, tc.OBSERVED, tc.PREDICTED, tc.P_LE_OBSERVED,
                                        tc.P_GE_OBSERVED, tc.ROLE])
    table[tc.PREDICTIVE_P] = np.minimum(1.0, 2 * np.minimum(table[tc.P_LE_OBSERVED], table[tc.P_GE_OBSERVED]))
    for column in (tc.OBSERVED_LO, tc.OBSERVED_HI, tc.PREDICTED_LO, tc.PREDICTED_HI):
        table[column] = np.nan
    table[tc.CONSISTENT] = pd.array([pd.NA] * len(table), dtype="boolean")
    return table


COMPARISON = _comparison([
    (tc.MEDIAN_PFS_WEEKS, "control", 8.1, 7.9, 0.98, 0.02, "calibration"),  # small p, but fitted: not listed
    (tc.MEDIAN_PFS_WEEKS, "combo", 12.0, 11.3, 1.0, 0.0, "validation"),     # miss below, median beyond the first scans
    (tc.ORR, "combo", 0.103, 0.18, 0.03, 1.0, "validation"),                # miss above
    (tc.CBR, "combo", 0.247, 0.20, 0.40, 0.65, "validation"),               # hit (p 0.8): not listed
    (tc.MEDIAN_PFS_WEEKS, "what_if", np.nan, 9.0, np.nan, np.nan, None),    # nothing observed: not listed
])


def test_only_validation_misses_are_listed_with_their_direction_and_kind():
    table = misses.validation_misses(COMPARISON, SPEC)
    assert list(table.columns) == list(tc.MISS_COLUMNS)
    assert list(zip(table[tc.ENDPOINT], table[tc.ARM])) == [(tc.MEDIAN_PFS_WEEKS, "combo"), (tc.ORR, "combo")]
    assert table[tc.PREDICTIVE_P].tolist() == pytest.approx([0.0, 0.06])
    assert table[tc.DIRECTION].tolist() == ["below (P(pred >= obs) = 0)", "above (P(pred <= obs) = 0.03)"]
    assert table[tc.REASON].iloc[0].startswith(f"{misses.DURABLE}: ")
    assert table[tc.REASON].iloc[1].startswith(f"{misses.RESPONSE}: ")
    assert all("docs/" in reason for reason in table[tc.REASON])
    hits = COMPARISON.assign(**{tc.P_LE_OBSERVED: 0.5, tc.P_GE_OBSERVED: 0.5, tc.PREDICTIVE_P: 1.0})
    assert misses.validation_misses(hits, SPEC).empty


def test_a_median_is_durable_only_beyond_the_second_scan_and_every_endpoint_has_a_reason():
    assert [misses.median_beyond_first_scans(SPEC, weeks) for weeks in (4.0, 8.1, 9.9, 10.1, 12.0)] == \
        [False, False, False, True, True]
    for name in (*tc.ENDPOINT_NAMES, *tc.BETWEEN_ARM_ENDPOINT_NAMES):
        assert misses.endpoint_kind(SPEC, name, 12.0) in misses.REASONS


def test_the_summary_page_lists_the_misses_or_says_none():
    target = target_summary(SPEC, COMPARISON, pd.DataFrame(columns=list(tc.ENDPOINT_COLUMNS)))
    page = summary_html(SPEC, data_roles(SPEC, {}), predicted_vs_observed(COMPARISON), target,
                        misses=misses.validation_misses(COMPARISON, SPEC))
    assert "the model misses, and why" in page and "above (P(pred &lt;= obs) = 0.03)" in page
    empty = summary_html(SPEC, data_roles(SPEC, {}), predicted_vs_observed(COMPARISON), target,
                         misses=misses.validation_misses(COMPARISON.iloc[:0], SPEC))
    assert "<p>none: " in empty
