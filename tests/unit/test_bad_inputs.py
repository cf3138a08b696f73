"""Bad input of every verb, spec, plate, YAML and the parameter table: exit 2, one line naming the
field, no traceback, no file written (issue 19). Cases run in-process through
:func:`stat3qsp.cli.app.main`; each is refused before any simulation, so the table runs in seconds (the same
refusal run as a subprocess, with and without ``--debug``: tests/workflow/test_processes.py)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from stat3qsp.calibration.signalling.formula import parse_formula
from stat3qsp.cli.app import main
from stat3qsp.errors import InputError
from stat3qsp.io.yamlfiles import load_yaml_text

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "models"
SPEC = ROOT / "trials" / "NCT02066532.yaml"
PLATE = ROOT / "tests" / "data" / "synergy" / "two_blocks.csv"
CTX = ["--context", "her2_amplified"]


def _spec(tmp: Path, edit) -> Path:
    text = edit(SPEC.read_text(encoding="utf-8"))
    path = tmp / "spec.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def _plate(tmp: Path, response: str) -> Path:
    lines = PLATE.read_text(encoding="utf-8").splitlines()
    fields = lines[5].split(",")
    fields[5] = response
    lines[5] = ",".join(fields)
    path = tmp / "plate.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _models(tmp: Path, edit=None, drop: str | None = None) -> Path:
    folder = tmp / "models"
    shutil.copytree(MODELS, folder)
    if drop:
        (folder / drop).unlink()
    if edit:
        path, change = edit
        target = folder / path
        target.write_bytes(change(target.read_text(encoding="utf-8")).encode("utf-8")
                           if callable(change) else change)
    return folder


def _param(row_id: str, column: int, value: str):
    def change(text: str) -> str:
        lines = text.splitlines()
        for i, line in enumerate(lines):
            fields = line.split("\t")
            if fields[0] == row_id:
                if column < 0:
                    lines[i] = "\t".join(fields[:2])
                else:
                    fields[column] = value
                    lines[i] = "\t".join(fields)
        return "\n".join(lines) + "\n"
    return "parameters.tsv", change


# (id, argv builder(tmp) -> list, text the message must contain)
SIM = ["simulate", *CTX]
CASES = [
    # simulate
    ("sim-context", lambda t: ["simulate", "--context", "lung", "-o", f"{t}/o.tsv"], "'lung'"),
    ("sim-drug-unknown", lambda t: [*SIM, "--drug", "aspirin=1nM", "-o", f"{t}/o.tsv"], "'aspirin'"),
    ("sim-drug-negative", lambda t: [*SIM, "--drug", "ruxolitinib=-5nM", "-o", f"{t}/o.tsv"], "negative"),
    ("sim-drug-nounit", lambda t: [*SIM, "--drug", "ruxolitinib=300", "-o", f"{t}/o.tsv"], "no unit"),
    ("sim-drug-badunit", lambda t: [*SIM, "--drug", "ruxolitinib=3furlongs", "-o", f"{t}/o.tsv"], "'furlongs'"),
    ("sim-drug-noeq", lambda t: [*SIM, "--drug", "ruxolitinib", "-o", f"{t}/o.tsv"], "NAME=CONCENTRATION"),
    ("sim-drug-twice", lambda t: [*SIM, "--drug", "ruxolitinib=3nM", "--drug", "ruxolitinib=300nM",
                                  "-o", f"{t}/o.tsv"], "given twice"),
    ("sim-drug-1e30M", lambda t: [*SIM, "--drug", "ruxolitinib=1e30M", "-o", f"{t}/o.tsv"], "1 M"),
    ("sim-drug-2M", lambda t: [*SIM, "--drug", "ruxolitinib=2M", "-o", f"{t}/o.tsv"], "ceiling"),
    ("sim-drug-1e400nM", lambda t: [*SIM, "--drug", "ruxolitinib=1e400nM", "-o", f"{t}/o.tsv"], "ceiling"),
    ("sim-drug-mass-huge", lambda t: [*SIM, "--drug", "ruxolitinib=1e9mg/mL", "-o", f"{t}/o.tsv"], "ceiling"),
    ("sim-drug-nan", lambda t: [*SIM, "--drug", "ruxolitinib=nannM", "-o", f"{t}/o.tsv"], "ruxolitinib"),
    ("sim-hours-inf", lambda t: [*SIM, "--hours", "inf", "-o", f"{t}/o.tsv"], "--hours"),
    ("sim-hours-nan", lambda t: [*SIM, "--hours", "nan", "-o", f"{t}/o.tsv"], "--hours"),
    ("sim-hours-1e12", lambda t: [*SIM, "--hours", "1e12", "-o", f"{t}/o.tsv"], "--hours"),
    ("sim-hours-0", lambda t: [*SIM, "--hours", "0", "-o", f"{t}/o.tsv"], "--hours"),
    ("sim-hours-neg", lambda t: [*SIM, "--hours", "-3", "-o", f"{t}/o.tsv"], "--hours"),
    ("sim-hours-text", lambda t: [*SIM, "--hours", "soon", "-o", f"{t}/o.tsv"], "--hours"),
    ("sim-points-1e9", lambda t: [*SIM, "--points", "1000000000", "-o", f"{t}/o.tsv"], "--points"),
    ("sim-points-1", lambda t: [*SIM, "--points", "1", "-o", f"{t}/o.tsv"], "--points"),
    ("sim-points-float", lambda t: [*SIM, "--points", "7.5", "-o", f"{t}/o.tsv"], "--points"),
    ("sim-out-under-file", lambda t: [*SIM, "-o", f"{t}/afile/o.tsv"], "-o"),
    ("sim-out-folder", lambda t: [*SIM, "-o", f"{t}/adir"], "-o"),
    ("sim-no-output", lambda t: [*SIM], "-o"),
    ("sim-models-missing", lambda t: ["--models", f"{t}/none", *SIM, "-o", f"{t}/o.tsv"], "models folder"),
    ("sim-models-nocatalog", lambda t: ["--models", f"{t}/adir", *SIM, "-o", f"{t}/o.tsv"], "catalog.yaml"),
    ("sim-models-noparams", lambda t: ["--models", str(_models(t, drop="parameters.tsv")), *SIM,
                                       "-o", f"{t}/o.tsv"], "parameters.tsv"),
    # the parameter table
    ("param-two-fields", lambda t: ["--models", str(_models(t, _param("IL6_sec_k", -1, ""))), *SIM,
                                    "-o", f"{t}/o.tsv"], "fields"),
    ("param-negative", lambda t: ["--models", str(_models(t, _param("medium", 3, "-5"))), *SIM,
                                  "-o", f"{t}/o.tsv"], "negative"),
    ("param-text", lambda t: ["--models", str(_models(t, _param("medium", 1, "lots"))), *SIM,
                              "-o", f"{t}/o.tsv"], "numbers"),
    ("param-out-of-bounds", lambda t: ["--models", str(_models(t, _param("medium", 1, "1000"))), *SIM,
                                       "-o", f"{t}/o.tsv"], "upperBound"),
    ("param-inf", lambda t: ["--models", str(_models(t, _param("medium", 4, "inf"))), *SIM,
                             "-o", f"{t}/o.tsv"], "finite"),
    ("param-no-unit", lambda t: ["--models", str(_models(t, _param("medium", 2, ""))), *SIM,
                                 "-o", f"{t}/o.tsv"], "unit"),
    ("param-no-source", lambda t: ["--models", str(_models(t, _param("medium", 5, "me"))), *SIM,
                                   "-o", f"{t}/o.tsv"], "source"),
    ("param-not-utf8", lambda t: ["--models", str(_models(t, ("parameters.tsv", b"parameterId\t\xff\xfe\n"))),
                                  *SIM, "-o", f"{t}/o.tsv"], "UTF-8"),
    # catalog.yaml
    ("catalog-duplicate-key", lambda t: ["--models", str(_models(t, ("catalog.yaml",
                                         lambda s: s + "\ndrugs: {}\n"))), *SIM, "-o", f"{t}/o.tsv"], "twice"),
    ("catalog-not-yaml", lambda t: ["--models", str(_models(t, ("catalog.yaml", b"drugs: [unclosed\n"))),
                                    *SIM, "-o", f"{t}/o.tsv"], "catalog.yaml"),
    ("catalog-not-utf8", lambda t: ["--models", str(_models(t, ("catalog.yaml", b"drugs: \xff\n"))),
                                    *SIM, "-o", f"{t}/o.tsv"], "UTF-8"),
    ("catalog-list", lambda t: ["--models", str(_models(t, ("catalog.yaml", b"- a\n- b\n"))),
                                *SIM, "-o", f"{t}/o.tsv"], "mapping"),
    # sbml
    ("sbml-context", lambda t: ["sbml", "--context", "lung", "-o", f"{t}/o.xml"], "'lung'"),
    ("sbml-out-under-file", lambda t: ["sbml", *CTX, "-o", f"{t}/afile/o.xml"], "-o"),
    ("sbml-out-folder", lambda t: ["sbml", *CTX, "-o", f"{t}/adir"], "-o"),
    ("sbml-models-missing", lambda t: ["--models", f"{t}/none", "sbml", *CTX, "-o", f"{t}/o.xml"], "models folder"),
    # synergy
    ("syn-missing-file", lambda t: ["synergy", f"{t}/none.csv", "-o", f"{t}/o.tsv"], "none.csv"),
    ("syn-not-utf8", lambda t: ["synergy", str(_bytes(t, b"block_id,\xff\n")), "-o", f"{t}/o.tsv"], "UTF-8"),
    ("syn-seed-negative", lambda t: ["synergy", str(PLATE), "--seed", "-1", "-o", f"{t}/o.tsv"], "--seed"),
    ("syn-method", lambda t: ["synergy", str(PLATE), "--methods", "magic", "-o", f"{t}/o.tsv"], "magic"),
    ("syn-response-kind", lambda t: ["synergy", str(PLATE), "--response", "growth", "-o", f"{t}/o.tsv"], "growth"),
    ("syn-viability-150", lambda t: ["synergy", str(_plate(t, "150")), "--response", "viability",
                                     "-o", f"{t}/o.tsv"], "data row 5"),
    ("syn-viability-neg40", lambda t: ["synergy", str(_plate(t, "-40")), "--response", "viability",
                                       "-o", f"{t}/o.tsv"], "-40"),
    ("syn-inhibition-1e6", lambda t: ["synergy", str(_plate(t, "1e6")), "-o", f"{t}/o.tsv"], "1e+06"),
    ("syn-response-text", lambda t: ["synergy", str(_plate(t, "high")), "-o", f"{t}/o.tsv"], "'high'"),
    ("syn-response-inf", lambda t: ["synergy", str(_plate(t, "inf")), "-o", f"{t}/o.tsv"], "finite"),
    ("syn-out-under-file", lambda t: ["synergy", str(PLATE), "-o", f"{t}/afile/o.tsv"], "-o"),
    ("syn-out-folder", lambda t: ["synergy", str(PLATE), "-o", f"{t}/adir"], "-o"),
    ("syn-missing-column", lambda t: ["synergy", str(ROOT / "tests/data/synergy/missing_column.csv"),
                                      "-o", f"{t}/o.tsv"], "missing column"),
    ("syn-mixed-units", lambda t: ["synergy", str(ROOT / "tests/data/synergy/mixed_units.csv"),
                                   "-o", f"{t}/o.tsv"], "mixed units"),
    # trial and its spec
    ("trial-seed-negative", lambda t: ["trial", str(SPEC), "--seed", "-1", "-o", f"{t}/out"], "--seed"),
    ("trial-replicates-0", lambda t: ["trial", str(SPEC), "--replicates", "0", "-o", f"{t}/out"], "--replicates"),
    ("trial-patients-0", lambda t: ["trial", str(SPEC), "--patients", "0", "-o", f"{t}/out"], "--patients"),
    ("trial-memory", lambda t: ["trial", str(SPEC), "--patients", "100000", "--replicates", "10000",
                                "-o", f"{t}/out"], "GiB"),
    ("trial-horizon-inf", lambda t: ["trial", str(SPEC), "--horizon-weeks", "inf", "-o", f"{t}/out"],
     "--horizon-weeks"),
    ("trial-horizon-0", lambda t: ["trial", str(SPEC), "--horizon-weeks", "0", "-o", f"{t}/out"], "--horizon-weeks"),
    ("trial-workers-0", lambda t: ["trial", str(SPEC), "--workers", "0", "-o", f"{t}/out"], "--workers"),
    ("trial-arm", lambda t: ["trial", str(SPEC), "--arms", "placebo_x", "-o", f"{t}/out"], "placebo_x"),
    ("trial-out-file", lambda t: ["trial", str(SPEC), "-o", f"{t}/afile"], "-o"),
    ("trial-out-under-file", lambda t: ["trial", str(SPEC), "-o", f"{t}/afile/out"], "-o"),
    ("trial-spec-missing", lambda t: ["trial", f"{t}/none.yaml", "-o", f"{t}/out"], "none.yaml"),
    ("trial-spec-not-utf8", lambda t: ["trial", str(_spec(t, lambda s: s.encode() + b"\n# \xff\n")),
                                       "-o", f"{t}/out"], "UTF-8"),
    ("trial-spec-dup-id", lambda t: ["trial", str(_spec(t, lambda s: s + "\nid: OTHER\n")), "-o", f"{t}/out"],
     "'id' is given twice"),
    ("trial-spec-not-yaml", lambda t: ["trial", str(_spec(t, lambda s: s + "\n  : [\n")), "-o", f"{t}/out"],
     "not valid YAML"),
    ("trial-spec-list", lambda t: ["trial", str(_spec(t, lambda s: "- 1\n")), "-o", f"{t}/out"], "spec"),
    ("trial-spec-unknown-key", lambda t: ["trial", str(_spec(t, lambda s: s + "\nbanana: 1\n")), "-o", f"{t}/out"],
     "banana"),
    # calibrate
    ("cal-stage", lambda t: ["calibrate", "everything"], "everything"),
    ("cal-patients-0", lambda t: ["calibrate", "tumour", "--patients", "0", "-o", f"{t}/o.tsv"], "--patients"),
    ("cal-out-folder", lambda t: ["calibrate", "tumour", "-o", f"{t}/adir"], "-o"),
    ("cal-out-under-file", lambda t: ["calibrate", "signalling", "-o", f"{t}/afile/o.tsv"], "-o"),
    ("cal-spec-missing", lambda t: ["calibrate", "signalling", "--spec", f"{t}/none.yaml", "-o", f"{t}/o.tsv"],
     "none.yaml"),
    ("cal-spec-dup-key", lambda t: ["calibrate", "signalling", "--spec", str(_bytes(t, b"inputs: {}\ninputs: {}\n",
                                    "spec.yaml")), "-o", f"{t}/o.tsv"], "twice"),
    ("cal-tumour-spec-missing", lambda t: ["calibrate", "tumour", "--spec", f"{t}/none.yaml", "-o", f"{t}/o.tsv"],
     "none.yaml"),
]


def _bytes(tmp: Path, data: bytes, name: str = "plate.csv") -> Path:
    path = tmp / name
    path.write_bytes(data)
    return path


def _files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*")}


def test_the_table_has_at_least_60_cases_across_every_verb():
    assert len(CASES) >= 60 and len({c[0] for c in CASES}) == len(CASES)
    prefixes = {c[0].split("-")[0] for c in CASES}
    assert {"sim", "sbml", "syn", "trial", "cal", "param", "catalog"} <= prefixes


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_exit_2_one_line_named_no_file(tmp_path, capsys, case):
    _, argv, named = case
    (tmp_path / "afile").write_text("x")
    (tmp_path / "adir").mkdir()
    argv = argv(tmp_path)
    before = _files(tmp_path)
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse's usage errors
        code = exit_.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert named in err, err
    assert _files(tmp_path) == before


INJECTIONS = [
    "().__class__.__base__.__subclasses__()",
    "[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == 'Popen'][0](['touch', 'PWNED'])",
    "__import__('os').system('touch PWNED')",
    "exp(x).__class__",
    "open('PWNED', 'w')",
    "lambda: 1",
    "x if y else z",
    "exp(x=1)",
    "globals()",
    "'a' * 3",
    "x[0]",
    "(x := 1)",
    "eval('1')",
]


@pytest.mark.parametrize("formula", INJECTIONS)
def test_formula_injection_runs_nothing(tmp_path, monkeypatch, formula):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError):
        parse_formula(formula, "observableFormula of obs_pSTAT3")
    assert not (tmp_path / "PWNED").exists()


def test_formula_grammar_still_parses_observables():
    expr = parse_formula("scale * log10(pSTAT3 + 1) + offset ** 2 - exp(-k)")
    assert {str(s) for s in expr.free_symbols} == {"scale", "pSTAT3", "offset", "k"}


def test_no_eval_exec_or_sympify_on_user_text():
    offenders = [f"{p.relative_to(ROOT)}: {word}" for p in (ROOT / "src").rglob("*.py")
                 for word in ("eval(", "exec(", "sympify(", "parse_expr(", "yaml.load(", "yaml.safe_load(")
                 if word in p.read_text(encoding="utf-8") and not (word == "yaml.load(" and p.name == "yamlfiles.py")]
    assert offenders == []


def test_every_duplicate_key_refused_with_line():
    with pytest.raises(InputError, match=r"x:3.*'a' is given twice \(lines 1 and 3\)"):
        load_yaml_text("a: 1\nb: {c: 1}\na: 2\n", "x")
    with pytest.raises(InputError, match="'c' is given twice"):
        load_yaml_text("b:\n  c: 1\n  c: 2\n", "x")
    assert load_yaml_text("a: &x {c: 1}\nb: *x\n", "x") == {"a": {"c": 1}, "b": {"c": 1}}


def test_clip_response_clips_and_says_which(tmp_path, capsys):
    plate = _plate(tmp_path, "150")
    assert main(["synergy", str(plate), "--response", "viability", "--clip-response", "--methods", "bliss",
                 "-o", str(tmp_path / "o.tsv")]) == 0
    err = capsys.readouterr().err
    assert "% viability response(s) to [0, 100] (--clip-response)" in err and " 5 (150)" in err
