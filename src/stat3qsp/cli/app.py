"""The ``stat3qsp`` command line: a thin layer over the library, one module per verb.

Every verb module has ``register(verbs)`` (adds its sub-parser, with ``run`` as the default
action) and ``run(args)``; :data:`VERBS` lists them. Every verb has ``--help``. A command names its
verb, so only that verb's module is imported (each verb imports its part of the library, e.g. scipy
and pandas for the hypotheses, roadrunner for the trial); ``stat3qsp --help`` imports them all.

:func:`main` is the one error boundary. Bad input (an :class:`~stat3qsp.errors.InputError`, and the
failures a user causes by paths, encodings or sizes: :class:`OSError`, :class:`UnicodeDecodeError`,
:class:`MemoryError`) gives one line on standard error naming the value and what is accepted, exit
code 2, and no output file. Anything else is a bug: one line and exit code 1, or the traceback with
``--debug`` or ``STAT3QSP_DEBUG=1`` (which also show the traceback of input errors).
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

from stat3qsp import __version__
from stat3qsp.errors import InputError
from stat3qsp.model.catalog import DEFAULT_MODELS_DIR

EXIT_INPUT_ERROR = 2
#: Exit code of an unexpected error (a bug); ``--debug`` shows its traceback.
EXIT_INTERNAL_ERROR = 1
#: Environment variable that, set to 1, has every error show its traceback (as ``--debug``).
DEBUG_ENV = "STAT3QSP_DEBUG"
#: Verb -> its module in :mod:`stat3qsp.cli`, in the order ``--help`` lists them.
VERBS = {"list": "listing", "sbml": "sbml", "simulate": "simulate", "dose-response": "dose_response", "omex": "omex",
         "synergy": "synergy", "trial": "trial", "calibrate": "calibrate", "hypotheses": "hypotheses",
         "window": "window"}


class _Parser(argparse.ArgumentParser):
    """argparse with usage errors as one line and exit code 2."""

    def error(self, message: str) -> None:  # noqa: D102 - argparse API
        sys.stderr.write(f"stat3qsp: error: {message}\n")
        raise SystemExit(EXIT_INPUT_ERROR)


def named_verb(argv: list[str]) -> str | None:
    """The verb *argv* names (the first word that is not a global option or its value), or None."""
    words = iter(argv)
    for word in words:
        if word == "--models":
            next(words, None)
        elif not word.startswith("-"):
            return word if word in VERBS else None
    return None


def build_parser(verb: str | None = None) -> argparse.ArgumentParser:
    """The argument parser of *verb*, or of all verbs."""
    parser = _Parser(prog="stat3qsp", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"stat3qsp {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help=f"show the traceback of any error (also with ${DEBUG_ENV}=1)")
    parser.add_argument("--models", type=Path, default=DEFAULT_MODELS_DIR,
                        help="models folder (default: $STAT3QSP_MODELS, else ./models, else the installed copy)")
    verbs = parser.add_subparsers(dest="verb", required=True, parser_class=_Parser)
    for name in [verb] if verb else VERBS:
        importlib.import_module(f"stat3qsp.cli.{VERBS[name]}").register(verbs)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (0, :data:`EXIT_INPUT_ERROR`, :data:`EXIT_INTERNAL_ERROR`)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(named_verb(argv)).parse_args(argv)
    debug = args.debug or os.environ.get(DEBUG_ENV, "") not in ("", "0")
    try:
        args.run(args)
    except Exception as exc:  # noqa: BLE001 - the one error boundary of the command line
        if debug:
            raise
        message = user_error_message(exc)
        if message is None:
            sys.stderr.write(f"stat3qsp: internal error ({type(exc).__name__}: {_first_line(exc)}); this is a bug: "
                             f"please report it with the output of the same command with --debug\n")
            return EXIT_INTERNAL_ERROR
        sys.stderr.write(f"stat3qsp: error: {message}\n")
        return EXIT_INPUT_ERROR
    return 0


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def user_error_message(exc: BaseException) -> str | None:
    """The one-line message of an error the user caused, or None for a bug.

    User errors: :class:`InputError` (its message), :class:`OSError` of a path (the path and the
    system's reason), :class:`UnicodeDecodeError` (an input file that is not UTF-8) and
    :class:`MemoryError` (a size the machine cannot hold).
    """
    if isinstance(exc, InputError):
        return _first_line(exc)
    if isinstance(exc, UnicodeDecodeError):
        return f"an input file is not UTF-8 text (byte {exc.start}: {exc.object[exc.start:exc.start + 1]!r}); accepted: UTF-8"
    if isinstance(exc, OSError) and (exc.filename is not None or exc.strerror):
        target = f"{exc.filename}: " if exc.filename is not None else ""
        return f"{target}{exc.strerror or _first_line(exc)}; accepted: a path that can be read (inputs) or written (-o)"
    if isinstance(exc, MemoryError):
        return ("not enough memory for the requested size (--points, --patients, --replicates); accepted: smaller "
                "sizes (limits in docs/errors.md)")
    return None


if __name__ == "__main__":
    raise SystemExit(main())
