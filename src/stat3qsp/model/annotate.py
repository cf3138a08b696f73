"""SBO terms and MIRIAM annotations of the SBML, from the data file ``models/annotations.yaml``.

Every compartment, species, reaction and parameter gets an SBO term; compartments and species get
bqbiol identifiers (``is``, ``hasPart``, ``isVersionOf``, ``isEncodedBy``) written as compact
identifiers.org ids (``uniprot:P04626``, ``GO:0005737``, ``CHEBI:66919``); drug concentration
parameters get ``bqbiol:is`` the drug; the model gets its history (creators, dates) and
``bqmodel:isDescribedBy`` citations. Reactions and parameters are matched by id patterns, so that a
module following the naming rules of the parameter table (``_kon``, ``_degradation``, ...) is
annotated without new entries. A models folder without ``annotations.yaml`` (a test's small model)
gives unannotated SBML.
"""
from __future__ import annotations

import re
from pathlib import Path

import libsbml

from stat3qsp.errors import InputError
from stat3qsp.io.yamlfiles import read_yaml

ANNOTATIONS_FILE = "annotations.yaml"
IDENTIFIERS_ORG = "https://identifiers.org/"
#: bqbiol qualifiers accepted in the data file.
QUALIFIERS = {
    "is": libsbml.BQB_IS,
    "hasPart": libsbml.BQB_HAS_PART,
    "isVersionOf": libsbml.BQB_IS_VERSION_OF,
    "isEncodedBy": libsbml.BQB_IS_ENCODED_BY,
}


def read_annotations(models_dir: Path | str) -> dict:
    """The annotation data of *models_dir* (``annotations.yaml``)."""
    path = Path(models_dir) / ANNOTATIONS_FILE
    data = read_yaml(path, "annotations file")
    for key in ("model", "compartments", "species", "drugs", "reactions", "parameters"):
        if key not in data:
            raise InputError(f"{path}: key {key!r} is missing")
    for kind in ("compartments", "species"):
        for sid, entry in data[kind].items():
            unknown = sorted(set(entry) - {"sbo", *QUALIFIERS})
            if unknown:
                raise InputError(f"{path}: {kind}.{sid} has unknown key(s) {unknown}; accepted: sbo, {', '.join(QUALIFIERS)}")
    return data


def sbo_of(identifier: str, table: dict) -> int | None:
    """SBO term of a reaction or parameter id: its entry under ``ids``, else the first matching pattern."""
    if identifier in table.get("ids", {}):
        return int(table["ids"][identifier])
    for rule in table.get("patterns", []):
        if re.fullmatch(rule["match"], identifier):
            return int(rule["sbo"])
    return None


def annotate_sbml(sbml: str, models_dir: Path | str) -> str:
    """Add the annotations of ``models_dir/annotations.yaml`` to *sbml* (elements without an entry stay bare)."""
    if not (Path(models_dir) / ANNOTATIONS_FILE).is_file():
        return sbml
    data = read_annotations(models_dir)
    document = libsbml.readSBMLFromString(sbml)
    model = document.getModel()
    _history(model, data["model"])
    for kind, elements in (("compartments", model.getListOfCompartments()), ("species", model.getListOfSpecies())):
        for element in elements:
            entry = data[kind].get(element.getId())
            if entry is not None:
                element.setSBOTerm(int(entry["sbo"]))
                for qualifier, ids in entry.items():
                    if qualifier in QUALIFIERS:
                        _add_terms(element, QUALIFIERS[qualifier], ids)
    for reaction in model.getListOfReactions():
        if (term := sbo_of(reaction.getId(), data["reactions"])) is not None:
            reaction.setSBOTerm(term)
    for parameter in model.getListOfParameters():
        if (term := sbo_of(parameter.getId(), data["parameters"])) is not None and not parameter.isSetSBOTerm():
            parameter.setSBOTerm(term)
        if parameter.getId() in data["drugs"]:
            _add_terms(parameter, libsbml.BQB_IS, data["drugs"][parameter.getId()])
    return libsbml.writeSBMLToString(document)


def _add_terms(element: libsbml.SBase, qualifier: int, ids: list[str]) -> None:
    if not element.isSetMetaId():
        element.setMetaId(f"meta_{element.getId()}")
    term = libsbml.CVTerm(libsbml.BIOLOGICAL_QUALIFIER)
    term.setBiologicalQualifierType(qualifier)
    for identifier in ids:
        term.addResource(IDENTIFIERS_ORG + identifier)
    if element.addCVTerm(term) != libsbml.LIBSBML_OPERATION_SUCCESS:
        raise RuntimeError(f"libsbml refused the annotation {ids} of {element.getId()}")


def _history(model: libsbml.Model, entry: dict) -> None:
    model.setMetaId(f"meta_{model.getId()}")
    model.setName(entry["name"])
    history = libsbml.ModelHistory()
    for person in entry["creators"]:
        creator = libsbml.ModelCreator()
        creator.setGivenName(person["given"])
        creator.setFamilyName(person["family"])
        creator.setOrganisation(person["organisation"])
        history.addCreator(creator)
    history.setCreatedDate(libsbml.Date(entry["created"]))
    history.addModifiedDate(libsbml.Date(entry["modified"]))
    if model.setModelHistory(history) != libsbml.LIBSBML_OPERATION_SUCCESS:
        raise RuntimeError("libsbml refused the model history of models/annotations.yaml")
    cited = libsbml.CVTerm(libsbml.MODEL_QUALIFIER)
    cited.setModelQualifierType(libsbml.BQM_IS_DESCRIBED_BY)
    for identifier in entry["described_by"]:
        cited.addResource(IDENTIFIERS_ORG + identifier)
    model.addCVTerm(cited)
    _add_terms(model, libsbml.BQB_IS_VERSION_OF, entry["is_version_of"])


def unannotated(sbml: str) -> list[str]:
    """Elements of *sbml* missing an SBO term, or (compartments, species) a bqbiol identifier."""
    document = libsbml.readSBMLFromString(sbml)  # kept: the model lives in it
    model = document.getModel()
    missing = []
    for kind, elements in (("compartment", model.getListOfCompartments()), ("species", model.getListOfSpecies()),
                           ("reaction", model.getListOfReactions()), ("parameter", model.getListOfParameters())):
        for element in elements:
            if not element.isSetSBOTerm():
                missing.append(f"{kind} {element.getId()}: no SBO term")
            if kind in ("compartment", "species") and element.getNumCVTerms() == 0:
                missing.append(f"{kind} {element.getId()}: no MIRIAM identifier")
    return missing
