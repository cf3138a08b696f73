"""The model's own drug-effect parameters fitted to a lab plate by least squares, with intervals.

Problem ("fitted: lab plate <file> block <id>")
    For one block, the parameters ``theta`` (default :data:`EFFECT_PARAMETERS` of the plate's two
    drugs) minimise ``sum_wells (observed_inhibition - model_inhibition(theta))^2`` where
    ``model_inhibition = 100 - viability_pct`` of the roadrunner model in the plate's context at
    the assay time, on the plate's grid in nM (:func:`stat3qsp.assay.synergy.sweep.simulate_matrix`).
    Every other parameter keeps its context value. The fit runs on ``log10(theta)`` (linear for a
    parameter whose lower bound is 0) inside the parameter table's ``[lowerBound, upperBound]``,
    with :func:`scipy.optimize.least_squares` (trust-region reflective, finite-difference
    Jacobian), started at the context's values.
Intervals
    ``n_bootstrap = 0``: Wald intervals on the fit scale, ``theta_hat +/- t(n - p) * se`` with
    ``se^2`` from ``s^2 (J^T J)^-1``, ``s^2 = RSS / (n - p)`` (Seber & Wild 1989, ch. 5), clipped to
    the bounds and transformed back. ``n_bootstrap > 0``: percentile intervals of a residual
    bootstrap (the fitted surface plus residuals drawn with replacement, scaled by
    ``sqrt(n / (n - p))``, refitted from the estimate), seeded by the caller's generator.

Each row of the result names the parameter, its unit, the context's value, the estimate, the
interval, the method of the interval, ``at_bound`` (the estimate sits on a table bound: the plate
asks for a value the table does not allow, and the interval is one-sided), the residual SD and the
number of wells.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import optimize, stats

from stat3qsp.assay.synergy.sweep import simulate_matrix
from stat3qsp.errors import InputError
from stat3qsp.model.readouts import VIABILITY

EFFECT_PARAMETERS = {
    "ruxolitinib": ("rux_JAK_IC50",),
    "lapatinib": ("lap_cell_shift",),
    "neratinib": ("ner_HER2_IC50",),
    "trastuzumab": ("tras_koff", "HER2_tras_insensitive_share"),
}
"""Default drug-effect parameters of each drug (models/drugs/*.ant and models/parameters.tsv): its
cellular potency (the IC50 of ruxolitinib on JAK; lapatinib's biochemical-to-cellular shift of both
IC50s; neratinib's HER2 IC50; trastuzumab's koff, i.e. its Kd = koff / kon) and, for trastuzumab,
the efficacy limit of its context (the share of HER2 signalling it cannot block). The drug modules
have no separate Emax or Hill parameters; their maximal effect and steepness follow from the
signalling model. Other parameters can be named instead."""
FIT_COLUMNS = ("block_id", "drug", "parameter", "unit", "context_value", "estimate", "lo", "hi", "interval",
               "level", "at_bound", "residual_sd", "n_wells")
"""Columns of the model-fit table (``OUT.model_fit.tsv``)."""
WALD, BOOTSTRAP = "wald", "bootstrap"
"""Interval methods."""


def default_parameters(drugs: Sequence[str]) -> list[tuple[str, str]]:
    """``(drug, parameter)`` pairs of :data:`EFFECT_PARAMETERS` for the plate's drugs."""
    pairs = []
    for drug in drugs:
        if drug not in EFFECT_PARAMETERS:
            raise InputError(f"no default drug-effect parameters for {drug!r}; accepted drugs: "
                             f"{', '.join(sorted(EFFECT_PARAMETERS))} (or name parameters with --fit-parameters)")
        pairs += [(drug, p) for p in EFFECT_PARAMETERS[drug]]
    return pairs


def fit_model_to_block(model, context: str, drug_r: str, drug_c: str, conc_r_nm: np.ndarray, conc_c_nm: np.ndarray,
                       observed: np.ndarray, hours: float, *, parameters: Sequence[tuple[str, str]] | None = None,
                       block_id: str = "", n_bootstrap: int = 0, rng: np.random.Generator | None = None,
                       level: float = 0.95) -> pd.DataFrame:
    """Fit drug-effect parameters of the model to one block's % inhibition (module docstring).

    Parameters
    ----------
    model : stat3qsp.model.simulator.Model
    context : str
        Catalog context of the plate's cells.
    drug_r, drug_c : str
        Catalog drug names of the row and column drug.
    conc_r_nm, conc_c_nm : numpy.ndarray
        The grid in nM (zero dose first).
    observed : numpy.ndarray
        ``(n_r, n_c)`` % inhibition of the plate.
    parameters : sequence of (drug, parameter id), optional
        What to fit (default :func:`default_parameters` of both drugs).
    n_bootstrap : int
        0 for Wald intervals, else the number of residual-bootstrap refits (needs ``rng``).

    Returns
    -------
    pandas.DataFrame
        One row per parameter, columns :data:`FIT_COLUMNS`.
    """
    pairs = list(parameters) if parameters else default_parameters([drug_r, drug_c])
    ids = [p for _, p in pairs]
    base = {**{k: v.value for k, v in model.parameters.items()}, **model.catalog.context(context).parameters}
    for pid in ids:
        if pid not in model.parameters:
            raise InputError(f"parameter {pid!r} is not in the model's parameter table; accepted: a parameterId of "
                             "models/parameters.tsv (e.g. rux_JAK_IC50)")
    if len(set(ids)) != len(ids):
        raise InputError(f"parameters {ids} name one parameter twice; accepted: each once")
    y = np.asarray(observed, dtype=float).ravel()
    n, p = y.size, len(ids)
    if n <= p:
        raise InputError(f"{n} wells cannot determine {p} parameters; accepted: more wells than parameters")
    if n_bootstrap and rng is None:
        raise InputError("a bootstrap of the model fit needs a seeded numpy Generator")
    scales = [_Scale(model.parameters[pid], float(base[pid])) for pid in ids]

    def predict(x: np.ndarray) -> np.ndarray:
        changes = {pid: s.value(v) for pid, s, v in zip(ids, scales, x)}
        matrix = simulate_matrix(model, context, drug_r, drug_c, conc_r_nm, conc_c_nm, hours, changes)
        return 100.0 - matrix[VIABILITY].to_numpy(dtype=float)

    lower = np.array([s.lo for s in scales])
    upper = np.array([s.hi for s in scales])
    start = np.clip([s.internal(s.start) for s in scales], lower, upper)

    def fit(target: np.ndarray, x0: np.ndarray) -> optimize.OptimizeResult:
        return optimize.least_squares(lambda x: predict(x) - target, x0, bounds=(lower, upper), method="trf",
                                      diff_step=1e-4, x_scale=1.0, xtol=1e-8, ftol=1e-10, max_nfev=200)

    best = fit(y, start)
    resid = best.fun
    dof = n - p
    rss = float(resid @ resid)
    s2 = rss / dof
    if n_bootstrap:
        fitted = y + resid
        scaled = (resid - resid.mean()) * np.sqrt(n / dof)
        draws = np.array([fit(fitted + rng.choice(scaled, size=n, replace=True), best.x).x
                          for _ in range(int(n_bootstrap))])
        tail = (1.0 - level) / 2.0
        lo_x, hi_x = np.quantile(draws, tail, axis=0), np.quantile(draws, 1.0 - tail, axis=0)
        method = BOOTSTRAP
    else:
        jac = best.jac
        try:
            cov = s2 * np.linalg.pinv(jac.T @ jac)
            half = stats.t.ppf(0.5 + level / 2.0, dof) * np.sqrt(np.clip(np.diag(cov), 0.0, None))
        except np.linalg.LinAlgError:
            half = np.full(p, np.inf)
        lo_x, hi_x = np.maximum(best.x - half, lower), np.minimum(best.x + half, upper)
        method = WALD
    rows = []
    for (drug, pid), s, x, lo, hi in zip(pairs, scales, best.x, lo_x, hi_x):
        rows.append({"block_id": block_id, "drug": drug, "parameter": pid, "unit": model.parameters[pid].unit,
                     "context_value": s.start, "estimate": s.value(x), "lo": s.value(lo), "hi": s.value(hi),
                     "interval": method, "level": level, "at_bound": bool(np.isclose(x, s.lo) or np.isclose(x, s.hi)),
                     "residual_sd": float(np.sqrt(s2)), "n_wells": n})
    return pd.DataFrame(rows, columns=list(FIT_COLUMNS))


class _Scale:
    """log10 scale for a parameter with a positive lower bound, linear otherwise."""

    def __init__(self, parameter, start: float) -> None:
        self.log = parameter.lower_bound > 0
        self.start = start
        self.lo = self.internal(parameter.lower_bound)
        self.hi = self.internal(parameter.upper_bound)

    def internal(self, value: float) -> float:
        return float(np.log10(value)) if self.log else float(value)

    def value(self, x: float) -> float:
        return float(10.0 ** x) if self.log else float(x)
