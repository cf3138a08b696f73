"""Rank competing hypotheses on the same evidence: ``stat3qsp hypotheses`` and the ``hypotheses`` rule call
:func:`rank_hypotheses`.

For every hypothesis or combination (:mod:`stat3qsp.model.hypotheses`; its derived models folder is kept in
``<output>/models/<name>/`` as the provenance of its rows, with its own refitted ``calibrated/tumour.tsv``):

1. **Signalling fit.** The negative log-likelihood of the Sobotta 2017 training data (PEtab,
   ``calibration/sobotta2017/``; ruxolitinib conditions held out) at the calibrated values, observation
   parameters refitted (:func:`stat3qsp.calibration.store.signalling_evaluation`, once per hepatocyte
   model: :class:`stat3qsp.hypotheses.evidence.SignallingCache`): an *evaluation*, not a refit of the model
   parameters; no module adds a fitted signalling parameter. AIC and BIC count the problem's estimated
   parameters plus every parameter the modules add (chosen values, so each is a degree of freedom of the
   hypothesis).
2. **Population calibration.** The tumour growth and kill scales refitted to the calibration targets of
   the population (``calibration/tumour/targets.yaml``: EGF104900 lapatinib median PFS, Vogel 2002 ORR) on
   the hypothesis's own model (:func:`stat3qsp.hypotheses.evidence.refit_tumour`, the function of
   ``stat3qsp calibrate tumour``), every hypothesis with the same calibration patients; the residuals of
   the targets are columns of the ranking.
3. **Trial.** A pool of ``patients`` virtual patients on the scored arm (ruxolitinib + trastuzumab) and the
   trastuzumab-alone control of the trial spec, the same patients in both (seed ``seed``, one replicate;
   the refitted scales; a covariate whose population entry has ``centre_from_spec`` takes that field of
   the spec's population as its arm value, e.g. the HR+ share), simulated by the trial runner's patient
   function (:mod:`stat3qsp.hypotheses.pool`). Scores: :mod:`stat3qsp.hypotheses.scoring` (bootstrap
   trials of the spec's size; predictive p and log predictive probability of every observed endpoint;
   the same bootstrap draws for every hypothesis).
4. **Predictions.** Subgroups and biomarkers (:mod:`stat3qsp.hypotheses.analysis`), and optionally the arms
   of a forward-prediction spec (the seed-003 neratinib + ruxolitinib TNBC trial), at the refitted scales.

PEtab Select is not used: it selects among models of one PEtab problem that differ in which parameters
are estimated, while these hypotheses differ in structure (modules) and are scored mostly on a clinical
trial, which PEtab Select has no place for (docs/hypotheses.md).
"""
from __future__ import annotations

import math
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from stat3qsp.errors import InputError
from stat3qsp.hypotheses.settings import DEFAULT_COMBINATIONS, RankingSettings
from stat3qsp.hypotheses import analysis
from stat3qsp.hypotheses import columns as hc
from stat3qsp.hypotheses.evidence import SignallingCache, calibrated_scales, refit_tumour
from stat3qsp.hypotheses.pool import simulate_pool
from stat3qsp.hypotheses.scoring import SCORED_ENDPOINTS, TREATED_ENDPOINTS, bootstrap_endpoints, km_median, score_endpoints
from stat3qsp.io.paths import check_output_folder
from stat3qsp.io.tables import atomic_folder, write_table_atomic, write_text_atomic
from stat3qsp.hypotheses.summary import summary_html
from stat3qsp.model.hypotheses import (BASELINE, available_hypotheses, combination_name, compose_hypothesis_models, parse_combination,
                                       read_hypothesis)
from stat3qsp.model.provenance import file_hash, provenance_lines
from stat3qsp.trial import columns as tc
from stat3qsp.trial.names import DOUBLING, KILL_SCALE, VARIANT
from stat3qsp.trial.spec import load_trial_spec
from stat3qsp.trial.spec_types import TrialSpec

DEFAULT_TARGETS = Path("calibration/tumour/targets.yaml")
"""The population's calibration targets refitted for every hypothesis."""
#: Arms of the ranked trial: the scored (observed) arm and its trastuzumab-alone control.
SCORED_ARM, CONTROL_ARM = "ruxolitinib_trastuzumab", "historical_control"
#: Arms of the forward-prediction trial (with and without ruxolitinib).
FORWARD_ARMS = ("neratinib_ruxolitinib", "neratinib_alone")
#: Tables written by :func:`rank_hypotheses`.
TABLES = ("ranking.tsv", "subgroups.tsv", "biomarkers.tsv", "patients.tsv", "forward.tsv", "calibration.tsv",
          "summary.html")


def spec_overrides(spec: TrialSpec, models_dir: Path, modules: Sequence[str]) -> dict[str, float]:
    """Arm values that a hypothesis's covariates take from the spec's population (``centre_from_spec``)."""
    overrides = {}
    for name in modules:
        for pid, entry in read_hypothesis(models_dir, name).population.items():
            field = entry.get("centre_from_spec") if isinstance(entry, dict) else None
            if field is None:
                continue
            value = getattr(spec.population, str(field), None)
            if not isinstance(value, (int, float)) or not 0 <= value <= 1:
                raise InputError(f"hypothesis {name!r}: {pid} takes population.{field} of trial {spec.id}, which is "
                                 f"{value!r}; accepted: a fraction in [0, 1] in the spec")
            overrides[pid] = float(value)
    return overrides


def binary_covariates(models_dir: Path, modules: Sequence[str]) -> list[str]:
    """The 0/1 covariates (``bernoulli`` distributions) of a combination."""
    return [pid for name in modules for pid, entry in read_hypothesis(models_dir, name).population.items()
            if isinstance(entry, dict) and entry.get("distribution") == "bernoulli"]


def evaluate(name: str, modules: tuple[str, ...], folder: Path, spec: TrialSpec, signalling: Path,
             targets: Path, settings: RankingSettings, start_rate: float, cache: SignallingCache,
             forward: TrialSpec | None = None) -> dict:
    """Ranking row (without ``delta_log_score``), patients, subgroups, biomarkers and forward rows of one
    combination (module docstring)."""
    clock = [time.process_time()]
    nll, estimated, measurements = cache(signalling, folder)
    added = sum(len(read_hypothesis(folder, m).parameters) for m in modules)
    k = estimated + added
    clock.append(time.process_time())
    fit = refit_tumour(folder, targets, settings.calibration_patients, start_rate)
    clock.append(time.process_time())
    scales = {DOUBLING: fit.doubling_days, KILL_SCALE: fit.kill_scale}
    overrides = {**scales, **spec_overrides(spec, folder, modules)}
    patients, sld = simulate_pool(folder, spec, (SCORED_ARM, CONTROL_ARM), settings.patients, settings.seed,
                                  settings.workers, overrides)
    scored = spec.arm(SCORED_ARM)
    chosen = [e for e in scored.endpoints if e.name in SCORED_ENDPOINTS]
    observed = {e.name: float(e.observed) for e in chosen}
    sizes = {e.name: int(e.n or scored.n_patients) for e in chosen}
    boot = bootstrap_endpoints(patients[patients[tc.ARM] == SCORED_ARM], scored.n_patients, settings.bootstrap,
                               np.random.default_rng(settings.seed))
    scores = score_endpoints(boot, {e: v for e, v in observed.items() if e in boot.columns}, sizes)
    control = patients[(patients[tc.ARM] == CONTROL_ARM) & (patients[tc.STATUS] != tc.FAILED)]
    residual = fit.rows.set_index("target")
    row = {hc.HYPOTHESIS: name, hc.MODULES: ",".join(modules), hc.N_PARAMETERS: k, hc.FIT_NLL: nll,
           hc.AIC: 2 * k + 2 * nll, hc.BIC: k * math.log(measurements) + 2 * nll,
           hc.TRIAL_LOG_SCORE: float(sum(s[1] for e, s in scores.items() if e in TREATED_ENDPOINTS)),
           **{hc.PREDICTIVE_P_PREFIX + e: s[0] for e, s in scores.items()},
           **{hc.LOG_PROBABILITY_PREFIX + e: s[1] for e, s in scores.items()},
           hc.CONTROL_MEDIAN_PFS: km_median(control[tc.PFS_WEEKS].to_numpy(float), control[tc.EVENT].to_numpy(bool)),
           hc.DOUBLING: fit.doubling_days, hc.KILL_SCALE: fit.kill_scale,
           **{column: float(residual.loc[kind, "simulated"] - residual.loc[kind, "observed"])
              for column, kind in ((hc.GROWTH_RESIDUAL, "growth"), (hc.KILL_RESIDUAL, "kill"))}}
    binary = binary_covariates(folder, modules)
    features = _features(patients)
    result = {"row": row, "patients": patients.assign(**{hc.HYPOTHESIS: name}),
              "subgroups": analysis.subgroup_table(name, patients, binary),
              "biomarkers": analysis.biomarker_table(
                  name, analysis.benefit(patients, sld, SCORED_ARM, CONTROL_ARM, features), binary),
              "endpoints": list(scores), "fit": fit.rows.assign(**{hc.HYPOTHESIS: name})}
    if forward is not None:
        forward_patients, _ = simulate_pool(folder, forward, FORWARD_ARMS, settings.patients, settings.seed,
                                            settings.workers, {**scales, **spec_overrides(forward, folder, modules)})
        result["forward"] = analysis.forward_table(name, forward_patients)
    clock.append(time.process_time())
    result["cpu"] = np.diff(clock)  # main-process CPU s: signalling, refit, pools and scores
    return result


def _features(patients: pd.DataFrame) -> list[str]:
    """Baseline features of the patients table: sampled values and covariates (columns after ``draws``) and
    the untreated pSTAT3 share; PK parameters (``*_CL*``, ``*_V*``) left out."""
    from stat3qsp.trial.simulate import DRAWS

    sampled = list(patients.columns[list(patients.columns).index(DRAWS) + 1:])
    return [c for c in sampled if c != hc.BASELINE_PSTAT3 and "_CL" not in c and "_V" not in c] + [hc.BASELINE_PSTAT3]


def rank_hypotheses(models_dir: Path | str, spec_path: Path | str, signalling_spec: Path | str, output: Path | str,
                    combinations: Sequence[str] = DEFAULT_COMBINATIONS, settings: RankingSettings = RankingSettings(),
                    forward_spec: Path | str | None = None, figures: bool = True,
                    targets: Path | str = DEFAULT_TARGETS) -> pd.DataFrame:
    """Rank *combinations* (names like ``paracrine_il6+adcc``) into *output* (:data:`TABLES` and ``figures/``;
    the folder appears whole or not at all), each with its tumour scales refitted to the calibration
    *targets*. Returns the ranking table.

    Raises
    ------
    InputError
        For an unknown hypothesis, a bad combination, a spec without the scored and control arms, or an
        existing output path that is not a folder.
    """
    output = check_output_folder(output, "-o")
    spec = load_trial_spec(spec_path)
    for arm in (SCORED_ARM, CONTROL_ARM):
        spec.arm(arm)
    forward = load_trial_spec(forward_spec) if forward_spec else None
    parsed = [parse_combination(c) for c in combinations]
    if not parsed:
        raise InputError("hypotheses: no combination to rank; accepted: at least one, e.g. baseline")
    names = [combination_name(m) for m in parsed]
    if len(set(names)) != len(names):
        raise InputError(f"hypotheses {names}: a combination is given twice; accepted: each once")
    began = time.perf_counter()
    start_rate = calibrated_scales(models_dir)[0]
    cache = SignallingCache()
    with atomic_folder(output) as staging:
        results = []
        for name, modules in zip(names, parsed):
            folder = compose_hypothesis_models(models_dir, modules, staging / "models" / name)
            results.append(evaluate(name, modules, folder, spec, Path(signalling_spec), Path(targets), settings,
                                    start_rate, cache, forward))
        endpoints = results[0]["endpoints"]
        ranking = pd.DataFrame([r["row"] for r in results])
        ranking[hc.DELTA_LOG_SCORE] = ranking[hc.TRIAL_LOG_SCORE] - ranking[hc.TRIAL_LOG_SCORE].max()
        ranking = ranking.sort_values(hc.TRIAL_LOG_SCORE, ascending=False, kind="stable")[hc.ranking_columns(endpoints)]
        header = [*provenance_lines(models_dir, VARIANT), f"trial_spec: {Path(spec_path).name} sha256 {file_hash(spec_path)}",
                  f"signalling_spec: {Path(signalling_spec).as_posix()}", f"seed: {settings.seed}",
                  f"patients_per_arm: {settings.patients}", f"bootstrap: {settings.bootstrap}",
                  f"tumour_targets: {Path(targets).as_posix()} sha256 {file_hash(targets)}",
                  f"calibration_patients_per_arm: {settings.calibration_patients}",
                  f"signalling_evaluations: {cache.evaluations} (one per hepatocyte model digest)",
                  f"wall_time_s: {time.perf_counter() - began:.1f}",
                  "main_process_cpu_s: signalling {:.1f}, tumour refits {:.1f}, pools and scores {:.1f}".format(
                      *np.sum([r["cpu"] for r in results], axis=0)),
                  "note: NCT02066532 had 26 evaluable patients; a difference of the log score below about 2 is weak "
                  "evidence, and the pool is small (docs/hypotheses.md)"]
        write_table_atomic(staging / "ranking.tsv", ranking.reset_index(drop=True), header)
        for key, table in (("subgroups", "subgroups.tsv"), ("biomarkers", "biomarkers.tsv"), ("patients", "patients.tsv"),
                           ("fit", "calibration.tsv")):
            write_table_atomic(staging / table, pd.concat([r[key] for r in results], ignore_index=True), header)
        forward_rows = [r["forward"] for r in results if "forward" in r]
        forward_table = pd.concat(forward_rows, ignore_index=True) if forward_rows else pd.DataFrame(
            columns=[c for c in hc.SUBGROUP_COLUMNS if c != hc.SUBGROUP])
        write_table_atomic(staging / "forward.tsv", forward_table,
                           [*header, f"forward_spec: {Path(forward_spec).name if forward_spec else 'none'}"])
        claims = {name: h.claim for name, h in available_hypotheses(models_dir).items()}
        fits = pd.concat([r["fit"] for r in results], ignore_index=True)
        write_text_atomic(staging / "summary.html", summary_html(ranking, forward_table, claims,
                                                                 spec.arm(SCORED_ARM).n_patients, *FORWARD_ARMS, fits))
        if figures:
            from stat3qsp.hypotheses.figures import biomarker_figure, ranking_figure

            (staging / "figures").mkdir()
            ranking_figure(ranking, endpoints, staging / "figures" / "ranking.png")
            biomarker_figure(pd.concat([r["biomarkers"] for r in results], ignore_index=True),
                             staging / "figures" / "biomarkers.png")
    return ranking.reset_index(drop=True)


__all__ = ["BASELINE", "DEFAULT_COMBINATIONS", "RankingSettings", "rank_hypotheses"]
