"""Parameter provenance: the model and models/parameters.tsv agree in both directions."""
from __future__ import annotations

import libsbml
import pytest

from stat3qsp.model.catalog import read_catalog
from stat3qsp.errors import InputError
from stat3qsp.model.parameters import read_parameter_table


def _model_constants(sbml: str) -> set[str]:
    """Ids of parameters and compartments whose value is not set by a rule (the model's constants)."""
    document = libsbml.readSBMLFromString(sbml)  # kept: the model lives in it
    model = document.getModel()
    ruled = {model.getRule(i).getVariable() for i in range(model.getNumRules())}
    ruled |= {model.getInitialAssignment(i).getSymbol() for i in range(model.getNumInitialAssignments())}
    ids = {p.getId() for p in model.getListOfParameters()} | {c.getId() for c in model.getListOfCompartments()}
    return ids - ruled


def test_every_model_parameter_has_one_row(model):
    table = read_parameter_table(model.catalog.models_dir / "parameters.tsv")
    assert _model_constants(model.sbml) - set(table) == set()


def test_every_row_is_a_model_parameter(model):
    """Every row is a constant of the model or of one of its variants (e.g. the patient model's PK)."""
    from stat3qsp.model.compose import antimony_to_sbml, compose_antimony

    table = read_parameter_table(model.catalog.models_dir / "parameters.tsv")
    constants = _model_constants(model.sbml)
    for variant in model.catalog.variants:
        constants |= _model_constants(antimony_to_sbml(compose_antimony(model.catalog, table, variant=variant)))
    assert set(table) - constants == set()


def test_every_row_has_a_unit_and_a_traceable_source(model):
    table = read_parameter_table(model.catalog.models_dir / "parameters.tsv")
    for row in table.values():
        assert row.unit
        assert row.source.startswith(("assumed: ", "fitted: ", "dataset: ")) or any(
            tag in row.source for tag in ("DOI:", "PMID", "BIOMD")
        ), row.parameter_id


def test_context_overrides_have_sources_and_exist(model):
    catalog = read_catalog(model.catalog.models_dir)
    table = read_parameter_table(catalog.models_dir / "parameters.tsv")
    for context in catalog.contexts.values():
        assert set(context.parameters) <= set(table)
        assert set(context.sources) == set(context.parameters)
        for pid, value in context.parameters.items():
            assert table[pid].lower_bound <= value <= table[pid].upper_bound, (context.name, pid)


@pytest.mark.parametrize(
    "line, message",
    [
        ("k\t1\tper_hour\t0\t2\tsomebody said so\t", "is not a DOI"),
        ("k\t3\tper_hour\t0\t2\tassumed: x\t", "lowerBound <= value <= upperBound"),
        ("k\tone\tper_hour\t0\t2\tassumed: x\t", "must be numbers"),
        ("k\t1\t\t0\t2\tassumed: x\t", "empty unit"),
    ],
)
def test_bad_rows_are_refused_with_the_row_named(tmp_path, line, message):
    path = tmp_path / "parameters.tsv"
    path.write_text("parameterId\tvalue\tunit\tlowerBound\tupperBound\tsource\tnotes\n" + line + "\n")
    with pytest.raises(InputError, match=message) as info:
        read_parameter_table(path)
    assert ":2 (k)" in str(info.value)


def test_patient_variant_constants_all_have_rows():
    """The patient model (PK, clamps, tumour) takes every constant from the table too."""
    from stat3qsp.model import load_model

    patient = load_model(variant="patient")
    table = read_parameter_table(patient.catalog.models_dir / "parameters.tsv")
    assert _model_constants(patient.sbml) - set(table) == set()
