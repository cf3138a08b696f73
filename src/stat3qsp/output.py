"""Writing outputs atomically: a file appears whole or not at all."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd


def write_text_atomic(path: Path | str, text: str) -> None:
    """Write *text* to *path* through a temporary file in the same folder and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_table_atomic(path: Path | str, table: pd.DataFrame, header_lines: list[str] | None = None) -> None:
    """Write a DataFrame as TSV atomically, after optional ``# key: value`` header lines."""
    comments = "".join(f"# {line}\n" for line in header_lines or [])
    write_text_atomic(path, comments + table.to_csv(sep="\t", index=False, float_format="%.10g"))
