"""Loewe references on exact single-agent curves with few evaluations of the curves.

The exact mode's Loewe reference of a well ``(c1, c2)`` is the ``y`` with

    c1 / X1(y) + c2 / X2(y) = 1,        X_i the inverse of drug i's single-agent curve f_i,

(:func:`stat3qsp.assay.synergy.scores._loewe_reference`, which nests root finding in ``y`` around two
exact inversions and so costs about 110 model simulations per well). Here the same root is found
in three steps:

1. **Surrogate.** Each curve is tabulated lazily on a fixed grid of :data:`NODES_PER_DECADE` nodes
   per decade of log10 concentration (anchored at the top dose; a node is simulated once per
   matrix and drug, whatever the readout and well) and inverted by linear interpolation between
   the two nodes that bracket ``y``. The equation is solved on these inverses by Brent's method:
   ``y~`` and ``u~ = log10 X~_d(y~)`` of the drug ``d`` whose term is the larger.
2. **Exact bracket.** With ``u = log10 X_d``, the equation fixes the other drug's dose,
   ``X_o = c_o / (1 - c_d 10^-u)``, and the residual ``r(u) = f_o(X_o) - f_d(10^u)`` is strictly
   decreasing (``f_d`` rises with ``u`` while ``X_o`` falls). ``[u~ - w, u~ + w]`` is checked to
   bracket its root on the exact curves (``w`` from :data:`BRACKET_DECADES`, widened
   :data:`WIDENINGS` times by 4).
3. **Exact root.** Brent's method on ``r`` to ``xtol`` :data:`XTOL_DECADES` (as tight as the nested
   solver's inversions); the reference is ``f_d(10^u)``.

The answer is the nested solver's up to both solvers' tolerances (``tests/unit/test_loewe_exact.py``
checks 1e-8 percentage points on the model's matrices and an analytic Hill pair). Every well that is
not interior (a drug that cannot reach the effect, a flat curve, the root at a bracket end of the
nested solver, a bracket check that fails) is handed to the nested solver unchanged, so its rules
(``loewe_undefined``, the cap at 100) hold as before.
"""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy import optimize

NODES_PER_DECADE = 16
"""Grid density of the surrogate (nodes per decade of concentration)."""
SEARCH_DECADES = 12
"""A curve that does not reach ``y`` within this many decades above the top dose is left to the nested solver."""
BRACKET_DECADES = 0.01
"""Half-width of the first exact bracket around the surrogate's root (decades of concentration)."""
WIDENINGS = 3
"""Times the bracket is widened by 4 before the well is left to the nested solver."""
XTOL_DECADES = 1e-14
"""Tolerance of the exact root in log10 concentration."""


class NodeTable:
    """A non-decreasing curve ``f(c)`` tabulated lazily at ``c = top * 10^(k / NODES_PER_DECADE)``."""

    def __init__(self, value: Callable[[float], float], top_dose: float) -> None:
        self.value, self.base = value, math.log10(top_dose)
        self._nodes: dict[int, float] = {}

    def log_dose(self, k: int) -> float:
        """log10 concentration of node *k*."""
        return self.base + k / NODES_PER_DECADE

    def at(self, k: int) -> float:
        """The curve at node *k* (simulated once)."""
        if k not in self._nodes:
            self._nodes[k] = self.value(10.0 ** self.log_dose(k))
        return self._nodes[k]

    def inverse(self, y: float, c_low: float) -> float | None:
        """Approximate ``log10 X(y)`` for ``X(y) >= c_low`` by linear interpolation between nodes;
        None if the nodes do not reach ``y`` within :data:`SEARCH_DECADES` or are flat around it."""
        low = math.floor((math.log10(c_low) - self.base) * NODES_PER_DECADE)
        if self.at(low) > y:
            return None
        step, high = 1, low + 1
        while self.at(high) < y:  # exponential search upward
            low, step = high, 2 * step
            high = low + step
            if high > SEARCH_DECADES * NODES_PER_DECADE:
                return None
        while high - low > 1:
            middle = (low + high) // 2
            if self.at(middle) < y:
                low = middle
            else:
                high = middle
        f_low, f_high = self.at(low), self.at(high)
        if not f_high > f_low:
            return None
        return self.log_dose(low) + (y - f_low) / (f_high - f_low) / NODES_PER_DECADE


def interior_reference(c1: float, c2: float, curves: tuple[Callable[[float], float], Callable[[float], float]],
                       tables: tuple[NodeTable, NodeTable], lo: float, hi: float) -> float | None:
    """The Loewe reference of well ``(c1, c2)`` (module docstring), or None where the well is not
    interior. *lo*, *hi*: the nested solver's bracket ``max(f_i(c_i))``, ``max(f_i(2 c_i))``."""
    if not hi > lo:
        return None
    doses = (c1, c2)

    def surrogate(y: float) -> float:
        terms = [doses[i] / 10.0 ** u for i, u in enumerate(_inverses(y))]
        return sum(terms) - 1.0

    def _inverses(y: float) -> list[float]:
        found = [tables[i].inverse(y, doses[i]) for i in (0, 1)]
        if None in found:
            raise _NotInterior
        return found

    try:
        if not (surrogate(lo) > 0.0 > surrogate(hi)):
            return None
        y_s = optimize.brentq(surrogate, lo, hi, xtol=1e-10)
        u_s = _inverses(y_s)
    except _NotInterior:
        return None
    terms = [doses[i] / 10.0 ** u_s[i] for i in (0, 1)]
    d = 0 if terms[0] >= terms[1] else 1
    o = 1 - d
    floor = math.log10(doses[d])  # X_d > c_d, else X_o is not positive

    def residual(u: float) -> float:
        rest = 1.0 - doses[d] / 10.0 ** u
        if not rest > 0.0:
            return math.inf
        return curves[o](doses[o] / rest) - curves[d](10.0 ** u)

    width = BRACKET_DECADES
    for _ in range(WIDENINGS + 1):
        a, b = u_s[d] - width, u_s[d] + width
        if a <= floor:  # the other drug adds (almost) nothing: the nested solver's case
            return None
        if residual(a) > 0.0 > residual(b):
            u = optimize.brentq(residual, a, b, xtol=XTOL_DECADES, rtol=4 * np.finfo(float).eps, maxiter=200)
            return min(curves[d](10.0 ** u), 100.0)
        width *= 4.0
    return None


class _NotInterior(Exception):
    """A surrogate inverse is not defined (the well goes to the nested solver)."""
