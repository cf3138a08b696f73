"""The signalling calibration's multistart (pyPESTO + fides, as ``make run`` runs it) against the numbers recorded
for the scipy loop it replaced.

The PEtab problem is built from ``calibration/sobotta2017/spec.yaml`` (as the workflow's calibration_problem rule
does) into a temporary folder, and :func:`stat3qsp.calibration.signalling.fit.multistart` runs the ``full`` fit
configuration on it (its seed and 16 starts; ``--starts N`` runs N starts instead: start 0 and a Latin hypercube of
N - 1, so other points than the first N of 16; ``--workers`` overrides the config's 2).
The scipy loop (``least_squares`` trf from the same starts, ``max_nfev`` 150) was deleted when pyPESTO became the
engine; its numbers, measured on 6 Dec 2026 with 16 starts on one core, are :data:`SCIPY_LOOP`.

Printed and written as TSV (``--out``, default results/benchmarks/pypesto.tsv, provenance in its sidecar): per
start the final negative log-likelihood, evaluations and seconds, then a summary of both methods: best and worst
final nllh, starts within 1e-4 of the best, the sum of the per-start seconds and the wall time.

Usage::

    .venv/bin/python benchmarks/bench_pypesto.py [--starts N] [--workers N] [--out FILE]
"""
from __future__ import annotations

import argparse
import dataclasses
import platform
import tempfile
import time
from pathlib import Path

import pandas as pd

from stat3qsp.calibration.signalling.fit import multistart
from stat3qsp.calibration.signalling.loading import load_objective
from stat3qsp.calibration.signalling.spec import read_spec
from stat3qsp.calibration.signalling.workflow import write_calibration_problem
from stat3qsp.io.tables import write_table_atomic

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "calibration" / "sobotta2017" / "spec.yaml"
#: The removed scipy trf loop on the full configuration, 16 starts, one worker (benchmarks/README.md).
SCIPY_LOOP = {"method": "scipy_trf (removed; recorded)", "starts": 16, "best_nllh": -716.116357,
              "worst_nllh": -716.112462, "within_1e-4": 6, "sum_start_seconds": 133.0, "wall_seconds": float("nan")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=None, help="starts (default: the full config's 16)")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: the config's)")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "benchmarks" / "pypesto.tsv")
    args = parser.parse_args()
    import pypesto
    import fides

    config = read_spec(SPEC).fit_config("full")
    config = dataclasses.replace(config, starts=args.starts or config.starts, workers=args.workers or config.workers)
    with tempfile.TemporaryDirectory() as folder:
        write_calibration_problem(str(SPEC), str(ROOT / "models"), folder)
        objective = load_objective(Path(folder) / "problem.yaml", config.datasets)
        began = time.perf_counter()
        results = multistart(objective, config)
        wall = time.perf_counter() - began
    table = pd.DataFrame([{"start": r.start, "nllh_start": r.nllh_start, "nllh": r.nllh, "evaluations": r.nfev,
                           "status": r.status, "seconds": r.seconds} for r in results])
    best = float(table["nllh"].min())
    summary = pd.DataFrame([
        {"method": "pypesto_fides", "starts": len(table), "best_nllh": best, "worst_nllh": float(table["nllh"].max()),
         "within_1e-4": int((table["nllh"] <= best + 1e-4).sum()), "sum_start_seconds": float(table["seconds"].sum()),
         "wall_seconds": wall},
        SCIPY_LOOP,
    ])
    print(table.to_string(index=False))
    print(summary.to_string(index=False))
    header = [f"machine: {platform.machine()}", f"python: {platform.python_version()}", f"pypesto: {pypesto.__version__}",
              f"fides: {fides.__version__}", f"starts: {config.starts} of the full config (seed {config.seed}), "
              f"maxiter {config.max_nfev}, workers {config.workers}",
              f"pypesto_best_nllh: {best:.6f}", f"scipy_loop_best_nllh: {SCIPY_LOOP['best_nllh']:.6f}"]
    write_table_atomic(args.out, table, header)


if __name__ == "__main__":
    main()
