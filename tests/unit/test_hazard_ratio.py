"""PFS hazard ratio between two arms (stat3qsp.trial.hazard_ratio): a golden value, Cox's symmetries, and
which specs get the rows (layers a and c)."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize_scalar

from stat3qsp.errors import InputError
from stat3qsp.io.yamlfiles import read_yaml
from stat3qsp.trial import columns as tc
from stat3qsp.trial import endpoints as ep
from stat3qsp.trial.assessment import replicate_endpoints
from stat3qsp.trial.hazard_ratio import cox_hazard_ratio, hazard_ratio_endpoints
from stat3qsp.trial.spec import load_trial_spec, trial_spec_from_dict

ROOT = Path(__file__).resolve().parents[2]
SPEC = load_trial_spec(ROOT / "trials" / "EGF104900.yaml")
CONTROL, EXPERIMENTAL = "lapatinib_monotherapy", "lapatinib_trastuzumab"

# Gehan 1965 (Cox 1972's example): weeks of remission of 21 leukaemia patients on 6-mercaptopurine (0: censored)
# and 21 on placebo, with tied times in and between the groups.
DRUG = [(6, 1), (6, 1), (6, 1), (6, 0), (7, 1), (9, 0), (10, 1), (10, 0), (11, 0), (13, 1), (16, 1), (17, 0), (19, 0),
        (20, 0), (22, 1), (23, 1), (25, 0), (32, 0), (32, 0), (34, 0), (35, 0)]
PLACEBO = [(t, 1) for t in (1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23)]
TIMES = np.array([t for t, _ in DRUG + PLACEBO], float)
EVENTS = np.array([e for _, e in DRUG + PLACEBO], bool)
TREATED = np.arange(len(TIMES)) < len(DRUG)


def _efron_log_likelihood(beta: float, times: np.ndarray, events: np.ndarray, x: np.ndarray) -> float:
    """Cox's partial log-likelihood with Efron's (1977) handling of ties, written out here."""
    total = 0.0
    for t in np.unique(times[events]):
        dying, at_risk = events & (times == t), times >= t
        risk, tied = np.exp(beta * x[at_risk]).sum(), np.exp(beta * x[dying]).sum()
        d = int(dying.sum())
        total += beta * x[dying].sum() - sum(np.log(risk - j / d * tied) for j in range(d))
    return total


def test_the_gehan_ratio_is_lifelines_golden_value_and_maximises_the_efron_partial_likelihood():
    """Golden value: lifelines 0.30.3, ``CoxPHFitter().fit(df, 'T', 'E')`` on these 42 patients with x = 1 for
    6-MP: coef -1.5721248778883834, 95% CI of the coef (-2.38040755, -0.7638422) (Wald, se 0.4123967)."""
    hr, lo, hi = cox_hazard_ratio(TIMES, EVENTS, TREATED)
    assert (hr, lo, hi) == pytest.approx((np.exp(-1.5721248778883834), np.exp(-2.38040755), np.exp(-0.7638422)),
                                         rel=1e-6)
    best = minimize_scalar(lambda b: -_efron_log_likelihood(b, TIMES, EVENTS, TREATED.astype(float)),
                           bounds=(-5, 5), method="bounded", options={"xatol": 1e-10})
    assert np.log(hr) == pytest.approx(best.x, abs=1e-6)


def test_swapped_arms_give_the_reciprocal_and_identical_arms_give_one():
    hr, lo, hi = cox_hazard_ratio(TIMES, EVENTS, TREATED)
    swapped = cox_hazard_ratio(TIMES, EVENTS, ~TREATED)
    assert swapped == pytest.approx((1 / hr, 1 / hi, 1 / lo), rel=1e-6)  # partial likelihood symmetric in beta -> -beta
    twice = np.concatenate([TIMES, TIMES]), np.concatenate([EVENTS, EVENTS])
    same, same_lo, same_hi = cox_hazard_ratio(*twice, np.arange(2 * len(TIMES)) < len(TIMES))
    assert same == pytest.approx(1.0, abs=1e-9) and same_lo < 1 < same_hi


def test_without_a_maximum_the_ratio_is_its_limit_and_without_events_not_estimable():
    times, arm = np.array([4.0, 8.0, 12.0, 16.0]), np.array([True, True, False, False])
    assert cox_hazard_ratio(times, [False, False, True, True], arm)[0] == 0.0
    assert cox_hazard_ratio(times, [True, False, False, False], arm)[0] == np.inf
    assert np.isnan(cox_hazard_ratio(times, [False] * 4, arm)).all()
    assert np.isnan(cox_hazard_ratio(times, [True] * 4, [True] * 4)).all()
    with pytest.raises(InputError, match="one length"):
        cox_hazard_ratio(times, [True] * 3, arm)


def _patients(replicates: int = 2) -> pd.DataFrame:
    """Both arms of EGF104900: the experimental arm is Gehan's 6-MP group in every replicate, the control arm
    Gehan's placebo group in replicate 0 and the 6-MP group again in the others; patient 0 of replicate 1's
    experimental arm failed."""
    rows = []
    for replicate in range(replicates):
        for arm, group in ((EXPERIMENTAL, DRUG), (CONTROL, PLACEBO if replicate == 0 else DRUG)):
            for i, (t, e) in enumerate(group):
                failed = (replicate, arm, i) == (1, EXPERIMENTAL, 0)
                rows.append((replicate, arm, i, float(t), bool(e), "SD", False, tc.FAILED if failed else tc.OK))
    return pd.DataFrame(rows, columns=[tc.REPLICATE, tc.ARM, tc.PATIENT, tc.PFS_WEEKS, tc.EVENT, tc.BEST_RESPONSE,
                                       tc.CLINICAL_BENEFIT, tc.STATUS])


def test_each_replicate_compares_its_experimental_arm_with_the_next_replicates_control_arm():
    patients = _patients()
    table = replicate_endpoints(patients, SPEC)
    ratio = table[table[tc.ENDPOINT] == tc.PFS_HAZARD_RATIO]
    assert ratio[tc.ARM].tolist() == [EXPERIMENTAL] * 2 and ratio[tc.REPLICATE].tolist() == [0, 1]
    # replicate 0: 6-MP against replicate 1's control (6-MP again); replicate 1: against replicate 0's placebo
    assert ratio[tc.VALUE].iloc[0] == pytest.approx(1.0, abs=1e-9)
    rest = patients[~((patients[tc.REPLICATE] == 1) & (patients[tc.ARM] == EXPERIMENTAL) & (patients[tc.PATIENT] == 0))]
    drug, placebo = rest[rest[tc.REPLICATE] == 1], rest[(rest[tc.REPLICATE] == 0) & (rest[tc.ARM] == CONTROL)]
    pair = pd.concat([drug[drug[tc.ARM] == EXPERIMENTAL], placebo])
    assert ratio[tc.VALUE].iloc[1] == pytest.approx(
        cox_hazard_ratio(pair[tc.PFS_WEEKS], pair[tc.EVENT], pair[tc.ARM] == EXPERIMENTAL)[0], rel=1e-12)
    assert ratio[tc.N_PATIENTS].tolist() == [42, 41] and ratio[tc.N_FAILED].tolist() == [0, 1]
    one = replicate_endpoints(patients[patients[tc.REPLICATE] == 0], SPEC)  # one replicate: the paired ratio
    assert one[one[tc.ENDPOINT] == tc.PFS_HAZARD_RATIO][tc.VALUE].iloc[0] == pytest.approx(
        np.exp(-1.5721248778883834), rel=1e-6)
    others = table[table[tc.ENDPOINT] != tc.PFS_HAZARD_RATIO].reset_index(drop=True)
    pd.testing.assert_frame_equal(others, ep.trial_endpoints(patients, populations=SPEC.analysis.populations))
    observed = ep.observed_table(SPEC)
    assert observed[observed[tc.ENDPOINT] == tc.PFS_HAZARD_RATIO][[tc.ARM, tc.OBSERVED, tc.ROLE]].values.tolist() == \
        [[EXPERIMENTAL, 0.73, "validation"]]
    assert tc.PFS_HAZARD_RATIO not in set(ep.observed_table(SPEC, arms={EXPERIMENTAL})[tc.ENDPOINT])


def test_a_spec_without_the_ratio_or_a_run_of_one_arm_gets_no_row():
    without = dataclasses.replace(SPEC, design=dataclasses.replace(SPEC.design, pfs_hazard_ratio=None))
    patients = _patients(1)
    assert hazard_ratio_endpoints(patients, without).empty
    assert tc.PFS_HAZARD_RATIO not in set(replicate_endpoints(patients, without)[tc.ENDPOINT])
    assert tc.PFS_HAZARD_RATIO not in set(ep.observed_table(without)[tc.ENDPOINT])
    assert hazard_ratio_endpoints(patients[patients[tc.ARM] == CONTROL], SPEC).empty


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["design"].pop("control_arm"), "a randomized trial its control arm"),  # the schema's rule
    (lambda d: d["design"]["pfs_hazard_ratio"].update(experimental_arm=CONTROL), "other than control_arm"),
    (lambda d: d["design"].update(control_arm="placebo"), "is not an arm of the spec"),
    (lambda d: d["design"]["pfs_hazard_ratio"].update(lo=0.8, hi=0.9), "does not contain observed"),
])
def test_a_bad_hazard_ratio_in_a_spec_is_one_clear_error(edit, message):
    data = read_yaml(ROOT / "trials" / "EGF104900.yaml")
    edit(data)
    with pytest.raises(InputError, match=message):
        trial_spec_from_dict(data)
