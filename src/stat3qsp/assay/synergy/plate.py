"""A lab plate end to end: scores, replicate statistics, RI/CSS, bootstrap intervals and figures.

:func:`score_plate` is the one driver of the ``stat3qsp synergy`` verb and of the workflow's
``lab_plate_scores`` rule. Without bootstrap and CSS its score columns are those of
:func:`stat3qsp.assay.synergy.io.score_file` (same function, :func:`~stat3qsp.assay.synergy.io.score_block`).

Outputs
    ``OUT.tsv``: per well, ``block_id, conc_r, conc_c, inhibition, inhibition_sd, n_replicates``,
    the score columns, and with ``bootstrap`` ``<score>_lo, <score>_hi`` per score column.
    ``OUT.summary.tsv``: per block, the summary scores, with ``css`` in the methods the sensitivity
    columns of :mod:`stat3qsp.assay.synergy.sensitivity`, and with ``bootstrap`` ``<key>_lo,
    <key>_hi`` per numeric value plus ``n_bootstrap, bootstrap_level, bootstrap_resampling``.
    ``--plot DIR``: ``DIR/<block_id>.png`` and ``.svg`` (:func:`stat3qsp.assay.plate_figures.plate_figure`).
    With a context: ``OUT.model.tsv`` and ``OUT.drug_fits.tsv`` (:mod:`stat3qsp.assay.synergy.compare`),
    with ``fit_model`` ``OUT.model_fit.tsv`` (:mod:`stat3qsp.assay.synergy.model_fit`).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from stat3qsp.assay.synergy import io as synergy_io
from stat3qsp.assay.synergy.bootstrap import bootstrap_block
from stat3qsp.assay.synergy.sensitivity import sensitivity_scores
from stat3qsp.errors import InputError
from stat3qsp.assay.synergy.names import CSS_METHOD, DEFAULT_LEVEL, DEFAULT_METHODS, PLATE_METHODS
from stat3qsp.io.tables import table_texts_with_sidecars, write_texts_atomic
from stat3qsp.assay.synergy.matrix import check_methods



@dataclass(frozen=True)
class PlateResult:
    """What :func:`score_plate` wrote and computed."""

    wells_path: Path
    summary_path: Path
    wells: pd.DataFrame
    summary: pd.DataFrame
    blocks: list
    figures: list[Path]


def block_scorer(methods: Sequence[str], seed: int):
    """``score(block) -> (wells, summary)`` for the methods (``css`` adds the sensitivity scores)."""
    methods = check_methods(methods, PLATE_METHODS)
    base = [m for m in methods if m != CSS_METHOD]

    def score(block) -> tuple[pd.DataFrame, dict]:
        if base:
            wells, summary = synergy_io.score_block(block, base, seed)
        else:
            wells, summary = synergy_io.score_block(block, ["hsa"], seed)
            wells = wells.drop(columns=[c for c in wells.columns if c.startswith("hsa_")])
            summary.pop("hsa")
        if CSS_METHOD in methods:
            summary.update(sensitivity_scores(block.conc_r, block.conc_c, block.inhibition))
        return wells, summary

    return score


def score_plate(matrix_csv: Path | str, out_tsv: Path | str, *, methods: Sequence[str] = DEFAULT_METHODS,
                response: str = synergy_io.INHIBITION, seed: int = 0, bootstrap: int = 0,
                level: float = DEFAULT_LEVEL, plot_dir: Path | str | None = None, context: str | None = None,
                models_dir: Path | str | None = None, hours: float = 72.0, clip: bool = False,
                clipped: list[tuple[int, float]] | None = None, exposure: Path | str | None = None,
                fit_model: bool = False, fit_parameters: Sequence[str] | None = None,
                fit_bootstrap: int = 0) -> PlateResult:
    """Score every block of a plate CSV, optionally with bootstrap intervals and figures.

    Parameters
    ----------
    matrix_csv : path-like
        SynergyFinder long-format CSV (:func:`stat3qsp.assay.synergy.io.read_matrix_csv`).
    out_tsv : path-like
        Per-well output; the summary goes to :func:`stat3qsp.assay.synergy.io.summary_path`.
    methods : sequence of str
        Any of :data:`PLATE_METHODS`.
    response : {"inhibition", "viability"}
        What the ``response`` column holds.
    seed : int
        Seed of MuSyC's starts and of the bootstrap; each block gets its own
        ``numpy.random.default_rng(seed)``, so a block's result does not depend on the others.
    bootstrap : int
        Number of bootstrap plates per block (0: none; otherwise >= 2), see
        :mod:`stat3qsp.assay.synergy.bootstrap`.
    level : float
        Two-sided level of the bootstrap intervals.
    plot_dir : path-like, optional
        Folder for one PNG and one SVG per block.
    context : str, optional
        Compare the plate with the model in this context (:mod:`stat3qsp.assay.synergy.compare`):
        writes ``OUT.model.tsv`` (per well: model % inhibition, residuals of the response and of the
        scores) and ``OUT.drug_fits.tsv`` (IC50, Emax, Hill of each drug, plate and model, with 95 %
        intervals), and with ``plot_dir`` ``DIR/<block_id>.model.png/.svg``.
    models_dir : path-like, optional
        Models folder for the comparison (default: the project's).
    hours : float
        Assay time of the simulated plate (h).
    exposure : path-like, optional
        Exposure table (``results/pk/exposure.tsv``, :func:`stat3qsp.trial.exposure.exposure_table`);
        with ``context``, the clinically reachable wells are boxed on the block figures and flagged in
        ``OUT.model.tsv`` (column ``clinically_reachable``).
    fit_model : bool
        With ``context``: fit the model's drug-effect parameters to each block
        (:mod:`stat3qsp.assay.synergy.model_fit`) and write ``OUT.model_fit.tsv``.
    fit_parameters : sequence of str, optional
        Parameter ids to fit instead of the drugs' defaults (``EFFECT_PARAMETERS``).
    fit_bootstrap : int
        Residual-bootstrap refits for the fit's intervals (0: Wald intervals), seeded by ``seed``.

    Returns
    -------
    PlateResult
    """
    methods = check_methods(methods, PLATE_METHODS)
    if bootstrap < 0 or bootstrap == 1:
        raise InputError(f"bootstrap {bootstrap} is not accepted; accepted: 0 (no bootstrap) or >= 2 plates")
    if not 0 < level < 1:
        raise InputError(f"bootstrap level {level!r} is not in (0, 1); accepted e.g. 0.9 or 0.95")
    if (fit_model or exposure is not None) and context is None:
        raise InputError("fitting the model or marking the clinical region needs the plate's context "
                         "(--compare-model --context CONTEXT)")
    if fit_bootstrap < 0 or fit_bootstrap == 1:
        raise InputError(f"fit bootstrap {fit_bootstrap} is not accepted; accepted: 0 (Wald intervals) or >= 2 refits")
    blocks = synergy_io.read_matrix_csv(matrix_csv, response=response, clip=clip, clipped=clipped)
    score = block_scorer(methods, seed)
    wells, summaries = [], []
    for block in blocks:
        try:
            block_wells, block_summary = score(block)
            if bootstrap:
                result = bootstrap_block(block, score, bootstrap, np.random.default_rng(seed), level=level)
                block_wells = pd.concat([block_wells.reset_index(drop=True), result.wells], axis=1)
                block_summary.update(result.summary)
        except InputError as exc:
            raise InputError(f"{matrix_csv}: block {block.block_id!r} (from data row {block.first_row}): {exc}") from exc
        wells.append(block_wells)
        summaries.append(block_summary)
    out_tsv = Path(out_tsv)
    out_summary = synergy_io.summary_path(out_tsv)
    all_wells, summary = pd.concat(wells, ignore_index=True), pd.DataFrame(summaries)
    header = synergy_io.data_provenance(matrix_csv, methods, seed, response) + [f"bootstrap: {bootstrap}", f"level: {level}"]
    if context is not None:
        from stat3qsp.model.catalog import DEFAULT_MODELS_DIR
        from stat3qsp.model.provenance import provenance_lines

        header += [*provenance_lines(models_dir or DEFAULT_MODELS_DIR), f"context: {context}", f"assay_hours: {hours}"]
    tables = {out_tsv: (all_wells, header), out_summary: (summary, header)}
    comparisons, regions = [], [None] * len(blocks)
    if context is not None:
        fit = dict(parameters=fit_parameters, n_bootstrap=fit_bootstrap, seed=seed) if fit_model else None
        comparisons, regions, model_fits = _compare(blocks, matrix_csv, context, models_dir, hours, methods, exposure, fit)
        tables[_sibling(out_tsv, "model")] = (pd.concat([c[0] for c in comparisons], ignore_index=True), header)
        tables[_sibling(out_tsv, "drug_fits")] = (pd.concat([c[1] for c in comparisons], ignore_index=True), header)
        if fit_model:
            tables[_sibling(out_tsv, "model_fit")] = (pd.concat(model_fits, ignore_index=True), header)
    write_texts_atomic(table_texts_with_sidecars(tables))
    figures: list[Path] = []
    if plot_dir is not None:
        from stat3qsp.assay.plate_figures import plate_figure

        plot_dir = Path(plot_dir)
        plot_dir.mkdir(parents=True, exist_ok=True)
        for block, block_wells, block_summary, region in zip(blocks, wells, summaries, regions):
            figures += plate_figure(block, block_wells, block_summary, plot_dir / _safe(block.block_id), region)
        if comparisons:
            from stat3qsp.assay.synergy.compare import comparison_figure

            for block, (table, _) in zip(blocks, comparisons):
                figures += comparison_figure(block, table, plot_dir / (_safe(block.block_id) + ".model"))
    return PlateResult(out_tsv, out_summary, all_wells, summary, blocks, figures)


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in str(name))


def _sibling(out_tsv: Path, kind: str) -> Path:
    """``OUT.tsv`` -> ``OUT.<kind>.tsv``."""
    stem = out_tsv.name[:-4] if out_tsv.name.endswith(".tsv") else out_tsv.name
    return out_tsv.with_name(f"{stem}.{kind}.tsv")


def _compare(blocks, matrix_csv, context, models_dir, hours, methods, exposure, fit) -> tuple[list, list, list]:
    """Per block: (comparison table, drug fits), the clinical region (or None) and the model fit (or nothing)."""
    from stat3qsp.assay.clinical_region import clinical_ranges
    from stat3qsp.assay.synergy.compare import clinical_region_of, compare_block, plate_grid_nm
    from stat3qsp.assay.synergy.model_fit import fit_model_to_block
    from stat3qsp.io.tables import read_table
    from stat3qsp.model.simulator import load_model

    model = load_model(models_dir) if models_dir is not None else load_model()
    model.catalog.context(context)
    clinical = clinical_ranges(read_table(exposure)) if exposure is not None else None
    out, regions, fits = [], [], []
    for block in blocks:
        try:
            out.append(compare_block(block, model, context, hours, methods=methods, clinical=clinical))
            regions.append(clinical_region_of(block, model.catalog, clinical))
            if fit is not None:
                drug_r, drug_c, nm_r, nm_c = plate_grid_nm(block, model.catalog)
                named = fit["parameters"]
                pairs = [(_drug_of(p, (drug_r, drug_c), model.catalog), p) for p in named] if named else None
                fits.append(fit_model_to_block(model, context, drug_r, drug_c, nm_r, nm_c, block.inhibition, hours,
                                               parameters=pairs, block_id=block.block_id,
                                               n_bootstrap=fit["n_bootstrap"],
                                               rng=np.random.default_rng(fit["seed"])))
        except InputError as exc:
            raise InputError(f"{matrix_csv}: block {block.block_id!r} (from data row {block.first_row}): {exc}") from exc
    return out, regions, fits


def _drug_of(parameter: str, drugs: tuple[str, str], catalog) -> str:
    """The plate drug whose parameter prefix (of its concentration parameter, e.g. ``rux_``) the id carries."""
    for drug in drugs:
        prefix = catalog.drugs[drug].concentration_parameter.split("_")[0]
        if prefix in parameter.split("_"):
            return drug
    return "context"


def run_lab_plate(plate: dict, wells_tsv: Path | str, figures_dir: Path | str, models_dir: Path | str,
                  hours: float, exposure: Path | str | None = None) -> PlateResult:
    """One ``lab_plates`` entry of the config (path, context, response, bootstrap, seed) end to end.

    The workflow's rule ``lab_plate`` calls this; it is :func:`score_plate` with the comparison
    switched on and the schema's defaults (``bootstrap`` 200, ``seed`` 1); with the exposure table
    (trials configured) the clinically reachable wells are marked.
    """
    Path(wells_tsv).parent.mkdir(parents=True, exist_ok=True)
    return score_plate(plate["path"], wells_tsv, methods=DEFAULT_METHODS, response=plate["response"],
                       seed=int(plate.get("seed", 1)), bootstrap=int(plate.get("bootstrap", 200)),
                       plot_dir=figures_dir, context=plate["context"], models_dir=models_dir, hours=hours,
                       exposure=exposure)
