"""Speed of the library: model load time and the overhead of one assay over bare roadrunner.

Measured in one process (see benchmarks/README.md):

(a) load: ``build_model()`` (uncached), and its parts: composition (catalog and parameter table to
    Antimony), Antimony to SBML, and ``roadrunner.RoadRunner(sbml)`` alone. roadrunner's in-process
    model cache is switched off (``Config.LOADSBMLOPTIONS_RECOMPILE``) so that every repeat compiles,
    as a new process would; the very first build of the process (LLVM start-up included) is reported
    on its own, and so is ``import stat3qsp.model`` in a fresh interpreter (not part of the target).
(b) library: ``ContextSimulator.assay(doses)`` (72 h), after a warm-up that pre-equilibrates the
    context and caches the vehicle run, over ``--doses`` different drug combinations.
(c) bare: a RoadRunner of ``Model.sbml_for_context(context)`` with the library's tolerances; per
    dose ``reset()``, the same pre-equilibrated species amounts, the drug parameters and
    ``simulate(0, 72, 2)`` with the same selections. Its readouts are checked against the library's
    before anything is timed.
(d) the ratio library / bare (target <= 1.2) and the load time (target < 0.5 s).

Per-assay times are the median over ``--repeats`` of (time of the whole dose loop) / (doses); the
ratio is the median over repeats of the per-repeat ratio (the two loops alternate in each repeat).

Usage::

    .venv/bin/python benchmarks/bench_assay.py [--repeats N] [--doses N] [--out FILE]
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import roadrunner

from stat3qsp import __version__
from stat3qsp.model.catalog import DEFAULT_MODELS_DIR, read_catalog
from stat3qsp.model.compose import antimony_to_sbml, compose_antimony
from stat3qsp.model import ABSOLUTE_TOLERANCE, RELATIVE_TOLERANCE, ContextSimulator, Model, build_model
from stat3qsp.io.tables import write_table_atomic
from stat3qsp.model.parameters import read_parameter_table
from stat3qsp.model.readouts import ASSAY_READOUTS, READOUTS, VIABILITY

ASSAY_HOURS = 72.0
#: Largest accepted library / bare time per assay.
TARGET_RATIO = 1.2
#: Largest accepted model load time (s).
TARGET_LOAD_S = 0.5
CONTEXTS = ("her2_amplified", "her2_trastuzumab_resistant")
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "results" / "benchmarks" / "assay.tsv"


def median_time(action: Callable[[], object], repeats: int) -> float:
    """Median wall time (s) of *repeats* calls of *action*."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def import_time(repeats: int) -> float:
    """Median wall time (s) of ``import stat3qsp.model`` in a fresh interpreter (informational)."""
    code = "import time; t = time.perf_counter(); import stat3qsp.model; print(time.perf_counter() - t)"
    times = [float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout) for _ in range(repeats)]
    return statistics.median(times)


def load_times(repeats: int) -> dict[str, float]:
    """Wall times (s) of loading the model and of its parts; call before anything else is built."""
    start = time.perf_counter()
    build_model()
    first = time.perf_counter() - start
    catalog = read_catalog(DEFAULT_MODELS_DIR)
    parameters = read_parameter_table(catalog.models_dir / "parameters.tsv")
    antimony = compose_antimony(catalog, parameters)
    sbml = antimony_to_sbml(antimony)
    recompile = roadrunner.Config.getValue(roadrunner.Config.LOADSBMLOPTIONS_RECOMPILE)
    roadrunner.Config.setValue(roadrunner.Config.LOADSBMLOPTIONS_RECOMPILE, True)
    try:
        return {
            "load_first_in_process": first,
            "load_build_model": median_time(build_model, repeats),
            "load_read_and_compose_antimony": median_time(
                lambda: compose_antimony(read_catalog(DEFAULT_MODELS_DIR), read_parameter_table(catalog.models_dir / "parameters.tsv")), repeats
            ),
            "load_antimony_to_sbml": median_time(lambda: antimony_to_sbml(antimony), repeats),
            "load_roadrunner_compile": median_time(lambda: roadrunner.RoadRunner(sbml), repeats),
            "import_stat3qsp_model_fresh_process": import_time(repeats),
        }
    finally:
        roadrunner.Config.setValue(roadrunner.Config.LOADSBMLOPTIONS_RECOMPILE, recompile)


def dose_grid(model: Model, count: int) -> list[dict[str, float]]:
    """*count* different combinations of all drugs of the catalog, log-uniform 0.1 to 3000 nM (fixed seed)."""
    drugs = sorted(model.catalog.drugs)
    rng = np.random.default_rng(20240611)
    grid = 10.0 ** rng.uniform(-1.0, np.log10(3000.0), size=(count, len(drugs)))
    return [dict(zip(drugs, map(float, row))) for row in grid]


class BareAssay:
    """The minimal roadrunner work for the library's 72-h assay answer."""

    def __init__(self, model: Model, simulator: ContextSimulator):
        self.runner = roadrunner.RoadRunner(model.sbml_for_context(simulator.name))
        integrator = self.runner.getIntegrator()
        integrator.setValue("relative_tolerance", RELATIVE_TOLERANCE)
        integrator.setValue("absolute_tolerance", ABSOLUTE_TOLERANCE)
        integrator.setValue("maximum_num_steps", 100000)
        if list(self.runner.model.getFloatingSpeciesIds()) != list(model.runner.model.getFloatingSpeciesIds()):
            raise RuntimeError("the context SBML orders its species unlike the library's model")
        self.start = simulator.start_state()
        self.drug_parameters = {d.name: d.concentration_parameter for d in model.catalog.drugs.values()}
        self.selections = ["time", *(v for v, _, _ in READOUTS.values())]

    def run(self, doses_nM: dict[str, float]) -> np.ndarray:
        """Readouts (time first) at 0 and 72 h after adding *doses_nM* to the pre-equilibrated cells."""
        runner = self.runner
        runner.reset()
        runner.model.setFloatingSpeciesAmounts(self.start)
        for drug, conc in doses_nM.items():
            runner.setValue(self.drug_parameters[drug], conc)
        return runner.simulate(0.0, ASSAY_HOURS, 2, selections=self.selections)


def check_same_answer(simulator: ContextSimulator, bare: BareAssay, doses: list[dict[str, float]]) -> None:
    """The bare loop must give the library's readouts (relative 1e-9) for every dose."""
    vehicle = np.asarray(bare.run({drug: 0.0 for drug in bare.drug_parameters}))[-1]
    log_cells = 1 + list(READOUTS).index("log_cells")
    for dose in doses:
        raw = np.asarray(bare.run(dose))[-1]
        expected = dict(zip(READOUTS, raw[1:]))
        expected[VIABILITY] = 100.0 * np.exp(raw[log_cells] - vehicle[log_cells])
        library = simulator.assay(dose, hours=ASSAY_HOURS)
        for name in ASSAY_READOUTS:
            if not np.isclose(library[name], expected[name], rtol=1e-9, atol=1e-15):
                raise RuntimeError(f"{simulator.name} {dose}: {name} library {library[name]!r} != bare {expected[name]!r}")


def assay_times(model: Model, context: str, doses: list[dict[str, float]], repeats: int) -> dict[str, float]:
    """Median time per assay (s) of the library and of the bare loop, and the median of their ratio.

    The two loops alternate within every repeat, and the ratio is taken per repeat, so that a
    slower stretch of the machine affects both sides of a ratio alike.
    """
    simulator = model.context(context)
    simulator.assay(doses[0], hours=ASSAY_HOURS)  # warm-up: pre-equilibration and vehicle cache
    bare = BareAssay(model, simulator)
    check_same_answer(simulator, bare, doses)
    library, plain = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        for dose in doses:
            simulator.assay(dose, hours=ASSAY_HOURS)
        library.append((time.perf_counter() - start) / len(doses))
        start = time.perf_counter()
        for dose in doses:
            bare.run(dose)
        plain.append((time.perf_counter() - start) / len(doses))
    return {
        "assay_library": statistics.median(library),
        "assay_bare": statistics.median(plain),
        "assay_ratio_library_to_bare": statistics.median(a / b for a, b in zip(library, plain)),
    }


def machine() -> dict[str, str]:
    """Where the numbers were measured."""
    return {
        "nproc": str(os.cpu_count()),
        "machine": platform.machine(),
        "system": platform.platform(),
        "python": platform.python_version(),
        "libroadrunner": roadrunner.__version__,
        "stat3qsp_version": __version__,
    }


def run(repeats: int, dose_count: int) -> pd.DataFrame:
    """All measurements as a table: metric, context, value, unit, target, meets_target."""
    rows = []
    for metric, seconds in load_times(repeats).items():
        target = TARGET_LOAD_S if metric == "load_build_model" else np.nan
        rows.append((metric, "", seconds, "s", target))
    model = build_model()
    doses = dose_grid(model, dose_count)
    for context in CONTEXTS:
        times = assay_times(model, context, doses, repeats)
        rows.append(("assay_library", context, times["assay_library"], "s", np.nan))
        rows.append(("assay_bare", context, times["assay_bare"], "s", np.nan))
        rows.append(("assay_ratio_library_to_bare", context, times["assay_ratio_library_to_bare"], "1", TARGET_RATIO))
    table = pd.DataFrame(rows, columns=["metric", "context", "value", "unit", "target"])
    meets = np.where(table["target"].isna(), "", np.where(table["value"] <= table["target"], "yes", "no"))
    table["meets_target"] = meets
    return table


def format_table(table: pd.DataFrame) -> str:
    """The table for the terminal, times in ms."""
    lines = [f"{'metric':32s} {'context':28s} {'value':>10s}  {'target':>8s}  ok"]
    for row in table.itertuples():
        scale, unit = (1e3, "ms") if row.unit == "s" else (1.0, "")
        target = "" if np.isnan(row.target) else f"{row.target * scale:g}{unit}"
        lines.append(f"{row.metric:32s} {row.context:28s} {row.value * scale:8.3f}{unit:2s}  {target:>8s}  {row.meets_target}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the table and write it as TSV; exit code 1 if a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="repeats of every measurement; the median is reported (default 7)")
    parser.add_argument("--doses", type=int, default=50, help="different drug combinations per assay loop (default 50)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="TSV to write (default results/benchmarks/assay.tsv of the project)")
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.doses < 1:
        parser.error("--repeats and --doses must be >= 1")
    table = run(args.repeats, args.doses)
    header = [f"{key}: {value}" for key, value in machine().items()] + [f"repeats: {args.repeats}", f"doses: {args.doses}"]
    print("\n".join(header))
    print(format_table(table))
    write_table_atomic(args.out, table, header)
    print(f"written: {args.out}")
    return 1 if (table["meets_target"] == "no").any() else 0


if __name__ == "__main__":
    sys.exit(main())
