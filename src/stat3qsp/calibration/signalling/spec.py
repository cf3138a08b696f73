"""The recipe of a calibration, read from ``calibration/<name>/spec.yaml``.

The recipe is data: which published PEtab problem, how its inputs map onto model entities (with
units), the biological setting (parameter values baked into the SBML, each with a source), our
observables, what is dropped and why, which model parameters are fitted within which bounds, how
measurements are split into training and validation, and the fit configurations.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


from stat3qsp.errors import InputError
from stat3qsp.io.yamlfiles import read_yaml

@dataclass(frozen=True)
class Input:
    """A published condition input and the model entity it sets."""

    column: str
    target: str
    stimulus: bool
    unit: str
    molar_mass_g_per_mol: float | None = None


@dataclass(frozen=True)
class Observable:
    """One observable of our problem: PEtab formula, transformation and what it maps."""

    observable_id: str
    formula: str
    transformation: str
    mapping: str


@dataclass(frozen=True)
class Bounds:
    """Bounds of an estimated parameter (linear values; estimated on log10 scale)."""

    lower: float
    upper: float
    nominal: float | None = None


@dataclass(frozen=True)
class FitConfig:
    """Settings of one fit: multistart, iterations, workers, profiles, data subset.

    ``max_nfev`` and ``profile_max_nfev`` cap the fides iterations (one objective, gradient and
    Gauss-Newton Hessian evaluation each) of a multistart start and of a profile point;
    ``profile_step`` (log10) and ``profile_max_steps`` set the profile walk; ``workers`` the forked
    processes of pyPESTO's tasks (:mod:`stat3qsp.calibration.signalling.fit`).
    """

    seed: int
    starts: int
    max_nfev: int
    workers: int = 1
    profile_step: float = 0.1
    profile_max_steps: int = 20
    profile_max_nfev: int = 15
    datasets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Spec:
    """A calibration recipe (see ``calibration/sobotta2017/spec.yaml`` for every key)."""

    path: Path
    source: Path
    source_time_unit_h: float
    inputs: tuple[Input, ...]
    unrepresented_inputs: dict[str, str]
    setting: dict[str, float]
    setting_sources: dict[str, str]
    observables: tuple[Observable, ...]
    dropped_observables: dict[str, str]
    dropped_experiments: dict[str, str]
    min_rows_per_dataset: int
    estimate_numeric_noise: bool
    estimate: dict[str, Bounds]
    observation_parameters: dict[str, Bounds]
    validation_input: str
    fits: dict[str, FitConfig] = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        """The calibration folder (where the generated problem is committed)."""
        return self.path.parent

    def fit_config(self, name: str) -> FitConfig:
        """A named fit configuration (``full``, ``fast``)."""
        if name not in self.fits:
            raise InputError(f"{self.path}: no fit configuration {name!r}; known: {', '.join(sorted(self.fits))}")
        return self.fits[name]


_KEYS = {"source", "source_time_unit_h", "inputs", "unrepresented_inputs", "setting", "observables",
         "dropped_observables", "dropped_experiments", "min_rows_per_dataset", "estimate_numeric_noise", "estimate",
         "observation_parameters", "validation_input", "fit"}


def read_spec(path: Path | str) -> Spec:
    """Read and check a calibration recipe.

    Raises
    ------
    InputError
        On an unknown or missing key, bounds that are not 0 < lower < upper, an unknown
        observable transformation or a missing source of a setting value.
    """
    path = Path(path)
    raw = read_yaml(path, "calibration recipe") or {}
    if not isinstance(raw, dict):
        raise InputError(f"{path}: the recipe is {type(raw).__name__}; accepted: a YAML mapping")
    if set(raw) ^ _KEYS:
        raise InputError(f"{path}: keys differ from the expected ones: unknown {sorted(set(raw) - _KEYS)}, missing {sorted(_KEYS - set(raw))}")
    inputs = tuple(
        Input(column, entry["target"], bool(entry["stimulus"]), entry["unit"], entry.get("molar_mass_g_per_mol"))
        for column, entry in raw["inputs"].items()
    )
    setting, sources = {}, {}
    for pid, entry in raw["setting"].items():
        if not str(entry.get("source", "")).startswith(("assumed: ", "DOI:", "fitted: ")):
            raise InputError(f"{path}: setting.{pid} needs a source ('assumed: <why>' or a DOI)")
        setting[pid], sources[pid] = float(entry["value"]), str(entry["source"])
    observables = []
    for oid, entry in raw["observables"].items():
        if entry["transformation"] not in ("lin", "log10"):
            raise InputError(f"{path}: observables.{oid}.transformation must be lin or log10")
        observables.append(Observable(oid, str(entry["formula"]), entry["transformation"], str(entry["mapping"])))
    estimate = {pid: _bounds(entry, f"{path}: estimate.{pid}") for pid, entry in raw["estimate"].items()}
    observation = {kind: _bounds(entry, f"{path}: observation_parameters.{kind}")
                   for kind, entry in raw["observation_parameters"].items()}
    if set(observation) != {"offset", "scale", "sd_log10", "sd_lin"}:
        raise InputError(f"{path}: observation_parameters needs offset, scale, sd_log10 and sd_lin")
    fits = {name: FitConfig(**{**entry, "datasets": tuple(entry.get("datasets", ()))}) for name, entry in raw["fit"].items()}
    return Spec(
        path=path,
        source=(Path(path).parent / raw["source"]).resolve(),
        source_time_unit_h=float(raw["source_time_unit_h"]),
        inputs=inputs,
        unrepresented_inputs=dict(raw["unrepresented_inputs"]),
        setting=setting,
        setting_sources=sources,
        observables=tuple(observables),
        dropped_observables=dict(raw["dropped_observables"]),
        dropped_experiments=dict(raw["dropped_experiments"]),
        min_rows_per_dataset=int(raw["min_rows_per_dataset"]),
        estimate_numeric_noise=bool(raw["estimate_numeric_noise"]),
        estimate=estimate,
        observation_parameters=observation,
        validation_input=str(raw["validation_input"]),
        fits=fits,
    )


def _bounds(entry: dict, where: str) -> Bounds:
    lower, upper = float(entry["lower"]), float(entry["upper"])
    if not 0 < lower < upper:
        raise InputError(f"{where}: need 0 < lower < upper (log10-scaled), got {lower} and {upper}")
    nominal = entry.get("nominal")
    return Bounds(lower, upper, None if nominal is None else float(nominal))
