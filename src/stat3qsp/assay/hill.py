"""Four-parameter log-logistic (LL.4) dose-response curves: model, fit and inverse.

The parameterisation is the one of ``drc::LL.4`` as used by SynergyFinder (Ritz et al. 2015,
PLoS One 10:e0146021; Ianevski et al. 2017, Bioinformatics 33:2413), written with the slope sign
flipped so that a positive slope means a response that rises with concentration::

    response(c) = bottom + (top - bottom) / (1 + (c / ic50) ** (-slope)),   c > 0

with ``bottom <= top``. For ``slope > 0`` (inhibition-type curve) the response rises from
``bottom`` at ``c -> 0`` to ``top`` at ``c -> inf``; for ``slope < 0`` (viability-type curve) it
falls from ``top`` to ``bottom``. The zero dose is defined by its limit:
``response(0) = bottom`` if ``slope > 0`` and ``top`` if ``slope < 0``. drc's ``b`` equals
``-slope``, its ``c`` is ``bottom``, ``d`` is ``top`` and ``e`` is ``ic50``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize, special, stats

#: Names of the four LL.4 parameters, in the order used for confidence intervals.
PARAMETER_NAMES = ("bottom", "top", "ic50", "slope")

_LN10 = float(np.log(10.0))
_SLOPE_BOUNDS = (0.05, 20.0)  # |slope|: flatter or steeper curves are not resolvable from a dose series
_LOG10_IC50_MARGIN = 3.0  # ic50 may lie up to 3 decades outside the tested (nonzero) doses
_GRID_LOG10_IC50 = 25  # number of ic50 values in the starting-value grid
_GRID_SLOPES = (0.5, 1.0, 2.0, 4.0)


@dataclass(frozen=True)
class LL4Fit:
    """A fitted four-parameter log-logistic curve.

    Attributes
    ----------
    bottom, top : float
        Lower and upper asymptote (``bottom <= top``), in the units of the response.
    ic50 : float
        Concentration of the half-way response ``(bottom + top) / 2``, in the units of the doses.
    slope : float
        Hill slope; positive for a response rising with dose, negative for a falling one.
    r2 : float
        Coefficient of determination ``1 - SS_res / SS_tot`` (1.0 when the data are constant and
        fitted exactly, 0.0 when they are constant and not).
    rmse : float
        Root mean squared residual ``sqrt(SS_res / n)``.
    n : int
        Number of data points fitted.
    ci : dict of str to (float, float)
        95 % confidence interval per parameter name (:data:`PARAMETER_NAMES`), from the
        asymptotic covariance ``s^2 (J^T J)^-1`` with ``s^2 = SS_res / (n - p)`` and Student-t
        quantiles with ``n - p`` degrees of freedom (Seber & Wild 1989, Nonlinear Regression,
        ch. 5). The ic50 interval is computed on ``log10(ic50)`` and transformed back. A fixed
        parameter has the interval ``(value, value)``; without residual degrees of freedom
        (``n <= p``) every free parameter has ``(nan, nan)``.
    """

    bottom: float
    top: float
    ic50: float
    slope: float
    r2: float
    rmse: float
    n: int
    ci: dict[str, tuple[float, float]] = field(default_factory=dict)

    def predict(self, conc: ArrayLike) -> np.ndarray:
        """Response at the given concentrations (zero allowed, see the module docstring).

        Parameters
        ----------
        conc : array_like
            Concentrations, ``>= 0``, in the units of the fitted doses.

        Returns
        -------
        numpy.ndarray
            Responses, same shape as ``conc``; never NaN.

        Raises
        ------
        ValueError
            If a concentration is negative or not finite.
        """
        c = _as_concentrations(conc)
        return _ll4(c, self.bottom, self.top, np.log10(self.ic50), self.slope)

    def inverse(self, effect: ArrayLike) -> np.ndarray:
        """Concentration that gives ``effect``: ``ic50 * ((effect - bottom) / (top - effect)) ** (1 / slope)``.

        Parameters
        ----------
        effect : array_like
            Responses strictly between ``bottom`` and ``top``.

        Returns
        -------
        numpy.ndarray
            Concentrations, same shape as ``effect``; never NaN.

        Raises
        ------
        ValueError
            If an effect is not strictly inside ``(bottom, top)``, where the curve has no inverse.
        """
        y = np.asarray(effect, dtype=float)
        bad = ~((y > self.bottom) & (y < self.top))
        if np.any(bad):
            first = float(y[bad].flat[0])
            raise ValueError(
                f"effect {first!r} is outside the open range (bottom={self.bottom:g}, top={self.top:g}) "
                "of the curve; only effects strictly between its asymptotes have a concentration")
        with np.errstate(over="ignore"):
            log10_c = np.log10(self.ic50) + (np.log10(y - self.bottom) - np.log10(self.top - y)) / self.slope
            return np.power(10.0, log10_c)


def ll4(conc: ArrayLike, bottom: float, top: float, ic50: float, slope: float) -> np.ndarray:
    """Evaluate ``bottom + (top - bottom) / (1 + (conc / ic50) ** (-slope))``.

    Parameters
    ----------
    conc : array_like
        Concentrations ``>= 0``; zero gives ``bottom`` for ``slope > 0`` and ``top`` for
        ``slope < 0``.
    bottom, top, ic50, slope : float
        Curve parameters (module docstring); ``ic50 > 0``, ``slope != 0``.

    Returns
    -------
    numpy.ndarray
        Responses, same shape as ``conc``.
    """
    if not ic50 > 0 or slope == 0:
        raise ValueError(f"ic50 must be > 0 and slope nonzero, got ic50={ic50!r}, slope={slope!r}")
    return _ll4(_as_concentrations(conc), bottom, top, np.log10(ic50), slope)


def fit_ll4(conc: ArrayLike, response: ArrayLike, *, increasing: bool = True,
            bottom: float | None = None, top: float | None = None) -> LL4Fit:
    """Least-squares fit of the LL.4 curve to dose-response data.

    The fit runs on ``(bottom, top - bottom, log10(ic50), slope)`` with
    :func:`scipy.optimize.least_squares` (trust-region reflective, analytic Jacobian) and box
    bounds: ``top - bottom >= 0``; ``log10(ic50)`` within 3 decades of the nonzero doses;
    ``|slope|`` in [0.05, 20] with the sign set by ``increasing``; asymptotes within ten data
    ranges of the data. Starting values come from a grid over ``log10(ic50)`` and ``slope``, on
    which ``bottom`` and ``top`` (the model is linear in them) are solved by linear least squares;
    the three best grid points are refined and the lowest residual sum of squares is kept.

    Parameters
    ----------
    conc : array_like
        Concentrations ``>= 0``; zero-dose points are used through the curve's limit at zero.
    response : array_like
        Responses, same length as ``conc``.
    increasing : bool, optional
        True (default) for a response that rises with dose (``slope > 0``, e.g. % inhibition),
        False for one that falls (``slope < 0``, e.g. % viability).
    bottom, top : float, optional
        Fix the lower or upper asymptote at this value instead of fitting it (SynergyFinder's
        ``Emin``/``Emax`` arguments). Both fixed requires ``bottom <= top``.

    Returns
    -------
    LL4Fit

    Raises
    ------
    ValueError
        On non-finite or negative input, mismatched lengths, no nonzero dose, fewer points than
        free parameters, or fixed ``bottom > top``.
    """
    c = _as_concentrations(conc)
    y = np.asarray(response, dtype=float).ravel()
    c = c.ravel()
    if c.shape != y.shape:
        raise ValueError(f"conc and response differ in length: {c.size} vs {y.size}")
    if not np.all(np.isfinite(y)):
        raise ValueError("response contains a non-finite value; only finite numbers can be fitted")
    positive = c[c > 0]
    if positive.size == 0:
        raise ValueError("no nonzero concentration: an LL.4 curve needs at least one positive dose")
    if bottom is not None and top is not None and bottom > top:
        raise ValueError(f"fixed bottom={bottom!r} exceeds fixed top={top!r}")
    free = [name for name, fixed in (("bottom", bottom), ("top", top)) if fixed is None]
    n_free = len(free) + 2
    if y.size < n_free:
        raise ValueError(f"{y.size} data points cannot determine {n_free} free LL.4 parameters")

    sign = 1.0 if increasing else -1.0
    log_lo = float(np.log10(positive.min())) - _LOG10_IC50_MARGIN
    log_hi = float(np.log10(positive.max())) + _LOG10_IC50_MARGIN
    span = max(float(np.ptp(y)), 1e-6 * max(1.0, float(np.max(np.abs(y)))), 1e-9)
    y_lo = float(y.min()) - 10.0 * span
    y_hi = float(y.max()) + 10.0 * span
    if bottom is not None:
        y_lo, y_hi = min(y_lo, bottom), max(y_hi, bottom)
    if top is not None:
        y_lo, y_hi = min(y_lo, top), max(y_hi, top)

    model = _Model(c, y, sign, bottom, top, y_lo, y_hi, log_lo, log_hi)
    best = None
    for start in model.starts():
        result = optimize.least_squares(model.residuals, start, jac=model.jacobian, bounds=model.bounds,
                                        method="trf", x_scale="jac", ftol=1e-12, xtol=1e-12, gtol=1e-12,
                                        max_nfev=2000)
        if best is None or result.cost < best.cost:
            best = result
    assert best is not None
    return model.to_fit(best.x)


class _Model:
    """Residuals, Jacobian, bounds and starting values of one LL.4 fit (internal)."""

    def __init__(self, c: np.ndarray, y: np.ndarray, sign: float, bottom: float | None, top: float | None,
                 y_lo: float, y_hi: float, log_lo: float, log_hi: float) -> None:
        self.c, self.y, self.sign = c, y, sign
        self.fixed_bottom, self.fixed_top = bottom, top
        self.y_lo, self.y_hi, self.log_lo, self.log_hi = y_lo, y_hi, log_lo, log_hi
        slope_lo, slope_hi = _SLOPE_BOUNDS
        lo, hi = [], []
        if bottom is None and top is None:  # (bottom, top - bottom)
            lo += [y_lo, 0.0]
            hi += [y_hi, y_hi - y_lo]
        elif bottom is None:  # bottom only, <= fixed top
            lo.append(y_lo)
            hi.append(float(top))
        elif top is None:  # top only, >= fixed bottom
            lo.append(float(bottom))
            hi.append(y_hi)
        lo.append(log_lo)
        hi.append(log_hi)
        lo.append(slope_lo if sign > 0 else -slope_hi)
        hi.append(slope_hi if sign > 0 else -slope_lo)
        self.bounds = (np.array(lo), np.array(hi))

    def unpack(self, x: np.ndarray) -> tuple[float, float, float, float]:
        """Internal vector -> (bottom, top, log10 ic50, slope)."""
        if self.fixed_bottom is None and self.fixed_top is None:
            return x[0], x[0] + x[1], x[2], x[3]
        if self.fixed_bottom is None:
            return x[0], float(self.fixed_top), x[1], x[2]
        if self.fixed_top is None:
            return float(self.fixed_bottom), x[0], x[1], x[2]
        return float(self.fixed_bottom), float(self.fixed_top), x[0], x[1]

    def residuals(self, x: np.ndarray) -> np.ndarray:
        b, t, lg, s = self.unpack(x)
        return _ll4(self.c, b, t, lg, s) - self.y

    def natural_jacobian(self, b: float, t: float, lg: float, s: float) -> np.ndarray:
        """d response / d (bottom, top, log10 ic50, slope), shape (n, 4)."""
        frac = _fraction(self.c, lg, s)
        u = np.zeros_like(self.c)
        pos = self.c > 0
        u[pos] = np.log10(self.c[pos]) - lg
        dfrac = frac * (1.0 - frac) * _LN10  # d frac / d(s * u)
        return np.column_stack([1.0 - frac, frac, (t - b) * dfrac * (-s), (t - b) * dfrac * u])

    def jacobian(self, x: np.ndarray) -> np.ndarray:
        b, t, lg, s = self.unpack(x)
        jac = self.natural_jacobian(b, t, lg, s)
        if self.fixed_bottom is None and self.fixed_top is None:
            # d/d bottom at fixed span moves both asymptotes; d/d span moves top only
            return np.column_stack([jac[:, 0] + jac[:, 1], jac[:, 1], jac[:, 2], jac[:, 3]])
        keep = [i for i, fixed in enumerate((self.fixed_bottom, self.fixed_top)) if fixed is None] + [2, 3]
        return jac[:, keep]

    def starts(self) -> list[np.ndarray]:
        """The three best points of a (log10 ic50, slope) grid, asymptotes by linear least squares."""
        candidates = []
        for lg in np.linspace(self.log_lo + 2.0, self.log_hi - 2.0, _GRID_LOG10_IC50):
            for s in _GRID_SLOPES:
                slope = self.sign * s
                frac = _fraction(self.c, lg, slope)
                b, t = self._linear_asymptotes(frac)
                ssr = float(np.sum((b + (t - b) * frac - self.y) ** 2))
                candidates.append((ssr, b, t, lg, slope))
        candidates.sort(key=lambda item: item[0])
        starts = []
        for _, b, t, lg, slope in candidates[:3]:
            if self.fixed_bottom is None and self.fixed_top is None:
                x = np.array([b, t - b, lg, slope])
            elif self.fixed_bottom is None:
                x = np.array([b, lg, slope])
            elif self.fixed_top is None:
                x = np.array([t, lg, slope])
            else:
                x = np.array([lg, slope])
            lo, hi = self.bounds
            starts.append(np.clip(x, lo + 1e-9 * (hi - lo), hi - 1e-9 * (hi - lo)))
        return starts

    def _linear_asymptotes(self, frac: np.ndarray) -> tuple[float, float]:
        """Least-squares bottom and top for a given shape ``frac``, respecting fixed values and order."""
        fb, ft = self.fixed_bottom, self.fixed_top
        if fb is not None and ft is not None:
            return float(fb), float(ft)
        if fb is not None:
            denom = float(frac @ frac)
            t = fb + float(frac @ (self.y - fb)) / denom if denom > 0 else float(self.y.mean())
            return float(fb), max(t, float(fb))
        if ft is not None:
            w = 1.0 - frac
            denom = float(w @ w)
            b = ft - float(w @ (ft - self.y)) / denom if denom > 0 else float(self.y.mean())
            return min(b, float(ft)), float(ft)
        design = np.column_stack([1.0 - frac, frac])
        (b, t), *_ = np.linalg.lstsq(design, self.y, rcond=None)
        if t < b:
            b = t = float(self.y.mean())
        return float(np.clip(b, self.y_lo, self.y_hi)), float(np.clip(t, self.y_lo, self.y_hi))

    def to_fit(self, x: np.ndarray) -> LL4Fit:
        b, t, lg, s = (float(v) for v in self.unpack(x))
        resid = _ll4(self.c, b, t, lg, s) - self.y
        ss_res = float(resid @ resid)
        ss_tot = float(np.sum((self.y - self.y.mean()) ** 2))
        if ss_tot > 0:
            r2 = 1.0 - ss_res / ss_tot
        else:
            r2 = 1.0 if ss_res <= 1e-20 * max(1.0, float(self.y @ self.y)) else 0.0
        n = self.y.size
        jac = self.natural_jacobian(b, t, lg, s)
        free = [i for i, fixed in enumerate((self.fixed_bottom, self.fixed_top)) if fixed is None] + [2, 3]
        values = {"bottom": b, "top": t, "ic50": lg, "slope": s}
        ci = {"bottom": (b, b), "top": (t, t)}
        dof = n - len(free)
        if dof > 0:
            half = stats.t.ppf(0.975, dof) * np.sqrt(_covariance_diagonal(jac[:, free], ss_res / dof))
        else:
            half = np.full(len(free), np.nan)
        for i, h in zip(free, half):
            name = PARAMETER_NAMES[i]
            ci[name] = (float(values[name] - h), float(values[name] + h))
        with np.errstate(over="ignore"):  # an unidentifiable ic50 gets the interval (0, inf)
            ci["ic50"] = (float(np.power(10.0, ci["ic50"][0])), float(np.power(10.0, ci["ic50"][1])))
        ci = {name: ci[name] for name in PARAMETER_NAMES}
        return LL4Fit(bottom=b, top=t, ic50=10.0 ** lg, slope=s, r2=r2, rmse=float(np.sqrt(ss_res / n)),
                      n=n, ci=ci)


def _covariance_diagonal(jac: np.ndarray, s2: float) -> np.ndarray:
    """Diagonal of ``s2 (J^T J)^-1`` by SVD; parameters in a null direction of J get ``inf``."""
    _, sv, vt = np.linalg.svd(jac, full_matrices=False)
    tol = (sv.max() if sv.size else 0.0) * max(jac.shape) * np.finfo(float).eps
    ok = sv > tol
    var = s2 * np.sum((vt[ok] / sv[ok, None]) ** 2, axis=0)
    unidentified = np.any(np.abs(vt[~ok]) > 1e-8, axis=0)
    var[unidentified] = np.inf
    return var


def _as_concentrations(conc: ArrayLike) -> np.ndarray:
    c = np.asarray(conc, dtype=float)
    if not np.all(np.isfinite(c)) or np.any(c < 0):
        raise ValueError("concentrations must be finite and >= 0")
    return c


def _fraction(c: np.ndarray, log10_ic50: float, slope: float) -> np.ndarray:
    """``1 / (1 + (c / ic50) ** -slope)``, with its limit at ``c = 0``."""
    out = np.full(c.shape, 0.0 if slope > 0 else 1.0)
    pos = c > 0
    out[pos] = special.expit(slope * _LN10 * (np.log10(c[pos]) - log10_ic50))
    return out


def _ll4(c: np.ndarray, bottom: float, top: float, log10_ic50: float, slope: float) -> np.ndarray:
    return bottom + (top - bottom) * _fraction(c, log10_ic50, slope)
