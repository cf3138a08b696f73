"""The calibration evidence of a hypothesis (stat3qsp.hypotheses.evidence, pool, scoring): the signalling cache
is keyed by the digest of what the PEtab observables depend on, the pool's pSTAT3 comes from the accepting
pre-equilibration, and the numpy bootstrap gives the trial runner's endpoints (stat3qsp.trial.endpoints) on the
same patients. The tumour refit of a module that changes growth: tests/workflow/test_hypothesis_pipeline.py."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from stat3qsp.hypotheses.evidence import SignallingCache, hepatocyte_digest
from stat3qsp.hypotheses.pool import simulate_pool
from stat3qsp.hypotheses.scoring import bootstrap_draws, draws_endpoints
from stat3qsp.model.hypotheses import compose_hypothesis_models
from stat3qsp.trial import columns as tc
from stat3qsp.trial import endpoints as ep
from stat3qsp.trial.patient import PatientSimulator


ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "models"
SIGNALLING = ROOT / "calibration" / "sobotta2017" / "spec.yaml"


@pytest.fixture(scope="module")
def derived(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("evidence")
    return {name: compose_hypothesis_models(MODELS, modules, root / name)
            for name, modules in (("baseline", ()), ("pi3k_bypass", ("pi3k_bypass",)),
                                  ("adcc", ("adcc",)), ("paracrine_il6", ("paracrine_il6",)))}


def _with_value(folder: Path, tmp: Path, pid: str, value: str) -> Path:
    """A copy of *folder* whose parameter *pid* has *value*."""
    copy = tmp / f"{folder.name}_{pid}"
    shutil.copytree(folder, copy)
    table = copy / "parameters.tsv"
    lines = table.read_text(encoding="utf-8").splitlines(keepends=True)
    changed = [line if not line.startswith(pid + "\t") else "\t".join([pid, value, *line.split("\t")[2:]])
               for line in lines]
    assert changed != lines
    table.write_text("".join(changed), encoding="utf-8")
    return copy


def test_the_hepatocyte_digest_follows_what_the_observables_depend_on(derived, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    digest = {name: hepatocyte_digest(SIGNALLING, folder) for name, folder in derived.items()}
    # proliferation, death and HER2-side hooks do not reach pSTAT3 in the hepatocyte setting
    assert digest["pi3k_bypass"] == digest["adcc"] == digest["baseline"]
    # the IL-6 supply reaction acts on IL6_ext, which the observables see (zero flux is not assumed)
    assert digest["paracrine_il6"] != digest["baseline"]
    # a STAT3 parameter is in the cone, the cells' maximal death rate is not
    assert hepatocyte_digest(SIGNALLING, _with_value(derived["baseline"], tmp_path, "STAT3_total", "900")) != digest["baseline"]
    assert hepatocyte_digest(SIGNALLING, _with_value(derived["baseline"], tmp_path, "death_k_max", "0.03")) == digest["baseline"]


def test_the_signalling_cache_evaluates_each_digest_once(derived, monkeypatch):
    monkeypatch.chdir(ROOT)
    calls = []

    def evaluate(spec, folder):
        calls.append(Path(folder).name)
        return (-float(len(calls)), 178, 1000)

    cache = SignallingCache(evaluate)
    values = {name: cache(SIGNALLING, derived[name]) for name in ("baseline", "pi3k_bypass", "paracrine_il6", "adcc")}
    assert calls == ["baseline", "paracrine_il6"] and cache.evaluations == 2
    assert values["pi3k_bypass"] == values["adcc"] == values["baseline"] == (-1.0, 178, 1000)
    assert values["paracrine_il6"] == (-2.0, 178, 1000)


def test_the_pool_returns_the_accepting_preequilibrations_pstat3(derived, nct_spec):
    patients, _ = simulate_pool(derived["baseline"], nct_spec, ("historical_control",), 3, 5, 1, {})
    simulator = PatientSimulator(derived["baseline"])
    for _, row in patients.iterrows():
        values = {pid: float(row[pid]) for pid in simulator.population.parameter_ids if pid in row.index}
        values["tumour_SLD_baseline"] = float(row["baseline_sld_mm"])
        simulator.preequilibrate(nct_spec.arm("historical_control").context, values)
        assert row["baseline_pSTAT3_fraction"] == pytest.approx(float(simulator.model.runner["pSTAT3_fraction"]), rel=1e-9)


@pytest.mark.parametrize("seed", range(4))
def test_the_bootstrap_gives_the_trial_runners_endpoints_on_the_same_patients(seed):
    """Each bootstrap trial is a patients table of one replicate; trial_endpoints (lifelines, both analysis
    populations) gives the same six endpoints as the numpy bootstrap, NaN where the trial has no evaluable patient."""
    rng = np.random.default_rng(seed)
    size = 30
    pool = pd.DataFrame({
        tc.ARM: "a", tc.PFS_WEEKS: np.round(rng.exponential(10.0, size) / 9.0) * 9.0 + rng.choice([0.0, 2.8], size),
        tc.EVENT: rng.random(size) < 0.85,
        tc.BEST_RESPONSE: rng.choice([tc.PR, tc.SD, tc.PD], size, p=[0.1, 0.4, 0.5]),
        tc.CLINICAL_BENEFIT: rng.random(size) < 0.2, tc.MEASURABLE: rng.random(size) < 0.9,
        tc.N_SCANS: rng.integers(0, 3, size), tc.STATUS: tc.OK})
    draws = bootstrap_draws(size, 26, 25, rng)
    numpy_values = draws_endpoints(pool, draws)
    trials = pd.concat([pool.iloc[d].assign(**{tc.REPLICATE: b}) for b, d in enumerate(draws)], ignore_index=True)
    runner = ep.trial_endpoints(trials, populations=(tc.TREATED, tc.EVALUABLE))
    runner = runner.pivot(index=tc.REPLICATE, columns=tc.ENDPOINT, values=tc.VALUE)
    for endpoint in numpy_values.columns:
        np.testing.assert_allclose(numpy_values[endpoint].to_numpy(float), runner[endpoint].to_numpy(float),
                                   rtol=1e-12, equal_nan=True, err_msg=endpoint)


def test_separate_stream_must_be_the_last_distributed_parameters(derived, tmp_path):
    from stat3qsp.errors import InputError
    from stat3qsp.io.yamlfiles import read_yaml
    from stat3qsp.model.parameters import read_parameter_table
    from stat3qsp.trial.population import read_population

    folder = derived["adcc"]
    table = read_parameter_table(folder / "parameters.tsv")
    assert read_population(folder / "population.yaml", table).separate == ("adcc_effector_level",)
    raw = read_yaml(folder / "population.yaml", "population file")
    raw["separate_stream"] = [next(iter(raw["parameters"]))]
    (tmp_path / "population.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    with pytest.raises(InputError, match="separate_stream.*accepted: the last distributed parameters"):
        read_population(tmp_path / "population.yaml", table)


def test_the_summary_says_how_each_hypothesis_met_its_targets():
    from stat3qsp.hypotheses import columns as hc
    from stat3qsp.hypotheses.summary import calibration_sentence

    fits = pd.DataFrame({hc.HYPOTHESIS: ["a", "a", "b"], "target": ["growth", "kill", "growth"],
                         "arm": ["lap", "tras", "lap"], "endpoint": ["median_pfs_weeks", "orr", "median_pfs_weeks"],
                         "observed": [8.1, 0.35, 8.1], "simulated": [10.0, 0.3333, 8.0]})
    assert calibration_sentence("a", fits) == ("Refitted to the population's calibration targets: median_pfs_weeks of "
                                               "lap 10 against 8.1; orr of tras 0.333 against 0.35.")
    assert calibration_sentence("c", fits) == ""
