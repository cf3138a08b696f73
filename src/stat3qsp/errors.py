"""Errors raised for bad user input.

Every error that a user can cause by what they type or write in a file is an
:class:`InputError`. The command line turns it into one line on standard error
and exit code 2, before any output file is written.
"""
from __future__ import annotations


class InputError(ValueError):
    """A user-supplied value is invalid.

    The message names the offending key, row or value and says what is accepted.
    """
