"""The one results-table format, and atomic writes: a file or folder appears whole or not at all.

A results table is tab-separated text with a header row, after optional provenance lines of the
form ``# key: value`` (model and parameter hashes, versions, seed, settings). :func:`read_table`
reads it back (the ``#`` lines skipped), :func:`read_header` returns the provenance lines. Floats
are written with 10 significant digits (:data:`FLOAT_FORMAT`).
"""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

#: printf format of floats in every results table.
FLOAT_FORMAT = "%.10g"


def table_text(table: pd.DataFrame, header_lines: list[str] | None = None) -> str:
    """A DataFrame as results-table text: ``# line`` provenance lines, then TSV without index."""
    comments = "".join(f"# {line}\n" for line in header_lines or [])
    return comments + table.to_csv(sep="\t", index=False, float_format=FLOAT_FORMAT)


def read_table(path: Path | str, **options) -> pd.DataFrame:
    """A results table (``# key: value`` lines skipped); *options* go to :func:`pandas.read_csv`."""
    return pd.read_csv(path, sep="\t", comment="#", **options)


def read_header(path: Path | str) -> dict[str, str]:
    """The ``# key: value`` provenance lines at the top of a results table, in order."""
    header: dict[str, str] = {}
    with open(path, encoding="utf-8") as stream:
        for line in stream:
            if not line.startswith("#"):
                break
            key, _, value = line[1:].strip().partition(":")
            header[key.strip()] = value.strip()
    return header


def _temporary_beside(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes 0600; outputs get the usual permissions
    return temporary


def write_text_atomic(path: Path | str, text: str) -> None:
    """Write *text* to *path* through a temporary file in the same folder and a rename."""
    write_texts_atomic({Path(path): text})


def write_bytes_atomic(path: Path | str, data: bytes) -> None:
    """Write *data* (e.g. a zip archive) to *path* through a temporary file in the same folder and a rename."""
    path = Path(path)
    temporary = _temporary_beside(path)
    try:
        Path(temporary).write_bytes(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_table_atomic(path: Path | str, table: pd.DataFrame, header_lines: list[str] | None = None) -> None:
    """Write a DataFrame as a results table atomically, after optional ``# key: value`` lines."""
    write_text_atomic(path, table_text(table, header_lines))


def write_texts_atomic(texts: Mapping[Path, str]) -> None:
    """Write several files as one step: all to temporary files, then each renamed into place.

    On failure before the renames nothing is left; a failure between renames removes the files
    already renamed, so a set of outputs never appears in part.
    """
    temporaries: dict[Path, str] = {}
    replaced: list[Path] = []
    try:
        for path, text in texts.items():
            temporaries[Path(path)] = temporary = _temporary_beside(Path(path))
            with open(temporary, "w", encoding="utf-8") as stream:
                stream.write(text)
        for path, temporary in temporaries.items():
            os.replace(temporary, path)
            replaced.append(path)
    except BaseException:
        for temporary in temporaries.values():
            Path(temporary).unlink(missing_ok=True)
        for path in replaced:
            path.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_folder(output: Path | str) -> Iterator[Path]:
    """A staging folder beside *output* that replaces it when the ``with`` block succeeds.

    On an exception the staging folder is removed and *output* is left as it was.
    """
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=output.parent, prefix=f".{output.name}."))
    try:
        yield staging
        if output.exists():
            retired = Path(tempfile.mkdtemp(dir=output.parent, prefix=f".{output.name}.old."))
            os.replace(output, retired / output.name)
            os.replace(staging, output)
            shutil.rmtree(retired)
        else:
            os.replace(staging, output)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
