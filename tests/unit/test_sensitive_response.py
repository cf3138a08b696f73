"""Response is possible where a drug is active: strong target inhibition in a sensitive context gives
confirmed partial responses (issue 13), and no inhibition gives none."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from stat3qsp.trial import columns as tc
from stat3qsp.trial.runner import run_trial
from stat3qsp.trial.simulate import TrialSettings
from stat3qsp.trial.spec import load_trial_spec
from stat3qsp.trial.spec_types import TargetInhibition

VOGEL = "trials/vogel2002.yaml"  # her2_amplified, WHO/RECIST thresholds, responses confirmed >= 4 weeks later


@pytest.fixture(scope="module")
def outcomes():
    spec = load_trial_spec(VOGEL)
    base = spec.arm("trastuzumab_standard_dose")
    clamp = dataclasses.replace(base, name="full_her2_inhibition", counterfactual=True, rationale="test", drugs=(),
                                target_inhibition=(TargetInhibition("her2", 1.0, 1),), endpoints=())
    untreated = dataclasses.replace(clamp, name="no_inhibition", target_inhibition=(TargetInhibition("her2", 0.0, 1),))
    spec = dataclasses.replace(spec, arms=(clamp, untreated))
    result = run_trial(spec, TrialSettings(replicates=1, seed=3, patients=16, horizon_weeks=40))
    return {arm: part.reset_index(drop=True) for arm, part in result.patients.groupby(tc.ARM)}


def test_full_her2_inhibition_in_her2_amplified_disease_gives_confirmed_partial_responses(outcomes):
    clamp = outcomes["full_her2_inhibition"]
    responders = clamp[clamp[tc.BEST_RESPONSE].isin([tc.PR, tc.CR])]
    assert len(responders) >= 4  # a quarter of the patients or more
    # confirmed: the response was seen at a scan with a later counted scan at least 4 weeks after it
    assert np.all(responders[tc.BEST_PCT_CHANGE] <= -30.0)
    assert np.all(responders[tc.N_SCANS] >= 2)
    assert np.all(responders[tc.PFS_WEEKS] >= responders[tc.RESPONSE_WEEKS] + 4.0)


def test_the_same_patients_without_inhibition_do_not_respond_and_progress_sooner(outcomes):
    clamp, none = outcomes["full_her2_inhibition"], outcomes["no_inhibition"]
    assert np.allclose(clamp["baseline_sld_mm"], none["baseline_sld_mm"])  # common random numbers
    assert not none[tc.BEST_RESPONSE].isin([tc.PR, tc.CR]).any()
    assert np.all(none[tc.BEST_PCT_CHANGE].dropna() > -30.0)
    assert np.all(none[tc.PFS_WEEKS] <= clamp[tc.PFS_WEEKS] + 1e-9)
    assert none[tc.PFS_WEEKS].median() < clamp[tc.PFS_WEEKS].median()
