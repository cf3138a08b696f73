"""Single-agent reference curves of a dose matrix: LL.4 fits of the matrix margins (fitted mode) or the model's own noise-free response inverted by root finding (exact mode)."""
from __future__ import annotations

from typing import Callable

import numpy as np
from scipy import optimize
from stat3qsp.errors import InputError
from stat3qsp.assay.hill import LL4Fit, fit_ll4


# --- single-agent curves -------------------------------------------------------------------------
FITTED = "fitted"
"""Reference mode: single agents from the matrix (observed row/column, LL.4 fits)."""
EXACT = "exact"
"""Reference mode: single agents from caller-supplied exact curves."""
SingleAgent = Callable[[float], float]
"""An exact single-agent curve: concentration -> % inhibition, non-decreasing."""
_EXACT_SEARCH_DECADES = 12  # an exact curve that does not reach y within 1e12 x the top dose never does


class _Curve:
    """A non-decreasing single-agent curve: values and inverse (``dose``)."""

    def value(self, conc: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def dose(self, y: float) -> float:
        """Concentration giving ``y``; ``inf`` if the curve never reaches it, 0 if it starts above."""
        raise NotImplementedError


class _FittedCurve(_Curve):
    def __init__(self, fit: LL4Fit) -> None:
        self.fit = fit

    def value(self, conc: np.ndarray) -> np.ndarray:
        return self.fit.predict(conc)

    def dose(self, y: float) -> float:
        if y >= self.fit.top:
            return np.inf
        if y <= self.fit.bottom:
            return 0.0
        return float(self.fit.inverse(y))


class _ExactCurve(_Curve):
    def __init__(self, func: SingleAgent, top_dose: float, name: str) -> None:
        self.func, self.top_dose, self.name = func, top_dose, name

    def _at(self, c: float) -> float:
        v = float(self.func(float(c)))
        if not np.isfinite(v):
            raise InputError(f"{self.name}({c!r}) returned {v!r}; an exact curve must return finite % inhibition")
        return v

    def value(self, conc: np.ndarray) -> np.ndarray:
        return np.array([self._at(c) for c in np.asarray(conc, dtype=float).ravel()]).reshape(np.shape(conc))

    def dose(self, y: float) -> float:
        lo_limit = np.log10(self.top_dose) - 30.0
        hi_limit = np.log10(self.top_dose) + _EXACT_SEARCH_DECADES
        lo, hi = np.log10(self.top_dose) - 3.0, np.log10(self.top_dose)
        while self._at(10.0 ** hi) < y:
            if hi >= hi_limit:
                return np.inf
            hi = min(hi + 3.0, hi_limit)
        while self._at(10.0 ** lo) > y:
            if lo <= lo_limit or self._at(0.0) >= y:
                return 0.0
            lo = max(lo - 3.0, lo_limit)
        log_c = optimize.brentq(lambda lc: self._at(10.0 ** lc) - y, lo, hi, xtol=1e-14,
                                rtol=4 * np.finfo(float).eps, maxiter=500)
        return float(10.0 ** log_c)


def _single_agents(cr: np.ndarray, cc: np.ndarray, y: np.ndarray, reference: str,
                   single_r: SingleAgent | None, single_c: SingleAgent | None,
                   need_curves: bool) -> tuple[_Curve, _Curve, LL4Fit | None, LL4Fit | None]:
    if reference == EXACT:
        if single_r is None or single_c is None:
            raise InputError("reference='exact' needs both single_r and single_c (conc -> % inhibition callables)")
        return (_ExactCurve(single_r, float(cr[-1]), "single_r"), _ExactCurve(single_c, float(cc[-1]), "single_c"),
                None, None)
    if reference != FITTED:
        raise InputError(f"reference {reference!r} is not known; accepted: {FITTED!r}, {EXACT!r}")
    if single_r is not None or single_c is not None:
        raise InputError("single_r/single_c are only used with reference='exact'; "
                         "reference='fitted' takes single agents from the matrix")
    if not need_curves:
        return _NoCurve(), _NoCurve(), None, None
    fits = []
    for name, conc, resp in (("row", cr, y[:, 0]), ("column", cc, y[0, :])):
        if conc.size < 4:
            raise InputError(f"the {name} drug has {conc.size - 1} nonzero doses; Loewe and ZIP in fitted mode "
                             "fit a 4-parameter LL.4 curve and need at least 3 nonzero doses plus the zero dose")
        fits.append(fit_ll4(conc, resp, increasing=True))
    return _FittedCurve(fits[0]), _FittedCurve(fits[1]), fits[0], fits[1]


class _NoCurve(_Curve):
    """Placeholder where no curve is needed (HSA/Bliss in fitted mode)."""
