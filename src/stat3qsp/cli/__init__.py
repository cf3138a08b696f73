"""The ``stat3qsp`` command line (:mod:`.app`); one module per verb."""
from __future__ import annotations


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``stat3qsp`` script (:func:`stat3qsp.cli.app.main`)."""
    from stat3qsp.cli.app import main as run

    return run(argv)
