"""The workflow's configuration and its guard rails: the schema check as one line (:func:`validate_config`),
checks beyond the schema (:func:`check_config`), a stale Snakemake lock cleared before `make run`
(:func:`clear_stale_lock`), and the logging of rule scripts (:func:`run_logged`)."""
from __future__ import annotations

import logging
import os
import shutil
import traceback
from pathlib import Path
from typing import Any, Callable

import jsonschema
from jsonschema.exceptions import best_match

from stat3qsp.assay.comparison import comparison_doses
from stat3qsp.errors import InputError
from stat3qsp.io.yamlfiles import read_yaml
from stat3qsp.model.catalog import read_catalog
from stat3qsp.model.concentrations import to_nanomolar
from stat3qsp.model.hypotheses import parse_combination, read_hypothesis


def check_config(config: dict[str, Any]) -> None:
    """Check the names in a (schema-valid) config against the model catalog.

    Raises
    ------
    InputError
        Naming the config key and the unknown name, with the accepted names.
    """
    catalog = read_catalog(config["models_dir"])
    for context in config["contexts"]:
        if context not in catalog.contexts:
            raise InputError(f"config contexts: unknown context {context!r}; known: {', '.join(sorted(catalog.contexts))}")
    for drug, grid in config["dose_response"].items():
        if drug not in catalog.drugs:
            raise InputError(f"config dose_response: unknown drug {drug!r}; known: {', '.join(sorted(catalog.drugs))}")
        low, high = (to_nanomolar(grid[k], drug, catalog) for k in ("low", "high"))
        if not 0 < low < high:
            raise InputError(f"config dose_response.{drug}: need 0 < low < high, got {grid['low']!r} and {grid['high']!r}")
    synergy = config["synergy"]
    for index, pair in enumerate(synergy["pairs"]):
        for side in ("row", "col"):
            drug = pair[side]
            if drug not in catalog.drugs:
                raise InputError(f"config synergy.pairs[{index}].{side}: unknown drug {drug!r}; known: {', '.join(sorted(catalog.drugs))}")
            if drug not in synergy["grids"]:
                raise InputError(f"config synergy.pairs[{index}].{side}: drug {drug!r} has no entry in synergy.grids; grids: {', '.join(sorted(synergy['grids']))}")
        if pair["row"] == pair["col"]:
            raise InputError(f"config synergy.pairs[{index}]: row and col are the same drug {pair['row']!r}")
    for drug, grid in synergy["grids"].items():
        low, high = (to_nanomolar(grid[k], drug, catalog) for k in ("low", "high"))
        if not 0 < low < high:
            raise InputError(f"config synergy.grids.{drug}: need 0 < low < high, got {grid['low']!r} and {grid['high']!r}")
    if "comparison" in config:
        comparison_doses(config["comparison"], catalog)
    for index, combination in enumerate((config.get("hypotheses") or {}).get("combinations") or []):
        try:
            for name in parse_combination(combination):
                read_hypothesis(config["models_dir"], name)
        except InputError as error:
            raise InputError(f"config hypotheses.combinations[{index}]: {error}") from None


def run_logged(log_path: str, function: Callable[..., None], *args: Any) -> None:
    """Run *function* with logging to *log_path*; the traceback goes to the log on failure."""
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(filename=log_path, level=logging.INFO, format="%(asctime)s %(message)s", force=True)
    try:
        function(*args)
    except Exception:
        logging.error(traceback.format_exc())
        raise


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


if __name__ == "__main__":  # `python -m stat3qsp.config`: the Makefile's step before `snakemake`
    if clear_stale_lock():
        print("stat3qsp: removed a stale Snakemake lock (no Snakemake process works in this folder)")
