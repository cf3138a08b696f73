"""Speed of virtual patients: the cost of twice-daily dosing, and 1000 patient-years on 2 workers.

Measured with the trial tolerances (stat3qsp.patient.TRIAL_RELATIVE_TOLERANCE), on patients of the
NCT02066532 combination arm (ruxolitinib 25 mg BID + trastuzumab q3w, context
her2_trastuzumab_resistant), each followed for one year (one output, at 52 weeks):

(a) ``bid_envelope``: the patient model as trials now run it, BID doses as closed-form
    superposition (models/pk/ruxolitinib_oral.ant; no events), integrated by the stroboscopic
    envelope method (stat3qsp.trial.envelope; ``method="envelope"``, the default);
(b) ``bid_full``: the same, every dosing period integrated (``method="full"``, the reference and
    the method before the envelope);
(c) ``reference_constant``: the same patients with ruxolitinib held at its average steady-state
    free concentration, ``fu * D / (CL/F * tau)``, which the JAK clamp of the model gives exactly
    (``jak_clamp_fraction = 1 - 1 / (1 + c / IC50)``, ruxolitinib dose 0); trastuzumab as in (a);
    nothing oscillates, so this is a full integration (the envelope has nothing to skip);
(d) ``reference_smooth``: ruxolitinib as a smooth periodic profile with the same mean free
    concentration, period and peak-to-trough ratio as the BID closed form and its peak at the same
    time, ``c(t) = c_avg exp(A cos(2 pi (t - t_peak) / tau)) / I0(A)``, ``A = ln(peak/trough) / 2``
    (a model copy; no dosing discontinuities, but the oscillation), integrated in full;
(e) ``bid_events``: (b) with the ruxolitinib module replaced by depot/central rate rules and one
    self-rescheduling SBML event per dose (the formulation the closed form replaces);
(f) the ratios (a) / (c) (target <= 2; the strict reading: no oscillation at all) and (a) / (d)
    (the same oscillation without discontinuities), and (b) / (a), what the envelope saves;
(g) the agreement of (a) with (b): max |SLD| difference at one year;
(h) 1000 patients x 1 year on 2 worker processes (spawned, each compiling the model once), wall
    time including start-up (target < 30 s), with the default method, the workers' CPU time and
    the wall time that CPU time gives on 2 otherwise idle cpus (the machine's load average is
    recorded: on a shared machine the wall time measures the other load too); and the same 1000
    patients run as a trial runs them (stopping at progression, early discontinuation, 52-week
    horizon; informational).

Per-patient-year costs are process CPU times (robust to other load on the machine) of one loop
over the patients divided by their number; the loops (a)-(d) alternate within each of ``--repeats``
repeats, costs are the medians and each ratio is the median of the per-repeat ratios. Results are
printed and written to results/benchmarks/trial.tsv. That the same seed gives the same outputs
with 1 and 2 workers is a test (tests/test_trial.py); that both methods agree at every scan and
give the same trial endpoints is tests/test_envelope.py.

Usage::

    .venv/bin/python benchmarks/bench_trial.py [--patients N] [--repeats N] [--out FILE]
"""
from __future__ import annotations

import argparse
import concurrent.futures as futures
import multiprocessing
import os
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import i0

from stat3qsp import __version__, pk
from stat3qsp.model.catalog import DEFAULT_MODELS_DIR
from stat3qsp.io.tables import write_table_atomic
from stat3qsp.trial.patient import PatientSimulator, VirtualPatient
from stat3qsp.trial.regimen import dosing_values
from stat3qsp.trial.population import BIOLOGY_STREAM, patient_generator
from stat3qsp.trial.simulate import TrialSettings, simulate_trial
from stat3qsp.trial.spec import load_trial_spec
from stat3qsp.trial.spec_types import Arm

SPEC = Path(__file__).resolve().parents[1] / "trials" / "NCT02066532.yaml"
ARM = "ruxolitinib_trastuzumab"
YEAR_H = 52 * 168.0
SEED = 20240611
TARGET_RATIO = 2.0
TARGET_WALL_S = 30.0
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "results" / "benchmarks" / "trial.tsv"

EVENT_MODULE = """\
// Benchmark only: ruxolitinib oral PK with one SBML event per dose (depot and central amounts).
rux_elim_k := rux_CL_F / rux_V_F
rux_gut' = -rux_ka * rux_gut
rux_gut = 0
rux_central' = rux_ka * rux_gut - rux_elim_k * rux_central
rux_central = 0
rux_next_dose = rux_start
rux_dosing: at (time >= rux_next_dose): rux_gut = rux_gut + rux_dose, rux_next_dose = rux_next_dose + rux_interval
rux_C_plasma := rux_central / rux_V_F
rux_C_total_nM := 1e6 * rux_C_plasma / rux_molar_mass
rux_conc := rux_fu * rux_C_total_nM
"""

SMOOTH_MODULE = """\
// Benchmark only: ruxolitinib as a smooth periodic profile (no dosing discontinuities) with the mean
// free concentration of the twice-daily closed form; amplitude, peak time and the normalisation
// I0(amplitude) (the mean of exp(A cos)) are set per patient by the benchmark.
rux_elim_k := rux_CL_F / rux_V_F
rux_C_avg_nM := 1e6 * rux_dose / (rux_CL_F * rux_interval) / rux_molar_mass
rux_C_total_nM := piecewise(rux_C_avg_nM * exp(rux_smooth_amplitude * cos(2 * pi * (time - rux_start - rux_smooth_peak) / rux_interval)) / rux_smooth_norm, time >= rux_start, 0)
rux_conc := rux_fu * rux_C_total_nM
rux_smooth_amplitude = 0
rux_smooth_peak = 0
rux_smooth_norm = 1
"""


def draw(simulator: PatientSimulator, arm: Arm, n: int, spec) -> list[VirtualPatient]:
    """*n* patients of *arm* from the benchmark seed."""
    return [simulator.draw_patient(arm.context, patient_generator(SEED, 0, i, BIOLOGY_STREAM), spec.population.body_weight)
            for i in range(n)]


def patient_values(simulator: PatientSimulator, patient: VirtualPatient) -> dict[str, float]:
    return {**simulator.context_values(patient.context), **patient.values}


def constant_exposure(simulator: PatientSimulator, arm: Arm, patient: VirtualPatient) -> dict[str, float]:
    """Dosing of *arm* with ruxolitinib replaced by the JAK clamp of its average steady-state free level."""
    dosing = dosing_values(arm, simulator.regimens, patient.body_weight_kg)
    values = patient_values(simulator, patient)
    average_mg_per_l = dosing["rux_dose"] / (values["rux_CL_F"] * dosing["rux_interval"])
    free_nM = values["rux_fu"] * average_mg_per_l * 1e6 / values["rux_molar_mass"]
    dosing.update(rux_dose=0.0, jak_clamp_fraction=1.0 - 1.0 / (1.0 + free_nM / values["rux_JAK_IC50"]),
                  jak_clamp_start=0.0)
    return dosing


def smooth_profile(simulator: PatientSimulator, arm: Arm, patient: VirtualPatient) -> dict[str, float]:
    """Amplitude, peak time and normalisation of the smooth profile (d) for *patient*: the BID
    closed form's steady-state peak/trough ratio and time of peak (stat3qsp.trial.pk)."""
    dosing = dosing_values(arm, simulator.regimens, patient.body_weight_kg)
    values = patient_values(simulator, patient)
    tau = dosing["rux_interval"]
    t = 50 * tau + np.linspace(0.0, tau, 1201)
    c = pk.oral_one_compartment(t, dosing["rux_dose"], tau, 0.0, values["rux_ka"], values["rux_CL_F"],
                                values["rux_V_F"])
    amplitude = 0.5 * np.log(c.max() / c.min())
    return {"rux_smooth_amplitude": float(amplitude), "rux_smooth_peak": float(t[np.argmax(c)] - 50 * tau),
            "rux_smooth_norm": float(i0(amplitude))}


def year_sld(simulator: PatientSimulator, patient: VirtualPatient, dosing: dict[str, float], method: str,
             extra: dict[str, float] | None = None) -> float:
    """SLD after one year of the patient model as trials run it (*extra*: model values that the
    simulator does not set, for the smooth variant)."""
    for key, value in (extra or {}).items():
        simulator.model.runner.setValue(key, value)
    return float(simulator.scans(patient, dosing, np.array([YEAR_H]), method=method)[0])


def event_year(simulator: PatientSimulator, patient: VirtualPatient, dosing: dict[str, float]) -> float:
    """SLD after one year of the event-based variant. The first dose is put in the depot by hand and
    the event re-armed for the second: a reset does not restore an event's trigger state, so a
    trigger true at t = 0 would not fire reliably from one patient to the next."""
    simulator.start_treatment(patient, dosing)
    runner = simulator.model.runner
    runner.setValue("rux_gut", dosing["rux_dose"])
    runner.setValue("rux_central", 0.0)
    runner.setValue("rux_next_dose", dosing["rux_start"] + dosing["rux_interval"])
    return float(runner.simulate(0.0, YEAR_H, 2, selections=["SLD"])[-1, 0])


def models_dir_with(module: str) -> Path:
    """A copy of the models folder whose ruxolitinib PK module is *module*."""
    folder = Path(tempfile.mkdtemp(prefix="stat3qsp-bench-"))
    shutil.copytree(DEFAULT_MODELS_DIR, folder / "models")
    (folder / "models" / "pk" / "ruxolitinib_oral.ant").write_text(module)
    return folder / "models"


def timed_loops(loops: dict[str, callable], repeats: int) -> tuple[dict[str, float], dict[str, list[float]], dict]:
    """CPU seconds per call of each loop (median over repeats), the per-repeat times, and the
    results of the last repeat; the loops alternate within each repeat."""
    times: dict[str, list[float]] = {name: [] for name in loops}
    results = {}
    for _ in range(repeats):
        for name, loop in loops.items():
            start = time.process_time()
            results[name] = loop()
            times[name].append(time.process_time() - start)
    return {name: statistics.median(t) for name, t in times.items()}, times, results


_WORKER: dict = {}


def _init(spec_path: str) -> None:
    start = time.process_time()
    spec = load_trial_spec(spec_path)
    _WORKER.update(simulator=PatientSimulator(), spec=spec, arm=spec.arm(ARM), startup_cpu=time.process_time() - start)


def _year(indices: range) -> tuple[list[float], float, float]:
    """SLD at one year of the patients *indices*, the CPU time of the chunk and of the worker's start-up
    (the latter once per worker, 0 after)."""
    start = time.process_time()
    simulator, spec, arm = _WORKER["simulator"], _WORKER["spec"], _WORKER["arm"]
    out = []
    for i in indices:
        patient = simulator.draw_patient(arm.context, patient_generator(SEED, 1, i, BIOLOGY_STREAM), spec.population.body_weight)
        out.append(float(simulator.scans(patient, dosing_values(arm, simulator.regimens, patient.body_weight_kg),
                                         np.array([YEAR_H]))[0]))
    return out, time.process_time() - start, _WORKER.pop("startup_cpu", 0.0)


def thousand_patient_years(workers: int, n: int = 1000) -> tuple[float, float, float]:
    """Wall time (s) of *n* patient-years on *workers* spawned processes, start-up included, the
    workers' CPU time (s) on the patients and their CPU time (s) to start (import, compile)."""
    chunks = [range(i, min(i + 25, n)) for i in range(0, n, 25)]
    start = time.perf_counter()
    context = multiprocessing.get_context("spawn")
    with futures.ProcessPoolExecutor(workers, mp_context=context, initializer=_init, initargs=(str(SPEC),)) as pool:
        parts = list(pool.map(_year, chunks))
    elapsed = time.perf_counter() - start
    results = [x for part in parts for x in part[0]]
    if len(results) != n or not np.all(np.isfinite(results)):
        raise RuntimeError("the 1000 patient-year run lost or broke patients")
    return elapsed, sum(part[1] for part in parts), sum(part[2] for part in parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=20, help="patients per cost measurement (default 20)")
    parser.add_argument("--repeats", type=int, default=3, help="repeats of every cost measurement (default 3)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="TSV to write")
    args = parser.parse_args()

    spec = load_trial_spec(SPEC)
    arm = spec.arm(ARM)
    simulator = PatientSimulator()
    patients = draw(simulator, arm, args.patients, spec)
    n = len(patients)
    bid = [dosing_values(arm, simulator.regimens, p.body_weight_kg) for p in patients]
    constant = [constant_exposure(simulator, arm, p) for p in patients]
    smooth_dir = models_dir_with(SMOOTH_MODULE)
    events_dir = models_dir_with(EVENT_MODULE)
    try:
        smooth_simulator = PatientSimulator(smooth_dir)
        smooth = [smooth_profile(simulator, arm, p) for p in patients]
        loops = {
            "envelope": lambda: np.array([year_sld(simulator, p, d, "envelope") for p, d in zip(patients, bid)]),
            "full": lambda: np.array([year_sld(simulator, p, d, "full") for p, d in zip(patients, bid)]),
            "constant": lambda: np.array([year_sld(simulator, p, d, "full") for p, d in zip(patients, constant)]),
            "smooth": lambda: np.array([year_sld(smooth_simulator, p, d, "full", s)
                                        for p, d, s in zip(patients, bid, smooth)]),
        }
        cost, per_repeat, sld = timed_loops(loops, args.repeats)
        fine = []
        for p, d in zip(patients, bid):
            simulator.scans(p, d, np.array([YEAR_H]))
            fine.append(simulator.last_statistics[0].simulated)
        event_simulator = PatientSimulator(events_dir)
        event_loop = {"events": lambda: np.array([event_year(event_simulator, p, d) for p, d in zip(patients, bid)])}
        event_cost, _, event_sld = timed_loops(event_loop, args.repeats)
    finally:
        shutil.rmtree(smooth_dir.parent, ignore_errors=True)
        shutil.rmtree(events_dir.parent, ignore_errors=True)
    per_year = {name: value / n for name, value in {**cost, **event_cost}.items()}

    def ratio(a: str, b: str) -> float:
        return statistics.median(x / y for x, y in zip(per_repeat[a], per_repeat[b]))

    ratio_constant, ratio_smooth = ratio("envelope", "constant"), ratio("envelope", "smooth")
    saving = ratio("full", "envelope")
    agreement = float(np.max(np.abs(sld["envelope"] - sld["full"])))
    events_agree = float(np.max(np.abs(event_sld["events"] - sld["full"])))

    load_before = os.getloadavg()[0]
    wall_2, cpu_2, startup_2 = thousand_patient_years(2)
    start = time.perf_counter()
    settings = TrialSettings(replicates=1, seed=SEED, patients=1000, horizon_weeks=52.0, arms=(ARM,))
    simulate_trial(spec, settings, workers=2)
    wall_trial = time.perf_counter() - start

    periods = YEAR_H / bid[0]["rux_interval"]
    rows = [
        ("bid_envelope_s_per_patient_year", per_year["envelope"], "s", "", "",
         f"default method; {np.mean(fine):.0f} of {periods:.0f} dosing periods integrated on average"),
        ("bid_full_s_per_patient_year", per_year["full"], "s", "", "", "every dosing period integrated (reference)"),
        ("reference_constant_s_per_patient_year", per_year["constant"], "s", "", "",
         "ruxolitinib at its average steady-state free level (JAK clamp), full integration"),
        ("reference_smooth_s_per_patient_year", per_year["smooth"], "s", "", "",
         "ruxolitinib as a smooth periodic profile, same mean, swing and peak time, full integration"),
        ("bid_events_s_per_patient_year", per_year["events"], "s", "", "",
         f"one SBML event per dose, full integration; max |SLD - bid_full| at 1 year {events_agree:.2g} mm"),
        ("ratio_envelope_over_constant", ratio_constant, "1", TARGET_RATIO, ratio_constant <= TARGET_RATIO,
         "(a) / (c): against no oscillation at all"),
        ("ratio_envelope_over_smooth", ratio_smooth, "1", TARGET_RATIO, ratio_smooth <= TARGET_RATIO,
         "(a) / (d): against the same oscillation without dosing discontinuities"),
        ("ratio_full_over_envelope", saving, "1", "", "", "what the envelope saves"),
        ("ratio_full_over_constant", ratio("full", "constant"), "1", "", "",
         "the cost of BID dosing before the envelope"),
        ("max_abs_sld_difference_envelope_vs_full_mm", agreement, "mm", 0.1, agreement <= 0.1,
         "SLD at one year, over the benchmark patients"),
        ("wall_1000_patient_years_2_workers", wall_2, "s", TARGET_WALL_S, wall_2 < TARGET_WALL_S,
         f"full year per patient, default method, spawned workers, start-up included; 1-min load average "
         f"{load_before:.1f} on {os.cpu_count()} cpus before the run"),
        ("cpu_1000_patient_years_2_workers", cpu_2, "s", "", "",
         f"CPU time of both workers on the patients (draws included); start-up {startup_2:.1f} s CPU in all"),
        ("wall_1000_patient_years_2_workers_unloaded", (cpu_2 + startup_2) / 2, "s", TARGET_WALL_S,
         (cpu_2 + startup_2) / 2 < TARGET_WALL_S, "the CPU times shared by 2 otherwise idle cpus"),
        ("wall_1000_patient_trial_52w_2_workers", wall_trial, "s", "", "",
         "as a trial runs them: stop at progression, early discontinuation, scans to 52 weeks"),
        ("mean_abs_sld_difference_bid_vs_constant_mm", float(np.mean(np.abs(sld["full"] - sld["constant"]))), "mm", "",
         "", "what resolving the BID profile changes in SLD at one year"),
    ]
    table = pd.DataFrame(rows, columns=["measure", "value", "unit", "target", "met", "notes"])
    header = [f"stat3qsp_version: {__version__}", f"python: {platform.python_version()}", f"machine: {platform.machine()}",
              f"cpus: {os.cpu_count()}", f"load_average_1min: {os.getloadavg()[0]:.2f}", f"patients: {n}",
              f"repeats: {args.repeats}", f"seed: {SEED}",
              "clock: process CPU time (per-patient costs), wall (1000 patients)"]
    write_table_atomic(args.out, table, header)
    with pd.option_context("display.width", 220, "display.max_colwidth", 100):
        print(table.to_string(index=False))


if __name__ == "__main__":
    main()
