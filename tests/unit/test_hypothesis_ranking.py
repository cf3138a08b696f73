"""The hypothesis ranking (stat3qsp.hypotheses): the numpy Kaplan-Meier of the bootstrap against the trial
endpoints (lifelines), analytic scores, covariates from the spec, biomarker statistics and the CLI's refusals
(a tiny ranking end to end with the interface columns of ranking.tsv: tests/workflow/test_hypothesis_pipeline.py)."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from stat3qsp.cli.app import main
from stat3qsp.hypotheses import analysis
from stat3qsp.hypotheses import columns as hc
from stat3qsp.hypotheses.ranking import spec_overrides
from stat3qsp.hypotheses.scoring import (bootstrap_endpoints, km_median, km_survival_at, log_predictive_probability,
                                         score_endpoints, window)
from stat3qsp.trial import columns as tc
from stat3qsp.trial import endpoints as ep
from stat3qsp.trial.spec import load_trial_spec

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "models"


@pytest.mark.parametrize("seed", range(8))
def test_numpy_kaplan_meier_matches_the_trial_endpoints(seed):
    """Golden values from lifelines (KaplanMeierFitter through stat3qsp.trial.endpoints), with ties on a scan grid."""
    rng = np.random.default_rng(seed)
    durations = np.round(rng.exponential(12.0, size=26) / 3.0) * 3.0
    events = rng.random(26) < 0.8
    assert km_median(durations, events) == pytest.approx(ep.km_median(durations, events)[0])
    for time in (6.0, 26.0):
        expected = ep.km_survival_at(durations, events, time)[0]
        got = km_survival_at(durations, events, time)
        assert (np.isnan(got) and np.isnan(expected)) or got == pytest.approx(expected)


def test_median_on_a_flat_segment_at_one_half_is_its_midpoint():
    assert km_median(np.array([1.0, 2.0, 3.0, 4.0]), np.ones(4, bool)) == pytest.approx(2.5)
    assert km_median(np.array([1.0, 2.0]), np.zeros(2, bool)) == math.inf


def _pool(pfs, response, benefit):
    return pd.DataFrame({tc.PFS_WEEKS: pfs, tc.EVENT: True, tc.BEST_RESPONSE: response,
                         tc.CLINICAL_BENEFIT: benefit, tc.STATUS: tc.OK})


def test_bootstrap_of_identical_patients_is_constant():
    pool = _pool([9.0] * 5, [tc.PR] * 5, [True] * 5)
    boot = bootstrap_endpoints(pool, 26, 50, np.random.default_rng(0))
    assert (boot[tc.MEDIAN_PFS_WEEKS] == 9.0).all() and (boot[tc.ORR] == 1.0).all() and (boot[tc.CBR] == 1.0).all()
    assert (boot[tc.PFS_6MO] == 0.0).all()


def test_bootstrap_proportions_average_to_the_pool_share():
    pool = _pool(np.arange(1.0, 11.0), [tc.PR] * 3 + [tc.PD] * 7, [True] * 4 + [False] * 6)
    boot = bootstrap_endpoints(pool, 26, 4000, np.random.default_rng(1))
    assert boot[tc.ORR].mean() == pytest.approx(0.3, abs=0.01)
    assert boot[tc.CBR].mean() == pytest.approx(0.4, abs=0.01)


def test_log_predictive_probability_and_windows():
    assert log_predictive_probability(np.array([1.0, 1.0, 2.0, 3.0]), 1.0, 0.0) == pytest.approx(math.log(2.5 / 5))
    assert log_predictive_probability(np.array([5.0, 6.0]), 1.0, 0.1) == pytest.approx(math.log(0.5 / 3))
    assert np.isnan(log_predictive_probability(np.array([np.nan]), 1.0, 0.1))
    assert window(tc.ORR, 26) == pytest.approx(1 / 52) and window(tc.MEDIAN_PFS_WEEKS, 26) == 1.0
    boot = pd.DataFrame({tc.ORR: [0.0] * 9 + [1 / 26]})
    p, log_p = score_endpoints(boot, {tc.ORR: 0.0385}, 26)[tc.ORR]
    assert p == pytest.approx(0.2) and log_p == pytest.approx(math.log(1.5 / 11))


def test_covariates_take_their_prevalence_from_the_spec():
    nct, tnbc = (load_trial_spec(ROOT / "trials" / f) for f in ("NCT02066532.yaml", "ner_rux_mtnbc.yaml"))
    assert spec_overrides(nct, MODELS, ("er_crosstalk", "adcc")) == {"HR_positive": pytest.approx(0.731)}
    assert spec_overrides(tnbc, MODELS, ("er_crosstalk",)) == {"HR_positive": 0.0}
    assert spec_overrides(nct, MODELS, ("pi3k_bypass",)) == {}


def test_biomarker_statistics():
    matched = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "flag": [0.0, 0.0, 1.0, 1.0], "benefit": [1.0, 2.0, 5.0, 9.0]})
    table = analysis.biomarker_table("h", matched, ["flag"]).set_index(hc.FEATURE)
    assert table.loc["x", hc.SPEARMAN_RHO] == pytest.approx(1.0)
    assert table.loc["flag", hc.KIND] == "binary"
    assert table.loc["flag", hc.BENEFIT_HIGH] == 7.0 and table.loc["flag", hc.BENEFIT_LOW] == 1.5
    assert table.loc["x", hc.BENEFIT_DIFFERENCE] == pytest.approx(7.0 - 1.5)


@pytest.mark.parametrize("argv, message", [
    (["--hypothesis", "nope"], "'nope'"),
    (["--hypothesis", "baseline+adcc"], "combination"),
    (["--patients", "1"], "patients"),
])
def test_the_verb_refuses_bad_input(tmp_path, capsys, argv, message):
    assert main(["hypotheses", *argv, "-o", str(tmp_path / "out")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_the_workflow_config_refuses_an_unknown_hypothesis():
    from stat3qsp.config import check_config
    from stat3qsp.errors import InputError
    from stat3qsp.io.yamlfiles import read_yaml

    config = read_yaml(ROOT / "config" / "config.yaml", "config")
    config["models_dir"] = str(MODELS)
    check_config(config)
    config["hypotheses"]["combinations"] = ["baseline", "adcc+nope"]
    with pytest.raises(InputError, match=r"hypotheses.combinations\[1\].*'nope'"):
        check_config(config)


def test_compose_only_writes_models_folders_other_verbs_run(tmp_path):
    output = tmp_path / "derived"
    assert main(["hypotheses", "--compose-only", "--hypothesis", "baseline", "--hypothesis", "pi3k_bypass+adcc",
                 "-o", str(output)]) == 0
    assert sorted(p.name for p in output.iterdir()) == ["baseline", "pi3k_bypass+adcc"]
    sbml = tmp_path / "model.xml"
    assert main(["--models", str(output / "pi3k_bypass+adcc"), "sbml", "--context", "her2_amplified", "-o", str(sbml)]) == 0
    assert "PI3K_bypass_signal" in sbml.read_text() and "adcc_kill_rate" in sbml.read_text()
