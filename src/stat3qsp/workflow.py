"""Functions that the Snakemake rule scripts call: one call per rule, logic in the library."""
from __future__ import annotations

import logging
import traceback
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from stat3qsp.catalog import read_catalog
from stat3qsp.compose import sbml_warnings, validate_sbml
from stat3qsp.concentrations import to_nanomolar
from stat3qsp.dose_response import concentration_grid, fit_curves, sweep
from stat3qsp.errors import InputError
from stat3qsp.figures import dose_response_figure
from stat3qsp.model import load_model
from stat3qsp.output import write_table_atomic, write_text_atomic
from stat3qsp.readouts import ASSAY_READOUTS

#: Readouts with a dose-response figure.
READOUT_NAMES = list(ASSAY_READOUTS)


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


def run_logged(log_path: str, function: Callable[..., None], *args: Any) -> None:
    """Run *function* with logging to *log_path*; the traceback goes to the log on failure."""
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(filename=log_path, level=logging.INFO, format="%(asctime)s %(message)s", force=True)
    try:
        function(*args)
    except Exception:
        logging.error(traceback.format_exc())
        raise


def write_validated_sbml(models_dir: str, context: str, sbml_path: str, checks_path: str) -> None:
    """Write the SBML of a context after libsbml's checks (units on); fail on any error."""
    model = load_model(models_dir)
    sbml = model.sbml_for_context(context)
    errors = validate_sbml(sbml)
    warnings = sbml_warnings(sbml)
    report = [f"libsbml consistency checks (units on): {len(errors)} errors, {len(warnings)} warnings", *errors, *warnings]
    if errors:
        raise RuntimeError("\n".join(report))
    write_text_atomic(checks_path, "\n".join(report) + "\n")
    write_text_atomic(sbml_path, sbml)
    logging.info(report[0])


def run_dose_response(models_dir: str, context: str, drug: str, grid: dict[str, Any], hours: float,
                      table_path: str, fits_path: str) -> None:
    """Sweep one drug in one context over the configured grid and fit LL.4 curves."""
    model = load_model(models_dir)
    low, high = (to_nanomolar(grid[k], drug, model.catalog) for k in ("low", "high"))
    table = sweep(model, context, drug, concentration_grid(low, high, int(grid["points"])), hours)
    fits = fit_curves(table)
    header = [f"{k}: {v}" for k, v in model.provenance.items()] + [f"assay_hours: {hours}"]
    write_table_atomic(fits_path, fits, header)
    write_table_atomic(table_path, table, header)


def plot_dose_response(table_paths: list[str], fit_paths: list[str], readout: str, figure_path: str) -> None:
    """Draw the dose-response figure of one readout from all sweep tables."""
    tables = pd.concat([pd.read_csv(p, sep="\t", comment="#") for p in table_paths], ignore_index=True)
    fits = pd.concat([pd.read_csv(p, sep="\t", comment="#") for p in fit_paths], ignore_index=True)
    dose_response_figure(tables, fits, readout, figure_path)
