"""Prototype: the PEtab calibration's local fits through pyPESTO and fides (not yet used by the workflow).

The objective is the project's own (:class:`~stat3qsp.calibration.signalling.objective.Objective`,
log10-scaled parameters): with residuals r(x) and their Jacobian J(x),

    nllh(x) = 0.5 * r @ r + constant,   gradient = J.T @ r,   Hessian ~ J.T @ J (Gauss-Newton / FIM),

handed to pyPESTO as one function returning (value, gradient, Hessian), and minimised by fides
(trust-region, Froehlich & Sorger 2022, DOI:10.1371/journal.pcbi.1010322) inside the bounds. The
starting points are the multistart's (:func:`stat3qsp.calibration.signalling.fit.starting_points`
after the observation-parameter fit), so that ``benchmarks/bench_pypesto.py`` compares the two
local optimisers from the same starts.
"""
from __future__ import annotations

import numpy as np
import pypesto
import pypesto.optimize
from threadpoolctl import threadpool_limits

from stat3qsp.calibration.signalling.objective import Objective


def pesto_objective(objective: Objective) -> pypesto.Objective:
    """The project's objective as a pyPESTO objective with gradient and Gauss-Newton Hessian."""

    def fun(x: np.ndarray):
        try:
            r = objective.residuals(x)
            jac = objective.jacobian(x)
        except RuntimeError:  # integration failure: an infinite value makes fides shrink its step
            n = len(x)
            return np.inf, np.zeros(n), np.eye(n)
        return objective.nllh_from_residuals(r), jac.T @ r, jac.T @ jac

    return pypesto.Objective(fun=fun, grad=True, hess=True, x_names=list(objective.x_ids))


def pesto_problem(objective: Objective, starts: np.ndarray) -> pypesto.Problem:
    """A pyPESTO problem on the objective's log10 bounds, with *starts* as its first guesses."""
    return pypesto.Problem(pesto_objective(objective), lb=objective.lb, ub=objective.ub,
                           x_guesses=np.asarray(starts, dtype=float), x_names=list(objective.x_ids))


def fides_multistart(objective: Objective, starts: np.ndarray, max_iterations: int) -> pypesto.Result:
    """Local fides fits from every start (serial); results sorted by value (best first)."""
    problem = pesto_problem(objective, starts)
    optimizer = pypesto.optimize.FidesOptimizer(options={"maxiter": int(max_iterations)}, verbose=0)
    # One BLAS thread, as the scipy fits: fides' eigendecompositions are small, threads oversubscribe the cores.
    with threadpool_limits(limits=1, user_api="blas"):
        return pypesto.optimize.minimize(problem, optimizer=optimizer, n_starts=len(starts), progress_bar=False,
                                         filename=None)
