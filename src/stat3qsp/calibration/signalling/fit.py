"""Multistart fits and profile likelihoods of an :class:`~stat3qsp.calibration.signalling.objective.Objective`, by pyPESTO.

Multistart: start 0 is the problem's nominal point (the model's parameter table); the others are a
Latin hypercube over the log10 bounds of the model parameters, drawn with a
:class:`numpy.random.Generator` made from the configured seed. At every start the observation
parameters (offsets, scales, noise) are first fitted with the model parameters fixed
(:func:`fit_observation_parameters`, one simulation); from these points
``pypesto.optimize.minimize`` runs fides on all parameters together (:mod:`.pesto`: gradient J^T r,
Gauss-Newton Hessian J^T J, at most ``max_nfev`` iterations), in ``workers`` forked processes.
Same seed, same starts, same results: neither fides nor the engine draws random numbers.

Profile likelihood (Raue et al. 2009, Bioinformatics 25:1923, DOI:10.1093/bioinformatics/btp358):
for a model parameter theta_j, PL(theta_j) = min over the other parameters of the negative
log-likelihood with theta_j fixed. The pointwise 95% confidence interval is
{theta_j : PL(theta_j) - nllh_min <= chi2_{1, 0.95} / 2 = 1.92}. ``pypesto.profile.parameter_profile``
walks it outwards from the optimum in fixed steps of ``profile_step`` (log10; ``fixed_step`` proposal),
each point a fides fit (at most ``profile_max_nfev`` iterations) warm-started from the last, until the
likelihood ratio exp(-(PL - nllh_min)) falls below exp(-1.92) (the point past the threshold is kept),
the search bound, or ``profile_max_steps`` steps (the profiled parameter's bounds are narrowed to that
window). An end that stays below the threshold is reported as open (non-identifiable that way).

The observation-parameter fit at fixed model parameters is a separable least-squares problem with an
analytic Jacobian and no simulation beyond the first; it is solved by
:func:`scipy.optimize.least_squares` (trust-region reflective), also where the validation and the
hypothesis ranking evaluate a model at given parameter values.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pypesto
import pypesto.optimize
import pypesto.profile
from scipy.optimize import least_squares
from scipy.stats import chi2, qmc
from threadpoolctl import threadpool_limits

from stat3qsp.calibration.signalling.objective import Objective
from stat3qsp.calibration.signalling.pesto import engine, fides_optimizer, pesto_problem
from stat3qsp.calibration.signalling.spec import FitConfig

#: Threshold of the profile (negative log-likelihood units) for a pointwise 95% interval.
PROFILE_THRESHOLD = float(chi2.ppf(0.95, 1) / 2.0)
#: Iterations of the observation-parameter fit at fixed model parameters.
OBSERVATION_FIT_NFEV = 50


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


def fit_observation_parameters(objective: Objective, x: np.ndarray, max_nfev: int = OBSERVATION_FIT_NFEV) -> np.ndarray:
    """Fit offsets, scales and noise at fixed model parameters (one simulation, analytic Jacobian)."""
    x_full = np.clip(np.asarray(x, dtype=float).copy(), objective.lb, objective.ub)
    free = np.setdiff1d(np.arange(len(x_full)), objective.dynamic)

    def expand(z):
        point = x_full.copy()
        point[free] = z
        return point

    def fun(z):
        try:
            return objective.residuals(expand(z))
        except RuntimeError:
            return np.full(objective.n_residuals, 1e3)

    def jac(z):
        try:
            return objective.jacobian(expand(z), model_parameters=False)[:, free]
        except RuntimeError:
            return np.zeros((objective.n_residuals, len(free)))

    # One BLAS thread: the SVDs of trf are small, and threads oversubscribe the cores.
    with threadpool_limits(limits=1, user_api="blas"):
        result = least_squares(fun, x_full[free], jac=jac, bounds=(objective.lb[free], objective.ub[free]),
                               method="trf", x_scale="jac", max_nfev=max_nfev)
    return expand(result.x)


def multistart(objective: Objective, config: FitConfig) -> list[StartResult]:
    """Run the configured multistart through pyPESTO; results sorted by final negative log-likelihood."""
    points = starting_points(objective, config.starts, np.random.default_rng(config.seed))
    starts = np.array([fit_observation_parameters(objective, x) for x in points])
    result = pypesto.optimize.minimize(pesto_problem(objective, starts), optimizer=fides_optimizer(config.max_nfev),
                                       n_starts=len(starts), ids=[str(k) for k in range(len(starts))],
                                       engine=engine(config.workers), progress_bar=False, filename=None)
    results = []
    for run in result.optimize_result.list:
        k = int(run.id)
        x = starts[k] if run.x is None else np.asarray(run.x, dtype=float)
        nllh = float(run.fval) if run.fval is not None and np.isfinite(run.fval) else math.inf
        results.append(StartResult(k, starts[k], x, objective.nllh(starts[k]) if run.fval0 is None else float(run.fval0),
                                   nllh, int(run.n_fval or 0), int(run.exitflag), float(run.time or 0.0)))
    return sorted(results, key=lambda r: (r.nllh, r.start))


def _profile_options(step: float) -> pypesto.profile.ProfileOptions:
    return pypesto.profile.ProfileOptions(
        default_step_size_absolute=step, min_step_size_absolute=step, max_step_size_absolute=step,
        default_step_size_relative=0.0, ratio_min=math.exp(-PROFILE_THRESHOLD), step_size_precheck_mode="off")


def profile(objective: Objective, x_hat: np.ndarray, index: int, config: FitConfig) -> pd.DataFrame:
    """Profile likelihood of parameter *index* around the optimum *x_hat*, by ``pypesto.profile``.

    Returns
    -------
    pandas.DataFrame
        Columns ``parameterId``, ``log10_value``, ``nllh`` (one row per profile point, the optimum
        included), sorted by value.
    """
    x_hat = np.clip(np.asarray(x_hat, dtype=float), objective.lb, objective.ub)
    reach = config.profile_max_steps * config.profile_step
    lb, ub = objective.lb.copy(), objective.ub.copy()
    lb[index], ub[index] = max(lb[index], x_hat[index] - reach), min(ub[index], x_hat[index] + reach)
    problem = pesto_problem(objective, lb=lb, ub=ub)
    result = pypesto.Result(problem)
    result.optimize_result.append(pypesto.OptimizerResult(id="optimum", x=x_hat, fval=objective.nllh(x_hat)))
    pypesto.profile.parameter_profile(problem, result, fides_optimizer(config.profile_max_nfev),
                                      engine=engine(config.workers), profile_index=[index],
                                      next_guess_method="fixed_step", profile_options=_profile_options(config.profile_step),
                                      progress_bar=False, filename=None)
    path = result.profile_result.list[0][index]
    table = pd.DataFrame({"log10_value": path.x_path[index], "nllh": path.fval_path})
    table = table.drop_duplicates("log10_value").sort_values("log10_value", ignore_index=True)
    table.insert(0, "parameterId", objective.x_ids[index])
    return table


def profiles(objective: Objective, x_hat: np.ndarray, config: FitConfig) -> pd.DataFrame:
    """Profiles of all model parameters (each profile's two directions in parallel with ``config.workers > 1``)."""
    return pd.concat([profile(objective, x_hat, j, config) for j in objective.dynamic], ignore_index=True)


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
