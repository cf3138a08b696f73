"""Which trial specs the tumour-calibration targets file names, read without the calibration itself.

The workflow needs this list when it builds its DAG (the calibration and hypothesis rules' inputs,
``workflows/calibration.smk``); importing :mod:`stat3qsp.calibration.targets` for it would load the
trial simulator, scipy and lifelines into every ``snakemake`` invocation (0.9 s of a 3 s ``snakemake
-n``). Here only the YAML is read: its top-level keys are checked as
:func:`stat3qsp.calibration.targets.read_targets` checks them, and every target's ``spec`` is
collected; the specs, arms and endpoints themselves are checked when the calibration runs.
"""
from __future__ import annotations

from pathlib import Path

from stat3qsp.errors import InputError
from stat3qsp.io.yamlfiles import read_yaml

DEFAULT_TARGETS = Path("calibration/tumour/targets.yaml")
"""The targets file of the project (paths in it are relative to the working directory)."""
KINDS = ("growth", "kill", "subgroup", "checks", "plausibility")
"""Top-level keys of a targets file: one growth and one kill target, lists of the sensitive subgroup's targets
(fitted, on the growth arm), of checks and of plausibility bounds."""


def target_entries(path: Path | str = DEFAULT_TARGETS) -> list[tuple[str, object]]:
    """``(kind, entry)`` of every target of *path*, growth first, then kill, subgroup, checks and plausibility.

    Raises
    ------
    InputError
        If the top-level keys are not growth, kill and optionally subgroup, checks, plausibility.
    """
    path = Path(path)
    raw = read_yaml(path, "calibration targets") or {}
    if not isinstance(raw, dict) or not {"growth", "kill"} <= set(raw) <= set(KINDS):
        raise InputError(f"{path}: keys {sorted(raw) if isinstance(raw, dict) else raw!r}; accepted: growth, kill "
                         "and optionally subgroup, checks, plausibility")
    entries = [("growth", raw["growth"]), ("kill", raw["kill"])]
    return entries + [(kind, e) for kind in KINDS[2:] for e in raw.get(kind) or []]


def target_spec_paths(path: Path | str = DEFAULT_TARGETS) -> list[str]:
    """The trial specs that the targets of *path* read, as written there (the calibration rules' inputs),
    sorted, each once. InputError naming the entry for a target without ``spec``."""
    paths = []
    for kind, entry in target_entries(path):
        if not isinstance(entry, dict) or "spec" not in entry:
            raise InputError(f"{path}: {kind} = {entry!r}; accepted: a mapping with spec, arm and endpoint")
        paths.append(str(Path(entry["spec"])))
    return sorted(dict.fromkeys(paths))
