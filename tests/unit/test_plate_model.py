"""A lab plate and the model: drug-effect parameters refitted to a plate, the clinical region on plate figures."""
from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
import pytest

from stat3qsp.assay import columns as col
from stat3qsp.assay.clinical_region import clinical_ranges, clinical_wells
from stat3qsp.assay.synergy.compare import CLINICAL_WELL
from stat3qsp.assay.synergy.model_fit import EFFECT_PARAMETERS, WALD, fit_model_to_block
from stat3qsp.assay.synergy.plate import score_plate
from stat3qsp.assay.synergy.sweep import simulate_matrix
from stat3qsp.cli import synergy as synergy_verb
from stat3qsp.errors import InputError
from stat3qsp.io.tables import read_table, write_table_atomic
from stat3qsp.model.simulator import load_model

CONTEXT = "her2_amplified"
RUX = np.array([0.0, 30.0, 150.0, 700.0, 3000.0])
LAP = np.array([0.0, 10.0, 50.0, 250.0, 1000.0])
TRUTH = {"rux_JAK_IC50": 400.0, "lap_cell_shift": 25.0}  # table values 166 nM and 10


@pytest.fixture(scope="module")
def model():
    return load_model()


@pytest.fixture(scope="module")
def plate(model):
    """% inhibition of the model with the TRUTH values, plus seeded noise (SD 1 point)."""
    matrix = simulate_matrix(model, CONTEXT, "ruxolitinib", "lapatinib", RUX, LAP, 72.0, TRUTH)
    clean = (100.0 - matrix["viability_pct"].to_numpy()).reshape(RUX.size, LAP.size)
    return clean, clean + np.random.default_rng(17).normal(0.0, 1.0, clean.shape)


def test_default_effect_parameters_are_table_parameters(model):
    for drug, ids in EFFECT_PARAMETERS.items():
        assert drug in model.catalog.drugs
        assert all(pid in model.parameters for pid in ids)


def test_fit_recovers_the_parameters_of_a_plate_simulated_from_the_model(model, plate):
    clean, noisy = plate
    exact = fit_model_to_block(model, CONTEXT, "ruxolitinib", "lapatinib", RUX, LAP, clean, 72.0)
    assert list(exact["parameter"]) == ["rux_JAK_IC50", "lap_cell_shift"]
    np.testing.assert_allclose(exact["estimate"], [TRUTH[p] for p in exact["parameter"]], rtol=1e-3)
    assert list(exact["context_value"]) == [166.0, 10.0]
    fit = fit_model_to_block(model, CONTEXT, "ruxolitinib", "lapatinib", RUX, LAP, noisy, 72.0, block_id="b1")
    assert set(fit["interval"]) == {WALD} and set(fit["block_id"]) == {"b1"}
    assert fit["residual_sd"].iloc[0] == pytest.approx(1.0, rel=0.4)
    for row in fit.itertuples():
        truth = TRUTH[row.parameter]
        assert row.lo < row.estimate < row.hi
        half = np.log10(row.hi / row.lo) / 2 / 1.96  # log10 standard error
        assert abs(np.log10(row.estimate / truth)) < 3 * half  # within 3 standard errors
        assert abs(row.estimate / truth - 1.0) < 0.25


def test_fit_refuses_unknown_parameters(model, plate):
    with pytest.raises(InputError, match="'rux_IC50' is not in the model's parameter table"):
        fit_model_to_block(model, CONTEXT, "ruxolitinib", "lapatinib", RUX, LAP, plate[0], 72.0,
                           parameters=[("ruxolitinib", "rux_IC50")])


def _exposure(tmp_path):
    """Clinical free ranges: ruxolitinib 100-600 nM, lapatinib 20-300 nM (a made-up regimen)."""
    rows = [{col.TRIAL: "t", col.EXPOSURE_DRUG: drug, col.REGIMEN: "r", col.CLINICAL: True, col.FREE_TROUGH: lo,
             col.FREE_PEAK: hi, col.TROUGH_P05: lo / 2, col.TROUGH_P95: lo * 2, col.PEAK_P05: hi / 2,
             col.PEAK_P95: hi * 2} for drug, lo, hi in (("ruxolitinib", 100.0, 600.0), ("lapatinib", 20.0, 300.0))]
    path = tmp_path / "exposure.tsv"
    write_table_atomic(path, pd.DataFrame(rows))
    return path


def _plate_csv(tmp_path, inhibition):
    r, c = np.meshgrid(RUX, LAP, indexing="ij")
    frame = pd.DataFrame({"block_id": 1, "drug_row": "ruxolitinib", "drug_col": "Lapatinib", "conc_r": r.ravel(),
                          "conc_c": c.ravel(), "response": inhibition.ravel(), "conc_r_unit": "nM",
                          "conc_c_unit": "nM"})
    path = tmp_path / "plate.csv"
    frame.to_csv(path, index=False)
    return path


def test_clinical_region_is_flagged_and_drawn_on_plate_figures(tmp_path, plate, monkeypatch):
    exposure = _exposure(tmp_path)
    path = _plate_csv(tmp_path, plate[1])
    from stat3qsp.assay import figures, plate_figures

    drawn = []
    original = figures.clinical_box

    def recording_box(ax, region):
        drawn.append(region.copy())
        original(ax, region)

    monkeypatch.setattr(figures, "clinical_box", recording_box)  # comparison figure (imported at call)
    monkeypatch.setattr(plate_figures, "clinical_box", recording_box)  # block figure
    result = score_plate(path, tmp_path / "o.tsv", methods=["bliss", "zip"], context=CONTEXT, plot_dir=tmp_path / "fig",
                         exposure=exposure)
    ranges = clinical_ranges(read_table(exposure))
    expected = clinical_wells(RUX, LAP, ranges["ruxolitinib"], ranges["lapatinib"])[0]
    # widened to the bracketing grid doses: rux 30-700 nM, lap 10-1000 nM (doses 1-3 and 1-4)
    assert expected[1:4, 1:5].all() and expected.sum() == 12
    table = read_table(tmp_path / "o.model.tsv")
    np.testing.assert_array_equal(table[CLINICAL_WELL].to_numpy(bool), expected.ravel())
    # response heatmap + 2 score heatmaps of the block figure, 5 panels of the comparison figure
    assert len(drawn) == 3 + 5 and all((region == expected).all() for region in drawn)
    assert len(result.figures) == 4


def test_verb_fit_model_writes_the_fit_table(tmp_path, plate):
    path = _plate_csv(tmp_path, plate[0])
    args = argparse.Namespace(matrix_csv=path, output=tmp_path / "out.tsv", methods="bliss", response="inhibition",
                              seed=0, bootstrap=0, level=0.95, plot=None, compare_model=True, context=CONTEXT,
                              hours=72.0, fit_model=True, fit_parameters="rux_JAK_IC50", fit_bootstrap=0,
                              exposure=None)
    synergy_verb.run(args)
    fit = read_table(tmp_path / "out.model_fit.tsv")
    assert list(fit["parameter"]) == ["rux_JAK_IC50"] and list(fit["drug"]) == ["ruxolitinib"]
    # lap_cell_shift stays at its table value 10, so the fitted IC50 compensates but stays a finite, bounded fit
    assert 100.0 <= fit["estimate"].iloc[0] <= 700.0


@pytest.mark.parametrize("extra, message", [
    (dict(compare_model=False, context=None, fit_model=True), "--fit-model is only used with --compare-model"),
    (dict(fit_model=False, fit_parameters="rux_JAK_IC50"), "only used with --fit-model"),
])
def test_verb_refuses_fit_options_out_of_place(tmp_path, extra, message):
    base = dict(matrix_csv=tmp_path / "p.csv", output=tmp_path / "out.tsv", methods="bliss", response="inhibition",
                seed=0, bootstrap=0, level=0.95, plot=None, compare_model=True, context=CONTEXT, hours=72.0,
                fit_model=False, fit_parameters=None, fit_bootstrap=0, exposure=None)
    with pytest.raises(InputError, match=message):
        synergy_verb.run(argparse.Namespace(**{**base, **extra}))


def test_bootstrap_intervals_are_seeded_and_bracket_the_estimate(model, plate):
    kwargs = dict(parameters=[("ruxolitinib", "rux_JAK_IC50")], n_bootstrap=3)
    fits = [fit_model_to_block(model, CONTEXT, "ruxolitinib", "lapatinib", RUX, LAP, plate[1], 72.0,
                               rng=np.random.default_rng(3), **kwargs) for _ in range(2)]
    pd.testing.assert_frame_equal(fits[0], fits[1])
    row = fits[0].iloc[0]
    assert row["interval"] == "bootstrap" and row["lo"] < row["hi"]
    assert 100.0 <= row["lo"] <= row["hi"] <= 700.0  # inside the table bounds
