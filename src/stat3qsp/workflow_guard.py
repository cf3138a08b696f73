"""What the Snakefile and the Makefile do before any job: a schema error of the config in one line, and
a stale Snakemake lock (left by a killed run) cleared when no Snakemake process works in the folder."""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.exceptions import best_match

from stat3qsp.errors import InputError
from stat3qsp.io.yamlfiles import read_yaml


def config_error(config: dict[str, Any], schema_path: Path | str) -> str | None:
    """One line for the first schema violation of *config*: key path, value and what is accepted (None if valid)."""
    schema = read_yaml(schema_path, "config schema")
    error = best_match(jsonschema.Draft202012Validator(schema).iter_errors(config))
    if error is None:
        return None
    where = ".".join(str(p) for p in error.absolute_path) or "(top level)"
    accepted = ""
    if error.validator == "enum":
        accepted = f"; accepted: {', '.join(map(str, error.validator_value))}"
    elif error.validator == "additionalProperties":
        allowed = sorted((error.schema.get("properties") or {}))
        accepted = f"; accepted keys: {', '.join(allowed)}"
    message = error.message.splitlines()[0][:300]
    if error.validator == "additionalProperties":
        return f"config {where}: {message}{accepted}"
    value = repr(error.instance)
    value = value if len(value) <= 80 else value[:77] + "..."
    return f"config key {where} = {value}: {message}{accepted}"


def check_config_files(paths: list[str]) -> None:
    """Read every config file with the strict loader (duplicate keys, non-YAML: file and line)."""
    for path in paths:
        if Path(path).is_file():  # Snakemake has read it already; a path it resolved elsewhere is skipped
            read_yaml(path, "workflow config")


def validate_config(config: dict[str, Any], schema_path: str, configfiles: list[str], validate) -> None:
    """The Snakefile's check: strict reading of *configfiles*, then Snakemake's *validate* (which fills
    schema defaults); a violation is raised as one line (:func:`config_error`), not the whole schema."""
    check_config_files(configfiles)
    try:
        validate(config, schema_path)
    except Exception:
        message = config_error(config, schema_path) or "config does not follow config/schema.yaml"
        raise InputError(message) from None


def _snakemake_running_in(folder: Path) -> bool:
    """Whether a process other than this one runs Snakemake with *folder* as working directory."""
    for proc in Path("/proc").glob("[0-9]*"):
        if int(proc.name) == os.getpid():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            cwd = Path(os.readlink(proc / "cwd"))
        except OSError:
            continue
        if any(b"snakemake" in arg for arg in argv) and b"--unlock" not in argv and cwd == folder:
            return True
    return False


def clear_stale_lock(folder: Path | str = ".") -> bool:
    """Remove ``.snakemake/locks`` of *folder* if it exists and no Snakemake process works there.

    A run killed with SIGKILL leaves its lock; the next ``make run`` would stop on a LockException.
    Returns whether a stale lock was removed.
    """
    folder = Path(folder).resolve()
    locks = folder / ".snakemake" / "locks"
    if not locks.is_dir() or not any(locks.iterdir()) or _snakemake_running_in(folder):
        return False
    shutil.rmtree(locks)
    return True


if __name__ == "__main__":  # `python -m stat3qsp.workflow_guard`: the Makefile's step before `snakemake`
    if clear_stale_lock():
        print("stat3qsp: removed a stale Snakemake lock (no Snakemake process works in this folder)")
