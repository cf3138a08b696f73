"""The sensitivity and uncertainty sections of the workflow config: their families, what a family's
rules get, and the check of their names (light on imports: ``workflows/sensitivity.smk`` calls these
when Snakemake builds its DAG, before any rule runs; :mod:`stat3qsp.sensitivity.steps` re-exports them)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from stat3qsp.errors import InputError
from stat3qsp.model.catalog import read_catalog
from stat3qsp.model.parameters import read_parameter_table
from stat3qsp.sensitivity.uncertain_parameters import uncertain_parameters
from stat3qsp.trial.spec import load_trial_spec

FAMILIES = ("synergy", "trial")
"""Output families of the sensitivity analysis (config ``sensitivity.<family>``)."""


def family_settings(config: dict[str, Any], family: str) -> dict[str, Any]:
    """What the rules of one family need from the workflow config (module docstring)."""
    sensitivity = config["sensitivity"]
    settings = sensitivity[family]
    result = {"family": family, "seed": sensitivity["seed"], "fixed": list(sensitivity["fixed"]), "settings": settings}
    if family == "synergy":
        drugs = (settings["pair"]["row"], settings["pair"]["col"])
        result.update(grids={drug: config["synergy"]["grids"][drug] for drug in drugs}, hours=config["assay_hours"])
    return result


def check_sensitivity_config(config: dict[str, Any]) -> None:
    """Check the names of the ``sensitivity`` and ``uncertainty`` keys against the model, the trial
    spec and the synergy grids (InputError naming the key and value)."""
    sensitivity, uncertainty = config.get("sensitivity"), config.get("uncertainty")
    if not (sensitivity or uncertainty):
        return
    models_dir = config["models_dir"]
    table = read_parameter_table(Path(models_dir) / "parameters.tsv")
    if sensitivity:
        unknown = sorted(set(sensitivity["fixed"]) - set(table))
        if unknown:
            raise InputError(f"config sensitivity.fixed: {unknown} have no row in the parameter table")
        catalog = read_catalog(models_dir)
        synergy = sensitivity.get("synergy")
        if synergy:
            for context in synergy["contexts"]:
                if context not in catalog.contexts:
                    raise InputError(f"config sensitivity.synergy.contexts: unknown context {context!r}; "
                                     f"known: {', '.join(sorted(catalog.contexts))}")
            for side in ("row", "col"):
                drug = synergy["pair"][side]
                if drug not in config["synergy"]["grids"]:
                    raise InputError(f"config sensitivity.synergy.pair.{side}: drug {drug!r} has no entry in synergy.grids")
        trial = sensitivity.get("trial")
        if trial:
            load_trial_spec(trial["spec"]).arm(trial["arm"])
    if uncertainty:
        spec = load_trial_spec(uncertainty["spec"])
        for arm in uncertainty["arms"]:
            spec.arm(arm)
        for group in uncertainty["parameter_sets"]:
            uncertain_parameters(table, uncertainty["profile_source"], group["ranges"], group["profile"])
