"""Virtual trials: conduct draws, RECIST glue, the command line and reproducibility of the seed (the same
tables on one or two worker processes: tests/workflow/test_processes.py)."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from stat3qsp.trial import columns as tc
from stat3qsp.calibration.tumour import latent_progression_weeks
from stat3qsp.cli import main
from stat3qsp.errors import InputError
from stat3qsp.io.tables import sidecar_path
from stat3qsp.trial.population import patient_generator, read_population
from stat3qsp.trial.reading import assessed_sld
from stat3qsp.trial.simulate import TrialSettings, draw_conduct
from stat3qsp.trial.runner import run_trial
from stat3qsp.trial.spec import load_trial_spec

SPEC = "trials/NCT02066532.yaml"
TINY = ["--patients", "2", "--replicates", "2", "--seed", "3", "--horizon-weeks", "30",
        "--arms", "ruxolitinib_trastuzumab,full_jak_inhibition"]


@pytest.fixture(scope="module")
def spec():
    return load_trial_spec(SPEC)


def test_a_different_seed_gives_different_patients(tmp_path):
    spec = load_trial_spec(SPEC)
    settings = dict(replicates=1, patients=3, horizon_weeks=20, arms=("historical_control",))
    a = run_trial(spec, TrialSettings(seed=1, **settings)).patients
    b = run_trial(spec, TrialSettings(seed=2, **settings)).patients
    assert not np.allclose(a[tc.PFS_WEEKS], b[tc.PFS_WEEKS]) or not np.allclose(a["baseline_sld_mm"], b["baseline_sld_mm"])


def test_arms_share_their_patients(spec):
    """Common random numbers: patient i of a replicate is the same person in every arm of that context."""
    patients = run_trial(spec, TrialSettings(replicates=1, seed=4, patients=3, horizon_weeks=20,
                                             arms=("historical_control", "ruxolitinib_50mg_bid"))).patients
    by_arm = {arm: part.reset_index(drop=True) for arm, part in patients.groupby(tc.ARM)}
    for column in ("baseline_sld_mm", "body_weight_kg", "tumour_rate_scale", "measurable"):
        assert by_arm["historical_control"][column].equals(by_arm["ruxolitinib_50mg_bid"][column])


@pytest.mark.parametrize("edit, field", [
    (lambda d: d["arms"][0]["drugs"][0].update(dose="25 furlongs"), "$.arms[0].drugs[0].dose"),
    (lambda d: d["arms"][0].pop("n_patients"), "n_patients"),
    (lambda d: d["arms"][0]["drugs"].append({"drug": "neratinib", "dose": "240 mg", "route": "iv",
                                               "interval": "24 h", "schedule": "continuous", "start_day": 1}),
     "'iv'"),
])
def test_malformed_spec_one_line_exit_2_nothing_written(tmp_path, capsys, edit, field):
    data = yaml.safe_load(Path(SPEC).read_text())
    edit(data)
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    out = tmp_path / "out"
    assert main(["trial", str(bad), *TINY[:-2], "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and field in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


def test_unknown_arm_is_named(tmp_path, capsys):
    assert main(["trial", SPEC, "--arms", "placebo", "--replicates", "1", "-o", str(tmp_path / "o")]) == 2
    assert "'placebo'" in capsys.readouterr().err and not (tmp_path / "o").exists()


def test_conduct_follows_the_spec_and_the_scan_window(spec):
    population = read_population()
    draws = [draw_conduct(spec, population, patient_generator(9, 0, i, 1), 104.0) for i in range(400)]
    scheduled = spec.assessment.scan_weeks(104.0)
    offsets = np.array([d.scan_weeks - scheduled for d in draws])
    low, high = population.scan_window_weeks
    assert np.all((offsets >= low) & (offsets <= high))
    assert np.mean([d.measurable for d in draws]) == pytest.approx(spec.population.measurable_disease_fraction, abs=0.04)
    leaving = np.array([d.discontinuation_weeks for d in draws])
    assert np.mean(~np.isnan(leaving)) == pytest.approx(spec.early_discontinuation.fraction, abs=0.06)
    assert np.nanmax(leaving) <= spec.early_discontinuation.time_max_weeks
    first = np.array([d.scan_weeks[0] for d in draws])
    assert np.all(leaving[~np.isnan(leaving)] <= first[~np.isnan(leaving)])  # early leavers leave before their first scan
    again = draw_conduct(spec, population, patient_generator(9, 0, 5, 1), 104.0)
    assert np.array_equal(again.scan_weeks, draws[5].scan_weeks)


def test_non_measurable_disease_is_read_as_at_least_its_baseline():
    sld = np.array([[50.0, 80.0], [50.0, 80.0]])
    read = assessed_sld(sld, np.array([60.0, 60.0]), np.array([True, False]))
    assert read.tolist() == [[50.0, 80.0], [60.0, 80.0]]


def test_latent_progression_time_of_exponential_growth_is_ln_1_2_over_the_rate():
    rate = 0.03  # per week, SLD 100 mm: the 20% rule binds (20 mm > 5 mm)
    weeks = np.arange(1.0, 30.0)
    sld = 100.0 * np.exp(rate * weeks)
    assert latent_progression_weeks(weeks, sld, 100.0) == pytest.approx(math.log(1.2) / rate, rel=2e-3)
    assert latent_progression_weeks(weeks, 100.0 * np.exp(-rate * weeks), 100.0) == math.inf
    shrink_then_grow = 100.0 * np.exp(rate * np.abs(weeks - 10.0) - rate * 10.0)
    nadir = 100.0 * math.exp(-rate * 10.0)
    expected = 10.0 + math.log(max(1.2, (nadir + 5.0) / nadir)) / rate
    assert latent_progression_weeks(weeks, shrink_then_grow, 100.0) == pytest.approx(expected, rel=2e-3)


def test_bad_settings_are_refused():
    with pytest.raises(InputError, match="replicates"):
        TrialSettings(replicates=0)
    with pytest.raises(InputError, match="horizon_weeks"):
        TrialSettings(horizon_weeks=0.5)


def test_forward_prediction_runs_to_the_specs_follow_up_and_says_it_is_a_prediction(tmp_path):
    """trials/ner_rux_mtnbc.yaml: horizon from its follow_up (78 weeks), no observed value, the
    duration of response written for every arm with the replicates that had responders."""
    out = tmp_path / "forward"
    assert main(["trial", "trials/ner_rux_mtnbc.yaml", "--patients", "3", "--replicates", "1", "--seed", "2",
                 "--arms", "neratinib_ruxolitinib,full_target_inhibition", "-o", str(out)]) == 0
    sidecar = json.loads(sidecar_path(out / "endpoints.tsv").read_text())
    assert sidecar["provenance"]["horizon_weeks"] == "78"
    assert any("FORWARD PREDICTION" in line for line in [*sidecar["notes"], *map(str, sidecar["provenance"].values())])
    endpoints = pd.read_csv(out / "endpoints.tsv", sep="\t")
    assert endpoints[tc.OBSERVED].isna().all() and endpoints[tc.CONSISTENT].isna().all()
    dor = endpoints[endpoints[tc.ENDPOINT] == tc.MEDIAN_DOR_WEEKS].set_index(tc.ARM)
    assert set(dor.index) == {"neratinib_ruxolitinib", "full_target_inhibition"}
    assert dor[tc.N_REPLICATES].isin([0, 1]).all()
    patients = pd.read_csv(out / "patients.tsv", sep="\t")
    responders = patients[tc.BEST_RESPONSE].isin([tc.CR, tc.PR])
    assert patients.loc[responders, tc.RESPONSE_WEEKS].notna().all()
    assert patients.loc[~responders, tc.RESPONSE_WEEKS].isna().all()
