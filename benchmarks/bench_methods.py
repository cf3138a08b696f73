"""CPU seconds per patient of each trial method (envelope, multiscale, full) on the same patients.

For each (spec, arm) of :data:`CASES`, ``--patients`` patients (seed 1, replicate size the arm's
``n_patients`` capped at ``--patients``, the spec's follow-up) go through the trial runner's
:func:`stat3qsp.trial.simulate.simulate_trial` in this process (one worker) once per method; the
process CPU time per patient is reported (the compiled-model and dropout caches warm, so start-up is
not counted).

Usage::

    nice -n 5 .venv/bin/python benchmarks/bench_methods.py --patients 200

Writes results/benchmarks/methods.tsv.
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import pandas as pd

from stat3qsp.io.tables import write_table_atomic
from stat3qsp.trial.names import METHODS
from stat3qsp.trial.simulate import DEFAULT_HORIZON_WEEKS, TrialSettings, simulate_trial
from stat3qsp.trial.spec import load_trial_spec

ROOT = Path(__file__).resolve().parents[1]
CASES = (("NCT02066532", "ruxolitinib_trastuzumab"), ("ner_rux_mtnbc", "neratinib_ruxolitinib"),
         ("EGF104900", "lapatinib_monotherapy"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--cases", default=",".join(f"{s}:{a}" for s, a in CASES), help="spec:arm,...")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "benchmarks" / "methods.tsv")
    args = parser.parse_args()
    rows = []
    for case in args.cases.split(","):
        spec_id, arm = case.split(":")
        spec = load_trial_spec(ROOT / "trials" / f"{spec_id}.yaml")
        size = min(args.patients, spec.arm(arm).n_patients)
        horizon = spec.follow_up.weeks if spec.follow_up is not None else DEFAULT_HORIZON_WEEKS
        for method in args.methods.split(","):
            settings = TrialSettings(replicates=-(-args.patients // size), seed=1, patients=size,
                                     horizon_weeks=float(horizon), arms=(arm,), method=method)
            # warm-up: compile/load the model and the dropout's reference intervals outside the timing
            list(simulate_trial(spec, TrialSettings(replicates=1, seed=99, patients=1, horizon_weeks=float(horizon),
                                                    arms=(arm,), method=method), 1, progress=False))
            cpu, wall = time.process_time(), time.perf_counter()
            records = list(simulate_trial(spec, settings, 1, progress=False))[: args.patients]
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            rows.append({"spec": spec_id, "arm": arm, "method": method, "patients": len(records),
                         "cpu_s_per_patient": cpu / len(records), "wall_s": wall,
                         "load_average": os.getloadavg()[0]})
            print(rows[-1], flush=True)
    write_table_atomic(args.out, pd.DataFrame(rows), [f"patients: {args.patients}"])


if __name__ == "__main__":
    main()
