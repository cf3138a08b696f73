"""Checks of the workflow configuration beyond its JSON schema, and the logging of rule scripts."""
from __future__ import annotations

import logging
import traceback
from pathlib import Path
from typing import Any, Callable

from stat3qsp.assay.comparison import comparison_doses
from stat3qsp.errors import InputError
from stat3qsp.model.catalog import read_catalog
from stat3qsp.model.concentrations import to_nanomolar


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


def run_logged(log_path: str, function: Callable[..., None], *args: Any) -> None:
    """Run *function* with logging to *log_path*; the traceback goes to the log on failure."""
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(filename=log_path, level=logging.INFO, format="%(asctime)s %(message)s", force=True)
    try:
        function(*args)
    except Exception:
        logging.error(traceback.format_exc())
        raise
