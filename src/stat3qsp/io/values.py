"""Small parsers of text values in tables and specs."""
from __future__ import annotations


def is_number(text: str) -> bool:
    """Whether *text* parses as a float (``"1e-3"``, ``"nan"``, ``"inf"`` included)."""
    try:
        float(text)
    except (TypeError, ValueError):
        return False
    return True
