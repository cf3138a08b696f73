"""Functions that the calibration rules (workflows/calibration.smk) call: one call per rule.

Every table carries provenance (``key: value`` lines in its sidecar JSON, :mod:`stat3qsp.io.tables`): the hash of the PEtab problem and of
the model (:func:`stat3qsp.model.provenance.provenance_lines`), the package version, the fit configuration and its seed.
"""
from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import petab.v1 as petab

from stat3qsp.calibration.signalling import columns as cc
from stat3qsp.calibration.signalling.evaluate import error_table
from stat3qsp.calibration.signalling.figures import fit_figure, profile_figure, waterfall_figure
from stat3qsp.calibration.signalling.fit import fit_observation_parameters, multistart, profile_interval, profiles
from stat3qsp.calibration.signalling.objective import Objective
from stat3qsp.calibration.signalling.loading import load_objective
from stat3qsp.calibration.signalling.problem import (TRAINING_FILE, VALIDATION_FILE, VALIDATION_YAML,
                                        build_problem, lint, write_problem)
from stat3qsp.calibration.signalling.spec import read_spec
from stat3qsp.model.provenance import provenance_lines
from stat3qsp.errors import InputError
from stat3qsp.io.tables import read_table, write_table_atomic
from stat3qsp.model.parameters import read_parameter_table

#: A fitted value this close to a bound (log10 units) is reported as at the bound.
AT_BOUND_TOLERANCE = 0.005


def problem_hash(problem_yaml: Path | str) -> str:
    """Short SHA-256 over the files of a PEtab problem folder (model, tables)."""
    folder = Path(problem_yaml).parent
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*")):
        if path.suffix in (".xml", ".tsv", ".yaml") and path.is_file():
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def _provenance(problem_yaml, spec_path, config_name, models_dir) -> list[str]:
    spec = read_spec(spec_path)
    config = spec.fit_config(config_name)
    return [*provenance_lines(models_dir), f"problem_sha256: {problem_hash(problem_yaml)}", f"spec: {spec_path}",
            f"fit_config: {config_name} {asdict(config)}", f"seed: {config.seed}"]


def write_calibration_problem(spec_path: str, models_dir: str, folder: str) -> None:
    """Build the PEtab problem of a recipe into *folder* and lint it (fails on any lint error)."""
    spec = read_spec(spec_path)
    built = build_problem(spec, models_dir)
    yaml_path = write_problem(built, folder)
    for path in (yaml_path, Path(folder) / VALIDATION_YAML):
        errors = lint(path)
        if errors:
            raise InputError(f"{path} fails petab lint: " + "; ".join(errors))
    logging.info("%s: %d training, %d validation measurements, %d dropped", yaml_path, len(built.training),
                 len(built.validation), int((built.provenance["use"] == "dropped").sum()))


def read_estimate(path: Path | str) -> dict[str, float]:
    """Fitted values (linear) by parameter id, from an estimate or fitted-parameters table."""
    table = read_table(path)
    return dict(zip(table[cc.PARAMETER_ID], table[cc.VALUE].astype(float)))


def _vector(objective: Objective, values: dict[str, float]) -> np.ndarray:
    missing = [p for p in objective.x_ids if p not in values]
    if missing:
        raise InputError(f"fitted values lack parameter(s) {missing[:5]}")
    return np.log10([values[p] for p in objective.x_ids])


def _training_vector(training: Objective, values: dict[str, float]) -> np.ndarray:
    """The fitted vector on every training dataset. A fit on a subset of the datasets (the spec's ``fast``
    configuration) has no offsets, scales or noise for the others: they are fitted here at the fitted model
    parameters, as the table-value baseline of :func:`run_validation` is."""
    if all(p in values for p in training.x_ids):
        return _vector(training, values)
    dynamic = {training.x_ids[j] for j in training.dynamic}
    missing = sorted(dynamic - set(values))
    if missing:
        raise InputError(f"fitted values lack model parameter(s) {missing[:5]}")
    x = np.array([np.log10(values[p]) if p in values else training.x_nominal[j] for j, p in enumerate(training.x_ids)])
    return fit_observation_parameters(training, x)


def run_multistart(problem_yaml: str, spec_path: str, config_name: str, models_dir: str, multistart_path: str,
                   estimate_path: str) -> None:
    """Multistart fit of the training problem (pyPESTO + fides): every start, and the best parameter vector."""
    config = read_spec(spec_path).fit_config(config_name)
    began = time.perf_counter()
    objective = load_objective(problem_yaml, config.datasets)
    results = multistart(objective, config)
    seconds = time.perf_counter() - began
    header = _provenance(problem_yaml, spec_path, config_name, models_dir) + [f"wall_time_s: {seconds:.1f}"]
    rows = []
    for r in results:
        row = {cc.START: r.start, cc.NLLH_START: r.nllh_start, cc.NLLH: r.nllh, cc.NFEV: r.nfev, cc.STATUS: r.status,
               cc.SECONDS: r.seconds}
        row.update({objective.x_ids[j]: r.x[j] for j in objective.dynamic})
        rows.append(row)
    write_table_atomic(multistart_path, pd.DataFrame(rows), header)
    best = results[0]
    estimate = pd.DataFrame({cc.PARAMETER_ID: objective.x_ids, cc.VALUE: 10.0 ** best.x})
    write_table_atomic(estimate_path, estimate, header + [f"nllh: {best.nllh:.6f}"])
    logging.info("multistart: %d starts in %.1f s, best nllh %.3f", len(results), seconds, best.nllh)


def run_profiles(problem_yaml: str, spec_path: str, config_name: str, models_dir: str, estimate_path: str,
                 profiles_path: str, fitted_path: str) -> None:
    """Profile likelihoods of the model parameters (pyPESTO) and the fitted-parameters table with 95% intervals."""
    config = read_spec(spec_path).fit_config(config_name)
    objective = load_objective(problem_yaml, config.datasets)
    x_hat = _vector(objective, read_estimate(estimate_path))
    nllh_hat = objective.nllh(x_hat)
    began = time.perf_counter()
    table = profiles(objective, x_hat, config)
    seconds = time.perf_counter() - began
    nllh_min = min(nllh_hat, float(table[cc.NLLH].min()))
    table[cc.DELTA_NLLH] = table[cc.NLLH] - nllh_min
    header = _provenance(problem_yaml, spec_path, config_name, models_dir) + [f"wall_time_s: {seconds:.1f}",
                                                                              f"nllh_optimum: {nllh_hat:.6f}"]
    write_table_atomic(profiles_path, table, header)
    parameters = read_parameter_table(Path(models_dir) / "parameters.tsv")
    rows = []
    for j, pid in enumerate(objective.x_ids):
        value = 10.0 ** x_hat[j]
        at_bound = bool(min(x_hat[j] - objective.lb[j], objective.ub[j] - x_hat[j]) < AT_BOUND_TOLERANCE)
        row = {cc.PARAMETER_ID: pid, cc.KIND: pid.split("_", 1)[0] if j not in objective.dynamic else "model",
               cc.VALUE: value, cc.AT_BOUND: at_bound}
        if j in objective.dynamic:
            low, high, low_closed, high_closed = profile_interval(table[table[cc.PARAMETER_ID] == pid], nllh_min)
            entry = parameters[pid]
            row.update({cc.LOWER_95: low, cc.UPPER_95: high, cc.LOWER_CLOSED: low_closed, cc.UPPER_CLOSED: high_closed,
                        cc.UNIT: entry.unit, cc.TABLE_VALUE: entry.value, cc.TABLE_LOWER: entry.lower_bound,
                        cc.TABLE_UPPER: entry.upper_bound})
        rows.append(row)
    columns = [cc.PARAMETER_ID, cc.KIND, cc.VALUE, cc.LOWER_95, cc.UPPER_95, cc.LOWER_CLOSED, cc.UPPER_CLOSED, cc.AT_BOUND,
               cc.UNIT, cc.TABLE_VALUE, cc.TABLE_LOWER, cc.TABLE_UPPER]
    if nllh_min < nllh_hat - 1e-3:
        header.append(f"warning: a profile found nllh {nllh_min:.4f} below the multistart optimum")
    write_table_atomic(fitted_path, pd.DataFrame(rows, columns=columns), header)
    logging.info("profiles of %d parameters in %.1f s", len(objective.dynamic), seconds)


def _objectives(problem_yaml: str) -> tuple[Objective, Objective]:
    folder = Path(problem_yaml).parent
    training = load_objective(problem_yaml)
    validation = Objective(training.problem, petab.get_measurement_df(folder / VALIDATION_FILE))
    return training, validation


def run_validation(problem_yaml: str, spec_path: str, config_name: str, models_dir: str, estimate_path: str,
                   validation_path: str, residuals_path: str) -> None:
    """Training and validation errors of the fit and its baselines, and the residual table."""
    spec = read_spec(spec_path)
    training, validation = _objectives(problem_yaml)
    x = _training_vector(training, read_estimate(estimate_path))
    x_table = fit_observation_parameters(training, training.x_nominal)
    errors, residuals = error_table(training, validation, x, x_table, spec.validation_input)
    header = _provenance(problem_yaml, spec_path, config_name, models_dir)
    write_table_atomic(validation_path, errors, header)
    write_table_atomic(residuals_path, residuals, header)


def plot_fits(problem_yaml: str, estimate_path: str, residuals_path: str, observables: list[str],
              figure_paths: list[str]) -> None:
    """One figure per observable (in *figure_paths*, in order): data against the fitted model, training and
    validation; the objectives are built once for all of them."""
    training, validation = _objectives(problem_yaml)
    x = _training_vector(training, read_estimate(estimate_path))
    residuals = read_table(residuals_path)
    vectors = {"training": x, "validation": np.log10([10.0 ** x[training.x_ids.index(p)] for p in validation.x_ids])}
    for observable, figure_path in zip(observables, figure_paths, strict=True):
        fit_figure(residuals, {"training": training, "validation": validation}, vectors, observable, figure_path)


def plot_fit(problem_yaml: str, estimate_path: str, residuals_path: str, observable: str, figure_path: str) -> None:
    """Figure of one observable: data against the fitted model, training and validation."""
    plot_fits(problem_yaml, estimate_path, residuals_path, [observable], [figure_path])


def plot_profiles(profiles_path: str, fitted_path: str, figure_path: str) -> None:
    """Figure of the profile likelihoods."""
    table = read_table(profiles_path)
    fitted = read_table(fitted_path)
    profile_figure(table, fitted, float((table[cc.NLLH] - table[cc.DELTA_NLLH]).iloc[0]), figure_path)


def plot_waterfall(multistart_path: str, figure_path: str) -> None:
    """Figure of the multistart results."""
    waterfall_figure(read_table(multistart_path), figure_path)


def observables_of(problem_yaml: str) -> list[str]:
    """Observable ids of a problem that have measurements (one fit figure each)."""
    folder = Path(problem_yaml).parent
    ids = set(petab.get_measurement_df(folder / TRAINING_FILE)[petab.OBSERVABLE_ID])
    ids |= set(petab.get_measurement_df(folder / VALIDATION_FILE)[petab.OBSERVABLE_ID])
    return sorted(ids)

