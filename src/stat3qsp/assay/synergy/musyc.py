"""MuSyC (Meyer et al. 2019 Cell Syst 8:97): the two-dimensional Hill model of a drug pair, with synergy of potency (alpha12, alpha21), efficacy (beta) and cooperativity (gamma12, gamma21), fitted to a dose matrix."""
from __future__ import annotations

from dataclasses import dataclass
import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize, special
from stat3qsp.errors import InputError
from stat3qsp.assay.synergy.matrix import _check_matrix
from stat3qsp.assay.hill import fit_ll4


# --- MuSyC -------------------------------------------------------------------------------------
def _logsumexp0(x: np.ndarray) -> np.ndarray:
    """``log(sum(exp(x), axis=0))``, stable, as scipy.special.logsumexp computes it (the largest term
    factored out, ``log1p`` of the others): plain numpy, about 10x faster on the small stacks of the fit."""
    top = x.max(axis=0)
    shift = np.where(np.isfinite(top), top, 0.0)
    terms = np.exp(x - shift)
    np.put_along_axis(terms, x.argmax(axis=0)[None], 0.0, axis=0)
    return np.log1p(terms.sum(axis=0)) + top


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
        _logsumexp0(np.stack([ln_two, lb1, lb2])),
        _logsumexp0(np.stack([ln_two + la1, la1 + lb1, la2 + lb1])),
        _logsumexp0(np.stack([ln_two + la2, la2 + lb2, la1 + lb2])),
        _logsumexp0(np.stack([la1 + lb1 + lb2, la2 + lb1 + lb2, la1 + lb2, la2 + lb1])),
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
