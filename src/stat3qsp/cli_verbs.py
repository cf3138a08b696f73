"""Registration of the command-line verbs that live beside their library modules."""
from __future__ import annotations

from stat3qsp.synergy_io import add_cli_verb as _add_synergy

#: Functions that add a verb to the sub-parser collection.
REGISTRARS: list = [_add_synergy]

from stat3qsp import cli_trial as _cli_trial  # noqa: E402,F401 - appends the ``trial`` verb to REGISTRARS
