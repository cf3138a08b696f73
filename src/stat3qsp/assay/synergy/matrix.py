"""Checks and small helpers shared by the synergy scores: a dose matrix's shape and values, means over wells."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from stat3qsp.errors import InputError


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


def _mean(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else float("nan")


def check_methods(methods: Sequence[str] | str, accepted: Sequence[str]) -> tuple[str, ...]:
    """*methods* validated against *accepted* and de-duplicated in order; InputError naming an unknown
    method or an empty list, with the accepted ones."""
    if isinstance(methods, str):
        methods = (methods,)
    out: list[str] = []
    for method in methods:
        if method not in accepted:
            raise InputError(f"method {method!r} is not known; accepted: {', '.join(accepted)}")
        if method not in out:
            out.append(method)
    if not out:
        raise InputError(f"no method given; accepted: {', '.join(accepted)}")
    return tuple(out)
