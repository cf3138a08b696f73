"""Build our PEtab problem from a published PEtab problem and a calibration recipe.

Every published measurement row is either mapped onto our model or dropped with a reason
(``provenance.tsv`` lists each row's fate). A mapped row keeps its value, its published
experiment-specific scale, offset and noise parameters (as identifiers) and gets:

- a simulation condition setting our model entities from the published inputs, converted to the
  model's units. A mass concentration c (ng/mL) of a substance of molar mass M (g/mol) is
  ``c * 1e-6 / M * 1e9 = c * 1e3 / M`` nM; for IL-6 (M = 21 kDa) 1 ng/mL = 0.0476 nM;
- a pre-equilibration condition: the same inputs without the stimulus (IL-6), so the cells start
  from their untreated steady state and the stimulus is added at t = 0 (PEtab
  ``preequilibrationConditionId``; a species set by the simulation condition overrides its
  pre-equilibrated value);
- its time in the model's unit (hours); published times before the stimulus (t < 0) are
  measurements of the pre-equilibrated state and are set to t = 0.

The SBML is the composed model of :mod:`stat3qsp.model.compose` with the recipe's setting values
(:func:`stat3qsp.compose.compose_antimony` overrides); it is not a fork of the model.

Measurements under the recipe's validation input (ruxolitinib) are held out: the problem YAML
lists the training measurements only, the validation YAML lists training and validation
measurements (same conditions, observables and parameters).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import petab.v1 as petab

from stat3qsp.model.catalog import DEFAULT_MODELS_DIR, read_catalog
from stat3qsp.model.compose import antimony_to_sbml, compose_antimony, validate_sbml
from stat3qsp.model.concentrations import MASS_UNITS, MOLAR_UNITS
from stat3qsp.errors import InputError
from stat3qsp.model.parameters import read_parameter_table
from stat3qsp.calibration.signalling.spec import Spec
from stat3qsp.io.values import is_number

#: File names of the generated problem, inside the calibration folder.
PROBLEM_YAML = "problem.yaml"
VALIDATION_YAML = "problem_validation.yaml"
MODEL_FILE = "model.xml"
CONDITION_FILE = "conditions.tsv"
OBSERVABLE_FILE = "observables.tsv"
PARAMETER_FILE = "parameters.tsv"
TRAINING_FILE = "measurements_training.tsv"
VALIDATION_FILE = "measurements_validation.tsv"
PROVENANCE_FILE = "provenance.tsv"
#: Column of the measurement tables naming the published experiment and observable of a row.
DATASET_ID = petab.DATASET_ID
#: Fates of a published row in ``provenance.tsv``.
TRAINING, VALIDATION, DROPPED = "training", "validation", "dropped"
BROKEN_ROW = "published row lacks its observable-parameter overrides (fails petablint as published)"


@dataclass(frozen=True)
class BuiltProblem:
    """Our PEtab problem, as tables (see :func:`write_problem`)."""

    sbml: str
    conditions: pd.DataFrame
    observables: pd.DataFrame
    parameters: pd.DataFrame
    training: pd.DataFrame
    validation: pd.DataFrame
    provenance: pd.DataFrame


def to_model_units(value: float, unit: str, molar_mass_g_per_mol: float | None = None) -> float:
    """Convert a concentration into nM.

    Molar units scale (pM, nM, uM, ...); a mass concentration c in unit U is
    ``c * f_U / M * 1e9`` nM with f_U the unit's factor to g/L and M the molar mass (g/mol).

    Raises
    ------
    InputError
        On an unknown unit, or a mass unit without a molar mass.
    """
    if unit in MOLAR_UNITS:
        return value * MOLAR_UNITS[unit]
    if unit in MASS_UNITS:
        if not molar_mass_g_per_mol:
            raise InputError(f"a mass concentration in {unit} needs a molar mass")
        return value * MASS_UNITS[unit] / molar_mass_g_per_mol * 1e9
    raise InputError(f"unknown concentration unit {unit!r}; accepted: {', '.join([*MOLAR_UNITS, *MASS_UNITS])}")


def experiment_of(row: pd.Series) -> str:
    """The published experiment of a measurement row (from its parameter identifiers, '' if none).

    Published identifiers are ``sd_<observable>_<experiment>`` and ``offset_<observable>_<experiment>``.
    """
    token = row[petab.OBSERVABLE_ID].lower() + "_"
    noise = str(row[petab.NOISE_PARAMETERS])
    if noise.lower().startswith("sd_" + token):
        return noise[len("sd_" + token):]
    overrides = row.get(petab.OBSERVABLE_PARAMETERS)
    if isinstance(overrides, str) and overrides.lower().startswith("offset_" + token):
        return overrides.split(";")[0][len("offset_" + token):]
    return ""


def _number_id(value: float) -> str:
    text = f"{value:g}".replace(".", "p").replace("-", "m").replace("+", "")
    return text


def build_problem(spec: Spec, models_dir: Path | str = DEFAULT_MODELS_DIR) -> BuiltProblem:
    """Map the published problem of *spec* onto our model.

    Raises
    ------
    InputError
        If the published problem lacks an input column of the recipe, or a validation measurement
        needs an observation parameter that no training measurement informs.
    """
    source = petab.Problem.from_yaml(spec.source)
    published = source.measurement_df.reset_index(drop=True)
    conditions = source.condition_df
    for column in [i.column for i in spec.inputs] + list(spec.unrepresented_inputs):
        if column not in conditions.columns:
            raise InputError(f"{spec.source}: condition table has no column {column!r}")
    placeholders = {oid: len(petab.get_formula_placeholders(row[petab.OBSERVABLE_FORMULA], oid, override_type="observable"))
                    for oid, row in source.observable_df.iterrows()}
    ours = {o.observable_id: o for o in spec.observables}
    missing = set(published[petab.OBSERVABLE_ID]) - set(ours) - set(spec.dropped_observables)
    if missing:
        raise InputError(f"{spec.path}: published observable(s) {sorted(missing)} neither mapped nor dropped")

    rows, fates, sim_conditions, preeq_conditions = [], [], {}, {}
    for index, row in published.iterrows():
        oid = row[petab.OBSERVABLE_ID]
        experiment = experiment_of(row)
        inputs = conditions.loc[row[petab.SIMULATION_CONDITION_ID]]
        reason = _drop_reason(row, oid, experiment, inputs, placeholders, spec)
        fate = {"sourceRow": index, petab.OBSERVABLE_ID: oid, "sourceConditionId": row[petab.SIMULATION_CONDITION_ID],
                "sourceTime": row[petab.TIME], petab.MEASUREMENT: row[petab.MEASUREMENT], "experiment": experiment}
        if reason:
            fates.append({**fate, "use": DROPPED, "reason": reason})
            continue
        sim_id, preeq_id = _conditions_of(inputs, spec, sim_conditions, preeq_conditions)
        noise = row[petab.NOISE_PARAMETERS]
        if not isinstance(noise, str) or is_number(noise):
            noise = f"sd_{oid.lower()}_{experiment}" if spec.estimate_numeric_noise else noise
        validation = sim_conditions[sim_id][spec.validation_input] > 0
        rows.append({
            petab.OBSERVABLE_ID: oid,
            petab.PREEQUILIBRATION_CONDITION_ID: preeq_id,
            petab.SIMULATION_CONDITION_ID: sim_id,
            petab.MEASUREMENT: float(row[petab.MEASUREMENT]),
            petab.TIME: max(float(row[petab.TIME]), 0.0) * spec.source_time_unit_h,
            petab.OBSERVABLE_PARAMETERS: row[petab.OBSERVABLE_PARAMETERS] if placeholders.get(oid) and ours[oid].formula.count("observableParameter") else "",
            petab.NOISE_PARAMETERS: noise,
            DATASET_ID: f"{oid.lower()}_{experiment}" if experiment else oid,
            "_validation": validation,
        })
        note = "pre-stimulus time set to 0 (pre-equilibrated state)" if row[petab.TIME] < 0 else ""
        fates.append({**fate, "use": VALIDATION if validation else TRAINING, "reason": note})

    measurements = pd.DataFrame(rows)
    sizes = measurements.groupby(DATASET_ID)[DATASET_ID].transform("size")
    small = (sizes < spec.min_rows_per_dataset).to_numpy()
    kept_fates = [k for k, fate in enumerate(fates) if fate["use"] != DROPPED]
    for k in np.flatnonzero(small):
        fates[kept_fates[k]].update(use=DROPPED, reason=f"fewer than {spec.min_rows_per_dataset} rows left in its experiment "
                                                        "(fitted exactly by its own offset, scale and noise)")
    measurements = measurements[~small].reset_index(drop=True)
    is_validation = measurements.pop("_validation").to_numpy(bool)
    training, validation = measurements[~is_validation].reset_index(drop=True), measurements[is_validation].reset_index(drop=True)
    _check_validation_parameters(training, validation)
    condition_df = _condition_table(spec, {**preeq_conditions, **sim_conditions})
    observable_df = _observable_table(spec)
    parameter_df = _parameter_table(spec, training, observable_df, models_dir)
    sbml = composed_sbml(spec, models_dir)
    return BuiltProblem(sbml, condition_df, observable_df, parameter_df, training, validation, pd.DataFrame(fates))



def _drop_reason(row, oid, experiment, inputs, placeholders, spec: Spec) -> str:
    if oid in spec.dropped_observables:
        return f"observable dropped: {spec.dropped_observables[oid]}"
    if experiment in spec.dropped_experiments:
        return f"experiment dropped: {spec.dropped_experiments[experiment]}"
    for column, why in spec.unrepresented_inputs.items():
        if float(inputs[column]) != 0:
            return f"{column} = {inputs[column]:g}: {why}"
    overrides = row.get(petab.OBSERVABLE_PARAMETERS)
    if placeholders.get(oid) and not (isinstance(overrides, str) and overrides.strip()):
        return BROKEN_ROW
    return ""


def _conditions_of(inputs: pd.Series, spec: Spec, sim_conditions: dict, preeq_conditions: dict) -> tuple[str, str]:
    values, names, preeq_values, preeq_names = {}, [], {}, []
    for item in spec.inputs:
        raw = float(inputs[item.column])
        value = to_model_units(raw, item.unit, item.molar_mass_g_per_mol)
        short = item.column.removeprefix("input_")
        values[item.target] = value
        names.append((short, raw, item.unit))
        preeq_values[item.target] = 0.0 if item.stimulus else value
        if not item.stimulus:
            preeq_names.append((short, raw, item.unit))
    sim_id = "__".join(f"{s}_{_number_id(v)}" for s, v, _ in names)
    preeq_id = "preeq__" + "__".join(f"{s}_{_number_id(v)}" for s, v, _ in preeq_names)
    sim_conditions.setdefault(sim_id, {petab.CONDITION_NAME: ", ".join(f"{s} {v:g} {u}" for s, v, u in names), **values})
    preeq_conditions.setdefault(preeq_id, {petab.CONDITION_NAME: "pre-equilibration: " + ", ".join(f"{s} {v:g} {u}" for s, v, u in preeq_names), **preeq_values})
    return sim_id, preeq_id


def _check_validation_parameters(training: pd.DataFrame, validation: pd.DataFrame) -> None:
    def ids(table):
        joined = ";".join(table[petab.OBSERVABLE_PARAMETERS].astype(str)) + ";" + ";".join(table[petab.NOISE_PARAMETERS].astype(str))
        return {x for x in joined.split(";") if x and not is_number(x)}
    orphans = ids(validation) - ids(training)
    if orphans:
        raise InputError(f"validation measurements need observation parameters without training data: {sorted(orphans)}")


def _condition_table(spec: Spec, conditions: dict[str, dict]) -> pd.DataFrame:
    table = pd.DataFrame.from_dict(conditions, orient="index")
    table.index.name = petab.CONDITION_ID
    return table[[petab.CONDITION_NAME, *(i.target for i in spec.inputs)]].sort_index()


def _observable_table(spec: Spec) -> pd.DataFrame:
    table = pd.DataFrame([{
        petab.OBSERVABLE_ID: o.observable_id,
        petab.OBSERVABLE_NAME: o.mapping,
        petab.OBSERVABLE_FORMULA: o.formula,
        petab.OBSERVABLE_TRANSFORMATION: o.transformation,
        petab.NOISE_FORMULA: f"noiseParameter1_{o.observable_id}",
        petab.NOISE_DISTRIBUTION: petab.NORMAL,
    } for o in spec.observables])
    return table.set_index(petab.OBSERVABLE_ID)


def _parameter_table(spec: Spec, training: pd.DataFrame, observables: pd.DataFrame, models_dir) -> pd.DataFrame:
    table = read_parameter_table(Path(models_dir) / "parameters.tsv")
    rows = []
    for pid, bounds in spec.estimate.items():
        if pid not in table:
            raise InputError(f"{spec.path}: estimate.{pid} is not in the parameter table")
        rows.append(_parameter_row(pid, f"{pid} ({table[pid].unit})", bounds.lower, bounds.upper,
                                   min(max(table[pid].value, bounds.lower), bounds.upper)))
    transformation = observables[petab.OBSERVABLE_TRANSFORMATION]
    seen: dict[str, None] = {}
    for _, row in training.iterrows():
        for pid in str(row[petab.OBSERVABLE_PARAMETERS]).split(";") + [str(row[petab.NOISE_PARAMETERS])]:
            if pid and pid != "nan" and not is_number(pid) and pid not in seen:
                seen[pid] = None
                kind = pid.split("_", 1)[0]
                if kind == "sd":
                    kind = "sd_lin" if transformation[row[petab.OBSERVABLE_ID]] == petab.LIN else "sd_log10"
                if kind not in spec.observation_parameters:
                    raise InputError(f"observation parameter {pid!r} is not an offset_, scale_ or sd_ parameter")
                bounds = spec.observation_parameters[kind]
                rows.append(_parameter_row(pid, kind, bounds.lower, bounds.upper, bounds.nominal))
    return pd.DataFrame(rows).set_index(petab.PARAMETER_ID)


def _parameter_row(pid: str, name: str, lower: float, upper: float, nominal: float) -> dict:
    return {petab.PARAMETER_ID: pid, petab.PARAMETER_NAME: name, petab.PARAMETER_SCALE: petab.LOG10,
            petab.LOWER_BOUND: lower, petab.UPPER_BOUND: upper, petab.NOMINAL_VALUE: nominal, petab.ESTIMATE: 1}


def composed_sbml(spec: Spec, models_dir: Path | str = DEFAULT_MODELS_DIR) -> str:
    """SBML of the composed model with the recipe's setting values; fails on libsbml errors."""
    catalog = read_catalog(models_dir)
    parameters = read_parameter_table(catalog.models_dir / "parameters.tsv")
    sbml = antimony_to_sbml(compose_antimony(catalog, parameters, spec.setting))
    errors = validate_sbml(sbml)
    if errors:
        raise InputError("the composed SBML fails libsbml's checks: " + "; ".join(errors))
    return sbml


def write_problem(built: BuiltProblem, folder: Path | str) -> Path:
    """Write the problem files into *folder*; returns the path of the (training) problem YAML."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MODEL_FILE).write_text(built.sbml)
    petab.write_condition_df(built.conditions, folder / CONDITION_FILE)
    petab.write_observable_df(built.observables, folder / OBSERVABLE_FILE)
    petab.write_parameter_df(built.parameters, folder / PARAMETER_FILE)
    petab.write_measurement_df(built.training, folder / TRAINING_FILE)
    petab.write_measurement_df(built.validation, folder / VALIDATION_FILE)
    built.provenance.to_csv(folder / PROVENANCE_FILE, sep="\t", index=False)
    common = dict(sbml_files=folder / MODEL_FILE, condition_files=folder / CONDITION_FILE,
                  parameter_file=folder / PARAMETER_FILE, observable_files=folder / OBSERVABLE_FILE)
    petab.create_problem_yaml(measurement_files=folder / TRAINING_FILE, yaml_file=folder / PROBLEM_YAML, **common)
    petab.create_problem_yaml(measurement_files=[folder / TRAINING_FILE, folder / VALIDATION_FILE],
                              yaml_file=folder / VALIDATION_YAML, **common)
    return folder / PROBLEM_YAML


def lint(yaml_path: Path | str) -> list[str]:
    """Lint a PEtab problem with :func:`petab.v1.lint_problem`; returns its error messages (empty: passes)."""
    messages: list[str] = []

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.ERROR:
                messages.append(record.getMessage())

    handler = _Collect()
    logger = logging.getLogger("petab")
    logger.addHandler(handler)
    try:
        failed = petab.lint_problem(petab.Problem.from_yaml(yaml_path))
    finally:
        logger.removeHandler(handler)
    if failed and not messages:
        messages.append("petab.lint_problem reported errors")
    return messages


def is_training(measurements: pd.DataFrame, conditions: pd.DataFrame, validation_target: str) -> np.ndarray:
    """True for measurements whose simulation condition has no validation input (e.g. no ruxolitinib)."""
    return conditions.loc[measurements[petab.SIMULATION_CONDITION_ID], validation_target].to_numpy(float) == 0
