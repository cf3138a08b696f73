"""The ``simulate`` verb: time course of the readouts of a context after drug addition."""
from __future__ import annotations

import argparse
from pathlib import Path


def register(verbs) -> None:
    """Add the ``simulate`` verb."""
    sim = verbs.add_parser("simulate", help="time course of the readouts after drug addition",
                           description="Bring the cells of a context to their untreated steady state, add drugs at "
                                       "constant concentrations at t = 0 and write the readouts as TSV.")
    sim.add_argument("--context", required=True, help="context name from models/catalog.yaml")
    sim.add_argument("--drug", action="append", default=[], metavar="NAME=CONC",
                     help="drug and concentration with unit, e.g. ruxolitinib=300nM (repeatable)")
    sim.add_argument("--param", action="append", default=[], metavar="NAME=VALUE[UNIT]",
                     help="change one parameter of parameters.tsv for this run, within its bounds and in its unit, "
                          "e.g. IL6_tx_HER2_k=1nM_per_hour (repeatable)")
    sim.add_argument("--hours", type=float, default=72.0, help="simulated time after drug addition in hours (default 72)")
    sim.add_argument("--points", type=int, default=73, help="number of output times (default 73)")
    sim.add_argument("-o", "--output", required=True, type=Path, help="TSV file to write")
    sim.set_defaults(run=run)


def run(args: argparse.Namespace) -> None:
    """Simulate and write the time course (:func:`stat3qsp.model.export.write_time_course`)."""
    from stat3qsp.model.export import write_time_course

    write_time_course(args.models, args.context, args.drug, args.hours, args.points, args.output, args.param)
