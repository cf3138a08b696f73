"""The one driver of virtual trials: ``stat3qsp trial SPEC`` and the workflow's trial rules call it.

A run is split into *shards* of replicate trials (:func:`run_trial_shard`: patients and SLD tables)
and one *gather* (:func:`gather_trial`: the four tables of the spec, endpoints computed from the
gathered patients). The workflow runs shards as separate jobs; the command line runs one shard
holding every replicate into a staging folder and gathers it with the same function
(:func:`run_trial_folder`), so both give byte-identical tables for the same spec, settings and seed.

Settings (:func:`trial_settings`) come from the same defaults on both paths: the follow-up is the
spec's ``follow_up`` (else :data:`~stat3qsp.trial.simulate.DEFAULT_HORIZON_WEEKS`), replicates
:data:`DEFAULT_REPLICATES`. Every table starts with the provenance lines of :func:`trial_header`;
for a spec marked as a forward prediction they say that nothing in it is observed, otherwise the
endpoints table carries the calibration note (which data calibrated the model).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from stat3qsp.calibration.tumour import CALIBRATION_ARM, CALIBRATION_NOTE, KILL_CALIBRATION_ARM
from stat3qsp.compute.batch import BatchStatistics
from stat3qsp import limits
from stat3qsp.errors import InputError
from stat3qsp.io.paths import check_output_folder
from stat3qsp.io.shards import EMPTY_SHARD, gather_tables
from stat3qsp.limits import check_range, check_seed
from stat3qsp.io.tables import atomic_folder, remove_table, write_table_atomic
from stat3qsp.model.catalog import DEFAULT_MODELS_DIR
from stat3qsp.model.provenance import file_hash, provenance_lines
from stat3qsp.trial import columns as tc
from stat3qsp.trial.names import DEFAULT_REPLICATES, VARIANT
from stat3qsp.trial.names import DEFAULT_METHOD
from stat3qsp.trial.assessment import assess, summarise
from stat3qsp.trial.simulate import DEFAULT_HORIZON_WEEKS, TrialResult, TrialSettings, selected_arms, trial_batch
from stat3qsp.trial.spec import load_trial_spec
from stat3qsp.trial.spec_types import TrialSpec

#: Header line of every table of a forward prediction.
FORWARD_PREDICTION = ("purpose: FORWARD PREDICTION - the trial's outcome is not known; every value is predicted, "
                      "none is observed")
#: Names of the four tables of a spec, in the order :func:`gather_trial` writes them.
TABLES = ("endpoints.tsv", "replicate_endpoints.tsv", "patients.tsv", "sld.tsv")


@dataclass(frozen=True)
class TrialPaths:
    """The four tables of one spec (:data:`TABLES`)."""

    endpoints: Path
    replicates: Path
    patients: Path
    sld: Path

    @classmethod
    def in_folder(cls, folder: Path | str) -> "TrialPaths":
        """The tables in *folder* under their standard names."""
        return cls(*(Path(folder) / name for name in TABLES))


def trial_settings(spec: TrialSpec, replicates: int = DEFAULT_REPLICATES, seed: int = 1, patients: int | None = None,
                   horizon_weeks: float | None = None, arms: Sequence[str] | None = None,
                   method: str = DEFAULT_METHOD) -> TrialSettings:
    """The settings of a run of *spec*; the follow-up defaults to the spec's ``follow_up``; *method* of
    :meth:`stat3qsp.trial.patient.PatientSimulator.scans`."""
    if horizon_weeks is None:
        horizon_weeks = spec.follow_up.weeks if spec.follow_up is not None else DEFAULT_HORIZON_WEEKS
    check_range(replicates, "--replicates", 1, limits.MAX_REPLICATES, integer=True)
    if patients is not None:
        check_range(patients, "--patients", 1, limits.MAX_PATIENTS, integer=True)
    check_seed(seed)
    check_range(horizon_weeks, "--horizon-weeks", 0, limits.MAX_HORIZON_WEEKS, low_open=True)
    settings = TrialSettings(replicates=int(replicates), seed=int(seed), patients=patients,
                             horizon_weeks=float(horizon_weeks), arms=tuple(arms) if arms else None,
                             method=method)
    chosen = selected_arms(spec, settings)
    virtual = replicates * sum(patients or arm.n_patients for arm in chosen)
    scans = horizon_weeks * 7 * 24 / spec.assessment.scan_interval.hours + 1
    needed = limits.trial_memory_bytes(virtual, scans)
    if needed > limits.MAX_TRIAL_MEMORY_BYTES:
        raise InputError(f"--patients x --replicates: {virtual} virtual patients with up to {scans:.0f} scans need "
                         f"about {needed / 2**30:.1f} GiB; accepted: at most "
                         f"{limits.MAX_TRIAL_MEMORY_BYTES / 2**30:.0f} GiB (fewer patients, replicates or weeks)")
    return settings


def trial_header(models_dir: Path | str, spec_path: Path | str, spec: TrialSpec,
                 settings: TrialSettings, overrides: dict[str, float] | None = None) -> list[str]:
    """Provenance lines of the trial tables: model hashes, version, spec hash, settings, changed parameters, purpose."""
    header = [*provenance_lines(models_dir, VARIANT),
              f"trial_spec: {Path(spec_path).name} sha256 {file_hash(spec_path)}",
              f"seed: {settings.seed}", f"replicates: {settings.replicates}",
              f"patients_per_arm: {settings.patients or 'spec'}", f"horizon_weeks: {settings.horizon_weeks:g}",
              f"method: {settings.method}"]
    if settings.arms:
        header.append(f"arms: {','.join(settings.arms)}")
    header += [f"param {pid}: {value!r}" for pid, value in sorted((overrides or {}).items())]
    if spec.forward_prediction:
        header.append(FORWARD_PREDICTION)
    return header


def endpoint_notes(spec: TrialSpec) -> list[str]:
    """Lines added to the endpoints table: the calibration note when the spec holds the tumour
    calibration's arms (never for a forward prediction)."""
    names = {arm.name for arm in spec.arms}
    calibrating = bool(names & {CALIBRATION_ARM, KILL_CALIBRATION_ARM})
    return [CALIBRATION_NOTE] if calibrating and not spec.forward_prediction else []


def run_trial_shard(models_dir: Path | str, spec_path: Path | str, settings: TrialSettings,
                    replicates: Sequence[int], patients_path: Path | str, sld_path: Path | str, workers: int = 1,
                    shard: str | None = None, progress: bool | str = False,
                    overrides: dict[str, float] | None = None) -> BatchStatistics | None:
    """Simulate and assess (RECIST 1.1) the *replicates* of one shard; write its patients and SLD.

    *overrides* (parameter id -> value, ``--param``) replace the context values of every patient.
    Returns the batch statistics (None for an empty shard, which writes empty tables).
    """
    spec = load_trial_spec(spec_path)
    header = trial_header(models_dir, spec_path, spec, settings, overrides) + ([f"shard: {shard}"] if shard else [])
    if not len(replicates):
        for path in (patients_path, sld_path):
            write_table_atomic(path, pd.DataFrame(), [*header, EMPTY_SHARD])
        return None
    batch, items, total = trial_batch(spec, settings, max(1, int(workers)), models_dir, overrides,
                                      replicates=replicates, progress=progress)
    patients, sld = assess(batch.map(items, total), spec)
    write_table_atomic(patients_path, patients, header)
    write_table_atomic(sld_path, sld, header)
    return batch.statistics


def gather_trial(models_dir: Path | str, spec_path: Path | str, settings: TrialSettings,
                 patient_paths: Sequence[Path | str], sld_paths: Sequence[Path | str], paths: TrialPaths,
                 overrides: dict[str, float] | None = None) -> None:
    """The four tables of one spec from its shards, in shard order; endpoints from the gathered patients."""
    spec = load_trial_spec(spec_path)
    patients = gather_tables([str(p) for p in patient_paths])
    replicate_endpoints, comparison = summarise(patients, spec, settings)
    header = trial_header(models_dir, spec_path, spec, settings, overrides)
    write_table_atomic(paths.endpoints, comparison, [*header, *endpoint_notes(spec)])
    write_table_atomic(paths.replicates, replicate_endpoints, header)
    write_table_atomic(paths.patients, patients, header)
    write_table_atomic(paths.sld, gather_tables([str(p) for p in sld_paths]), header)


def run_trial_folder(spec_path: Path | str, settings: TrialSettings, output: Path | str, workers: int = 1,
                     models_dir: Path | str = DEFAULT_MODELS_DIR, progress: bool | str = "auto",
                     figures: bool = True, overrides: dict[str, float] | None = None) -> BatchStatistics:
    """Every replicate as one shard, gathered into *output* (which appears whole or not at all),
    with the figures of replicate 0 of every arm (:mod:`stat3qsp.trial.figures`)."""
    output = check_output_folder(output, "-o")
    with atomic_folder(output) as staging:
        shards = staging / ".shards"
        shards.mkdir()
        patients, sld = shards / "0-of-1.patients.tsv", shards / "0-of-1.sld.tsv"
        statistics = run_trial_shard(models_dir, spec_path, settings, range(settings.replicates), patients, sld,
                                     workers, "1-of-1", progress, overrides)
        paths = TrialPaths.in_folder(staging)
        gather_trial(models_dir, spec_path, settings, [patients], [sld], paths, overrides)
        for path in (patients, sld):
            remove_table(path)
        shards.rmdir()
        if figures:
            write_trial_figures(paths, load_trial_spec(spec_path), settings, staging / "figures")
    return statistics


def write_trial_figures(paths: TrialPaths, spec: TrialSpec, settings: TrialSettings, folder: Path) -> None:
    """KM band of every arm and the swimmer, waterfall and spider plots of replicate 0 of each."""
    from stat3qsp.io.tables import read_table
    from stat3qsp.trial import figures

    patients, comparison, sld = (read_table(p) for p in (paths.patients, paths.endpoints, paths.sld))
    folder.mkdir(parents=True, exist_ok=True)
    figures.km_band_figure(patients, comparison, settings.horizon_weeks, folder / "km_band.png", spec)
    for arm in dict.fromkeys(patients[tc.ARM]):
        figures.swimmer_figure(patients, arm, 0, folder / f"{arm}_swimmer.png")
        figures.waterfall_figure(patients, arm, 0, folder / f"{arm}_waterfall.png")
        figures.spider_figure(patients, sld, arm, 0, folder / f"{arm}_spider.png")


def run_trial(spec: TrialSpec, settings: TrialSettings, workers: int = 1,
              models_dir: Path | str = DEFAULT_MODELS_DIR, progress: bool | str = "auto") -> TrialResult:
    """Simulate, assess and summarise a virtual trial (module docstring).

    Returns
    -------
    TrialResult
        ``patients`` and ``sld`` (one row per patient / scan), ``replicate_endpoints`` (endpoints of
        every replicate and arm) and ``comparison`` (observed versus predicted, one row per arm
        and endpoint: :data:`stat3qsp.trial_columns.COMPARISON_COLUMNS`), and the statistics of
        the batch (patients, failed patients, time, memory per worker).
    """
    batch, items, total = trial_batch(spec, settings, workers, models_dir, progress=progress)
    records = batch.map(items, total)
    patients, sld = assess(records, spec)
    per_replicate, comparison = summarise(patients, spec, settings)
    return TrialResult(patients, sld, per_replicate, comparison, batch.statistics)
