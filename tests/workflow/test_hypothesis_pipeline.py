"""The hypothesis stage end to end in-process (moved from tests/unit: each runs tumour refits and trial pools):
a tiny ranking writes the interface columns of ranking.tsv, and the refit of a models folder whose tumours grow too slowly
brings the growth target back (stat3qsp.hypotheses.ranking, evidence)."""
from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from stat3qsp.calibration import targets as ct
from stat3qsp.calibration.tumour import CALIBRATION_SEED, CourseSimulator, GrowthFallbackWarning
from stat3qsp.hypotheses import columns as hc
from stat3qsp.hypotheses.evidence import REFIT_HORIZON_WEEKS, calibrated_scales, refit_tumour
from stat3qsp.hypotheses.ranking import RankingSettings, rank_hypotheses
from stat3qsp.io.tables import read_table
from stat3qsp.model.hypotheses import compose_hypothesis_models
from stat3qsp.trial import columns as tc
from stat3qsp.trial.spec import load_trial_spec

from tiny import ROOT

MODELS = ROOT / "models"
TARGETS = ROOT / "calibration" / "tumour" / "targets.yaml"


# six calibration patients per arm: a KM share can step past 0.5 + 0.25/6 nowhere, so the refit keeps the
# grid's closest scale with its warning (calibration.tumour.solve_scales); the ranking must still be written
@pytest.mark.filterwarnings("ignore::stat3qsp.calibration.tumour.GrowthFallbackWarning")
def test_a_tiny_ranking_writes_the_interface_columns(tmp_path):
    output = tmp_path / "hypotheses"
    ranking = rank_hypotheses(MODELS, ROOT / "trials" / "NCT02066532.yaml",
                              ROOT / "calibration" / "sobotta2017" / "spec.yaml", output,
                              ("baseline", "pi3k_bypass"), RankingSettings(patients=4, bootstrap=20, calibration_patients=6),
                              figures=False)
    table = read_table(output / "ranking.tsv")
    endpoints = ["median_pfs_weeks", "pfs_6mo", "orr", "cbr"]
    assert list(table.columns[:7]) == ["hypothesis", "modules", "n_parameters", "fit_nll", "aic", "bic", "trial_log_score"]
    assert [f"predictive_p_{e}" for e in endpoints] == list(table.columns[7:11])
    # the evaluable endpoints are scored too, but only the four treated ones are summed in the log score
    assert {"predictive_p_orr_evaluable", "predictive_p_cbr_evaluable"} <= set(table.columns)
    treated = table[[f"log_probability_{e}" for e in endpoints]].sum(axis=1)
    assert np.allclose(table["trial_log_score"], treated)
    # each hypothesis refitted to the calibration targets, in its own derived models folder
    for name in ("baseline", "pi3k_bypass"):
        fitted = read_table(output / "models" / name / "calibrated" / "tumour.tsv").set_index("parameterId")["value"]
        row = table.set_index("hypothesis").loc[name]
        assert row["tumour_doubling_days"] == pytest.approx(fitted["tumour_doubling_days"])
        assert row["tumour_kill_scale"] == pytest.approx(fitted["tumour_kill_scale"])
        assert abs(row["kill_target_residual"]) <= 1 / 6 + 1e-9   # the latent ORR to a step of one of 6 patients
    calibration = read_table(output / "calibration.tsv")
    assert set(calibration["target"]) == {"growth", "kill"} and len(calibration) == 4
    rows = ranking.set_index(hc.HYPOTHESIS)
    # the PI3K module acts in the tumour only: the hepatocyte fit is the same, AIC pays for its 2 parameters
    assert rows.loc["pi3k_bypass", hc.FIT_NLL] == pytest.approx(rows.loc["baseline", hc.FIT_NLL], rel=1e-9)
    assert rows.loc["pi3k_bypass", hc.N_PARAMETERS] - rows.loc["baseline", hc.N_PARAMETERS] == 2
    assert rows.loc["pi3k_bypass", hc.AIC] - rows.loc["baseline", hc.AIC] == pytest.approx(4.0)
    assert ranking[hc.TRIAL_LOG_SCORE].is_monotonic_decreasing and ranking[hc.DELTA_LOG_SCORE].iloc[0] == 0.0
    assert (output / "models" / "pi3k_bypass" / "hypotheses" / "pi3k_bypass" / "module.ant").is_file()
    subgroups = read_table(output / "subgroups.tsv")
    assert {"all", "PIK3CA_mutant=1", "PIK3CA_mutant=0"} <= set(subgroups[hc.SUBGROUP])


def _growth_excess(folder: Path, rate: float, kill: float, n: int) -> tuple[float, float]:
    """Kaplan-Meier share of the growth arm progressed by its anchor scan minus the target share, and the arm's scan-dated
    median PFS (weeks), at the given scales."""
    growth = ct.read_targets(TARGETS)[0]
    spec = load_trial_spec(growth.spec_path)
    courses = CourseSimulator(spec, n, CALIBRATION_SEED, REFIT_HORIZON_WEEKS, folder).courses(growth.arm, rate)
    outcomes = ct.scan_outcomes(courses, kill, spec)
    excess = ct.km_progressed(outcomes, ct.growth_anchor(spec, growth.observed)) - ct.growth_share(n)
    return excess, ct.endpoint_value(outcomes, tc.MEDIAN_PFS_WEEKS)


def _with_calibrated(models: Path, pid: str, value: float) -> None:
    """Set *pid*'s value in a copied models folder's generated tumour table (a test's perturbation of a copy)."""
    table = models / "calibrated" / "tumour.tsv"
    lines = table.read_text(encoding="utf-8").splitlines(keepends=True)
    table.write_text("".join(line if not line.startswith(pid + "\t") else "\t".join([pid, repr(value), *line.split("\t")[2:]])
                             for line in lines), encoding="utf-8")


def test_the_refit_brings_a_slower_growing_model_back_to_the_growth_target(tmp_path, monkeypatch):
    """A models folder whose tumours grow too slowly (its median doubling time set to 400 days) leaves too few
    lapatinib patients progressed by the week-8 scan; the refit of a derived folder restores the target share
    (the sample's KM median on the 8-week scan) with a shorter median doubling time and writes its own table.
    Until 2026-12-07 the slower model was a hypothesis module with an extra death of the cells: since the
    doubling time is drawn per patient (stat3qsp.trial.doubling), a module that changes the cells' untreated
    net growth g0 no longer changes the tumours' untreated growth, so the slower model is made here."""
    monkeypatch.chdir(ROOT)
    models = tmp_path / "models"
    shutil.copytree(MODELS, models)
    _with_calibrated(models, "tumour_doubling_days", 400.0)
    folder = compose_hypothesis_models(models, (), tmp_path / "derived")
    rate, kill = calibrated_scales(models)
    assert rate == 400.0
    n = 12
    before, median_before = _growth_excess(folder, rate, kill, n)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", GrowthFallbackWarning)
        fit = refit_tumour(folder, TARGETS, n, rate)
    # 7 of 12 (just over half) may be reached at no median: the solver then keeps the closest grid median, warns
    # and records the residual (negative, within one patient)
    fallback = [w for w in caught if issubclass(w.category, GrowthFallbackWarning)]
    assert (fit.growth_residual < 0) == bool(fallback)
    after, median_after = _growth_excess(folder, fit.doubling_days, fit.kill_scale, n)
    # the lapatinib arm's median PFS (observed 8.1 weeks) moves toward the target
    assert abs(median_after - 8.1) < abs(median_before - 8.1)
    assert before < -0.1                       # too few progressed at the parent's values
    # the solve stops at the step of the share where it crosses the target, or keeps the closest median: within one
    # patient of it
    assert after == pytest.approx(fit.growth_residual)
    assert abs(after) <= 1.0 / n < abs(before)
    assert fit.doubling_days < rate / 2        # faster growth
    assert calibrated_scales(folder) == pytest.approx((fit.doubling_days, fit.kill_scale))
    assert calibrated_scales(models) == (rate, kill)   # the parent is untouched
