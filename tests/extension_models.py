"""The documented extension path (docs/extending.md) followed on a copy of models/: the toy JAK inhibitor
``toyjaki`` and two contexts of tests/data/extension/ (shared by tests/unit/test_extension.py and
tests/workflow/test_extension_workflow.py)."""
from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from stat3qsp.model.catalog import DEFAULT_MODELS_DIR

DATA = Path(__file__).resolve().parent / "data" / "extension"


def install_extension(models: Path) -> Path:
    """Copy models/ to *models* and add the toy drug and contexts exactly as docs/extending.md says."""
    shutil.copytree(DEFAULT_MODELS_DIR, models)
    # 1. the module
    shutil.copy(DATA / "toyjaki.ant", models / "drugs" / "toyjaki.ant")
    # 2. its parameter rows, appended to the one parameter table
    with open(models / "parameters.tsv", "a") as table:
        table.write((DATA / "toyjaki_parameters.tsv").read_text())
    # 3. the catalog entries: the drug, and two contexts
    catalog = yaml.safe_load((models / "catalog.yaml").read_text())
    entries = yaml.safe_load((DATA / "toyjaki_catalog.yaml").read_text())
    for section in ("drugs", "contexts"):
        assert not set(entries[section]) & set(catalog[section])
        catalog[section].update(entries[section])
    (models / "catalog.yaml").write_text(yaml.safe_dump(catalog, sort_keys=False))
    return models


def add_death_hypothesis(models: Path, name: str, parameter: str, per_hour: float, claim: str) -> Path:
    """A hypothesis module ``models/hypotheses/<name>/`` (docs/hypotheses.md) that adds a constant death rate
    *parameter* (per hour) of every cell through the ``extra_death_rate`` hook; *claim* is its README."""
    folder = models / "hypotheses" / name
    folder.mkdir()
    (folder / "README.md").write_text(f"# {name}\n\n{claim}\n")
    (folder / "module.ant").write_text(f"//@contribute extra_death_rate {parameter}\n{parameter} has per_hour\n")
    (folder / "parameters.tsv").write_text("parameterId\tvalue\tunit\tlowerBound\tupperBound\tsource\tnotes\n"
                                           f"{parameter}\t{per_hour}\tper_hour\t0\t1\tassumed: test value\t\n")
    return folder
