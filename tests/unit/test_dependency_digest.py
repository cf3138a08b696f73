"""The dependency cone digest of stat3qsp.model.provenance (the key of the hypotheses' signalling cache).

A small inline model: ``obs`` reads B, made from A by J1 (k1), scaled by ``scale``; C decays by J2 (k2),
which nothing of ``obs`` reaches. A value inside the cone changes the digest, one outside does not.
"""
from __future__ import annotations

import antimony
import pytest

from stat3qsp.model.provenance import dependency_digest

VALUES = {"A": 10.0, "C": 5.0, "k1": 0.1, "k2": 0.2, "scale": 2.0}


def _sbml(extra: str = "", **changes: float) -> str:
    values = {**VALUES, **changes}
    lines = ["model cone()", "  compartment cell = 1", "  species A in cell, B in cell, C in cell",
             "  J1: A -> B; k1 * A", "  J2: C -> ; k2 * C", "  obs := scale * B", "  B = 0", extra,
             *(f"  {name} = {value!r}" for name, value in values.items()), "end"]
    antimony.clearPreviousLoads()
    assert antimony.loadAntimonyString("\n".join(lines) + "\n") >= 0, antimony.getLastError()
    return antimony.getSBMLString("cone")


@pytest.fixture(scope="module")
def digest() -> str:
    return dependency_digest(_sbml(), ["obs"])


@pytest.mark.parametrize("name", ["A", "k1", "scale"])
def test_a_value_in_the_cone_changes_the_digest(digest, name):
    assert dependency_digest(_sbml(**{name: 2 * VALUES[name]}), ["obs"]) != digest


@pytest.mark.parametrize("name", ["C", "k2"])
def test_a_value_outside_the_cone_leaves_it(digest, name):
    assert dependency_digest(_sbml(**{name: 2 * VALUES[name]}), ["obs"]) == digest


def test_reactions_count_only_where_the_cone_reaches(digest):
    # a second sink of C is outside; a sink of A (J1's substrate) is inside
    assert dependency_digest(_sbml("  J3: C -> ; k2 * C * C"), ["obs"]) == digest
    assert dependency_digest(_sbml("  J3: A -> ; k2 * A"), ["obs"]) != digest


def test_the_roots_are_read_from_formulas(digest):
    assert dependency_digest(_sbml(), ["2 * obs"]) == digest
    assert dependency_digest(_sbml(), ["C"]) != digest
