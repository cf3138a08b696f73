"""Checks and shaping of the inputs of the vectorised RECIST assessment (:mod:`stat3qsp.trial.recist`): baselines, scan times, per-scan flags and per-patient values."""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from stat3qsp.errors import InputError


def _check_baseline(base: np.ndarray) -> np.ndarray:
    if not np.all(np.isfinite(base) & (base > 0)):
        raise InputError(f"baseline_mm = {base.tolist()!r}; accepted: a finite SLD > 0 mm per patient")
    return base


def _check_times(scan_weeks: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    try:
        times = np.broadcast_to(scan_weeks, shape)
    except ValueError:
        raise InputError(f"scan_weeks has shape {scan_weeks.shape}; accepted: ({shape[1]},) or "
                         f"{shape} to match sld_mm") from None
    if not np.all(np.isfinite(times)) or np.any(times < 0) or np.any(np.diff(times, axis=1) <= 0):
        raise InputError(f"scan_weeks = {scan_weeks.tolist()!r}; accepted: finite weeks >= 0, "
                         "strictly increasing along scans")
    return times


def _as_flags(flags: ArrayLike | None, shape: tuple[int, int], name: str) -> np.ndarray:
    if flags is None:
        return np.zeros(shape, dtype=bool)
    array = np.asarray(flags)
    if array.shape != shape or array.dtype != bool:
        raise InputError(f"{name} has shape {array.shape} and dtype {array.dtype}; accepted: "
                         f"booleans of shape {shape}")
    return array


def _per_patient(values: ArrayLike | None, n: int, name: str) -> np.ndarray:
    if values is None:
        return np.full(n, np.nan)
    array = np.asarray(values, dtype=float)
    if array.shape != (n,):
        raise InputError(f"{name} has shape {array.shape}; accepted: ({n},), NaN for none")
    return array


def _optional(value: float | None) -> np.ndarray:
    return np.array([np.nan if value is None else float(value)])


_CODE_CR, _CODE_PR, _CODE_SD, _CODE_PD = 0, 1, 2, 3
_CODE_NONE = -1
"""Per-scan response codes of :mod:`stat3qsp.trial.recist` (-1: scan not counted)."""
_N_CODES = 5
"""Number of response labels (CR, PR, SD, PD, NE)."""
_TOL_CONFIRM = 1e-9
"""Tolerance (weeks) on the confirmation interval, as recist's ``_TOL``."""


def _confirm(codes: np.ndarray, times: np.ndarray, min_weeks: float) -> np.ndarray:
    """Downgrade unconfirmed CR/PR (RECIST 1.1, 'Confirmation').

    A response at scan j is confirmed by the best counted response at a later scan at least
    ``min_weeks`` later; the confirmed level is the worse of the two (CR then PR counts as PR). A
    CR or PR without a CR/PR confirmation counts as SD.
    """
    confirmed = codes.copy()
    worst = _N_CODES
    for j in range(codes.shape[1]):
        responding = (codes[:, j] == _CODE_CR) | (codes[:, j] == _CODE_PR)
        later = codes[:, j + 1:]
        eligible = (later != _CODE_NONE) & (times[:, j + 1:] - times[:, [j]] >= min_weeks - _TOL_CONFIRM)
        best_later = np.where(eligible, later, worst).min(axis=1, initial=worst)
        level = np.where(best_later <= _CODE_PR, np.maximum(codes[:, j], best_later), _CODE_SD)
        confirmed[:, j] = np.where(responding, level, codes[:, j])
    return confirmed


