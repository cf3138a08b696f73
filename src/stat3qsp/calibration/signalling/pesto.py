"""The PEtab calibration's objective as a pyPESTO problem, minimised by fides, run in forked workers.

The objective is the project's own (:class:`~stat3qsp.calibration.signalling.objective.Objective`,
log10-scaled parameters): with residuals r(x) and their Jacobian J(x),

    nllh(x) = 0.5 * r @ r + constant,   gradient = J.T @ r,   Hessian ~ J.T @ J (Gauss-Newton / FIM),

handed to pyPESTO as value, gradient and Hessian functions, and minimised by fides
(trust-region, Froehlich & Sorger 2022, DOI:10.1371/journal.pcbi.1010322) inside the bounds, on that
Gauss-Newton Hessian in every iteration. :mod:`stat3qsp.calibration.signalling.fit`
runs the multistart (``pypesto.optimize.minimize``) and the profiles (``pypesto.profile``) on it.

Parallel runs: :class:`ForkEngine` is a pyPESTO engine that executes the tasks in worker processes
forked from the caller, so every worker inherits the compiled model (the objective holds a
libroadrunner instance, which pyPESTO's own multi-process engine would have to pickle per task).
"""
from __future__ import annotations

import logging
import multiprocessing

import numpy as np
import pypesto
import pypesto.engine
import pypesto.optimize
from threadpoolctl import threadpool_limits

from stat3qsp.calibration.signalling.objective import Objective


def pesto_objective(objective: Objective) -> pypesto.Objective:
    """The project's objective as a pyPESTO objective with gradient and Gauss-Newton Hessian.

    Value, gradient and Hessian are three functions sharing the last Jacobian: a value alone (as
    pyPESTO's profiler asks for at every point) costs one simulation, not the Jacobian's one per model
    parameter.
    """
    last: dict[str, object] = {}

    def derivatives(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        key = np.asarray(x, dtype=float).tobytes()
        if last.get("key") != key:
            try:
                r, jac = objective.residuals(x), objective.jacobian(x)
            except RuntimeError:  # integration failure: value infinite, no step information
                r, jac = np.zeros(objective.n_residuals), np.zeros((objective.n_residuals, len(x)))
            last.update(key=key, r=r, jac=jac)
        return last["r"], last["jac"]

    def fun(x: np.ndarray) -> float:
        try:
            return objective.nllh(x)
        except RuntimeError:  # an infinite value makes fides shrink its trust region
            return np.inf

    def grad(x: np.ndarray) -> np.ndarray:
        r, jac = derivatives(x)
        return jac.T @ r

    def hess(x: np.ndarray) -> np.ndarray:
        _, jac = derivatives(x)
        return jac.T @ jac

    return pypesto.Objective(fun=fun, grad=grad, hess=hess, x_names=list(objective.x_ids))


def pesto_problem(objective: Objective, starts: np.ndarray | None = None, lb: np.ndarray | None = None,
                  ub: np.ndarray | None = None) -> pypesto.Problem:
    """A pyPESTO problem on the objective's log10 bounds (or *lb*, *ub*), with *starts* as its first guesses."""
    guesses = None if starts is None else np.asarray(starts, dtype=float)
    return pypesto.Problem(pesto_objective(objective), lb=objective.lb if lb is None else lb,
                           ub=objective.ub if ub is None else ub, x_guesses=guesses, x_names=list(objective.x_ids))


def fides_optimizer(max_iterations: int) -> pypesto.optimize.FidesOptimizer:
    """fides with at most *max_iterations* trust-region iterations, on the Gauss-Newton Hessian, logging errors only.

    ``hessian_update=None``: fides uses the objective's J^T J in every iteration (a Gauss-Newton trust
    region, like scipy's ``trf``). fides' default hybrid update took no successful step in the first two
    iterations of a profile point of the ``fast`` configuration where J^T J took one.
    """
    return pypesto.optimize.FidesOptimizer(options={"maxiter": int(max_iterations)}, verbose=logging.ERROR,
                                           hessian_update=None)


# -- parallel execution -----------------------------------------------------------------------------
_TASKS: list = []


def _execute(index: int):
    # One BLAS thread: fides' eigendecompositions are small, and threads oversubscribe the cores.
    with threadpool_limits(limits=1, user_api="blas"):
        return _TASKS[index].execute()


class ForkEngine(pypesto.engine.Engine):
    """A pyPESTO engine running its tasks in *workers* processes forked from the caller (tasks in order)."""

    def __init__(self, workers: int):
        super().__init__()
        self.workers = int(workers)

    def execute(self, tasks: list, progress_bar: bool | None = None) -> list:
        """Run every task; results in the order of *tasks*."""
        global _TASKS
        _TASKS = list(tasks)
        try:
            with multiprocessing.get_context("fork").Pool(min(self.workers, len(_TASKS))) as pool:
                return pool.map(_execute, range(len(_TASKS)), chunksize=1)
        finally:
            _TASKS = []


class SerialEngine(pypesto.engine.Engine):
    """pyPESTO's sequential engine with one BLAS thread (as :class:`ForkEngine`'s workers)."""

    def execute(self, tasks: list, progress_bar: bool | None = None) -> list:
        """Run every task in this process, in order."""
        with threadpool_limits(limits=1, user_api="blas"):
            return [task.execute() for task in tasks]


def engine(workers: int) -> pypesto.engine.Engine:
    """:class:`ForkEngine` for ``workers > 1`` where processes can fork, else :class:`SerialEngine`."""
    if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
        return ForkEngine(workers)
    return SerialEngine()
