"""RECIST 1.1 classification, best response, PFS and clinical benefit on hand-made cases.

Expected values are worked out by hand from the rules of Eisenhauer et al. 2009 (RECIST 1.1) and the
censoring rules of Kearney et al. 2021 (NCT02066532), quoted in each test.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from stat3qsp.trial import columns as tc
from stat3qsp.errors import InputError
from stat3qsp.trial.recist import (RecistRules, assess_patient, assess_patients, classify_scans,
                             progression_free_survival)

CONFIRM = RecistRules(confirmation_required=True)


@pytest.mark.parametrize("baseline, sld, expected", [
    (50.0, 35.0, "PR"),   # exactly -30%
    (50.0, 35.1, "SD"),   # -29.8%
    (33.0, 23.1, "PR"),   # exactly -30%, where 33 * 0.7 rounds below 23.1 in floating point
    (100.0, 70.0, "PR"),
])
def test_partial_response_boundary_is_inclusive(baseline, sld, expected):
    assert classify_scans(baseline, [sld]) == (expected,)


@pytest.mark.parametrize("baseline, sld, expected", [
    (20.0, 24.0, "SD"),    # +20% over the nadir but only +4 mm
    (25.0, 30.0, "PD"),    # +20% and +5 mm: both thresholds met exactly
    (100.0, 110.0, "SD"),  # +10 mm but only +10%
    (100.0, 120.0, "PD"),
])
def test_progression_needs_both_relative_and_absolute_increase(baseline, sld, expected):
    assert classify_scans(baseline, [sld]) == (expected,)


def test_progression_is_measured_from_the_nadir_not_the_baseline():
    # 50 -> 30 (-40%, PR) -> 36: -28% from baseline, but +20% and +6 mm over the nadir of 30.
    assert classify_scans(50.0, [30.0, 36.0]) == ("PR", "PD")


def test_nadir_includes_baseline():
    # 20 -> 24 (+4 mm, SD) -> 25: +25% and +5 mm over the nadir, which is still the baseline.
    assert classify_scans(20.0, [24.0, 25.0]) == ("SD", "PD")


def test_new_lesion_is_progression_whatever_the_diameters():
    assert classify_scans(50.0, [20.0], new_lesion=[True]) == ("PD",)


@pytest.mark.parametrize("sld, expected", [(0.0, "CR"), (4.9, "CR"), (5.0, "PR")])
def test_complete_response_below_the_5_mm_floor(sld, expected):
    assert classify_scans(60.0, [sld]) == (expected,)


def test_reappearance_after_complete_response_is_progression():
    # Nadir 0 mm; 5 mm is +5 mm and an infinite relative increase.
    assert classify_scans(40.0, [0.0, 5.0]) == ("CR", "PD")


def test_best_response_ignores_scans_after_progression():
    outcome = assess_patient(50.0, [9, 18], [61.0, 20.0])
    assert outcome.responses == ("PD", None)
    assert outcome.best_response == "PD"
    assert outcome.best_pct_change == pytest.approx(22.0)


def test_unconfirmed_response_counts_without_confirmation():
    # Kearney 2021 (PFS primary endpoint) reports no confirmation; RECIST 1.1 then does not require it.
    assert assess_patient(50.0, [9, 18], [30.0, 40.0]).best_response == "PR"


@pytest.mark.parametrize("sld, weeks, expected", [
    ([30.0, 40.0], [9, 18], "SD"),          # PR then PD: unconfirmed, counts as SD
    ([30.0, 31.0], [9, 18], "PR"),          # PR confirmed 9 weeks later
    ([30.0, 31.0], [9, 12], "SD"),          # second PR only 3 weeks later: too early to confirm
    ([4.0, 6.0], [9, 18], "PR"),            # CR (below 5 mm) then PR (+2 mm, not PD): PR
    ([0.0, 0.0], [9, 18], "CR"),
])
def test_confirmation_rules(sld, weeks, expected):
    assert assess_patient(50.0, weeks, sld, rules=CONFIRM).best_response == expected


@pytest.mark.parametrize("sld, rules, onset", [
    ([30.0, 31.0, 45.0], CONFIRM, 8.0),       # PR at 8 confirmed at 16: onset at the first PR, not its confirmation
    ([40.0, 30.0, 31.0], CONFIRM, 16.0),      # SD (-20%) first: onset at the first PR
    ([30.0, 35.5, 35.5], CONFIRM, math.nan),  # PR at 8 never confirmed (SD after): no response, no onset
    ([30.0, 35.5, 35.5], RecistRules(), 8.0),  # without confirmation the single PR counts
    ([45.0, 55.0, 70.0], CONFIRM, math.nan),  # SD, SD, PD: no response
])
def test_response_onset_is_the_first_scan_meeting_the_criteria(sld, rules, onset):
    """RECIST 1.1, 'Duration of overall response': measured from the time the measurement criteria
    for CR/PR are first met (baseline 50 mm, scans at 8, 16, 24 weeks)."""
    outcome = assess_patient(50.0, [8.0, 16.0, 24.0], sld, rules=rules)
    assert outcome.response_weeks == onset or (math.isnan(onset) and math.isnan(outcome.response_weeks))


@pytest.mark.parametrize("weeks, benefit", [
    ([12.0, 24.0], False),   # SD last documented at exactly 24 weeks: not > 24
    ([12.0, 24.5], True),
])
def test_clinical_benefit_needs_stable_disease_beyond_24_weeks(weeks, benefit):
    outcome = assess_patient(50.0, weeks, [48.0, 49.0])
    assert outcome.best_response == "SD"
    assert outcome.clinical_benefit is benefit


def test_stable_disease_ended_by_progression_before_24_weeks_gives_no_benefit():
    outcome = assess_patient(50.0, [9, 18, 27], [48.0, 49.0, 70.0])
    assert (outcome.best_response, outcome.clinical_benefit) == ("SD", False)


def test_partial_response_is_clinical_benefit_at_any_time():
    assert assess_patient(50.0, [9, 18], [30.0, 40.0]).clinical_benefit is True


def test_progression_is_dated_at_the_scan_showing_it():
    assert progression_free_survival(50.0, [9, 18, 27], [48.0, 61.0, 80.0]) == (18.0, True)


def test_censored_at_last_progression_free_scan_while_on_study():
    assert progression_free_survival(50.0, [9, 18, 27], [48.0, 49.0, 50.0]) == (27.0, False)


def test_discontinuation_after_a_scan_is_censored_at_the_last_progression_free_scan():
    # Off study at 20 weeks: the scheduled 27-week scan is not done; censored at 18, not at 20.
    assert progression_free_survival(50.0, [9, 18, 27], [48.0, 49.0, 80.0],
                                     discontinuation_weeks=20.0) == (18.0, False)


def test_discontinued_before_first_scan_is_censored_at_last_follow_up():
    outcome = assess_patient(50.0, [9, 18], [48.0, 49.0], discontinuation_weeks=5.0)
    assert (outcome.pfs_weeks, outcome.event) == (5.0, False)
    assert outcome.discontinued_early and outcome.best_response == "NE" and outcome.n_scans == 0


def test_death_on_study_is_an_event_even_before_the_first_scan():
    # The trial's one early death (2.8 weeks): PFS counts death from any cause.
    assert progression_free_survival(50.0, [9, 18], [48.0, 49.0], death_weeks=2.8) == (2.8, True)


def test_death_after_progression_keeps_the_progression_date():
    assert progression_free_survival(50.0, [9, 18], [70.0, 80.0], death_weeks=12.0) == (9.0, True)


def test_death_after_leaving_the_study_is_not_counted():
    assert progression_free_survival(50.0, [9], [48.0], discontinuation_weeks=5.0,
                                     death_weeks=7.0) == (5.0, False)


def test_missed_scan_is_skipped_and_does_not_set_the_nadir():
    outcome = assess_patient(50.0, [9, 18], [np.nan, 59.0])
    assert outcome.responses == (None, "SD")
    assert (outcome.pfs_weeks, outcome.event) == (18.0, False)


def test_vectorised_matches_per_patient():
    rng = np.random.default_rng(20240601)
    n, weeks = 200, np.arange(1, 9) * 9.0
    baseline = rng.uniform(15, 120, n)
    sld = baseline[:, None] * np.exp(rng.normal(0, 0.25, n)[:, None] * np.arange(1, 9)[None, :] / 3)
    sld[rng.random(sld.shape) < 0.05] = np.nan
    new = rng.random(sld.shape) < 0.02
    death = np.where(rng.random(n) < 0.1, rng.uniform(0, 70, n), np.nan)
    disc = np.where(rng.random(n) < 0.4, rng.uniform(0, 70, n), np.nan)
    table = assess_patients(baseline, weeks, sld, new_lesion=new, death_weeks=death,
                            discontinuation_weeks=disc, rules=CONFIRM)
    assert list(table.columns) == [tc.PFS_WEEKS, tc.EVENT, tc.BEST_RESPONSE, tc.BEST_PCT_CHANGE,
                                   tc.CLINICAL_BENEFIT, tc.DISCONTINUED_EARLY, tc.N_SCANS, tc.RESPONSE_WEEKS,
                                   tc.CLINICAL_PROGRESSION]
    for i in range(n):
        one = assess_patient(baseline[i], weeks, sld[i], new_lesion=new[i],
                             death_weeks=None if math.isnan(death[i]) else death[i],
                             discontinuation_weeks=None if math.isnan(disc[i]) else disc[i], rules=CONFIRM)
        row = table.iloc[i]
        assert (row[tc.PFS_WEEKS], row[tc.EVENT], row[tc.BEST_RESPONSE], row[tc.CLINICAL_BENEFIT]) == (
            one.pfs_weeks, one.event, one.best_response, one.clinical_benefit)
        assert row[tc.RESPONSE_WEEKS] == one.response_weeks or math.isnan(row[tc.RESPONSE_WEEKS]) == math.isnan(
            one.response_weeks) == (one.best_response not in ("CR", "PR"))
    assert set(table[tc.BEST_RESPONSE]) >= {"PR", "SD", "PD", "NE"}


def test_per_scan_labels_agree_with_classify_scans_up_to_first_progression():
    sld = [40.0, 30.0, 45.0, 20.0]
    outcome = assess_patient(50.0, [9, 18, 27, 36], sld)
    assert outcome.responses == ("SD", "PR", "PD", None)
    assert classify_scans(50.0, sld)[:3] == outcome.responses[:3]


@pytest.mark.parametrize("kwargs, field", [
    ({"baseline_mm": 0.0}, "baseline_mm"),
    ({"scan_weeks": [18, 9]}, "scan_weeks"),
    ({"sld_mm": [-1.0, 40.0]}, "sld_mm"),
    ({"death_weeks": -1.0}, "death_weeks"),
])
def test_bad_input_names_the_argument(kwargs, field):
    args = {"baseline_mm": 50.0, "scan_weeks": [9, 18], "sld_mm": [45.0, 40.0]} | kwargs
    with pytest.raises(InputError, match=field):
        assess_patient(**args)


def test_patient_without_scan_death_or_discontinuation_has_undefined_pfs():
    with pytest.raises(InputError, match="discontinuation_weeks"):
        assess_patient(50.0, [9], [np.nan])


@pytest.mark.parametrize("field, value", [("pr_threshold_percent", 30.0), ("pd_threshold_percent", -20.0),
                                          ("pd_min_absolute_mm", -5.0)])
def test_invalid_rules_raise(field, value):
    with pytest.raises(InputError, match=field):
        RecistRules(**{field: value})
