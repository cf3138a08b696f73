"""Throughput of virtual patients: patient-years per second at 1 and 2 workers, the no-dose floor, memory.

(a) ``<method>_*``: patients of the NCT02066532 combination arm (ruxolitinib 25 mg BID + trastuzumab q3w, marrow
    dose rules), each followed the whole horizon (``follow_after_progression``: every patient is exactly
    ``--weeks`` of follow-up), through the trial runner's batch (stat3qsp.trial.simulate.simulate_trial: one model
    compile per worker, patients in chunks), at 1 and at 2 worker processes, for each of ``--methods``
    (stat3qsp.trial.patient.METHODS); wall time with start-up, patient-years per second.
(b) ``floor_*``: the same patients (same draws, same seed) with every dose removed from the arm: nothing
    oscillates, the integration is a plain roadrunner run with the same library work per patient (draw,
    pre-equilibration, scans); the per-patient-year cost of each method over it is ``<method>_ratio_to_floor``
    (CPU time of the 1-worker runs, robust to other load), in the same process.
(c) ``rss_*``: resident memory (MB) of the busiest worker after 1, 10 and 50 thousand patients (a
    ``--rss-weeks`` horizon keeps them cheap: libroadrunner's leak was per ``simulate`` call, which the library no
    longer makes (stat3qsp.model.integrate; benchmarks/README.md), printed as each is reached), on
    2 workers with worker recycling (stat3qsp.compute.batch.RECYCLE_AFTER_CHUNKS, the default) and without,
    with the first of ``--methods``.

Usage::

    .venv/bin/python benchmarks/bench_throughput.py --patients 10000 --weeks 52 --methods multiscale,envelope \
        --rss-patients 1000,10000,50000

Writes results/benchmarks/throughput.tsv (``# key: value`` lines naming the machine and its load).
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import time
from pathlib import Path

import pandas as pd
import psutil

from stat3qsp import __version__
from stat3qsp.compute import batch as engine
from stat3qsp.io.tables import write_table_atomic
from stat3qsp.model.catalog import DEFAULT_MODELS_DIR
from stat3qsp.trial.simulate import TrialSettings, trial_batch
from stat3qsp.trial.spec import load_trial_spec

SPEC = Path(__file__).resolve().parents[1] / "trials" / "NCT02066532.yaml"
ARM = "ruxolitinib_trastuzumab"
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "results" / "benchmarks" / "throughput.tsv"


def spec_for(dosed: bool):
    """The spec with the combination arm only, with its doses (``dosed``) or without any."""
    spec = load_trial_spec(SPEC)
    arm = spec.arm(ARM)
    if not dosed:
        arm = dataclasses.replace(arm, drugs=(), target_inhibition=())
    return dataclasses.replace(spec, arms=(arm,))


def run(dosed: bool, patients: int, weeks: float, workers: int, recycle: int | None = engine.RECYCLE_AFTER_CHUNKS,
        checkpoints: tuple[int, ...] = (), method: str = "full") -> tuple[list, object, float, dict[int, float]]:
    """Records, batch statistics, wall time and, at each checkpoint count, the largest worker RSS (MB)."""
    spec = spec_for(dosed)
    settings = TrialSettings(replicates=1, seed=1, patients=patients, horizon_weeks=weeks, arms=(ARM,),
                             follow_after_progression=True, method=method)
    batch, items, total = trial_batch(spec, settings, workers, DEFAULT_MODELS_DIR, progress=False)
    batch.recycle = recycle
    rss: dict[int, float] = {}
    begin = time.perf_counter()
    records = []
    for record in batch.imap(items, total):
        records.append(record)
        if len(records) in checkpoints:
            children = psutil.Process().children(recursive=True)
            sizes = [c.memory_info().rss / 1e6 for c in children if c.is_running()] or [
                psutil.Process().memory_info().rss / 1e6]
            rss[len(records)] = max(sizes)
            print(f"rss after {len(records)} patients: {rss[len(records)]:.1f} MB, {time.perf_counter() - begin:.0f} s, "
                  f"load {os.getloadavg()[0]:.2f}", flush=True)
    return records, batch.statistics, time.perf_counter() - begin, rss


def cpu_of(stats) -> float:
    return sum(w.cpu_s for w in stats.per_worker.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10000, help="patients of (a) and (b) (default 10000)")
    parser.add_argument("--weeks", type=float, default=52.0, help="follow-up of each patient in (a), (b)")
    parser.add_argument("--rss-patients", default="1000,10000,50000", help="checkpoints of (c); empty: skip")
    parser.add_argument("--rss-weeks", type=float, default=4.0, help="follow-up of each patient in (c)")
    parser.add_argument("--rss-modes", default="recycled,kept", help="(c) with worker recycling, without, or both")
    parser.add_argument("--methods", default="multiscale,envelope", help="methods of (a), comma-separated")
    parser.add_argument("--workers", default="1,2", help="worker counts of (a) and (b)")
    parser.add_argument("--sections", default="trial,floor,rss")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    sections = set(args.sections.split(","))
    years = args.patients * args.weeks / 52.0
    header = [f"nproc: {os.cpu_count()}", f"machine: {platform.machine()}", f"platform: {platform.platform()}",
              f"python: {platform.python_version()}", f"stat3qsp: {__version__}", f"patients: {args.patients}",
              f"weeks: {args.weeks:g}", f"methods: {args.methods}",
              f"load_average_start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}"]
    rows = []
    cpu = {}
    methods = args.methods.split(",")
    runs = [(False, "floor", "full")] * ("floor" in sections) + [(True, m, m) for m in methods] * ("trial" in sections)
    for dosed, name, method in runs:
        for workers in (int(w) for w in args.workers.split(",")):
            records, stats, wall, _ = run(dosed, args.patients, args.weeks, workers, method=method)
            cpu[(name, workers)] = cpu_of(stats)
            failed = sum(r.status == "failed" for r in records)
            rows += [(f"{name}_wall_{workers}_worker", wall, "s", f"{args.patients} patients x {args.weeks:g} weeks"),
                     (f"{name}_patient_years_per_s_{workers}_worker", years / wall, "patient-years/s", "wall"),
                     (f"{name}_cpu_per_patient_year_{workers}_worker", cpu[(name, workers)] / years, "s",
                      f"workers' CPU on the items; {failed} failed")]
            print(rows[-3:], flush=True)
    for method in methods:
        for workers in (1, 2):
            if (method, workers) in cpu and ("floor", workers) in cpu:
                rows.append((f"{method}_ratio_to_floor_{workers}_worker", cpu[(method, workers)] / cpu[("floor", workers)],
                             "", f"CPU per patient-year, {workers} worker(s)"))
    checkpoints = tuple(int(x) for x in args.rss_patients.split(",") if x)
    if "rss" in sections and checkpoints:
        modes = {"recycled": engine.RECYCLE_AFTER_CHUNKS, "kept": None}
        for label in args.rss_modes.split(","):
            recycle = modes[label]
            _, stats, wall, rss = run(True, max(checkpoints), args.rss_weeks, 2, recycle, checkpoints, methods[0])
            rows += [(f"rss_{label}_after_{n}", mb, "MB", f"busiest worker, {args.rss_weeks:g}-week patients")
                     for n, mb in sorted(rss.items())]
            rows.append((f"rss_{label}_wall", wall, "s", f"{max(checkpoints)} patients on 2 workers"))
            print(rows[-len(rss) - 1:], flush=True)
    header.append(f"load_average_end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    table = pd.DataFrame(rows, columns=["metric", "value", "unit", "note"])
    print(table.to_string(index=False))
    write_table_atomic(args.out, table, header)


if __name__ == "__main__":
    main()
