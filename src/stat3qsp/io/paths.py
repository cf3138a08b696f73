"""Checks of output paths, done before any simulation so that a bad ``-o`` fails at once, not at the end.

An output path is accepted when it can be written: it is not an existing folder (for a file) or an
existing file (for a folder), its nearest existing parent is a folder, and that folder is writable.
Nothing is created by the checks.
"""
from __future__ import annotations

import os
from pathlib import Path

from stat3qsp.errors import InputError


def _writable_parent(path: Path, option: str, accepted: str) -> None:
    parent = next((p for p in path.absolute().parents if p.exists()), Path("/"))
    if not parent.is_dir():
        raise InputError(f"{option} {path}: {parent} is a file, not a folder; accepted: {accepted}")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"{option} {path}: folder {parent} is not writable; accepted: {accepted} in a writable "
                         "folder")


def check_output_file(path: Path | str, option: str = "-o") -> Path:
    """*path* as a file to (re)write; :class:`InputError` naming *option* if it cannot be one."""
    path = Path(path)
    accepted = "a file path (missing folders are created)"
    if path.is_dir():
        raise InputError(f"{option} {path}: is an existing folder; accepted: {accepted}")
    if path.exists() and not os.access(path, os.W_OK):
        raise InputError(f"{option} {path}: exists and is not writable; accepted: {accepted}")
    _writable_parent(path, option, accepted)
    return path


def check_output_folder(path: Path | str, option: str = "-o") -> Path:
    """*path* as a folder to (re)write whole; :class:`InputError` naming *option* if it cannot be one."""
    path = Path(path)
    accepted = "a folder path (replaced whole if it exists)"
    if path.exists() and not path.is_dir():
        raise InputError(f"{option} {path}: exists and is not a folder; accepted: {accepted}")
    _writable_parent(path, option, accepted)
    return path
