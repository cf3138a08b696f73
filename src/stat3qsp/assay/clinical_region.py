"""The clinically reachable region of a drug-pair dose matrix and the synergy scores over it.

A drug's clinical range (:func:`clinical_ranges`) is ``[trough, peak]`` of the free concentration
at the tumour of the typical patient at steady state under the regimens of the non-counterfactual
arms of the trial specs (:func:`stat3qsp.exposure.exposure_table`; the lowest trough and highest
peak if there are several). On a dose grid (the zero dose included) the range is widened to the
grid doses that bracket it:

- ``L`` = the largest grid dose ``<= trough`` (the smallest dose if none);
- ``U`` = the smallest grid dose ``>= peak``; if the peak lies above the top dose, ``U`` = the top
  dose (the range is clipped, and the note says so), unless the trough does too (no dose);
- the clinical doses are the nonzero grid doses in ``[L, U]``.

A well is clinically reachable (:func:`clinical_wells`) when the doses of both drugs are clinical
(:func:`clinical_doses`). The clinical score of a method (:func:`clinical_scores`) is the mean of
its finite well scores over those wells (the whole-matrix summary is the same mean over all wells
with both drugs, :mod:`stat3qsp.assay.synergy.scores`); NaN, with a note, where no well qualifies or a drug has
no clinical range.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from stat3qsp.assay import columns as col
from stat3qsp.errors import InputError


@dataclass(frozen=True)
class ClinicalRange:
    """Free concentration range of a drug at the tumour under its clinical regimens (nM).

    ``low, high``: typical patient's steady-state trough and peak; ``population_low,
    population_high``: the population's 5th percentile of the trough and 95th of the peak;
    ``regimens``: the regimens it comes from.
    """

    drug: str
    low: float
    high: float
    population_low: float
    population_high: float
    regimens: str


def clinical_ranges(exposure: pd.DataFrame) -> dict[str, ClinicalRange]:
    """Clinical range of every drug with a clinical regimen and finite exposure (module docstring)."""
    ranges = {}
    usable = exposure[exposure[col.CLINICAL].astype(bool) & np.isfinite(exposure[col.FREE_TROUGH].astype(float))]
    for drug, rows in usable.groupby(col.EXPOSURE_DRUG, sort=False):
        ranges[drug] = ClinicalRange(
            drug, float(rows[col.FREE_TROUGH].min()), float(rows[col.FREE_PEAK].max()),
            float(rows[col.TROUGH_P05].min()), float(rows[col.PEAK_P95].max()),
            "; ".join(f"{t} {r}" for t, r in zip(rows[col.TRIAL], rows[col.REGIMEN])))
    return ranges


def clinical_doses(doses: np.ndarray, low: float, high: float) -> tuple[np.ndarray, str]:
    """Which doses of a grid are clinical for the range ``[low, high]`` (module docstring rule).

    Returns
    -------
    mask : numpy.ndarray of bool
        Per dose, True if clinical (never the zero dose).
    note : str
        Empty, or what the rule had to do (clipped at the top dose; range above the grid).
    """
    doses = np.asarray(doses, dtype=float)
    if not 0 <= low <= high:
        raise InputError(f"clinical range [{low!r}, {high!r}] nM; accepted: 0 <= low <= high")
    top = doses.max()
    if low > top:
        return np.zeros(doses.shape, dtype=bool), f"range {low:.3g}-{high:.3g} nM lies above the top dose {top:.3g} nM"
    below = doses[doses <= low]
    lower = below.max() if below.size else doses.min()
    above = doses[doses >= high]
    note = ""
    if above.size:
        upper = above.min()
    else:
        upper = top
        note = f"range {low:.3g}-{high:.3g} nM clipped at the top dose {top:.3g} nM"
    return (doses > 0) & (doses >= lower) & (doses <= upper), note


def clinical_wells(conc_r: np.ndarray, conc_c: np.ndarray, range_r: ClinicalRange | None,
                   range_c: ClinicalRange | None) -> tuple[np.ndarray, str]:
    """Clinically reachable wells of a ``len(conc_r) x len(conc_c)`` matrix and a note.

    A drug without a clinical range (``None``) leaves no well, and the note names it.
    """
    shape = (len(conc_r), len(conc_c))
    notes, masks = [], []
    for doses, clinical in ((conc_r, range_r), (conc_c, range_c)):
        if clinical is None:
            return np.zeros(shape, dtype=bool), "no clinical exposure of a drug of the pair (no PK or no clinical regimen)"
        mask, note = clinical_doses(doses, clinical.low, clinical.high)
        masks.append(mask)
        if note:
            notes.append(f"{clinical.drug}: {note}")
    wells = np.outer(masks[0], masks[1])
    if not wells.any():
        notes.append("no well within the clinical ranges")
    return wells, "; ".join(notes)


def clinical_scores(wells: pd.DataFrame, mask: np.ndarray, methods: tuple[str, ...]) -> dict[str, float]:
    """Mean score of each method (and the mean CI) over the clinically reachable wells.

    Parameters
    ----------
    wells
        Per-well scores of one readout and reference mode, row-major (as :func:`stat3qsp.synergy.score_matrix`).
    mask
        Clinical wells, shape of the matrix (:func:`clinical_wells`).
    methods
        Methods with ``<method>_score`` columns.

    Returns
    -------
    dict
        ``<method>_clinical`` and ``ci_clinical`` (NaN where no well qualifies) and ``n_clinical_wells``.
    """
    flat = np.asarray(mask, dtype=bool).ravel()
    if flat.size != len(wells):
        raise InputError(f"clinical mask of {flat.size} wells for a table of {len(wells)}; accepted: the same matrix")
    scores = {f"{m}{col.CLINICAL_SUFFIX}": _finite_mean(wells[f"{m}{col.SCORE_SUFFIX}"].to_numpy(float)[flat])
              for m in methods}
    if col.CI in wells:
        scores[col.CI_CLINICAL] = _finite_mean(wells[col.CI].to_numpy(float)[flat])
    scores[col.N_CLINICAL_WELLS] = int(flat.sum())
    return scores


def _finite_mean(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else float("nan")
