"""Targets of the tumour calibration (stat3qsp.calibration.targets): the project's targets file, and
scan-dated outcomes of synthetic courses against hand-computed answers (layer a)."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from stat3qsp.calibration import targets as ct
from stat3qsp.calibration.tumour import TumourCourses
from stat3qsp.errors import InputError
from stat3qsp.trial import columns as tc
from stat3qsp.trial.spec import load_trial_spec

EGF = "trials/EGF104900.yaml"


def test_project_targets_never_use_nct02066532_outcomes():
    targets = ct.read_targets()
    assert [t.kind for t in targets[:2]] == ["growth", "kill"]
    growth = targets[0]
    assert (str(growth.spec_path), growth.arm, growth.endpoint, growth.observed) == (
        EGF, "lapatinib_monotherapy", tc.MEDIAN_PFS_WEEKS, 8.1)
    assert not [t for t in targets if "NCT02066532" in str(t.spec_path)]  # validation only
    kill = targets[1]
    assert (str(kill.spec_path), kill.arm, kill.endpoint, kill.observed) == (
        "trials/vogel2002.yaml", "trastuzumab_standard_dose", tc.ORR, 0.35)  # Vogel 2002, its own spec
    assert all(t.accepted is not None for t in targets if t.kind == "plausibility")


def test_growth_anchor_is_the_scan_at_or_before_the_median():
    spec = load_trial_spec(EGF)  # scans every 4 weeks from week 4
    assert ct.growth_anchor(spec, 8.1) == 8.0
    assert ct.growth_anchor(spec, 11.9) == 8.0
    # a quarter of a patient above half: 7 of 12 meet it, 6 of 12 (KM exactly half) do not
    assert ct.growth_share(12) == pytest.approx(0.5 + 0.25 / 12)
    assert 6 / 12 < ct.growth_share(12) < 7 / 12 and 200 / 401 < ct.growth_share(401) < 201 / 401
    with pytest.raises(InputError, match="before the first scan"):
        ct.growth_anchor(spec, 3.0)


def test_scan_dated_outcomes_of_synthetic_courses():
    spec = load_trial_spec(EGF)  # RECIST 1.0: PD at +20%, PR at -30% confirmed 4 weeks later
    weeks = np.arange(1.0, 105.0)
    # Patient 0 grows 5%/week: +20% at ln(1.2)/0.05 = 3.65 weeks, so PD at the week-4 scan.
    # Patient 1 shrinks 5%/week for 12 weeks then regrows 5%/week: -30% from week 7.1 (scan 8,
    # confirmed at 12), nadir exp(-0.6) at 12, +20% over it at 15.65 -> PD at the week-16 scan.
    # Patient 2 does not change: SD throughout, clinical benefit (SD beyond 23 weeks).
    log_ratio = np.vstack([0.05 * weeks, -0.05 * np.minimum(weeks, 12) + 0.05 * np.maximum(weeks - 12, 0),
                           np.zeros_like(weeks)])
    courses = TumourCourses(weeks, np.full(3, 50.0), np.zeros(3), log_ratio)
    outcomes = ct.scan_outcomes(courses, 1.0, spec)
    assert outcomes[tc.PFS_WEEKS].tolist()[:2] == [4.0, 16.0]
    assert outcomes[tc.BEST_RESPONSE].tolist() == [tc.PD, tc.PR, tc.SD]
    assert outcomes[tc.CLINICAL_BENEFIT].tolist() == [False, True, True]
    assert ct.km_progressed(outcomes, 8.0) == pytest.approx(1 / 3)  # no censoring: the same
    assert ct.endpoint_value(outcomes, tc.ORR) == pytest.approx(1 / 3)
    assert ct.endpoint_value(outcomes, tc.CBR) == pytest.approx(2 / 3)
    assert ct.endpoint_value(outcomes, tc.MEDIAN_PFS_WEEKS) == 16.0
    assert math.isclose(np.log(1.2) / 0.05, 3.646, abs_tol=1e-3)


def test_km_progressed_removes_the_censored_from_the_risk_set():
    """Hand-computed Kaplan-Meier: 5 patients, events at 4 and 8, one censored at 2 (an early leaver),
    one censored at 8 (at risk at 8), one event at 12. S(8) = (1 - 1/4)(1 - 1/3) = 1/2, while the
    unconditional share progressed by 8 is 2/5."""
    outcomes = pd.DataFrame({tc.PFS_WEEKS: [2.0, 4.0, 8.0, 8.0, 12.0], tc.EVENT: [False, True, True, False, True]})
    assert ct.km_progressed(outcomes, 8.0) == pytest.approx(0.5)
    unconditional = np.mean(outcomes[tc.EVENT] & (outcomes[tc.PFS_WEEKS] <= 8.0))
    assert unconditional == pytest.approx(0.4)
    assert ct.km_progressed(outcomes, 3.0) == 0.0
    assert ct.km_progressed(outcomes, 12.0) == pytest.approx(1.0)


def test_a_validation_endpoint_is_refused_as_a_target(tmp_path):
    path = tmp_path / "targets.yaml"
    path.write_text(yaml.safe_dump({
        "growth": {"spec": "trials/NCT02066532.yaml", "arm": "ruxolitinib_trastuzumab", "endpoint": "median_pfs_weeks"},
        "kill": {"spec": "trials/vogel2002.yaml", "arm": "trastuzumab_standard_dose", "endpoint": "orr"}}))
    with pytest.raises(InputError, match="role calibration"):
        ct.read_targets(path)
    path.write_text(yaml.safe_dump({"growth": {"spec": EGF}}))
    with pytest.raises(InputError, match="growth, kill"):
        ct.read_targets(path)


def test_the_calibration_rules_read_every_spec_of_the_targets():
    """workflows/calibration.smk takes its inputs from here: every target's spec, the kill target's Vogel 2002
    spec included (a hand-written list had lost it), each once."""
    raw = yaml.safe_load(Path(ct.DEFAULT_TARGETS).read_text(encoding="utf-8"))
    written = {raw["growth"]["spec"], raw["kill"]["spec"], *(e["spec"] for k in ("checks", "plausibility")
                                                           for e in raw.get(k) or [])}
    paths = ct.target_spec_paths()
    assert sorted(set(paths)) == paths and set(paths) == written and "trials/vogel2002.yaml" in paths


@pytest.mark.slow  # about 8 s per case on a loaded machine (two simulations of each patient)
@pytest.mark.parametrize("spec_path, arm, n", [(EGF, "lapatinib_monotherapy", 3),
                                               ("trials/ner_rux_mtnbc.yaml", "neratinib_alone", 5)])
def test_the_calibration_reads_its_patients_as_the_trial_runner_does(spec_path, arm, n):
    """One code path: the calibration's courses (drug effect simulated once at each patient's own scan
    times, growth added in closed form), read by scan_outcomes, give the trial runner's outcomes for the
    same patients (replicate 0 of the calibration seed) at the same scales: scan window, early
    discontinuation (the TNBC spec's 42%, with progression before the first scan as an event) and RECIST
    rules alike."""
    from stat3qsp.calibration.tumour import CALIBRATION_SEED, CourseSimulator

    spec = load_trial_spec(spec_path)
    rate, kill = 0.03, 0.02
    courses = CourseSimulator(spec, n, CALIBRATION_SEED, 40.0).courses(arm, rate)
    assert courses.weeks.ndim == 2 and not np.allclose(courses.weeks[0], spec.assessment.scan_weeks(40.0))  # windowed
    fast = ct.scan_outcomes(courses, kill, spec)
    runner = ct.runner_outcomes(spec, arm, rate, kill, n, CALIBRATION_SEED, 40.0, "models")
    for column in (tc.EVENT, tc.BEST_RESPONSE, tc.CLINICAL_BENEFIT, tc.DISCONTINUED_EARLY, tc.CLINICAL_PROGRESSION):
        assert fast[column].tolist() == runner[column].tolist(), column
    assert fast[tc.PFS_WEEKS].to_numpy(float) == pytest.approx(runner[tc.PFS_WEEKS].to_numpy(float), rel=1e-9)
    if spec_path != EGF:
        assert fast[tc.DISCONTINUED_EARLY].any()  # the conduct was exercised
