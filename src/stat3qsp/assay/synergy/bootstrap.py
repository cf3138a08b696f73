"""Bootstrap intervals of a block's synergy scores: replicate resampling or single-agent residual resampling.

One bootstrap plate is drawn per iteration from a :class:`numpy.random.Generator`, scored with the
same function as the observed plate, and the percentile interval of each score is reported
(Efron & Tibshirani 1993, An Introduction to the Bootstrap, ch. 13).

Replicates (some well has ``n >= 2``)
    Each such well's mean is redrawn as ``mean + sqrt(n / (n - 1)) * (mean(resample) - mean)``,
    ``resample`` drawn with replacement from its ``n`` replicates. The factor undoes the
    ``(n - 1) / n`` shrinkage of the plain bootstrap variance of a mean, which matters with the 2-4
    replicates of a plate. Wells with one replicate stay fixed.
Residuals (no well has replicates)
    LL.4 curves are fitted to the single-agent row and column (:func:`stat3qsp.assay.hill.fit_ll4`);
    their residuals are pooled, centred and scaled by ``sqrt(n / (n - p))`` (``n`` points, ``p = 8``
    parameters). A bootstrap plate has the fitted single-agent values plus resampled residuals in
    row 0 and column 0 and the observed values plus resampled residuals elsewhere; a filled-in
    zero-dose control stays 0. This assumes one error variance over the plate.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from stat3qsp.assay import columns as col
from stat3qsp.assay.hill import fit_ll4
from stat3qsp.errors import InputError

REPLICATES = "replicates"
"""Resampling scheme: replicates of each well."""
RESIDUALS = "residuals"
"""Resampling scheme: residuals of the single-agent LL.4 fits."""
_LL4_PARAMETERS = 8  # two LL.4 curves


@dataclass(frozen=True)
class BootstrapResult:
    """Percentile intervals of one block (:func:`bootstrap_block`).

    Attributes
    ----------
    wells : pandas.DataFrame
        ``<column>_lo`` and ``<column>_hi`` for every per-well score column, row-major.
    summary : dict of str to float
        ``<key>_lo`` and ``<key>_hi`` for every numeric summary value, plus ``n_bootstrap``,
        ``bootstrap_level`` and ``bootstrap_resampling``.
    samples : pandas.DataFrame
        The summary values of every bootstrap plate (one row each).
    """

    wells: pd.DataFrame
    summary: dict[str, object]
    samples: pd.DataFrame


def resampling_scheme(block) -> str:
    """:data:`REPLICATES` if any well of the block has two or more replicates, else :data:`RESIDUALS`."""
    return REPLICATES if int(np.max(block.n_replicates)) >= 2 else RESIDUALS


def bootstrap_plate(block, rng: np.random.Generator, scheme: str, residual_model=None) -> np.ndarray:
    """One bootstrap % inhibition matrix of ``block`` (module docstring)."""
    y = block.inhibition
    if scheme == REPLICATES:
        out = y.copy()
        counts = block.n_replicates.ravel()
        flat = out.ravel()
        for n in sorted(set(int(k) for k in counts if k >= 2)):
            wells = np.flatnonzero(counts == n)
            values = np.vstack([block.replicates[w] for w in wells])
            draw = np.take_along_axis(values, rng.integers(0, n, size=values.shape), axis=1).mean(axis=1)
            mean = values.mean(axis=1)
            flat[wells] = mean + np.sqrt(n / (n - 1.0)) * (draw - mean)
        return flat.reshape(y.shape)
    base, residuals = residual_model if residual_model is not None else single_agent_residuals(block)
    out = base + rng.choice(residuals, size=y.shape, replace=True)
    if block.n_replicates[0, 0] == 0:
        out[0, 0] = y[0, 0]
    return out


def single_agent_residuals(block) -> tuple[np.ndarray, np.ndarray]:
    """Base matrix (fitted single agents, observed combinations) and the scaled, centred residual pool."""
    y = block.inhibition
    fit_r = fit_ll4(block.conc_r, y[:, 0], increasing=True)
    fit_c = fit_ll4(block.conc_c, y[0, :], increasing=True)
    base = y.copy()
    base[:, 0] = fit_r.predict(block.conc_r)
    base[0, 1:] = fit_c.predict(block.conc_c[1:])
    resid = np.concatenate([y[:, 0] - fit_r.predict(block.conc_r), y[0, 1:] - fit_c.predict(block.conc_c[1:])])
    if block.n_replicates[0, 0] == 0:
        resid = resid[1:]
    dof = resid.size - _LL4_PARAMETERS
    if dof < 1:
        raise InputError(f"bootstrap without replicates needs more single-agent wells than the {_LL4_PARAMETERS} "
                         f"LL.4 parameters; this block has {resid.size}; add replicates or doses")
    resid = (resid - resid.mean()) * np.sqrt(resid.size / dof)
    return base, resid


def bootstrap_block(block, score: Callable, n_bootstrap: int, rng: np.random.Generator,
                    level: float = 0.95) -> BootstrapResult:
    """Percentile intervals of every score of ``block`` over ``n_bootstrap`` bootstrap plates.

    Parameters
    ----------
    block : stat3qsp.assay.synergy.io.Block
        The observed block.
    score : callable
        ``score(block) -> (wells DataFrame, summary dict)``, the function that scores the observed
        block (so observed and bootstrap scores are computed alike).
    n_bootstrap : int
        Number of bootstrap plates (>= 2).
    rng : numpy.random.Generator
        Source of the resampling (make it from the seed).
    level : float
        Two-sided interval level in (0, 1).
    """
    if n_bootstrap < 2:
        raise InputError(f"bootstrap {n_bootstrap} is too small; accepted: 0 (no bootstrap) or >= 2 plates")
    if not 0 < level < 1:
        raise InputError(f"bootstrap level {level!r} is not in (0, 1); accepted e.g. 0.95")
    scheme = resampling_scheme(block)
    model = single_agent_residuals(block) if scheme == RESIDUALS else None
    well_samples, summary_samples = [], []
    for _ in range(n_bootstrap):
        plate = replace(block, inhibition=bootstrap_plate(block, rng, scheme, model), inhibition_sd=None,
                        replicates=())
        wells, summary = score(plate)
        well_samples.append(wells)
        summary_samples.append({k: v for k, v in summary.items() if _is_number(v)})
    tail = 100.0 * (1.0 - level) / 2.0
    columns = [c for c in well_samples[0].columns if c.endswith(col.SCORE_SUFFIX) or c == col.CI]
    interval_wells = {}
    for name in columns:
        stack = np.vstack([w[name].to_numpy(dtype=float) for w in well_samples])
        lo, hi = _percentiles(stack, tail)
        interval_wells[name + col.LO_SUFFIX], interval_wells[name + col.HI_SUFFIX] = lo, hi
    samples = pd.DataFrame(summary_samples)
    summary: dict[str, object] = {}
    for name in samples.columns:
        lo, hi = _percentiles(samples[name].to_numpy(dtype=float)[:, None], tail)
        summary[name + col.LO_SUFFIX], summary[name + col.HI_SUFFIX] = float(lo[0]), float(hi[0])
    summary.update({"n_bootstrap": n_bootstrap, "bootstrap_level": level, "bootstrap_resampling": scheme})
    return BootstrapResult(wells=pd.DataFrame(interval_wells), summary=summary, samples=samples)


def _percentiles(stack: np.ndarray, tail: float) -> tuple[np.ndarray, np.ndarray]:
    finite = np.isfinite(stack)
    lo = np.full(stack.shape[1], np.nan)
    hi = np.full(stack.shape[1], np.nan)
    for k in range(stack.shape[1]):
        values = stack[finite[:, k], k]
        if values.size:
            lo[k], hi[k] = np.percentile(values, [tail, 100.0 - tail])
    return lo, hi


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool)
