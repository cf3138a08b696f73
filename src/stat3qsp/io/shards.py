"""Shards of the workflow's heavy work (Snakemake ``scattergather``) and their deterministic gathering.

Snakemake names shard ``i`` of ``n`` ``"i-of-n"`` (its ``{scatteritem}``, 1-based). Work of ``N`` items
(replicate trials, matrix rows, design samples) is split into contiguous blocks: shard ``i`` of ``n``
takes items ``[(i-1) N // n, i N // n)``. Every item is computed from its own index and seed, never from
the items before it, and :func:`gather_tables` concatenates the shard tables in shard order, so the
gathered tables are the same for any number of shards (``tests/workflow/test_trial_workflow.py``; these
functions: ``tests/unit/test_shards.py``). A shard may be empty when ``n > N``.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd

from stat3qsp.errors import InputError
from stat3qsp.io.tables import read_table

_SCATTERITEM = re.compile(r"^(\d+)-of-(\d+)$")


def parse_scatteritem(item: str) -> tuple[int, int]:
    """``"i-of-n"`` as ``(i - 1, n)`` (a 0-based shard index and the count).

    Raises
    ------
    InputError
        If *item* is not ``i-of-n`` with ``1 <= i <= n``.
    """
    match = _SCATTERITEM.match(str(item))
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise InputError(f"shard {item!r}; accepted: 'i-of-n' with 1 <= i <= n (Snakemake's scatteritem)")
    return int(match[1]) - 1, int(match[2])


def shard_range(n_items: int, index: int, count: int) -> range:
    """The items ``[index N // count, (index + 1) N // count)`` of shard *index* (0-based) of *count*."""
    if not 0 <= index < count:
        raise InputError(f"shard index {index} of {count}; accepted: 0 <= index < count")
    return range(index * n_items // count, (index + 1) * n_items // count)


def shard_items(items: Sequence, item: str):
    """The block of *items* of the shard named by the scatteritem *item* (``"i-of-n"``)."""
    index, count = parse_scatteritem(item)
    block = shard_range(len(items), index, count)
    return items[block.start:block.stop]


EMPTY_SHARD = "empty shard: more shards than items"
"""Header line of the table of a shard without items (it has no columns and no rows)."""


def gather_tables(paths: Sequence[str]) -> pd.DataFrame:
    """The shard tables concatenated in the order given (Snakemake's ``gather`` order: shard 1 to n).

    Empty shards are skipped, so column types are those of the shards with rows.

    Raises
    ------
    InputError
        If no shard has rows, or the shards' columns differ (naming the first file that differs).
    """
    tables = [(path, table) for path in paths if len(table := read_shard(path))]
    if not tables:
        raise InputError(f"no rows in any of the {len(paths)} shard tables ({paths[0]} ...)")
    first_path, first = tables[0]
    for path, table in tables[1:]:
        if list(table.columns) != list(first.columns):
            raise InputError(f"shard table {path} has columns {list(table.columns)}; accepted: those of {first_path}: "
                             f"{list(first.columns)}")
    return pd.concat([table for _, table in tables], ignore_index=True)


def read_shard(path: str) -> pd.DataFrame:
    """A shard's results table; an empty shard's table (comment lines only, see :data:`EMPTY_SHARD`)
    gives an empty frame."""
    try:
        return read_table(path)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
