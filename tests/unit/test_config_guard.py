"""The checks before any job: one-line config errors and the stale-lock cleanup of `make run`."""
from __future__ import annotations

from pathlib import Path

import pytest

from stat3qsp.errors import InputError
from stat3qsp.io.yamlfiles import read_yaml
from stat3qsp.config import check_config_files, clear_stale_lock, config_error

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "config" / "schema.yaml"


def _config() -> dict:
    return read_yaml(ROOT / "config" / "config.yaml")


def test_the_default_config_is_valid():
    assert config_error(_config(), SCHEMA) is None


@pytest.mark.parametrize("change, expected", [
    ({"colour": "blue"}, "'colour' was unexpected"),
    ({"assay_hours": -1}, "config key assay_hours = -1"),
    ({"calibration": {"fit": "slow"}}, "config key calibration.fit = 'slow'"),
])
def test_a_schema_violation_is_one_line_naming_the_key(change, expected):
    message = config_error({**_config(), **change}, SCHEMA)
    assert expected in message and "\n" not in message and len(message) < 600


def test_duplicate_keys_of_a_config_file_are_refused(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("models_dir: models\nmodels_dir: other\n", encoding="utf-8")
    with pytest.raises(InputError, match="models_dir.*twice"):
        check_config_files([str(path)])


def test_a_stale_lock_is_removed_and_a_missing_one_is_left_alone(tmp_path):
    assert clear_stale_lock(tmp_path) is False
    locks = tmp_path / ".snakemake" / "locks"
    locks.mkdir(parents=True)
    (locks / "0.input.lock").write_text("x", encoding="utf-8")
    assert clear_stale_lock(tmp_path) is True
    assert not locks.exists()
