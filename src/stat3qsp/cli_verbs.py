"""Registration of the command-line verbs that live beside their library modules."""
from __future__ import annotations

#: Functions that add a verb to the sub-parser collection.
REGISTRARS: list = []
