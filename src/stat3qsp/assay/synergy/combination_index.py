"""The Chou-Talalay combination index (Chou & Talalay 1984 Adv Enzyme Regul 22:27): median-effect fits of each drug and the CI of every well of a dose matrix."""
from __future__ import annotations

from dataclasses import dataclass
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from stat3qsp.assay.synergy.matrix import _check_matrix, _mean
from stat3qsp.assay import columns as col


# --- Chou-Talalay combination index ------------------------------------------------------------
@dataclass(frozen=True)
class MedianEffectFit:
    """Median-effect equation ``fa / (1 - fa) = (D / Dm) ** m`` of one drug (Chou & Talalay 1984).

    Attributes
    ----------
    dm : float
        Median-effect dose (``fa = 0.5``).
    m : float
        Slope of ``log(fa / (1 - fa))`` against ``log D``.
    r : float
        Linear correlation coefficient of that median-effect plot.
    n : int
        Number of points used (``D > 0`` and ``0 < fa < 1``).
    """

    dm: float
    m: float
    r: float
    n: int

    def dose(self, fa: ArrayLike) -> np.ndarray:
        """Dose alone giving fraction affected ``fa``: ``Dx = Dm * (fa / (1 - fa)) ** (1 / m)``."""
        fa = np.asarray(fa, dtype=float)
        return self.dm * (fa / (1.0 - fa)) ** (1.0 / self.m)


def fit_median_effect(conc: ArrayLike, inhibition: ArrayLike) -> MedianEffectFit | None:
    """Fit the median-effect equation by linear regression of ``log(fa/(1-fa))`` on ``log D``.

    ``fa = inhibition / 100``; only points with ``D > 0`` and ``0 < fa < 1`` are used. Returns None
    if fewer than two such points with distinct doses remain, or the fitted slope is 0.
    """
    c = np.asarray(conc, dtype=float).ravel()
    fa = np.asarray(inhibition, dtype=float).ravel() / 100.0
    use = (c > 0) & (fa > 0) & (fa < 1)
    if np.unique(c[use]).size < 2:
        return None
    x = np.log10(c[use])
    z = np.log10(fa[use] / (1.0 - fa[use]))
    m, intercept = np.polyfit(x, z, 1)
    if m == 0:
        return None
    r = float(np.corrcoef(x, z)[0, 1])  # z is not constant here, since m != 0
    return MedianEffectFit(dm=float(10.0 ** (-intercept / m)), m=float(m), r=r, n=int(use.sum()))


@dataclass(frozen=True)
class CombinationIndex:
    """Per-well Chou-Talalay combination index (:func:`combination_index`).

    Attributes
    ----------
    wells : pandas.DataFrame
        ``conc_r, conc_c, inhibition, ci`` per well, row-major; ``ci`` NaN where undefined.
    fit_r, fit_c : MedianEffectFit or None
        Median-effect fits of the row and column drug (None if not fittable).
    mean : float
        Mean CI over the wells where it is defined (NaN if none).
    """

    wells: pd.DataFrame
    fit_r: MedianEffectFit | None
    fit_c: MedianEffectFit | None
    mean: float


def combination_index(conc_r: ArrayLike, conc_c: ArrayLike, inhibition: ArrayLike) -> CombinationIndex:
    """Chou-Talalay combination index of each well (Chou & Talalay 1984, Adv Enzyme Regul 22:27).

    ``CI = conc_r / Dx_r(fa) + conc_c / Dx_c(fa)`` with ``fa`` the well's observed
    ``inhibition / 100`` and ``Dx`` from each drug's median-effect fit to its single-agent row or
    column (:func:`fit_median_effect`). Defined where both drugs are present and
    ``0 < inhibition < 100`` (exclusive), and both drugs could be fitted; NaN elsewhere.
    ``CI < 1`` synergy, ``= 1`` additivity, ``> 1`` antagonism.
    """
    cr, cc, y = _check_matrix(conc_r, conc_c, inhibition)
    fit_r = fit_median_effect(cr, y[:, 0])
    fit_c = fit_median_effect(cc, y[0, :])
    r_grid, c_grid = np.meshgrid(cr, cc, indexing="ij")
    ci = np.full(y.shape, np.nan)
    ok = (r_grid > 0) & (c_grid > 0) & (y > 0) & (y < 100)
    if fit_r is not None and fit_c is not None and ok.any():
        fa = y[ok] / 100.0
        ci[ok] = r_grid[ok] / fit_r.dose(fa) + c_grid[ok] / fit_c.dose(fa)
    wells = pd.DataFrame({col.CONC_R: r_grid.ravel(), col.CONC_C: c_grid.ravel(), col.INHIBITION: y.ravel(),
                          col.CI: ci.ravel()})
    return CombinationIndex(wells=wells, fit_r=fit_r, fit_c=fit_c, mean=_mean(ci[ok]))
