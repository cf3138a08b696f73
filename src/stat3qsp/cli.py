"""The ``stat3qsp`` command line: a thin layer over the library.

Every verb has ``--help``. Bad input gives one line on standard error naming the value and what is
accepted, exit code 2, and no output file.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stat3qsp.catalog import DEFAULT_MODELS_DIR
from stat3qsp.errors import InputError

EXIT_INPUT_ERROR = 2


class _Parser(argparse.ArgumentParser):
    """argparse with usage errors as one line and exit code 2."""

    def error(self, message: str) -> None:  # noqa: D102 - argparse API
        sys.stderr.write(f"stat3qsp: error: {message}\n")
        raise SystemExit(EXIT_INPUT_ERROR)


def _cmd_sbml(args: argparse.Namespace) -> None:
    from stat3qsp.compose import validate_sbml
    from stat3qsp.model import load_model
    from stat3qsp.output import write_text_atomic

    model = load_model(args.models)
    sbml = model.sbml_for_context(args.context)
    errors = validate_sbml(sbml)
    if errors:
        raise RuntimeError("the composed SBML fails libsbml's checks:\n" + "\n".join(errors))
    write_text_atomic(args.output, sbml)


def _cmd_simulate(args: argparse.Namespace) -> None:
    from stat3qsp.concentrations import parse_drug_option
    from stat3qsp.model import load_model
    from stat3qsp.output import write_table_atomic

    model = load_model(args.models)
    context = model.context(args.context)
    doses = dict(parse_drug_option(option, model.catalog) for option in args.drug)
    if not args.hours > 0:
        raise InputError(f"--hours must be > 0, got {args.hours}")
    table = context.time_course(doses, hours=args.hours, points=args.points)
    header = [f"context: {args.context}", *(f"{d}_nM: {c:g}" for d, c in doses.items())]
    header += [f"{k}: {v}" for k, v in model.provenance.items()]
    write_table_atomic(args.output, table, header)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of all verbs."""
    parser = _Parser(prog="stat3qsp", description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=Path, default=DEFAULT_MODELS_DIR, help="models folder (default: the project's models/)")
    verbs = parser.add_subparsers(dest="verb", required=True, parser_class=_Parser)

    sbml = verbs.add_parser("sbml", help="write the composed model as standalone SBML L3V2", description="Write the composed model of a context as standalone SBML Level 3 Version 2; drug concentrations are parameters (0 by default).")
    sbml.add_argument("--context", required=True, help="context name from models/catalog.yaml")
    sbml.add_argument("-o", "--output", required=True, type=Path, help="SBML file to write")
    sbml.set_defaults(run=_cmd_sbml)

    sim = verbs.add_parser("simulate", help="time course of the readouts after drug addition", description="Bring the cells of a context to their untreated steady state, add drugs at constant concentrations at t = 0 and write the readouts as TSV.")
    sim.add_argument("--context", required=True, help="context name from models/catalog.yaml")
    sim.add_argument("--drug", action="append", default=[], metavar="NAME=CONC", help="drug and concentration with unit, e.g. ruxolitinib=300nM (repeatable)")
    sim.add_argument("--hours", type=float, default=72.0, help="simulated time after drug addition in hours (default 72)")
    sim.add_argument("--points", type=int, default=73, help="number of output times (default 73)")
    sim.add_argument("-o", "--output", required=True, type=Path, help="TSV file to write")
    sim.set_defaults(run=_cmd_simulate)

    for register in _extra_verbs():
        register(verbs)
    return parser


def _extra_verbs():
    """Verbs defined beside the library modules they call (synergy, trial)."""
    from stat3qsp import cli_verbs

    return cli_verbs.REGISTRARS


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except InputError as exc:
        sys.stderr.write(f"stat3qsp: error: {exc}\n")
        return EXIT_INPUT_ERROR
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
