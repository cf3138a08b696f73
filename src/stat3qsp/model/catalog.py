"""The model catalog: core modules, drugs and contexts, read from ``models/catalog.yaml``.

Adding a drug or a context is an edit of the catalog (plus, for a drug, one Antimony module and
its parameter rows); nothing in the library names a drug or a context.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path


from stat3qsp.errors import InputError
from stat3qsp.io.yamlfiles import read_yaml

#: Environment variable naming the models folder (overrides the default search).
MODELS_ENV = "STAT3QSP_MODELS"


def default_models_dir() -> Path:
    """The models folder when none is given (``--models``, config ``models_dir``).

    In order: the folder named by ``$STAT3QSP_MODELS``; ``./models`` when the working directory is a
    project checkout (it holds ``models/catalog.yaml``); the copy installed with the package
    (``stat3qsp/_data/models``, see ``setup.py``). A folder that lacks ``catalog.yaml`` is refused
    when it is read, naming the folder.
    """
    if os.environ.get(MODELS_ENV):
        return Path(os.environ[MODELS_ENV])
    local = Path.cwd() / "models"
    if (local / "catalog.yaml").is_file():
        return local
    return Path(str(resources.files("stat3qsp") / "_data" / "models"))


#: The models folder used when none is given (resolved once, at import; see :func:`default_models_dir`).
DEFAULT_MODELS_DIR = default_models_dir()


@dataclass(frozen=True)
class Drug:
    """A drug the model knows: its module and the parameter that carries its concentration (nM)."""

    name: str
    module: str
    concentration_parameter: str
    molecular_weight_g_per_mol: float
    description: str
    source: str


@dataclass(frozen=True)
class Context:
    """A biological context: parameter overrides, each with a source."""

    name: str
    description: str
    parameters: dict[str, float] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Catalog:
    """Everything :mod:`stat3qsp.model.compose` needs to build the model."""

    models_dir: Path
    core_modules: tuple[str, ...]
    drugs: dict[str, Drug]
    contexts: dict[str, Context]
    extra_modules: tuple[str, ...] = ()
    variants: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def module_paths(self, variant: str | None = None) -> list[Path]:
        """Module files in composition order: core, drugs, extra modules, then the variant's modules.

        A variant (e.g. ``patient``: PK modules and the tumour model) adds modules that may turn
        drug-concentration parameters into rules.
        """
        names = [*self.core_modules, *(d.module for d in self.drugs.values()), *self.extra_modules]
        if variant is not None:
            if variant not in self.variants:
                raise InputError(f"unknown model variant {variant!r}; known variants: {', '.join(sorted(self.variants)) or 'none'}")
            names += self.variants[variant]
        return [self.models_dir / n for n in names]

    def drug(self, name: str) -> Drug:
        """Look a drug up by name, with an error listing the known drugs."""
        if name not in self.drugs:
            raise InputError(f"unknown drug {name!r}; known drugs: {', '.join(sorted(self.drugs))}")
        return self.drugs[name]

    def context(self, name: str) -> Context:
        """Look a context up by name, with an error listing the known contexts."""
        if name not in self.contexts:
            raise InputError(f"unknown context {name!r}; known contexts: {', '.join(sorted(self.contexts))}")
        return self.contexts[name]


def _require(mapping: dict, key: str, where: str):
    if not isinstance(mapping, dict) or key not in mapping:
        raise InputError(f"{where}: missing key {key!r}")
    return mapping[key]


def read_catalog(models_dir: Path | str = DEFAULT_MODELS_DIR) -> Catalog:
    """Read ``catalog.yaml`` in *models_dir*.

    Raises
    ------
    InputError
        If a key is missing, a module file does not exist or a context override lacks a value
        or a source.
    """
    models_dir = Path(models_dir)
    path = models_dir / "catalog.yaml"
    if not Path(models_dir).is_dir():
        raise InputError(f"models folder {models_dir} does not exist; accepted (--models, config models_dir, "
                         f"${MODELS_ENV}): a folder with catalog.yaml and parameters.tsv")
    if not path.is_file():
        raise InputError(f"models folder {models_dir} has no catalog.yaml; accepted (--models, config models_dir, "
                         f"${MODELS_ENV}): a folder with catalog.yaml and parameters.tsv")
    raw = read_yaml(path, "model catalog") or {}
    if not isinstance(raw, dict):
        raise InputError(f"{path}: the catalog is {type(raw).__name__}; accepted: a YAML mapping")
    accepted = {"core_modules", "drugs", "contexts", "extra_modules", "variants"}
    if set(raw) - accepted:
        raise InputError(f"{path}: unknown key(s) {sorted(set(raw) - accepted)}; accepted: {', '.join(sorted(accepted))}")
    drugs = {}
    for name, entry in (raw.get("drugs") or {}).items():
        where = f"{path}: drugs.{name}"
        drugs[name] = Drug(
            name=name,
            module=_require(entry, "module", where),
            concentration_parameter=_require(entry, "concentration_parameter", where),
            molecular_weight_g_per_mol=float(_require(entry, "molecular_weight_g_per_mol", where)),
            description=str(entry.get("description", "")),
            source=str(_require(entry, "source", where)),
        )
    contexts = {}
    for name, entry in (raw.get("contexts") or {}).items():
        where = f"{path}: contexts.{name}"
        values, sources = {}, {}
        for pid, override in (entry.get("parameters") or {}).items():
            values[pid] = float(_require(override, "value", f"{where}.parameters.{pid}"))
            sources[pid] = str(_require(override, "source", f"{where}.parameters.{pid}"))
        contexts[name] = Context(name, str(entry.get("description", "")), values, sources)
    catalog = Catalog(
        models_dir=models_dir,
        core_modules=tuple(_require(raw, "core_modules", str(path))),
        drugs=drugs,
        contexts=contexts,
        extra_modules=tuple(raw.get("extra_modules") or ()),
        variants={name: tuple(modules) for name, modules in (raw.get("variants") or {}).items()},
    )
    for module in {*catalog.module_paths(), *(p for v in catalog.variants for p in catalog.module_paths(v))}:
        if not module.is_file():
            raise InputError(f"{path}: module file {module} does not exist")
    return catalog
