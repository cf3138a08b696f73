"""Single-drug dose-response sweeps of the model, and LL.4 fits of every readout."""
from __future__ import annotations

import numpy as np
import pandas as pd

from stat3qsp.assay.hill import PARAMETER_NAMES, fit_ll4
from stat3qsp.model.simulator import Model
from stat3qsp.model.readouts import ASSAY_READOUTS

CONTEXT, DRUG, CONC = "context", "drug", "conc_nM"


def concentration_grid(low_nM: float, high_nM: float, points: int) -> np.ndarray:
    """Zero (vehicle) followed by *points* log-spaced concentrations from *low_nM* to *high_nM*."""
    if not 0 < low_nM < high_nM or points < 2:
        raise ValueError(f"need 0 < low < high and points >= 2, got {low_nM}, {high_nM}, {points}")
    return np.concatenate([[0.0], np.geomspace(low_nM, high_nM, points)])


def sweep(model: Model, context: str, drug: str, concentrations_nM: np.ndarray, hours: float,
          changes: dict[str, float] | None = None) -> pd.DataFrame:
    """Assay readouts at *hours* for each concentration of one drug (*changes*: parameter values for this sweep).

    Returns
    -------
    pandas.DataFrame
        One row per concentration: context, drug, conc_nM and the readouts of
        :data:`stat3qsp.readouts.ASSAY_READOUTS`.
    """
    simulator = model.context(context, changes)
    model.catalog.drug(drug)
    rows = [{CONTEXT: context, DRUG: drug, CONC: float(c), **simulator.assay({drug: float(c)}, hours)} for c in concentrations_nM]
    return pd.DataFrame(rows)


def fit_curves(table: pd.DataFrame) -> pd.DataFrame:
    """Fit an LL.4 curve to each readout of a sweep table (one drug, one context).

    The direction of each curve (rising or falling) is taken from the response at the highest
    dose against the vehicle. IC50/EC50 is the concentration of the half-way response between
    the fitted asymptotes (the relative IC50); ``effect_range`` is ``top - bottom``.

    Returns
    -------
    pandas.DataFrame
        One row per readout with bottom, top, ic50_nM, slope, r2, rmse and 95% CI bounds
        (``<parameter>_lo``, ``<parameter>_hi``).
    """
    rows = []
    conc = table[CONC].to_numpy()
    for readout in ASSAY_READOUTS:
        response = table[readout].to_numpy()
        increasing = bool(response[np.argmax(conc)] >= response[np.argmin(conc)])
        fit = fit_ll4(conc, response, increasing=increasing)
        row = {CONTEXT: table[CONTEXT].iloc[0], DRUG: table[DRUG].iloc[0], "readout": readout,
               "bottom": fit.bottom, "top": fit.top, "ic50_nM": fit.ic50, "slope": fit.slope,
               "effect_range": fit.top - fit.bottom, "r2": fit.r2, "rmse": fit.rmse}
        for name in PARAMETER_NAMES:
            lo, hi = fit.ci[name]
            key = "ic50_nM" if name == "ic50" else name
            row[f"{key}_lo"], row[f"{key}_hi"] = lo, hi
        rows.append(row)
    return pd.DataFrame(rows)
