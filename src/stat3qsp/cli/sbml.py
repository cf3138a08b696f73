"""The ``sbml`` verb: the composed model of a context as standalone SBML L3V2."""
from __future__ import annotations

import argparse
from pathlib import Path


def register(verbs) -> None:
    """Add the ``sbml`` verb."""
    sbml = verbs.add_parser("sbml", help="write the composed model as standalone SBML L3V2",
                            description="Write the composed model of a context as standalone SBML Level 3 Version 2 that "
                                        "starts at the untreated steady state and reproduces `stat3qsp simulate`; "
                                        "drug concentrations are parameters (0 by default).")
    sbml.add_argument("--context", required=True, help="context name from models/catalog.yaml")
    sbml.add_argument("--initial-state", default="steady",
                      help="steady: the untreated steady state of the context, as `simulate` starts (default); "
                           "modules: the modules' initial values (the start of the pre-equilibration)")
    sbml.add_argument("-o", "--output", required=True, type=Path, help="SBML file to write")
    sbml.set_defaults(run=run)


def run(args: argparse.Namespace) -> None:
    """Write the SBML of ``args.context`` (:func:`stat3qsp.model.export.write_sbml`)."""
    from stat3qsp.model.export import write_sbml

    write_sbml(args.models, args.context, args.output, initial_state=args.initial_state)
