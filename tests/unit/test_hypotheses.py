"""Competing hypotheses as switchable modules (models/hypotheses/, stat3qsp.model.hypotheses): every module
composes with every context into valid SBML, each does what its claim says (mechanism tests), baseline is the
model unchanged, a sixth module needs no library change, and the covariates are drawn as declared."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from stat3qsp.errors import InputError
from stat3qsp.model.catalog import read_catalog
from stat3qsp.model.compose import antimony_to_sbml, compose_antimony, validate_sbml
from stat3qsp.model.hypotheses import (available_hypotheses, combination_name, compose_hypothesis_models,
                                       parse_combination)
from stat3qsp.model.parameters import read_parameter_table
from stat3qsp.model.simulator import build_model
from stat3qsp.trial.patient import PatientSimulator, VirtualPatient
from stat3qsp.trial.population import ParameterDistribution, candidate_values, read_population
from stat3qsp.trial.regimen import dosing_values

from extension_models import add_death_hypothesis

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "models"
NAMES = ("paracrine_il6", "er_crosstalk", "pi3k_bypass", "adcc")
CONTEXTS = tuple(read_catalog(MODELS).contexts)
WEEK = 168.0


@pytest.fixture(scope="module")
def derived(tmp_path_factory) -> dict[str, Path]:
    """The derived models folder of baseline and of every single hypothesis."""
    root = tmp_path_factory.mktemp("hypotheses")
    return {name: compose_hypothesis_models(MODELS, parse_combination(name), root / name) for name in ("baseline", *NAMES)}


@pytest.fixture(scope="module")
def cells(derived):
    """The compiled cell model of each single hypothesis."""
    return {name: build_model(folder) for name, folder in derived.items()}


def test_the_five_hypotheses_are_found_with_their_claims():
    found = available_hypotheses(MODELS)
    assert set(found) == {"baseline", *NAMES}
    assert found["baseline"].module is None and not found["baseline"].parameters
    for name in NAMES:
        assert found[name].module is not None and found[name].parameters and len(found[name].claim) > 50
        assert set(found[name].population) <= set(found[name].parameters)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("variant", [None, "patient"])
def test_each_module_composes_with_each_context_into_valid_sbml(derived, name, variant):
    catalog = read_catalog(derived[name])
    parameters = read_parameter_table(derived[name] / "parameters.tsv")
    module = f"hypotheses/{name}/module.ant"
    assert module in catalog.extra_modules
    for context in CONTEXTS:
        sbml = antimony_to_sbml(compose_antimony(catalog, parameters, catalog.context(context).parameters, variant))
        assert validate_sbml(sbml) == [], (name, context, variant)


def test_baseline_is_the_model_unchanged(derived, cells, model):
    catalog, parameters = read_catalog(MODELS), read_parameter_table(MODELS / "parameters.tsv")
    derived_catalog = read_catalog(derived["baseline"])
    derived_parameters = read_parameter_table(derived["baseline"] / "parameters.tsv")
    for variant in (None, "patient"):
        assert compose_antimony(derived_catalog, derived_parameters, variant=variant) == \
            compose_antimony(catalog, parameters, variant=variant)
    for context in ("her2_amplified", "her2_trastuzumab_resistant"):
        for doses in ({}, {"trastuzumab": 10.0, "ruxolitinib": 300.0}):
            assert cells["baseline"].context(context).assay(doses) == model.context(context).assay(doses)
    # the core's immune-kill hook is 0 without a contribution, so net growth is the signalling's alone
    assert "extra_death_rate := 0" in model.antimony


def test_paracrine_il6_at_high_serum_il6_trastuzumab_no_longer_lowers_pstat3(cells):
    drops = {}
    for serum in (0.0, 100.0):
        context = cells["paracrine_il6"].context("her2_amplified", {"IL6_serum_level": serum})
        untreated, treated = (context.assay(d)["pSTAT3_fraction"] for d in ({}, {"trastuzumab": 60.0}))
        drops[serum] = 1 - treated / untreated
    assert drops[0.0] > 0.4            # the autocrine loop: trastuzumab halves pSTAT3
    assert drops[100.0] < 0.05         # IL-6 from outside keeps JAK/STAT3 on


def test_paracrine_il6_does_nothing_without_il6_exchange(cells):
    """IL6_ext_deg_k = 0 (a closed culture, the Sobotta hepatocyte setting): the supply vanishes."""
    closed = {"IL6_ext_deg_k": 0.0}
    plain = cells["baseline"].context("her2_amplified", closed).assay({"trastuzumab": 1.0})
    paracrine = cells["paracrine_il6"].context("her2_amplified", {**closed, "IL6_serum_level": 500.0})
    assert paracrine.assay({"trastuzumab": 1.0}) == pytest.approx(plain, rel=1e-9)


def test_pi3k_bypass_mutant_keeps_proliferating_under_her2_blockade(cells):
    wild, mutant = (cells["pi3k_bypass"].context("her2_amplified", {"PIK3CA_mutant": m}) for m in (0.0, 1.0))
    blockade = {"trastuzumab": 60.0, "lapatinib": 3000.0}
    assert mutant.assay(blockade)["viability_pct"] > wild.assay(blockade)["viability_pct"] + 20
    mutant.assay(blockade)
    assert mutant.model.runner["net_growth_rate"] > 0 > (wild.assay(blockade), wild.model.runner["net_growth_rate"])[1]
    # the bypass does not touch STAT3
    assert mutant.assay(blockade)["pSTAT3_fraction"] == pytest.approx(wild.assay(blockade)["pSTAT3_fraction"], rel=1e-6)


def _adcc_kill(cells, doses, **changes) -> float:
    context = cells["adcc"].context("her2_amplified", changes or None)
    context.assay(doses)
    return float(context.model.runner["adcc_kill_rate"])


def test_adcc_kill_grows_with_her2_occupancy_and_effector_level(cells):
    kills = [_adcc_kill(cells, {"trastuzumab": c}) for c in (0.0, 0.01, 0.1, 1.0, 10.0)]
    assert kills[0] == 0.0 and np.all(np.diff(kills) > 0)
    # linear in the effector level, at the same occupancy
    low, high = (_adcc_kill(cells, {"trastuzumab": 1.0}, adcc_effector_level=e) for e in (0.5, 2.0))
    assert high == pytest.approx(4 * low, rel=1e-9)
    # fewer coated antigens (non-amplified HER2), less kill at the same occupancy
    assert _adcc_kill(cells, {"trastuzumab": 10.0}, HER2_level=20.0) < 0.2 * kills[-1]
    # ruxolitinib weakens the effectors
    assert _adcc_kill(cells, {"trastuzumab": 10.0, "ruxolitinib": 3000.0}) < kills[-1]


def test_er_crosstalk_her2_blockade_derepresses_er(cells):
    context = cells["er_crosstalk"].context("her2_amplified", {"HR_positive": 1.0})
    context.assay({})
    untreated = float(context.model.runner["ER_signal"])
    context.assay({"trastuzumab": 60.0, "lapatinib": 3000.0})
    assert float(context.model.runner["ER_signal"]) > 1.5 * untreated


@pytest.fixture(scope="module")
def er_patients(derived):
    return PatientSimulator(derived["er_crosstalk"], method="full")


def _sld(simulator: PatientSimulator, spec, hr: float, endocrine: float) -> np.ndarray:
    context = "her2_trastuzumab_resistant"
    # a slowly growing tumour, so that weekly scans tell the times apart: growth scale 0.011 (8% of the median
    # growth scale calibrated until 2026-12-07, 0.139; at 0.2 of it both courses progressed by week 5)
    rate = 0.011
    values = {"HR_positive": hr, "tumour_SLD_baseline": 50.0, "tumour_rate_scale": rate}
    growth, state = simulator.preequilibrate(context, values)
    patient = VirtualPatient(context, values, 70.0, growth, 1, state)
    dosing = {**dosing_values(spec.arm("ruxolitinib_trastuzumab"), simulator.regimens, 70.0),
              "ER_endocrine_fraction": endocrine}
    return simulator.scans(patient, dosing, np.arange(1, 53) * WEEK)


def test_er_crosstalk_hr_positive_patients_progress_later_under_estrogen_deprivation(er_patients, nct_spec):
    none, deprived = (_sld(er_patients, nct_spec, 1.0, f) for f in (0.0, 0.95))
    assert np.all(deprived < none)
    # RECIST progression of the target lesions: 20% above the smallest sum (and at least 5 mm), weekly scans
    progression = [int(np.argmax(s >= np.fmax(1.2 * np.minimum.accumulate(np.r_[50.0, s])[:-1], 55.0)))
                   for s in (none, deprived)]
    assert 0 < progression[0] < progression[1]
    # an HR- patient's tumour does not see endocrine therapy
    assert _sld(er_patients, nct_spec, 0.0, 0.95) == pytest.approx(_sld(er_patients, nct_spec, 0.0, 0.0), rel=1e-9)


def test_a_sixth_hypothesis_needs_no_library_change(tmp_path):
    models = tmp_path / "models"
    shutil.copytree(MODELS, models)
    add_death_hypothesis(models, "toy_kill", "toy_kill_k", 0.003,
                         "A constant immune kill of every cell, to test the composition.")
    assert "toy_kill" in available_hypotheses(models)
    with_toy = build_model(compose_hypothesis_models(models, ("toy_kill", "adcc"), tmp_path / "derived"))
    assert "extra_death_rate := toy_kill_k + adcc_kill_rate" in with_toy.antimony
    plain = build_model(compose_hypothesis_models(models, ("adcc",), tmp_path / "plain"))
    # net growth is linear in the extra death: the vehicle grows exactly toy_kill_k more slowly
    assert (plain.context("her2_amplified").vehicle_growth_rate()
            - with_toy.context("her2_amplified").vehicle_growth_rate()) == pytest.approx(0.003, rel=1e-6)


def test_covariates_join_the_population_and_bernoulli_draws_the_prevalence(derived):
    parameters = read_parameter_table(derived["er_crosstalk"] / "parameters.tsv")
    population = read_population(derived["er_crosstalk"] / "population.yaml", parameters)
    assert population.distribution("HR_positive").distribution == "bernoulli"
    assert population.parameter_ids[: len(read_population(MODELS / "population.yaml").parameter_ids)] == \
        read_population(MODELS / "population.yaml").parameter_ids
    z = np.random.default_rng(3).standard_normal(20000)
    status = [ParameterDistribution("HR_positive", "bernoulli", 1.0, "test").value(0.731, float(x)) for x in z]
    assert set(status) == {0.0, 1.0} and np.mean(status) == pytest.approx(0.731, abs=0.01)
    # a patient's redrawn candidates keep its binary covariates, the others are redrawn
    centres = {pid: (0.731 if pid == "HR_positive" else parameters[pid].value) for pid in population.parameter_ids}
    kept: dict[str, float] = {}
    n = len(population.parameter_ids)
    first = candidate_values(population, centres, np.full(n, -3.0), kept)
    second = candidate_values(population, centres, np.full(n, 3.0), kept)
    assert first["HR_positive"] == second["HR_positive"] == 1.0 and kept == {"HR_positive": 1.0}
    assert second["HER2_level"] > first["HER2_level"]
    assert candidate_values(population, centres, np.full(n, 3.0))["HR_positive"] == 0.0


@pytest.mark.parametrize("text, accepted", [("baseline", ()), ("adcc+er_crosstalk", ("adcc", "er_crosstalk"))])
def test_combination_names_round_trip(text, accepted):
    assert parse_combination(text) == accepted and combination_name(accepted) == text


@pytest.mark.parametrize("text", ["baseline+adcc", "adcc+adcc", "adcc+", ""])
def test_bad_combinations_are_refused(text):
    with pytest.raises(InputError, match="combination"):
        parse_combination(text)


def test_unknown_hypotheses_and_shared_parameters_are_refused(tmp_path):
    with pytest.raises(InputError, match="'nope'.*accepted: one of adcc, baseline"):
        compose_hypothesis_models(MODELS, ("nope",), tmp_path / "x")
    models = tmp_path / "models"
    shutil.copytree(MODELS, models)
    twin = models / "hypotheses" / "twin"
    shutil.copytree(models / "hypotheses" / "adcc", twin)
    with pytest.raises(InputError, match="twin.*adcc_effector_level.*also defined by hypothesis .adcc"):
        compose_hypothesis_models(models, ("adcc", "twin"), tmp_path / "y")
    assert not (tmp_path / "y").exists()


def test_a_module_covariate_leaves_every_patients_other_values_unchanged(derived):
    """Common random numbers across hypotheses: the modules' deviates come from their own stream, so an
    er_crosstalk patient (HR-negative here: the module's own value 0) is the baseline patient, candidate for
    candidate, and a pi3k_bypass patient has baseline's values wherever the same candidate is accepted."""
    from stat3qsp.trial.population import BIOLOGY_STREAM, patient_generator
    from stat3qsp.trial.spec_types import BodyWeight

    weight = BodyWeight(70.0, 0.0, 40.0, 120.0, "test")
    simulators = {name: PatientSimulator(derived[name]) for name in ("baseline", "er_crosstalk", "pi3k_bypass")}
    assert simulators["er_crosstalk"].population.separate == ("HR_positive",)
    same_candidate = 0
    for i in range(6):
        patients = {name: sim.draw_patient("her2_trastuzumab_resistant", patient_generator(7, 0, i, BIOLOGY_STREAM), weight)
                    for name, sim in simulators.items()}
        base = patients["baseline"]
        assert patients["er_crosstalk"].draws == base.draws and patients["er_crosstalk"].values["HR_positive"] == 0.0
        assert {k: v for k, v in patients["er_crosstalk"].values.items() if k != "HR_positive"} == base.values
        pi3k = patients["pi3k_bypass"]
        if pi3k.draws == base.draws:
            same_candidate += 1
            assert {k: v for k, v in pi3k.values.items() if k != "PIK3CA_mutant"} == base.values
    assert same_candidate >= 3
