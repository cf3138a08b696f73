"""Functions that the trial-stage rule scripts call (``workflows/trial.smk``): one call per rule.

The stage runs the virtual trials of the specs listed under ``trials`` in the config
(:func:`trial_specs` checks them before any job) in shards of replicates (:func:`run_trial_shard`,
gathered by :func:`gather_trial_tables`), writes per spec under ``results/trial/<id>/``
the tables of :mod:`stat3qsp.trial` (``endpoints.tsv``, ``replicate_endpoints.tsv``,
``patients.tsv``, ``sld.tsv``), the figures of :mod:`stat3qsp.trial_figures` and the report tables
of :mod:`stat3qsp.trial_summary`, and the free exposure at the tumour under the specs' regimens
(:mod:`stat3qsp.exposure`, ``results/pk/exposure.tsv``).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from stat3qsp import trial_figures as figures
from stat3qsp.calibration import CALIBRATION_NOTE
from stat3qsp.compose import text_hash
from stat3qsp.errors import InputError
from stat3qsp.exposure import POPULATION_SIZE, exposure_table
from stat3qsp.model import load_model
from stat3qsp.output import write_table_atomic, write_text_atomic
from stat3qsp.shards import EMPTY_SHARD, gather_tables, parse_scatteritem, shard_range
from stat3qsp.trial import DEFAULT_HORIZON_WEEKS, TrialSettings, assess, check_arms, simulate_trial, summarise
from stat3qsp.trial_summary import data_roles, failed_patients, predicted_vs_observed, summary_html, target_summary
from stat3qsp.trialspec import TrialSpec, load_trial_spec



@dataclass(frozen=True)
class SpecFile:
    """A trial spec of the config: its file and the names of its arms."""

    path: str
    arms: tuple[str, ...]


def trial_specs(config: dict[str, Any]) -> dict[str, SpecFile]:
    """The trial specs of a (schema-valid) config, by spec id; none without a ``trials`` key.

    Every spec is loaded and validated (:func:`stat3qsp.trialspec.load_trial_spec`) and its arms
    checked against the patient model (:func:`stat3qsp.trial.check_arms`), so a bad spec fails
    before any job.

    Raises
    ------
    InputError
        Naming ``config trials.specs[i]``, the file and the field, or two specs with one id.
    """
    found: dict[str, str] = {}
    for index, path in enumerate(config.get("trials", {}).get("specs", [])):
        where = f"config trials.specs[{index}]"
        try:
            spec = load_trial_spec(path)
            check_arms(list(spec.arms), config["models_dir"])
        except InputError as error:
            raise InputError(f"{where}: {error}") from None
        if spec.id in found:
            raise InputError(f"{where}: {path} has the id {spec.id!r} of {found[spec.id].path}; accepted: one spec "
                             "per id")
        found[spec.id] = SpecFile(str(path), tuple(arm.name for arm in spec.arms))
    return found


def trial_settings(trials: dict[str, Any]) -> TrialSettings:
    """Replicates, seed and patients per arm of the ``trials`` config (patients absent: the spec's)."""
    return TrialSettings(replicates=int(trials["replicates"]), seed=int(trials["seed"]),
                         patients=trials.get("patients"), horizon_weeks=DEFAULT_HORIZON_WEEKS)


def trial_header(models_dir: str, spec_path: str, settings: TrialSettings) -> list[str]:
    """Provenance lines of the trial tables: model hashes, package version, spec hash and settings."""
    model = load_model(models_dir, variant="patient")
    return [*(f"{k}: {v}" for k, v in model.provenance.items()),
            f"trial_spec: {Path(spec_path).name} sha256 {text_hash(Path(spec_path).read_text(encoding='utf-8'))}",
            f"seed: {settings.seed}", f"replicates: {settings.replicates}",
            f"patients_per_arm: {settings.patients or 'spec'}", f"horizon_weeks: {settings.horizon_weeks:g}"]


def run_trial_shard(models_dir: str, spec_path: str, trials: dict[str, Any], workers: int, scatteritem: str,
                    patients_path: str, sld_path: str) -> None:
    """Simulate and assess (RECIST) the replicate trials of one shard (:mod:`stat3qsp.shards`) of one
    spec: its patients and SLD tables."""
    spec = load_trial_spec(spec_path)
    settings = trial_settings(trials)
    index, count = parse_scatteritem(scatteritem)
    replicates = shard_range(settings.replicates, index, count)
    header = [*trial_header(models_dir, spec_path, settings), f"shard: {scatteritem}"]
    if not len(replicates):
        for path in (patients_path, sld_path):
            write_table_atomic(path, pd.DataFrame(), [*header, EMPTY_SHARD])
        return
    records = simulate_trial(spec, settings, workers=max(1, int(workers)), models_dir=models_dir, replicates=replicates)
    patients, sld = assess(records, spec)
    write_table_atomic(patients_path, patients, header)
    write_table_atomic(sld_path, sld, header)


def gather_trial_tables(models_dir: str, spec_path: str, trials: dict[str, Any], patient_paths: list[str],
                        sld_paths: list[str], endpoints_path: str, replicates_path: str, patients_path: str,
                        sld_path: str) -> None:
    """The four tables of one spec from its shards: patients and SLD concatenated in shard order,
    endpoints of every replicate and the comparison with the observed values computed from them."""
    spec = load_trial_spec(spec_path)
    settings = trial_settings(trials)
    patients = gather_tables(patient_paths)
    replicate_endpoints, comparison = summarise(patients, spec, settings)
    header = trial_header(models_dir, spec_path, settings)
    write_table_atomic(endpoints_path, comparison, [*header, CALIBRATION_NOTE])
    write_table_atomic(replicates_path, replicate_endpoints, header)
    write_table_atomic(patients_path, patients, header)
    write_table_atomic(sld_path, gather_tables(sld_paths), header)


def _read(path: str) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", comment="#")


def plot_km_band(patients_path: str, endpoints_path: str, figure_path: str) -> None:
    """Predicted KM band of every arm with the observed median PFS and its CI."""
    figures.km_band_figure(_read(patients_path), _read(endpoints_path), DEFAULT_HORIZON_WEEKS, figure_path)


def plot_arm(patients_path: str, sld_path: str, arm: str, swimmer_path: str, waterfall_path: str,
             spider_path: str) -> None:
    """Swimmer, waterfall and spider plots of replicate 0 of one arm."""
    patients = _read(patients_path)
    if arm not in set(patients["arm"]):
        raise InputError(f"arm {arm!r} is not in {patients_path}")
    figures.swimmer_figure(patients, arm, 0, swimmer_path)
    figures.waterfall_figure(patients, arm, 0, waterfall_path)
    figures.spider_figure(patients, _read(sld_path), arm, 0, spider_path)


def plot_counterfactuals(spec_path: str, endpoints_path: str, figure_path: str) -> None:
    """Endpoints of every arm, real and counterfactual, against the design's control and target."""
    spec = load_trial_spec(spec_path)
    figures.counterfactual_figure(_read(endpoints_path), spec, figure_path)


def write_trial_report_tables(models_dir: str, spec_path: str, endpoints_path: str, replicates_path: str,
                              observed_path: str, roles_path: str, target_path: str, html_path: str) -> None:
    """The report tables of one spec (:mod:`stat3qsp.trial_summary`) as TSV, and the three in one
    HTML page that the Snakemake report shows inline (provenance: ``endpoints.tsv``)."""
    spec: TrialSpec = load_trial_spec(spec_path)
    comparison = _read(endpoints_path)
    observed = predicted_vs_observed(comparison)
    roles = data_roles(spec, load_model(models_dir, variant="patient").parameters)
    target = target_summary(spec, comparison, _read(replicates_path))
    write_table_atomic(observed_path, observed)
    write_table_atomic(roles_path, roles)
    write_table_atomic(target_path, target)
    write_text_atomic(html_path, summary_html(spec, roles, observed, target, failed=failed_patients(comparison)))


def run_exposure(models_dir: str, spec_paths: list[str], seed: int, exposure_path: str) -> None:
    """Free exposure at the tumour under every regimen of the specs (:func:`stat3qsp.exposure.exposure_table`)."""
    table = exposure_table([load_trial_spec(p) for p in spec_paths], models_dir, seed=int(seed))
    model = load_model(models_dir, variant="patient")
    specs = [f"trial_spec: {Path(p).name} sha256 {text_hash(Path(p).read_text(encoding='utf-8'))}" for p in spec_paths]
    write_table_atomic(exposure_path, table, [*(f"{k}: {v}" for k, v in model.provenance.items()), *specs,
                                              f"seed: {seed}", f"population_size: {POPULATION_SIZE}"])
