"""Lab plates: replicate statistics, bootstrap coverage, RI/CSS known answers, figures, the verb."""
from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
import pytest
from scipy import integrate

from stat3qsp.assay import columns as col
from stat3qsp.assay.hill import LL4Fit
from stat3qsp.assay.synergy import io as synergy_io
from stat3qsp.assay.synergy.bootstrap import REPLICATES, RESIDUALS, bootstrap_block
from stat3qsp.assay.synergy.plate import score_plate
from stat3qsp.assay.synergy.sensitivity import curve_mean, relative_inhibition, sensitivity_scores
from stat3qsp.assay.synergy.synthetic import HillDrug, synthetic_plate, true_surface
from stat3qsp.cli import synergy as synergy_verb
from stat3qsp.errors import InputError

DRUG_A = HillDrug("a", 1.0, 1.0, 90.0)
DRUG_B = HillDrug("b", 1.0, 1.5, 80.0, "ug/mL")
DOSES = np.array([0.0, 0.3, 1.0, 3.0, 10.0])


def _plate_csv(tmp_path, replicates=3, seed=0, name="plate.csv"):
    frame = synthetic_plate(DRUG_A, DRUG_B, DOSES, DOSES, rng=np.random.default_rng(seed), replicates=replicates,
                            shift=2.0)
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path, frame


def test_replicate_mean_sd_and_n_per_well(tmp_path):
    path, frame = _plate_csv(tmp_path)
    result = score_plate(path, tmp_path / "out.tsv", methods=["bliss"])
    expected = frame.groupby([col.CONC_R, col.CONC_C])[col.RESPONSE].agg(["mean", "std", "size"]).reset_index()
    merged = result.wells.merge(expected, on=[col.CONC_R, col.CONC_C])
    assert len(merged) == DOSES.size ** 2
    np.testing.assert_allclose(merged[col.INHIBITION], merged["mean"], atol=1e-12)
    np.testing.assert_allclose(merged[col.INHIBITION_SD], merged["std"], atol=1e-12)  # ddof 1
    assert (merged[col.N_REPLICATES] == 3).all()


def test_scores_without_bootstrap_equal_score_file(tmp_path):
    path, _ = _plate_csv(tmp_path)
    methods = ["hsa", "bliss", "loewe", "zip", "ci"]
    plate = score_plate(path, tmp_path / "p.tsv", methods=methods)
    wells_path, summary_path = synergy_io.score_file(path, tmp_path / "f.tsv", methods=methods, response="inhibition")
    from stat3qsp.io.tables import read_table
    written = read_table(wells_path)
    scores = [c for c in written.columns if c.endswith(col.SCORE_SUFFIX) or c == col.CI]
    assert list(plate.wells.columns) == list(written.columns)
    np.testing.assert_allclose(plate.wells[scores].to_numpy(float), written[scores].to_numpy(float), atol=1e-9)
    assert plate.summary.iloc[0]["zip"] == pytest.approx(read_table(summary_path).iloc[0]["zip"], abs=1e-9)


def _bliss_summary(y):
    ref = y[:, [0]] + y[[0], :] - y[:, [0]] * y[[0], :] / 100.0
    return float((y - ref)[1:, 1:].mean())


_EMPTY = pd.DataFrame({"bliss_score": [0.0]})


def _bliss_only(block):
    """An independent numpy Bliss summary (the tested code is the resampling, not the score)."""
    return _EMPTY, {"bliss": _bliss_summary(block.inhibition)}


@pytest.mark.parametrize("replicates, scheme, n_boot", [(3, REPLICATES, 100), (1, RESIDUALS, 60)])
def test_bootstrap_90_percent_interval_covers_the_true_bliss_score(replicates, scheme, n_boot):
    """200 seeded noisy plates of a known surface: the 90 % interval covers the true score in 80-97 %."""
    truth_grid = true_surface(DRUG_A, DRUG_B, DOSES, DOSES, shift=2.0)
    truth = _bliss_summary(truth_grid)
    hits = 0
    for k in range(200):
        values = truth_grid[:, :, None] + np.random.default_rng(k).normal(0.0, 5.0, truth_grid.shape + (replicates,))
        block = synergy_io.Block("1", "a", "b", "nM", "nM", DOSES, DOSES, values.mean(axis=2),
                                 np.full(truth_grid.shape, replicates), 1, None,
                                 tuple(values.reshape(-1, replicates)))
        result = bootstrap_block(block, _bliss_only, n_boot, np.random.default_rng(1000 + k), level=0.9)
        assert result.summary["bootstrap_resampling"] == scheme
        hits += result.summary["bliss_lo"] <= truth <= result.summary["bliss_hi"]
    assert 0.80 <= hits / 200 <= 0.97


def test_bootstrap_is_reproducible_and_brackets_every_score(tmp_path):
    path, _ = _plate_csv(tmp_path)
    first = score_plate(path, tmp_path / "a.tsv", methods=["hsa", "bliss", "ci", "css"], bootstrap=3, seed=3)
    again = score_plate(path, tmp_path / "b.tsv", methods=["hsa", "bliss", "ci", "css"], bootstrap=3, seed=3)
    pd.testing.assert_frame_equal(first.summary, again.summary)
    row = first.summary.iloc[0]
    for key in ("hsa", "bliss", "ci_mean", "css", "ri_row"):
        assert row[key + "_lo"] <= row[key + "_hi"]
    assert {"bliss_score_lo", "bliss_score_hi", "ci_lo", "ci_hi"} <= set(first.wells.columns)
    assert row["n_bootstrap"] == 3


def test_bootstrap_refuses_a_single_plate(tmp_path):
    path, _ = _plate_csv(tmp_path)
    with pytest.raises(InputError, match="bootstrap 1"):
        score_plate(path, tmp_path / "x.tsv", methods=["bliss"], bootstrap=1)
    assert not (tmp_path / "x.tsv").exists()


def test_curve_mean_matches_numerical_integration():
    """Closed-form RI mean against scipy.integrate.quad over log10 dose."""
    fit = LL4Fit(bottom=5.0, top=85.0, ic50=2.0, slope=1.3, r2=1.0, rmse=0.0, n=6)
    numeric, _ = integrate.quad(lambda u: float(fit.predict(np.array([10.0 ** u]))[0]), -1.0, 2.0)
    assert curve_mean(fit, 0.1, 100.0) == pytest.approx(numeric / 3.0, rel=1e-9)


def test_ri_and_css_on_a_hand_computed_matrix():
    """Row drug: exact LL.4 (0, 100, IC50 1, slope 1) on doses symmetric in log10 around its IC50; the
    column drug is inert (0 % alone, adds nothing). By hand: the logistic's mean over a log range
    symmetric about its midpoint is 50, so RI_row = 50; each row is constant along the inert drug, so
    the prediction at the column drug's IC50 is the row drug's own response and CSS_row = RI_row = 50;
    each column is the row drug's curve, which at its IC50 gives 50, so CSS_col = 50; RI_col = 0."""
    conc_r = np.array([0.0, 0.01, 0.1, 1.0, 10.0, 100.0])
    conc_c = np.array([0.0, 0.1, 1.0, 10.0, 100.0])
    row_curve = 100.0 * conc_r / (conc_r + 1.0)
    y = np.repeat(row_curve[:, None], conc_c.size, axis=1)
    y[:, 0] = row_curve
    scores = sensitivity_scores(conc_r, conc_c, y)
    assert scores["ri_row"] == pytest.approx(50.0, abs=1e-3)
    assert scores["ic50_row"] == pytest.approx(1.0, rel=1e-3)
    assert scores["css_row"] == pytest.approx(50.0, abs=1e-3)
    assert scores["css_col"] == pytest.approx(50.0, abs=1e-2)
    assert scores["ri_col"] == pytest.approx(0.0, abs=1e-6)
    assert scores["css"] == pytest.approx(50.0, abs=1e-2)


def test_ri_with_one_nonzero_dose_is_the_response():
    assert relative_inhibition([0.0, 5.0], [1.0, 42.0]) == 42.0


def test_verb_writes_figures_png_and_svg(tmp_path):
    path, _ = _plate_csv(tmp_path)
    args = argparse.Namespace(matrix_csv=path, output=tmp_path / "out.tsv", methods="bliss,zip", response="inhibition",
                              seed=0, bootstrap=0, level=0.95, plot=tmp_path / "fig",
                              compare_model=False, context=None, hours=72.0)
    synergy_verb.run(args)
    for suffix, magic in ((".png", b"\x89PNG"), (".svg", b"<?xml")):
        figure = tmp_path / "fig" / ("1" + suffix)
        assert figure.read_bytes().startswith(magic)
    assert synergy_io.summary_path(tmp_path / "out.tsv").exists()


def test_compare_model_converts_units_and_writes_residuals(tmp_path):
    """Plate drugs mapped onto catalog drugs; ug/mL converted with the molecular weight (148000 g/mol)."""
    frame = synthetic_plate(HillDrug("Ruxolitinib", 300.0, 1.2, 90.0), HillDrug("trastuzumab", 1.0, 1.0, 70.0, "ug/mL"),
                            [0.0, 100.0, 300.0, 1000.0], [0.0, 0.3, 1.0, 3.0], rng=np.random.default_rng(5), replicates=1)
    path = tmp_path / "p.csv"
    frame.to_csv(path, index=False)
    result = score_plate(path, tmp_path / "o.tsv", methods=["bliss"], context="her2_trastuzumab_resistant",
                         plot_dir=tmp_path / "fig")
    from stat3qsp.io.tables import read_table
    table = read_table(tmp_path / "o.model.tsv")
    np.testing.assert_allclose(table["conc_c_nM"], table[col.CONC_C] * 1e-3 / 148000.0 * 1e9, rtol=1e-9)
    np.testing.assert_allclose(table["residual"], table[col.INHIBITION] - table["model_inhibition"], atol=1e-7)
    assert table.loc[0, "model_inhibition"] == pytest.approx(0.0, abs=1e-6)  # vehicle well
    fits = read_table(tmp_path / "o.drug_fits.tsv")
    assert set(fits["source"]) == {"plate", "model"} and set(fits["drug"]) == {"ruxolitinib", "trastuzumab"}
    assert (tmp_path / "fig" / "1.model.svg").exists() and len(result.figures) == 4


def test_compare_model_rejects_an_unknown_drug_before_writing(tmp_path):
    path, _ = _plate_csv(tmp_path)  # drugs "a" and "b"
    with pytest.raises(InputError, match="plate drug 'a' is not a model drug; accepted: lapatinib"):
        score_plate(path, tmp_path / "o.tsv", methods=["bliss"], context="her2_trastuzumab_resistant")
    assert not (tmp_path / "o.tsv").exists()
