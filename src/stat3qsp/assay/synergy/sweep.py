"""Drug-pair dose matrices simulated with the model, scored with :mod:`stat3qsp.assay.synergy.scores`.

Responses are scored as % inhibition, SynergyFinder's convention: for viability,
``inhibition = 100 - viability_pct``; for a signalling readout x (pSTAT3, calprotectin),
``inhibition = 100 * (1 - x / x_vehicle)``.

Two reference modes (see :func:`stat3qsp.synergy.score_matrix`): ``fitted`` fits LL.4 curves to the
matrix's own single-drug row and column, as SynergyFinder does; ``exact`` uses the model's noise-free
single-drug response, simulated at whatever concentration root finding asks for.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from stat3qsp.assay import columns as col
from stat3qsp.assay.clinical_region import ClinicalRange, clinical_scores, clinical_wells
from stat3qsp.model.simulator import ContextSimulator, Model
from stat3qsp.model.readouts import VIABILITY
from stat3qsp.assay.synergy.scores import EXACT, FITTED, most_synergistic_area, score_matrix
from stat3qsp.assay.synergy.combination_index import combination_index
from stat3qsp.assay.synergy.musyc import fit_musyc

#: Readouts scored for synergy.
SYNERGY_READOUTS = ("viability_pct", "pSTAT3_fraction", "calprotectin_nM")
CONTEXT, READOUT = "context", "readout"


def simulate_matrix(model: Model, context: str, drug_r: str, drug_c: str, conc_r: np.ndarray, conc_c: np.ndarray,
                    hours: float, changes: dict[str, float] | None = None) -> pd.DataFrame:
    """Assay readouts of every well of the ``len(conc_r) x len(conc_c)`` matrix (row-major).

    Returns
    -------
    pandas.DataFrame
        context, drug_row, drug_col, conc_r, conc_c (nM) and the assay readouts; *changes* are
        parameter values for this matrix (``--param``).
    """
    simulator = model.context(context, changes)
    rows = []
    for cr in conc_r:
        for cc in conc_c:
            readouts = simulator.assay({drug_r: float(cr), drug_c: float(cc)}, hours)
            rows.append({CONTEXT: context, col.DRUG_ROW: drug_r, col.DRUG_COL: drug_c, col.CONC_R: float(cr),
                         col.CONC_C: float(cc), **readouts})
    return pd.DataFrame(rows)


def to_inhibition(values: np.ndarray, readout: str, vehicle: float) -> np.ndarray:
    """% inhibition of a readout against its vehicle value (module docstring)."""
    if readout == VIABILITY:
        return 100.0 - np.asarray(values, dtype=float)
    return 100.0 * (1.0 - np.asarray(values, dtype=float) / vehicle)


def _exact_curve(simulator: ContextSimulator, drug: str, readout: str, vehicle: float, hours: float,
                 cache: dict[tuple[str, float], dict[str, float]]) -> Callable:
    """The model's single-drug % inhibition curve; assays are cached by (drug, concentration) in *cache*.

    Root finding of the Loewe reference asks for the same concentrations many times, and every
    readout's curve needs the same assays, so one cache per matrix saves most simulations.
    """
    def assay(c: float) -> dict[str, float]:
        key = (drug, float(c))
        if key not in cache:
            cache[key] = simulator.assay({drug: float(c)}, hours)
        return cache[key]

    def inhibition(conc: float | np.ndarray) -> float | np.ndarray:
        values = [assay(c)[readout] for c in np.atleast_1d(conc)]
        result = to_inhibition(np.array(values), readout, vehicle)
        return result if np.ndim(conc) else float(result[0])

    return inhibition


def score_sweep(model: Model, matrix: pd.DataFrame, hours: float, methods: tuple[str, ...], seed: int,
                clinical: dict[str, ClinicalRange] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score a simulated matrix for every synergy readout in both reference modes.

    With *clinical* (drug -> clinical free-concentration range, :func:`stat3qsp.clinical_region.clinical_ranges`),
    each summary row also has the scores over the clinically reachable wells
    (:func:`stat3qsp.clinical_region.clinical_wells`): ``<method>_clinical``, ``ci_clinical``,
    ``n_clinical_wells`` and ``clinical_note``.

    Returns
    -------
    wells : pandas.DataFrame
        Per well, readout and mode: references and scores of each method, ``ci`` (Chou-Talalay).
    summary : pandas.DataFrame
        Per readout and mode: the summary score of each method (mean over wells with both drugs),
        the mean CI, MuSyC alpha12/alpha21/beta/gamma12/gamma21 (from the fitted mode's surface),
        and the most synergistic 3 x 3 area of the Bliss score.
    """
    context, drug_r, drug_c = (matrix[k].iloc[0] for k in (CONTEXT, col.DRUG_ROW, col.DRUG_COL))
    conc_r, conc_c = np.unique(matrix[col.CONC_R]), np.unique(matrix[col.CONC_C])
    simulator = model.context(context)
    if clinical is not None:
        clinical_mask, clinical_note = clinical_wells(conc_r, conc_c, clinical.get(drug_r), clinical.get(drug_c))
    single_drug_assays: dict[tuple[str, float], dict[str, float]] = {}
    wells, summaries = [], []
    for readout in SYNERGY_READOUTS:
        grid = matrix[readout].to_numpy().reshape(len(conc_r), len(conc_c))
        inhibition = to_inhibition(grid, readout, grid[0, 0])
        ci = combination_index(conc_r, conc_c, inhibition)
        musyc = fit_musyc(conc_r, conc_c, inhibition, rng=np.random.default_rng(seed))
        for mode in (FITTED, EXACT):
            curves = {}
            if mode == EXACT:
                curves = {"single_r": _exact_curve(simulator, drug_r, readout, grid[0, 0], hours, single_drug_assays),
                          "single_c": _exact_curve(simulator, drug_c, readout, grid[0, 0], hours, single_drug_assays)}
            scores = score_matrix(conc_r, conc_c, inhibition, methods=methods, reference=mode, **curves)
            table = scores.wells.copy()
            table.insert(0, READOUT, readout)
            table.insert(0, CONTEXT, context)
            table[col.CI] = ci.wells[col.CI].to_numpy()
            wells.append(table)
            area = most_synergistic_area(scores.grid("bliss_score")) if "bliss" in methods else None
            summaries.append({CONTEXT: context, col.DRUG_ROW: drug_r, col.DRUG_COL: drug_c, READOUT: readout,
                              col.REFERENCE_MODE: mode, **scores.summary, "ci_mean": ci.mean,
                              "musyc_alpha12": musyc.alpha12, "musyc_alpha21": musyc.alpha21,
                              "musyc_beta": musyc.beta, "musyc_gamma12": musyc.gamma12,
                              "musyc_gamma21": musyc.gamma21, "musyc_r2": musyc.r2,
                              "bliss_max_area": area.mean if area else np.nan})
            if clinical is not None:
                summaries[-1].update({**clinical_scores(table, clinical_mask, methods), col.CLINICAL_NOTE: clinical_note})
    return pd.concat(wells, ignore_index=True), pd.DataFrame(summaries)
