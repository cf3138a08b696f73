"""The verbs list and dose-response, and --param / --format on simulate, dose-response and trial."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from stat3qsp.assay.dose_response import concentration_grid, sweep
from stat3qsp.cli import main
from stat3qsp.io.tables import read_header, read_table
from stat3qsp.model.catalog import DEFAULT_MODELS_DIR, read_catalog
from stat3qsp.model.parameters import read_parameter_table
from stat3qsp.model.simulator import load_model

CATALOG = read_catalog(DEFAULT_MODELS_DIR)


@pytest.mark.parametrize("kind, column, expected", [
    ("contexts", "context", list(CATALOG.contexts)),
    ("drugs", "drug", list(CATALOG.drugs)),
    ("parameters", "parameterId", list(read_parameter_table(CATALOG.models_dir / "parameters.tsv"))),
])
def test_list_is_a_plain_tsv(capsys, kind, column, expected):
    assert main(["list", kind]) == 0
    table = pd.read_csv(io.StringIO(capsys.readouterr().out), sep="\t")  # default options
    assert list(table[column]) == expected


def test_list_hypotheses_and_trials(capsys):
    assert main(["list", "hypotheses"]) == 0
    modules = pd.read_csv(io.StringIO(capsys.readouterr().out), sep="\t")
    assert "drugs/ruxolitinib.ant" in set(modules["module"]) and set(modules["variant"]) == {"-", "patient"}
    assert main(["list", "trials", "--trials", str(CATALOG.models_dir.parent / "trials")]) == 0
    trials = pd.read_csv(io.StringIO(capsys.readouterr().out), sep="\t")
    assert "NCT02066532" in set(trials["trial"])


def _simulate(tmp_path, name, *extra):
    out = tmp_path / f"{name}.tsv"
    assert main(["simulate", "--context", "her2_amplified", "--hours", "24", "--points", "3", *extra, "-o", str(out)]) == 0
    return read_table(out)


def test_param_at_its_table_value_changes_nothing_and_another_value_acts(tmp_path):
    table_value = read_parameter_table(CATALOG.models_dir / "parameters.tsv")["IL6_tx_HER2_k"].value
    plain = _simulate(tmp_path, "plain")
    same = _simulate(tmp_path, "same", "--param", f"IL6_tx_HER2_k={table_value!r}nM_per_hour")
    more = _simulate(tmp_path, "more", "--param", "IL6_tx_HER2_k=2")
    pd.testing.assert_frame_equal(plain, same)
    assert (more["IL6_secreted_nM"] > 1.5 * plain["IL6_secreted_nM"]).all()  # transcription driven harder
    assert read_header(tmp_path / "more.tsv")["param IL6_tx_HER2_k"] == "2.0"
    # the cached simulator of the context is not changed by a run with --param
    assert _simulate(tmp_path, "again").equals(plain)


def test_dose_response_of_one_drug_is_the_rules_sweep(tmp_path):
    out = tmp_path / "dr"
    assert main(["dose-response", "--context", "her2_amplified", "--drug", "ruxolitinib=10nM..10uM", "--points", "4",
                 "--format", "png,svg", "-o", str(out)]) == 0
    table = read_table(out / "dose_response.tsv")
    reference = sweep(load_model(DEFAULT_MODELS_DIR), "her2_amplified", "ruxolitinib",
                      concentration_grid(10.0, 1e4, 4), 72.0)
    np.testing.assert_allclose(table["viability_pct"], reference["viability_pct"], rtol=1e-9)
    assert len(read_table(out / "fits.tsv")) == 5
    assert {p.name for p in (out / "figures").iterdir()} >= {"viability_pct.png", "viability_pct.svg"}


def test_dose_matrix_of_a_pair(tmp_path):
    out = tmp_path / "dm"
    assert main(["dose-response", "--context", "her2_amplified", "--drug", "trastuzumab=0.1nM..10nM",
                 "--drug", "ruxolitinib=10nM..1uM", "--points", "2", "--format", "pdf", "-o", str(out)]) == 0
    matrix = read_table(out / "matrix.tsv")
    assert len(matrix) == 9 and set(matrix["drug_row"]) == {"trastuzumab"}
    corner = matrix[(matrix["conc_r"] == 0) & (matrix["conc_c"] == 0)]["viability_pct"].iloc[0]
    assert corner == pytest.approx(100.0, abs=1e-6)  # vehicle well
    assert (out / "figures" / "viability_pct.pdf").stat().st_size > 0


@pytest.mark.parametrize("argv, named, accepted", [
    (["simulate", "--context", "her2_amplified", "--param", "IL6_tx_HER2_k=50"], "IL6_tx_HER2_k", "[0.05, 5]"),
    (["simulate", "--context", "her2_amplified", "--param", "IL6_tx_HER2_k=1per_hour"], "per_hour", "nM_per_hour"),
    (["simulate", "--context", "her2_amplified", "--param", "rux_conc=3"], "rux_conc", "--drug"),
    (["simulate", "--context", "her2_amplified", "--param", "HER2_signal=1"], "HER2_signal", "list parameters"),
    (["simulate", "--context", "her2_amplified", "--param", "IL6_tx_HER2_k"], "IL6_tx_HER2_k", "NAME=VALUE"),
    (["dose-response", "--context", "her2_amplified", "--drug", "ruxolitinib=10nM"], "ruxolitinib=10nM", "LOW..HIGH"),
    (["dose-response", "--context", "her2_amplified", "--drug", "ruxolitinib=1uM..10nM"], "ruxolitinib", "low < high"),
    (["dose-response", "--context", "her2_amplified", "--drug", "ruxolitinib=1nM..1uM", "--format", "gif"], "gif", "svg"),
    (["dose-response", "--context", "her2_amplified", "--drug", "a=1nM..2nM", "--drug", "b=1nM..2nM",
      "--drug", "c=1nM..2nM"], "3", "one drug or a pair"),
    (["trial", "trials/NCT02066532.yaml", "--replicates", "1", "--param", "rux_CL_F=1e9"], "rux_CL_F", "[5, 60]"),
])
def test_bad_input_one_line_exit_2_no_output(tmp_path, capsys, monkeypatch, argv, named, accepted):
    monkeypatch.chdir(CATALOG.models_dir.parent)
    out = tmp_path / "out"
    assert main([*argv, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and named in err and accepted in err, err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("verb", ["list", "dose-response", "omex"])
def test_new_verbs_have_help(verb, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([verb, "--help"])
    assert exit_info.value.code == 0 and "usage" in capsys.readouterr().out


def test_python_dash_m_runs_the_same_command_line():
    import subprocess
    import sys

    found = subprocess.run([sys.executable, "-m", "stat3qsp", "trial", "--help"], capture_output=True, text=True)
    assert found.returncode == 0 and "usage: stat3qsp trial" in found.stdout
    bad = subprocess.run([sys.executable, "-m", "stat3qsp", "no_such_verb"], capture_output=True, text=True)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
