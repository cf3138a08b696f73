"""The ``window`` verb: the therapeutic window of ruxolitinib (tumour benefit and marrow toxicity against dose)."""
from __future__ import annotations

import argparse
from pathlib import Path


def _doses(text: str) -> list[float]:
    from stat3qsp.errors import InputError

    try:
        doses = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise InputError(f"doses {text!r}; accepted: comma-separated numbers of mg, e.g. 5,10,25,50") from None
    if any(not 0 < d <= 400 for d in doses):
        raise InputError(f"doses {text!r}; accepted: doses in (0, 400] mg")
    return doses


def register(verbs) -> None:
    """Add the ``window`` verb."""
    window = verbs.add_parser(
        "window", help="therapeutic window of ruxolitinib: ORR, median PFS and grade>=3 cytopenias against dose",
        description="For each context, the spec arm's regimen with ruxolitinib at each dose (BID and an alternative "
                    "schedule) under both tumour potency estimates (hepatocyte, whole blood; their free IC50s are the "
                    "table's ic50_free_nM), "
                    "simulated as virtual trials with the marrow model and the spec's dose rules, as the workflow's "
                    "window rule does: <output>/<context>.tsv and <context>.png.")
    window.add_argument("spec", type=Path, help="trial spec, e.g. trials/NCT02066532.yaml")
    window.add_argument("--arm", default="ruxolitinib_trastuzumab", help="the spec arm with ruxolitinib to vary")
    window.add_argument("--context", action="append", required=True, help="context (repeatable)")
    window.add_argument("--bid-doses", type=_doses, default=[5.0, 10.0, 15.0, 20.0, 25.0, 35.0, 50.0],
                        help="doses (mg) every 12 h, comma-separated (default 5,10,15,20,25,35,50)")
    window.add_argument("--alternative", default="QD", choices=["QD"], help="alternative schedule (QD: every 24 h)")
    window.add_argument("--alternative-doses", type=_doses, default=[25.0, 50.0, 100.0],
                        help="doses (mg) of the alternative schedule (default 25,50,100)")
    window.add_argument("--patients", type=int, default=26, help="virtual patients per dose arm (default 26)")
    window.add_argument("--replicates", type=int, default=1, help="replicate trials (default 1)")
    window.add_argument("--seed", type=int, default=1, help="seed (default 1)")
    window.add_argument("--horizon-weeks", type=float, default=52.0, help="follow-up in weeks (default 52)")
    window.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    window.add_argument("-o", "--output", required=True, type=Path, help="output folder")
    window.set_defaults(run=run)


def run(args: argparse.Namespace) -> None:
    """Write the tables and figures (:func:`stat3qsp.trial.window.run_window`)."""
    from stat3qsp.limits import check_range
    from stat3qsp.trial.window import run_window

    check_range(args.patients, "--patients", 1, 10000, integer=True)
    check_range(args.replicates, "--replicates", 1, 1000, integer=True)
    check_range(args.horizon_weeks, "--horizon-weeks", 0, 1040, low_open=True)
    run_window(args.spec, args.arm, args.context, args.output, args.bid_doses, args.alternative_doses,
               args.alternative, args.patients, args.replicates, args.seed, args.horizon_weeks, args.workers,
               args.models)
