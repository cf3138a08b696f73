"""Competing mechanistic hypotheses as switchable model modules (``models/hypotheses/<name>/``).

A hypothesis is a folder ``models/hypotheses/<name>/`` of the models folder holding

- ``module.ant``: an Antimony fragment joined to the model by the hook directives of
  :mod:`stat3qsp.model.compose` (``//@contribute`` to the hooks the core declares), exactly as a drug
  module is; absent for ``baseline``, the model as it is;
- ``parameters.tsv``: the module's parameter rows, with the columns and source rules of
  ``models/parameters.tsv`` (:func:`stat3qsp.model.parameters.read_parameter_table`);
- ``population.yaml`` (optional): between-patient distributions of its covariates, in the format of
  the ``parameters:`` block of ``models/population.yaml`` (:mod:`stat3qsp.trial.population`);
- ``README.md``: the claim and its literature (its first paragraph is the claim shown in reports).

A combination of hypotheses (a tuple of names, written ``a+b`` on the command line and in tables) is
composed by :func:`compose_hypothesis_models` into a *derived models folder*: a copy of the models
folder whose ``catalog.yaml`` lists the modules under ``extra_modules``, whose ``parameters.tsv`` has
their rows appended and whose ``population.yaml`` has their distributions appended, drawn from a stream of
their own (``separate_stream``, :mod:`stat3qsp.trial.population`: every virtual patient keeps the values the
models folder gives it, common random numbers across hypotheses). Every stage
(model, calibration, trial) then runs the hypothesis model as it runs any models folder, with its
own provenance hashes. Nothing here names a hypothesis: a sixth one is a sixth folder.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml

from stat3qsp.errors import InputError
from stat3qsp.io.tables import atomic_folder, write_text_atomic
from stat3qsp.io.yamlfiles import read_yaml
from stat3qsp.model.parameters import Parameter, read_parameter_table

#: Folder of the hypotheses inside the models folder.
HYPOTHESES_FOLDER = "hypotheses"
#: Name of the hypothesis that adds nothing (the model as it is).
BASELINE = "baseline"
#: Files of a hypothesis folder.
MODULE_FILE, PARAMETERS_FILE, POPULATION_FILE, README_FILE = "module.ant", "parameters.tsv", "population.yaml", "README.md"
#: Separator of hypothesis names in a combination's name (``paracrine_il6+adcc``).
SEPARATOR = "+"


@dataclass(frozen=True)
class Hypothesis:
    """One hypothesis folder: its module, parameter rows, covariate distributions and claim."""

    name: str
    folder: Path
    module: Path | None
    parameters: dict[str, Parameter]
    population: dict[str, dict]
    claim: str


def available_hypotheses(models_dir: Path | str) -> dict[str, Hypothesis]:
    """Every hypothesis folder of *models_dir* (``hypotheses/*/README.md``), by name, sorted."""
    root = Path(models_dir) / HYPOTHESES_FOLDER
    names = sorted(p.parent.name for p in root.glob(f"*/{README_FILE}")) if root.is_dir() else []
    return {name: read_hypothesis(models_dir, name) for name in names}


def read_hypothesis(models_dir: Path | str, name: str) -> Hypothesis:
    """Read and check the hypothesis folder *name* of *models_dir*.

    Raises
    ------
    InputError
        If the folder or its README is missing, a module has no parameter table (or a table no module),
        or the population file is not a mapping ``parameters: {id: {distribution: ...}}`` of the
        module's parameters.
    """
    folder = Path(models_dir) / HYPOTHESES_FOLDER / name
    readme = folder / README_FILE
    if not readme.is_file():
        known = sorted(p.parent.name for p in (Path(models_dir) / HYPOTHESES_FOLDER).glob(f"*/{README_FILE}"))
        raise InputError(f"hypothesis {name!r} has no folder with a {README_FILE} in {folder.parent}; accepted: one of "
                         f"{', '.join(known) or 'none'}")
    module, table = folder / MODULE_FILE, folder / PARAMETERS_FILE
    if module.is_file() != table.is_file():
        raise InputError(f"{folder}: {MODULE_FILE} and {PARAMETERS_FILE} go together; accepted: both (a module and its "
                         "parameter rows) or neither (baseline)")
    parameters = read_parameter_table(table) if table.is_file() else {}
    population = {}
    if (folder / POPULATION_FILE).is_file():
        raw = read_yaml(folder / POPULATION_FILE, "hypothesis population file") or {}
        if not isinstance(raw, dict) or set(raw) != {"parameters"} or not isinstance(raw["parameters"], dict):
            raise InputError(f"{folder / POPULATION_FILE}: accepted: one key 'parameters' mapping parameter ids to "
                             "distributions (the format of models/population.yaml)")
        unknown = sorted(set(raw["parameters"]) - set(parameters))
        if unknown:
            raise InputError(f"{folder / POPULATION_FILE}: distribution(s) of {unknown}, not rows of {table}; accepted: "
                             "the hypothesis's own parameters")
        population = dict(raw["parameters"])
    return Hypothesis(name, folder, module if module.is_file() else None, parameters, population, _claim(readme))


def _claim(readme: Path) -> str:
    """First paragraph of a README that is not a heading."""
    paragraphs = [p.strip() for p in readme.read_text(encoding="utf-8").split("\n\n")]
    text = next((p for p in paragraphs if p and not p.startswith("#")), "")
    return " ".join(text.split())


def parse_combination(text: str) -> tuple[str, ...]:
    """Hypothesis names of a combination written ``a+b`` (``baseline``: none), in the order given.

    Raises
    ------
    InputError
        If a name is empty or repeated, or ``baseline`` is combined with another.
    """
    names = tuple(n.strip() for n in str(text).split(SEPARATOR))
    if any(not n for n in names) or len(set(names)) != len(names):
        raise InputError(f"hypothesis combination {text!r}; accepted: distinct names joined by '{SEPARATOR}', e.g. "
                         "paracrine_il6+adcc")
    if BASELINE in names:
        if len(names) > 1:
            raise InputError(f"hypothesis combination {text!r}: {BASELINE} adds nothing and is not combined; accepted: "
                             f"{BASELINE} alone or other names")
        return ()
    return names


def combination_name(modules: tuple[str, ...] | list[str]) -> str:
    """The name of a combination: its hypotheses joined by ``+``, or ``baseline`` for none."""
    return SEPARATOR.join(modules) if modules else BASELINE


def compose_hypothesis_models(models_dir: Path | str, modules: tuple[str, ...] | list[str], output: Path | str) -> Path:
    """Write the derived models folder of a combination of hypotheses (module docstring) to *output*.

    The folder appears whole or not at all; *output* is replaced if it exists.

    Raises
    ------
    InputError
        If a hypothesis is unknown, or two of them (or one and the model) define the same parameter.
    """
    models_dir = Path(models_dir)
    chosen = [read_hypothesis(models_dir, name) for name in modules if name != BASELINE]
    base = read_parameter_table(models_dir / PARAMETERS_FILE)
    owner: dict[str, str] = {pid: "models/parameters.tsv" for pid in base}
    for hypothesis in chosen:
        for pid in hypothesis.parameters:
            if pid in owner:
                raise InputError(f"hypothesis {hypothesis.name!r}: parameter {pid!r} is also defined by {owner[pid]}; "
                                 "accepted: each parameter in one table")
            owner[pid] = f"hypothesis {hypothesis.name!r}"
    output = Path(output)
    with atomic_folder(output) as staging:
        shutil.rmtree(staging)
        shutil.copytree(models_dir, staging, ignore=shutil.ignore_patterns("__pycache__"))
        catalog = read_yaml(staging / "catalog.yaml", "model catalog") or {}
        extra = list(catalog.get("extra_modules") or [])
        extra += [f"{HYPOTHESES_FOLDER}/{h.name}/{MODULE_FILE}" for h in chosen if h.module is not None]
        if extra:
            catalog["extra_modules"] = extra
        write_text_atomic(staging / "catalog.yaml", _derived_note(modules) + yaml.safe_dump(catalog, sort_keys=False))
        table = (staging / PARAMETERS_FILE).read_text(encoding="utf-8").rstrip("\n") + "\n"
        for hypothesis in chosen:
            if hypothesis.module is not None:
                rows = (hypothesis.folder / PARAMETERS_FILE).read_text(encoding="utf-8").splitlines()[1:]
                table += "".join(f"{row}\n" for row in rows if row.strip())
        write_text_atomic(staging / PARAMETERS_FILE, table)
        population = read_yaml(staging / POPULATION_FILE, "population file") or {}
        distributions = dict(population.get("parameters") or {})
        separate = list(population.get("separate_stream") or [])
        for hypothesis in chosen:
            distributions.update(hypothesis.population)
            separate += list(hypothesis.population)
        population["parameters"] = distributions
        if separate:  # the modules' deviates from their own stream: the other parameters' draws stay the same
            population["separate_stream"] = separate
        write_text_atomic(staging / POPULATION_FILE,
                          _derived_note(modules) + yaml.safe_dump(population, sort_keys=False))
    return output


def _derived_note(modules) -> str:
    return (f"# Derived models folder of hypothesis {combination_name(tuple(modules))} (stat3qsp.model.hypotheses); "
            "generated, do not edit.\n")


def compose_combinations(models_dir: Path | str, combinations: tuple[str, ...] | list[str], output: Path | str) -> list[Path]:
    """The derived models folder of each combination (names like ``paracrine_il6+adcc``) in
    ``<output>/<name>/``; *output* appears whole or not at all."""
    from stat3qsp.io.paths import check_output_folder

    parsed = [parse_combination(c) for c in combinations]
    names = [combination_name(m) for m in parsed]
    output = check_output_folder(output, "-o")
    with atomic_folder(output) as staging:
        for name, modules in zip(names, parsed):
            compose_hypothesis_models(models_dir, modules, staging / name)
    return [output / name for name in names]
