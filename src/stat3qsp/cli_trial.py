"""The ``trial`` verb: virtual clinical trials of a trial spec (:mod:`stat3qsp.trial`).

Outputs, all in the output folder, which appears whole or not at all (written in a temporary
folder beside it and renamed at the end):

- ``endpoints.tsv``: observed versus predicted endpoints per arm
  (:data:`stat3qsp.trial_columns.COMPARISON_COLUMNS`);
- ``replicate_endpoints.tsv``: endpoints of every replicate trial and arm;
- ``patients.tsv``: one row per virtual patient (RECIST outcome, conduct and sampled values);
- ``sld.tsv``: the simulated SLD at baseline and at every scan done (up to progression);
- ``figures/``: KM band, and swimmer, waterfall and spider plots of replicate 0 of every arm.

Every table starts with ``# key: value`` provenance lines (model and parameter-table hashes,
package version, spec hash, seed and settings; for a forward prediction a line saying that nothing
in it is observed); none depends on ``--workers``. The follow-up is ``--horizon-weeks``, else the
spec's ``follow_up``, else 104 weeks.

The patients run on the batch engine (:mod:`stat3qsp.batch`). With ``--progress auto`` (the
default) and standard error a terminal, a progress bar appears once the simulations have run for a
few seconds, and one line of batch statistics (patients, failed patients, time, peak memory per
worker) ends the run; nothing of this goes to a log file. ``on`` always shows both, ``off`` neither. Virtual patients whose simulation
failed are always reported on standard error, as a warning with their number.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from stat3qsp import cli_verbs

_PROGRESS = {"auto": "auto", "on": True, "off": False}
"""``--progress`` choices and the batch engine's ``progress`` values."""


def _cmd_trial(args: argparse.Namespace) -> None:
    from stat3qsp.calibration import CALIBRATION_NOTE
    from stat3qsp.compose import text_hash
    from stat3qsp.errors import InputError
    from stat3qsp.model import load_model
    from stat3qsp.batch import progress_shown
    from stat3qsp.output import write_table_atomic
    from stat3qsp.trial import DEFAULT_HORIZON_WEEKS, TrialSettings, run_trial, selected_arms
    from stat3qsp.trialspec import load_trial_spec

    spec = load_trial_spec(args.spec)
    arms = tuple(a.strip() for a in args.arms.split(",")) if args.arms else None
    horizon = args.horizon_weeks
    if horizon is None:
        horizon = spec.follow_up.weeks if spec.follow_up is not None else DEFAULT_HORIZON_WEEKS
    settings = TrialSettings(replicates=args.replicates, seed=args.seed, patients=args.patients,
                             horizon_weeks=horizon, arms=arms)
    selected_arms(spec, settings)
    if not 1 <= args.workers <= 256:
        raise InputError(f"--workers = {args.workers}; accepted: an integer in [1, 256]")
    output = Path(args.output)
    if output.exists() and not output.is_dir():
        raise InputError(f"-o {output}: exists and is not a folder; accepted: a folder path")
    progress = _PROGRESS[args.progress]
    result = run_trial(spec, settings, workers=args.workers, models_dir=args.models, progress=progress)
    statistics = result.statistics
    if progress_shown(progress):
        sys.stderr.write(f"stat3qsp trial: {statistics.summary('virtual patients')}\n")
    if statistics.failures:
        sys.stderr.write(f"stat3qsp trial: warning: {statistics.failures} of {statistics.items} virtual patients "
                         "failed to integrate, also when retried; they are left out of the endpoints (status and "
                         "failure_reason in patients.tsv, n_failed in the endpoint tables)\n")

    model = load_model(args.models, variant="patient")
    header = [*(f"{k}: {v}" for k, v in model.provenance.items()),
              f"trial_spec: {Path(args.spec).name} sha256 {text_hash(Path(args.spec).read_text())}",
              f"seed: {settings.seed}", f"replicates: {settings.replicates}",
              f"patients_per_arm: {settings.patients or 'spec'}", f"horizon_weeks: {settings.horizon_weeks:g}"]
    if spec.forward_prediction:
        header.append("purpose: FORWARD PREDICTION - the trial's outcome is not known; every value is predicted, "
                      "none is observed")
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=output.parent, prefix=f".{output.name}."))
    try:
        notes = [] if spec.forward_prediction else [CALIBRATION_NOTE]
        write_table_atomic(staging / "endpoints.tsv", result.comparison, [*header, *notes])
        write_table_atomic(staging / "replicate_endpoints.tsv", result.replicate_endpoints, header)
        write_table_atomic(staging / "patients.tsv", result.patients, header)
        write_table_atomic(staging / "sld.tsv", result.sld, header)
        _figures(result, settings, staging / "figures")
        if output.exists():
            retired = Path(tempfile.mkdtemp(dir=output.parent, prefix=f".{output.name}.old."))
            os.replace(output, retired / output.name)
            os.replace(staging, output)
            shutil.rmtree(retired)
        else:
            os.replace(staging, output)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _figures(result, settings, folder: Path) -> None:
    from stat3qsp import trial_columns as tc
    from stat3qsp import trial_figures as figures

    folder.mkdir()
    figures.km_band_figure(result.patients, result.comparison, settings.horizon_weeks, folder / "km_band.png")
    for arm in dict.fromkeys(result.patients[tc.ARM]):
        figures.swimmer_figure(result.patients, arm, 0, folder / f"{arm}_swimmer.png")
        figures.waterfall_figure(result.patients, arm, 0, folder / f"{arm}_waterfall.png")
        figures.spider_figure(result.patients, result.sld, arm, 0, folder / f"{arm}_spider.png")


def register(verbs) -> None:
    """Add the ``trial`` verb to the sub-parsers of the command line."""
    trial = verbs.add_parser(
        "trial", help="virtual clinical trial of a trial spec",
        description="Simulate replicate virtual trials of every arm of a trial spec (trials/*.yaml), assess them by "
                    "RECIST 1.1 and compare the endpoints with those observed.")
    trial.add_argument("spec", type=Path, help="trial spec YAML (trials/schema.yaml)")
    trial.add_argument("--patients", type=int, default=None,
                       help="patients per arm and replicate (default: each arm's n_patients from the spec)")
    trial.add_argument("--replicates", type=int, default=200, help="replicate virtual trials (default 200)")
    trial.add_argument("--seed", type=int, default=1, help="seed of every random stream (default 1)")
    trial.add_argument("--horizon-weeks", type=float, default=None,
                       help="follow-up of every patient in weeks (default: the spec's follow_up, else 104)")
    trial.add_argument("--arms", default=None, help="comma-separated arm names to run (default: all)")
    trial.add_argument("--workers", type=int, default=1, help="worker processes (default 1; results do not depend on it)")
    trial.add_argument("--progress", choices=list(_PROGRESS), default="auto",
                       help="progress bar and batch statistics on standard error: auto (only on a terminal; "
                            "default), on, off")
    trial.add_argument("-o", "--output", required=True, type=Path, help="output folder")
    trial.set_defaults(run=_cmd_trial)


cli_verbs.REGISTRARS.append(register)
