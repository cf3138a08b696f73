"""The ``dose-response`` verb: one drug's dose response, or a pair's dose matrix, in a context."""
from __future__ import annotations

import argparse
from pathlib import Path


def register(verbs) -> None:
    """Add the ``dose-response`` verb."""
    dose = verbs.add_parser(
        "dose-response", help="dose response of one drug, or the dose matrix of a pair, with table and figures",
        description="Simulate the assay readouts at the assay time for a vehicle plus log-spaced concentrations of "
                    "one drug (table, LL.4 fits, figures) or of a pair (dose matrix, heat maps), as the workflow's "
                    "dose_response and synergy matrix rules do. The output folder appears whole or not at all.")
    dose.add_argument("--context", required=True, help="context name from models/catalog.yaml")
    dose.add_argument("--drug", action="append", required=True, metavar="NAME=LOW..HIGH",
                      help="drug and its lowest and highest concentration with units, e.g. ruxolitinib=1nM..30uM; "
                           "once for a dose response, twice for a dose matrix (first drug = rows)")
    dose.add_argument("--points", type=int, default=13,
                      help="log-spaced concentrations per drug besides the vehicle (default 13, as the config)")
    dose.add_argument("--hours", type=float, default=72.0, help="assay time after drug addition in hours (default 72)")
    dose.add_argument("--param", action="append", default=[], metavar="NAME=VALUE[UNIT]",
                      help="change one parameter of parameters.tsv, within its bounds and in its unit (repeatable)")
    dose.add_argument("--format", default="png", help="figure formats, comma-separated from png, svg, pdf (default png)")
    dose.add_argument("-o", "--output", required=True, type=Path, help="output folder")
    dose.set_defaults(run=run)


def run(args: argparse.Namespace) -> None:
    """Write the folder (:func:`stat3qsp.assay.steps.run_dose_response_folder`)."""
    from stat3qsp.assay.steps import parse_formats, run_dose_response_folder
    from stat3qsp.errors import InputError

    grids = {}
    for option in args.drug:
        name, _, span = option.partition("=")
        low, dots, high = span.partition("..")
        if not (name.strip() and dots and low.strip() and high.strip()):
            raise InputError(f"--drug {option!r} is not NAME=LOW..HIGH (e.g. ruxolitinib=1nM..30uM)")
        if name.strip() in grids:
            raise InputError(f"--drug {name.strip()} is given twice; a pair needs two different drugs")
        grids[name.strip()] = {"low": low.strip(), "high": high.strip(), "points": args.points}
    formats = parse_formats(args.format)
    run_dose_response_folder(args.models, args.context, grids, args.hours, args.output, formats, args.param)
