"""Functions that the trial-stage rule scripts call (``workflows/trial.smk``): one call per rule.

The stage runs the virtual trials of the specs listed under ``trials`` in the config
(:func:`stat3qsp.trial.spec_files.trial_specs` checks them before any job) in shards of replicates through the one trial
driver, :mod:`stat3qsp.trial.runner` (:func:`run_shard_rule`, gathered by :func:`gather_rule`), writes
per spec under ``results/trial/<id>/`` its tables (``endpoints.tsv``, ``replicate_endpoints.tsv``,
``patients.tsv``, ``sld.tsv``), the figures of :mod:`stat3qsp.trial.figures` and the report tables
of :mod:`stat3qsp.trial.summary`, and the free exposure at the tumour under the specs' regimens
(:mod:`stat3qsp.trial.exposure`, ``results/pk/exposure.tsv``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from stat3qsp.model.provenance import file_hash, provenance_lines
from stat3qsp.errors import InputError
from stat3qsp.trial.exposure import POPULATION_SIZE, exposure_table
from stat3qsp.model.parameters import read_parameter_table
from stat3qsp.io.tables import header_lines, read_table, write_table_atomic, write_text_atomic
from stat3qsp.io.shards import parse_scatteritem, shard_range
from stat3qsp.trial.runner import DEFAULT_REPLICATES, TrialPaths, gather_trial, run_trial_shard, trial_settings
from stat3qsp.trial.names import DEFAULT_METHOD, VARIANT
from stat3qsp.trial.simulate import TrialSettings

from stat3qsp.trial import columns as tc
from stat3qsp.trial.misses import validation_misses
from stat3qsp.trial.monte_carlo import median_standard_errors
from stat3qsp.trial.summary import data_roles, failed_patients, predicted_vs_observed, summary_html, target_summary
from stat3qsp.trial.spec import load_trial_spec
from stat3qsp.trial.spec_types import TrialSpec


def rule_settings(spec_path: str, trials: dict[str, Any]) -> TrialSettings:
    """The settings of the ``trials`` config for one spec (:func:`stat3qsp.trial.runner.trial_settings`)."""
    return trial_settings(load_trial_spec(spec_path), replicates=int(trials.get("replicates", DEFAULT_REPLICATES)),
                          seed=int(trials["seed"]), patients=trials.get("patients"),
                          method=trials.get("method", DEFAULT_METHOD))


def run_shard_rule(models_dir: str, spec_path: str, trials: dict[str, Any], workers: int, scatteritem: str,
                   patients_path: str, sld_path: str) -> None:
    """One shard (:mod:`stat3qsp.io.shards`) of the replicate trials of one spec
    (:func:`stat3qsp.trial.runner.run_trial_shard`)."""
    settings = rule_settings(spec_path, trials)
    index, count = parse_scatteritem(scatteritem)
    run_trial_shard(models_dir, spec_path, settings, shard_range(settings.replicates, index, count), patients_path,
                    sld_path, workers, scatteritem)


def gather_rule(models_dir: str, spec_path: str, trials: dict[str, Any], patient_paths: list[str],
                sld_paths: list[str], endpoints_path: str, replicates_path: str, patients_path: str,
                sld_path: str) -> None:
    """The four tables of one spec from its shards (:func:`stat3qsp.trial.runner.gather_trial`)."""
    gather_trial(models_dir, spec_path, rule_settings(spec_path, trials), patient_paths, sld_paths,
                 TrialPaths(*(Path(p) for p in (endpoints_path, replicates_path, patients_path, sld_path))))


def plot_km_band(spec_path: str, trials: dict[str, Any], patients_path: str, endpoints_path: str,
                 figure_path: str) -> None:
    """Predicted KM band of every arm with the observed KM curve (where the spec has one) and the
    observed median PFS and its CI, over the run's follow-up."""
    from stat3qsp.trial import figures  # matplotlib and lifelines: only the figure rules pay for them
    horizon = rule_settings(spec_path, trials).horizon_weeks
    figures.km_band_figure(read_table(patients_path), read_table(endpoints_path), horizon, figure_path,
                           load_trial_spec(spec_path))


def plot_arm(patients_path: str, sld_path: str, arm: str, swimmer_path: str, waterfall_path: str,
             spider_path: str) -> None:
    """Swimmer, waterfall and spider plots of replicate 0 of one arm."""
    plot_arms(patients_path, sld_path, [arm], [(swimmer_path, waterfall_path, spider_path)])


def plot_arms(patients_path: str, sld_path: str, arms: list[str], paths: list[tuple[str, str, str]]) -> None:
    """Swimmer, waterfall and spider plots of replicate 0 of each arm; *paths*: the three figures of each arm."""
    from stat3qsp.trial import figures  # matplotlib and lifelines: only the figure rules pay for them
    patients, sld = read_table(patients_path), read_table(sld_path)
    for arm, (swimmer_path, waterfall_path, spider_path) in zip(arms, paths, strict=True):
        if arm not in set(patients["arm"]):
            raise InputError(f"arm {arm!r} is not in {patients_path}")
        figures.swimmer_figure(patients, arm, 0, swimmer_path)
        figures.waterfall_figure(patients, arm, 0, waterfall_path)
        figures.spider_figure(patients, sld, arm, 0, spider_path)


def plot_counterfactuals(spec_path: str, endpoints_path: str, figure_path: str) -> None:
    """Endpoints of every arm, real and counterfactual, against the design's control and target."""
    from stat3qsp.trial import figures  # matplotlib and lifelines: only the figure rules pay for them
    spec = load_trial_spec(spec_path)
    figures.counterfactual_figure(read_table(endpoints_path), spec, figure_path)


def write_trial_report_tables(models_dir: str, spec_path: str, endpoints_path: str, replicates_path: str,
                              observed_path: str, roles_path: str, target_path: str, html_path: str,
                              monte_carlo_path: str | None = None, misses_path: str | None = None) -> None:
    """The report tables of one spec (:mod:`stat3qsp.trial.summary`), the Monte Carlo error of
    its medians (:mod:`stat3qsp.trial.monte_carlo`) and the validation endpoints it misses
    (:mod:`stat3qsp.trial.misses`) as TSV, and all in one HTML page that the Snakemake report shows
    inline (provenance: ``endpoints.tsv``)."""
    spec: TrialSpec = load_trial_spec(spec_path)
    comparison = read_table(endpoints_path)
    observed = predicted_vs_observed(comparison)
    roles = data_roles(spec, read_parameter_table(Path(models_dir) / "parameters.tsv"))
    replicate_endpoints = read_table(replicates_path)
    target = target_summary(spec, comparison, replicate_endpoints)
    errors = median_standard_errors(replicate_endpoints)
    misses = validation_misses(comparison, spec)
    header = [*header_lines(endpoints_path), f"made_from: {Path(endpoints_path).name}, {Path(replicates_path).name}"]
    write_table_atomic(observed_path, observed, header)
    write_table_atomic(roles_path, roles, header)
    write_table_atomic(target_path, target, header)
    if monte_carlo_path is not None:
        write_table_atomic(monte_carlo_path, errors, header)
    if misses_path is not None:
        write_table_atomic(misses_path, misses, header)
    replicates = int(replicate_endpoints[tc.REPLICATE].nunique()) if len(replicate_endpoints) else 0
    write_text_atomic(html_path, summary_html(spec, roles, observed, target, failed=failed_patients(comparison),
                                              monte_carlo=errors, replicates=replicates, misses=misses))


def run_exposure(models_dir: str, spec_paths: list[str], seed: int, exposure_path: str) -> None:
    """Free exposure at the tumour under every regimen of the specs (:func:`stat3qsp.exposure.exposure_table`)."""
    table = exposure_table([load_trial_spec(p) for p in spec_paths], models_dir, seed=int(seed))
    specs = [f"trial_spec: {Path(p).name} sha256 {file_hash(p)}" for p in spec_paths]
    write_table_atomic(exposure_path, table, [*provenance_lines(models_dir, VARIANT), *specs,
                                              f"seed: {seed}", f"population_size: {POPULATION_SIZE}"])
