"""Multistart least squares and profile likelihoods for an :class:`~stat3qsp.calibration.signalling.objective.Objective`.

Multistart: start 0 is the problem's nominal point (the model's parameter table); the others are a
Latin hypercube over the log10 bounds of the model parameters, drawn with a
:class:`numpy.random.Generator` made from the configured seed. At every start the observation
parameters (offsets, scales, noise) are first fitted with the model parameters fixed, which needs a
single simulation; then all parameters are fitted together with
:func:`scipy.optimize.least_squares` (trust-region reflective, bounds on log10 scale).

Profile likelihood (Raue et al. 2009, Bioinformatics 25:1923, DOI:10.1093/bioinformatics/btp358):
for a model parameter theta_j, PL(theta_j) = min over the other parameters of the negative
log-likelihood with theta_j fixed. The pointwise 95% confidence interval is
{theta_j : PL(theta_j) - nllh_min <= chi2_{1, 0.95} / 2 = 1.92}. The profile is walked outwards
from the optimum in steps of the configured size (log10), each point warm-started from the last;
an end where the profile stays below the threshold up to the bound or the step limit is reported
as open (non-identifiable in that direction).
"""
from __future__ import annotations

import concurrent.futures
import multiprocessing
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import least_squares
from scipy.stats import chi2, qmc
from threadpoolctl import threadpool_limits

from stat3qsp.calibration.signalling.objective import Objective
from stat3qsp.calibration.signalling.loading import load_objective
from stat3qsp.calibration.signalling.spec import FitConfig

#: Threshold of the profile (negative log-likelihood units) for a pointwise 95% interval.
PROFILE_THRESHOLD = float(chi2.ppf(0.95, 1) / 2.0)


@dataclass(frozen=True)
class StartResult:
    """One local fit of a multistart."""

    start: int
    x0: np.ndarray
    x: np.ndarray
    nllh_start: float
    nllh: float
    nfev: int
    status: int
    seconds: float


def starting_points(objective: Objective, starts: int, rng: np.random.Generator) -> np.ndarray:
    """Start 0: the nominal point; others: a Latin hypercube over the model parameters' log10 bounds.

    Observation parameters start at their nominal values (they are fitted first at every start).
    """
    points = np.tile(objective.x_nominal, (starts, 1))
    if starts > 1 and len(objective.dynamic):
        sample = qmc.LatinHypercube(d=len(objective.dynamic), rng=rng).random(starts - 1)
        lower, upper = objective.lb[objective.dynamic], objective.ub[objective.dynamic]
        points[1:, objective.dynamic] = lower + sample * (upper - lower)
    return points


def fit_observation_parameters(objective: Objective, x: np.ndarray, max_nfev: int = 50) -> np.ndarray:
    """Fit offsets, scales and noise at fixed model parameters (one simulation, analytic Jacobian)."""
    free = np.setdiff1d(np.arange(len(x)), objective.dynamic)
    result = _least_squares(objective, x, free, max_nfev, model_parameters=False)
    return result[0]


def local_fit(objective: Objective, x0: np.ndarray, max_nfev: int, fixed: tuple[int, ...] = ()) -> tuple[np.ndarray, int, int]:
    """Fit all parameters but *fixed* from *x0*; returns (x, function evaluations, status)."""
    free = np.setdiff1d(np.arange(len(x0)), np.asarray(fixed, dtype=int))
    return _least_squares(objective, x0, free, max_nfev, model_parameters=True)


def _least_squares(objective, x0, free, max_nfev, model_parameters):
    x_full = np.clip(np.asarray(x0, dtype=float).copy(), objective.lb, objective.ub)

    def expand(z):
        x = x_full.copy()
        x[free] = z
        return x

    def fun(z):
        try:
            return objective.residuals(expand(z))
        except RuntimeError:
            return np.full(objective.n_residuals, 1e3)

    def jac(z):
        try:
            return objective.jacobian(expand(z), model_parameters=model_parameters)[:, free]
        except RuntimeError:
            return np.zeros((objective.n_residuals, len(free)))

    # One BLAS thread: the SVDs of trf are small, and threads oversubscribe the cores.
    with threadpool_limits(limits=1, user_api="blas"):
        result = least_squares(fun, x_full[free], jac=jac, bounds=(objective.lb[free], objective.ub[free]),
                               method="trf", x_scale="jac", max_nfev=max_nfev)
    return expand(result.x), int(result.nfev), int(result.status)


def run_start(objective: Objective, start: int, x0: np.ndarray, max_nfev: int) -> StartResult:
    """Observation parameters first, then all parameters, from *x0*."""
    began = time.perf_counter()
    x_obs = fit_observation_parameters(objective, x0)
    nllh_start = objective.nllh(x_obs)
    x, nfev, status = local_fit(objective, x_obs, max_nfev)
    return StartResult(start, x_obs, x, nllh_start, objective.nllh(x), nfev, status, time.perf_counter() - began)


# -- parallel execution: one objective per worker process ---------------------------------------
_WORKER: Objective | None = None


def _init_worker(yaml_path: str, datasets: tuple[str, ...], measurement_files: list[str] | None) -> None:
    global _WORKER
    _WORKER = load_objective(yaml_path, datasets, measurement_files)


def _worker_start(start: int, x0: np.ndarray, max_nfev: int) -> StartResult:
    return run_start(_WORKER, start, x0, max_nfev)


def _worker_profile(index: int, x_hat: np.ndarray, config: FitConfig) -> pd.DataFrame:
    return profile(_WORKER, x_hat, index, config)


def _pool(config: FitConfig, yaml_path, measurement_files):
    # fork, not spawn: spawn re-runs the main module in every worker, and a Snakemake script is one.
    # Each worker compiles its own model in the initializer.
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    return concurrent.futures.ProcessPoolExecutor(
        max_workers=config.workers, mp_context=multiprocessing.get_context(method),
        initializer=_init_worker, initargs=(str(yaml_path), tuple(config.datasets), measurement_files))


def multistart(yaml_path: Path | str, config: FitConfig, objective: Objective | None = None,
               measurement_files: list[str] | None = None) -> list[StartResult]:
    """Run the configured multistart; results sorted by final negative log-likelihood.

    With ``config.workers > 1`` starts run in worker processes (each compiles the model once).
    """
    objective = objective or load_objective(yaml_path, config.datasets, measurement_files)
    points = starting_points(objective, config.starts, np.random.default_rng(config.seed))
    if config.workers > 1:
        with _pool(config, yaml_path, measurement_files) as pool:
            results = list(pool.map(_worker_start, range(len(points)), points, [config.max_nfev] * len(points)))
    else:
        results = [run_start(objective, k, x0, config.max_nfev) for k, x0 in enumerate(points)]
    return sorted(results, key=lambda r: r.nllh)


def profile(objective: Objective, x_hat: np.ndarray, index: int, config: FitConfig) -> pd.DataFrame:
    """Profile likelihood of parameter *index* around the optimum *x_hat*.

    Returns
    -------
    pandas.DataFrame
        Columns ``parameterId``, ``log10_value``, ``nllh`` (one row per profile point, the optimum
        included), sorted by value.
    """
    nllh_hat = objective.nllh(x_hat)
    rows = [(float(x_hat[index]), nllh_hat)]
    for direction in (-1.0, 1.0):
        x = x_hat.copy()
        for _ in range(config.profile_max_steps):
            value = x[index] + direction * config.profile_step
            bound = objective.lb[index] if direction < 0 else objective.ub[index]
            if (value - bound) * direction > 0:
                value = bound
            x = x.copy()
            x[index] = value
            x, _, _ = local_fit(objective, x, config.profile_max_nfev, fixed=(index,))
            nllh = objective.nllh(x)
            rows.append((float(value), nllh))
            if nllh - nllh_hat > PROFILE_THRESHOLD or value == bound:
                break
    table = pd.DataFrame(rows, columns=["log10_value", "nllh"]).sort_values("log10_value", ignore_index=True)
    table.insert(0, "parameterId", objective.x_ids[index])
    return table


def profiles(yaml_path: Path | str, x_hat: np.ndarray, config: FitConfig, objective: Objective | None = None,
             measurement_files: list[str] | None = None) -> pd.DataFrame:
    """Profiles of all model parameters (in parallel with ``config.workers > 1``)."""
    objective = objective or load_objective(yaml_path, config.datasets, measurement_files)
    indices = list(objective.dynamic)
    if config.workers > 1:
        with _pool(config, yaml_path, measurement_files) as pool:
            tables = list(pool.map(_worker_profile, indices, [x_hat] * len(indices), [config] * len(indices)))
    else:
        tables = [profile(objective, x_hat, j, config) for j in indices]
    return pd.concat(tables, ignore_index=True)


def profile_interval(table: pd.DataFrame, nllh_min: float) -> tuple[float, float, bool, bool]:
    """95% interval (linear values) from one parameter's profile, by interpolating the threshold crossing.

    The crossing is interpolated linearly in sqrt(PL - nllh_min) between the profile points around it.

    Returns
    -------
    tuple
        (lower, upper, lower_closed, upper_closed); an open end is the last profiled value.
    """
    values = table["log10_value"].to_numpy(float)
    # On the square-root scale a quadratic profile is linear, so the interpolated crossing is exact for it.
    excess = np.sqrt(np.maximum(table["nllh"].to_numpy(float) - nllh_min, 0.0)) - np.sqrt(PROFILE_THRESHOLD)
    best = int(np.argmin(excess))
    ends = []
    for step in (-1, 1):
        k = best
        while 0 <= k + step < len(values) and excess[k + step] <= 0:
            k += step
        if 0 <= k + step < len(values):
            a, b = excess[k], excess[k + step]
            ends.append((values[k] + (values[k + step] - values[k]) * (-a) / (b - a), True))
        else:
            ends.append((values[k], False))
    (low, low_closed), (high, high_closed) = ends
    return 10.0 ** low, 10.0 ** high, low_closed, high_closed
