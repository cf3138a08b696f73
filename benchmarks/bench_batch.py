"""Speed of the batch engine (stat3qsp.compute.batch): overhead over bare roadrunner, scaling to 2 workers,
memory per worker, 10 000 patient-years, and a scipy solve_ivp reference.

(a) sweep: 72-h assays of the cell model (context her2_trastuzumab_resistant, ruxolitinib 300 nM
    and trastuzumab 10 nM) for ``--sweep`` parameter sets: the eight rates fitted to Sobotta 2017
    and the maximal growth and death rates, log-uniform over their table bounds (fixed seed). Per
    set: its values, reset, 2000 h untreated (the set's own steady state), the drugs, ln N reset to
    0, 72 h. One function, :func:`assay_72h`, does this on a RoadRunner of
    ``Model.sbml_for_context`` with the library's tolerances; the bare loop calls it over a list,
    the engine as ``Batch(AssaySetup(...), assay_72h, workers)`` (the RoadRunner is the worker
    state, compiled once per worker). Rates are simulations per CPU-second: the loop's process
    time; for the engine the workers' CPU time on the items plus the calling process's CPU time
    over the batch (dispatch, pickling), so "per core" whatever else runs on the machine. Ratios
    engine / bare (per core) with 1 worker (in process) and with 2 (target >= 0.8 for 2). Both
    give identical results (checked before timing). Worker start-up is not part of the rate (see
    (b)); the wall-clock rate per core with start-up is reported too.
(b) speed-up from 1 to 2 workers on a virtual-trial batch: ``--trial-patients`` patients of the
    NCT02066532 combination arm (ruxolitinib 25 mg BID + trastuzumab q3w), 52 weeks, stopping at
    progression as trials run them (:func:`stat3qsp.trial.trial_batch`). Wall-clock speed-up
    (target >= 1.7; identical records checked), the start-up of a worker (spawn, imports, model
    compile: ``WorkerStatistics.ready_s`` wall, ``startup_cpu_s`` CPU), and the speed-up two
    otherwise idle cpus would give, from CPU times: the 1-worker run's CPU time over the busiest
    worker's (start-up plus items). A worker's start-up S (imports of the library, about 1.2-1.5 s
    CPU, and the model compile, about 0.7 s) is paid once per worker: speed-up 1.7 needs at least
    ``1.7 S / 0.15 = 11 S`` of serial work, about 30 s or 1800 patients, and a worker's CPU time per
    patient is a few percent above that of one process alone; the default 5000 patients (about
    85 s of serial work on an idle machine) leave a margin.
(c) peak resident memory per worker process (target <= 300 MB, 10^6 bytes): the engine's statistics
    (the high-water mark of each worker's resident memory, ``VmHWM``; ``getrusage``'s maximum
    would include the parent's resident memory at the spawn) and psutil samples of the workers every
    0.2 s, over the runs of (b) and (d). Spawned workers import this script again (as ``__mp_main__``),
    so it imports nothing heavy at the top that a library worker would not.
(d) ``--big-patients`` (10 000) virtual patients x 1 year on 2 workers: the arm of (b), every
    patient simulated for the full 52 weeks (``follow_after_progression``), wall time including
    start-up (target < 120 s), and what 2 otherwise idle cpus would give (the busiest worker's CPU
    time, start-up included).
(e) solve_ivp reference: the 72-h assay of (a) at the table values integrated by
    ``scipy.integrate.solve_ivp`` (LSODA and BDF, finite-difference Jacobian) on roadrunner's own
    right-hand side (state set with ``setFloatingSpeciesAmounts`` and ``setValue``, rates from
    ``RoadRunner.getRatesOfChange``) at the library's tolerances (rtol 1e-9, atol 1e-12): wall time
    per assay against roadrunner's CVODE, and the largest relative difference of the final state
    and of the readouts (and the absolute difference of ln N).

The machine's load average is recorded before every section: on a shared machine wall times (and
so the speed-ups of (b) and (d)) measure the other load too; the CPU-based numbers do not.

Usage::

    .venv/bin/python benchmarks/bench_batch.py [--sweep N] [--repeats N] [--trial-patients N]
                                               [--big-patients N] [--sections sweep,speedup,big,ivp]
                                               [--out FILE]
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import roadrunner
import scipy

from stat3qsp import __version__
from stat3qsp.compute.batch import Batch, BatchStatistics
from stat3qsp.model import ABSOLUTE_TOLERANCE, PREEQUILIBRATION_HOURS, RELATIVE_TOLERANCE, load_model
from stat3qsp.io.tables import write_table_atomic
from stat3qsp.model.readouts import READOUTS
from stat3qsp.trial.simulate import TrialSettings, trial_batch
from stat3qsp.trial.spec import load_trial_spec

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "results" / "benchmarks" / "batch.tsv"
SPEC = ROOT / "trials" / "NCT02066532.yaml"
ARM = "ruxolitinib_trastuzumab"
SEED = 20240611
CONTEXT = "her2_trastuzumab_resistant"
DOSES_NM = {"ruxolitinib": 300.0, "trastuzumab": 10.0}
ASSAY_HOURS = 72.0
SWEPT = ("IL6R_act_k", "SOCS3_inhib_K", "IL6R_dephos_k", "STAT3_phos_JAK_k", "pSTAT3_nuc_dephos_k",
         "STAT3_imp_k", "SOCS3_mRNA_deg_k", "SOCS3_deg_k", "growth_k_max", "death_k_max")
TARGET_RATIO_PER_CORE = 0.8
TARGET_SPEEDUP = 1.7
TARGET_RSS_MB = 300.0
"""MB = 10^6 bytes."""
TARGET_BIG_WALL_S = 120.0
SECTIONS = ("sweep", "speedup", "big", "ivp")
"""Sections of the benchmark: (a), (b), (d), (e); (c) comes from the runs of (b) and (d)."""


# -- (a) sweep ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class AssaySetup:
    """Per-worker state of the sweep: a RoadRunner of one context (compiled in :meth:`build`)."""

    context: str

    def build(self) -> "AssayRunner":
        return AssayRunner(self.context)


class AssayRunner:
    """A RoadRunner of a context's SBML with the library's tolerances, the drug parameters and the
    readout selections."""

    def __init__(self, context: str):
        model = load_model()
        self.runner = roadrunner.RoadRunner(model.sbml_for_context(context))
        integrator = self.runner.getIntegrator()
        integrator.setValue("relative_tolerance", RELATIVE_TOLERANCE)
        integrator.setValue("absolute_tolerance", ABSOLUTE_TOLERANCE)
        integrator.setValue("maximum_num_steps", 100000)
        self.drugs = {model.catalog.drug(d).concentration_parameter: c for d, c in DOSES_NM.items()}
        self.selections = [variable for variable, _, _ in READOUTS.values()]


def assay_72h(state: AssayRunner, values: dict[str, float]) -> np.ndarray:
    """Readouts after 72 h of the drugs, from the untreated steady state of the parameter set."""
    runner = state.runner
    for pid in state.drugs:
        runner.setValue(pid, 0.0)
    for pid, value in values.items():
        runner.setValue(pid, value)
    runner.reset()
    runner.simulate(0.0, PREEQUILIBRATION_HOURS, 2, selections=["time"])
    start = runner.model.getFloatingSpeciesAmounts()
    for pid, conc in state.drugs.items():
        runner.setValue(pid, conc)
    runner.reset()
    runner.model.setFloatingSpeciesAmounts(start)
    return np.array(runner.simulate(0.0, ASSAY_HOURS, 2, selections=state.selections)[-1])


def parameter_sets(count: int) -> list[dict[str, float]]:
    """*count* parameter sets, log-uniform over the table bounds of :data:`SWEPT` (fixed seed)."""
    table = load_model().parameters
    rng = np.random.default_rng(SEED)
    low = np.log10([table[p].lower_bound for p in SWEPT])
    high = np.log10([table[p].upper_bound for p in SWEPT])
    return [dict(zip(SWEPT, map(float, 10.0 ** row))) for row in rng.uniform(low, high, size=(count, len(SWEPT)))]


def engine_cpu(stats: BatchStatistics, parent_cpu: float) -> float:
    """CPU seconds of a batch: the workers' time on the items plus the calling process's."""
    workers = sum(w.cpu_s for w in stats.per_worker.values() if w.pid != os.getpid())
    return workers + parent_cpu


def sweep(count: int, repeats: int) -> list[tuple]:
    """Rows of (a)."""
    sets = parameter_sets(count)
    bare_state = AssaySetup(CONTEXT).build()
    reference = [assay_72h(bare_state, v) for v in sets]
    checks = {w: Batch(AssaySetup(CONTEXT), assay_72h, w, progress=False).map(sets) for w in (1, 2)}
    for w, results in checks.items():
        if not all(np.array_equal(a, b) for a, b in zip(reference, results)):
            raise RuntimeError(f"the engine with {w} workers does not give the bare loop's readouts")
    bare, one, two, two_wall, ready = [], [], [], [], []
    load = os.getloadavg()[0]
    for _ in range(repeats):
        start = time.process_time()
        for values in sets:
            assay_72h(bare_state, values)
        bare.append(count / (time.process_time() - start))
        for workers, rates in ((1, one), (2, two)):
            batch = Batch(AssaySetup(CONTEXT), assay_72h, workers, progress=False)
            cpu, wall = time.process_time(), time.perf_counter()
            batch.map(sets)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            stats = batch.statistics
            if workers == 1:
                rates.append(count / cpu)
            else:
                rates.append(count / engine_cpu(stats, cpu))
                two_wall.append(count / (wall * workers))
                ready.append(max(w.startup_cpu_s for w in stats.per_worker.values()))
    ratio_one = statistics.median(a / b for a, b in zip(one, bare))
    ratio_two = statistics.median(a / b for a, b in zip(two, bare))
    note = f"{count} parameter sets x {repeats} repeats; 1-min load average {load:.1f} before"
    return [
        ("sweep_bare_sims_per_cpu_s", statistics.median(bare), "1/s", np.nan, note),
        ("sweep_engine_1_worker_sims_per_cpu_s", statistics.median(one), "1/s", np.nan,
         "in process: CPU time of the whole batch, model compile included"),
        ("sweep_engine_2_workers_sims_per_cpu_s", statistics.median(two), "1/s", np.nan,
         "per core: items / (workers' CPU on items + caller's CPU over the batch); start-up excluded"),
        ("sweep_ratio_engine_1_worker_to_bare", ratio_one, "1", TARGET_RATIO_PER_CORE, "per core"),
        ("sweep_ratio_engine_2_workers_to_bare", ratio_two, "1", TARGET_RATIO_PER_CORE, "per core"),
        ("sweep_engine_2_workers_sims_per_wall_s_per_core", statistics.median(two_wall), "1/s", np.nan,
         f"items / (wall x 2), worker start-up ({statistics.median(ready):.2f} s CPU each at most) and the "
         "machine's other load included"),
    ]


# -- (b), (c), (d) trials ----------------------------------------------------------------------
class RssSampler:
    """Largest resident memory (RSS, MB) of every child process, sampled every *interval* seconds by
    a thread (psutil)."""

    def __init__(self, interval: float = 0.2):
        self.interval, self.peak = interval, {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            for child in me.children(recursive=True):
                try:
                    rss = child.memory_info().rss / 1e6
                except psutil.Error:
                    continue
                self.peak[child.pid] = max(self.peak.get(child.pid, 0.0), rss)
            self._stop.wait(self.interval)

    def __enter__(self) -> "RssSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def run_trial_batch(patients: int, workers: int, follow: bool) -> tuple[list, BatchStatistics, float, float, dict]:
    """Records, statistics, wall time, caller's CPU time and sampled worker RSS of one trial batch."""
    spec = load_trial_spec(SPEC)
    settings = TrialSettings(replicates=1, seed=SEED, patients=patients, horizon_weeks=52.0, arms=(ARM,),
                             follow_after_progression=follow)
    batch, items, total = trial_batch(spec, settings, workers, progress=False)
    with RssSampler() as sampler:
        cpu, wall = time.process_time(), time.perf_counter()
        records = batch.map(items, total)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    sampled = {pid: sampler.peak[pid] for pid in batch.statistics.per_worker if pid in sampler.peak}
    return records, batch.statistics, wall, cpu, sampled


def same_records(a: list, b: list) -> bool:
    return len(a) == len(b) and all(x.status == y.status and np.array_equal(x.sld_mm, y.sld_mm, equal_nan=True)
                                    for x, y in zip(a, b))


def unloaded_wall(stats: BatchStatistics) -> float:
    """Wall time of a batch of spawned workers on otherwise idle cpus: the busiest worker's CPU
    time, start-up (imports, model compile) and items."""
    return max(w.startup_cpu_s + w.cpu_s for w in stats.per_worker.values())


def speedup(patients: int) -> tuple[list[tuple], list[BatchStatistics], list[dict]]:
    """Rows of (b), and the statistics and sampled RSS of its 2-worker run for (c)."""
    load = os.getloadavg()[0]
    one, _, wall_one, cpu_one, _ = run_trial_batch(patients, 1, follow=False)
    two, stats, wall_two, _, sampled = run_trial_batch(patients, 2, follow=False)
    if not same_records(one, two):
        raise RuntimeError("the trial batch gives different records with 1 and 2 workers")
    workers = stats.per_worker.values()
    note = f"{patients} patients, 52 weeks, stop at PD; 1-min load average {load:.1f} on {os.cpu_count()} cpus before"
    rows = [
        ("trial_wall_1_worker", wall_one, "s", np.nan, note),
        ("trial_wall_2_workers", wall_two, "s", np.nan, "start-up included"),
        ("trial_speedup_1_to_2_workers", wall_one / wall_two, "1", TARGET_SPEEDUP, "wall clock; identical records checked"),
        ("trial_worker_startup_wall", max(w.ready_s for w in workers), "s", np.nan,
         f"spawn + imports + setup.build() to the later worker's ready state (build alone "
         f"{max(w.build_s for w in workers):.2f} s)"),
        ("trial_worker_startup_cpu", max(w.startup_cpu_s for w in workers), "s", np.nan,
         "CPU time of a worker until ready (the larger)"),
        ("trial_speedup_unloaded_estimate", cpu_one / unloaded_wall(stats), "1", np.nan,
         "CPU time of the 1-worker run / busiest worker's CPU time (start-up and items): 2 otherwise idle cpus"),
    ]
    return rows, [stats], [sampled]


def big(patients: int) -> tuple[list[tuple], list[BatchStatistics], list[dict]]:
    """Rows of (d), and its statistics and sampled RSS for (c)."""
    load = os.getloadavg()[0]
    records, stats, wall, _, sampled = run_trial_batch(patients, 2, follow=True)
    failed = sum(r.status == "failed" for r in records)
    rows = [
        ("big_wall_2_workers", wall, "s", TARGET_BIG_WALL_S,
         f"{patients} patients x 52 weeks (full year each), start-up included; {failed} failed; "
         f"1-min load average {load:.1f} before"),
        ("big_wall_2_workers_unloaded_estimate", unloaded_wall(stats), "s", np.nan,
         "busiest worker's CPU time, start-up and items"),
        ("big_patients_per_wall_s", patients / wall, "1/s", np.nan, ""),
    ]
    return rows, [stats], [sampled]


def memory(stats: list[BatchStatistics], sampled: list[dict], sections: str) -> list[tuple]:
    """Rows of (c) from the trial batches that ran."""
    return [
        ("peak_rss_per_worker_engine", max(s.peak_rss_mb for s in stats), "MB", TARGET_RSS_MB,
         f"high-water mark (VmHWM) of each worker process's RSS (BatchStatistics), runs {sections}"),
        ("peak_rss_per_worker_psutil", max([v for d in sampled for v in d.values()], default=np.nan), "MB",
         TARGET_RSS_MB, "psutil RSS samples every 0.2 s"),
    ]


# -- (e) solve_ivp -----------------------------------------------------------------------------
def state_ids(runner: roadrunner.RoadRunner) -> list[str]:
    """Ids of the state vector: rate-rule variables, then floating species (getRatesOfChange order)."""
    model = runner.model
    ids = [model.getStateVectorId(i) for i in range(model.getNumRateRules() + model.getNumFloatingSpecies())]
    names = list(runner.getRatesOfChangeNamedArray().colnames)
    if names != [f"{i}'" for i in ids]:
        raise RuntimeError("roadrunner's rates of change are not in state-vector order")
    return ids


def set_state(runner: roadrunner.RoadRunner, rules: list[str], y: np.ndarray) -> None:
    model = runner.model
    for i, pid in enumerate(rules):
        model.setValue(pid, float(y[i]))
    model.setFloatingSpeciesAmounts(y[len(rules):])


def get_state(runner: roadrunner.RoadRunner, rules: list[str]) -> np.ndarray:
    return np.concatenate([[runner.model.getValue(pid) for pid in rules], runner.model.getFloatingSpeciesAmounts()])


def solve_ivp_reference(repeats: int) -> list[tuple]:
    """Rows of (e)."""
    # Imported here: spawned workers import this script again (as __mp_main__), and scipy.integrate
    # would add to the memory of every worker that (c) measures.
    from scipy.integrate import solve_ivp

    state = AssaySetup(CONTEXT).build()
    runner = state.runner
    for pid in state.drugs:
        runner.setValue(pid, 0.0)
    runner.reset()
    runner.simulate(0.0, PREEQUILIBRATION_HOURS, 2, selections=["time"])
    start = np.array(runner.model.getFloatingSpeciesAmounts())
    for pid, conc in state.drugs.items():
        runner.setValue(pid, conc)
    ids = state_ids(runner)
    rules = ids[: runner.model.getNumRateRules()]

    def begin() -> np.ndarray:
        runner.reset()
        runner.model.setFloatingSpeciesAmounts(start)
        return get_state(runner, rules)

    def cvode() -> np.ndarray:
        begin()
        runner.simulate(0.0, ASSAY_HOURS, 2, selections=["time"])
        return get_state(runner, rules)

    def rhs(t: float, y: np.ndarray) -> np.ndarray:
        runner.model.setTime(t)
        set_state(runner, rules, y)
        return np.array(runner.getRatesOfChange())

    def readouts(y: np.ndarray) -> np.ndarray:
        set_state(runner, rules, y)
        return np.array([runner[variable] for variable in state.selections])

    timings = {"cvode": [], "LSODA": [], "BDF": []}
    finals, evaluations = {}, {}
    for _ in range(repeats):
        t = time.perf_counter()
        finals["cvode"] = cvode()
        timings["cvode"].append(time.perf_counter() - t)
        for method in ("LSODA", "BDF"):
            y0 = begin()
            t = time.perf_counter()
            solution = solve_ivp(rhs, (0.0, ASSAY_HOURS), y0, method=method, rtol=RELATIVE_TOLERANCE,
                                 atol=ABSOLUTE_TOLERANCE)
            timings[method].append(time.perf_counter() - t)
            if not solution.success:
                raise RuntimeError(f"solve_ivp {method}: {solution.message}")
            finals[method], evaluations[method] = solution.y[:, -1], solution.nfev
    reference, reference_readouts = finals["cvode"], readouts(finals["cvode"])
    log_cells = ids.index("log_cells")
    cvode_s = statistics.median(timings["cvode"])
    rows = [("ivp_cvode_s_per_assay", cvode_s, "s", np.nan, "roadrunner CVODE, the 72-h assay at table values")]
    for method in ("LSODA", "BDF"):
        y = finals[method]
        scale = np.maximum(np.abs(reference), 1e-9)
        state_difference = float(np.max(np.abs(y - reference) / scale))
        readout_difference = float(np.max(np.abs(readouts(y) - reference_readouts)
                                          / np.maximum(np.abs(reference_readouts), 1e-12)))
        seconds = statistics.median(timings[method])
        rows += [
            (f"ivp_{method}_s_per_assay", seconds, "s", np.nan, f"{evaluations[method]} right-hand-side calls"),
            (f"ivp_{method}_time_ratio_to_cvode", seconds / cvode_s, "1", np.nan, ""),
            (f"ivp_{method}_max_rel_state_difference", state_difference, "1", np.nan,
             "final state against CVODE (relative, floor 1e-9)"),
            (f"ivp_{method}_max_rel_readout_difference", readout_difference, "1", np.nan, "readouts at 72 h"),
            (f"ivp_{method}_abs_log_cells_difference", float(abs(y[log_cells] - reference[log_cells])), "1", np.nan,
             "ln N at 72 h"),
        ]
    return rows


# -- running -----------------------------------------------------------------------------------
def machine() -> dict[str, str]:
    """Where and under what load the numbers were measured."""
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip() if os.name == "posix" else ""
    return {"nproc": str(os.cpu_count()), "machine": platform.machine(), "system": platform.platform(),
            "python": platform.python_version(), "libroadrunner": roadrunner.__version__, "scipy": scipy.__version__,
            "psutil": psutil.__version__, "stat3qsp_version": __version__, "uptime_at_start": uptime}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the table and write it as TSV; exit code 1 if a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep", type=int, default=1000, help="parameter sets of the sweep (default 1000)")
    parser.add_argument("--repeats", type=int, default=3, help="repeats of (a) and (e); medians reported (default 3)")
    parser.add_argument("--trial-patients", type=int, default=5000,
                        help="patients of the speed-up batch (default 5000)")
    parser.add_argument("--big-patients", type=int, default=10000, help="patients of (d) (default 10000)")
    parser.add_argument("--sections", default=",".join(SECTIONS),
                        help=f"comma-separated sections to run (default all: {','.join(SECTIONS)}); memory comes "
                             "from speedup and big")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="TSV to write (default results/benchmarks/batch.tsv)")
    args = parser.parse_args(argv)
    if min(args.sweep, args.repeats, args.trial_patients, args.big_patients) < 1:
        parser.error("every count must be >= 1")
    sections = [name.strip() for name in args.sections.split(",") if name.strip()]
    if not sections or set(sections) - set(SECTIONS):
        parser.error(f"--sections {args.sections!r}; accepted: names from {', '.join(SECTIONS)}")
    header = [f"{key}: {value}" for key, value in machine().items()]
    header += [f"sweep: {args.sweep}", f"repeats: {args.repeats}", f"trial_patients: {args.trial_patients}",
               f"big_patients: {args.big_patients}", f"sections: {','.join(sections)}", f"seed: {SEED}"]
    print("\n".join(header), flush=True)
    rows, stats, sampled = [], [], []
    if "sweep" in sections:
        rows += sweep(args.sweep, args.repeats)
    for name, run, count in (("speedup", speedup, args.trial_patients), ("big", big, args.big_patients)):
        if name in sections:
            more, batch_stats, batch_rss = run(count)
            rows, stats, sampled = rows + more, stats + batch_stats, sampled + batch_rss
    if stats:
        rows += memory(stats, sampled, " and ".join(s for s in ("speedup", "big") if s in sections))
    if "ivp" in sections:
        rows += solve_ivp_reference(args.repeats)
    table = pd.DataFrame(rows, columns=["metric", "value", "unit", "target", "notes"])
    lower_is_better = table["metric"].str.startswith(("peak_rss", "big_wall_2_workers"))
    met = np.where(lower_is_better, table["value"] <= table["target"], table["value"] >= table["target"])
    table.insert(4, "meets_target", np.where(table["target"].isna(), "", np.where(met, "yes", "no")))
    header.append(f"load_average_at_end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    write_table_atomic(args.out, table, header)
    with pd.option_context("display.width", 250, "display.max_colwidth", 120, "display.float_format", "{:.4g}".format):
        print(table.to_string(index=False))
    print(f"written: {args.out}")
    return 1 if (table["meets_target"] == "no").any() else 0


if __name__ == "__main__":
    sys.exit(main())
