"""Reading SynergyFinder CSVs and writing score tables: round trip, replicates and bad input."""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from stat3qsp.assay import columns as col
from stat3qsp.assay.synergy import io as synergy_io
from stat3qsp.cli import synergy as synergy_verb
from stat3qsp.assay.synergy import scores as synergy
from stat3qsp.errors import InputError

pytestmark = pytest.mark.filterwarnings("error")

DATA = Path(__file__).resolve().parents[1] / "data" / "synergy"
TWO_BLOCKS = DATA / "two_blocks.csv"


def test_summary_path_replaces_the_tsv_suffix(tmp_path):
    assert synergy_io.summary_path(tmp_path / "OUT.tsv") == tmp_path / "OUT.summary.tsv"
    assert synergy_io.summary_path("a/b.scores.tsv") == Path("a/b.scores.summary.tsv")


def test_replicates_are_averaged():
    raw = pd.read_csv(TWO_BLOCKS)
    blocks = synergy_io.read_matrix_csv(TWO_BLOCKS)
    assert [b.block_id for b in blocks] == ["1", "2"]
    first = blocks[0]
    expected = raw[raw.block_id == 1].groupby(["conc_r", "conc_c"]).response.mean()
    for (r, c), mean in expected.items():
        i, j = list(first.conc_r).index(r), list(first.conc_c).index(c)
        assert first.inhibition[i, j] == pytest.approx(mean, abs=1e-12)
        assert first.n_replicates[i, j] == 2
    assert (first.drug_row, first.drug_col, blocks[1].conc_c_unit) == ("drugA", "drugB", "uM")


def test_score_file_writes_per_well_and_summary_tables(tmp_path):
    out = tmp_path / "OUT.tsv"
    methods = ["bliss", "hsa", "loewe", "zip", "ci"]
    written = synergy_io.score_file(TWO_BLOCKS, out, methods=methods, response="inhibition")
    assert written == (out, tmp_path / "OUT.summary.tsv")
    wells = pd.read_csv(out, sep="\t")
    summary = pd.read_csv(tmp_path / "OUT.summary.tsv", sep="\t")
    assert list(wells.columns[:4]) == [col.BLOCK_ID, col.CONC_R, col.CONC_C, col.INHIBITION]
    for m in ("bliss", "hsa", "loewe", "zip"):
        assert f"{m}_reference" in wells and f"{m}_score" in wells
    assert {col.LOEWE_UNDEFINED, col.CI, col.REFERENCE_MODE} <= set(wells.columns)
    assert list(summary.columns[:6]) == [col.BLOCK_ID, "bliss", "hsa", "loewe", "zip", col.CI_MEAN]
    assert set(summary[col.REFERENCE_MODE]) == {"fitted"}
    assert len(wells) == 25 + 20 and list(summary[col.BLOCK_ID]) == [1, 2]
    # block 1 is Bliss-independent up to the 6 decimals written in the fixture
    np.testing.assert_allclose(wells.loc[wells.block_id == 1, "bliss_score"], 0.0, atol=1e-5)
    # the summary is the library's, on the replicate-averaged matrix
    block2 = synergy_io.read_matrix_csv(TWO_BLOCKS)[1]
    direct = synergy.score_matrix(block2.conc_r, block2.conc_c, block2.inhibition)
    for m in synergy.SCORE_METHODS:
        assert summary.loc[1, m] == pytest.approx(direct.summary[m], abs=1e-8)
    assert not list(tmp_path.glob(".*tmp"))


def test_viability_is_converted_to_inhibition(tmp_path):
    raw = pd.read_csv(TWO_BLOCKS)
    raw["response"] = 100.0 - raw["response"]
    viability_csv = tmp_path / "viability.csv"
    raw.to_csv(viability_csv, index=False)
    synergy_io.score_file(viability_csv, tmp_path / "v.tsv", methods=["bliss"], response="viability")
    synergy_io.score_file(TWO_BLOCKS, tmp_path / "i.tsv", methods=["bliss"], response="inhibition")
    v = pd.read_csv(tmp_path / "v.tsv", sep="\t")
    i = pd.read_csv(tmp_path / "i.tsv", sep="\t")
    np.testing.assert_allclose(v[col.INHIBITION], i[col.INHIBITION], atol=1e-9)
    np.testing.assert_allclose(v["bliss_score"], i["bliss_score"], atol=1e-9)


def test_musyc_summary_columns(tmp_path):
    synergy_io.score_file(TWO_BLOCKS, tmp_path / "m.tsv", methods=["musyc"], response="inhibition", seed=3)
    summary = pd.read_csv(tmp_path / "m.summary.tsv", sep="\t")
    assert list(summary.columns[:6]) == [col.BLOCK_ID, col.MUSYC_ALPHA12, col.MUSYC_ALPHA21, col.MUSYC_BETA,
                                         col.MUSYC_GAMMA12, col.MUSYC_GAMMA21]
    assert np.all(np.isfinite(summary[col.MUSYC_ALPHA12]))


def test_missing_zero_zero_well_is_set_to_zero_inhibition(tmp_path):
    raw = pd.read_csv(TWO_BLOCKS)
    raw = raw[~((raw.block_id == 2) & (raw.conc_r == 0) & (raw.conc_c == 0))]
    path = tmp_path / "no00.csv"
    raw.to_csv(path, index=False)
    block2 = synergy_io.read_matrix_csv(path)[1]
    assert block2.inhibition[0, 0] == 0.0 and block2.n_replicates[0, 0] == 0


@pytest.mark.parametrize("fixture, fragments", [
    ("missing_column.csv", ["missing column", "'conc_c_unit'"]),
    ("non_numeric.csv", ["block 'B1'", "data row 5", "'response'", "'abc'"]),
    ("no_zero_control.csv", ["block 'B1'", "data rows 1-6", "no zero-dose control"]),
    ("one_dose.csv", ["block 'B2'", "data rows 10-15", "1 nonzero dose", "conc_c"]),
    ("mixed_units.csv", ["block 'B1'", "data row 4", "mixed units", "'uM'"]),
])
def test_bad_input_raises_and_writes_nothing(tmp_path, fixture, fragments):
    out = tmp_path / "OUT.tsv"
    with pytest.raises(InputError) as info:
        synergy_io.score_file(DATA / fixture, out, methods=["bliss"], response="inhibition")
    for fragment in fragments:
        assert fragment in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_incomplete_matrix_names_the_missing_well(tmp_path):
    raw = pd.read_csv(TWO_BLOCKS)
    raw = raw[~((raw.block_id == 2) & (raw.conc_r == 30) & (raw.conc_c == 15))]
    path = tmp_path / "hole.csv"
    raw.to_csv(path, index=False)
    with pytest.raises(InputError, match=r"block '2'.*conc_r=30, conc_c=15 is missing"):
        synergy_io.read_matrix_csv(path)


def test_failure_in_a_later_block_leaves_no_output(tmp_path):
    """A valid but 3 x 3 block after two good ones: too small for a fitted Loewe (LL.4 needs 3 doses)."""
    raw = pd.read_csv(TWO_BLOCKS)
    small = pd.read_csv(DATA / "one_dose.csv")
    small = small[small.block_id == "B1"]
    path = tmp_path / "in.csv"
    pd.concat([raw, small]).to_csv(path, index=False)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(InputError, match="block 'B1'.*at least 3 nonzero doses"):
        synergy_io.score_file(path, out_dir / "OUT.tsv", methods=["bliss", "loewe"], response="inhibition")
    assert list(out_dir.iterdir()) == []


@pytest.mark.parametrize("kwargs, message", [
    (dict(methods=["bliss", "nope"], response="inhibition"), "method 'nope' is not known"),
    (dict(methods=["bliss"], response="percent"), "response 'percent' is not known"),
    (dict(methods=["bliss"], response="inhibition", reference="exact"), "accepted here: 'fitted'"),
])
def test_bad_options_raise_before_reading(tmp_path, kwargs, message):
    with pytest.raises(InputError, match=message):
        synergy_io.score_file(tmp_path / "absent.csv", tmp_path / "OUT.tsv", **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_unreadable_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        synergy_io.read_matrix_csv(tmp_path / "absent.csv")


def test_cli_verb_scores_a_file(tmp_path):
    parser = argparse.ArgumentParser()
    synergy_verb.register(parser.add_subparsers())
    args = parser.parse_args(["synergy", str(TWO_BLOCKS), "-o", str(tmp_path / "c.tsv"), "--methods", "hsa,bliss"])
    args.run(args)
    summary = pd.read_csv(tmp_path / "c.summary.tsv", sep="\t")
    assert list(summary.columns[:3]) == [col.BLOCK_ID, "hsa", "bliss"]
