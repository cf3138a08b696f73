"""Drug sensitivity scores of a dose matrix as SynergyFinder 3 defines them: RI and CSS.

Malyutina et al. 2019, PLoS Comput Biol 15:e1006752 (CSS); Zheng et al. 2022, Genomics Proteomics
Bioinformatics 20:587 (SynergyFinder 3, R function ``CalculateSensitivity``). Inhibition is in % (0
untreated, 100 full effect); ``conc_r[0] = conc_c[0] = 0`` as in :func:`stat3qsp.assay.synergy.scores.score_matrix`.

Relative inhibition (RI) of a dose-response series
    An LL.4 curve ``f`` is fitted to the nonzero doses (the zero dose is left out, as in
    SynergyFinder's ``CalculateRI``), and RI is its mean over ``log10`` dose between the lowest and
    the highest nonzero dose::

        RI = 1 / (u2 - u1) * integral_{u1}^{u2} f(10 ** u) du,   u1 = log10(min dose), u2 = log10(max dose)

    in closed form, with ``f = b + (t - b) / (1 + 10 ** (-s (u - m)))`` (``m = log10 IC50``)::

        RI = b + (t - b) / (s (u2 - u1)) * [log10(1 + 10 ** (s (u2 - m))) - log10(1 + 10 ** (s (u1 - m)))]

    With one nonzero dose RI is the response at that dose.
IC50 of a drug
    The ``ic50`` of the LL.4 fit to its single-agent series (zero dose included), capped at the
    highest tested dose (SynergyFinder's ``CalculateIC50``).
CSS of a drug
    The other drug is fixed at its IC50: for every dose ``d`` of this drug, the response along the
    other drug's doses (zero included) is fitted with an LL.4 curve and predicted at the IC50
    (prediction capped at 100; a line with two points uses its nonzero point; a constant line its
    value) - SynergyFinder's ``PredictResponse``. CSS is the RI of the resulting series over this
    drug's nonzero doses. The block's ``css`` is the mean of the two drugs' CSS.

The LL.4 fits are :func:`stat3qsp.assay.hill.fit_ll4` (rising curves), not drc's ``LL.4``; where
the two fits differ (flat or non-monotone series), so do RI and CSS.
"""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from stat3qsp.assay.hill import LL4Fit, fit_ll4
from stat3qsp.assay.synergy.matrix import _check_matrix

RI_ROW, RI_COL = "ri_row", "ri_col"
"""Relative inhibition of the row and the column drug (%)."""
IC50_ROW, IC50_COL = "ic50_row", "ic50_col"
"""Relative IC50 of the row and column drug (units of the input doses, capped at the top dose)."""
CSS_ROW, CSS_COL, CSS = "css_row", "css_col", "css"
"""CSS of the row drug (column drug at its IC50), of the column drug, and their mean (%)."""
SENSITIVITY_COLUMNS = (IC50_ROW, IC50_COL, RI_ROW, RI_COL, CSS_ROW, CSS_COL, CSS)
"""Summary columns added by :func:`sensitivity_scores`, in order."""


def curve_mean(fit: LL4Fit, low: float, high: float) -> float:
    """Mean of an LL.4 curve over ``log10`` dose in ``[low, high]`` (closed form, module docstring)."""
    u1, u2 = np.log10(low), np.log10(high)
    if u2 <= u1:
        return float(fit.predict(np.array([low]))[0])
    m, s = np.log10(fit.ic50), fit.slope

    def log10_1p(x: float) -> float:
        return float(np.logaddexp(0.0, x * np.log(10.0)) / np.log(10.0))

    area = (log10_1p(s * (u2 - m)) - log10_1p(s * (u1 - m))) / s
    return float(fit.bottom + (fit.top - fit.bottom) * area / (u2 - u1))


def relative_inhibition(conc: ArrayLike, inhibition: ArrayLike) -> float:
    """RI of one dose-response series (module docstring); zero doses are ignored."""
    c = np.asarray(conc, dtype=float)
    y = np.asarray(inhibition, dtype=float)
    order = np.argsort(c)
    c, y = c[order], y[order]
    keep = c > 0
    c, y = c[keep], y[keep]
    if c.size == 1:
        return float(y[0])
    if np.var(y) == 0:
        y = y.copy()
        y[-1] += 1e-10
    if c.size < 4:
        # too few points for four free parameters: SynergyFinder's drc call would fail too; use the
        # trapezoid mean over log10 dose instead
        return float(np.trapezoid(y, np.log10(c)) / (np.log10(c[-1]) - np.log10(c[0])))
    return curve_mean(fit_ll4(c, y, increasing=True), float(c[0]), float(c[-1]))


def relative_ic50(conc: np.ndarray, inhibition: np.ndarray) -> float:
    """IC50 of the single-agent LL.4 fit (zero dose included), capped at the highest dose."""
    fit = fit_ll4(conc, inhibition, increasing=True)
    return float(min(fit.ic50, float(np.max(conc))))


def predict_at(conc: np.ndarray, inhibition: np.ndarray, dose: float) -> float:
    """SynergyFinder's ``PredictResponse``: the LL.4 fit of a series evaluated at ``dose``, capped at 100."""
    if np.var(inhibition) == 0:
        return float(inhibition[0])
    if conc.size == 2:
        return float(inhibition[1])
    pred = float(fit_ll4(conc, inhibition, increasing=True).predict(np.array([dose]))[0])
    return min(pred, 100.0)


def sensitivity_scores(conc_r: ArrayLike, conc_c: ArrayLike, inhibition: ArrayLike) -> dict[str, float]:
    """IC50, RI and CSS of both drugs of a dose matrix, and the block's CSS (module docstring).

    Returns
    -------
    dict of str to float
        Keys :data:`SENSITIVITY_COLUMNS`.
    """
    cr, cc, y = _check_matrix(conc_r, conc_c, inhibition)
    ic50_r, ic50_c = relative_ic50(cr, y[:, 0]), relative_ic50(cc, y[0, :])
    # row drug's CSS: the column drug fixed at its IC50 in every row
    css_r = relative_inhibition(cr, [predict_at(cc, y[i, :], ic50_c) for i in range(cr.size)])
    css_c = relative_inhibition(cc, [predict_at(cr, y[:, j], ic50_r) for j in range(cc.size)])
    return {IC50_ROW: ic50_r, IC50_COL: ic50_c, RI_ROW: relative_inhibition(cr, y[:, 0]),
            RI_COL: relative_inhibition(cc, y[0, :]), CSS_ROW: css_r, CSS_COL: css_c, CSS: (css_r + css_c) / 2.0}
