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
    infinite) that drug's term is 0 and the well is flagged ``loewe_undefined``; see
    :func:`score_matrix`.
ZIP (Yadav et al. 2015, Comput Struct Biotechnol J 13:504)
    ``reference = y1 + y2 - y1 * y2 / 100`` from the single-agent *curves*, and the observed side
    smoothed by LL.4 fits along rows and columns; see :func:`zip_scores`.

Single-agent references come from one of two modes. ``reference="fitted"`` (SynergyFinder): HSA
and Bliss use the observed row 0 / column 0 of the matrix, Loewe and ZIP use LL.4 curves
(:func:`stat3qsp.hill.fit_ll4`, zero-dose well included) fitted to them. ``reference="exact"``: the
caller passes the true single-agent curves as callables ``conc -> % inhibition`` (non-decreasing in
concentration); all four methods use them, and their inverses are found with
:func:`scipy.optimize.brentq` on log10 concentration. Every result names its mode.

MuSyC (:func:`fit_musyc`), the Chou-Talalay combination index (:func:`combination_index`) and
SynergyFinder's most synergistic area (:func:`most_synergistic_area`) are separate functions.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import optimize, special

from stat3qsp import columns as col
from stat3qsp.errors import InputError
from stat3qsp.hill import LL4Fit, fit_ll4

HSA = "hsa"
"""Highest single agent."""
BLISS = "bliss"
"""Bliss independence."""
LOEWE = "loewe"
"""Loewe additivity."""
ZIP = "zip"
"""Zero interaction potency."""
SCORE_METHODS = (HSA, BLISS, LOEWE, ZIP)
"""Methods of :func:`score_matrix`."""
FITTED = "fitted"
"""Reference mode: single agents from the matrix (observed row/column, LL.4 fits)."""
EXACT = "exact"
"""Reference mode: single agents from caller-supplied exact curves."""

SingleAgent = Callable[[float], float]
"""An exact single-agent curve: concentration -> % inhibition, non-decreasing."""

_EXACT_SEARCH_DECADES = 12  # an exact curve that does not reach y within 1e12 x the top dose never does


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
    then the other drug's own effect at its own dose. SynergyFinder (``CalculateLoewe``) instead
    falls back, when its Newton solver fails, to ``max(y_r(c_r + c_c), y_c(c_r + c_c))``, which adds
    concentrations of different drugs; this is not done here. Both cap the reference at 100.

    Raises
    ------
    InputError
        On a malformed matrix, unknown method or mode, missing or superfluous curves, or (fitted
        Loewe/ZIP) fewer than 4 single-agent points per drug for the LL.4 fit.
    """
    cr, cc, y = _check_matrix(conc_r, conc_c, inhibition)
    methods = _check_methods(methods)
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
            ref, undefined = _loewe_grid(cr, cc, curve_r, curve_c)
            extra[col.LOEWE_UNDEFINED] = np.where(both, undefined, False).ravel()
        else:
            fit_grid, ref = zip_scores(cr, cc, y, curve_r.value(cr), curve_c.value(cc))
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
               base_c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SynergyFinder's ZIP procedure: smoothed observed surface and ZIP reference.

    Follows ``CalculateZIP`` of the synergyfinder R package (Zheng, He, Tang; v2, file
    R/calculate_synergy_score.R), which implements Yadav et al. 2015:

    1. ``base_r[i]``, ``base_c[j]``: single-agent % inhibition of the row drug at ``conc_r[i]``
       and of the column drug at ``conc_c[j]`` (fitted LL.4 curves, or exact curves).
    2. For each column ``j >= 1`` the observed ``inhibition[1:, j]`` is fitted against
       ``conc_r[1:]`` with an LL.4 curve whose bottom is fixed at ``base_c[j]`` (the column drug
       alone) and top at 100; its fitted values form ``col_fit[1:, j]``.
    3. Likewise each row ``i >= 1``: ``inhibition[i, 1:]`` against ``conc_c[1:]`` with bottom
       ``base_r[i]`` and top 100 gives ``row_fit[i, 1:]``.
    4. ``zip_fit = (row_fit + col_fit) / 2``; ``reference = base_r[i] + base_c[j] - base_r[i] *
       base_c[j] / 100``; the delta score is ``zip_fit - reference``.

    A row or column with a single nonzero dose is not fitted (its observed values are used), as in
    SynergyFinder. Known differences: the LL.4 fit rises with dose (slope > 0; drc may also fit a
    falling curve between the fixed asymptotes), and where the fixed bottom is >= 100 the fit is
    the constant bottom.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        ``zip_fit`` and ``reference``, each ``(n_r, n_c)``; row 0 and column 0 are NaN.
    """
    n_r, n_c = inhibition.shape
    col_fit = np.full((n_r, n_c), np.nan)
    row_fit = np.full((n_r, n_c), np.nan)
    for j in range(1, n_c):
        col_fit[1:, j] = _zip_line(conc_r[1:], inhibition[1:, j], float(base_c[j]))
    for i in range(1, n_r):
        row_fit[i, 1:] = _zip_line(conc_c[1:], inhibition[i, 1:], float(base_r[i]))
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


# --- MuSyC -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MusycFit:
    """MuSyC parameters fitted to a dose matrix (:func:`fit_musyc`).

    Drug 1 is the row drug, drug 2 the column drug. Effects ``E0..E3`` are in % viability
    (``100 - % inhibition``), so drugs lower ``E``. ``alpha12 > 1``: drug 1 makes drug 2 more
    potent; ``alpha21 > 1``: drug 2 makes drug 1 more potent; ``beta > 0``: the combination's
    maximal effect exceeds the stronger drug's (synergistic efficacy, ``E3 < min(E1, E2)``);
    ``gamma12 > 1``: drug 1 steepens drug 2's curve; ``gamma21`` likewise for drug 1.
    ``r2``/``rmse`` describe the fit on the viability scale; ``cost`` is half the residual sum
    of squares of the best of ``n_starts`` starts.
    """

    E0: float
    E1: float
    E2: float
    E3: float
    C1: float
    C2: float
    h1: float
    h2: float
    alpha12: float
    alpha21: float
    gamma12: float
    gamma21: float
    beta: float
    log10_alpha12: float
    log10_alpha21: float
    r2: float
    rmse: float
    cost: float
    n: int
    n_starts: int
    fit_gamma: bool

    def predict(self, conc_r: ArrayLike, conc_c: ArrayLike) -> np.ndarray:
        """% viability of the fitted surface at paired concentrations (broadcast)."""
        return musyc_effect(conc_r, conc_c, E0=self.E0, E1=self.E1, E2=self.E2, E3=self.E3, C1=self.C1,
                            C2=self.C2, h1=self.h1, h2=self.h2, alpha12=self.alpha12, alpha21=self.alpha21,
                            gamma12=self.gamma12, gamma21=self.gamma21)


def musyc_effect(d1: ArrayLike, d2: ArrayLike, *, E0: float, E1: float, E2: float, E3: float, C1: float,
                 C2: float, h1: float, h2: float, alpha12: float = 1.0, alpha21: float = 1.0,
                 gamma12: float = 1.0, gamma21: float = 1.0) -> np.ndarray:
    """Steady-state 2D Hill equation of MuSyC (Meyer et al. 2019 Cell Syst 8:97; Wooten et al. 2021
    Nat Commun 12:4607).

    Cells move between four states: unaffected ``U``, affected by drug 1 only ``A1``, by drug 2
    only ``A2``, by both ``A12``; each state has the effect ``E0, E1, E2, E3``. Transitions
    (forward rates, all reverse rates equal to 1)::

        U  -> A1 : a1 = (d1 / C1) ** h1                   A2 -> A12 : b1 = (alpha21 d1 / C1) ** (gamma21 h1)
        U  -> A2 : a2 = (d2 / C2) ** h2                   A1 -> A12 : b2 = (alpha12 d2 / C2) ** (gamma12 h2)

    The steady state of this chain (matrix-tree theorem on its four-state cycle) gives::

        E = (wU E0 + w1 E1 + w2 E2 + w12 E3) / (wU + w1 + w2 + w12)
        wU  = 2 + b1 + b2
        w1  = a1 (2 + b1) + a2 b1
        w2  = a2 (2 + b2) + a1 b2
        w12 = (a1 + a2) b1 b2 + a1 b2 + a2 b1

    With detailed balance (``gamma = 1`` and ``a1 b2 = a2 b1``) this reduces to Meyer's
    ``E = (E0 + a1 E1 + a2 E2 + a1 b2 E3) / (1 + a1 + a2 + a1 b2)``, and with one drug absent to the
    Hill curve ``E = (E0 + a1 E1) / (1 + a1)``. Reverse rates of 1 (``r_-1 = r_-2 = 1``) make the
    surface independent of the concentration unit; Wooten's ``synergy`` package instead fixes the
    forward rate constants ``r1 = r2 = 1``, which gives the same surface under detailed balance.
    Weights are combined on the log scale, so extreme parameters do not overflow.
    """
    d1 = np.asarray(d1, dtype=float)
    d2 = np.asarray(d2, dtype=float)
    with np.errstate(divide="ignore"):
        ln1 = np.where(d1 > 0, np.log(np.where(d1 > 0, d1, 1.0)), -np.inf)
        ln2 = np.where(d2 > 0, np.log(np.where(d2 > 0, d2, 1.0)), -np.inf)
    la1 = h1 * (ln1 - np.log(C1))
    la2 = h2 * (ln2 - np.log(C2))
    lb1 = gamma21 * h1 * (ln1 + np.log(alpha21) - np.log(C1))
    lb2 = gamma12 * h2 * (ln2 + np.log(alpha12) - np.log(C2))
    la1, la2, lb1, lb2 = np.broadcast_arrays(la1, la2, lb1, lb2)
    ln_two = np.full(la1.shape, np.log(2.0))
    log_w = np.stack([
        special.logsumexp(np.stack([ln_two, lb1, lb2]), axis=0),
        special.logsumexp(np.stack([ln_two + la1, la1 + lb1, la2 + lb1]), axis=0),
        special.logsumexp(np.stack([ln_two + la2, la2 + lb2, la1 + lb2]), axis=0),
        special.logsumexp(np.stack([la1 + lb1 + lb2, la2 + lb1 + lb2, la1 + lb2, la2 + lb1]), axis=0),
    ])
    weights = special.softmax(log_w, axis=0)
    effects = np.array([E0, E1, E2, E3], dtype=float).reshape((4,) + (1,) * la1.ndim)
    return np.sum(weights * effects, axis=0)


def fit_musyc(conc_r: ArrayLike, conc_c: ArrayLike, inhibition: ArrayLike, *, rng: np.random.Generator,
              n_starts: int = 8, fit_gamma: bool = True) -> MusycFit:
    """Fit the MuSyC surface (:func:`musyc_effect`) to a % inhibition matrix.

    The fit is on % viability ``E = 100 - inhibition`` over all wells, by
    :func:`scipy.optimize.least_squares` (trust-region reflective) on ``E0..E3`` and the log10 of
    ``C1, C2, h1, h2, alpha12, alpha21, gamma12, gamma21``, with bounds: ``E`` within the data range
    widened by ``max(20, range / 2)``; ``C`` within 3 decades of the drug's nonzero doses; ``h`` in
    [0.1, 10]; ``alpha`` in [1e-3, 1e3]; ``gamma`` in [0.1, 10] (fixed at 1 if ``fit_gamma`` is
    False). The first start takes ``E0, E1, C1, h1`` and ``E2, C2, h2`` from LL.4 fits of the
    single-agent row and column, ``E3`` from the highest-dose well and ``alpha = gamma = 1``; the
    other ``n_starts - 1`` starts draw ``log10 alpha``, ``log10 gamma`` and ``E3`` uniformly within
    bounds and jitter ``log10 C`` by up to one decade, all from ``rng``. The lowest cost wins.

    Parameters
    ----------
    conc_r, conc_c, inhibition
        As for :func:`score_matrix`.
    rng : numpy.random.Generator
        Source of the random starts (make it from the configured seed).
    n_starts : int, optional
        Number of starts (default 8).
    fit_gamma : bool, optional
        Fit the cooperativities (default) or fix them at 1.

    Returns
    -------
    MusycFit
    """
    cr, cc, y = _check_matrix(conc_r, conc_c, inhibition)
    if n_starts < 1:
        raise InputError(f"n_starts must be >= 1, got {n_starts}")
    d1, d2 = (g.ravel() for g in np.meshgrid(cr, cc, indexing="ij"))
    effect = 100.0 - y.ravel()
    pad = max(20.0, float(np.ptp(effect)) / 2.0)
    e_lo, e_hi = float(effect.min()) - pad, float(effect.max()) + pad
    log_c = [(np.log10(c[1]) - 3.0, np.log10(c[-1]) + 3.0) for c in (cr, cc)]
    lo = np.array([e_lo] * 4 + [log_c[0][0], log_c[1][0], -1.0, -1.0, -3.0, -3.0, -1.0, -1.0])
    hi = np.array([e_hi] * 4 + [log_c[0][1], log_c[1][1], 1.0, 1.0, 3.0, 3.0, 1.0, 1.0])
    n_par = 12 if fit_gamma else 10
    lo, hi = lo[:n_par], hi[:n_par]

    def unpack(x: np.ndarray) -> dict[str, float]:
        g12, g21 = (10.0 ** x[10], 10.0 ** x[11]) if fit_gamma else (1.0, 1.0)
        return dict(E0=x[0], E1=x[1], E2=x[2], E3=x[3], C1=10.0 ** x[4], C2=10.0 ** x[5], h1=10.0 ** x[6],
                    h2=10.0 ** x[7], alpha12=10.0 ** x[8], alpha21=10.0 ** x[9], gamma12=g12, gamma21=g21)

    def residuals(x: np.ndarray) -> np.ndarray:
        return musyc_effect(d1, d2, **unpack(x)) - effect

    first = _musyc_first_start(cr, cc, 100.0 - y)[:n_par]
    starts = [first]
    for _ in range(n_starts - 1):
        x = first.copy()
        x[3] = rng.uniform(e_lo, e_hi)
        x[4:6] += rng.uniform(-1.0, 1.0, size=2)
        x[8:n_par] = rng.uniform(lo[8:n_par], hi[8:n_par])
        starts.append(x)
    best = None
    for x0 in starts:
        x0 = np.clip(x0, lo + 1e-6 * (hi - lo), hi - 1e-6 * (hi - lo))
        result = optimize.least_squares(residuals, x0, bounds=(lo, hi), method="trf", x_scale="jac",
                                        ftol=1e-12, xtol=1e-12, gtol=1e-12, max_nfev=3000)
        if best is None or result.cost < best.cost:
            best = result
    assert best is not None
    p = {k: float(v) for k, v in unpack(best.x).items()}
    resid = residuals(best.x)
    ss_res = float(resid @ resid)
    ss_tot = float(np.sum((effect - effect.mean()) ** 2))
    strongest = min(p["E1"], p["E2"])
    beta = (strongest - p["E3"]) / (p["E0"] - strongest) if p["E0"] != strongest else float("nan")
    return MusycFit(**p, beta=float(beta), log10_alpha12=float(np.log10(p["alpha12"])),
                    log10_alpha21=float(np.log10(p["alpha21"])),
                    r2=1.0 - ss_res / ss_tot if ss_tot > 0 else float("nan"), rmse=float(np.sqrt(ss_res / effect.size)),
                    cost=float(best.cost), n=int(effect.size), n_starts=n_starts, fit_gamma=fit_gamma)


def _musyc_first_start(cr: np.ndarray, cc: np.ndarray, viability: np.ndarray) -> np.ndarray:
    """Starting vector from single-agent LL.4 fits (log10 scale for C, h, alpha, gamma)."""
    singles = []
    for conc, resp in ((cr, viability[:, 0]), (cc, viability[0, :])):
        if conc.size >= 4:
            fits = [fit_ll4(conc, resp, increasing=inc) for inc in (False, True)]
            f = min(fits, key=lambda fit: fit.rmse)
            e_zero, e_max = (f.top, f.bottom) if f.slope < 0 else (f.bottom, f.top)
            singles.append((e_zero, e_max, np.log10(f.ic50), np.log10(abs(f.slope))))
        else:
            singles.append((resp[0], resp[-1], float(np.log10(np.sqrt(conc[1] * conc[-1]))), 0.0))
    (e0_1, e1, lc1, lh1), (e0_2, e2, lc2, lh2) = singles
    return np.array([(e0_1 + e0_2) / 2.0, e1, e2, viability[-1, -1], lc1, lc2,
                     np.clip(lh1, -1.0, 1.0), np.clip(lh2, -1.0, 1.0), 0.0, 0.0, 0.0, 0.0])


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


# --- single-agent curves -------------------------------------------------------------------------
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


# --- helpers ---------------------------------------------------------------------------------------
def _check_matrix(conc_r: ArrayLike, conc_c: ArrayLike, inhibition: ArrayLike) -> tuple[np.ndarray, ...]:
    arrays = []
    for name, conc in (("conc_r", conc_r), ("conc_c", conc_c)):
        c = np.asarray(conc, dtype=float)
        if c.ndim != 1 or c.size < 2:
            raise InputError(f"{name} must be a 1-D array of at least 2 concentrations, got shape {c.shape}")
        if not np.all(np.isfinite(c)) or c[0] != 0 or np.any(np.diff(c) <= 0):
            raise InputError(f"{name} must be finite, strictly increasing and start at 0 (the single-agent "
                             f"row/column), got {c.tolist()}")
        arrays.append(c)
    y = np.asarray(inhibition, dtype=float)
    if y.shape != (arrays[0].size, arrays[1].size):
        raise InputError(f"inhibition has shape {y.shape}; expected (len(conc_r), len(conc_c)) = "
                         f"({arrays[0].size}, {arrays[1].size})")
    if not np.all(np.isfinite(y)):
        i, j = np.argwhere(~np.isfinite(y))[0]
        raise InputError(f"inhibition[{i}, {j}] is {y[i, j]!r}; every well needs a finite % inhibition")
    return arrays[0], arrays[1], y


def _check_methods(methods: Sequence[str]) -> tuple[str, ...]:
    if isinstance(methods, str):
        methods = (methods,)
    out = []
    for m in methods:
        if m not in SCORE_METHODS:
            raise InputError(f"method {m!r} is not known; accepted: {', '.join(SCORE_METHODS)}")
        if m not in out:
            out.append(m)
    if not out:
        raise InputError(f"no method given; accepted: {', '.join(SCORE_METHODS)}")
    return tuple(out)


def _loewe_grid(cr: np.ndarray, cc: np.ndarray, curve_r: _Curve, curve_c: _Curve) -> tuple[np.ndarray, np.ndarray]:
    ref = np.full((cr.size, cc.size), np.nan)
    undefined = np.zeros((cr.size, cc.size), dtype=bool)
    for i in range(1, cr.size):
        for j in range(1, cc.size):
            ref[i, j], undefined[i, j] = _loewe_reference(float(cr[i]), float(cc[j]), curve_r, curve_c)
    return ref, undefined


def _zip_line(doses: np.ndarray, observed: np.ndarray, bottom: float) -> np.ndarray:
    if doses.size < 2:
        return observed.astype(float)
    if bottom >= 100.0:
        return np.full(doses.shape, bottom)
    return fit_ll4(doses, observed, increasing=True, bottom=bottom, top=100.0).predict(doses)


def _ratio(c: float, x: float) -> float:
    if np.isinf(x):
        return 0.0
    if x <= 0.0:
        return np.inf
    return c / x


def _mean(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else float("nan")


