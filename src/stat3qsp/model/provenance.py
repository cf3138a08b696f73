"""Provenance of results: hashes of the model's files and the package version, without compiling.

Every results table carries these lines in its provenance sidecar (:func:`provenance_lines`). The model hash is taken
over the composed Antimony text of the variant (modules, hooks and table values, calibrated values
included), so any change of a module, the catalog or a value changes it; the parameter hash is
that of ``parameters.tsv`` and the files in ``calibrated/``. Rerun triggers hash what a simulation reads
(:func:`model_digest`); a cache of results that depend on a few outputs only hashes their dependency cone in
an SBML model (:func:`dependency_digest`).
"""
from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: the workflow's DAG hashes models without parsing SBML
    import libsbml

from stat3qsp import __version__


def text_hash(text: str) -> str:
    """Short SHA-256 of a text (16 hex digits), for provenance."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def file_hash(path: Path | str) -> str:
    """:func:`text_hash` of a UTF-8 file."""
    return text_hash(Path(path).read_text(encoding="utf-8"))


def _stamp(models_dir: Path) -> tuple:
    files = sorted(p for p in models_dir.rglob("*") if p.is_file() and p.suffix in (".ant", ".tsv", ".yaml"))
    return tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files)


@functools.lru_cache(maxsize=16)
def _provenance(models_dir: str, variant: str | None, stamp: tuple) -> tuple[tuple[str, str], ...]:
    from stat3qsp.model.compose import compose_antimony
    from stat3qsp.model.catalog import read_catalog
    from stat3qsp.model.parameters import read_parameter_table, table_texts

    catalog = read_catalog(models_dir)
    parameters = read_parameter_table(catalog.models_dir / "parameters.tsv")
    return (("model_sha256", text_hash(compose_antimony(catalog, parameters, variant=variant))),
            ("parameters_sha256", text_hash(table_texts(catalog.models_dir))),
            ("stat3qsp_version", __version__))


def model_provenance(models_dir: Path | str, variant: str | None = None) -> dict[str, str]:
    """Model hash, parameter hash and package version of *models_dir* (and *variant*)."""
    folder = Path(models_dir).resolve()
    return dict(_provenance(str(folder), variant, _stamp(folder)))


def provenance_lines(models_dir: Path | str, variant: str | None = None) -> list[str]:
    """:func:`model_provenance` as ``key: value`` header lines of a results table."""
    return [f"{key}: {value}" for key, value in model_provenance(models_dir, variant).items()]


@functools.lru_cache(maxsize=64)
def _digest(models_dir: str, variant: str | None, contexts: tuple[str, ...] | None, files: tuple[str, ...],
            stamp: tuple) -> str:
    from stat3qsp.model.compose import compose_antimony
    from stat3qsp.model.catalog import read_catalog
    from stat3qsp.model.parameters import read_parameter_table

    catalog = read_catalog(models_dir)
    parameters = read_parameter_table(catalog.models_dir / "parameters.tsv")
    chosen = sorted(catalog.contexts) if contexts is None else sorted(set(contexts))
    texts = [compose_antimony(catalog, parameters, catalog.context(c).parameters, variant=variant) for c in chosen]
    texts += [f"{name}\n{(Path(models_dir) / name).read_text(encoding='utf-8')}" for name in files]
    return text_hash("\n".join(texts))


def model_digest(models_dir: Path | str, variant: str | None = None, contexts: list[str] | None = None,
                 files: list[str] | tuple[str, ...] = ()) -> str:
    """Hash of what a simulation of *variant* in *contexts* reads from *models_dir*, for the workflow's rerun
    triggers (Snakemake ``params``; :mod:`workflows/common.smk`).

    It covers the composed Antimony text of the variant in each context (modules, hooks, and the values and
    units of the parameters the modules use, with the context's overrides and the calibrated values) and
    the text of *files* (relative to *models_dir*, e.g. ``population.yaml``); *contexts* None means every
    context of the catalog. A change that the composed model does not see (a value of a parameter that only
    another variant uses, a source or a bound in ``parameters.tsv``, another context's override) leaves it
    unchanged, so the jobs that use it are not rerun.
    """
    folder = Path(models_dir).resolve()
    return _digest(str(folder), variant, None if contexts is None else tuple(contexts), tuple(files), _stamp(folder))


def math_names(math: libsbml.ASTNode | None) -> set[str]:
    """Identifiers in a MathML tree (names and the time/avogadro csymbols)."""
    if math is None:
        return set()
    found, stack = set(), [math]
    while stack:
        node = stack.pop()
        # isName(), not getType() == AST_NAME: once tellurium is imported, getType() returns a SWIG enum
        # object that equals no libsbml constant.
        if node.isName():
            found.add(node.getName())
        stack.extend(node.getChild(i) for i in range(node.getNumChildren()))
    return found


def _formula(math: libsbml.ASTNode | None) -> str:
    import libsbml
    return "" if math is None else libsbml.formulaToL3String(math)


def _cone(model: libsbml.Model, pending: set[str]) -> list[str]:
    """Lines describing every element the symbols *pending* reach: their rules and initial assignments, the
    species' reactions (stoichiometry, kinetic law, local parameters), parameter values, compartment sizes."""
    rules = {model.getRule(i).getVariable(): model.getRule(i) for i in range(model.getNumRules())}
    initial = {a.getSymbol(): a for a in model.getListOfInitialAssignments()}
    reactions: dict[str, list[libsbml.Reaction]] = {}
    for reaction in model.getListOfReactions():
        for ref in [*reaction.getListOfReactants(), *reaction.getListOfProducts()]:
            reactions.setdefault(ref.getSpecies(), []).append(reaction)
    seen: set[str] = set()
    items: list[str] = []
    while pending:
        sid = pending.pop()
        seen.add(sid)
        deps: set[str] = set()
        if sid in rules:
            kind = "rate" if rules[sid].isRate() else "assignment"
            items.append(f"{kind} {sid} = {_formula(rules[sid].getMath())}")
            deps |= math_names(rules[sid].getMath())
        if sid in initial:
            items.append(f"initial {sid} = {_formula(initial[sid].getMath())}")
            deps |= math_names(initial[sid].getMath())
        species, parameter, compartment = model.getSpecies(sid), model.getParameter(sid), model.getCompartment(sid)
        if species is not None:
            items.append(f"species {sid} {species.getInitialAmount()!r} {species.getInitialConcentration()!r} "
                         f"{species.getCompartment()} {species.getBoundaryCondition()} "
                         f"{species.getHasOnlySubstanceUnits()}")
            deps.add(species.getCompartment())
            for reaction in reactions.get(sid, []):
                law = reaction.getKineticLaw()
                stoichiometry = [(r.getSpecies(), r.getStoichiometry()) for r in reaction.getListOfReactants()]
                stoichiometry += [(p.getSpecies(), -p.getStoichiometry()) for p in reaction.getListOfProducts()]
                items.append(f"reaction {reaction.getId()} {sorted(stoichiometry)} "
                             f"{_formula(law.getMath() if law else None)}")
                if law is not None:
                    local = law.getListOfLocalParameters()
                    deps |= math_names(law.getMath()) - {p.getId() for p in local}
                    items.extend(f"local {reaction.getId()}.{p.getId()} {p.getValue()!r}" for p in local)
        elif parameter is not None:
            items.append(f"parameter {sid} {parameter.getValue()!r}")
        elif compartment is not None:
            items.append(f"compartment {sid} {compartment.getSize()!r}")
        pending |= deps - seen
    return items


def dependency_digest(sbml: str, formulas: Iterable[str]) -> str:
    """Hash of what the symbols of *formulas* (L3 formulas or identifiers) depend on in the SBML text *sbml*:
    the elements they reach through rules, initial assignments and reactions (with their values), every
    function definition and every event. Two models with one digest compute those symbols alike, whatever
    else they hold (a reaction that no such symbol reaches, a value of a parameter outside the cone)."""
    import libsbml
    model = libsbml.readSBMLFromString(sbml).getModel()
    if model is None:
        raise ValueError("dependency_digest: the text is not an SBML model")
    roots = set().union(*(math_names(libsbml.parseL3Formula(f)) for f in formulas))
    items = _cone(model, roots)
    items += [f"function {f.getId()} {_formula(f.getMath())}" for f in model.getListOfFunctionDefinitions()]
    items += [f"event {e.getId()} {e.toSBML()}" for e in model.getListOfEvents()]
    return text_hash("\n".join(sorted(items)))
