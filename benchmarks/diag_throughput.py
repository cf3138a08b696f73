"""Diagnosis (issue 18 item 3): where one patient-year of the throughput arm spends its CPU, without a profiler.

The patients of ``bench_throughput.py`` (NCT02066532 ``ruxolitinib_trastuzumab``, every patient followed the whole
``--weeks``, seed 1, one in-process worker, the default method unless ``--method``) are simulated once after a
warm-up; the stages are timed by wrapping the library's functions with the process CPU clock (no cProfile: it
inflates Python's share):

- ``draw``: the accepted patient (body weight, candidates and their pre-equilibrations; ``preequilibration`` of
  it), ``stat3qsp.trial.patient.PatientSimulator.draw_patient``;
- ``marrow course``: counts, grades and dose rules (``stat3qsp.trial.marrow_course.marrow_course``);
- ``treatment``: the tumour course by the method (envelope: ``stat3qsp.trial.envelope_patient.envelope_scans``),
  and inside it the roadrunner integration of its segments (``integration``, ``stat3qsp.model.integrate``);
- ``other``: the rest of the record (conduct, dropout, RECIST reading, batch).

With the envelope it also prints, per patient, the periods of each level, the periods simulated and the
segments (restarts), and the CPU per simulated fine period: what a method without per-patient integration
would have to replace. Prints a table; writes nothing.

Usage::

    PYTHONPATH=src .venv/bin/python benchmarks/diag_throughput.py --patients 100
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import bench_throughput
from stat3qsp.model import integrate as integration
from stat3qsp.trial import envelope_inputs, envelope_patient, marrow_course
from stat3qsp.trial.patient import PatientSimulator


class Clock:
    """CPU seconds and calls of the wrapped functions, by stage."""

    def __init__(self):
        self.cpu: dict[str, float] = {}
        self.calls: dict[str, int] = {}

    def wrap(self, name: str, function):
        def timed(*args, **kwargs):
            begin = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                self.cpu[name] = self.cpu.get(name, 0.0) + time.process_time() - begin
                self.calls[name] = self.calls.get(name, 0) + 1
        return timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100)
    parser.add_argument("--weeks", type=float, default=52.0)
    parser.add_argument("--method", default="envelope")
    args = parser.parse_args()
    bench_throughput.run(True, 2, 4.0, 1, method=args.method)  # compile, caches
    clock, levels = Clock(), []
    envelope_inputs.integrate = clock.wrap("integration", integration.integrate)
    PatientSimulator.draw_patient = clock.wrap("draw", PatientSimulator.draw_patient)
    PatientSimulator.preequilibrate = clock.wrap("preequilibration", PatientSimulator.preequilibrate)
    marrow_course.marrow_course = clock.wrap("marrow course", marrow_course.marrow_course)
    scans = envelope_patient.envelope_scans

    def recorded(simulator, *rest, **kwargs):
        result = scans(simulator, *rest, **kwargs)
        levels.append(simulator.last_statistics)
        return result
    envelope_patient.envelope_scans = clock.wrap("treatment", recorded)
    begin = time.process_time()
    bench_throughput.run(True, args.patients, args.weeks, 1, method=args.method)
    total = time.process_time() - begin
    years = args.patients * args.weeks / 52.0
    print(f"{args.patients} patients x {args.weeks:g} weeks, method {args.method}: {total / years:.4f} CPU-s per "
          "patient-year")
    treatment, draw = clock.cpu.get("treatment", 0.0), clock.cpu.get("draw", 0.0)
    parts = {"draw": draw, "  of it pre-equilibration": clock.cpu.get("preequilibration", 0.0),
             "marrow course": clock.cpu.get("marrow course", 0.0), "treatment": treatment,
             "  of it integration": clock.cpu.get("integration", 0.0),
             "other": total - draw - treatment - clock.cpu.get("marrow course", 0.0)}
    for name, cpu in parts.items():
        print(f"{name:28s} {cpu / years:.4f} CPU-s per patient-year  {100 * cpu / total:5.1f}%")
    print(f"pre-equilibrations per patient {clock.calls.get('preequilibration', 0) / args.patients:.2f}")
    if levels:
        for depth in range(max(len(s) for s in levels)):
            rows = np.array([[s[depth].periods, s[depth].simulated, s[depth].segments] for s in levels if len(s) > depth])
            print(f"level {depth}: periods {rows[:, 0].mean():.1f}, simulated {rows[:, 1].mean():.1f}, segments "
                  f"{rows[:, 2].mean():.1f} per patient")
        fine = sum(s[0].simulated for s in levels)
        print(f"treatment CPU per simulated fine period {treatment / fine * 1e3:.3f} ms, integration "
              f"{clock.cpu.get('integration', 0.0) / fine * 1e3:.3f} ms")


if __name__ == "__main__":
    main()
