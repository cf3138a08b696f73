"""The ``stat3qsp`` command line: a thin layer over the library, one module per verb.

Every verb module has ``register(verbs)`` (adds its sub-parser, with ``run`` as the default
action) and ``run(args)``; :data:`VERBS` lists them. Every verb has ``--help``. Bad input gives one
line on standard error naming the value and what is accepted, exit code 2, and no output file.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stat3qsp import __version__
from stat3qsp.cli import calibrate, dose_response, listing, omex, sbml, simulate, synergy, trial
from stat3qsp.errors import InputError
from stat3qsp.model.catalog import DEFAULT_MODELS_DIR

EXIT_INPUT_ERROR = 2
#: The verb modules, in the order ``--help`` lists them.
VERBS = (listing, sbml, simulate, dose_response, omex, synergy, trial, calibrate)


class _Parser(argparse.ArgumentParser):
    """argparse with usage errors as one line and exit code 2."""

    def error(self, message: str) -> None:  # noqa: D102 - argparse API
        sys.stderr.write(f"stat3qsp: error: {message}\n")
        raise SystemExit(EXIT_INPUT_ERROR)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of all verbs."""
    parser = _Parser(prog="stat3qsp", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"stat3qsp {__version__}")
    parser.add_argument("--models", type=Path, default=DEFAULT_MODELS_DIR,
                        help="models folder (default: $STAT3QSP_MODELS, else ./models, else the installed copy)")
    verbs = parser.add_subparsers(dest="verb", required=True, parser_class=_Parser)
    for verb in VERBS:
        verb.register(verbs)
    return parser


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
