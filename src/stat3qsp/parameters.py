"""The parameter table: one row per model parameter, with value, unit, bounds and source.

The table follows PEtab's parameter-table columns (parameterId, value, unit, lowerBound,
upperBound, source, notes). A source is a DOI/PMID, a dataset, ``fitted: <problem>`` or
``assumed: <why>``; :func:`read_parameter_table` refuses anything else.
"""
from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from pathlib import Path

from stat3qsp.errors import InputError

COLUMNS = ("parameterId", "value", "unit", "lowerBound", "upperBound", "source", "notes")
_SOURCE_PATTERN = re.compile(r"(DOI:\s*10\.\S+|PMID:?\s*\d+|BIOMD\d+|^fitted: \S|^assumed: \S|^dataset: \S)")


@dataclass(frozen=True)
class Parameter:
    """One row of the parameter table."""

    parameter_id: str
    value: float
    unit: str
    lower_bound: float
    upper_bound: float
    source: str
    notes: str


def read_parameter_table(path: Path) -> dict[str, Parameter]:
    """Read and check a parameter table.

    Parameters
    ----------
    path
        Tab-separated file with the columns in :data:`COLUMNS`.

    Returns
    -------
    dict
        Parameters by id, in file order.

    Raises
    ------
    InputError
        On a missing column, a duplicate id, a non-numeric or non-finite value, a value outside
        its bounds, an empty unit or a source that is not a DOI/PMID/dataset/fitted/assumed.
    """
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise InputError(f"{path}: missing column(s) {missing}; expected {list(COLUMNS)}")
        table: dict[str, Parameter] = {}
        for line, row in enumerate(reader, start=2):
            pid = row["parameterId"].strip()
            where = f"{path}:{line} ({pid})"
            if pid in table:
                raise InputError(f"{where}: duplicate parameterId")
            try:
                value, lower, upper = (float(row[c]) for c in ("value", "lowerBound", "upperBound"))
            except ValueError as exc:
                raise InputError(f"{where}: value and bounds must be numbers ({exc})") from None
            if not all(math.isfinite(x) for x in (value, lower, upper)) or not lower <= value <= upper:
                raise InputError(f"{where}: need finite lowerBound <= value <= upperBound, got {lower} <= {value} <= {upper}")
            if not row["unit"].strip():
                raise InputError(f"{where}: empty unit")
            source = row["source"].strip()
            if not _SOURCE_PATTERN.search(source):
                raise InputError(
                    f"{where}: source {source!r} is not a DOI/PMID/BIOMD id, 'dataset: ...', 'fitted: ...' or 'assumed: ...'"
                )
            table[pid] = Parameter(pid, value, row["unit"].strip(), lower, upper, source, (row["notes"] or "").strip())
    return table
