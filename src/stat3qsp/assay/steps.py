"""Functions that the assay-stage rule scripts call (dose response, synergy sweeps, comparison): one call per rule."""
from __future__ import annotations

from typing import Any

import pandas as pd

from stat3qsp.assay.comparison import compare_settings, comparison_doses
from stat3qsp.model.concentrations import to_nanomolar
from stat3qsp.assay.dose_response import concentration_grid, fit_curves, sweep
from stat3qsp.assay.clinical_region import clinical_ranges
from stat3qsp.assay.figures import comparison_figure, dose_matrix_figure, dose_response_figure, synergy_figure
from stat3qsp.model.provenance import provenance_lines
from stat3qsp.model.simulator import load_model
from stat3qsp.errors import InputError
from stat3qsp.io.tables import atomic_folder, header_lines, read_table, write_table_atomic
from stat3qsp.model.readouts import ASSAY_READOUTS
from stat3qsp.io.shards import EMPTY_SHARD, gather_tables, shard_items
from stat3qsp.assay.synergy.sweep import score_sweep, simulate_matrix

#: Readouts with a dose-response figure.
READOUT_NAMES = list(ASSAY_READOUTS)


def run_dose_response(models_dir: str, context: str, drug: str, grid: dict[str, Any], hours: float,
                      table_path: str, fits_path: str) -> None:
    """Sweep one drug in one context over the configured grid and fit LL.4 curves."""
    model = load_model(models_dir)
    low, high = (to_nanomolar(grid[k], drug, model.catalog) for k in ("low", "high"))
    table = sweep(model, context, drug, concentration_grid(low, high, int(grid["points"])), hours)
    fits = fit_curves(table)
    header = [*provenance_lines(models_dir), f"assay_hours: {hours}"]
    write_table_atomic(fits_path, fits, header)
    write_table_atomic(table_path, table, header)


#: Figure formats that ``--format`` accepts (matplotlib writes each from the file suffix).
FIGURE_FORMATS = ("png", "svg", "pdf")


def parse_formats(text: str) -> tuple[str, ...]:
    """``png,svg,pdf`` -> ("png", "svg", "pdf"), refusing unknown formats."""
    formats = tuple(dict.fromkeys(f.strip().lower() for f in text.split(",") if f.strip()))
    unknown = [f for f in formats if f not in FIGURE_FORMATS]
    if unknown or not formats:
        raise InputError(f"--format {text!r}: unknown or no format {unknown}; accepted: {', '.join(FIGURE_FORMATS)}")
    return formats


def run_dose_response_folder(models_dir: str, context: str, grids: dict[str, dict[str, Any]], hours: float,
                             output: str, formats: tuple[str, ...] = ("png",), changes: list[str] | None = None) -> None:
    """Dose response of one drug, or the dose matrix of two, into the folder *output* (whole or not at all).

    One drug: ``dose_response.tsv`` (the table of the dose_response rules), ``fits.tsv`` (LL.4 fits)
    and ``figures/<readout>.<format>``. Two drugs (first = rows): ``matrix.tsv`` (the table of the
    synergy matrix rules) and a heat map per readout. *grids* maps each drug to ``low``, ``high``
    (concentrations with units) and ``points``; *changes* are ``--param`` options.
    """
    from stat3qsp.model.overrides import parse_param_options

    model = load_model(models_dir)
    values = parse_param_options(changes or [], model)
    if not 1 <= len(grids) <= 2:
        raise InputError(f"give one drug or a pair, got {len(grids)}: {', '.join(grids) or 'none'}")
    if not hours > 0:
        raise InputError(f"--hours must be > 0, got {hours}")
    doses = {}
    for drug, grid in grids.items():
        model.catalog.drug(drug)
        low, high = (to_nanomolar(grid[k], drug, model.catalog) for k in ("low", "high"))
        if not 0 < low < high or int(grid["points"]) < 2:
            raise InputError(f"--drug {drug}={grid['low']}..{grid['high']}: need 0 < low < high and --points >= 2")
        doses[drug] = concentration_grid(low, high, int(grid["points"]))
    header = [*provenance_lines(models_dir), f"assay_hours: {hours}"]
    header += [f"param {pid}: {value!r}" for pid, value in values.items()]
    model.context(context)
    with atomic_folder(output) as folder:
        (folder / "figures").mkdir()
        if len(doses) == 1:
            (drug, concentrations), = doses.items()
            table = sweep(model, context, drug, concentrations, hours, values)
            fits = fit_curves(table)
            write_table_atomic(folder / "dose_response.tsv", table, header)
            write_table_atomic(folder / "fits.tsv", fits, header)
            for readout, fmt in ((r, f) for r in READOUT_NAMES for f in formats):
                dose_response_figure(table, fits, readout, folder / "figures" / f"{readout}.{fmt}")
        else:
            (drug_r, conc_r), (drug_c, conc_c) = doses.items()
            matrix = simulate_matrix(model, context, drug_r, drug_c, conc_r, conc_c, hours, values)
            write_table_atomic(folder / "matrix.tsv", matrix, header)
            for readout, fmt in ((r, f) for r in READOUT_NAMES for f in formats):
                dose_matrix_figure(matrix, readout, folder / "figures" / f"{readout}.{fmt}")


def _synergy_doses(model, drug: str, synergy: dict[str, Any]):
    grid = synergy["grids"][drug]
    low, high = (to_nanomolar(grid[k], drug, model.catalog) for k in ("low", "high"))
    return concentration_grid(low, high, int(synergy["points"]) - 1)


def run_synergy_matrix_shard(models_dir: str, context: str, drug_r: str, drug_c: str, synergy: dict[str, Any],
                             hours: float, scatteritem: str, matrix_path: str) -> None:
    """Simulate one shard (``i-of-n``: a block of rows, :mod:`stat3qsp.io.shards`) of the dose matrix of one
    pair in one context."""
    model = load_model(models_dir)
    header = [*provenance_lines(models_dir), f"assay_hours: {hours}", f"shard: {scatteritem}"]
    rows = shard_items(_synergy_doses(model, drug_r, synergy), scatteritem)
    if not len(rows):
        write_table_atomic(matrix_path, pd.DataFrame(), [*header, EMPTY_SHARD])
        return
    matrix = simulate_matrix(model, context, drug_r, drug_c, rows, _synergy_doses(model, drug_c, synergy), hours)
    write_table_atomic(matrix_path, matrix, header)


def gather_synergy_matrix(models_dir: str, hours: float, shard_paths: list[str], matrix_path: str) -> None:
    """The dose matrix of one pair in one context from its shards (rows in order)."""
    write_table_atomic(matrix_path, gather_tables(shard_paths), [*provenance_lines(models_dir), f"assay_hours: {hours}"])


def run_synergy_scores(models_dir: str, matrix_path: str, synergy: dict[str, Any], hours: float, wells_path: str,
                       summary_path: str, exposure_path: str | None = None) -> None:
    """Score a simulated matrix: all methods, both reference modes, MuSyC and CI; with an exposure
    table (``results/pk/exposure.tsv``), also over the clinically reachable wells."""
    model = load_model(models_dir)
    matrix = read_table(matrix_path)
    clinical = clinical_ranges(read_table(exposure_path)) if exposure_path else None
    wells, summary = score_sweep(model, matrix, hours, tuple(synergy["methods"]), int(synergy["seed"]), clinical)
    header = [*provenance_lines(models_dir), f"assay_hours: {hours}", f"seed: {synergy['seed']}"]
    write_table_atomic(wells_path, wells, header)
    write_table_atomic(summary_path, summary, header)


def plot_synergy(matrix_path: str, wells_path: str, summary_path: str, figure_path: str,
                 exposure_path: str | None = None) -> None:
    """Draw the combined synergy figure of one pair in one context (with the clinically reachable
    region when an exposure table is given)."""
    frames = [read_table(p) for p in (matrix_path, wells_path, summary_path)]
    clinical = clinical_ranges(read_table(exposure_path)) if exposure_path else None
    synergy_figure(*frames, figure_path, clinical=clinical)


def concatenate_tables(paths: list[str], out_path: str) -> None:
    """Concatenate TSV tables with the same columns into one (provenance: the first table's, and the count)."""
    header = [*header_lines(paths[0]), f"concatenated_tables: {len(paths)}"] if paths else []
    write_table_atomic(out_path, pd.concat([read_table(p) for p in paths], ignore_index=True), header)


def plot_dose_response(table_paths: list[str], fit_paths: list[str], readout: str, figure_path: str) -> None:
    """Draw the dose-response figure of one readout from all sweep tables."""
    plot_dose_responses(table_paths, fit_paths, [readout], [figure_path])


def plot_dose_responses(table_paths: list[str], fit_paths: list[str], readouts: list[str],
                        figure_paths: list[str]) -> None:
    """Draw the dose-response figure of each readout (to *figure_paths*, in order) from all sweep tables."""
    tables = pd.concat([read_table(p) for p in table_paths], ignore_index=True)
    fits = pd.concat([read_table(p) for p in fit_paths], ignore_index=True)
    for readout, figure_path in zip(readouts, figure_paths, strict=True):
        dose_response_figure(tables, fits, readout, figure_path)


def run_comparison(models_dir: str, spec: dict[str, Any], hours: float, settings_path: str, range_path: str) -> None:
    """Cross-setting comparison (:mod:`stat3qsp.assay.comparison`): one row per setting, and the add-on range."""
    model = load_model(models_dir)
    backbones, clinical, concentrations = comparison_doses(spec, model.catalog)
    settings, add_on_range = compare_settings(model, backbones, spec["add_on"], clinical, concentrations, hours)
    header = [*provenance_lines(models_dir), f"assay_hours: {hours}"]
    write_table_atomic(settings_path, settings, header)
    write_table_atomic(range_path, add_on_range, header)


def plot_comparison(settings_path: str, range_path: str, figure_path: str) -> None:
    """Draw the cross-setting comparison figure."""
    settings, add_on_range = (read_table(p) for p in (settings_path, range_path))
    comparison_figure(settings, add_on_range, figure_path)
