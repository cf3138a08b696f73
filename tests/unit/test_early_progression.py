"""Early clinical progression as a PFS event or censored (trial spec ``analysis``), and the treated and
evaluable analysis populations: RECIST glue, endpoints, spec checks and the course-linked model of which
early leavers are clinical progressions."""
from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pandas as pd
import pytest
import yaml

from stat3qsp.errors import InputError
from stat3qsp.trial import columns as tc
from stat3qsp.trial import endpoints as ep
from stat3qsp.trial.recist import assess_patients
from stat3qsp.trial.runner import run_trial
from stat3qsp.trial.simulate import TrialSettings
from stat3qsp.trial.spec import load_trial_spec, trial_spec_from_dict
from stat3qsp.trial.spec_types import Analysis

SPEC = "trials/NCT02066532.yaml"


def test_clinical_progression_is_an_event_at_its_time_and_only_while_on_study():
    # four patients, scans at 9 and 18 weeks; two leave early (2 and 4 weeks), one of them after a
    # clinical progression at 4 weeks that comes after it left (not counted)
    baseline = np.array([50.0, 50.0, 50.0, 50.0])
    sld = np.array([[np.nan, np.nan], [np.nan, np.nan], [70.0, 80.0], [45.0, 46.0]])
    disc = np.array([2.0, 4.0, np.nan, np.nan])
    clinical = np.array([2.0, np.nan, np.nan, np.nan])
    censor = assess_patients(baseline, [9.0, 18.0], sld, discontinuation_weeks=disc)
    event = assess_patients(baseline, [9.0, 18.0], sld, discontinuation_weeks=disc, clinical_progression_weeks=clinical)
    assert event[tc.PFS_WEEKS].tolist() == [2.0, 4.0, 9.0, 18.0] == censor[tc.PFS_WEEKS].tolist()
    assert event[tc.EVENT].tolist() == [True, False, True, False]
    assert censor[tc.EVENT].tolist() == [False, False, True, False]
    assert event[tc.CLINICAL_PROGRESSION].tolist() == [True, False, False, False]
    late = assess_patients(baseline[:1], [9.0, 18.0], sld[:1], discontinuation_weeks=[2.0],
                           clinical_progression_weeks=[3.0])
    assert not late[tc.EVENT].iloc[0] and not late[tc.CLINICAL_PROGRESSION].iloc[0]


def test_km_median_with_clinical_progressions_is_the_analytic_value():
    # 4 patients: clinical progressions at 2 and 4 weeks, PD at the 9-week scan for the other two:
    # S = 3/4 from 2, 1/2 from 4 to 9, 0 from 9; S is exactly 1/2 on [4, 9), so the median is 6.5
    table = assess_patients([50.0] * 4, [9.0], [[np.nan], [np.nan], [70.0], [80.0]],
                            discontinuation_weeks=[2.0, 4.0, np.nan, np.nan],
                            clinical_progression_weeks=[2.0, 4.0, np.nan, np.nan])
    assert ep.km_median(table[tc.PFS_WEEKS], table[tc.EVENT])[0] == pytest.approx(6.5)
    censored = assess_patients([50.0] * 4, [9.0], [[np.nan], [np.nan], [70.0], [80.0]],
                               discontinuation_weeks=[2.0, 4.0, np.nan, np.nan])
    assert ep.km_median(censored[tc.PFS_WEEKS], censored[tc.EVENT])[0] == 9.0


def test_evaluable_endpoints_count_measurable_patients_with_a_scan():
    patients = pd.DataFrame({
        tc.ARM: "a", tc.PFS_WEEKS: [9.0, 18.0, 3.0, 27.0, 9.0], tc.EVENT: [True, True, False, False, True],
        tc.BEST_RESPONSE: ["PR", "SD", "NE", "SD", "PD"], tc.CLINICAL_BENEFIT: [True, False, False, True, False],
        tc.MEASURABLE: [True, True, True, False, True], tc.N_SCANS: [1, 2, 0, 3, 1]})
    treated = ep.trial_endpoints(patients).set_index(tc.ENDPOINT)
    both = ep.trial_endpoints(patients, populations=(tc.TREATED, tc.EVALUABLE)).set_index(tc.ENDPOINT)
    assert tc.ORR_EVALUABLE not in treated.index
    assert both.loc[tc.ORR, tc.VALUE] == pytest.approx(1 / 5) and both.loc[tc.ORR, tc.N_PATIENTS] == 5
    assert both.loc[tc.ORR_EVALUABLE, tc.VALUE] == pytest.approx(1 / 3)
    assert both.loc[tc.CBR_EVALUABLE, tc.VALUE] == pytest.approx(1 / 3)
    assert both.loc[tc.ORR_EVALUABLE, tc.N_PATIENTS] == 3
    assert both.loc[tc.ORR_EVALUABLE, tc.LO] == pytest.approx(ep.proportion_ci(1, 3)[1])
    with pytest.raises(InputError, match="measurable"):
        ep.trial_endpoints(patients.drop(columns=[tc.MEASURABLE]), populations=(tc.TREATED, tc.EVALUABLE))


@pytest.fixture(scope="module")
def raw():
    with open(SPEC) as handle:
        return yaml.safe_load(handle)


@pytest.mark.parametrize("edit, message", [
    (lambda a: a.update(early_clinical_progression="progression"), "early_clinical_progression"),
    (lambda a: a.update(clinical_progression_model="everyone"), "clinical_progression_model"),
    (lambda a: a.update(populations=["evaluable"]), "populations"),
    (lambda a: a.update(populations=["treated", "itt"]), "populations"),
    (lambda a: a.pop("source"), "source"),
])
def test_bad_analysis_values_are_named(raw, edit, message):
    data = copy.deepcopy(raw)
    edit(data["analysis"])
    with pytest.raises(InputError, match=message):
        trial_spec_from_dict(data)


def test_evaluable_endpoint_without_the_evaluable_population_is_refused(raw):
    data = copy.deepcopy(raw)
    data["analysis"]["populations"] = ["treated"]
    with pytest.raises(InputError, match=r"orr_evaluable.*evaluable"):
        trial_spec_from_dict(data)


def test_spec_without_analysis_censors_and_analyses_the_treated(raw):
    data = copy.deepcopy(raw)
    del data["analysis"]
    for arm in data["arms"]:
        for name in ("orr_evaluable", "cbr_evaluable"):
            arm.get("endpoints", {}).pop(name, None)
    spec = trial_spec_from_dict(data)
    assert spec.analysis == Analysis() and not spec.analysis.clinical_progression_is_event


def test_clinical_progressions_are_the_early_leavers_whose_tumour_progressed_by_the_first_scan():
    """The course-linked model, checked against the same patients kept on study: with dropout, a patient
    is a clinical progression under the event rule exactly when it left before the first scan and, without
    dropout (same patients, same scan times), its first scan shows progression."""
    spec = load_trial_spec(SPEC)
    leave = dataclasses.replace(spec.early_discontinuation, fraction=0.9)
    settings = TrialSettings(replicates=1, seed=7, patients=6, horizon_weeks=20, arms=("ruxolitinib_trastuzumab",))

    def run(analysis: Analysis, early) -> pd.DataFrame:
        return run_trial(dataclasses.replace(spec, analysis=analysis, early_discontinuation=early), settings).patients

    event = run(dataclasses.replace(spec.analysis, early_clinical_progression="event"), leave)
    censor = run(dataclasses.replace(spec.analysis, early_clinical_progression="censored"), leave)
    stay = run(spec.analysis, dataclasses.replace(spec.early_discontinuation, fraction=0.0))
    assert np.allclose(event["baseline_sld_mm"], stay["baseline_sld_mm"])
    early = event[tc.DISCONTINUED_EARLY].astype(bool).to_numpy()
    first_pd = (stay[tc.EVENT].astype(bool) & (stay[tc.N_SCANS] == 1)).to_numpy()
    clinical = event[tc.CLINICAL_PROGRESSION].astype(bool).to_numpy()
    assert early.sum() >= 3 and clinical.any() and (early & ~clinical).any()
    assert np.array_equal(clinical, early & first_pd)
    assert not censor[tc.CLINICAL_PROGRESSION].astype(bool).any()
    assert np.array_equal(event[tc.EVENT].astype(bool).to_numpy(), censor[tc.EVENT].astype(bool).to_numpy() | clinical)
    assert np.allclose(event[tc.PFS_WEEKS], censor[tc.PFS_WEEKS])
