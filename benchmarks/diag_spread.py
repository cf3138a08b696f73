"""Profile (issue 13): the tumour calibration and the validation endpoints at several doubling-time spreads.

A sensitivity analysis, not a model selection: the committed spread (``log_sd`` of ``tumour_doubling_days``
in ``models/population.yaml``) is not changed. For each spread ``sigma`` of ``--spreads`` the models folder
is copied to ``<workdir>/models_sd<sigma>`` with only that ``log_sd`` edited (checked by reading it back with
:func:`stat3qsp.trial.population.read_population`), and the copy is recalibrated and run through the
command line, the one code path of each step, writing only into the copy and ``<workdir>``:

1. ``stat3qsp --models COPY calibrate tumour --patients P`` (writes ``COPY/calibrated/tumour.tsv``);
2. ``stat3qsp --models COPY trial trials/NCT02066532.yaml --arms ruxolitinib_trastuzumab`` and
   ``... trial trials/EGF104900.yaml --arms lapatinib_trastuzumab`` (validation arms, ``--seed 1``).

Read back per spread (rows of the output TSV, columns ``spread kind name observed value lo hi p``):

- ``calibrated``: the fitted values of ``COPY/calibrated/tumour.tsv``;
- ``fit``: every target, check and plausibility bound of the calibration (simulated on the calibration
  patients against observed, from the table's provenance; a bound's accepted range in lo/hi and whether
  it holds in p), the growth target's KM share at the week-8 scan and the number of evaluations;
- ``evidence``: what the calibration-trial endpoints say about the spread. Each rate endpoint of a
  calibration trial (EGF104900 lapatinib ORR and CBR, Vogel ORR and CBR, and the growth target read as
  the share progressed by the week-8 scan: 0.5 + 0.25/n, as fitted, k = 74 of 148) is a binomial count
  ``k = round(observed n)`` at the real trial's ``n`` (the spec's ``n_patients``) with the simulated rate ``q`` as its probability:
  ``log L = log C(n, k) + k log q + (n - k) log(1 - q)``; ``p`` is the two-sided exact binomial test
  (:func:`scipy.stats.binomtest`). ``total`` sums the log-likelihoods; ``delta`` is
  ``2 (max log L - log L)`` over the profiled spreads (a spread with ``delta > 3.84``, the 95% point of
  chi-square with 1 degree of freedom, would be excluded by these data). The simulated rate carries the
  Monte Carlo error of ``P`` calibration patients (binomial SE about 0.025 at 400), not included;
- ``doubling``: the doubling-time distribution at the fitted location: the truncated log-normal's exact
  quantiles (5, 25, 50, 75, 95%, days; :func:`stat3qsp.trial.doubling.doubling_days` at ``Phi^-1(q)``) and
  its shares over 160 and 240 days (no candidate is rejected for growth, so these are the patients'
  distribution up to the few rejected for other rules);
- ``fit not calibrated``: a spread at which the growth target is not reached within the location's bounds
  (1-2000 days; ``stat3qsp calibrate`` exits with code 2): its error message in p, no other rows;
- ``doubling realised``: the same quantiles and share over 160 days of the NCT02066532 run's patients
  (``untreated_doubling_days`` of ``patients.tsv``);
- ``identifying``: EGF104900's lapatinib arm (a calibration arm, ``--lapatinib-replicates`` replicates):
  its Kaplan-Meier progression-free share at 16 and 24 weeks (median over replicates, 5-95% in lo/hi,
  pooled in p), the measurement beyond the fitted median that is not at hand as data;
- ``validation``: predicted (median over replicates), predicted_lo/hi (90% PI) and predictive_p of every
  observed endpoint of the two validation arms (``endpoints.tsv`` of each run).

Run time (2-core machine shared with other sessions, load 4-8, ``nice -n 19``): per spread about 4-6 min for
the calibration at 400 patients, 1.5 min for 50 NCT02066532 replicates and 3-4 min for 20 EGF104900
replicates of the combination arm; the whole default profile (4 spreads) about 40 min
(docs/population.md, "Is the spread identified?").

Usage::

    PYTHONPATH=src .venv/bin/python benchmarks/diag_spread.py --spreads 0.5,0.83,1.2,1.6 \\
        --workdir /tmp/spread -o /tmp/spread/profile.tsv
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import gammaln, ndtr, ndtri
from scipy.stats import binomtest

from stat3qsp.trial.doubling import doubling_days, doubling_deviate
from stat3qsp.trial.endpoints import km_survival_at
from stat3qsp.trial.names import DOUBLING
from stat3qsp.trial.population import read_population
from stat3qsp.trial.spec import load_trial_spec

VALIDATION = (("trials/NCT02066532.yaml", "ruxolitinib_trastuzumab", "nct02066532"),
              ("trials/EGF104900.yaml", "lapatinib_trastuzumab", "egf104900"))
"""The validation arms run at each spread: spec, arm, output subfolder."""
IDENTIFYING = ("trials/EGF104900.yaml", "lapatinib_monotherapy", "egf104900_lapatinib")
"""The calibration arm whose progression-free share beyond its median is read (not at hand as data)."""
LANDMARK_WEEKS = (16.0, 24.0)
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
CHI2_1_95 = 3.841458820694124
"""95% point of chi-square with 1 degree of freedom."""
_FIT = re.compile(r"^(?P<role>\w+) (?P<spec>\S+) (?P<arm>\S+) (?P<endpoint>\S+) observed (?P<observed>\S+) "
                  r"simulated (?P<simulated>\S+)(?: accepted (?P<lo>\S+) to (?P<hi>\S+) within (?P<within>\w+))?")
_KM = re.compile(r"KM 1-S (?P<observed>[0-9.]+) at the week-(?P<week>\d+) scan \(simulated (?P<simulated>[0-9.]+)\)")
_LOG_SD = re.compile(r"(?m)^(  tumour_doubling_days:\n    distribution: doubling_time\n    log_sd: )\S+$")


def copy_models(source: Path, target: Path, spread: float) -> Path:
    """Copy the models folder *source* to *target* with ``tumour_doubling_days``' ``log_sd`` set to *spread*."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target)
    path = target / "population.yaml"
    text, count = _LOG_SD.subn(lambda m: f"{m.group(1)}{spread:g}", path.read_text(encoding="utf-8"))
    if count != 1:
        raise SystemExit(f"{path}: no single 'tumour_doubling_days: distribution: doubling_time, log_sd:' block")
    path.write_text(text, encoding="utf-8")
    read_back = read_population(path).distribution(DOUBLING).spread
    if not math.isclose(read_back, spread):
        raise SystemExit(f"{path}: log_sd reads back as {read_back}, not {spread}")
    return target


def stat3qsp(models: Path, *args: str, log: Path, fail_ok: bool = False) -> tuple[float, str | None]:
    """Run ``stat3qsp --models MODELS ARGS`` (this interpreter), its output in *log*: the wall time (s) and
    None, or with *fail_ok* the last line of a run that ended with exit code 2 (a clear error)."""
    start = time.perf_counter()
    with log.open("w", encoding="utf-8") as handle:
        done = subprocess.run([sys.executable, "-m", "stat3qsp", "--models", str(models), *args],
                              stdout=handle, stderr=subprocess.STDOUT, check=False)
    if done.returncode == 2 and fail_ok:
        return time.perf_counter() - start, log.read_text(encoding="utf-8").strip().splitlines()[-1]
    if done.returncode != 0:
        raise SystemExit(f"stat3qsp {' '.join(args)} failed (exit {done.returncode}); see {log}")
    return time.perf_counter() - start, None


def read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def binomial_evidence(observed: float, simulated: float, n: int) -> tuple[int, float, float]:
    """``(k, log L, p)`` of ``k = round(observed n)`` events in *n* at probability *simulated* (module docstring)."""
    k = round(observed * n)
    q = min(max(simulated, 0.5 / n / 100), 1.0 - 0.5 / n / 100)  # a simulated 0 or 1 is not a certainty
    log_l = gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1) + k * math.log(q) + (n - k) * math.log(1 - q)
    return k, float(log_l), float(binomtest(k, n, q).pvalue)


def calibration_rows(models: Path, arm_sizes: dict[tuple[str, str], int]) -> list[tuple]:
    """``calibrated``, ``fit`` and ``evidence`` rows (without ``spread``) of a recalibrated copy."""
    table = models / "calibrated" / "tumour.tsv"
    rows = [("calibrated", r["parameterId"], "", float(r["value"]), "", "", "") for r in read_tsv(table)]
    provenance = json.loads(Path(f"{table}.json").read_text(encoding="utf-8"))["provenance"]
    for line in provenance["fit"]:
        m = _FIT.match(line)
        if m is None:
            raise SystemExit(f"{table}.json: fit line not understood: {line!r}")
        name = f"{m['role']} {Path(m['spec']).stem} {m['arm']} {m['endpoint']}"
        observed, simulated = float(m["observed"]), float(m["simulated"])
        rows.append(("fit", name, observed, simulated, m["lo"] or "", m["hi"] or "",
                     "" if m["within"] is None else f"within {m['within']}"))
        if m["role"] != "plausibility" and m["endpoint"] in ("orr", "cbr"):
            n = arm_sizes[(m["spec"], m["arm"])]
            k, log_l, p = binomial_evidence(observed, simulated, n)
            rows.append(("evidence", f"{name} k={k} n={n}", observed, log_l, "", "", p))
    growth = next(r for r in read_tsv(table) if r["parameterId"] == DOUBLING)
    km = _KM.search(growth["objective"])
    if km is None:
        raise SystemExit(f"{table}: growth objective has no 'KM 1-S ... (simulated ...)': {growth['objective']!r}")
    spec, arm = growth["fitted_to"].split(" arm ")[0], growth["fitted_to"].split(" arm ")[1].split(":")[0]
    observed, simulated, n = float(km["observed"]), float(km["simulated"]), arm_sizes[(spec, arm)]
    rows.append(("fit", f"growth {Path(spec).stem} {arm} km_progressed_week{km['week']}", observed, simulated,
                 "", "", ""))
    k, log_l, p = binomial_evidence(observed, simulated, n)
    rows.append(("evidence", f"growth {Path(spec).stem} {arm} km_progressed_week{km['week']} k={k} n={n}",
                 observed, log_l, "", "", p))
    rows.append(("evidence", "total", "", sum(r[3] for r in rows if r[0] == "evidence"), "", "", ""))
    rows.append(("fit", "evaluations", "", float(provenance["evaluations"]), "", "", ""))
    return rows


def doubling_rows(models: Path) -> list[tuple]:
    """Exact quantiles and tail shares of the truncated log-normal at the fitted location (module docstring)."""
    growth = read_population(models / "population.yaml").distribution(DOUBLING)
    location = next(float(r["value"]) for r in read_tsv(models / "calibrated" / "tumour.tsv")
                    if r["parameterId"] == DOUBLING)
    rows = [("doubling", f"D{round(100 * q)}", "", doubling_days(location, growth.spread, growth.window,
                                                                 float(ndtri(q))), "", "", "")
            for q in QUANTILES]
    for days in (160.0, 240.0):
        share = 1.0 - float(ndtr(doubling_deviate(location, growth.spread, growth.window, days)))
        rows.append(("doubling", f"over{days:g}", "", share, "", "", ""))
    return rows


def validation_rows(output: Path, arm: str) -> list[tuple]:
    """Every observed endpoint of *arm* in ``output/endpoints.tsv``."""
    return [("validation", f"{output.name} {arm} {r['endpoint']}", r["observed"], r["predicted"],
             r["predicted_lo"], r["predicted_hi"], r["predictive_p"])
            for r in read_tsv(output / "endpoints.tsv") if r["arm"] == arm and r["observed"] not in ("", "nan")]


def landmark_rows(output: Path, arm: str) -> list[tuple]:
    """Kaplan-Meier progression-free share of *arm* at :data:`LANDMARK_WEEKS` (``patients.tsv`` of the run,
    ``status`` ok): median over replicates in value, their 5-95% range in lo/hi, all replicates pooled in p."""
    patients = pd.read_csv(output / "patients.tsv", sep="\t")
    patients = patients[(patients["arm"] == arm) & (patients["status"] == "ok")]
    rows = []
    for weeks in LANDMARK_WEEKS:
        per = [km_survival_at(g["pfs_weeks"], g["event"].astype(bool), weeks)[0]
               for _, g in patients.groupby("replicate")]
        pooled = km_survival_at(patients["pfs_weeks"], patients["event"].astype(bool), weeks)[0]
        lo, mid, hi = np.quantile(per, [0.05, 0.5, 0.95])
        rows.append(("identifying", f"{output.name} {arm} pfs_at_{weeks:g}_weeks", "", float(mid), float(lo),
                     float(hi), float(pooled)))
    return rows


def realised_doubling_rows(output: Path) -> list[tuple]:
    """Quantiles and share over 160 days of the run's patients' ``untreated_doubling_days``."""
    days = pd.read_csv(output / "patients.tsv", sep="\t")["untreated_doubling_days"].to_numpy()
    return ([("doubling realised", f"D{round(100 * q)}", "", float(v), "", "", "")
             for q, v in zip(QUANTILES, np.quantile(days, QUANTILES))]
            + [("doubling realised", "over160", "", float((days > 160).mean()), "", "", "")])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spreads", default="0.5,0.83,1.2,1.6", help="log-SDs of the doubling time")
    parser.add_argument("--models", type=Path, default=Path("models"), help="models folder to copy")
    parser.add_argument("--workdir", type=Path, required=True, help="folder of the copies and runs (not the repo)")
    parser.add_argument("--patients", type=int, default=400, help="calibration patients per arm")
    parser.add_argument("--nct-replicates", type=int, default=50)
    parser.add_argument("--egf-replicates", type=int, default=20)
    parser.add_argument("--lapatinib-replicates", type=int, default=5,
                        help="replicates of EGF104900's lapatinib arm for its landmark shares (0: none)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the validation runs")
    parser.add_argument("--skip-existing", action="store_true",
                        help="reuse a copy's calibration and runs already in --workdir")
    parser.add_argument("-o", "--output", type=Path, required=True, help="profile table (TSV)")
    args = parser.parse_args()
    sizes = {}
    for spec_file in ("trials/EGF104900.yaml", "trials/vogel2002.yaml"):
        for arm in load_trial_spec(spec_file).arms:
            sizes[(spec_file, arm.name)] = arm.n_patients
    args.workdir.mkdir(parents=True, exist_ok=True)
    table = []
    for spread in (float(s) for s in args.spreads.split(",")):
        models = args.workdir / f"models_sd{spread:g}"
        reuse = args.skip_existing and (models / "calibrated" / "tumour.tsv.json").is_file()
        if reuse and not math.isclose(read_population(models / "population.yaml").distribution(DOUBLING).spread,
                                      spread):
            raise SystemExit(f"{models}: its log_sd is not {spread:g}; remove it or drop --skip-existing")
        if not reuse:
            copy_models(args.models, models, spread)
            stale = models / "calibrated" / "tumour.tsv.json"
            stale.unlink()  # the copied provenance is the committed spread's: a failed fit must not read it
            wall, error = stat3qsp(models, "calibrate", "tumour", "--patients", str(args.patients),
                                   log=args.workdir / f"calibrate_sd{spread:g}.log", fail_ok=True)
            print(f"# spread {spread:g}: calibration {wall:.0f} s", flush=True)
            if error is not None:
                table.append((spread, "fit", "not calibrated", "", "", "", "", error))
                continue
        rows = calibration_rows(models, sizes) + doubling_rows(models)
        for (spec_file, arm, name), replicates in zip(VALIDATION, (args.nct_replicates, args.egf_replicates)):
            output = args.workdir / f"{name}_sd{spread:g}"
            if not (args.skip_existing and (output / "endpoints.tsv").is_file()):
                wall, _ = stat3qsp(models, "trial", spec_file, "--arms", arm, "--replicates", str(replicates),
                                   "--seed", str(args.seed), "--progress", "off", "-o", str(output),
                                   log=args.workdir / f"{name}_sd{spread:g}.log")
                print(f"# spread {spread:g}: {name} {replicates} replicates {wall:.0f} s", flush=True)
            rows += validation_rows(output, arm)
            if name == "nct02066532":
                rows += realised_doubling_rows(output)
        if args.lapatinib_replicates > 0:
            spec_file, arm, name = IDENTIFYING
            output = args.workdir / f"{name}_sd{spread:g}"
            if not (args.skip_existing and (output / "patients.tsv").is_file()):
                wall, _ = stat3qsp(models, "trial", spec_file, "--arms", arm, "--replicates",
                                   str(args.lapatinib_replicates), "--seed", str(args.seed), "--progress", "off",
                                   "-o", str(output), log=args.workdir / f"{name}_sd{spread:g}.log")
                print(f"# spread {spread:g}: {name} {args.lapatinib_replicates} replicates {wall:.0f} s", flush=True)
            rows += landmark_rows(output, arm)
        table += [(spread, *row) for row in rows]
    best = max(r[4] for r in table if r[1] == "evidence" and r[2] == "total")
    for spread in sorted({r[0] for r in table if r[1] == "evidence"}):
        total = next(r[4] for r in table if r[0] == spread and r[1] == "evidence" and r[2] == "total")
        delta = 2.0 * (best - total)
        table.append((spread, "evidence", "delta", CHI2_1_95, delta, "", "", "excluded" if delta > CHI2_1_95
                      else "not excluded"))
    table.sort(key=lambda r: r[0])
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with args.output.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(("spread", "kind", "name", "observed", "value", "lo", "hi", "p"))
        for row in table:
            writer.writerow([f"{v:.6g}" if isinstance(v, float) else v for v in row])
    print(args.output.read_text(encoding="utf-8"), end="")


if __name__ == "__main__":
    main()
