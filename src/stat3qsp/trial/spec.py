"""Trial specifications: load a YAML spec, validate it, and parse it into typed dataclasses.

A spec (e.g. ``trials/NCT02066532.yaml``) is validated against the JSON Schema
``src/stat3qsp/trial/schema.yaml`` (draft 2020-12), then checked for rules a schema cannot express (unique arm
names, units, confidence limits around the estimate, counts matching rates). A spec is either a
replication (a published trial with observed endpoints, the default) or a forward prediction
(``purpose: forward_prediction``: a registered trial whose outcome is not known, with no observed
endpoint; :attr:`TrialSpec.forward_prediction`). Doses and times are
strings with explicit units, parsed here and nowhere else:

- dose units: ``mg``, ``g``, ``ug`` (``mcg``, ``µg``), ``mg/kg``, ``ug/kg``, ``mg/m2``
  (``mg/m^2``, ``mg/m²``); amounts are converted to mg, mg/kg or mg/m2;
- time units: ``min``, ``h`` (``hour``, ``hours``, ``hr``), ``d`` (``day``, ``days``),
  ``week`` (``weeks``, ``w``, ``wk``); times are converted to hours.

Every problem raises :class:`stat3qsp.errors.InputError` with one line naming the file, the JSON
path of the field (``$.arms[0].drugs[1].dose``), the bad value and what is accepted.
"""
from __future__ import annotations

import functools
import math
import re
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

from stat3qsp.trial import columns as tc
from stat3qsp.errors import InputError
from stat3qsp.io.yamlfiles import read_yaml
from stat3qsp.trial.spec_design import parse_design
from stat3qsp.trial.toxicity_rules import parse_toxicity
from stat3qsp.trial.recist import RecistRules
from stat3qsp.trial.spec_types import (Dose, Interval, LoadingDose, DrugRegimen, TargetInhibition, Endpoint, Arm, ObservedKM, Citation, RegistryRecord, BodyWeight, Population, DoseEscalation, Assessment, Censoring, EarlyDiscontinuation, TrialSpec, Analysis)

SCHEMA_PATH = Path(str(resources.files("stat3qsp.trial") / "schema.yaml"))
"""The trial-spec JSON Schema, ``src/stat3qsp/trial/schema.yaml`` in the source tree."""

_DOSE_UNITS: dict[str, tuple[str, float]] = {
    "mg": ("mg", 1.0), "g": ("mg", 1e3), "ug": ("mg", 1e-3), "mcg": ("mg", 1e-3), "µg": ("mg", 1e-3),
    "mg/kg": ("mg/kg", 1.0), "ug/kg": ("mg/kg", 1e-3), "mcg/kg": ("mg/kg", 1e-3),
    "µg/kg": ("mg/kg", 1e-3), "mg/m2": ("mg/m2", 1.0), "mg/m^2": ("mg/m2", 1.0), "mg/m²": ("mg/m2", 1.0),
}
"""Accepted dose units -> (canonical unit, factor to it)."""

_TIME_UNITS: dict[str, float] = {
    "min": 1.0 / 60.0, "h": 1.0, "hr": 1.0, "hour": 1.0, "hours": 1.0,
    "d": 24.0, "day": 24.0, "days": 24.0, "w": 168.0, "wk": 168.0, "week": 168.0, "weeks": 168.0,
}
"""Accepted time units -> hours per unit."""

_QUANTITY = re.compile(r"^\s*(?P<amount>[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?)\s*(?P<unit>.*?)\s*$")
_RATE_ENDPOINTS = tc.RATE_ENDPOINT_NAMES
_RATE_TOLERANCE = 0.005
"""Largest accepted difference between a rate and count/n (rates are reported rounded)."""


def parse_dose(text: str, field: str = "dose") -> Dose:
    """Parse a dose string such as ``"25 mg"`` or ``"6 mg/kg"``.

    Parameters
    ----------
    text
        Amount and unit; the amount must be > 0.
    field
        Name or JSON path of the field, for error messages.

    Returns
    -------
    Dose
        Converted to mg, mg/kg or mg/m2 (e.g. ``"1 g"`` -> ``Dose(1000.0, "mg")``).
    """
    amount, unit = _split_quantity(text, field, "dose", tuple(_DOSE_UNITS))
    if unit not in _DOSE_UNITS:
        raise InputError(f"{field}: unknown dose unit {unit!r} in {text!r}; accepted: "
                         f"{', '.join(_DOSE_UNITS)}")
    canonical, factor = _DOSE_UNITS[unit]
    return Dose(amount * factor, canonical)


def parse_interval(text: str, field: str = "interval") -> Interval:
    """Parse a time string such as ``"12 h"``, ``"21 d"`` or ``"9 weeks"`` into hours (> 0)."""
    amount, unit = _split_quantity(text, field, "time", tuple(_TIME_UNITS))
    if unit not in _TIME_UNITS:
        raise InputError(f"{field}: unknown time unit {unit!r} in {text!r}; accepted: "
                         f"{', '.join(_TIME_UNITS)}")
    return Interval(amount * _TIME_UNITS[unit])


@functools.lru_cache(maxsize=4)
def load_schema(path: Path = SCHEMA_PATH) -> dict[str, Any]:
    """Read the trial-spec JSON Schema (YAML) and check that it is a valid draft 2020-12 schema."""
    schema = read_yaml(path, "trial-spec schema")
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def validate_spec(data: Any, schema: Mapping[str, Any] | None = None, source: str = "trial spec") -> None:
    """Validate a spec (parsed YAML) against the schema.

    Raises
    ------
    InputError
        One line: ``<source>: <JSON path>: <problem>; accepted: <what the schema accepts>``, for the
        most relevant error (jsonschema's ``best_match``), plus how many other errors there are.
    """
    schema = load_schema() if schema is None else schema
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(data))
    if errors:
        more = f" ({len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise InputError(f"{source}: {_describe_error(best_match(errors), schema)}{more}")


def load_trial_spec(path: str | Path, schema_path: Path = SCHEMA_PATH) -> TrialSpec:
    """Load, validate and parse a trial spec YAML file.

    Parameters
    ----------
    path
        The spec, e.g. ``trials/NCT02066532.yaml``.
    schema_path
        The JSON Schema (default ``src/stat3qsp/trial/schema.yaml``).

    Returns
    -------
    TrialSpec

    Raises
    ------
    InputError
        If the file cannot be read or parsed, or the spec is invalid.
    """
    path = Path(path)
    data = read_yaml(path, "trial spec")
    return trial_spec_from_dict(data, source=str(path), schema=load_schema(schema_path))


def trial_spec_from_dict(data: Any, source: str = "trial spec",
                         schema: Mapping[str, Any] | None = None) -> TrialSpec:
    """Validate parsed YAML (``data``) and build a :class:`TrialSpec`; see :func:`load_trial_spec`."""
    validate_spec(data, schema, source)
    try:
        return _build(data)
    except InputError as error:
        raise InputError(f"{source}: {error}") from None


def _build(d: Mapping[str, Any]) -> TrialSpec:
    cycle_length = parse_interval(d["cycle_length"], "$.cycle_length")
    population = _population(d["population"])
    arms = tuple(_arm(a, f"$.arms[{i}]", population.context, cycle_length) for i, a in enumerate(d["arms"]))
    names = [a.name for a in arms]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise InputError(f"$.arms[{i}].name: {name!r} is used twice; accepted: unique arm names")
    r = d["recist"]
    return TrialSpec(
        id=d["id"], title=d["title"], citation=Citation(**d["citation"]) if "citation" in d else None,
        population=population,
        design=parse_design(d["design"], names), cycle_length=cycle_length,
        dose_escalation=_dose_escalation(d["dose_escalation"]) if "dose_escalation" in d else None,
        assessment=Assessment(
            method=d["assessment"]["method"],
            first_scan=parse_interval(d["assessment"]["first_scan"], "$.assessment.first_scan"),
            scan_interval=parse_interval(d["assessment"]["scan_interval"], "$.assessment.scan_interval"),
            source=d["assessment"]["source"]),
        recist=RecistRules(
            pr_threshold_percent=r["pr_threshold_percent"], pd_threshold_percent=r["pd_threshold_percent"],
            pd_min_absolute_mm=r["pd_min_absolute_mm"], cr_sld_below_mm=r["cr_sld_below_mm"],
            confirmation_required=r["confirmation_required"],
            confirmation_min_weeks=r["confirmation_min_weeks"], cbr_min_sd_weeks=r["cbr_min_sd_weeks"]),
        censoring=Censoring(**d["censoring"]),
        early_discontinuation=_early_discontinuation(d["early_discontinuation"]),
        arms=arms, purpose=d.get("purpose", "replication"),
        registry_record=RegistryRecord(**d["registry_record"]) if "registry_record" in d else None,
        follow_up=parse_interval(d["follow_up"], "$.follow_up") if "follow_up" in d else None,
        analysis=_analysis(d.get("analysis"), arms), toxicity=parse_toxicity(d.get("toxicity"), parse_interval))


_EARLY_RULES = ("event", "censored")
_PROGRESSION_MODELS = ("progressed_by_first_scan",)


def _analysis(a: Mapping[str, Any] | None, arms: tuple[Arm, ...]) -> Analysis:
    """The analysis section (schema-checked), checked beyond the schema: ``treated`` listed, known
    rule and model (also when built without the schema), and evaluable endpoints observed only when
    the evaluable population is analysed."""
    where = "$.analysis"
    analysis = Analysis() if a is None else Analysis(
        early_clinical_progression=a["early_clinical_progression"], model=a["clinical_progression_model"],
        populations=tuple(a["populations"]), source=a["source"])
    if analysis.early_clinical_progression not in _EARLY_RULES:
        raise InputError(f"{where}.early_clinical_progression: {analysis.early_clinical_progression!r} is not "
                         f"accepted; accepted: one of {', '.join(_EARLY_RULES)}")
    if analysis.model not in _PROGRESSION_MODELS:
        raise InputError(f"{where}.clinical_progression_model: {analysis.model!r} is not accepted; accepted: "
                         f"one of {', '.join(_PROGRESSION_MODELS)}")
    unknown = [p for p in analysis.populations if p not in tc.POPULATIONS]
    if unknown or tc.TREATED not in analysis.populations or len(set(analysis.populations)) < len(analysis.populations):
        raise InputError(f"{where}.populations: {list(analysis.populations)!r}; accepted: {tc.TREATED!r}, "
                         f"optionally with {tc.EVALUABLE!r}, each once")
    if tc.EVALUABLE not in analysis.populations:
        for i, arm in enumerate(arms):
            named = [e.name for e in arm.endpoints if e.name in tc.EVALUABLE_ENDPOINT_NAMES]
            if named:
                raise InputError(f"$.arms[{i}].endpoints.{named[0]}: an endpoint of the evaluable population, "
                                 f"which {where}.populations does not list; accepted: add {tc.EVALUABLE!r} there")
    return analysis


def _population(p: Mapping[str, Any]) -> Population:
    w = p["body_weight_kg"]
    if not w["min"] <= w["mean"] <= w["max"]:
        raise InputError(f"$.population.body_weight_kg: mean {w['mean']} outside [min, max] = "
                         f"[{w['min']}, {w['max']}]; accepted: min <= mean <= max")
    return Population(
        description=p["description"], context=p["context"],
        body_weight=BodyWeight(w["mean"], w["sd"], w["min"], w["max"], w["source"]),
        measurable_disease_fraction=p["measurable_disease_fraction"],
        hr_positive_fraction=p.get("hr_positive_fraction"), source=p["source"])


def _dose_escalation(e: Mapping[str, Any]) -> DoseEscalation:
    levels = tuple(parse_dose(x, f"$.dose_escalation.levels[{i}]") for i, x in enumerate(e["levels"]))
    chosen = {}
    for key in ("starting_level", "recommended_phase2_dose"):
        chosen[key] = parse_dose(e[key], f"$.dose_escalation.{key}")
        if chosen[key] not in levels:
            raise InputError(f"$.dose_escalation.{key}: {e[key]!r} is not a dose level; accepted: one of "
                             f"{', '.join(e['levels'])}")
    return DoseEscalation(
        drug=e["drug"], method=e["method"], levels=levels,
        interval=parse_interval(e["interval"], "$.dose_escalation.interval"),
        starting_level=chosen["starting_level"], recommended_phase2_dose=chosen["recommended_phase2_dose"],
        target_dlt_rate=e["target_dlt_rate"],
        dlt_window=parse_interval(e["dlt_window"], "$.dose_escalation.dlt_window"), source=e["source"])


def _early_discontinuation(e: Mapping[str, Any]) -> EarlyDiscontinuation:
    where = "$.early_discontinuation"
    if e["count"] > e["denominator"]:
        raise InputError(f"{where}.count: {e['count']} is more than denominator = {e['denominator']}; "
                         "accepted: count <= denominator")
    _check_rate(e["fraction"], e["count"], e["denominator"], f"{where}.fraction")
    t = e["time_weeks"]
    if t["min"] > t["max"]:
        raise InputError(f"{where}.time_weeks: min {t['min']} > max {t['max']}; accepted: min <= max")
    return EarlyDiscontinuation(
        count=e["count"], denominator=e["denominator"], fraction=e["fraction"], population=e["population"],
        reasons=e["reasons"], time_min_weeks=t["min"], time_max_weeks=t["max"], time_source=t["source"],
        source=e["source"])


def _arm(a: Mapping[str, Any], where: str, population_context: str, cycle_length: Interval) -> Arm:
    drugs = tuple(_regimen(g, f"{where}.drugs[{i}]", cycle_length) for i, g in enumerate(a["drugs"]))
    endpoints = tuple(_endpoint(name, e, f"{where}.endpoints.{name}")
                      for name, e in a.get("endpoints", {}).items())
    return Arm(
        name=a["name"], description=a["description"], counterfactual=a["counterfactual"],
        rationale=a.get("rationale"), context=a.get("context", population_context),
        n_patients=a["n_patients"], drugs=drugs,
        target_inhibition=tuple(TargetInhibition(**t) for t in a.get("target_inhibition", ())),
        endpoints=endpoints, observed_km=_observed_km(a.get("observed_km"), f"{where}.observed_km"))


def _observed_km(km: Mapping[str, Any] | None, where: str) -> ObservedKM | None:
    """The arm's observed KM curve, checked beyond the schema: as many times as values, times from 0
    increasing, survival from 1 non-increasing."""
    if km is None:
        return None
    weeks, survival = tuple(map(float, km["weeks"])), tuple(map(float, km["survival"]))
    if len(weeks) != len(survival):
        raise InputError(f"{where}: {len(weeks)} weeks and {len(survival)} survival values; accepted: one value per time")
    if weeks[0] != 0 or any(b <= a for a, b in zip(weeks, weeks[1:])):
        raise InputError(f"{where}.weeks = {list(weeks)}; accepted: increasing times starting at 0")
    if survival[0] != 1 or any(b > a for a, b in zip(survival, survival[1:])):
        raise InputError(f"{where}.survival = {list(survival)}; accepted: non-increasing values starting at 1")
    return ObservedKM(weeks, survival, km["source"])


def _regimen(g: Mapping[str, Any], where: str, cycle_length: Interval) -> DrugRegimen:
    interval = parse_interval(g["interval"], f"{where}.interval")
    if g["schedule"] == "cycle" and not math.isclose(interval.hours, cycle_length.hours):
        raise InputError(f"{where}.interval: {g['interval']!r} with schedule 'cycle' differs from "
                         f"cycle_length ({cycle_length.days:g} d); accepted: the cycle length, or "
                         "schedule 'continuous'")
    loading = g.get("loading_dose")
    return DrugRegimen(
        drug=g["drug"], dose=parse_dose(g["dose"], f"{where}.dose"), route=g["route"], interval=interval,
        schedule=g["schedule"], start_day=g["start_day"],
        loading_dose=None if loading is None else LoadingDose(
            dose=parse_dose(loading["dose"], f"{where}.loading_dose.dose"), condition=loading["condition"],
            no_prior_dose_within_days=loading["no_prior_dose_within_days"]))


def _endpoint(name: str, e: Mapping[str, Any], where: str) -> Endpoint:
    observed, lo, hi = e["observed"], e["lo"], e["hi"]
    if name in _RATE_ENDPOINTS:
        for key in ("observed", "lo", "hi"):
            if e[key] is not None and e[key] > 1:
                raise InputError(f"{where}.{key}: {e[key]!r} for a rate; accepted: a fraction in [0, 1]")
    if (lo is not None and lo > observed) or (hi is not None and hi < observed):
        raise InputError(f"{where}: interval [{lo}, {hi}] does not contain observed = {observed}; "
                         "accepted: lo <= observed <= hi")
    count, n = e.get("count"), e.get("n")
    if count is not None:
        if name not in _RATE_ENDPOINTS or n is None or count > n:
            raise InputError(f"{where}.count: {count!r} (n = {n!r}); accepted: count <= n, both given, "
                             f"for a rate endpoint ({', '.join(_RATE_ENDPOINTS)})")
        _check_rate(observed, count, n, f"{where}.observed")
    return Endpoint(name=name, observed=observed, lo=lo, hi=hi, role=e["role"], source=e["source"],
                    approximate=e.get("approximate", False), count=count, n=n)


def _check_rate(rate: float, count: int, n: int, where: str) -> None:
    if abs(rate - count / n) > _RATE_TOLERANCE:
        raise InputError(f"{where}: {rate!r} differs from {count}/{n} = {count / n:.4f}; accepted: the "
                         f"rate rounded to within {_RATE_TOLERANCE}")


def _split_quantity(text: Any, field: str, kind: str, units: tuple[str, ...]) -> tuple[float, str]:
    """Split ``"<amount> <unit>"``; the amount must be a finite number > 0 and the unit present."""
    accepted = f"'<amount> <unit>' with amount > 0 and unit one of {', '.join(units)}"
    match = _QUANTITY.match(text) if isinstance(text, str) else None
    if match is None:
        raise InputError(f"{field}: {text!r} is not a {kind}; accepted: {accepted}")
    amount, unit = float(match["amount"]), match["unit"]
    if not unit:
        raise InputError(f"{field}: {text!r} has no unit; accepted: {accepted}")
    if not (math.isfinite(amount) and amount > 0):
        raise InputError(f"{field}: amount {amount:g} in {text!r} is not > 0; accepted: {accepted}")
    return amount, unit


def _describe_error(error: ValidationError, root: Mapping[str, Any]) -> str:
    """One-line description of a schema error: JSON path, bad value, what is accepted."""
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    path = error.json_path
    if error.validator == "required":
        missing = next(k for k in error.validator_value if k not in error.instance)
        hint = (_description(schema.get("properties", {}).get(missing, {}), root)
                or schema.get("description") or missing)
        return f"{path}.{missing}: required field is missing; accepted: {_one_line(hint)}"
    if error.validator == "additionalProperties":
        allowed = list(schema.get("properties", {}))
        extra = next(k for k in error.instance if k not in allowed)
        return f"{path}.{extra}: unknown field; accepted fields here: {', '.join(allowed)}"
    value = _short(error.instance)
    hint = _one_line(schema.get("description", "")) or f"{error.validator} {error.validator_value!r}"
    if error.validator == "enum":
        choices = ", ".join(map(repr, error.validator_value))
        return f"{path}: {value} is not accepted; accepted: one of {choices}"
    if error.validator == "pattern":
        return f"{path}: {value} does not have the accepted form; accepted: {hint}"
    if error.validator == "type":
        return f"{path}: {value} is not of type {error.validator_value}; accepted: {hint}"
    if error.validator in ("anyOf", "oneOf"):
        return f"{path}: {value} matches none of the accepted alternatives; accepted: {hint}"
    return f"{path}: {_truncate(error.message, 200)}; accepted: {hint}"


def _description(schema: Mapping[str, Any], root: Mapping[str, Any]) -> str:
    """The description of a (sub)schema, following a local ``$ref`` (``#/$defs/name``)."""
    if "description" in schema:
        return str(schema["description"])
    ref = schema.get("$ref", "")
    if ref.startswith("#/$defs/"):
        return _description(root.get("$defs", {}).get(ref.removeprefix("#/$defs/"), {}), root)
    return ""


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _short(value: Any) -> str:
    return _truncate(repr(value), 80)


def _truncate(text: str, limit: int) -> str:
    text = _one_line(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."
