"""Shards (stat3qsp.io.shards): parsing, partitioning and gathering.

The workflow's scattergather (any number of shards gives the same tables) is tested end to end with the tiny
trial in tests/workflow/test_trial_workflow.py (trial, sensitivity and uncertainty shards) and
tests/workflow/test_cluster.py (the synergy matrix in 2 shards through the cluster executor).
"""
from __future__ import annotations

import pandas as pd
import pytest

from stat3qsp.errors import InputError
from stat3qsp.io.tables import write_table_atomic
from stat3qsp.io.shards import EMPTY_SHARD, gather_tables, parse_scatteritem, shard_items, shard_range


# -- pure functions ------------------------------------------------------------------------------
def test_scatteritem_is_parsed_to_a_zero_based_index():
    assert parse_scatteritem("1-of-1") == (0, 1)
    assert parse_scatteritem("3-of-8") == (2, 8)


@pytest.mark.parametrize("item", ["0-of-2", "3-of-2", "2of2", "a-of-b", ""])
def test_bad_scatteritem_is_refused_naming_it(item):
    with pytest.raises(InputError, match=f"shard {item!r}"):
        parse_scatteritem(item)


@pytest.mark.parametrize("n_items", [0, 1, 5, 26, 100])
@pytest.mark.parametrize("count", [1, 2, 3, 8])
def test_shards_partition_the_items_in_order(n_items, count):
    blocks = [shard_range(n_items, index, count) for index in range(count)]
    assert [i for block in blocks for i in block] == list(range(n_items))
    sizes = [len(block) for block in blocks]
    assert max(sizes) - min(sizes) <= 1


def test_shard_items_takes_the_block_of_a_sequence():
    assert list(shard_items(list("abcdefg"), "2-of-3")) == ["c", "d"]
    assert list(shard_items(range(2), "3-of-3")) == [1]


def test_gather_skips_empty_shards_and_refuses_other_columns(tmp_path):
    paths = [tmp_path / f"{i}.tsv" for i in range(4)]
    write_table_atomic(paths[0], pd.DataFrame({"a": [1, 2], "b": [0.5, 0.25]}), ["shard: 1-of-3"])
    write_table_atomic(paths[1], pd.DataFrame(), ["shard: 2-of-3", EMPTY_SHARD])
    write_table_atomic(paths[2], pd.DataFrame({"a": [3], "b": [0.125]}))
    gathered = gather_tables([str(p) for p in paths[:3]])
    assert gathered["a"].tolist() == [1, 2, 3] and gathered["b"].tolist() == [0.5, 0.25, 0.125]
    write_table_atomic(paths[3], pd.DataFrame({"a": [3], "c": [1.0]}))
    with pytest.raises(InputError, match=r"3\.tsv has columns \['a', 'c'\]"):
        gather_tables([str(paths[0]), str(paths[3])])
    with pytest.raises(InputError, match="no rows"):
        gather_tables([str(paths[1])])
