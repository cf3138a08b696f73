"""The documented extension path (docs/extending.md), followed on a copy of models/.

A new drug is one Antimony module, its parameter rows and a catalog entry; a new context is a
catalog entry. The test data in tests/data/extension/ add a toy JAK inhibitor (``toyjaki``, a
contribution to the JAK_activity hook) and two contexts; nothing in the library changes.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from stat3qsp.model.compose import validate_sbml
from stat3qsp.assay.dose_response import concentration_grid, fit_curves, sweep
from stat3qsp.errors import InputError
from stat3qsp.model import Model, build_model
from stat3qsp.model.parameters import read_parameter_table

from extension_models import install_extension



@pytest.fixture(scope="module")
def extended_dir(tmp_path_factory) -> Path:
    return install_extension(tmp_path_factory.mktemp("extension") / "models")


@pytest.fixture(scope="module")
def extended(extended_dir) -> Model:
    return build_model(extended_dir)


def test_extended_model_composes_with_one_row_per_parameter(extended):
    assert "toyjaki" in extended.catalog.drugs
    assert "toyjaki_JAK_activity" in extended.antimony
    assert validate_sbml(extended.sbml_for_context("her2_amplified")) == []
    runner = extended.runner
    table = read_parameter_table(extended.catalog.models_dir / "parameters.tsv")
    assert {"toyjaki_conc", "toyjaki_JAK_IC50"} <= set(table)
    assert {"toyjaki_conc", "toyjaki_JAK_IC50"} <= set(runner.model.getGlobalParameterIds())


@pytest.mark.parametrize("readout", ["pSTAT3_fraction", "calprotectin_nM", "SOCS3_nM"])
def test_toy_jak_inhibitor_lowers_stat3_output_monotonically(extended, readout):
    table = sweep(extended, "her2_amplified", "toyjaki", concentration_grid(0.1, 10000.0, 12), 72.0)
    values = table[readout].to_numpy()
    assert np.all(np.diff(values) < 0)
    assert values[-1] < 0.5 * values[0]


def test_toy_jak_inhibitor_acts_through_the_jak_hook_like_ruxolitinib(extended):
    """Both drugs only scale JAK activity by 1 / (1 + C / IC50): equal C / IC50 gives equal cells."""
    sim = extended.context("her2_amplified")
    ratio = extended.parameters["toyjaki_JAK_IC50"].value / extended.parameters["rux_JAK_IC50"].value
    for conc in (10.0, 166.0, 3000.0):
        toy, rux = sim.assay({"toyjaki": conc * ratio}), sim.assay({"ruxolitinib": conc})
        for readout, value in rux.items():
            assert toy[readout] == pytest.approx(value, rel=1e-7), readout


def test_pstat3_ic50_scales_with_the_drug_ic50_parameter(extended):
    """A context that overrides toyjaki_JAK_IC50 ten-fold moves the fitted pSTAT3 IC50 ten-fold."""
    grid = concentration_grid(0.1, 10000.0, 13)
    base = fit_curves(sweep(extended, "her2_amplified", "toyjaki", grid, 72.0)).set_index("readout")
    weak = fit_curves(sweep(extended, "her2_amplified_toyjaki_weak", "toyjaki", 10 * grid, 72.0)).set_index("readout")
    fold = extended.catalog.context("her2_amplified_toyjaki_weak").parameters["toyjaki_JAK_IC50"] / extended.parameters["toyjaki_JAK_IC50"].value
    assert fold == 10
    assert weak.loc["pSTAT3_fraction", "ic50_nM"] / base.loc["pSTAT3_fraction", "ic50_nM"] == pytest.approx(fold, rel=1e-3)
    assert base.loc["pSTAT3_fraction", "r2"] > 0.99


def test_new_context_is_a_catalog_entry(extended):
    """her2_low_il6 (weak HER2 -> IL6 link): less IL-6 and pSTAT3, and trastuzumab moves pSTAT3 less."""
    low, amplified = extended.context("her2_low_il6"), extended.context("her2_amplified")
    vehicle_low, vehicle_amp = low.assay({}), amplified.assay({})
    assert vehicle_low["IL6_secreted_nM"] < 0.5 * vehicle_amp["IL6_secreted_nM"]
    assert vehicle_low["pSTAT3_fraction"] < vehicle_amp["pSTAT3_fraction"]
    drop_low = 1 - low.assay({"trastuzumab": 10.0})["pSTAT3_fraction"] / vehicle_low["pSTAT3_fraction"]
    drop_amp = 1 - amplified.assay({"trastuzumab": 10.0})["pSTAT3_fraction"] / vehicle_amp["pSTAT3_fraction"]
    assert drop_low < drop_amp
    assert 'IL6_tx_HER2_k" value="0.05"' in extended.sbml_for_context("her2_low_il6")


def test_context_overriding_an_unknown_parameter_is_refused(extended_dir, tmp_path):
    models = tmp_path / "models"
    shutil.copytree(extended_dir, models)
    catalog = yaml.safe_load((models / "catalog.yaml").read_text())
    catalog["contexts"]["typo"] = {"description": "x", "parameters": {"HER2_levl": {"value": 1, "source": "assumed: x"}}}
    (models / "catalog.yaml").write_text(yaml.safe_dump(catalog))
    with pytest.raises(InputError, match="HER2_levl"):
        build_model(models)
