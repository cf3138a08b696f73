"""The one results-table format, and atomic writes: a file or folder appears whole or not at all.

A results table is plain tab-separated text: one header row, then the rows, nothing else, so that
``pandas.read_csv(path, sep="\t")`` and R's ``read.delim(path)`` read it with their default options.
Floats are written with 10 significant digits (:data:`FLOAT_FORMAT`).

Its provenance (model and parameter hashes, versions, seed, settings, command) is a sidecar JSON next
to it, ``<table>.tsv.json`` (:func:`sidecar_path`)::

    {"table": "endpoints.tsv",
     "provenance": {"model_sha256": "7baadaba45fc5005", "seed": "7", "trial_spec": ["a.yaml", "b.yaml"]},
     "notes": ["FORWARD PREDICTION: ..."]}

``provenance`` holds the ``key: value`` lines a writer passes (a key given twice: a list of its values,
in order); ``notes`` the lines that are not of that form. :func:`write_table_atomic` writes the sidecar
first and then the table, each through a temporary file and a rename, so an interrupted run never
leaves a table without its sidecar. :func:`read_table` reads a table, :func:`read_header` its
provenance from the sidecar.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

#: printf format of floats in every results table.
FLOAT_FORMAT = "%.10g"
#: Suffix of a table's provenance sidecar, appended to the table's file name.
SIDECAR_SUFFIX = ".json"
#: A provenance line ``key: value``: the key is words of letters, digits, ``_ . -`` (e.g. ``param IL6_tx_HER2_k``).
_KEY = re.compile(r"^([A-Za-z0-9_.\-]+(?: [A-Za-z0-9_.\-]+)*):\s?(.*)$")


def sidecar_path(path: Path | str) -> Path:
    """The provenance sidecar of a results table: ``<table>.tsv.json`` beside it."""
    path = Path(path)
    return path.with_name(path.name + SIDECAR_SUFFIX)


def table_text(table: pd.DataFrame) -> str:
    """A DataFrame as results-table text: TSV with one header row, without index."""
    return table.to_csv(sep="\t", index=False, float_format=FLOAT_FORMAT)


def provenance_record(path: Path | str, header_lines: list[str] | None = None) -> dict:
    """The sidecar content of table *path* from ``key: value`` provenance lines (other lines are notes)."""
    provenance: dict[str, str | list[str]] = {}
    notes: list[str] = []
    for line in header_lines or []:
        match = _KEY.match(line.strip())
        if not match:
            notes.append(line.strip())
            continue
        key, value = match.group(1), match.group(2).strip()
        if key in provenance:
            previous = provenance[key]
            provenance[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            provenance[key] = value
    return {"table": Path(path).name, "provenance": provenance, "notes": notes}


def sidecar_text(path: Path | str, header_lines: list[str] | None = None) -> str:
    """:func:`provenance_record` as the sidecar's JSON text."""
    return json.dumps(provenance_record(path, header_lines), indent=1, ensure_ascii=False) + "\n"


def table_texts_with_sidecars(tables: Mapping[Path, tuple[pd.DataFrame, list[str] | None]]) -> dict[Path, str]:
    """Texts of several tables and their sidecars, each sidecar before its table (for :func:`write_texts_atomic`)."""
    texts: dict[Path, str] = {}
    for path, (table, header_lines) in tables.items():
        texts[sidecar_path(path)] = sidecar_text(path, header_lines)
        texts[Path(path)] = table_text(table)
    return texts


def read_table(path: Path | str, **options) -> pd.DataFrame:
    """A results table; *options* go to :func:`pandas.read_csv`."""
    return pd.read_csv(path, sep="\t", **options)


def read_header(path: Path | str) -> dict[str, str | list[str]]:
    """The provenance of a results table, from its sidecar (``{}`` if it has none).

    A key given once maps to its value, a key given several times to the list of its values.
    """
    sidecar = sidecar_path(path)
    if not sidecar.is_file():
        return {}
    return dict(json.loads(sidecar.read_text(encoding="utf-8"))["provenance"])


def header_lines(path: Path | str) -> list[str]:
    """The provenance of a results table (its sidecar) as ``key: value`` lines and notes, for a table made from it."""
    sidecar = sidecar_path(path)
    if not sidecar.is_file():
        return []
    record = json.loads(sidecar.read_text(encoding="utf-8"))
    lines = []
    for key, value in record["provenance"].items():
        lines += [f"{key}: {v}" for v in (value if isinstance(value, list) else [value])]
    return lines + list(record.get("notes", []))


def remove_table(path: Path | str) -> None:
    """Delete a results table and its sidecar (either may be absent)."""
    Path(path).unlink(missing_ok=True)
    sidecar_path(path).unlink(missing_ok=True)


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
    """Write a DataFrame as a results table and its provenance lines (``key: value``) as its sidecar JSON.

    The sidecar is renamed into place first, then the table (:func:`write_texts_atomic`).
    """
    write_texts_atomic(table_texts_with_sidecars({Path(path): (table, header_lines)}))


def write_texts_atomic(texts: Mapping[Path, str]) -> None:
    """Write several files as one step: all to temporary files, then each renamed into place.

    On failure before the renames nothing is left; a failure between renames removes the files
    already renamed, so a set of outputs never appears in part. A removed sidecar takes its table with it
    (an older table of that name included): no table is left without its sidecar.
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
            if path.name.endswith(".tsv" + SIDECAR_SUFFIX):
                path.with_name(path.name[: -len(SIDECAR_SUFFIX)]).unlink(missing_ok=True)
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
