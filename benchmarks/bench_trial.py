"""Speed of virtual patients: the cost of twice-daily dosing, and 1000 patient-years on 2 workers.

Measured with the trial tolerances (stat3qsp.patient.TRIAL_RELATIVE_TOLERANCE), on patients of the
NCT02066532 combination arm (ruxolitinib 25 mg BID + trastuzumab q3w, context
her2_trastuzumab_resistant), each followed for one year (one output, at 52 weeks):

(a) ``bid_closed_form``: the patient model as used by trials, BID doses as closed-form
    superposition in assignment rules (models/pk/ruxolitinib_oral.ant; no events);
(b) ``reference_constant``: the same patients with ruxolitinib held at its average steady-state
    free concentration, ``fu * D / (CL/F * tau)``, which the JAK clamp of the model gives exactly
    (``jak_clamp_fraction = 1 - 1 / (1 + c / IC50)``, ruxolitinib dose 0); trastuzumab as in (a);
(c) ``bid_events``: (a) with the ruxolitinib module replaced by depot/central rate rules and one
    self-rescheduling SBML event per dose (the formulation the closed form replaces); its SLD at one
    year is compared with (a);
(d) the ratio (a) / (b) (target <= 2);
(e) 1000 patients x 1 year on 2 worker processes (spawned, each compiling the model once), wall
    time including start-up (target < 30 s), and the same 1000 patients run as a trial runs them
    (stopping at progression, early discontinuation, 52-week horizon; informational).

Per-patient-year costs are the median over ``--repeats`` of (time of the loop) / (patients).
Results are printed and written to results/benchmarks/trial.tsv. That the same seed gives the same
patients table with 1 and 2 workers is a test (tests/test_trial.py).

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

from stat3qsp import __version__
from stat3qsp.catalog import DEFAULT_MODELS_DIR
from stat3qsp.output import write_table_atomic
from stat3qsp.patient import PatientSimulator, VirtualPatient, dosing_values
from stat3qsp.population import BIOLOGY_STREAM, patient_generator
from stat3qsp.trial import TrialSettings, simulate_trial
from stat3qsp.trialspec import Arm, load_trial_spec

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


def draw(simulator: PatientSimulator, arm: Arm, n: int, spec) -> list[VirtualPatient]:
    """*n* patients of *arm* from the benchmark seed."""
    return [simulator.draw_patient(arm.context, patient_generator(SEED, 0, i, BIOLOGY_STREAM), spec.population.body_weight)
            for i in range(n)]


def constant_exposure(simulator: PatientSimulator, arm: Arm, patient: VirtualPatient) -> dict[str, float]:
    """Dosing of *arm* with ruxolitinib replaced by the JAK clamp of its average steady-state free level."""
    dosing = dosing_values(arm, simulator.regimens, patient.body_weight_kg)
    values = simulator.context_values(patient.context)
    cl_f = patient.values.get("rux_CL_F", values["rux_CL_F"])
    average_mg_per_l = dosing["rux_dose"] / (cl_f * dosing["rux_interval"])
    free_nM = values["rux_fu"] * average_mg_per_l * 1e6 / values["rux_molar_mass"]
    dosing.update(rux_dose=0.0, jak_clamp_fraction=1.0 - 1.0 / (1.0 + free_nM / values["rux_JAK_IC50"]),
                  jak_clamp_start=0.0)
    return dosing


def per_patient_year(simulator: PatientSimulator, patients: list[VirtualPatient], dosings: list[dict[str, float]],
                     repeats: int, events: bool = False) -> tuple[float, np.ndarray]:
    """Median (over repeats) seconds per patient-year, and the SLD at one year of each patient."""
    times, sld = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        sld = np.array([(event_year if events else closed_form_year)(simulator, p, d) for p, d in zip(patients, dosings)])
        times.append((time.perf_counter() - start) / len(patients))
    return statistics.median(times), sld


def closed_form_year(simulator: PatientSimulator, patient: VirtualPatient, dosing: dict[str, float]) -> float:
    """SLD after one year of the patient model as trials run it."""
    return float(simulator.scans(patient, dosing, np.array([YEAR_H]))[0])


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


def event_models_dir() -> Path:
    """A copy of the models folder whose ruxolitinib PK module uses events."""
    folder = Path(tempfile.mkdtemp(prefix="stat3qsp-bench-events-"))
    shutil.copytree(DEFAULT_MODELS_DIR, folder / "models")
    (folder / "models" / "pk" / "ruxolitinib_oral.ant").write_text(EVENT_MODULE)
    return folder / "models"


_WORKER: dict = {}


def _init(spec_path: str) -> None:
    spec = load_trial_spec(spec_path)
    _WORKER.update(simulator=PatientSimulator(), spec=spec, arm=spec.arm(ARM))


def _year(indices: range) -> list[float]:
    simulator, spec, arm = _WORKER["simulator"], _WORKER["spec"], _WORKER["arm"]
    out = []
    for i in indices:
        patient = simulator.draw_patient(arm.context, patient_generator(SEED, 1, i, BIOLOGY_STREAM), spec.population.body_weight)
        out.append(float(simulator.scans(patient, dosing_values(arm, simulator.regimens, patient.body_weight_kg),
                                         np.array([YEAR_H]))[0]))
    return out


def thousand_patient_years(workers: int, n: int = 1000) -> float:
    """Wall time (s) of *n* patient-years on *workers* spawned processes, start-up included."""
    chunks = [range(i, min(i + 25, n)) for i in range(0, n, 25)]
    start = time.perf_counter()
    context = multiprocessing.get_context("spawn")
    with futures.ProcessPoolExecutor(workers, mp_context=context, initializer=_init, initargs=(str(SPEC),)) as pool:
        results = [x for chunk in pool.map(_year, chunks) for x in chunk]
    elapsed = time.perf_counter() - start
    if len(results) != n or not np.all(np.isfinite(results)):
        raise RuntimeError("the 1000 patient-year run lost or broke patients")
    return elapsed


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
    bid = [dosing_values(arm, simulator.regimens, p.body_weight_kg) for p in patients]
    constant = [constant_exposure(simulator, arm, p) for p in patients]
    cost_bid, sld_bid = per_patient_year(simulator, patients, bid, args.repeats)
    cost_constant, sld_constant = per_patient_year(simulator, patients, constant, args.repeats)

    events_dir = event_models_dir()
    try:
        event_simulator = PatientSimulator(events_dir)
        cost_events, sld_events = per_patient_year(event_simulator, patients, bid, args.repeats, events=True)
    finally:
        shutil.rmtree(events_dir.parent, ignore_errors=True)
    events_agree = float(np.max(np.abs(sld_events - sld_bid)))

    wall_2 = thousand_patient_years(2)
    start = time.perf_counter()
    settings = TrialSettings(replicates=1, seed=SEED, patients=1000, horizon_weeks=52.0, arms=(ARM,))
    simulate_trial(spec, settings, workers=2)
    wall_trial = time.perf_counter() - start

    ratio = cost_bid / cost_constant
    rows = [
        ("bid_closed_form_s_per_patient_year", cost_bid, "s", "", "", "closed-form superposition, no events"),
        ("reference_constant_s_per_patient_year", cost_constant, "s", "", "",
         "ruxolitinib at its average steady-state free level (JAK clamp)"),
        ("bid_events_s_per_patient_year", cost_events, "s", "", "",
         f"one SBML event per dose; max |SLD - closed form| at 1 year {events_agree:.2g} mm"),
        ("ratio_events_over_closed_form", cost_events / cost_bid, "1", "", "", "what the closed form saves"),
        ("ratio_bid_over_reference", ratio, "1", TARGET_RATIO, ratio <= TARGET_RATIO, "(a) / (b)"),
        ("wall_1000_patient_years_2_workers", wall_2, "s", TARGET_WALL_S, wall_2 < TARGET_WALL_S,
         "full year per patient, spawned workers, start-up included"),
        ("wall_1000_patient_trial_52w_2_workers", wall_trial, "s", "", "",
         "as a trial runs them: stop at progression, early discontinuation, scans to 52 weeks"),
        ("mean_abs_sld_difference_bid_vs_reference_mm", float(np.mean(np.abs(sld_bid - sld_constant))), "mm", "", "",
         "what resolving the BID profile changes in SLD at one year"),
    ]
    table = pd.DataFrame(rows, columns=["measure", "value", "unit", "target", "met", "notes"])
    header = [f"stat3qsp_version: {__version__}", f"python: {platform.python_version()}", f"machine: {platform.machine()}",
              f"cpus: {os.cpu_count()}", f"patients: {args.patients}", f"repeats: {args.repeats}", f"seed: {SEED}"]
    write_table_atomic(args.out, table, header)
    with pd.option_context("display.width", 200, "display.max_colwidth", 90):
        print(table.to_string(index=False))


if __name__ == "__main__":
    main()
