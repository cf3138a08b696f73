"""Multiscale against full: the issue-18 validation at full size (stat3qsp.trial.multiscale_validation).

For each (spec, arm) of :data:`CASES`, ``--patients`` patients (replicates of the arm's ``n_patients``,
seed 1, the spec's follow-up) are simulated through the trial runner by the fast method (``--method``,
default multiscale) and by the full integration; reports (a) the share of patients whose progression is at
the same scan / within one scan (target >= 99%) and the largest |d ln SLD|, (b) every endpoint's median
difference against the reference's Monte Carlo error, and the CPU time of each method.

Usage::

    nice -n 5 .venv/bin/python benchmarks/bench_multiscale.py --patients 2000 --workers 2

Writes results/benchmarks/multiscale_<spec>_<arm>_{patients,endpoints}.tsv and multiscale.tsv (summary).
"""
from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import pandas as pd

from stat3qsp import __version__
from stat3qsp.io.tables import write_table_atomic
from stat3qsp.trial.multiscale_validation import compare_methods
from stat3qsp.trial.spec import load_trial_spec

ROOT = Path(__file__).resolve().parents[1]
CASES = (("NCT02066532", "ruxolitinib_trastuzumab"), ("ner_rux_mtnbc", "neratinib_ruxolitinib"))
DEFAULT_OUT = ROOT / "results" / "benchmarks"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--method", default="multiscale")
    parser.add_argument("--cases", default=",".join(f"{s}:{a}" for s, a in CASES), help="spec:arm,...")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--summary", default="multiscale.tsv", help="name of the summary table in --out")
    args = parser.parse_args()
    header = [f"nproc: {os.cpu_count()}", f"platform: {platform.platform()}", f"python: {platform.python_version()}",
              f"stat3qsp: {__version__}", f"patients: {args.patients}", f"method: {args.method}",
              f"load_average_start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}"]
    rows = []
    for case in args.cases.split(","):
        spec_id, arm = case.split(":")
        begin = time.perf_counter()
        result = compare_methods(load_trial_spec(ROOT / "trials" / f"{spec_id}.yaml"), arm, args.patients,
                                 method=args.method, workers=args.workers)
        wall = time.perf_counter() - begin
        stem = f"multiscale_{spec_id}_{arm}"
        write_table_atomic(args.out / f"{stem}_patients.tsv", result.patients, header)
        write_table_atomic(args.out / f"{stem}_endpoints.tsv", result.endpoints, header)
        ratio = (result.endpoints["difference"].abs() / result.endpoints["mc_se"]).max()
        rows.append((spec_id, arm, args.patients, result.share_identical, result.share_within_one_scan,
                     float(result.patients["max_abs_log_sld_difference"].max()), float(ratio),
                     bool(result.endpoints["within_mc_error"].all()), result.passed, result.wall_s[args.method],
                     result.wall_s["full"], wall))
        print(result.endpoints.to_string(index=False), flush=True)
        print(rows[-1], flush=True)
    header.append(f"load_average_end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    table = pd.DataFrame(rows, columns=["spec", "arm", "patients", "share_identical", "share_within_one_scan",
                                        "max_abs_log_sld_difference", "max_difference_over_mc_se",
                                        "endpoints_within_mc_error", "passed", "fast_wall_s", "full_wall_s", "wall_s"])
    print(table.to_string(index=False))
    write_table_atomic(args.out / args.summary, table, header)


if __name__ == "__main__":
    main()
