"""Model-independent synergy scores of a two-drug dose-response matrix.

Conventions follow SynergyFinder (Ianevski et al. 2017 Bioinformatics 33:2413; 2020 Nucleic Acids
Res 48:W488; 2022 Nucleic Acids Res 50:W739; Zheng et al. 2022 Genomics Proteomics
Bioinformatics 20:587):

* the matrix holds % inhibition ``y`` (0 = untreated, 100 = full effect); row ``i`` has the row
  drug at ``conc_r[i]``, column ``j`` the column drug at ``conc_c[j]``; ``conc_r[0] = conc_c[0] = 0``
  so row 0 and column 0 are the single-agent responses;
* a score is ``observed - reference`` in percentage points; positive means synergy;
* wells without both drugs get ``reference = observed`` and score 0 (as SynergyFinder does);
* the summary score of a method is the mean of its scores over the wells with both drugs
  (``conc_r > 0`` and ``conc_c > 0``), NaN ignored.

References (``y1 = y_r(conc_r[i])``, ``y2 = y_c(conc_c[j])``: single-agent % inhibition)

HSA (Berenbaum 1989, Pharmacol Rev 41:93)
    ``reference = max(y1, y2)``
Bliss (Bliss 1939, Ann Appl Biol 26:585)
    ``reference = y1 + y2 - y1 * y2 / 100``
Loewe (Loewe 1953, Arzneimittelforschung 3:285)
    ``reference = y`` solving ``conc_r / X_r(y) + conc_c / X_c(y) = 1``, ``X`` the inverse of a
    drug's single-agent curve. Where ``y`` is beyond what one drug alone can reach (``X``
    infinite) that drug's term is 0 and the well is flagged ``loewe_undefined``; fitted mode uses
    SynergyFinder 3's solver and fallback instead; see :func:`score_matrix`.
ZIP (Yadav et al. 2015, Comput Struct Biotechnol J 13:504)
    ``reference = y1 + y2 - y1 * y2 / 100`` from the single-agent *curves*, and the observed side
    smoothed by LL.4 fits along rows and columns; see :func:`zip_scores`.

Single-agent references come from one of two modes. ``reference="fitted"`` (SynergyFinder): HSA
and Bliss use the observed row 0 / column 0 of the matrix, Loewe and ZIP use LL.4 curves
(:func:`stat3qsp.hill.fit_ll4`, zero-dose well included) fitted to them. ``reference="exact"``: the
caller passes the true single-agent curves as callables ``conc -> % inhibition`` (non-decreasing in
concentration); all four methods use them. Loewe's isobole is solved on them with few curve
evaluations (:mod:`stat3qsp.assay.synergy.loewe_exact`: tabulated curves give the start, Brent's
method on the exact curves the root), and where a well is not interior by nesting
:func:`scipy.optimize.brentq` in ``y`` around inversions on log10 concentration. Every result names its mode.

MuSyC (:func:`fit_musyc`), the Chou-Talalay combination index (:func:`combination_index`) and
SynergyFinder's most synergistic area (:func:`most_synergistic_area`) are separate functions.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import optimize

from stat3qsp.assay import columns as col
from stat3qsp.assay.hill import LL4Fit, fit_ll4
from stat3qsp.assay.synergy.matrix import _check_matrix, _mean, check_methods
from stat3qsp.assay.synergy.curves import EXACT, FITTED, SingleAgent, _Curve, _single_agents
from stat3qsp.assay.synergy.names import BLISS, HSA, LOEWE, SCORE_METHODS, ZIP
from stat3qsp.assay.synergy.loewe_exact import NodeTable, interior_reference

_LOEWE_GRID_STEPS = 100  # SynergyFinder's .SolveLoewe nsteps (R/calculate_synergy_score.R line 864)


@dataclass(frozen=True)
class MatrixScores:
    """Scores of one dose matrix (:func:`score_matrix`).

    Attributes
    ----------
    wells : pandas.DataFrame
        One row per well, row-major (``conc_r`` outer): ``conc_r, conc_c, inhibition``, then
        ``<method>_reference`` and ``<method>_score`` per method, ``loewe_undefined`` (if Loewe),
        ``zip_fit`` (if ZIP) and ``reference_mode``.
    summary : dict of str to float
        Method -> mean score over the wells with both drugs.
    reference : str
        ``"fitted"`` or ``"exact"``.
    fit_r, fit_c : LL4Fit or None
        Single-agent LL.4 fits of the row and column drug (fitted mode with Loewe or ZIP).
    shape : tuple of int
        ``(n_r, n_c)`` of the matrix.
    """

    wells: pd.DataFrame
    summary: dict[str, float]
    reference: str
    fit_r: LL4Fit | None
    fit_c: LL4Fit | None
    shape: tuple[int, int]

    def grid(self, column: str) -> np.ndarray:
        """A per-well column as an ``(n_r, n_c)`` array (e.g. ``grid("zip_score")``)."""
        return self.wells[column].to_numpy().reshape(self.shape)


def score_matrix(conc_r: ArrayLike, conc_c: ArrayLike, inhibition: ArrayLike, *,
                 methods: Sequence[str] = SCORE_METHODS, reference: str = FITTED,
                 single_r: SingleAgent | None = None, single_c: SingleAgent | None = None) -> MatrixScores:
    """HSA, Bliss, Loewe and ZIP scores of an ``n_r x n_c`` % inhibition matrix.

    Parameters
    ----------
    conc_r, conc_c : array_like
        Strictly increasing concentrations of the row and column drug, starting at 0.
    inhibition : array_like
        ``(n_r, n_c)`` % inhibition; ``inhibition[i, j]`` is the well at ``(conc_r[i], conc_c[j])``.
    methods : sequence of str, optional
        Any of ``"hsa", "bliss", "loewe", "zip"`` (default all).
    reference : {"fitted", "exact"}, optional
        Where single-agent references come from (module docstring).
    single_r, single_c : callable, optional
        Exact single-agent curves, required for ``reference="exact"`` and refused otherwise.

    Returns
    -------
    MatrixScores

    Notes
    -----
    Loewe rule where one drug cannot reach the reference effect ``y`` (``y`` at or above its top
    asymptote, so ``X(y)`` is infinite): that drug's term ``c / X(y)`` is 0, i.e. its dose adds
    nothing beyond its maximal effect, and the well's ``loewe_undefined`` is True. The reference is
    then the other drug's own effect at its own dose. Fitted mode follows SynergyFinder 3 instead
    (:func:`_loewe_grid`): where neither drug alone reaches the *observed* effect the reference is
    ``max(y_r(c_r + c_c), y_c(c_r + c_c))`` (flagged), and the isobole is solved on SynergyFinder's
    100-step grid of effects. Exact mode never adds concentrations of different drugs and caps the
    reference at 100.

    Raises
    ------
    InputError
        On a malformed matrix, unknown method or mode, missing or superfluous curves, or (fitted
        Loewe/ZIP) fewer than 4 single-agent points per drug for the LL.4 fit.
    """
    cr, cc, y = _check_matrix(conc_r, conc_c, inhibition)
    methods = check_methods(methods, SCORE_METHODS)
    curve_r, curve_c, fit_r, fit_c = _single_agents(cr, cc, y, reference, single_r, single_c,
                                                    need_curves=LOEWE in methods or ZIP in methods)
    if reference == EXACT:
        y1, y2 = curve_r.value(cr), curve_c.value(cc)
    else:
        y1, y2 = y[:, 0], y[0, :]
    both = np.zeros(y.shape, dtype=bool)
    both[1:, 1:] = True
    r_grid, c_grid = np.meshgrid(cr, cc, indexing="ij")
    table: dict[str, np.ndarray] = {col.CONC_R: r_grid.ravel(), col.CONC_C: c_grid.ravel(),
                                    col.INHIBITION: y.ravel()}
    extra: dict[str, np.ndarray] = {}
    summary: dict[str, float] = {}
    for method in methods:
        if method == HSA:
            ref = np.maximum(y1[:, None], y2[None, :])
        elif method == BLISS:
            ref = y1[:, None] + y2[None, :] - y1[:, None] * y2[None, :] / 100.0
        elif method == LOEWE:
            ref, undefined = _loewe_grid(cr, cc, curve_r, curve_c, y if reference == FITTED else None)
            extra[col.LOEWE_UNDEFINED] = np.where(both, undefined, False).ravel()
        else:
            base_r, base_c = curve_r.value(cr), curve_c.value(cc)
            fit_grid, ref = zip_scores(cr, cc, y, base_r, base_c,
                                       y[:, 0] if reference == FITTED else base_r,
                                       y[0, :] if reference == FITTED else base_c)
            extra[col.ZIP_FIT] = np.where(both, fit_grid, y).ravel()
        ref = np.where(both, ref, y)
        observed = np.asarray(extra[col.ZIP_FIT]).reshape(y.shape) if method == ZIP else y
        score = observed - ref
        table[method + col.REFERENCE_SUFFIX] = ref.ravel()
        table[method + col.SCORE_SUFFIX] = score.ravel()
        summary[method] = _mean(score[both])
    table.update(extra)
    wells = pd.DataFrame(table)
    wells[col.REFERENCE_MODE] = reference
    return MatrixScores(wells=wells, summary=summary, reference=reference, fit_r=fit_r, fit_c=fit_c,
                        shape=y.shape)


def _loewe_reference(c1: float, c2: float, curve1: "_Curve", curve2: "_Curve") -> tuple[float, bool]:
    """Loewe-additive % inhibition of one well with both drugs present.

    Solves ``c1 / X1(y) + c2 / X2(y) = 1`` for ``y`` by :func:`scipy.optimize.brentq` inside the
    bracket ``[max(y1(c1), y2(c2)), max(y1(2 c1), y2(2 c2))]``, which holds the root: at the lower
    end the stronger drug's term is 1 and the other's >= 0; at the upper end one term is 1/2 and
    the other at most 1/2. (A flat curve, whose term drops from infinity to 0 at its level, puts
    the root at the lower end.)

    Rule where a drug cannot reach ``y`` (``y`` at or above its top asymptote, ``X(y)`` infinite):
    its term is taken as 0, i.e. its dose adds nothing beyond its maximal effect, and the well is
    flagged ``loewe_undefined``. The left side stays continuous and decreasing in ``y``, so the
    root is unique; it then equals the other drug's own effect at its own dose (never an effect at
    a sum of the two drugs' concentrations). The result is capped at 100 as in SynergyFinder.

    Returns
    -------
    (float, bool)
        Reference % inhibition and the ``loewe_undefined`` flag.
    """
    lo = max(float(curve1.value(np.array([c1]))[0]), float(curve2.value(np.array([c2]))[0]))
    hi = max(float(curve1.value(np.array([2 * c1]))[0]), float(curve2.value(np.array([2 * c2]))[0]))

    def excess(y: float) -> float:
        return _ratio(c1, curve1.dose(y)) + _ratio(c2, curve2.dose(y)) - 1.0

    if hi <= lo or excess(lo) <= 0.0:
        root = lo
    elif excess(hi) >= 0.0:
        root = hi
    else:
        root = optimize.brentq(excess, lo, hi, xtol=1e-13, rtol=4 * np.finfo(float).eps, maxiter=500)
    undefined = bool(np.isinf(curve1.dose(root)) or np.isinf(curve2.dose(root)))
    return min(root, 100.0), undefined


def zip_scores(conc_r: np.ndarray, conc_c: np.ndarray, inhibition: np.ndarray, base_r: np.ndarray,
               base_c: np.ndarray, line_r: np.ndarray | None = None,
               line_c: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """SynergyFinder's ZIP procedure: smoothed observed surface and ZIP reference.

    Follows ``ZIP`` of the synergyfinder R package 3.7.3 (SynergyFinder 3; Zheng et al. 2022,
    file R/calculate_synergy_score.R lines 332-412), which implements Yadav et al. 2015:

    1. ``base_r[i]``, ``base_c[j]``: single-agent % inhibition of the row drug at ``conc_r[i]``
       and of the column drug at ``conc_c[j]`` (fitted LL.4 curves, or exact curves).
    2. For each column ``j >= 1`` the observed ``inhibition[:, j]`` (zero dose included) is
       fitted against ``conc_r`` with an LL.4 curve that starts at ``line_c[j]`` (the column drug
       alone: SynergyFinder's ``condition_baseline``, the *observed* well; default ``base_c``)
       and ends at a free asymptote (SynergyFinder's ``Emax = NA``); its fitted values form
       ``col_fit[1:, j]``.
    3. Likewise each row ``i >= 1``: ``inhibition[i, :]`` against ``conc_c``, starting at
       ``line_r[i]``, gives ``row_fit[i, 1:]``.
    4. ``zip_fit = (row_fit + col_fit) / 2``; ``reference = base_r[i] + base_c[j] - base_r[i] *
       base_c[j] / 100``; the delta score is ``zip_fit - reference``.

    A line with a single nonzero dose is not fitted (its observed values are used). drc's
    unconstrained LL.4 may rise or fall from its start; here a rising curve
    (:func:`stat3qsp.assay.hill.fit_ll4`, with its bounds on slope and ic50) is fitted, and where
    the line's mean lies below its start or the rising fit is flat, also a falling one; the lower
    residual sum of squares is kept.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        ``zip_fit`` and ``reference``, each ``(n_r, n_c)``; row 0 and column 0 are NaN.
    """
    n_r, n_c = inhibition.shape
    line_r = base_r if line_r is None else line_r
    line_c = base_c if line_c is None else line_c
    col_fit = np.full((n_r, n_c), np.nan)
    row_fit = np.full((n_r, n_c), np.nan)
    for j in range(1, n_c):
        col_fit[1:, j] = _zip_line(conc_r, inhibition[:, j], float(line_c[j]))[1:]
    for i in range(1, n_r):
        row_fit[i, 1:] = _zip_line(conc_c, inhibition[i, :], float(line_r[i]))[1:]
    reference = base_r[:, None] + base_c[None, :] - base_r[:, None] * base_c[None, :] / 100.0
    reference[0, :] = np.nan
    reference[:, 0] = np.nan
    return (row_fit + col_fit) / 2.0, reference


@dataclass(frozen=True)
class SynergisticArea:
    """A ``size x size`` window of a score matrix (Python slice bounds, stop exclusive)."""

    row_start: int
    row_stop: int
    col_start: int
    col_stop: int
    mean: float


def most_synergistic_area(scores_2d: ArrayLike, size: int = 3) -> SynergisticArea:
    """SynergyFinder's most synergistic area: the ``size x size`` window of highest mean score.

    As in the SynergyFinder web application (Ianevski et al. 2017, ``calcsyn`` in
    CalcPlotSynergy.R): the windows slide over the whole score matrix (the zero-dose row and
    column, whose scores are 0, included), the window mean ignores NaN, windows are visited with
    the row start in the outer loop and the column start in the inner loop (SynergyFinder's loop
    over its transposed matrix), and the first window with the strictly highest mean wins.
    Windows without any finite score are skipped. Unlike ``calcsyn``, the highest-dose well is not
    replaced by the maximum of its neighbours (SynergyFinder does that for its plot).

    Parameters
    ----------
    scores_2d : array_like
        ``(n_r, n_c)`` scores, e.g. ``MatrixScores.grid("zip_score")``.
    size : int, optional
        Window edge (default 3).

    Returns
    -------
    SynergisticArea

    Raises
    ------
    ValueError
        If the matrix is smaller than the window or holds no finite score.
    """
    s = np.asarray(scores_2d, dtype=float)
    if s.ndim != 2 or size < 1 or s.shape[0] < size or s.shape[1] < size:
        raise ValueError(f"a {size} x {size} window does not fit a matrix of shape {s.shape}")
    best: SynergisticArea | None = None
    for i in range(s.shape[0] - size + 1):
        for j in range(s.shape[1] - size + 1):
            window = s[i:i + size, j:j + size]
            if not np.any(np.isfinite(window)):
                continue
            mean = float(np.nanmean(window))
            if best is None or mean > best.mean:
                best = SynergisticArea(i, i + size, j, j + size, mean)
    if best is None:
        raise ValueError("the score matrix holds no finite value")
    return best


def _loewe_grid(cr: np.ndarray, cc: np.ndarray, curve_r: _Curve, curve_c: _Curve,
                observed: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Loewe references of the wells with both drugs; ``observed`` given: SynergyFinder's fallback.

    SynergyFinder 3 (R/calculate_synergy_score.R lines 643-654) first asks whether either drug
    alone can reach the *observed* response of the well; where neither can (the observed value is
    above both top asymptotes), its reference is ``max(y_r(c_r + c_c), y_c(c_r + c_c))`` instead
    of the isobole solution. With ``observed`` (fitted mode) that rule is applied and the well is
    flagged ``loewe_undefined``; without it (exact mode) every well is solved on the isobole.
    Fitted mode also solves the isobole as SynergyFinder does (:func:`_loewe_on_grid`: the best of
    100 effects evenly spaced between the lowest and highest asymptote of the two fits), exact
    mode to machine precision (:func:`_exact_loewe`).
    """
    ref = np.full((cr.size, cc.size), np.nan)
    undefined = np.zeros((cr.size, cc.size), dtype=bool)
    if observed is None:
        tables = (NodeTable(curve_r._at, curve_r.top_dose), NodeTable(curve_c._at, curve_c.top_dose))
    if observed is not None:
        fits = [curve.fit for curve in (curve_r, curve_c)]
        y_test = np.linspace(min(f.bottom for f in fits), max(f.top for f in fits), _LOEWE_GRID_STEPS)
    for i in range(1, cr.size):
        for j in range(1, cc.size):
            if observed is not None and np.isinf(curve_r.dose(float(observed[i, j]))) \
                    and np.isinf(curve_c.dose(float(observed[i, j]))):
                total = np.array([cr[i] + cc[j]])
                ref[i, j] = max(float(curve_r.value(total)[0]), float(curve_c.value(total)[0]))
                undefined[i, j] = True
                continue
            if observed is not None:
                ref[i, j], undefined[i, j] = _loewe_on_grid(float(cr[i]), float(cc[j]), curve_r, curve_c, y_test)
            else:
                ref[i, j], undefined[i, j] = _exact_loewe(float(cr[i]), float(cc[j]), curve_r, curve_c, tables)
    return ref, undefined


def _exact_loewe(c1: float, c2: float, curve1: _Curve, curve2: _Curve, tables) -> tuple[float, bool]:
    """Exact mode's reference of one well: the cheap solver on the tabulated curves
    (:mod:`stat3qsp.assay.synergy.loewe_exact`) where the well is interior, else :func:`_loewe_reference`."""
    lo = max(curve1._at(c1), curve2._at(c2))
    hi = max(curve1._at(2 * c1), curve2._at(2 * c2))
    found = interior_reference(c1, c2, (curve1._at, curve2._at), tables, lo, hi)
    if found is not None:
        return found, False
    return _loewe_reference(c1, c2, curve1, curve2)


def _loewe_on_grid(c1: float, c2: float, curve1: _Curve, curve2: _Curve, y_test: np.ndarray) -> tuple[float, bool]:
    """SynergyFinder's ``.SolveLoewe`` (R/calculate_synergy_score.R lines 864-901): of the test
    effects ``y_test``, the first that minimises ``|c1 / X1(y) + c2 / X2(y) - 1|``."""
    dist = np.array([abs(_ratio(c1, curve1.dose(float(v))) + _ratio(c2, curve2.dose(float(v))) - 1.0)
                     for v in y_test])
    root = float(y_test[int(np.argmin(dist))])
    return root, bool(np.isinf(curve1.dose(root)) or np.isinf(curve2.dose(root)))


def _zip_line(doses: np.ndarray, observed: np.ndarray, start: float) -> np.ndarray:
    """LL.4 through ``(0, start)`` to a free asymptote, rising or falling, whichever fits better."""
    if doses.size < 3:
        return observed.astype(float)
    rising = fit_ll4(doses, observed, increasing=True, bottom=start)
    if float(np.mean(observed[1:])) >= start and rising.top - start > 1e-9 * (1.0 + abs(start)):
        return rising.predict(doses)  # a line above its start that a rising curve follows: no falling fit needed
    fits = [rising, fit_ll4(doses, observed, increasing=False, top=start)]
    best = min(fits, key=lambda f: float(np.sum((f.predict(doses) - observed) ** 2)))
    return best.predict(doses)


def _ratio(c: float, x: float) -> float:
    if np.isinf(x):
        return 0.0
    if x <= 0.0:
        return np.inf
    return c / x


