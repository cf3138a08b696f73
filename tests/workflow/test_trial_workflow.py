"""End-to-end: the trial, sensitivity and uncertainty stages of the Snakemake workflow on a tiny spec and
config (layer d), and their shards.

The tiny spec is NCT02066532 cut to three arms (the combination, the historical control and the
full-JAK-inhibition counterfactual), run with 2 patients per arm and 2 replicate trials on 2 spawned
worker processes (which import the rule's script: it must guard its body). The module's one run
(``tiny_trial``) makes the trial stage's outputs of the tiny spec and of two real specs, the synergy summary
and figure of one 4 x 4 matrix, which get their clinical columns and region from the trial's exposure table,
and the Morris screen and the uncertainty intervals, each in one shard. A second run (``three_shards``) makes
the tiny spec's tables with 3 trial shards (one of them empty) and 2 of each other kind (``--set-scatter``)
on one worker, and the Sobol indices and the sensitivity summary: the gathered tables must equal those of the
one-shard run byte for byte, and a copy of it, interrupted after the first Morris shard, must redo only what
is missing. The other stages are covered by tests/workflow/test_workflow.py; the synergy matrix's shards by
tests/workflow/test_cluster.py (2 shards through the cluster executor).
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml

from stat3qsp.assay import columns as col
from stat3qsp.cli import main
from stat3qsp.errors import InputError
from stat3qsp.io.shards import EMPTY_SHARD
from stat3qsp.io.tables import header_lines, read_header
from stat3qsp.sensitivity import columns as sc
from stat3qsp.trial import columns as tc
from stat3qsp.trial.spec_files import trial_specs

from tiny import ROOT, SENSITIVITY, run_snakemake, tiny, uncertainty

ARMS = ("ruxolitinib_trastuzumab", "historical_control", "full_jak_inhibition")
#: Real specs run by the workflow and by `stat3qsp trial` in the same test session (one driver, same tables).
REAL_SPECS = ("NCT02066532", "ner_rux_mtnbc")
TINY = tiny(
    contexts=["her2_trastuzumab_resistant"],
    dose_response={"ruxolitinib": {"low": "10 nM", "high": "10 uM", "points": 3}},
    synergy={**tiny()["synergy"], "grids": {"trastuzumab": {"low": "1 nM", "high": "100 nM"},
                                           "ruxolitinib": {"low": "3 nM", "high": "300 nM"}}},
    trials={"replicates": 2, "patients": 2, "seed": 7, "workers": 2},
    # One shard of each kind; the second run of this module (three_shards) uses other counts.
    shards={"trial": 1, "synergy": 1, "sensitivity": 1, "uncertainty": 1},
    sensitivity=SENSITIVITY,
)
#: Scatter counts of the second run: 3 trial shards of 2 replicate trials leave one empty.
SCATTER = ("trial=3", "sensitivity=2", "uncertainty=2")
#: Tables gathered from shards, compared between the runs.
GATHERED = [
    *(f"results/trial/TINY-1/{name}.tsv" for name in ("endpoints", "replicate_endpoints", "patients", "sld")),
    "results/sensitivity/synergy/morris_outputs.tsv", "results/sensitivity/synergy/morris.tsv",
    "results/uncertainty/endpoints.tsv", "results/uncertainty/replicate_endpoints.tsv",
    "results/uncertainty/parameters.tsv",
]
#: What the second run adds: the Sobol indices of the top Morris factors and the stage's summary.
SENSITIVITY_TARGETS = ["results/sensitivity/summary.tsv", "results/uncertainty/endpoints.tsv"]


def _tiny_spec(path: Path, **change) -> Path:
    spec = yaml.safe_load((ROOT / "trials" / "NCT02066532.yaml").read_text(encoding="utf-8"))
    spec["id"] = "TINY-1"
    spec["arms"] = [arm for arm in spec["arms"] if arm["name"] in ARMS]
    for key, value in change.items():
        spec[key] = value
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def _targets(trial: str = "TINY-1") -> list[str]:
    figures = [f"results/trial/{trial}/figures/{name}.png" for name in
               ("km_band", "counterfactuals", *(f"{arm}_{kind}" for arm in ARMS for kind in ("swimmer", "waterfall", "spider")))]
    return [f"results/trial/{trial}/endpoints.tsv", f"results/trial/{trial}/summary.html", *figures,
            "results/synergy/summary.tsv", "results/synergy/figures/her2_trastuzumab_resistant__trastuzumab__ruxolitinib.png"]


def _run(workdir: Path, config: dict, *extra: str) -> subprocess.CompletedProcess:
    return run_snakemake(workdir, config, *extra)


def _config(workdir: Path) -> dict:
    """TINY with the tiny spec (written to *workdir*) and the real specs; the uncertainty stage on the tiny spec."""
    spec = str(_tiny_spec(workdir / "tiny.yaml"))
    specs = [spec, *(str(ROOT / "trials" / f"{name}.yaml") for name in REAL_SPECS)]
    return {**TINY, "trials": {**TINY["trials"], "specs": specs}, "uncertainty": uncertainty(spec)}


@pytest.fixture(scope="module")
def tiny_trial(tmp_path_factory) -> tuple[Path, dict]:
    """The module's one-shard run: (working folder, config)."""
    workdir = tmp_path_factory.mktemp("trial_workflow")
    config = _config(workdir)
    result = _run(workdir, config, *_targets(), *(f"results/trial/{name}/summary.html" for name in REAL_SPECS),
                  *GATHERED)
    assert result.returncode == 0, result.stderr[-3000:]
    return workdir, config


@pytest.fixture(scope="module")
def three_shards(tmp_path_factory) -> tuple[Path, dict]:
    """The tiny spec's tables, the Morris screen and the uncertainty intervals in more shards, on one trial worker
    (``--set-threads``: the worker count changes no byte either), with the Sobol indices and the summary."""
    workdir = tmp_path_factory.mktemp("shards")
    config = _config(workdir)
    result = _run(workdir, config, *GATHERED, *SENSITIVITY_TARGETS, "--set-scatter", *SCATTER,
                  "--set-threads", "trial_shard=1")
    assert result.returncode == 0, result.stderr[-3000:]
    return workdir, config


def test_tiny_trial_writes_tables_with_the_configured_settings(tiny_trial):
    folder = tiny_trial[0] / "results/trial/TINY-1"
    patients = pd.read_csv(folder / "patients.tsv", sep="\t")
    assert len(patients) == TINY["trials"]["replicates"] * TINY["trials"]["patients"] * len(ARMS)
    assert set(patients[tc.ARM]) == set(ARMS)
    header = read_header(folder / "endpoints.tsv")
    assert (header["seed"], header["replicates"], header["patients_per_arm"]) == ("7", "2", "2")
    endpoints = pd.read_csv(folder / "endpoints.tsv", sep="\t")
    assert {tc.OBSERVED, tc.PREDICTED, tc.CONSISTENT} <= set(endpoints.columns)


def test_tiny_trial_draws_every_figure(tiny_trial):
    for figure in (t for t in _targets() if t.endswith(".png")):
        assert (tiny_trial[0] / figure).stat().st_size > 5000, figure


def test_tiny_trial_report_tables_say_what_calibrated_and_what_validated(tiny_trial):
    folder = tiny_trial[0] / "results/trial/TINY-1"
    roles = pd.read_csv(folder / "data_roles.tsv", sep="\t")
    calibration = roles[roles[tc.ROLE] == "calibration"]
    assert calibration[tc.USED_FOR].str.contains("tumour_doubling_days").any()
    assert calibration[tc.DATA].str.contains("Sobotta 2017").any()
    validation = roles[roles[tc.ROLE] == "validation"]
    combination = validation[tc.DATA].str.contains("ruxolitinib_trastuzumab")
    # four treated-population endpoints and the two evaluable ones (the spec's analysis populations)
    assert combination.sum() == 6 + len(tc.TOXICITY_ENDPOINT_NAMES) and validation[~combination][tc.DATA].str.contains("historical_control").all()
    observed = pd.read_csv(folder / "predicted_vs_observed.tsv", sep="\t", keep_default_na=False)
    assert set(observed[tc.CONSISTENT_TEXT]) <= {"yes", "no", "n/a"}
    target = pd.read_csv(folder / "target.tsv", sep="\t")
    assert list(target[tc.ARM]) == list(ARMS) and (target[tc.TARGET_WEEKS] == 13).all()
    page = (folder / "summary.html").read_text(encoding="utf-8")
    assert "What would it take to reach the target?" in page and "<table" in page
    assert "Failed virtual patients: 0 " in page  # counted from endpoints.tsv, not "unknown"


def test_tiny_trial_exposure_marks_the_clinical_synergy_wells(tiny_trial):
    workdir = tiny_trial[0]
    exposure = pd.read_csv(workdir / "results/pk/exposure.tsv", sep="\t")
    # Drugs of every configured spec (ner_rux_mtnbc adds neratinib).
    assert set(exposure[col.EXPOSURE_DRUG]) == {"ruxolitinib", "trastuzumab", "neratinib"}
    assert (exposure[col.FREE_TROUGH] < exposure[col.FREE_MEAN]).all()
    assert (exposure[col.FREE_MEAN] < exposure[col.FREE_PEAK]).all()
    summary = pd.read_csv(workdir / "results/synergy/summary.tsv", sep="\t")
    # Grids 0, 1, 10, 100 nM (trastuzumab) and 0, 3, 30, 300 nM (ruxolitinib): the typical clinical
    # ranges (about 63-268 and 2-27 nM) bracket to 10-100 and 3-30 nM, i.e. 2 x 2 wells.
    assert (summary[col.N_CLINICAL_WELLS] == 4).all()
    assert summary["bliss" + col.CLINICAL_SUFFIX].notna().all()


@pytest.mark.parametrize("name", REAL_SPECS)
def test_cli_and_workflow_write_byte_identical_trial_tables(tiny_trial, tmp_path, name):
    """One trial driver (stat3qsp.trial.runner): `stat3qsp trial` with the workflow's settings writes the
    same four tables, byte for byte, as the workflow's shard and gather rules (on one worker, the workflow
    on two: the worker count does not change a byte either). The command line's entry point runs in this
    process (stat3qsp.cli.main, as `stat3qsp` calls it; a second interpreter would only repeat the imports)."""
    trials = TINY["trials"]
    out = tmp_path / name
    code = main(["--models", str(ROOT / "models"), "trial", str(ROOT / "trials" / f"{name}.yaml"),
                 "--replicates", str(trials["replicates"]), "--patients", str(trials["patients"]),
                 "--seed", str(trials["seed"]), "--workers", "1", "-o", str(out)])
    assert code == 0
    workflow = tiny_trial[0] / "results" / "trial" / name
    for table in ("endpoints.tsv", "replicate_endpoints.tsv", "patients.tsv", "sld.tsv"):
        assert (out / table).read_bytes() == (workflow / table).read_bytes(), table
    forward = "FORWARD PREDICTION" in (out / "endpoints.tsv.json").read_text(encoding="utf-8")  # the sidecar
    assert forward == (name == "ner_rux_mtnbc")
    page = (workflow / "summary.html").read_text(encoding="utf-8")
    assert ("FORWARD PREDICTION" in page) == (name == "ner_rux_mtnbc")


def test_trial_stage_rerun_has_nothing_to_do(tiny_trial):
    workdir, config = tiny_trial
    result = _run(workdir, config, "--dry-run", *_targets(), *GATHERED)
    assert result.returncode == 0
    assert "Nothing to be done" in result.stdout + result.stderr


def test_one_or_three_shards_give_identical_tables(tiny_trial, three_shards):
    runs = {1: tiny_trial[0], 3: three_shards[0]}
    # The shards ran: 3 shard files of the trial (2 replicates: one of them empty).
    shard_files = sorted((runs[3] / "results/trial/TINY-1/shards").glob("*.patients.tsv"))
    assert len(shard_files) == 3
    # An empty shard says so in its provenance sidecar (<table>.tsv.json).
    assert sum(EMPTY_SHARD in header_lines(path) for path in shard_files) == 1
    assert len(list((runs[3] / "results/sensitivity/synergy/morris").glob("shard_*.tsv"))) == 2
    for path in [*GATHERED, *(f"{p}.json" for p in GATHERED)]:
        # The spec path differs between the runs' folders only by name: compare the tables' bodies and
        # the provenance (sidecars) with the folder's name replaced.
        first, *others = [(runs[n] / path).read_text(encoding="utf-8").replace(str(runs[n]), "<run>") for n in runs]
        assert all(other == first for other in others), path
    patients = pd.read_csv(runs[1] / GATHERED[2], sep="\t")
    assert sorted(set(patients["replicate"])) == list(range(2))


def test_tiny_sensitivity_and_uncertainty_stages_write_their_tables(three_shards):
    workdir, config = three_shards
    read = lambda p: pd.read_csv(workdir / p, sep="\t")  # noqa: E731
    family = config["sensitivity"]["synergy"]
    factors = read("results/sensitivity/synergy/factors.tsv")
    morris = read("results/sensitivity/synergy/morris.tsv")
    free = factors[factors[sc.HELD].isna()]
    assert len(morris) == 2 * len(free) and set(morris[sc.OUTPUT]) == {"her2_amplified__bliss", "her2_amplified__loewe"}
    # Sobol (Saltelli) design: N base samples of k + 2 points each, k the top Morris factors.
    assert len(read("results/sensitivity/synergy/sobol_design.tsv")) == family["sobol_base_samples"] * (family["top_factors"] + 2)
    assert set(read("results/sensitivity/summary.tsv")["method"]) == {"morris", "sobol"}
    endpoints = read("results/uncertainty/endpoints.tsv")
    assert endpoints[sc.UNCERTAINTY].str.startswith(sc.BASELINE_SOURCES).all()
    assert endpoints[sc.UNCERTAINTY].nunique() == 2


def test_interrupted_sensitivity_run_redoes_only_the_missing_shards(three_shards, tmp_path):
    """Resumable: a copy of the run, interrupted after the first Morris shard, redoes only what is missing."""
    workdir, config = three_shards
    copy = tmp_path / "copy"
    shutil.copytree(workdir, copy, symlinks=True)
    kept = {"factors.tsv", "morris_design.tsv", "shard_1-of-2.tsv"}
    for path in (copy / "results/sensitivity").rglob("*.tsv"):
        if path.name not in kept or "sobol" in str(path):
            path.unlink()
    dry = _run(copy, config, *SENSITIVITY_TARGETS, "--set-scatter", *SCATTER, "--dry-run")
    assert dry.returncode == 0, dry.stderr[-3000:]
    assert "output: results/sensitivity/synergy/morris/shard_2-of-2.tsv" in dry.stdout
    assert "output: results/sensitivity/synergy/morris/shard_1-of-2.tsv" not in dry.stdout
    assert "sensitivity_morris_design" not in dry.stdout and "uncertainty_shard" not in dry.stdout


BROKEN_SPECS = [
    (lambda spec: spec["arms"][0]["drugs"][0].update(dose="25 kg"), "$.arms[0].drugs[0].dose"),
    (lambda spec: spec["assessment"].pop("first_scan"), "$.assessment"),
    (lambda spec: spec["arms"][0].update(context="lung"), "context"),
]


def _broken_spec(path: Path, break_spec) -> Path:
    spec = yaml.safe_load((ROOT / "trials" / "NCT02066532.yaml").read_text(encoding="utf-8"))
    spec = yaml.safe_load(yaml.safe_dump(spec))  # no shared anchors: break one place only
    break_spec(spec)
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


@pytest.mark.parametrize("break_spec, message", BROKEN_SPECS)
def test_malformed_spec_is_refused_naming_the_config_entry_and_the_field(tmp_path, break_spec, message):
    """What the workflow calls on every spec of the config before any job (workflows/trial.smk)."""
    path = _broken_spec(tmp_path / "bad.yaml", break_spec)
    with pytest.raises(InputError) as error:
        trial_specs({**TINY, "trials": {**TINY["trials"], "specs": [str(path)]}})
    assert str(error.value).startswith("config trials.specs[0]: ") and message in str(error.value)


def test_malformed_spec_fails_before_any_job_naming_the_field(tmp_path):
    """Through Snakemake, for one of the malformed specs above: the one error, and no output."""
    break_spec, message = BROKEN_SPECS[0]
    path = _broken_spec(tmp_path / "bad.yaml", break_spec)
    result = _run(tmp_path, {**TINY, "trials": {**TINY["trials"], "specs": [str(path)]}})
    assert result.returncode != 0
    output = result.stderr + result.stdout
    assert "trials.specs[0]" in output and message in output
    assert not (tmp_path / "results").exists()


def test_unknown_trials_key_fails_schema_validation(tmp_path):
    result = _run(tmp_path, {**TINY, "trials": {**TINY["trials"], "replicate": 3}})
    assert result.returncode != 0
    assert "replicate" in result.stderr + result.stdout
    assert not (tmp_path / "results").exists()
