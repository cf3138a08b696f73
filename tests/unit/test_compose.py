"""Composition of Antimony modules through hooks, on small inline modules."""
from __future__ import annotations

from pathlib import Path

import pytest
import roadrunner

from stat3qsp.model.catalog import read_catalog
from stat3qsp.model.compose import antimony_to_sbml, compose_antimony, validate_sbml
from stat3qsp.errors import InputError
from stat3qsp.model.parameters import read_parameter_table

CORE = """unit substance = 1e-9 mole
unit volume = litre
unit time_unit = 3600 second
unit per_hour = 1 / (3600 second)
//@hook act product dimensionless  remaining activity
//@hook drive sum per_hour  summed drive
compartment cell
species X in cell
X = 0
make: => X; k * act * cell
lose: X => ; (k_deg + drive) * X * cell
"""


def _project(tmp_path: Path, modules: dict[str, str], rows: list[str], drugs: str = "{}") -> Path:
    for name, text in modules.items():
        (tmp_path / name).write_text(text)
    core = [n for n in modules if n.startswith("core")]
    extra = [n for n in modules if not n.startswith("core")]
    (tmp_path / "catalog.yaml").write_text(f"core_modules: {core}\nextra_modules: {extra}\ndrugs: {drugs}\ncontexts: {{}}\n")
    header = "parameterId\tvalue\tunit\tlowerBound\tupperBound\tsource\tnotes\n"
    (tmp_path / "parameters.tsv").write_text(header + "\n".join(rows) + "\n")
    return tmp_path


ROWS = ["cell\t1\tlitre\t1\t1\tassumed: unit volume\t", "k\t2\tper_hour\t0\t10\tassumed: test\t", "k_deg\t1\tper_hour\t0\t10\tassumed: test\t"]


def _steady_x(folder: Path) -> float:
    catalog = read_catalog(folder)
    sbml = antimony_to_sbml(compose_antimony(catalog, read_parameter_table(folder / "parameters.tsv")))
    assert validate_sbml(sbml) == []
    runner = roadrunner.RoadRunner(sbml)
    runner.simulate(0, 50, 2)
    return runner["[X]"]


def test_hooks_without_contributions_are_neutral(tmp_path):
    folder = _project(tmp_path, {"core.ant": CORE}, ROWS)
    assert _steady_x(folder) == pytest.approx(2.0, rel=1e-6)  # k / k_deg


def test_contributions_multiply_and_add(tmp_path):
    drug = "//@contribute act inhib\n//@contribute drive extra\ninhib := 0.5\ninhib has dimensionless\nextra := k_deg\nextra has per_hour\n"
    other = "//@contribute act inhib2\ninhib2 := 0.5\ninhib2 has dimensionless\n"
    folder = _project(tmp_path, {"core.ant": CORE, "drug.ant": drug, "other.ant": other}, ROWS)
    assert _steady_x(folder) == pytest.approx(2.0 * 0.25 / 2.0, rel=1e-6)


def test_contribution_to_unknown_hook_is_refused(tmp_path):
    folder = _project(tmp_path, {"core.ant": CORE, "drug.ant": "//@contribute nohook term\n"}, ROWS)
    with pytest.raises(InputError, match="unknown hook 'nohook'"):
        compose_antimony(read_catalog(folder), read_parameter_table(folder / "parameters.tsv"))


def test_parameter_without_row_is_refused(tmp_path):
    folder = _project(tmp_path, {"core.ant": CORE}, ROWS[:2])
    with pytest.raises(InputError, match=r"\['k_deg'\] have no row"):
        antimony_to_sbml(compose_antimony(read_catalog(folder), read_parameter_table(folder / "parameters.tsv")))
