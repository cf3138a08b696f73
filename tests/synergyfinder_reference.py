"""An independent, line-by-line reimplementation of SynergyFinder 3's ZIP and Loewe (test reference only).

There is no R on this machine, so SynergyFinder 3 (R package synergyfinder 3.7.3,
github.com/shuyuzheng/synergyfinder, commit ea2d246) cannot be run. This module restates its
code step by step, each step citing the R line it follows, and the drc package it calls
(github.com/DoseResponse/drc, the drc 3.x sources). It shares no code with stat3qsp: the
tests compare stat3qsp's scores with it on surfaces that are not in the library's own tests.

drc::drm(response ~ dose, fct = LL.4(fixed = c(NA, Emin, Emax, NA)))
    Model (drc R/llogistic.R): ``f(x) = c + (d - c) / (1 + exp(b (log x - log e)))``, no bounds
    (drc R/drmOpt.R: unconstrained ``optim`` unless lower/upper limits are given; SynergyFinder
    gives none, R/fit_dose_response_model.R lines 80-89). Start (drc R/llogistic.ssf.R, method
    "1" default): ``c, d`` from ``findcd`` (R/findcd.r: range of y widened by 0.001 of its
    length on each side; fixed values are not used by the self-starter, "useFixed ... not
    implemented"), ``b, e`` from ``findbe1`` (R/findbe.r: linear regression of
    ``log((d - y) / (y - c))`` on ``log x`` over x > 0; ``b`` = slope, ``e = exp(-intercept / b)``).
    drc then minimises the residual sum of squares from this start with BFGS (relTol 1e-7); here
    the same sum is minimised from the same start with Levenberg-Marquardt
    (scipy ``least_squares(method="lm")``): the same local minimum, to within drc's tolerance.
"""
from __future__ import annotations

import numpy as np
from scipy import optimize


def drc_ll4(dose, response, c_fixed=None, d_fixed=None):
    """drc LL.4 fit; returns ``(b, c, d, e)`` (drc's names)."""
    x = np.asarray(dose, dtype=float)
    y = np.asarray(response, dtype=float).copy()
    if y.size != 1 and np.var(y) == 0:  # fit_dose_response_model.R lines 76-79
        y[-1] += 1e-10
    lo, hi = y.min(), y.max()  # drc findcd.r
    c0, d0 = lo - 0.001 * (hi - lo), hi + 0.001 * (hi - lo)
    pos = x > 0  # drc findbe.r findbe1: lm(log((d - y)/(y - c)) ~ log(x)), log(0) -> NA dropped
    slope, intercept = np.polyfit(np.log(x[pos]), np.log((d0 - y[pos]) / (y[pos] - c0)), 1)
    b0, e0 = slope, np.exp(-intercept / slope)
    start = [b0] + ([c0] if c_fixed is None else []) + ([d0] if d_fixed is None else []) + [e0]

    def unpack(p, log_e):
        p = list(p)
        b = p.pop(0)
        c = p.pop(0) if c_fixed is None else c_fixed
        d = p.pop(0) if d_fixed is None else d_fixed
        e = p.pop(0)
        return b, c, d, (np.exp(e) if log_e else e)

    def fit(log_e):
        x0 = start[:-1] + [np.log(e0) if log_e else e0]
        res = optimize.least_squares(lambda p: ll4_drc(x, *unpack(p, log_e)) - y, x0, method="lm",
                                     xtol=1e-14, ftol=1e-14, gtol=1e-14, max_nfev=20000)
        return unpack(res.x, log_e)

    b, c, d, e = fit(log_e=False)
    if not (np.isfinite(e) and e > 0):
        # log(e) of LL.4 is NaN in R, drm fails, and FitDoseResponse refits the L.4 model on log(dose)
        # (fit_dose_response_model.R lines 90-101): the same curve with e on the log scale
        b, c, d, e = fit(log_e=True)
    return b, c, d, e


def ll4_drc(x, b, c, d, e):
    """drc R/llogistic.R with f = 1; log(0) = -Inf gives c for b < 0 and d for b > 0, as in R."""
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        z = np.exp(b * (np.log(x) - np.log(e)))
    return c + (d - c) / (1.0 + z)


def zip_sf3(conc_r, conc_c, y):
    """CalculateZIP, R/calculate_synergy_score.R lines 332-412; returns ``(zip_fit, zip_ref)``."""
    n_r, n_c = y.shape
    # lines 342-361: single drugs (ExtractSingleDrug keeps the zero-dose well), free LL.4, Bliss of predictions
    p_r = ll4_drc(conc_r, *drc_ll4(conc_r, y[:, 0]))
    p_c = ll4_drc(conc_c, *drc_ll4(conc_c, y[0, :]))
    ref = (1 - (1 - p_r[:, None] / 100) * (1 - p_c[None, :] / 100)) * 100
    # lines 364-385: per conc column, nest by the other drugs' doses; fit with Emin = observed response at dose 0
    # (condition_baseline), Emax = NA; predict at the group's own doses (zero included)
    pred_r = np.empty_like(y)  # fitted along the row drug, column drug fixed
    pred_c = np.empty_like(y)
    for j in range(n_c):
        pred_r[:, j] = ll4_drc(conc_r, *drc_ll4(conc_r, y[:, j], c_fixed=y[0, j]))
    for i in range(n_r):
        pred_c[i, :] = ll4_drc(conc_c, *drc_ll4(conc_c, y[i, :], c_fixed=y[i, 0]))
    fit = (pred_r + pred_c) / 2  # line 390 rowMeans of the pred columns
    fit[0, :], fit[:, 0] = y[0, :], y[:, 0]  # lines 397-404: non-combination wells take the response
    ref[0, :], ref[:, 0] = y[0, :], y[:, 0]
    return fit, ref


def _solve_dose(yv, b, c, d, e):
    """.SolveExpDoesLL4, lines 778-786."""
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        res = e * (((yv - d) / (c - yv)) ** (1 / b))
    if np.isnan(res):
        res = np.inf if yv > max(d, c) else 0.0
    return res


def loewe_sf3(conc_r, conc_c, y, nsteps=100):
    """Loewe, lines 613-670 with .SolveLoewe lines 864-901; returns the reference ``y_loewe``."""
    pars = [drc_ll4(conc_r, y[:, 0]), drc_ll4(conc_c, y[0, :])]  # lines 623-630
    ref = y.astype(float).copy()  # lines 638-640: single-drug wells keep the response
    min_y = min(min(p[1], p[2]) for p in pars)  # line 871
    max_y = max(max(p[1], p[2]) for p in pars)  # line 873
    y_test = np.linspace(min_y, max_y, nsteps)  # line 874
    x_test = np.array([[_solve_dose(v, *p) for v in y_test] for p in pars])  # lines 876-888
    for i in range(1, y.shape[0]):
        for j in range(1, y.shape[1]):
            x = np.array([conc_r[i], conc_c[j]])
            x_cap = [_solve_dose(y[i, j], *p) for p in pars]  # lines 643-645: the observed response
            if not np.any(np.isfinite(x_cap)):  # lines 647-654: max single-drug response at sum(x)
                ref[i, j] = max(ll4_drc(np.array([x.sum()]), *p)[0] for p in pars)
                continue
            with np.errstate(divide="ignore", invalid="ignore"):
                dist = np.abs(np.sum(x[:, None] / x_test, axis=0) - 1)  # line 893
            dist[np.isnan(dist)] = np.inf  # min(dist, na.rm = TRUE), line 897
            ref[i, j] = y_test[np.flatnonzero(dist == dist.min())[0]]  # line 897: first minimum
    return ref
