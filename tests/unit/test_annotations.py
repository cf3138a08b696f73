"""Annotations of the exported SBML (models/annotations.yaml, stat3qsp.model.annotate)."""
from __future__ import annotations

import libsbml
import pytest

from stat3qsp.model.annotate import IDENTIFIERS_ORG, read_annotations, unannotated
from stat3qsp.model.catalog import DEFAULT_MODELS_DIR, read_catalog
from stat3qsp.model.compose import validate_sbml
from stat3qsp.model.export import context_sbml

CATALOG = read_catalog(DEFAULT_MODELS_DIR)
#: Ontologies whose SBO branch libsbml checks: every term must sit where SBML L3V2 expects it.
SBO_BRANCH_WARNING = 10713

@pytest.fixture(scope="module")
def sbml() -> dict[str, str]:
    return {context: context_sbml(DEFAULT_MODELS_DIR, context) for context in CATALOG.contexts}

@pytest.mark.parametrize("context", list(CATALOG.contexts))
def test_no_element_is_unannotated(sbml, context):
    assert unannotated(sbml[context]) == []
    assert validate_sbml(sbml[context]) == []

def _branch_warnings(document: libsbml.SBMLDocument) -> list[str]:
    document.checkConsistency()
    return [document.getError(i).getMessage() for i in range(document.getNumErrors())
            if document.getError(i).getErrorId() == SBO_BRANCH_WARNING]

def test_sbo_terms_are_in_their_branch(sbml):
    assert _branch_warnings(libsbml.readSBMLFromString(sbml["her2_amplified"])) == []
    document = libsbml.readSBMLFromString(sbml["her2_amplified"])
    document.getModel().getSpecies("HER2").setSBOTerm(179)  # a process term on a species: caught
    assert len(_branch_warnings(document)) == 1

def test_proteins_carry_uniprot_and_drugs_chebi_or_drugbank(sbml):
    document = libsbml.readSBMLFromString(sbml["her2_amplified"])  # kept: the model lives in it
    model = document.getModel()
    her2 = model.getSpecies("HER2").getCVTerm(0)
    assert her2.getBiologicalQualifierType() == libsbml.BQB_IS
    assert her2.getResourceURI(0) == IDENTIFIERS_ORG + "uniprot:P04626"
    calprotectin = {model.getSpecies("calprotectin").getCVTerm(i).getBiologicalQualifierType(): i for i in range(2)}
    assert libsbml.BQB_HAS_PART in calprotectin
    for drug in CATALOG.drugs.values():
        terms = model.getParameter(drug.concentration_parameter).getCVTerms()
        resources = [terms.get(0).getResourceURI(i) for i in range(terms.get(0).getNumResources())]
        assert terms.get(0).getBiologicalQualifierType() == libsbml.BQB_IS
        assert any(r.startswith((IDENTIFIERS_ORG + "CHEBI:", IDENTIFIERS_ORG + "drugbank:")) for r in resources)

def test_model_has_history_and_citation(sbml):
    document = libsbml.readSBMLFromString(sbml["her2_amplified"])  # kept: the model lives in it
    model = document.getModel()
    history = model.getModelHistory()
    assert history is not None and history.getNumCreators() >= 1 and history.isSetCreatedDate()
    described = [model.getCVTerm(i) for i in range(model.getNumCVTerms())
                 if model.getCVTerm(i).getQualifierType() == libsbml.MODEL_QUALIFIER]
    assert described and described[0].getModelQualifierType() == libsbml.BQM_IS_DESCRIBED_BY
    assert IDENTIFIERS_ORG + "clinicaltrials:NCT02066532" in [described[0].getResourceURI(i)
                                                              for i in range(described[0].getNumResources())]

def test_every_explicit_entry_names_an_element(sbml):
    """No stale entry: the file's compartments, species and drug parameters exist in the model."""
    data = read_annotations(CATALOG.models_dir)
    document = libsbml.readSBMLFromString(sbml["her2_amplified"])  # kept: the model lives in it
    model = document.getModel()
    assert sorted(data["species"]) == sorted(s.getId() for s in model.getListOfSpecies())
    assert sorted(data["compartments"]) == sorted(c.getId() for c in model.getListOfCompartments())
    ids = {p.getId() for p in model.getListOfParameters()}
    assert set(data["drugs"]) == {d.concentration_parameter for d in CATALOG.drugs.values()}
    assert set(data["parameters"]["ids"]) <= ids

def test_a_species_missing_from_the_file_is_reported(sbml):
    document = libsbml.readSBMLFromString(sbml["her2_amplified"])
    species = document.getModel().getSpecies("SOCS3")
    species.unsetSBOTerm()
    species.unsetCVTerms()
    assert unannotated(libsbml.writeSBMLToString(document)) == [
        "species SOCS3: no SBO term", "species SOCS3: no MIRIAM identifier"]
