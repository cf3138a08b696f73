"""The ``trial`` verb: virtual clinical trials of a trial spec, through :mod:`stat3qsp.trial.runner`.

Outputs, all in the output folder, which appears whole or not at all: ``endpoints.tsv`` (observed
versus predicted per arm), ``replicate_endpoints.tsv``, ``patients.tsv``, ``sld.tsv`` and
``figures/`` (KM band; swimmer, waterfall and spider plots of replicate 0 of every arm). The tables
are those the workflow's trial rules write for the same spec, settings and seed, byte for byte.

With ``--progress auto`` (the default) and standard error a terminal, a progress bar appears once
the simulations have run for a few seconds, and one line of batch statistics ends the run; ``on``
always shows both, ``off`` neither. Virtual patients whose simulation failed are always reported on
standard error, as a warning with their number.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stat3qsp.trial.names import DEFAULT_METHOD, DEFAULT_REPLICATES, METHODS

_PROGRESS = {"auto": "auto", "on": True, "off": False}
"""``--progress`` choices and the batch engine's ``progress`` values."""


def register(verbs) -> None:
    """Add the ``trial`` verb."""
    trial = verbs.add_parser(
        "trial", help="virtual clinical trial of a trial spec",
        description="Simulate replicate virtual trials of every arm of a trial spec (trials/*.yaml), assess them by "
                    "RECIST 1.1 and compare the endpoints with those observed.")
    trial.add_argument("spec", type=Path, help="trial spec YAML (schema: src/stat3qsp/trial/schema.yaml)")
    trial.add_argument("--patients", type=int, default=None,
                       help="patients per arm and replicate (default: each arm's n_patients from the spec)")
    trial.add_argument("--replicates", type=int, default=DEFAULT_REPLICATES,
                       help=f"replicate virtual trials (default {DEFAULT_REPLICATES}, as the workflow)")
    trial.add_argument("--seed", type=int, default=1, help="seed of every random stream (default 1)")
    trial.add_argument("--horizon-weeks", type=float, default=None,
                       help="follow-up of every patient in weeks (default: the spec's follow_up, else 104)")
    trial.add_argument("--arms", default=None, help="comma-separated arm names to run (default: all)")
    trial.add_argument("--method", choices=list(METHODS), default=DEFAULT_METHOD,
                       help=f"how the tumour is integrated: {', '.join(METHODS)} (default {DEFAULT_METHOD}, as the "
                            "workflow's trials.method; docs/envelope.md)")
    trial.add_argument("--workers", type=int, default=1, help="worker processes (default 1; results do not depend on it)")
    trial.add_argument("--param", action="append", default=[], metavar="NAME=VALUE[UNIT]",
                       help="change one parameter of parameters.tsv for every patient, within its bounds and in its "
                            "unit (repeatable); parameters the population samples per patient still vary")
    trial.add_argument("--progress", choices=list(_PROGRESS), default="auto",
                       help="progress bar and batch statistics on standard error: auto (only on a terminal; "
                            "default), on, off")
    trial.add_argument("-o", "--output", required=True, type=Path, help="output folder")
    trial.set_defaults(run=run)


def run(args: argparse.Namespace) -> None:
    """Run the trial into the output folder (:func:`stat3qsp.trial.runner.run_trial_folder`)."""
    from stat3qsp.compute.batch import progress_shown
    from stat3qsp.errors import InputError
    from stat3qsp.model.overrides import parse_param_options
    from stat3qsp.model.simulator import load_model
    from stat3qsp.trial.names import VARIANT
    from stat3qsp.trial.runner import run_trial_folder, trial_settings
    from stat3qsp.trial.spec import load_trial_spec

    spec = load_trial_spec(args.spec)
    arms = tuple(a.strip() for a in args.arms.split(",")) if args.arms else None
    settings = trial_settings(spec, args.replicates, args.seed, args.patients, args.horizon_weeks, arms, args.method)
    if not 1 <= args.workers <= 256:
        raise InputError(f"--workers = {args.workers}; accepted: an integer in [1, 256]")
    overrides = parse_param_options(args.param, load_model(args.models, VARIANT)) if args.param else None
    progress = _PROGRESS[args.progress]
    statistics = run_trial_folder(args.spec, settings, args.output, args.workers, args.models, progress,
                                  overrides=overrides)
    if progress_shown(progress):
        sys.stderr.write(f"stat3qsp trial: {statistics.summary('virtual patients')}\n")
    if statistics.failures:
        sys.stderr.write(f"stat3qsp trial: warning: {statistics.failures} of {statistics.items} virtual patients "
                         "failed to integrate, also when retried; they are left out of the endpoints (status and "
                         "failure_reason in patients.tsv, n_failed in the endpoint tables)\n")
