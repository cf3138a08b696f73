"""Functions that the Snakemake rule scripts call: one call per rule, logic in the library."""
from __future__ import annotations

import logging
import traceback
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from stat3qsp.catalog import read_catalog
from stat3qsp.comparison import compare_settings, comparison_doses
from stat3qsp.compose import equations_listing, sbml_warnings, validate_sbml
from stat3qsp.concentrations import to_nanomolar
from stat3qsp.dose_response import concentration_grid, fit_curves, sweep
from stat3qsp.errors import InputError
from stat3qsp.clinical_region import clinical_ranges
from stat3qsp.figures import comparison_figure, dose_response_figure, synergy_figure
from stat3qsp.model import load_model
from stat3qsp.output import write_table_atomic, write_text_atomic
from stat3qsp.readouts import ASSAY_READOUTS
from stat3qsp.shards import EMPTY_SHARD, gather_tables, shard_items
from stat3qsp.synergy_sweep import score_sweep, simulate_matrix

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


def write_validated_sbml(models_dir: str, context: str, sbml_path: str, checks_path: str, equations_path: str) -> None:
    """Write the SBML of a context after libsbml's checks (units on), and its equations listing.

    Fails on any libsbml error; warnings are listed in the checks file.
    """
    model = load_model(models_dir)
    sbml = model.sbml_for_context(context)
    errors = validate_sbml(sbml)
    warnings = sbml_warnings(sbml)
    report = [f"libsbml consistency checks (units on): {len(errors)} errors, {len(warnings)} warnings", *errors, *warnings]
    if errors:
        raise RuntimeError("\n".join(report))
    write_text_atomic(checks_path, "\n".join(report) + "\n")
    write_text_atomic(equations_path, equations_listing(sbml))
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


def _synergy_doses(model, drug: str, synergy: dict[str, Any]):
    grid = synergy["grids"][drug]
    low, high = (to_nanomolar(grid[k], drug, model.catalog) for k in ("low", "high"))
    return concentration_grid(low, high, int(synergy["points"]) - 1)


def run_synergy_matrix_shard(models_dir: str, context: str, drug_r: str, drug_c: str, synergy: dict[str, Any],
                             hours: float, scatteritem: str, matrix_path: str) -> None:
    """Simulate one shard (``i-of-n``: a block of rows, :mod:`stat3qsp.shards`) of the dose matrix of one
    pair in one context."""
    model = load_model(models_dir)
    header = [f"{k}: {v}" for k, v in model.provenance.items()] + [f"assay_hours: {hours}", f"shard: {scatteritem}"]
    rows = shard_items(_synergy_doses(model, drug_r, synergy), scatteritem)
    if not len(rows):
        write_table_atomic(matrix_path, pd.DataFrame(), [*header, EMPTY_SHARD])
        return
    matrix = simulate_matrix(model, context, drug_r, drug_c, rows, _synergy_doses(model, drug_c, synergy), hours)
    write_table_atomic(matrix_path, matrix, header)


def gather_synergy_matrix(models_dir: str, hours: float, shard_paths: list[str], matrix_path: str) -> None:
    """The dose matrix of one pair in one context from its shards (rows in order)."""
    model = load_model(models_dir)
    write_table_atomic(matrix_path, gather_tables(shard_paths),
                       [f"{k}: {v}" for k, v in model.provenance.items()] + [f"assay_hours: {hours}"])


def run_synergy_scores(models_dir: str, matrix_path: str, synergy: dict[str, Any], hours: float, wells_path: str,
                       summary_path: str, exposure_path: str | None = None) -> None:
    """Score a simulated matrix: all methods, both reference modes, MuSyC and CI; with an exposure
    table (``results/pk/exposure.tsv``), also over the clinically reachable wells."""
    model = load_model(models_dir)
    matrix = pd.read_csv(matrix_path, sep="\t", comment="#")
    clinical = clinical_ranges(pd.read_csv(exposure_path, sep="\t", comment="#")) if exposure_path else None
    wells, summary = score_sweep(model, matrix, hours, tuple(synergy["methods"]), int(synergy["seed"]), clinical)
    header = [f"{k}: {v}" for k, v in model.provenance.items()] + [f"assay_hours: {hours}", f"seed: {synergy['seed']}"]
    write_table_atomic(wells_path, wells, header)
    write_table_atomic(summary_path, summary, header)


def plot_synergy(matrix_path: str, wells_path: str, summary_path: str, figure_path: str,
                 exposure_path: str | None = None) -> None:
    """Draw the combined synergy figure of one pair in one context (with the clinically reachable
    region when an exposure table is given)."""
    frames = [pd.read_csv(p, sep="\t", comment="#") for p in (matrix_path, wells_path, summary_path)]
    clinical = clinical_ranges(pd.read_csv(exposure_path, sep="\t", comment="#")) if exposure_path else None
    synergy_figure(*frames, figure_path, clinical=clinical)


def concatenate_tables(paths: list[str], out_path: str) -> None:
    """Concatenate TSV tables with the same columns into one."""
    write_table_atomic(out_path, pd.concat([pd.read_csv(p, sep="\t", comment="#") for p in paths], ignore_index=True))


def plot_dose_response(table_paths: list[str], fit_paths: list[str], readout: str, figure_path: str) -> None:
    """Draw the dose-response figure of one readout from all sweep tables."""
    tables = pd.concat([pd.read_csv(p, sep="\t", comment="#") for p in table_paths], ignore_index=True)
    fits = pd.concat([pd.read_csv(p, sep="\t", comment="#") for p in fit_paths], ignore_index=True)
    dose_response_figure(tables, fits, readout, figure_path)


def run_comparison(models_dir: str, spec: dict[str, Any], hours: float, settings_path: str, range_path: str) -> None:
    """Cross-setting comparison (:mod:`stat3qsp.comparison`): one row per setting, and the add-on range."""
    model = load_model(models_dir)
    backbones, clinical, concentrations = comparison_doses(spec, model.catalog)
    settings, add_on_range = compare_settings(model, backbones, spec["add_on"], clinical, concentrations, hours)
    header = [f"{k}: {v}" for k, v in model.provenance.items()] + [f"assay_hours: {hours}"]
    write_table_atomic(settings_path, settings, header)
    write_table_atomic(range_path, add_on_range, header)


def plot_comparison(settings_path: str, range_path: str, figure_path: str) -> None:
    """Draw the cross-setting comparison figure."""
    settings, add_on_range = (pd.read_csv(p, sep="\t", comment="#") for p in (settings_path, range_path))
    comparison_figure(settings, add_on_range, figure_path)
