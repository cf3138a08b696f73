"""A lab plate against the model: the same grid simulated in a context, residual surfaces, single-agent fits.

Mapping
    A plate's ``drug_row``/``drug_col`` must name catalog drugs (``models/catalog.yaml``, case
    ignored); concentrations are converted to nM with their ``conc_*_unit`` by
    :func:`stat3qsp.model.concentrations.to_nanomolar` (mass units through the drug's molecular
    weight). The grid is simulated with :func:`stat3qsp.assay.synergy.sweep.simulate_matrix`, and
    the model's % inhibition is ``100 - viability_pct`` at the assay time (a plate's response is
    taken to be viability-based % inhibition).
Residuals
    Per well ``residual = observed - model`` (% inhibition), and per score method
    ``<method>_score_residual = observed score - model score``, both scored in fitted mode on the
    same grid (:func:`stat3qsp.assay.synergy.scores.score_matrix`).
Single-agent fits
    Each drug's single-agent series, on the plate and in the model, is fitted with an LL.4 curve
    (:func:`stat3qsp.assay.hill.fit_ll4`, zero dose included); IC50 (nM), Emax (``top``, %) and
    Hill slope are reported with their 95 % asymptotic intervals. The plate/model IC50 ratio says
    how far the context's potency of a drug is from these cells. The model's own drug parameters
    are not refitted here.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from stat3qsp.assay import columns as col
from stat3qsp.assay.clinical_region import clinical_wells
from stat3qsp.assay.hill import fit_ll4
from stat3qsp.assay.synergy.scores import SCORE_METHODS, score_matrix
from stat3qsp.assay.synergy.sweep import simulate_matrix
from stat3qsp.errors import InputError
from stat3qsp.model.concentrations import to_nanomolar
from stat3qsp.model.readouts import VIABILITY

MODEL_INHIBITION = "model_inhibition"
"""The model's % inhibition of a well (``100 - viability_pct``)."""
RESIDUAL = "residual"
"""Observed minus model % inhibition of a well."""
CONC_R_NM, CONC_C_NM = "conc_r_nM", "conc_c_nM"
"""A well's concentrations converted to nM."""
CLINICAL_WELL = "clinically_reachable"
"""True where both drugs' nM doses are within their widened clinical ranges (with an exposure table)."""
FIT_COLUMNS = ("block_id", "drug", "source", "ic50_nM", "ic50_lo", "ic50_hi", "emax", "emax_lo", "emax_hi",
               "hill", "hill_lo", "hill_hi", "r2")
"""Columns of the single-agent fit table."""


def catalog_drug(name: str, catalog) -> str:
    """The catalog's spelling of a plate's drug name (case ignored); InputError naming the known drugs."""
    for known in catalog.drugs:
        if known.lower() == name.strip().lower():
            return known
    raise InputError(f"plate drug {name!r} is not a model drug; accepted: {', '.join(sorted(catalog.drugs))} "
                     "(rename drug_row/drug_col in the plate)")


def plate_grid_nm(block, catalog) -> tuple[str, str, np.ndarray, np.ndarray]:
    """The block's catalog drug names and its row and column concentrations in nM."""
    drug_r, drug_c = catalog_drug(block.drug_row, catalog), catalog_drug(block.drug_col, catalog)
    nm_r = np.array([to_nanomolar(f"{float(c)!r}{block.conc_r_unit}", drug_r, catalog) for c in block.conc_r])
    nm_c = np.array([to_nanomolar(f"{float(c)!r}{block.conc_c_unit}", drug_c, catalog) for c in block.conc_c])
    return drug_r, drug_c, nm_r, nm_c


def clinical_region_of(block, catalog, clinical: dict | None) -> np.ndarray | None:
    """The block's clinically reachable wells (:func:`stat3qsp.assay.clinical_region.clinical_wells` on its nM
    grid), or None without clinical ranges for both of its drugs."""
    if not clinical:
        return None
    drug_r, drug_c, nm_r, nm_c = plate_grid_nm(block, catalog)
    ranges = clinical.get(drug_r), clinical.get(drug_c)
    return clinical_wells(nm_r, nm_c, *ranges)[0] if all(ranges) else None


def compare_block(block, model, context: str, hours: float, methods=("bliss", "zip"),
                  clinical: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-well comparison table and single-agent fit table of one block (module docstring).

    With *clinical* (drug -> :class:`stat3qsp.assay.clinical_region.ClinicalRange`) the table has a
    ``clinically_reachable`` column: True where the well is clinically reachable (:func:`clinical_region_of`).
    """
    catalog = model.catalog
    drug_r, drug_c, nm_r, nm_c = plate_grid_nm(block, catalog)
    matrix = simulate_matrix(model, context, drug_r, drug_c, nm_r, nm_c, hours)
    model_y = 100.0 - matrix[VIABILITY].to_numpy(dtype=float).reshape(block.inhibition.shape)
    observed = block.inhibition
    r_grid, c_grid = np.meshgrid(block.conc_r, block.conc_c, indexing="ij")
    nr_grid, nc_grid = np.meshgrid(nm_r, nm_c, indexing="ij")
    table = pd.DataFrame({col.BLOCK_ID: block.block_id, col.CONC_R: r_grid.ravel(), col.CONC_C: c_grid.ravel(),
                          CONC_R_NM: nr_grid.ravel(), CONC_C_NM: nc_grid.ravel(), col.INHIBITION: observed.ravel(),
                          MODEL_INHIBITION: model_y.ravel(), RESIDUAL: (observed - model_y).ravel()})
    region = clinical_region_of(block, catalog, clinical)
    if region is not None:
        table[CLINICAL_WELL] = region.ravel()
    methods = [m for m in methods if m in SCORE_METHODS]
    if methods:
        plate_scores = score_matrix(nm_r, nm_c, observed, methods=methods)
        model_scores = score_matrix(nm_r, nm_c, model_y, methods=methods)
        for method in methods:
            name = method + col.SCORE_SUFFIX
            table["model_" + name] = model_scores.wells[name].to_numpy()
            table[name + "_residual"] = plate_scores.wells[name].to_numpy() - model_scores.wells[name].to_numpy()
    fits = []
    for drug, conc, series_obs, series_model in ((drug_r, nm_r, observed[:, 0], model_y[:, 0]),
                                                 (drug_c, nm_c, observed[0, :], model_y[0, :])):
        for source, series in (("plate", series_obs), ("model", series_model)):
            fits.append({"block_id": block.block_id, "drug": drug, "source": source, **_fit_row(conc, series)})
    return table, pd.DataFrame(fits, columns=list(FIT_COLUMNS))


def _fit_row(conc: np.ndarray, series: np.ndarray) -> dict[str, float]:
    if conc.size < 4:
        raise InputError(f"fitting IC50, Emax and Hill needs at least 3 nonzero doses per drug; got {conc.size - 1}")
    fit = fit_ll4(conc, series, increasing=True)
    ci = fit.ci
    return {"ic50_nM": fit.ic50, "ic50_lo": ci.get("ic50", (np.nan, np.nan))[0], "ic50_hi": ci.get("ic50", (np.nan, np.nan))[1],
            "emax": fit.top, "emax_lo": ci.get("top", (np.nan, np.nan))[0], "emax_hi": ci.get("top", (np.nan, np.nan))[1],
            "hill": fit.slope, "hill_lo": ci.get("slope", (np.nan, np.nan))[0], "hill_hi": ci.get("slope", (np.nan, np.nan))[1],
            "r2": fit.r2}


def comparison_figure(block, table: pd.DataFrame, path_stem, formats=("png", "svg")) -> list:
    """Observed, model and residual % inhibition heatmaps of one block (plate units on the axes); the
    clinically reachable wells boxed where the table has a ``clinically_reachable`` column."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from stat3qsp.assay.figures import clinical_box
    from stat3qsp.assay.plate_figures import save_formats

    shape = block.inhibition.shape
    residual_scores = [c for c in table.columns if c.endswith("_score_residual")]
    panels = [(col.INHIBITION, "plate % inhibition", "viridis", False),
              (MODEL_INHIBITION, "model % inhibition", "viridis", False),
              (RESIDUAL, "residual (plate - model)", "RdBu_r", True)]
    panels += [(c, c.replace("_", " "), "RdBu_r", True) for c in residual_scores]
    fig, axes = plt.subplots(1, len(panels), figsize=(3.8 * len(panels), 3.4), squeeze=False)
    for ax, (name, title, cmap, centre) in zip(axes[0], panels):
        grid = table[name].to_numpy(dtype=float).reshape(shape)
        finite = grid[np.isfinite(grid)]
        limit = float(np.max(np.abs(finite))) if finite.size and np.max(np.abs(finite)) > 0 else 1.0
        image = ax.imshow(grid, origin="lower", cmap=cmap, vmin=-limit if centre else 0.0,
                          vmax=limit if centre else 100.0, aspect="auto")
        ax.set_xticks(range(shape[1]), [f"{c:.3g}" for c in block.conc_c], rotation=90, fontsize=7)
        ax.set_yticks(range(shape[0]), [f"{c:.3g}" for c in block.conc_r], fontsize=7)
        ax.set_xlabel(f"{block.drug_col} ({block.conc_c_unit})", fontsize=8)
        ax.set_ylabel(f"{block.drug_row} ({block.conc_r_unit})", fontsize=8)
        ax.set_title(title, fontsize=8)
        fig.colorbar(image, ax=ax, shrink=0.8)
        if CLINICAL_WELL in table and table[CLINICAL_WELL].any():
            clinical_box(ax, table[CLINICAL_WELL].to_numpy(dtype=bool).reshape(shape))
    return save_formats(fig, path_stem, formats)
