"""The trial speed-ups of 2026-12-07 (issue 18 item 3), each against the path it replaced, in one process.

Each case runs the same patients (seed 1) through the trial runner (:func:`stat3qsp.trial.simulate.simulate_trial`,
one worker in this process, caches warm) with the new path and with the old one, alternating ``--rounds`` times so
that other load slows both alike; CPU time (process time) per patient, median over the rounds, and the ratio.

- ``dose_changes``: patients whose marrow dose changes, by the envelope with the changes as events
  (:mod:`stat3qsp.trial.envelope_patient`) against the old path (the full integration of those patients:
  ``PatientSimulator.envelope_course`` made to decline courses with changes). Arms: NCT02066532
  ``ruxolitinib_trastuzumab`` and ner_rux_mtnbc ``neratinib_ruxolitinib``; the spec's follow-up, stop at
  progression (as ``make run``), and 52 weeks followed whole (as bench_throughput.py).
- ``draw_memory``: every arm of NCT02066532 (five of six in one context), the spec's follow-up, with the worker's
  memory of draws (:mod:`stat3qsp.trial.draw_memory`) against none (size 0).

Usage::

    nice -n 5 .venv/bin/python benchmarks/bench_overheads.py --patients 40 --rounds 3

Writes results/benchmarks/overheads.tsv.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import pandas as pd

from stat3qsp.io.tables import write_table_atomic
from stat3qsp.trial import draw_memory
from stat3qsp.trial.patient import PatientSimulator
from stat3qsp.trial.simulate import DEFAULT_HORIZON_WEEKS, TrialSettings, simulate_trial
from stat3qsp.trial.spec import load_trial_spec

ROOT = Path(__file__).resolve().parents[1]
ENVELOPE_COURSE = PatientSimulator.envelope_course


def _old_envelope_course(self, patient, dosing, scan_hours, stop, tolerances, max_steps, changes=None):
    """The path before: a course with dose changes is not the envelope's (it is integrated in full)."""
    if changes is not None:
        return None
    return ENVELOPE_COURSE(self, patient, dosing, scan_hours, stop, tolerances, max_steps)


def _cpu_per_patient(spec, settings) -> tuple[float, int]:
    begin = time.process_time()
    records = simulate_trial(spec, settings, 1, progress=False)
    return (time.process_time() - begin) / len(records), len(records)


def _ab(spec, settings, new, old, rounds: int) -> dict[str, float]:
    """Median CPU per patient of the new and old setups (callables that switch the path), alternating."""
    _cpu_per_patient(spec, TrialSettings(**{**settings.__dict__, "patients": 1, "seed": 99}))  # warm caches
    times = {"new": [], "old": []}
    count = 0
    for _ in range(rounds):
        for name, switch in (("new", new), ("old", old)):
            switch()
            cpu, count = _cpu_per_patient(spec, settings)
            times[name].append(cpu)
    new()
    out = {name: statistics.median(values) for name, values in times.items()}
    return {**out, "ratio_old_to_new": out["old"] / out["new"], "patients": count}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=40, help="patients per arm and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cases", default="dose_changes,draw_memory")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "benchmarks" / "overheads.tsv")
    args = parser.parse_args()
    cases = set(args.cases.split(","))
    rows = []

    def envelope_new():
        PatientSimulator.envelope_course = ENVELOPE_COURSE

    def envelope_old():
        PatientSimulator.envelope_course = _old_envelope_course

    if "dose_changes" in cases:
        for spec_id, arm in (("NCT02066532", "ruxolitinib_trastuzumab"), ("ner_rux_mtnbc", "neratinib_ruxolitinib")):
            spec = load_trial_spec(ROOT / "trials" / f"{spec_id}.yaml")
            follow_up = float(spec.follow_up.weeks) if spec.follow_up is not None else DEFAULT_HORIZON_WEEKS
            for label, weeks, follow in (("spec follow-up, stop at PD", follow_up, False), ("52 weeks whole", 52.0, True)):
                settings = TrialSettings(replicates=1, seed=1, patients=args.patients, horizon_weeks=weeks,
                                         arms=(arm,), follow_after_progression=follow)
                result = _ab(spec, settings, envelope_new, envelope_old, args.rounds)
                rows.append({"case": "dose_changes", "trial": f"{spec_id}:{arm}", "setting": label, **result,
                             "load_average": os.getloadavg()[0]})
                print(rows[-1], flush=True)
    if "draw_memory" in cases:
        spec = load_trial_spec(ROOT / "trials" / "NCT02066532.yaml")
        size = draw_memory.DRAW_MEMORY_SIZE

        def memory_new():
            draw_memory.DRAW_MEMORY_SIZE = size

        def memory_old():
            draw_memory.DRAW_MEMORY_SIZE = 0

        weeks = float(spec.follow_up.weeks) if spec.follow_up is not None else DEFAULT_HORIZON_WEEKS
        settings = TrialSettings(replicates=1, seed=1, patients=args.patients, horizon_weeks=weeks)
        result = _ab(spec, settings, memory_new, memory_old, args.rounds)
        rows.append({"case": "draw_memory", "trial": "NCT02066532:all arms", "setting": "spec follow-up, stop at PD",
                     **result, "load_average": os.getloadavg()[0]})
        print(rows[-1], flush=True)
    write_table_atomic(args.out, pd.DataFrame(rows), [f"patients: {args.patients}", f"rounds: {args.rounds}"])


if __name__ == "__main__":
    main()
