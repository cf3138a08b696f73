"""Between-patient heterogeneity of models/population.yaml (stat3qsp.trial.population): the growth
mixture, correlated deviates and informative early dropout, against analytic answers (layer a)."""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from scipy.stats import norm

from stat3qsp.errors import InputError
from stat3qsp.trial.population import (ParameterDistribution, candidate_values, dropout_probability,
                                       patient_generator, read_population)
from stat3qsp.trial.simulate import draw_conduct
from stat3qsp.trial.spec import load_trial_spec

ROOT = Path(__file__).resolve().parents[2]
MIXTURE = ParameterDistribution("g", "lognormal_mixture", 1.0, "test", indolent_share=0.2, indolent_factor=0.1)


def test_mixture_is_inverted_exactly_and_scales_with_the_centre():
    s = math.sqrt(math.log(2.0))  # cv 1
    for z in (-2.5, -1.0, 0.0, 0.7, 2.0):
        x = MIXTURE.value(3.0, z)
        # F(x) = 0.2 Phi((ln(x/3) - ln 0.1)/s) + 0.8 Phi(ln(x/3)/s) must equal Phi(z).
        cdf = 0.2 * norm.cdf((math.log(x / 3.0) - math.log(0.1)) / s) + 0.8 * norm.cdf(math.log(x / 3.0) / s)
        assert cdf == pytest.approx(norm.cdf(z), abs=1e-9)
        assert MIXTURE.value(6.0, z) == pytest.approx(2 * x)
        assert MIXTURE.deviate(3.0, x) == pytest.approx(z, abs=1e-7)
    # Without an indolent share it is the lognormal of the same cv.
    plain = ParameterDistribution("g", "lognormal", 1.0, "test")
    none = ParameterDistribution("g", "lognormal_mixture", 1.0, "test", indolent_share=0.0, indolent_factor=0.5)
    assert none.value(2.0, 1.3) == pytest.approx(plain.value(2.0, 1.3))
    # A share of about 20% lies in the slow component: far below the fast one's 5th percentile.
    draws = np.array([MIXTURE.value(1.0, z) for z in np.random.default_rng(3).standard_normal(4000)])
    assert np.mean(draws < math.exp(-norm.ppf(0.95) * s)) == pytest.approx(0.2 * 0.95 + 0.8 * 0.05, abs=0.02)


def test_informative_dropout_keeps_the_mean_and_takes_fast_growers_first():
    nodes = np.random.default_rng(5).standard_normal(200000)
    probabilities = np.array([dropout_probability(0.417, 1.0, z) for z in nodes[:20000]])
    assert probabilities.mean() == pytest.approx(0.417, abs=0.01)
    assert dropout_probability(0.417, 1.0, 1.0) > 0.417 > dropout_probability(0.417, 1.0, -1.0)
    assert dropout_probability(0.417, 0.0, 2.0) == 0.417  # slope 0: independent of the tumour
    # The logit of the probability is linear in z with the stated slope.
    logit = [math.log(p / (1 - p)) for p in (dropout_probability(0.3, 1.5, z) for z in (0.0, 1.0))]
    assert logit[1] - logit[0] == pytest.approx(1.5)


def test_conduct_dropout_follows_the_growth_deviate():
    spec = load_trial_spec(ROOT / "trials" / "NCT02066532.yaml")
    population = read_population()
    assert population.dropout_growth_log_odds > 0
    fast = [draw_conduct(spec, population, patient_generator(9, 0, i, 1), 104.0, 1.5) for i in range(300)]
    slow = [draw_conduct(spec, population, patient_generator(9, 0, i, 1), 104.0, -1.5) for i in range(300)]
    leaving = [np.mean([not np.isnan(c.discontinuation_weeks) for c in group]) for group in (fast, slow)]
    assert leaving[0] > leaving[1] + 0.3
    assert all(np.array_equal(a.scan_weeks, b.scan_weeks) for a, b in zip(fast, slow))  # same draws otherwise


def _population_file(tmp_path: Path, **changes) -> Path:
    data = yaml.safe_load((ROOT / "models" / "population.yaml").read_text())
    data.update(changes)
    path = tmp_path / "population.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_correlated_deviates_have_the_stated_correlation(tmp_path):
    pair = {"between": ["tumour_doubling_days", "tumour_kill_scale"], "rho": 0.6, "source": "assumed: test"}
    population = read_population(_population_file(tmp_path, correlations=[pair]))
    ids = population.parameter_ids
    rng = np.random.default_rng(11)
    centres = {**{pid: 0.5 for pid in ids}, "tumour_doubling_days": 80.0}
    draws = [candidate_values(population, centres, rng.standard_normal(len(ids))) for _ in range(5000)]
    growth = [population.distribution("tumour_doubling_days").deviate(80.0, d["tumour_doubling_days"]) for d in draws]
    kill = [math.log(d["tumour_kill_scale"] / 0.5) for d in draws]
    assert np.corrcoef(growth, kill)[0, 1] == pytest.approx(0.6, abs=0.03)
    assert np.std(growth) == pytest.approx(1.0, abs=0.03)  # marginal unchanged


@pytest.mark.parametrize("changes, message", [
    ({"correlations": [{"between": ["tumour_doubling_days", "nope"], "rho": 0.5, "source": "x"}]}, "correlations"),
    ({"correlations": [{"between": ["tumour_doubling_days", "tumour_kill_scale"], "rho": 1.0, "source": "x"}]},
     "correlations"),
    ({"informative_dropout": {"growth_log_odds_per_sd": "strong", "source": "x"}}, "informative_dropout"),
])
def test_bad_heterogeneity_entries_are_named(tmp_path, changes, message):
    with pytest.raises(InputError, match=message):
        read_population(_population_file(tmp_path, **changes))


def test_bad_mixture_share_is_named(tmp_path):
    data = yaml.safe_load((ROOT / "models" / "population.yaml").read_text())
    data["parameters"]["tumour_doubling_days"] = {"distribution": "lognormal_mixture", "cv": 1.0, "indolent_share": 1.0,
                                                  "indolent_factor": 0.2, "source": "assumed: test"}
    path = tmp_path / "population.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(InputError, match="indolent_share = 1.0"):
        read_population(path)


def test_intercept_on_accepted_intervals_matches_quadrature():
    from scipy.integrate import quad
    from scipy.optimize import brentq

    from stat3qsp.trial import population as pop
    from stat3qsp.trial.dropout import intercept_on_intervals
    # The whole line: the N(0, 1) intercept.
    whole = intercept_on_intervals(np.array([-np.inf]), np.array([np.inf]), 0.417, 1.0)
    assert whole == pytest.approx(pop._dropout_intercept(0.417, 1.0), abs=1e-6)
    # Deviates accepted only below 0.2 (fast growers removed) and, with multiplicity 2, in [-1, 1]:
    # the root of the same equation by adaptive quadrature (scipy) is the golden value.
    lo, hi = np.array([-np.inf, -1.0, -1.0]), np.array([0.2, 1.0, 1.0])

    def excess(a):
        inside = sum(quad(lambda z: norm.pdf(z) / (1 + math.exp(-(a + 1.3 * z))), max(l, -12), min(h, 12))[0]
                     for l, h in zip(lo, hi))
        return inside / sum(norm.cdf(h) - norm.cdf(l) for l, h in zip(lo, hi)) - 0.3
    golden = brentq(excess, -20, 20, xtol=1e-10)
    assert intercept_on_intervals(lo, hi, 0.3, 1.3) == pytest.approx(golden, abs=1e-5)
    assert golden > pop._dropout_intercept(0.3, 1.3)  # fewer fast growers: a larger intercept for the same mean
    with pytest.raises(InputError, match="no plausible reference patient"):
        intercept_on_intervals(np.array([1.0]), np.array([0.0]), 0.3, 1.0)


def test_accepted_intervals_are_where_the_acceptance_rules_accept(patient_simulator, monkeypatch):
    from stat3qsp.trial import dropout
    from stat3qsp.trial.doubling import rate_scale_for
    from stat3qsp.trial.names import DOUBLING, RATE_SCALE
    from stat3qsp.trial.population import is_plausible, within_bounds
    monkeypatch.setattr(dropout, "REFERENCE_CANDIDATES", 12)
    context = "her2_trastuzumab_resistant"
    # Narrow the growth scale's table bounds so that they bind (with the table's own they rarely do).
    table = dict(patient_simulator.model.parameters)
    table[RATE_SCALE] = dataclasses.replace(table[RATE_SCALE], lower_bound=0.002, upper_bound=0.01)
    monkeypatch.setattr(patient_simulator.model, "parameters", table)
    lo, hi = dropout.accepted_intervals(patient_simulator, context)
    population = patient_simulator.population
    centres = patient_simulator.context_values(context)
    k = population.parameter_ids.index(DOUBLING)
    rng = np.random.default_rng(np.random.SeedSequence(dropout.REFERENCE_SEED))
    checked = bounded = 0
    for j in range(12):
        z = rng.standard_normal(len(population.distributions))

        def accepted(zg):  # the growth deviate is minus the doubling time's
            values = candidate_values(population, centres, np.concatenate([z[:k], [-zg], z[k + 1:]]), context=context)
            if not within_bounds(values, table):
                return False
            g0 = patient_simulator.preequilibrate(context, values)[0]
            values[RATE_SCALE] = rate_scale_for(values[DOUBLING], g0)
            return within_bounds(values, table) and is_plausible(values, g0, population.acceptance)
        if hi[j] <= lo[j]:
            assert not any(accepted(zg) for zg in (-2.0, -1.0, 0.0, 1.0))
            continue
        checked += 1
        assert accepted(0.5 * (lo[j] + hi[j]))
        assert all(not accepted(edge) for edge in (lo[j] - 0.01, hi[j] + 0.01) if abs(edge) < 8)
        bounded += abs(lo[j]) < 8 or abs(hi[j]) < 8
    assert checked >= 3 and bounded >= 3


@pytest.mark.slow
def test_realised_early_dropout_share_is_the_specs_on_accepted_patients(patient_simulator, nct_spec):
    """On patients drawn as the trial runner draws them (acceptance/rejection), the mean dropout probability
    at the accepted-deviate intercept is the spec's fraction, and draw_conduct realises it; the N(0, 1)
    intercept gives far too few leavers. Tolerances: three standard errors of each mean (the mean of
    the n probabilities; the leavers among ten conduct draws per patient given the probabilities), plus
    0.01 for the intercept's reference sample (dropout.REFERENCE_CANDIDATES)."""
    from stat3qsp.trial.dropout import accepted_intercept, growth_deviate
    arm = nct_spec.arms[0]
    population, fraction = patient_simulator.population, nct_spec.early_discontinuation.fraction
    slope = population.dropout_growth_log_odds
    intercept = accepted_intercept(patient_simulator, arm.context, fraction, slope)
    n, draws = 100, 10
    z = np.array([growth_deviate(patient_simulator, patient_simulator.draw_patient(
        arm.context, patient_generator(11, 0, i, 0), nct_spec.population.body_weight)) for i in range(n)])
    p = np.array([dropout_probability(fraction, slope, zi, intercept) for zi in z])
    error = p.std(ddof=1) / math.sqrt(n)
    assert abs(p.mean() - fraction) < 3 * error + 0.01
    leaving = sum(not np.isnan(draw_conduct(nct_spec, population, patient_generator(11, r, i, 1), 104.0, z[i],
                                            intercept).discontinuation_weeks) for i in range(n) for r in range(draws))
    realised = math.sqrt(draws * np.sum(p * (1 - p))) / (n * draws)  # binomial error given the probabilities
    assert abs(leaving / (n * draws) - p.mean()) < 3 * realised
    # With the doubling time drawn on its window (no candidate rejected for growth) the accepted growth deviates
    # are N(0, 1): the N(0, 1) intercept now gives the spec's share too (under the cut tail it gave 24.6%).
    old = np.mean([dropout_probability(fraction, slope, zi) for zi in z])
    assert abs(old - fraction) < 3 * error + 0.01


def test_no_intercept_where_dropout_does_not_depend_on_growth(patient_simulator):
    from stat3qsp.trial.dropout import accepted_intercept
    # Fraction 0 or 1 (EGF104900, Vogel 2002) or slope 0: the probability is the fraction itself.
    for fraction, slope in ((0.0, 1.0), (1.0, 1.0), (0.4, 0.0)):
        intercept = accepted_intercept(patient_simulator, "her2_amplified", fraction, slope)
        assert intercept is None
        assert dropout_probability(fraction, slope, 2.0, intercept) == fraction
