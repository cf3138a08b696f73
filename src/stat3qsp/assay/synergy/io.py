"""Reading SynergyFinder's long input format and writing synergy score tables.

Input (CSV, one row per well or replicate; SynergyFinder's "long"/table format)::

    block_id, drug_row, drug_col, conc_r, conc_c, response, conc_r_unit, conc_c_unit

``response`` is % inhibition or % viability (``inhibition = 100 - viability``); replicates of a well
(same block, ``conc_r``, ``conc_c``) are averaged by their mean. Each block must be a full dose
matrix: every ``conc_r`` level with every ``conc_c`` level, including the single-agent wells at
0 of the other drug. A missing ``conc_r = conc_c = 0`` well is set to 0 % inhibition, the
normalisation reference of % inhibition.

Every check runs before anything is written; a failure raises
:class:`stat3qsp.errors.InputError` naming the block and the data row (1-based, counting the
rows after the header line, so data row ``k`` is file line ``k + 1``).
"""
from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from stat3qsp.assay import columns as col
from stat3qsp.assay.synergy import combination_index, musyc
from stat3qsp.assay.synergy import scores as synergy
from stat3qsp.assay.synergy.matrix import check_methods
from stat3qsp.errors import InputError
from stat3qsp.assay.synergy.names import FILE_METHODS, INHIBITION, MUSYC, RESPONSE_KINDS, SCORE_METHODS, VIABILITY
from stat3qsp.io.tables import table_texts_with_sidecars, write_texts_atomic


_NUMERIC = (col.CONC_R, col.CONC_C, col.RESPONSE)
RESPONSE_SCALE = (0.0, 100.0)
"""The natural scale of % viability and % inhibition; ``clip`` clips every response to it."""
RESPONSE_MARGIN = 20.0
"""Plate noise accepted beyond :data:`RESPONSE_SCALE` (percentage points), in either kind: responses in
[-20, 120] are scored as they are (e.g. 100.5 % inhibition from replicate noise), responses beyond are
refused (a viability of 150 % or -40 %, an inhibition of 1e6 % is a unit or column mistake), unless
``clip``."""


@dataclass(frozen=True)
class Block:
    """One dose matrix of the input file, replicates averaged.

    ``inhibition[i, j]`` is the mean % inhibition at ``(conc_r[i], conc_c[j])``; ``n_replicates``
    has the same shape (0 for a filled-in zero-dose well). ``first_row`` is the block's first data
    row in the file.
    """

    block_id: str
    drug_row: str
    drug_col: str
    conc_r_unit: str
    conc_c_unit: str
    conc_r: np.ndarray
    conc_c: np.ndarray
    inhibition: np.ndarray
    n_replicates: np.ndarray
    first_row: int
    inhibition_sd: np.ndarray | None = None
    replicates: tuple[np.ndarray, ...] = ()

    def well_replicates(self, i: int, j: int) -> np.ndarray:
        """% inhibition of every replicate of well ``(i, j)`` (empty for a filled-in zero-dose well)."""
        return self.replicates[i * self.conc_c.size + j] if self.replicates else np.array([self.inhibition[i, j]])


def read_matrix_csv(path: Path | str, *, response: str = INHIBITION, clip: bool = False,
                    clipped: list[tuple[int, float]] | None = None) -> list[Block]:
    """Read and validate a SynergyFinder long-format CSV.

    Parameters
    ----------
    path : path-like
        The CSV file.
    response : {"inhibition", "viability"}
        What the ``response`` column holds.
    clip : bool
        Clip every response to :data:`RESPONSE_SCALE` instead of refusing those beyond its margin
        (:data:`RESPONSE_MARGIN`); each clipped
        (data row, value) is appended to *clipped*.

    Returns
    -------
    list of Block
        In order of first appearance in the file.

    Raises
    ------
    InputError
        Unreadable or non-UTF-8 file, missing column, non-numeric or negative value, a response
        outside :data:`RESPONSE_SCALE` by more than :data:`RESPONSE_MARGIN` (unless *clip*), inconsistent drug name,
        mixed units of a drug within a block, fewer than 2 nonzero doses of a drug, no zero-dose
        control, or an incomplete dose matrix.
    """
    _check_choice("response", response, RESPONSE_KINDS)
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8") as stream:
            records = list(_records(stream))
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start}); accepted: a UTF-8 CSV file") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from exc
    if not records:
        raise InputError(f"{path}: no data rows after the header")
    by_block: dict[str, list[tuple[int, dict[str, str], dict[str, float]]]] = {}
    try:
        for row_no, fields in records:
            block_id = fields[col.BLOCK_ID]
            if not block_id:
                raise InputError(f"data row {row_no}: empty {col.BLOCK_ID!r}; every row needs a block id")
            values = {name: _number(fields[name], name, block_id, row_no) for name in _NUMERIC}
            values[col.RESPONSE] = _in_range(values[col.RESPONSE], response, block_id, row_no, clip, clipped)
            by_block.setdefault(block_id, []).append((row_no, fields, values))
        return [_block(block_id, rows, response) for block_id, rows in by_block.items()]
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from exc


def summary_path(out_tsv: Path | str) -> Path:
    """``OUT.tsv`` -> ``OUT.summary.tsv`` (the ``.tsv`` suffix replaced; appended if absent)."""
    out_tsv = Path(out_tsv)
    stem = out_tsv.name[:-4] if out_tsv.name.endswith(".tsv") else out_tsv.name
    return out_tsv.with_name(stem + ".summary.tsv")


def score_file(matrix_csv: Path | str, out_tsv: Path | str, *, methods: Sequence[str], response: str,
               reference: str = synergy.FITTED, seed: int = 0, clip: bool = False,
               clipped: list[tuple[int, float]] | None = None) -> tuple[Path, Path]:
    """Score every block of a SynergyFinder CSV and write the per-well and per-block tables.

    Writes ``out_tsv`` (one row per well: ``block_id, conc_r, conc_c, inhibition``, then
    ``<method>_reference, <method>_score`` per score method, ``loewe_undefined``, ``zip_fit``,
    ``ci`` where requested, and ``reference_mode``) and :func:`summary_path` ``(out_tsv)`` (one row
    per block: ``block_id``, one column per method (``hsa, bliss, loewe, zip`` as mean scores over
    wells with both drugs; ``musyc_alpha12, musyc_alpha21, musyc_beta, musyc_gamma12,
    musyc_gamma21``; ``ci_mean``), then ``drug_row, drug_col, reference_mode``). Both files are
    written to temporary files and renamed into place only after every block is scored, so a
    failure leaves neither.

    Parameters
    ----------
    matrix_csv : path-like
        SynergyFinder long-format CSV (:func:`read_matrix_csv`).
    out_tsv : path-like
        Per-well output table.
    methods : sequence of str
        Any of :data:`FILE_METHODS`.
    response : {"inhibition", "viability"}
        What the input ``response`` column holds.
    reference : {"fitted"}
        Single-agent reference mode; a file has no exact curves, so only ``"fitted"``.
    seed : int
        Seed of the :class:`numpy.random.Generator` for MuSyC's random starts (one generator per
        block made from this seed, so a block's result does not depend on the others).
    clip, clipped : bool, list
        As in :func:`read_matrix_csv`.

    Returns
    -------
    (pathlib.Path, pathlib.Path)
        The per-well and summary paths written.
    """
    methods = check_methods(methods, FILE_METHODS)
    _check_choice("response", response, RESPONSE_KINDS)
    if reference != synergy.FITTED:
        raise InputError(f"reference {reference!r} cannot be used on a file: 'exact' needs single-agent curves "
                         "given as Python callables to stat3qsp.synergy.score_matrix; accepted here: 'fitted'")
    blocks = read_matrix_csv(matrix_csv, response=response, clip=clip, clipped=clipped)
    wells, summaries = [], []
    for block in blocks:
        try:
            block_wells, block_summary = _score_block(block, methods, seed)
        except InputError as exc:
            where = f"block {block.block_id!r} (from data row {block.first_row})"
            raise InputError(f"{matrix_csv}: {where}: {exc}") from exc
        wells.append(block_wells)
        summaries.append(block_summary)
    out_tsv = Path(out_tsv)
    out_summary = summary_path(out_tsv)
    header = data_provenance(matrix_csv, methods, seed, response)
    _write_tables({out_tsv: (pd.concat(wells, ignore_index=True), header), out_summary: (pd.DataFrame(summaries), header)})
    return out_tsv, out_summary


def data_provenance(matrix_csv: Path | str, methods: Sequence[str], seed: int, response: str) -> list[str]:
    """Provenance lines of tables scored from a data file: its hash, the methods, seed and package version."""
    from stat3qsp import __version__
    from stat3qsp.model.provenance import text_hash

    data = Path(matrix_csv).read_text(encoding="utf-8")
    return [f"input: {matrix_csv}", f"input_sha256: {text_hash(data)}", f"response: {response}",
            f"methods: {', '.join(methods)}", f"seed: {seed}", f"stat3qsp_version: {__version__}"]


# --- reading -------------------------------------------------------------------------------------
def _records(stream):
    """Yield (data row number, {column: stripped text}); checks the header and field counts."""
    reader = csv.reader(stream)
    header = None
    for fields in reader:
        if fields and any(f.strip() for f in fields):
            header = [f.strip() for f in fields]
            break
    if header is None:
        raise InputError(f"empty file; expected a header with {', '.join(col.SYNERGY_INPUT_COLUMNS)}")
    header_line = reader.line_num
    missing = [name for name in col.SYNERGY_INPUT_COLUMNS if name not in header]
    if missing:
        raise InputError(f"missing column(s) {', '.join(repr(m) for m in missing)}; the SynergyFinder "
                         f"long format needs {', '.join(col.SYNERGY_INPUT_COLUMNS)}")
    for fields in reader:
        if not fields or not any(f.strip() for f in fields):
            continue
        row_no = reader.line_num - header_line
        if len(fields) != len(header):
            raise InputError(f"data row {row_no} (line {reader.line_num}) has {len(fields)} fields; "
                             f"the header has {len(header)}")
        yield row_no, {name: value.strip() for name, value in zip(header, fields)}


def _number(text: str, name: str, block_id: str, row_no: int) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InputError(f"block {block_id!r}, data row {row_no}: column {name!r} has {text!r}, "
                         "which is not a finite number; accepted: finite numbers")
    if name != col.RESPONSE and value < 0:
        raise InputError(f"block {block_id!r}, data row {row_no}: column {name!r} has {text!r}; "
                         "concentrations must be >= 0")
    return value


def _in_range(value: float, response: str, block_id: str, row_no: int, clip: bool,
              clipped: list[tuple[int, float]] | None) -> float:
    low, high = RESPONSE_SCALE
    if clip:
        if not low <= value <= high and clipped is not None:
            clipped.append((row_no, value))
        return min(max(value, low), high)
    if not low - RESPONSE_MARGIN <= value <= high + RESPONSE_MARGIN:
        raise InputError(f"block {block_id!r}, data row {row_no}: {col.RESPONSE} {value:g} % {response} is outside "
                         f"[{low - RESPONSE_MARGIN:g}, {high + RESPONSE_MARGIN:g}]; accepted: {low:g} to {high:g} "
                         f"with {RESPONSE_MARGIN:g} points of noise either side (or --clip-response to clip to "
                         f"[{low:g}, {high:g}])")
    return value


def _block(block_id: str, rows: list, response: str) -> Block:
    first_row = rows[0][0]
    where = f"block {block_id!r}"
    reference = rows[0][1]
    for name in (col.DRUG_ROW, col.DRUG_COL):
        for row_no, fields, _ in rows:
            if fields[name] != reference[name]:
                raise InputError(f"{where}, data row {row_no}: {name} is {fields[name]!r} but data row {first_row} "
                                 f"has {reference[name]!r}; a block holds one drug pair")
    for name, conc in ((col.CONC_R_UNIT, col.CONC_R), (col.CONC_C_UNIT, col.CONC_C)):
        drug = reference[col.DRUG_ROW if conc == col.CONC_R else col.DRUG_COL]
        for row_no, fields, _ in rows:
            if fields[name] != reference[name]:
                raise InputError(f"{where}, data row {row_no}: mixed units for {drug!r}: {name} is {fields[name]!r} "
                                 f"but data row {first_row} has {reference[name]!r}; use one unit per drug and block")
    frame = pd.DataFrame([values for _, _, values in rows])
    frame["row_no"] = [row_no for row_no, _, _ in rows]
    if response == VIABILITY:
        frame[col.RESPONSE] = 100.0 - frame[col.RESPONSE]
    levels = {}
    for conc, drug_key in ((col.CONC_R, col.DRUG_ROW), (col.CONC_C, col.DRUG_COL)):
        level = np.unique(frame[conc].to_numpy())
        nonzero = level[level > 0]
        if nonzero.size < 2:
            raise InputError(f"{where} (data rows {first_row}-{rows[-1][0]}): {drug_key} {reference[drug_key]!r} has "
                             f"{nonzero.size} nonzero dose(s) in {conc}; at least 2 are needed")
        levels[conc] = level
    for conc, other, drug_key in ((col.CONC_R, col.CONC_C, col.DRUG_COL), (col.CONC_C, col.CONC_R, col.DRUG_ROW)):
        if levels[conc][0] != 0:
            raise InputError(f"{where} (data rows {first_row}-{rows[-1][0]}): no zero-dose control: no well has "
                             f"{conc} = 0, so {reference[drug_key]!r} ({other}) is never tested alone; SynergyFinder "
                             "blocks need the single-agent wells at 0 of the other drug")
    means = frame.groupby([col.CONC_R, col.CONC_C])[col.RESPONSE].agg(["mean", "std", "size", list])
    cr, cc = levels[col.CONC_R], levels[col.CONC_C]
    inhibition = np.full((cr.size, cc.size), np.nan)
    sd = np.full((cr.size, cc.size), np.nan)
    counts = np.zeros((cr.size, cc.size), dtype=int)
    replicates = [np.array([])] * (cr.size * cc.size)
    for (r, c), agg in means.iterrows():
        i, j = int(np.searchsorted(cr, r)), int(np.searchsorted(cc, c))
        inhibition[i, j], sd[i, j], counts[i, j] = agg["mean"], agg["std"], int(agg["size"])
        replicates[i * cc.size + j] = np.asarray(agg["list"], dtype=float)
    if counts[0, 0] == 0:
        inhibition[0, 0] = 0.0
    missing = np.argwhere(counts == 0)
    missing = [(i, j) for i, j in missing if (i, j) != (0, 0)]
    if missing:
        i, j = missing[0]
        raise InputError(f"{where} (data rows {first_row}-{rows[-1][0]}): the well conc_r={cr[i]:g}, conc_c={cc[j]:g} "
                         f"is missing ({len(missing)} well(s) missing); a block must be a full dose matrix")
    return Block(block_id=block_id, drug_row=reference[col.DRUG_ROW], drug_col=reference[col.DRUG_COL],
                 conc_r_unit=reference[col.CONC_R_UNIT], conc_c_unit=reference[col.CONC_C_UNIT], conc_r=cr,
                 conc_c=cc, inhibition=inhibition, n_replicates=counts, first_row=first_row,
                 inhibition_sd=sd, replicates=tuple(replicates))


# --- scoring and writing -----------------------------------------------------------------------
def score_block(block: Block, methods: Sequence[str], seed: int = 0) -> tuple[pd.DataFrame, dict]:
    """Per-well table and summary of one block, as :func:`score_file` writes them (methods checked)."""
    return _score_block(block, check_methods(methods, FILE_METHODS), seed)


def _score_block(block: Block, methods: tuple[str, ...], seed: int) -> tuple[pd.DataFrame, dict]:
    score_methods = [m for m in methods if m in SCORE_METHODS]
    summary: dict[str, object] = {col.BLOCK_ID: block.block_id}
    if score_methods:
        scores = synergy.score_matrix(block.conc_r, block.conc_c, block.inhibition, methods=score_methods)
        wells = scores.wells.drop(columns=[col.REFERENCE_MODE])
    else:
        r_grid, c_grid = np.meshgrid(block.conc_r, block.conc_c, indexing="ij")
        wells = pd.DataFrame({col.CONC_R: r_grid.ravel(), col.CONC_C: c_grid.ravel(),
                              col.INHIBITION: block.inhibition.ravel()})
    for method in methods:
        if method in SCORE_METHODS:
            summary[method] = scores.summary[method]
        elif method == MUSYC:
            fit = musyc.fit_musyc(block.conc_r, block.conc_c, block.inhibition, rng=np.random.default_rng(seed))
            summary.update({col.MUSYC_ALPHA12: fit.alpha12, col.MUSYC_ALPHA21: fit.alpha21, col.MUSYC_BETA: fit.beta,
                            col.MUSYC_GAMMA12: fit.gamma12, col.MUSYC_GAMMA21: fit.gamma21})
        else:
            ci = combination_index.combination_index(block.conc_r, block.conc_c, block.inhibition)
            wells[col.CI] = ci.wells[col.CI].to_numpy()
            summary[col.CI_MEAN] = ci.mean
    wells.insert(0, col.BLOCK_ID, block.block_id)
    if block.inhibition_sd is not None:
        wells.insert(4, col.INHIBITION_SD, block.inhibition_sd.ravel())
        wells.insert(5, col.N_REPLICATES, block.n_replicates.ravel())
    wells[col.REFERENCE_MODE] = synergy.FITTED
    summary.update({col.DRUG_ROW: block.drug_row, col.DRUG_COL: block.drug_col,
                    col.REFERENCE_MODE: synergy.FITTED})
    return wells, summary


def _check_choice(what: str, value: str, accepted: Sequence[str]) -> None:
    if value not in accepted:
        raise InputError(f"{what} {value!r} is not known; accepted: {', '.join(accepted)}")


def _write_tables(tables: dict[Path, tuple[pd.DataFrame, list[str]]]) -> None:
    """Write the score tables and their sidecars as one step (:func:`stat3qsp.io.tables.write_texts_atomic`)."""
    write_texts_atomic(table_texts_with_sidecars(tables))
