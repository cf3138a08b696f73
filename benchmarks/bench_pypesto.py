"""pyPESTO + fides against the current scipy trust-region fits of the signalling calibration, from the same starts.

The PEtab problem is built from ``calibration/sobotta2017/spec.yaml`` (as the workflow's
calibration_problem rule does) into a temporary folder. Starting points: those of the ``full`` fit
configuration (its seed; start 0 = the nominal point, the others a Latin hypercube), each after the
observation-parameter fit (:func:`stat3qsp.calibration.signalling.fit.fit_observation_parameters`),
the first ``--starts`` of them. From each start:

- current: :func:`stat3qsp.calibration.signalling.fit.local_fit` (scipy ``least_squares``, ``trf``,
  analytic Jacobian) with the config's ``max_nfev``;
- pyPESTO: :func:`stat3qsp.calibration.signalling.pesto.fides_multistart` (fides, Gauss-Newton
  Hessian J^T J) with ``maxiter`` = the same number.

Printed and written as TSV (``--out``, default results/benchmarks/pypesto.tsv): per start and method
the final negative log-likelihood and the wall time, and the best of each method.

Usage::

    .venv/bin/python benchmarks/bench_pypesto.py [--starts N] [--out FILE]
"""
from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from stat3qsp.calibration.signalling.fit import fit_observation_parameters, local_fit, starting_points
from stat3qsp.calibration.signalling.loading import load_objective
from stat3qsp.calibration.signalling.pesto import fides_multistart
from stat3qsp.calibration.signalling.spec import read_spec
from stat3qsp.calibration.signalling.workflow import write_calibration_problem
from stat3qsp.io.tables import write_table_atomic

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "calibration" / "sobotta2017" / "spec.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=4)
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "benchmarks" / "pypesto.tsv")
    args = parser.parse_args()
    import pypesto

    config = read_spec(SPEC).fit_config("full")
    with tempfile.TemporaryDirectory() as folder:
        write_calibration_problem(str(SPEC), str(ROOT / "models"), folder)
        objective = load_objective(Path(folder) / "problem.yaml", config.datasets)
        points = starting_points(objective, config.starts, np.random.default_rng(config.seed))[: args.starts]
        starts = np.array([fit_observation_parameters(objective, x) for x in points])
        rows = []
        for i, x0 in enumerate(starts):
            began = time.perf_counter()
            x, nfev, _ = local_fit(objective, x0, config.max_nfev)
            rows.append({"start": i, "method": "scipy_trf", "nllh_start": objective.nllh(x0), "nllh": objective.nllh(x),
                         "evaluations": nfev, "seconds": time.perf_counter() - began})
        for i, x0 in enumerate(starts):
            began = time.perf_counter()
            result = fides_multistart(objective, x0[None, :], config.max_nfev).optimize_result.list[0]
            rows.append({"start": i, "method": "pypesto_fides", "nllh_start": objective.nllh(x0),
                         "nllh": objective.nllh(np.asarray(result.x)), "evaluations": int(result.n_fval),
                         "seconds": time.perf_counter() - began})
    table = pd.DataFrame(rows)
    best = table.groupby("method").agg(best_nllh=("nllh", "min"), total_seconds=("seconds", "sum")).reset_index()
    print(table.to_string(index=False))
    print(best.to_string(index=False))
    header = [f"machine: {platform.machine()}", f"python: {platform.python_version()}", f"pypesto: {pypesto.__version__}",
              f"starts: {args.starts} of the full config (seed {config.seed}), max_nfev/maxiter {config.max_nfev}"]
    write_table_atomic(args.out, table, header)


if __name__ == "__main__":
    main()
