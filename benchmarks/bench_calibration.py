"""Cost of the tumour calibration stage (stat3qsp.calibration.targets.calibrate_targets).

Runs the calibration of calibration/tumour/targets.yaml on ``--patients`` patients per arm (default
40; the committed table uses 400) and records wall time, process CPU time, the number of growth-scale
evaluations and the machine's load average, as TSV (default results/benchmarks/calibration.tsv,
git-ignored) after ``# key: value`` lines. The cost grows about linearly with the patients: each
evaluation redraws every arm's patients at the new growth scale (their untreated steady states are
cached per candidate) and simulates the drug effect of each new candidate once.

Usage::

    PYTHONPATH=src .venv/bin/python benchmarks/bench_calibration.py --patients 40
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import pandas as pd

from stat3qsp.calibration.targets import DEFAULT_TARGETS, calibrate_targets, read_targets
from stat3qsp.io.tables import write_table_atomic


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=40)
    parser.add_argument("--out", type=Path, default=Path("results/benchmarks/calibration.tsv"))
    args = parser.parse_args()
    load = os.getloadavg()[0]
    wall, cpu = time.perf_counter(), time.process_time()
    fit = calibrate_targets(read_targets(DEFAULT_TARGETS), n_patients=args.patients)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    table = pd.DataFrame([{"patients_per_arm": args.patients, "arms": len({(t.spec_path, t.arm) for t in
                                                                          read_targets(DEFAULT_TARGETS)}),
                           "evaluations": fit.evaluations, "wall_s": wall, "cpu_s": cpu,
                           "load_average_1min": load, "tumour_doubling_days": fit.doubling_days,
                           "tumour_kill_scale": fit.kill_scale}])
    print(table.to_string(index=False))
    print(fit.rows.drop(columns=["matched_as"]).to_string(index=False))
    write_table_atomic(args.out, table, [f"nproc: {os.cpu_count()}", f"targets: {DEFAULT_TARGETS}"])


if __name__ == "__main__":
    main()
