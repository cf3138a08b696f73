"""Shards (stat3qsp.io.shards) and the workflow's scattergather: any number of shards gives the same tables.

The end-to-end test runs the trial, sensitivity (Morris) and uncertainty stages of a tiny config with 1 shard
of each kind and with 3 trial shards and 2 of each other kind (``--set-scatter``; 3 shards of 2 replicate trials
leave one empty) and compares the gathered tables byte for byte. The synergy matrix's shards are compared with
one shard in tests/workflow/test_cluster.py (2 shards through the cluster executor).
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from stat3qsp.errors import InputError
from stat3qsp.io.tables import header_lines, write_table_atomic
from stat3qsp.io.shards import EMPTY_SHARD, gather_tables, parse_scatteritem, shard_items, shard_range

from tiny import ROOT, tiny



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


# -- the workflow --------------------------------------------------------------------------------
ARMS = ("ruxolitinib_trastuzumab", "historical_control")
SPEC_ID = "SHARDS-1"
TINY = tiny(
    dose_response={"ruxolitinib": {"low": "10 nM", "high": "10 uM", "points": 3}},
    synergy={**tiny()["synergy"], "methods": ["bliss"]},
    trials={"replicates": 2, "patients": 3, "seed": 3, "workers": 1},
    sensitivity={"seed": 1, "fixed": ["HER2_specific_activity", "EGFR_level"],
                 "synergy": {"contexts": ["her2_amplified"], "pair": {"row": "trastuzumab", "col": "ruxolitinib"},
                             "points": 4, "trajectories": 2, "top_factors": 2, "sobol_base_samples": 2}},
    uncertainty={"arms": ["ruxolitinib_trastuzumab"], "replicates": 3, "patients": 2, "seed": 1,
                 "parameter_seed": 2, "horizon_weeks": 20, "growth_scale": "rescaled",
                 "profile_source": "fitted: Sobotta 2017 (PEtab)", "parameter_sets": [{"profile": True, "ranges": []}]},
)
GATHERED = [
    f"results/trial/{SPEC_ID}/endpoints.tsv", f"results/trial/{SPEC_ID}/replicate_endpoints.tsv",
    f"results/trial/{SPEC_ID}/patients.tsv", f"results/trial/{SPEC_ID}/sld.tsv",
    "results/sensitivity/synergy/morris_outputs.tsv", "results/sensitivity/synergy/morris.tsv",
    "results/uncertainty/endpoints.tsv", "results/uncertainty/replicate_endpoints.tsv",
    "results/uncertainty/parameters.tsv",
]


def _config(workdir: Path) -> Path:
    spec = yaml.safe_load((ROOT / "trials" / "NCT02066532.yaml").read_text(encoding="utf-8"))
    spec["id"] = SPEC_ID
    spec["arms"] = [arm for arm in spec["arms"] if arm["name"] in ARMS]
    spec_path = workdir / "spec.yaml"
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    config = {**TINY, "trials": {**TINY["trials"], "specs": [str(spec_path)]},
              "uncertainty": {**TINY["uncertainty"], "spec": str(spec_path)}}
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _run(workdir: Path, shards: int) -> None:
    config = _config(workdir)
    # 3 trial shards of 2 replicate trials leave one empty; the other stages' shards are 2 (fewer jobs).
    scatter = [f"trial={shards}", *(f"{name}={min(shards, 2)}" for name in ("sensitivity", "uncertainty"))]
    command = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--cores", "2", "-d", str(workdir),
               *GATHERED, "--set-scatter", *scatter, "--configfile", str(config)]
    result = subprocess.run(command, capture_output=True, text=True, encoding="utf-8", cwd=workdir,
                            env={**os.environ, "PYTHONUTF8": "1"})
    assert result.returncode == 0, result.stderr[-3000:]


def test_one_or_three_shards_give_identical_tables(tmp_path):
    runs = {}
    for shards in (1, 3):
        runs[shards] = tmp_path / f"shards_{shards}"
        runs[shards].mkdir()
        _run(runs[shards], shards)
    # The shards ran: 3 shard files of the trial (2 replicates: one of them empty).
    shard_files = sorted((runs[3] / f"results/trial/{SPEC_ID}/shards").glob("*.patients.tsv"))
    assert len(shard_files) == 3
    # An empty shard says so in its provenance sidecar (<table>.tsv.json).
    assert sum(EMPTY_SHARD in header_lines(path) for path in shard_files) == 1
    for path in [*GATHERED, *(f"{p}.json" for p in GATHERED)]:
        # The spec path differs between the runs' folders only by name: compare the tables' bodies and
        # the provenance (sidecars) with the folder's name replaced.
        first, *others = [(runs[n] / path).read_text(encoding="utf-8").replace(str(runs[n]), "<run>") for n in runs]
        assert all(other == first for other in others), path
    patients = pd.read_csv(runs[1] / GATHERED[2], sep="\t")
    assert sorted(set(patients["replicate"])) == list(range(2))
