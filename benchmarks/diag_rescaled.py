"""Check of the sensitivity analysis's ``rescaled`` growth mode against full tumour recalibrations.

``stat3qsp.sensitivity.outputs.GrowthScale`` (mode ``rescaled``) gives, for a parameter vector, the median
doubling time ``tumour_doubling_days`` that keeps the log-SLD growth of one reference patient (deviate 0,
NCT02066532's historical-control arm, at its 8-week median) at its value under the table parameters: a
one-simulation stand-in for recalibrating. Here each perturbation of ``--perturb`` (``NAME=VALUE``, a table
parameter) is applied both ways:

1. rescaled: ``GrowthScale(PatientSimulator(models), spec, "rescaled").overrides({NAME: VALUE})``;
2. recalibrated: the models folder copied to ``<workdir>/models_<NAME>`` with only that row's value of
   ``parameters.tsv`` edited (read back to check), then ``stat3qsp --models COPY calibrate tumour --patients
   P`` (the one code path of the calibration; it refits the kill scale and the sensitive subgroup too, which
   the rescaled mode keeps).

Output (TSV, ``-o``): per perturbation the committed median, the rescaled and the recalibrated median (days),
their ratio, and the recalibrated kill scale and subgroup share and factor. Nothing in ``models/`` is written.

Usage::

    PYTHONPATH=src .venv/bin/python benchmarks/diag_rescaled.py --perturb IL6_sec_k=0.02,death_k_max=0.04 \\
        --workdir /tmp/rescaled -o /tmp/rescaled/rescaled.tsv
"""
from __future__ import annotations

import argparse
import csv
import shutil
import subprocess
import sys
import time
from pathlib import Path

from stat3qsp.model.parameters import read_parameter_table
from stat3qsp.sensitivity.outputs import GrowthScale
from stat3qsp.trial.names import DOUBLING
from stat3qsp.trial.patient import PatientSimulator
from stat3qsp.trial.spec import load_trial_spec

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "trials" / "NCT02066532.yaml"
FITTED = (DOUBLING, "tumour_kill_scale", "tumour_sensitive_share", "tumour_sensitive_factor")


def calibrated(models: Path) -> dict[str, float]:
    """The fitted values of a models folder's ``calibrated/tumour.tsv``."""
    with open(models / "calibrated" / "tumour.tsv", encoding="utf-8") as stream:
        rows = csv.DictReader((line for line in stream if not line.startswith("#")), delimiter="\t")
        return {row["parameterId"]: float(row["value"]) for row in rows}


def edited_copy(models: Path, folder: Path, name: str, value: float) -> Path:
    """*models* copied to *folder* with the table value of *name* set to *value* (checked by reading it back)."""
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(models, folder)
    path = folder / "parameters.tsv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    hits = [i for i, line in enumerate(lines) if line.split("\t", 1)[0] == name]
    if len(hits) != 1:
        raise SystemExit(f"{name}: {len(hits)} rows in {path}; expected one")
    cells = lines[hits[0]].split("\t")
    cells[1] = repr(float(value))
    lines[hits[0]] = "\t".join(cells)
    path.write_text("".join(lines), encoding="utf-8")
    if read_parameter_table(path)[name].value != float(value):
        raise SystemExit(f"{name}: the edited copy does not read back {value}")
    return folder


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--perturb", required=True, help="comma-separated NAME=VALUE table parameters")
    parser.add_argument("--patients", type=int, default=400, help="calibration patients per arm (default 400)")
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args(argv)
    models = ROOT / "models"
    committed = calibrated(models)
    growth = GrowthScale(PatientSimulator(models), load_trial_spec(SPEC), "rescaled")
    args.workdir.mkdir(parents=True, exist_ok=True)
    rows = []
    for item in args.perturb.split(","):
        name, value = item.split("=")
        rescaled = growth.overrides({name: float(value)})[DOUBLING]
        copy = edited_copy(models, args.workdir / f"models_{name}", name, float(value))
        start = time.monotonic()
        subprocess.run([sys.executable, "-m", "stat3qsp", "--models", str(copy), "calibrate", "tumour", "--patients",
                        str(args.patients)], check=True, cwd=ROOT)
        fit = calibrated(copy)
        rows.append({"parameter": name, "value": value, "committed_doubling_days": committed[DOUBLING],
                     "rescaled_doubling_days": rescaled, "recalibrated_doubling_days": fit[DOUBLING],
                     "rescaled_over_recalibrated": rescaled / fit[DOUBLING],
                     **{f"recalibrated_{key}": fit[key] for key in FITTED[1:]},
                     "calibration_seconds": round(time.monotonic() - start)})
        print(rows[-1], flush=True)
    with open(args.output, "w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]), delimiter="\t")
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main()
