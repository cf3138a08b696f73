"""The command line: outputs, and one-line errors with exit code 2 and no output file."""
from __future__ import annotations

import libsbml
import pandas as pd
import pytest

from stat3qsp.cli import main
from stat3qsp.io.tables import read_header


def test_sbml_writes_valid_l3v2(tmp_path):
    out = tmp_path / "m.xml"
    assert main(["sbml", "--context", "her2_amplified", "-o", str(out)]) == 0
    document = libsbml.readSBML(str(out))
    assert (document.getLevel(), document.getVersion()) == (3, 2)
    assert document.getModel().getParameter("rux_conc").getValue() == 0
    assert document.getModel().getParameter("HER2_tras_insensitive_share").getValue() == 0.1


def test_simulate_writes_time_course(tmp_path):
    out = tmp_path / "tc.tsv"
    code = main(["simulate", "--context", "her2_amplified", "--drug", "ruxolitinib=300nM", "--drug", "trastuzumab=1.5ug/mL", "--hours", "24", "--points", "5", "-o", str(out)])
    assert code == 0
    table = pd.read_csv(out, sep="\t")
    assert list(table["time_h"]) == [0, 6, 12, 18, 24]
    assert table["pSTAT3_fraction"].iloc[-1] < table["pSTAT3_fraction"].iloc[0]
    assert read_header(out)["trastuzumab_nM"] == "10.1351"  # 1.5 mg/L / 148 kDa (in the sidecar tc.tsv.json)


@pytest.mark.parametrize(
    "args, named, accepted",
    [
        (["--context", "lung"], "'lung'", "her2_amplified"),
        (["--context", "her2_amplified", "--drug", "aspirin=1nM"], "'aspirin'", "ruxolitinib"),
        (["--context", "her2_amplified", "--drug", "ruxolitinib=-5nM"], "'-5nM'", ">= 0"),
        (["--context", "her2_amplified", "--drug", "ruxolitinib=300"], "'300'", "nM"),
        (["--context", "her2_amplified", "--drug", "ruxolitinib=300furlongs"], "'furlongs'", "uM"),
        (["--context", "her2_amplified", "--drug", "ruxolitinib"], "'ruxolitinib'", "NAME=CONCENTRATION"),
    ],
)
def test_bad_input_one_line_exit_2_no_output(tmp_path, capsys, args, named, accepted):
    out = tmp_path / "out.tsv"
    code = main(["simulate", *args, "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and named in err and accepted in err
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_unknown_context_for_sbml(tmp_path, capsys):
    out = tmp_path / "m.xml"
    assert main(["sbml", "--context", "nope", "-o", str(out)]) == 2
    assert "known contexts" in capsys.readouterr().err and not out.exists()


@pytest.mark.parametrize("verb", ["sbml", "simulate"])
def test_every_verb_has_help(verb, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([verb, "--help"])
    assert exit_info.value.code == 0
    assert "usage: stat3qsp" in capsys.readouterr().out
