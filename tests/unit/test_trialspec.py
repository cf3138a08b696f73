"""Trial specs: the real NCT02066532 spec, the schema's own rules, unit parsing, malformed specs."""
from __future__ import annotations

from pathlib import Path
import copy
from typing import Any, Callable

import numpy as np
import pytest
import yaml

from stat3qsp.trial import columns as tc
from stat3qsp.errors import InputError
from stat3qsp.trial.spec import load_schema, load_trial_spec, parse_dose, parse_interval, trial_spec_from_dict
from stat3qsp.trial.spec_types import Dose, Interval

SPEC_PATH = Path(__file__).resolve().parents[2] / "trials" / "NCT02066532.yaml"


@pytest.fixture(scope="module")
def spec_data() -> dict[str, Any]:
    return yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))


def test_real_spec_validates_and_parses():
    spec = load_trial_spec(SPEC_PATH)
    assert spec.id == spec.citation.registry_id == "NCT02066532"
    assert spec.design.evaluable == 26 and spec.design.historical_control_median_pfs_weeks == 8
    assert spec.cycle_length.days == 21
    main = spec.arm("ruxolitinib_trastuzumab")
    rux, tras = main.drugs
    assert (rux.drug, rux.dose, rux.interval.hours, rux.schedule) == ("ruxolitinib", Dose(25.0, "mg"), 12.0,
                                                                      "continuous")
    assert (tras.dose, tras.loading_dose.dose, tras.loading_dose.no_prior_dose_within_days) == (
        Dose(6.0, "mg/kg"), Dose(8.0, "mg/kg"), 28)
    assert spec.dose_escalation.recommended_phase2_dose == rux.dose
    assert [d.amount for d in spec.dose_escalation.levels] == [10.0, 15.0, 20.0, 25.0]
    assert spec.assessment.scan_weeks(40.0).tolist() == [9.0, 18.0, 27.0, 36.0]
    assert (spec.recist.pr_threshold_percent, spec.recist.pd_threshold_percent,
            spec.recist.pd_min_absolute_mm, spec.recist.cbr_min_sd_weeks) == (-30, 20, 5, 24)
    assert main.endpoint(tc.MEDIAN_PFS_WEEKS).observed == 8.3
    assert {e.role for e in main.endpoints} == {"validation"}
    assert main.endpoint(tc.PFS_6MO).approximate and main.endpoint(tc.PFS_6MO).lo is None
    assert spec.arm("historical_control").endpoint(tc.MEDIAN_PFS_WEEKS).role == "validation"  # not fitted any more
    assert spec.analysis.clinical_progression_is_event and spec.analysis.populations == ("treated", "evaluable")
    assert main.endpoint(tc.ORR_EVALUABLE).observed == 0.0714 and main.endpoint(tc.ORR_EVALUABLE).n == 14


def test_vogel_spec_has_its_own_conduct_and_calibrates_the_kill_scale():
    spec = load_trial_spec("trials/vogel2002.yaml")  # Vogel 2002: calibrates the tumour kill scale
    first_line = spec.arm("trastuzumab_standard_dose")
    assert spec.citation.registry_id is None and spec.citation.pmid == "11821453"
    assert (first_line.context, first_line.counterfactual, first_line.drugs[0].interval.days) == ("her2_amplified",
                                                                                                  False, 7)
    assert [(e.name, e.role) for e in first_line.endpoints] == [(tc.ORR, "calibration"), (tc.CBR, "validation")]
    assert spec.assessment.scan_weeks(40.0).tolist() == [8.0, 16.0, 24.0, 32.0, 40.0]
    assert spec.early_discontinuation.fraction == 0.0 and spec.recist.confirmation_required


def test_counterfactual_arms():
    spec = load_trial_spec(SPEC_PATH)
    counterfactual = {a.name: a for a in spec.arms if a.counterfactual}
    assert set(counterfactual) == {"full_jak_inhibition", "trastuzumab_sensitive", "ruxolitinib_50mg_bid",
                                   "ruxolitinib_100mg_bid"}
    assert all(a.rationale and not a.endpoints for a in counterfactual.values())
    assert counterfactual["trastuzumab_sensitive"].context == "her2_amplified"
    assert spec.arm("ruxolitinib_trastuzumab").context == "her2_trastuzumab_resistant"
    assert counterfactual["full_jak_inhibition"].target_inhibition[0].fraction == 1.0
    assert counterfactual["ruxolitinib_100mg_bid"].drugs[0].dose == Dose(100.0, "mg")


def _walk(schema: Any, path: str = "#"):
    """Yield (path, subschema) for every schema object in a schema document."""
    if isinstance(schema, dict):
        yield path, schema
        for key, value in schema.items():
            yield from _walk(value, f"{path}/{key}")
    elif isinstance(schema, list):
        for i, value in enumerate(schema):
            yield from _walk(value, f"{path}/{i}")


def test_schema_describes_every_property_and_closes_every_object():
    schema = load_schema()
    defs = schema["$defs"]
    for path, node in _walk(schema):
        if node.get("type") == "object":
            assert node.get("additionalProperties") is False, path
        if path.endswith("/if"):
            continue  # a condition, not property definitions
        for name, prop in node.get("properties", {}).items():
            target = prop if "description" in prop else defs[prop["$ref"].removeprefix("#/$defs/")]
            assert "description" in target, f"{path}/properties/{name}"


@pytest.mark.parametrize("text, expected", [
    ("25 mg", Dose(25.0, "mg")), ("25mg", Dose(25.0, "mg")), ("1 g", Dose(1000.0, "mg")),
    ("500 ug", Dose(0.5, "mg")), ("6 mg/kg", Dose(6.0, "mg/kg")), ("80 mg/m2", Dose(80.0, "mg/m2")),
])
def test_parse_dose(text, expected):
    assert parse_dose(text) == expected


@pytest.mark.parametrize("text, problem", [
    ("25", "no unit"), ("25 mgs", "unknown dose unit"), ("-25 mg", "not > 0"), ("0 mg", "not > 0"),
    ("mg", "not a dose"), (25, "not a dose"), ("25 h", "unknown dose unit"),
])
def test_parse_dose_rejects(text, problem):
    with pytest.raises(InputError, match=problem) as error:
        parse_dose(text, "$.x.dose")
    assert str(error.value).startswith("$.x.dose: ") and "accepted" in str(error.value)


@pytest.mark.parametrize("text, hours", [("12 h", 12.0), ("21 d", 504.0), ("9 weeks", 1512.0),
                                         ("30 min", 0.5), ("1 day", 24.0)])
def test_parse_interval(text, hours):
    assert parse_interval(text) == Interval(hours)


@pytest.mark.parametrize("text", ["12", "12 fortnights", "-1 h", "12 mg"])
def test_parse_interval_rejects(text):
    with pytest.raises(InputError, match="interval"):
        parse_interval(text)


def test_weight_based_dose_needs_a_weight():
    assert Dose(6.0, "mg/kg").amount_mg(body_weight_kg=70.0) == 420.0
    assert Dose(25.0, "mg").amount_mg() == 25.0
    with pytest.raises(InputError, match="body_weight_kg"):
        Dose(6.0, "mg/kg").amount_mg()


def test_body_weight_sample_is_reproducible_and_bounded():
    weight = load_trial_spec(SPEC_PATH).population.body_weight
    first = weight.sample(np.random.default_rng(3), 1000)
    assert np.array_equal(first, weight.sample(np.random.default_rng(3), 1000))
    assert first.min() >= weight.min_kg and first.max() <= weight.max_kg


def _set(path: list[Any], value: Any) -> Callable[[dict], None]:
    """Mutation that sets ``data[path] = value``, copying the dict on the way (YAML aliases share objects)."""
    def mutate(data: dict) -> None:
        node = data
        for key in path[:-1]:
            node[key] = copy.copy(node[key])
            node = node[key]
        node[path[-1]] = value
    return mutate


def _drop(path: list[Any]) -> Callable[[dict], None]:
    def mutate(data: dict) -> None:
        node = data
        for key in path[:-1]:
            node[key] = copy.copy(node[key])
            node = node[key]
        del node[path[-1]]
    return mutate


@pytest.mark.parametrize("mutate, field, bad", [
    (_drop(["design"]), "$.design", "required field is missing"),
    (_drop(["arms", 0, "drugs", 0, "dose"]), "$.arms[0].drugs[0].dose", "required field is missing"),
    (_set(["arms", 0, "drugs", 0, "dose"], "25 mgs"), "$.arms[0].drugs[0].dose", "'mgs'"),
    (_set(["arms", 0, "drugs", 0, "dose"], "25"), "$.arms[0].drugs[0].dose", "'25'"),
    (_set(["arms", 0, "drugs", 0, "dose"], "-25 mg"), "$.arms[0].drugs[0].dose", "'-25 mg'"),
    (_set(["arms", 0, "drugs", 0, "dose"], 25), "$.arms[0].drugs[0].dose", "25"),
    (_set(["arms", 0, "colour"], "red"), "$.arms[0].colour", "unknown field"),
    (_set(["sponsor"], "Incyte"), "$.sponsor", "unknown field"),
    (_set(["arms", 0, "drugs", 0, "drug"], "aspirin"), "$.arms[0].drugs[0].drug", "'aspirin'"),
    (_set(["arms", 0, "drugs", 0, "interval"], "12 fortnights"), "$.arms[0].drugs[0].interval", "fortnights"),
    (_set(["design", "evaluable"], -1), "$.design.evaluable", "-1"),
    (_drop(["arms", 3, "rationale"]), "$.arms[3].rationale", "required field is missing"),
    (_set(["arms", 0, "endpoints", "cbr", "lo"], 0.2), "$.arms[0].endpoints.cbr", "0.2"),
    (_set(["arms", 0, "endpoints", "cbr", "observed"], 0.3), "$.arms[0].endpoints.cbr.observed", "0.3"),
    (_set(["arms", 0, "endpoints", "median_pfs"], {}), "$.arms[0].endpoints.median_pfs", "unknown field"),
    (_set(["arms", 0, "drugs", 1, "interval"], "14 d"), "$.arms[0].drugs[1].interval", "'14 d'"),
    (_set(["arms", 1, "name"], "ruxolitinib_trastuzumab"), "$.arms[1].name", "used twice"),
    (_set(["dose_escalation", "recommended_phase2_dose"], "30 mg"),
     "$.dose_escalation.recommended_phase2_dose", "'30 mg'"),
    (_drop(["citation", "doi"]), "$.citation", "DOI or a PMID"),
])
def test_malformed_spec_names_the_field(spec_data, mutate, field, bad):
    data = copy.deepcopy(spec_data)
    mutate(data)
    with pytest.raises(InputError) as error:
        trial_spec_from_dict(data, source="NCT02066532.yaml")
    message = str(error.value)
    assert message.startswith(f"NCT02066532.yaml: {field}") and bad in message and "accepted" in message
    assert "\n" not in message


def test_unreadable_or_invalid_yaml_file(tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        load_trial_spec(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(InputError, match="not valid YAML"):
        load_trial_spec(broken)


FORWARD_PATH = SPEC_PATH.parent / "ner_rux_mtnbc.yaml"


def test_forward_prediction_spec_validates_and_has_no_observed_value():
    """Seed 003 (neratinib + ruxolitinib in metTNBC): a forward prediction with its 18-month time
    frame, the labelled neratinib dose and no observed endpoint anywhere."""
    spec = load_trial_spec(FORWARD_PATH)
    assert spec.forward_prediction and spec.citation is None
    assert spec.registry_record.registry == "ClinicalTrials.gov" and spec.registry_record.registry_id is None
    assert spec.follow_up.weeks == 78.0
    assert spec.assessment.scan_weeks(spec.follow_up.weeks).tolist() == [8.0 * i for i in range(1, 10)]
    assert spec.population.context == "tnbc_egfr" and spec.design.primary_endpoint == tc.ORR
    assert spec.design.phase is None and spec.design.alpha is None
    assert spec.recist.confirmation_required
    assert all(not arm.endpoints for arm in spec.arms)
    combination = spec.arm("neratinib_ruxolitinib")
    assert not combination.counterfactual
    assert [(d.drug, d.dose, d.interval.hours) for d in combination.drugs] == [
        ("neratinib", Dose(240.0, "mg"), 24.0), ("ruxolitinib", Dose(25.0, "mg"), 12.0)]
    assert {a.name for a in spec.arms if a.counterfactual} == {"neratinib_alone", "ruxolitinib_alone",
                                                              "full_target_inhibition"}


def test_forward_prediction_refuses_observed_endpoints():
    data = yaml.safe_load(FORWARD_PATH.read_text(encoding="utf-8"))
    data["arms"][0]["endpoints"] = {"orr": {"observed": 0.1, "lo": None, "hi": None, "role": "validation",
                                            "source": "made up"}}
    with pytest.raises(InputError, match=r"\$\.arms\[0\].*no observed endpoints"):
        trial_spec_from_dict(data, source="ner_rux_mtnbc.yaml")


@pytest.mark.parametrize("mutate, field", [
    (_drop(["citation"]), "$.citation"),
    (_drop(["design", "alpha"]), "$.design.alpha"),
    (_set(["purpose"], "forward_prediction"), "$.registry_record"),
])
def test_a_replication_needs_its_publication_and_whole_design(spec_data, mutate, field):
    data = copy.deepcopy(spec_data)
    mutate(data)
    with pytest.raises(InputError, match="required field is missing") as error:
        trial_spec_from_dict(data, source="NCT02066532.yaml")
    assert str(error.value).startswith(f"NCT02066532.yaml: {field}")


def test_an_arm_is_found_by_name_and_an_unknown_one_names_the_arms():
    spec = load_trial_spec(SPEC_PATH)
    assert spec.arm("historical_control").name == "historical_control"
    with pytest.raises(InputError, match=r"'placebo' is not in trial NCT02066532; accepted: .*historical_control"):
        spec.arm("placebo")
