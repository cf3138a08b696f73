"""The trial specs of a workflow config, read when Snakemake builds its DAG: each spec loaded, validated and
checked against the patient model (:func:`trial_specs`), and the part of a spec the exposure rule reads
(:func:`exposure_inputs`). Light (no simulator): every ``snakemake`` call and every cluster job parses it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stat3qsp.errors import InputError
from stat3qsp.trial.regimen import check_arms
from stat3qsp.trial.spec import load_trial_spec
from stat3qsp.trial.spec_types import TrialSpec


@dataclass(frozen=True)
class SpecFile:
    """A trial spec of the config: its file, the names of its arms and their contexts."""

    path: str
    arms: tuple[str, ...]
    contexts: tuple[str, ...] = ()


def trial_specs(config: dict[str, Any]) -> dict[str, SpecFile]:
    """The trial specs of a (schema-valid) config, by spec id; none without a ``trials`` key.

    Every spec is loaded and validated (:func:`stat3qsp.trial.spec.load_trial_spec`) and its arms
    checked against the patient model (:func:`stat3qsp.trial.regimen.check_arms`), so a bad spec fails
    before any job.

    Raises
    ------
    InputError
        Naming ``config trials.specs[i]``, the file and the field, or two specs with one id.
    """
    found: dict[str, SpecFile] = {}
    for index, path in enumerate(config.get("trials", {}).get("specs", [])):
        where = f"config trials.specs[{index}]"
        try:
            spec = load_trial_spec(path)
            check_arms(list(spec.arms), config["models_dir"])
        except InputError as error:
            raise InputError(f"{where}: {error}") from None
        if spec.id in found:
            raise InputError(f"{where}: {path} has the id {spec.id!r} of {found[spec.id].path}; accepted: one spec "
                             "per id")
        found[spec.id] = SpecFile(str(path), tuple(arm.name for arm in spec.arms),
                                 tuple(sorted({arm.context for arm in spec.arms})))
    return found


def exposure_inputs(spec: TrialSpec) -> str:
    """What :func:`stat3qsp.trial.exposure.exposure_table` reads from *spec* (id, body weight, every arm's name, context, role and
    regimens), as one text: the workflow keys the exposure rule on its hash, so that an edit elsewhere in
    a spec (observed endpoints, citations, scan schedule) does not rerun it and what uses it."""
    arms = [(a.name, a.context, a.counterfactual, a.drugs) for a in spec.arms]
    return repr((spec.id, spec.population.body_weight, arms))
