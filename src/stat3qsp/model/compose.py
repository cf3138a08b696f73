"""Compose Antimony modules into one SBML Level 3 Version 2 model.

Modules are Antimony fragments (no ``model ... end`` wrapper) that share one namespace. Two
directives, written as Antimony comments, connect them without any module naming another:

``//@hook NAME product|sum UNIT description``
    declares a variable that other modules contribute to. A ``product`` hook is the product of its
    contributions (1 without any), e.g. the fraction of JAK activity left by all JAK inhibitors; a
    ``sum`` hook is their sum (0 without any), e.g. the direct STAT3 phosphorylation rate of all
    receptor tyrosine kinases.
``//@contribute NAME TERM``
    adds the variable TERM to hook NAME.

Parameter values are not written in the modules: they come from the parameter table
(``models/parameters.tsv``), one row per parameter, so the table is the single record of values,
units and sources. A context's overrides replace table values when a context is baked in.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import antimony

from stat3qsp.model.catalog import Catalog
from stat3qsp.errors import InputError
from stat3qsp.model.parameters import Parameter

MODEL_ID = "stat3qsp"
_HOOK = re.compile(r"^\s*//@hook\s+(\w+)\s+(product|sum)\s+(\w+)\s*(.*)$")
_CONTRIBUTE = re.compile(r"^\s*//@contribute\s+(\w+)\s+(\w+)\s*$")
_RULE = re.compile(r"^\s*(\w+)\s*(?::=|'\s*=)")
_IDENTIFIER = re.compile(r"\b[A-Za-z_]\w*\b")


@dataclass(frozen=True)
class Hook:
    """A variable composed from the contributions of several modules."""

    name: str
    kind: str
    unit: str
    description: str


@dataclass(frozen=True)
class Module:
    """One Antimony fragment with its composition directives."""

    path: Path
    text: str
    hooks: tuple[Hook, ...]
    contributions: tuple[tuple[str, str], ...]

    def ruled(self) -> set[str]:
        """Identifiers defined by assignment (``x := ...``) or rate rules (``x' = ...``)."""
        code = [line.split("//", 1)[0] for line in self.text.splitlines()]
        return {m.group(1) for line in code if (m := _RULE.match(line))}

    def identifiers(self) -> set[str]:
        """Identifiers used in the Antimony code (comments excluded)."""
        code = "\n".join(line.split("//", 1)[0] for line in self.text.splitlines())
        return set(_IDENTIFIER.findall(code))


def read_module(path: Path) -> Module:
    """Read one module file and its ``//@hook`` and ``//@contribute`` directives."""
    text = Path(path).read_text()
    hooks, contributions = [], []
    for line in text.splitlines():
        if match := _HOOK.match(line):
            hooks.append(Hook(*match.groups()))
        elif match := _CONTRIBUTE.match(line):
            contributions.append(match.groups())
        elif line.strip().startswith("//@"):
            raise InputError(f"{path}: unknown directive {line.strip()!r}; accepted: //@hook, //@contribute")
    return Module(Path(path), text, tuple(hooks), tuple(contributions))


def compose_antimony(catalog: Catalog, parameters: dict[str, Parameter], overrides: dict[str, float] | None = None,
                     variant: str | None = None) -> str:
    """Write the composed model as one Antimony model.

    Parameters
    ----------
    catalog
        Modules to compose (core, every drug, extra modules).
    parameters
        The parameter table; rows of parameters used by the modules are written as values with units.
    overrides
        Values replacing table values (a context), keyed by parameter id.
    variant
        A model variant of the catalog whose modules are added (e.g. ``patient``). A parameter that
        a module defines by a rule (``x := ...``) gets no value line, even if it has a table row.

    Raises
    ------
    InputError
        If a contribution names an undeclared hook, a hook is declared twice or an override names a
        parameter the modules do not use.
    """
    modules = [read_module(p) for p in catalog.module_paths(variant)]
    hooks: dict[str, Hook] = {}
    for module in modules:
        for hook in module.hooks:
            if hook.name in hooks:
                raise InputError(f"{module.path}: hook {hook.name!r} is declared twice")
            hooks[hook.name] = hook
    terms: dict[str, list[str]] = {name: [] for name in hooks}
    for module in modules:
        for hook_name, term in module.contributions:
            if hook_name not in hooks:
                raise InputError(f"{module.path}: contributes to unknown hook {hook_name!r}; declared hooks: {sorted(hooks)}")
            terms[hook_name].append(term)
    used = set().union(*(m.identifiers() for m in modules))
    ruled = set().union(*(m.ruled() for m in modules))
    overrides = dict(overrides or {})
    unused = sorted(set(overrides) - (used & set(parameters)))
    if unused:
        raise InputError(f"override(s) {unused} name no parameter of the model")

    lines = [f"model {MODEL_ID}()"]
    for module in modules:
        lines += [f"  // ---- {module.path.name}", *("  " + l for l in module.text.splitlines())]
    lines.append("  // ---- hooks")
    for name, hook in hooks.items():
        joiner, empty = (" * ", "1") if hook.kind == "product" else (" + ", "0")
        lines += [f"  {name} := {joiner.join(terms[name]) or empty}", f"  {name} has {hook.unit}"]
    lines.append("  // ---- parameter values (models/parameters.tsv)")
    for pid, row in parameters.items():
        if pid in used and pid not in ruled:
            lines.append(f"  {pid} = {overrides.get(pid, row.value)!r}")
            if row.unit != "litre" or pid not in _compartment_ids(modules):
                lines.append(f"  {pid} has {row.unit}")
    lines.append("end")
    return "\n".join(lines) + "\n"


def _compartment_ids(modules: list[Module]) -> set[str]:
    ids: set[str] = set()
    for module in modules:
        for line in module.text.splitlines():
            if line.strip().startswith("compartment "):
                ids |= {x.strip() for x in line.strip()[len("compartment "):].split(",")}
    return ids


def antimony_to_sbml(source: str) -> str:
    """Convert composed Antimony to SBML Level 3 Version 2.

    Raises
    ------
    InputError
        If Antimony rejects the source, or a model parameter has no value (no row in the table).
    """
    import libsbml  # here, not at the top: the workflow's DAG composes models (hashes) without SBML
    antimony.clearPreviousLoads()
    if antimony.loadAntimonyString(source) < 0:
        raise InputError(f"Antimony rejected the composed model: {antimony.getLastError().strip()}")
    document = libsbml.readSBMLFromString(antimony.getSBMLString(MODEL_ID))
    if not document.setLevelAndVersion(3, 2, True):
        raise InputError("the composed model cannot be expressed as SBML Level 3 Version 2")
    model = document.getModel()
    ruled = {model.getRule(i).getVariable() for i in range(model.getNumRules())}
    ruled |= {model.getInitialAssignment(i).getSymbol() for i in range(model.getNumInitialAssignments())}
    missing = [p.getId() for p in model.getListOfParameters() if not p.isSetValue() and p.getId() not in ruled]
    if missing:
        raise InputError(f"parameter(s) {missing} have no row in the parameter table")
    return libsbml.writeSBMLToString(document)


def validate_sbml(sbml: str) -> list[str]:
    """Run libsbml's consistency checks, unit checks included.

    Returns
    -------
    list of str
        One line per error (severity error or fatal); warnings are not returned.
    """
    import libsbml  # here, not at the top: the workflow's DAG composes models (hashes) without SBML
    document = libsbml.readSBMLFromString(sbml)
    document.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, True)
    document.checkConsistency()
    errors = []
    for i in range(document.getNumErrors()):
        err = document.getError(i)
        if err.getSeverity() >= libsbml.LIBSBML_SEV_ERROR:
            errors.append(f"{err.getErrorId()} line {err.getLine()}: {err.getMessage().strip()}")
    return errors


def sbml_warnings(sbml: str) -> list[str]:
    """Warnings (unit warnings included) of libsbml's consistency checks, one line each."""
    import libsbml  # here, not at the top: the workflow's DAG composes models (hashes) without SBML
    document = libsbml.readSBMLFromString(sbml)
    document.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, True)
    document.checkConsistency()
    return [
        f"{e.getErrorId()}: {e.getMessage().strip()}"
        for e in (document.getError(i) for i in range(document.getNumErrors()))
        if e.getSeverity() == libsbml.LIBSBML_SEV_WARNING
    ]


def equations_listing(sbml: str) -> str:
    """A readable listing of an SBML model (Antimony written back from the SBML by libantimony).

    The listing is generated from the SBML itself, so it shows exactly what any SBML simulator runs:
    reactions with their rate laws, rules, initial values and units.
    """
    antimony.clearPreviousLoads()
    if antimony.loadSBMLString(sbml) < 0:
        raise InputError(f"libantimony cannot read the SBML: {antimony.getLastError().strip()}")
    return antimony.getAntimonyString(antimony.getMainModuleName())

