"""config/README.md describes every key of config/config.yaml (and no key the config lacks)."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
#: Sections whose keys are names (drugs, contexts): described once with a placeholder.
NAMED = {"dose_response": "<drug>", "synergy.grids": "<drug>", "comparison.backbones": "<context>"}


def config_keys(mapping: dict, prefix: str = "") -> set[str]:
    """Dotted keys of a config, with the names under :data:`NAMED` sections written as placeholders."""
    keys = set()
    for key, value in mapping.items():
        name = NAMED.get(prefix.rstrip("."), key) if prefix.rstrip(".") in NAMED else key
        if prefix.rstrip(".") == "comparison.backbones.<context>":
            name = "<drug>"
        keys.add(prefix + name)
        if isinstance(value, dict):
            keys |= config_keys(value, f"{prefix}{name}.")
    return keys


def described_keys(text: str) -> set[str]:
    """Keys in the first cell of the README's table rows; ``.x`` continues the previous key's parent."""
    keys = set()
    for line in text.splitlines():
        if not line.startswith("| `"):
            continue
        tokens = re.findall(r"`([^`]+)`", line.split("|")[1])
        parent = tokens[0].rsplit(".", 1)[0] if "." in tokens[0] else ""
        keys |= {f"{parent}{t}" if t.startswith(".") else t for t in tokens}
    return keys


def test_every_config_key_is_described():
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
    described = described_keys((ROOT / "config" / "README.md").read_text(encoding="utf-8"))
    # a section is described by the rows of its keys
    missing = {k for k in config_keys(config) if k not in described and not any(d.startswith(k + ".") for d in described)}
    assert missing == set()


def test_described_keys_exist_in_the_schema():
    """Keys the README describes but the config omits (optional ones) must be schema keys."""
    schema = (ROOT / "config" / "schema.yaml").read_text(encoding="utf-8")
    for key in described_keys((ROOT / "config" / "README.md").read_text(encoding="utf-8")):
        assert re.search(rf"^\s*{re.escape(key.rsplit('.', 1)[-1])}:", schema, re.M) or "<" in key, key
