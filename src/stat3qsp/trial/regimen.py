"""How a trial arm's regimen sets the patient model: the regimen map (models/pk/regimens.yaml), the
dosing values of an arm, the all-off values, and the regular dosing series of a regimen."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from stat3qsp.trial import envelope_inputs
from stat3qsp.trial.names import HOURS_PER_DAY
from stat3qsp.model.catalog import DEFAULT_MODELS_DIR, read_catalog
from stat3qsp.errors import InputError
from stat3qsp.io.yamlfiles import read_yaml
from stat3qsp.trial.spec_types import Arm


INFUSION_SUFFIX = "_infusion_time"
"""A drug whose dose parameter is ``<prefix>_dose`` is infused over ``<prefix>_infusion_time`` h, if
the model has that parameter (else given at once)."""


@dataclass(frozen=True)
class RegimenMap:
    """Which model parameters a trial regimen sets (``models/pk/regimens.yaml``)."""

    drugs: dict[str, dict[str, str]]
    targets: dict[str, dict[str, str]]
    loading_dose_given: str

    def parameter_ids(self) -> set[str]:
        """Every parameter a regimen can set."""
        ids = {p for entry in self.drugs.values() for k, p in entry.items() if k != "route"}
        return ids | {p for entry in self.targets.values() for p in entry.values()}


def read_regimen_map(models_dir: Path | str = DEFAULT_MODELS_DIR) -> RegimenMap:
    """Read ``pk/regimens.yaml`` of *models_dir*."""
    path = Path(models_dir) / "pk" / "regimens.yaml"
    raw = read_yaml(path, "regimen map") or {}
    if not isinstance(raw, dict):
        raise InputError(f"{path}: the regimen map is {type(raw).__name__}; accepted: a YAML mapping")
    if raw.get("loading_dose_given") != "always":
        raise InputError(f"{path}: loading_dose_given = {raw.get('loading_dose_given')!r}; accepted: 'always'")
    for name, entry in (raw.get("drugs") or {}).items():
        missing = {"route", "dose", "interval", "start"} - set(entry)
        if missing:
            raise InputError(f"{path}: drugs.{name} lacks {sorted(missing)}")
    return RegimenMap(dict(raw.get("drugs") or {}), dict(raw.get("targets") or {}), raw["loading_dose_given"])


def dosing_values(arm: Arm, regimens: RegimenMap, body_weight_kg: float) -> dict[str, float]:
    """Model parameter values of an arm's regimen for a patient of *body_weight_kg*.

    Doses in mg (``mg/kg`` times body weight), intervals in hours, the first dose at
    ``(start_day - 1) * 24`` h. A ``cycle`` schedule (once per cycle on ``start_day``) is the same
    periodic series as a ``continuous`` one, since the trial spec checks that its interval is the
    cycle length. Drugs and targets the arm does not use are switched off (dose 0, clamp 0).

    Raises
    ------
    InputError
        For a drug or target the patient model has no module for, or a route that differs from
        the PK module's.
    """
    values = off_values(regimens)
    for i, regimen in enumerate(arm.drugs):
        where = f"arm {arm.name!r}, drugs[{i}]"
        if regimen.drug not in regimens.drugs:
            raise InputError(f"{where}: drug {regimen.drug!r} has no PK module in the patient model; accepted: "
                             f"{', '.join(sorted(regimens.drugs))}")
        entry = regimens.drugs[regimen.drug]
        if regimen.route != entry["route"]:
            raise InputError(f"{where}: route {regimen.route!r} for {regimen.drug}; accepted: {entry['route']!r} "
                             "(the route of its PK module)")
        dose = regimen.dose.amount_mg(body_weight_kg)
        values[entry["dose"]] = dose
        values[entry["interval"]] = regimen.interval.hours
        values[entry["start"]] = (regimen.start_day - 1) * HOURS_PER_DAY
        if "loading_dose" in entry:
            loading = regimen.loading_dose
            values[entry["loading_dose"]] = dose if loading is None else loading.dose.amount_mg(body_weight_kg)
        elif regimen.loading_dose is not None:
            raise InputError(f"{where}: a loading dose of {regimen.drug} is not modelled; accepted: no loading_dose")
    for i, clamp in enumerate(arm.target_inhibition):
        if clamp.target not in regimens.targets:
            raise InputError(f"arm {arm.name!r}, target_inhibition[{i}]: target {clamp.target!r} is not in the "
                             f"patient model; accepted: {', '.join(sorted(regimens.targets))}")
        entry = regimens.targets[clamp.target]
        values[entry["fraction"]] = clamp.fraction
        values[entry["start"]] = (clamp.start_day - 1) * HOURS_PER_DAY
    return values


def off_values(regimens: RegimenMap) -> dict[str, float]:
    """Every dose and clamp switched off (intervals and start times keep their table values)."""
    values = {}
    for entry in regimens.drugs.values():
        values[entry["dose"]] = 0.0
        if "loading_dose" in entry:
            values[entry["loading_dose"]] = 0.0
    for entry in regimens.targets.values():
        values[entry["fraction"]] = 0.0
    return values


def dose_series(dosing: dict[str, float], regimens: RegimenMap, values: dict[str, float]
                ) -> tuple[list[envelope_inputs.DoseSeries], list[float]]:
    """The regular dosing series of a regimen and the start times of its clamps (for
    :func:`stat3qsp.envelope_inputs.input_schedules`).

    A drug is dosed if its maintenance or loading dose is > 0; its infusion lasts
    ``<prefix>_infusion_time`` h for a dose parameter ``<prefix>_dose`` (:data:`INFUSION_SUFFIX`),
    0 without that parameter. A clamp with a fraction > 0 steps at its start time.
    """
    series = []
    for entry in regimens.drugs.values():
        doses = [dosing.get(entry[key], values.get(entry[key], 0.0))
                 for key in ("dose", "loading_dose") if key in entry]
        if max(doses) <= 0:
            continue
        prefix = entry["dose"].removesuffix("_dose")
        series.append(envelope_inputs.DoseSeries(float(dosing.get(entry["start"], values[entry["start"]])),
                                          float(dosing.get(entry["interval"], values[entry["interval"]])),
                                          float(values.get(prefix + INFUSION_SUFFIX, 0.0))))
    steps = [float(dosing.get(entry["start"], values[entry["start"]])) for entry in regimens.targets.values()
             if dosing.get(entry["fraction"], values.get(entry["fraction"], 0.0)) > 0]
    return series, steps


def check_arms(arms: list[Arm], models_dir: Path | str = DEFAULT_MODELS_DIR) -> None:
    """Refuse, before anything is simulated, an arm whose context, drug, route or target the
    patient model does not have (InputError naming the arm and the value)."""
    catalog = read_catalog(models_dir)
    regimens = read_regimen_map(models_dir)
    for arm in arms:
        try:
            catalog.context(arm.context)
        except InputError as error:
            raise InputError(f"arm {arm.name!r}: {error}") from None
        dosing_values(arm, regimens, 70.0)
