"""Trial endpoints against hand-computed answers and independent formulas.

Golden values: lifelines 0.30.3 (``KaplanMeierFitter().fit(durations, events)``, then
``median_survival_time_``), scipy (``binomtest(k, n).proportion_ci(method="exact")`` and the beta
quantiles of the Clopper-Pearson interval), and Kearney et al. 2021 (CBR 4/26, 95% CI 4-35%).
"""
from __future__ import annotations

from pathlib import Path
import math

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from scipy import stats

from stat3qsp.trial import endpoints as ep
from stat3qsp.trial import columns as tc
from stat3qsp.errors import InputError
from stat3qsp.trial.spec import load_trial_spec

SPEC_PATH = Path(__file__).resolve().parents[2] / "trials" / "NCT02066532.yaml"

# Five patients: events at 1, 3, 4; censored at 2 and 5.
# S(1) = 4/5 = 0.8; S(3) = 0.8 * (1 - 1/3) = 8/15; S(4) = 8/15 * (1 - 1/2) = 4/15 -> median 4.
DURATIONS = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
EVENTS = np.array([True, False, True, True, False])


def test_km_median_by_hand_and_by_lifelines():
    median, lo, hi = ep.km_median(DURATIONS, EVENTS)
    assert median == 4.0
    assert KaplanMeierFitter().fit(DURATIONS, EVENTS).median_survival_time_ == 4.0
    assert lo <= median <= hi


def test_km_median_analytic_without_censoring():
    # Five events at 2, 4, ..., 10: S = 0.8, 0.6, 0.4, ...; first value <= 0.5 at t = 6.
    assert ep.km_median(np.arange(1, 6) * 2.0, np.ones(5, bool))[0] == 6.0


def test_km_median_on_a_flat_half_is_the_midpoint():
    # Six events at 2, 4, ..., 12: S = 1/2 exactly on [6, 8); R survival and SAS report 7.
    assert ep.km_median(np.arange(1, 7) * 2.0, np.ones(6, bool))[0] == 7.0


def test_km_median_not_reached_is_infinite():
    assert ep.km_median([5.0, 6.0, 7.0], [True, False, False])[0] == math.inf


def test_km_survival_at_landmark_with_log_log_greenwood_interval():
    value, lo, hi = ep.km_survival_at(DURATIONS, EVENTS, 3.5)
    assert value == pytest.approx(8 / 15)
    # Exponential Greenwood: Var[log(-log S)] = sum d / (n (n - d)) / log(S)^2, events at 1 and 3.
    greenwood = 1 / (5 * 4) + 1 / (3 * 2)
    half_width = stats.norm.ppf(0.975) * math.sqrt(greenwood) / abs(math.log(8 / 15))
    assert lo == pytest.approx((8 / 15) ** math.exp(half_width))
    assert hi == pytest.approx((8 / 15) ** math.exp(-half_width))


def test_km_survival_after_last_follow_up_is_not_estimable():
    assert all(math.isnan(x) for x in ep.km_survival_at(DURATIONS, EVENTS, 26.0))
    assert ep.km_survival_at([1.0, 2.0], [True, True], 26.0)[0] == 0.0


def test_clopper_pearson_reproduces_the_trial_cbr_interval():
    rate, lo, hi = ep.proportion_ci(4, 26)
    assert (round(rate * 100, 1), round(lo * 100), round(hi * 100)) == (15.4, 4, 35)
    # Independent form of the exact interval: beta quantiles.
    assert lo == pytest.approx(stats.beta.ppf(0.025, 4, 23))
    assert hi == pytest.approx(stats.beta.ppf(0.975, 5, 22))


def test_clopper_pearson_at_zero_and_all():
    assert ep.proportion_ci(0, 26)[1] == 0.0
    assert ep.proportion_ci(26, 26)[2] == 1.0
    with pytest.raises(InputError, match="count"):
        ep.proportion_ci(27, 26)


def _patients(replicate: int, arm: str, responses: list[str], benefit: list[bool]) -> pd.DataFrame:
    n = len(responses)
    return pd.DataFrame({tc.REPLICATE: replicate, tc.ARM: arm, tc.PATIENT: range(n),
                         tc.PFS_WEEKS: DURATIONS[:n], tc.EVENT: EVENTS[:n],
                         tc.BEST_RESPONSE: responses, tc.CLINICAL_BENEFIT: benefit})


def test_trial_endpoints_per_replicate_and_arm():
    patients = pd.concat([
        _patients(0, "combo", ["PR", "SD", "PD", "NE", "CR"], [True, True, False, False, True]),
        _patients(1, "combo", ["SD", "SD", "PD", "PD", "PD"], [False, False, False, False, False]),
    ])
    table = ep.trial_endpoints(patients)
    assert list(table.columns) == list(tc.ENDPOINT_COLUMNS)
    assert len(table) == 2 * len(tc.TREATED_ENDPOINT_NAMES)
    value = table.set_index([tc.REPLICATE, tc.ENDPOINT])[tc.VALUE]
    assert value[(0, tc.ORR)] == pytest.approx(2 / 5)
    assert value[(0, tc.CBR)] == pytest.approx(3 / 5)
    assert value[(1, tc.ORR)] == 0.0
    assert value[(0, tc.MEDIAN_PFS_WEEKS)] == 4.0
    assert math.isnan(value[(0, tc.MEDIAN_DOR_WEEKS)])  # no response_weeks column: not computable
    counts = table.set_index([tc.REPLICATE, tc.ENDPOINT])[tc.N_PATIENTS]
    assert counts.drop(tc.MEDIAN_DOR_WEEKS, level=1).eq(5).all()
    assert (counts[(0, tc.MEDIAN_DOR_WEEKS)], counts[(1, tc.MEDIAN_DOR_WEEKS)]) == (2, 0)  # responders


# Duration of response by hand. Six patients; four responders (onset = first PR/CR scan, weeks):
#   A: PR at 8, PD at 32        -> DoR 24, event
#   B: PR at 16, censored at 40 -> DoR 24, censored (the last progression-free scan)
#   C: CR at 8, PD at 16        -> DoR 8, event
#   D: PR at 8, PD at 48        -> DoR 40, event
#   E (SD) and F (PD) are not responders and do not enter.
# KM over the responders (times 8, 24, 24+, 40): S(8) = 3/4; at 24 one event among 3 at risk
# (the censoring at 24 is counted after the event) -> S(24) = 3/4 * 2/3 = 1/2 exactly, flat until
# the event at 40, where S = 0: median on the flat half = midpoint (24 + 40) / 2 = 32 weeks.
DOR_PATIENTS = pd.DataFrame({
    tc.ARM: "combo", tc.PATIENT: range(6),
    tc.PFS_WEEKS: [32.0, 40.0, 16.0, 48.0, 24.0, 8.0],
    tc.EVENT: [True, False, True, True, True, True],
    tc.BEST_RESPONSE: ["PR", "PR", "CR", "PR", "SD", "PD"],
    tc.CLINICAL_BENEFIT: [True, True, True, True, False, False],
    tc.RESPONSE_WEEKS: [8.0, 16.0, 8.0, 8.0, math.nan, math.nan],
})


def test_duration_of_response_by_hand():
    durations, events = ep.response_durations(DOR_PATIENTS[tc.PFS_WEEKS], DOR_PATIENTS[tc.EVENT],
                                              DOR_PATIENTS[tc.RESPONSE_WEEKS])
    assert durations.tolist() == [24.0, 24.0, 8.0, 40.0]
    assert events.tolist() == [True, False, True, True]
    row = ep.trial_endpoints(DOR_PATIENTS).set_index(tc.ENDPOINT).loc[tc.MEDIAN_DOR_WEEKS]
    assert row[tc.VALUE] == 32.0
    assert row[tc.N_PATIENTS] == 4
    assert row[tc.LO] <= 32.0 <= row[tc.HI]


def test_duration_of_response_without_responders_is_nan_and_not_counted_across_replicates():
    none = DOR_PATIENTS.assign(**{tc.BEST_RESPONSE: "SD", tc.RESPONSE_WEEKS: math.nan, tc.REPLICATE: 1})
    table = ep.trial_endpoints(pd.concat([DOR_PATIENTS.assign(**{tc.REPLICATE: 0}), none]))
    dor = table[table[tc.ENDPOINT] == tc.MEDIAN_DOR_WEEKS].set_index(tc.REPLICATE)
    assert math.isnan(dor.loc[1, tc.VALUE]) and dor.loc[1, tc.N_PATIENTS] == 0
    summary = ep.prediction_summary(table).set_index(tc.ENDPOINT).loc[tc.MEDIAN_DOR_WEEKS]
    assert summary[tc.PREDICTED] == 32.0 and summary[tc.N_REPLICATES] == 1
    comparison = ep.comparison_table(ep.prediction_summary(table), ep.observed_table(load_trial_spec(SPEC_PATH)).iloc[:0])
    assert comparison.set_index(tc.ENDPOINT).loc[tc.MEDIAN_DOR_WEEKS, tc.N_REPLICATES] == 1


def test_response_after_the_end_of_pfs_is_refused():
    with pytest.raises(InputError, match="response_weeks"):
        ep.response_durations([8.0], [True], [16.0])


def test_trial_endpoints_needs_the_patient_columns():
    with pytest.raises(InputError, match=tc.CLINICAL_BENEFIT):
        ep.trial_endpoints(pd.DataFrame({tc.ARM: ["a"], tc.PFS_WEEKS: [1.0], tc.EVENT: [True],
                                         tc.BEST_RESPONSE: ["PD"]}))


def _endpoints(values: np.ndarray, arm: str = "combo", endpoint: str = tc.MEDIAN_PFS_WEEKS) -> pd.DataFrame:
    return pd.DataFrame({tc.REPLICATE: range(len(values)), tc.ARM: arm, tc.ENDPOINT: endpoint,
                         tc.VALUE: values, tc.LO: np.nan, tc.HI: np.nan, tc.N_PATIENTS: 26})


def test_prediction_interval_is_5th_to_95th_percentile():
    summary = ep.prediction_summary(_endpoints(np.arange(1.0, 101.0)))
    row = summary.iloc[0]
    # Linear interpolation on 1..100: position (100 - 1) * p -> 1 + 99 p.
    predicted = (row[tc.PREDICTED], row[tc.PREDICTED_LO], row[tc.PREDICTED_HI])
    assert predicted == pytest.approx((50.5, 5.95, 95.05))
    assert row[tc.N_REPLICATES] == 100


def test_prediction_summary_keeps_unreached_medians_and_drops_nan():
    values = np.array([8.0, 9.0, 10.0] + [math.inf] * 7 + [math.nan])
    row = ep.prediction_summary(_endpoints(values)).iloc[0]
    assert row[tc.PREDICTED] == math.inf and row[tc.PREDICTED_HI] == math.inf
    assert row[tc.PREDICTED_LO] == pytest.approx(8.45)
    assert row[tc.N_REPLICATES] == 10


def test_comparison_table_flags_consistency():
    summary = pd.concat([
        ep.prediction_summary(_endpoints(np.arange(1.0, 101.0))),
        ep.prediction_summary(_endpoints(np.linspace(0.0, 0.3, 101), endpoint=tc.ORR)),
        ep.prediction_summary(_endpoints(np.linspace(0.0, 1.0, 101), arm="what_if", endpoint=tc.ORR)),
    ])
    observed = pd.DataFrame({tc.ARM: ["combo", "combo", "combo"],
                             tc.ENDPOINT: [tc.MEDIAN_PFS_WEEKS, tc.ORR, tc.CBR],
                             tc.OBSERVED: [5.95, 0.5, 0.154], tc.OBSERVED_LO: [np.nan, 0.3, 0.04],
                             tc.OBSERVED_HI: [np.nan, 0.7, 0.35], tc.ROLE: "validation"})
    table = ep.comparison_table(summary, observed)
    assert list(table.columns) == list(tc.COMPARISON_COLUMNS)
    consistent = table.set_index([tc.ARM, tc.ENDPOINT])[tc.CONSISTENT]
    assert consistent[("combo", tc.MEDIAN_PFS_WEEKS)]          # on the lower limit: inside
    assert not consistent[("combo", tc.ORR)]                   # 0.5 above the 95th percentile 0.285
    assert consistent[("combo", tc.CBR)] is pd.NA              # no prediction
    assert consistent[("what_if", tc.ORR)] is pd.NA            # counterfactual: no observation
    assert list(table[tc.ENDPOINT]) == [tc.MEDIAN_PFS_WEEKS, tc.ORR, tc.ORR, tc.CBR]


def test_observed_table_from_the_real_spec():
    observed = ep.observed_table(load_trial_spec(SPEC_PATH))
    assert list(observed.columns) == list(tc.OBSERVED_COLUMNS)
    main = observed[observed[tc.ARM] == "ruxolitinib_trastuzumab"].set_index(tc.ENDPOINT)
    median = main.loc[tc.MEDIAN_PFS_WEEKS, [tc.OBSERVED, tc.OBSERVED_LO, tc.OBSERVED_HI]]
    assert median.tolist() == [8.3, 7.1, 13.9]
    assert math.isnan(main.loc[tc.PFS_6MO, tc.OBSERVED_LO])
    assert set(main[tc.ROLE]) == {"validation"}
    control = observed[observed[tc.ARM] == "historical_control"]
    assert control[tc.ROLE].tolist() == ["validation"] and control[tc.OBSERVED].tolist() == [8.0]  # no longer fitted


def test_km_median_equals_lifelines_unless_the_curve_is_flat_at_half():
    rng = np.random.default_rng(7)
    compared = 0
    for _ in range(40):
        durations, events = rng.exponential(10.0, 26), rng.random(26) < 0.7
        fitter = KaplanMeierFitter().fit(durations, events)
        if np.isclose(fitter.survival_function_.to_numpy(), 0.5).any():
            continue
        assert ep.km_median(durations, events)[0] == fitter.median_survival_time_
        compared += 1
    assert compared >= 20
