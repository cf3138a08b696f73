"""The drug-sensitive subgroup (stat3qsp.calibration.subgroup, stat3qsp.trial.mixture): the mixture's
vectorised quantile against its scalar root and the log-normal's closed form, the post-simulation change
of a course against its analytic value, the context restriction of a subgroup_mixture, and the grid fit
recovering a known share on synthetic courses."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import ndtri

from stat3qsp.calibration.subgroup import fit_subgroup, with_subgroup
from stat3qsp.calibration.tumour import TumourCourses
from stat3qsp.trial.mixture import mixture_log_quantile, subgroup_values
from stat3qsp.trial.population import ParameterDistribution, PopulationModel, Acceptance, candidate_values

U = np.array([0.001, 0.1, 0.5, 0.8, 0.9, 0.95, 0.999])  # not 0.85: the CDF is flat between the groups


def test_vectorised_quantile_matches_the_scalar_root_and_the_lognormal():
    s = math.sqrt(math.log1p(0.1 ** 2))
    got = subgroup_values(U, 0.1, 0.15, 8.0)
    want = np.exp([mixture_log_quantile(float(u), s, 0.15, 8.0) for u in U])
    assert got == pytest.approx(want, rel=1e-8)
    # no subgroup: the log-normal quantile exp(s Phi^-1(u))
    assert subgroup_values(U, 0.1, 0.0, 8.0) == pytest.approx(np.exp(s * ndtri(U)), rel=1e-8)
    # with a small cv the subgroup is the upper share of u: u > 0.85 near 8, u < 0.85 near 1
    assert np.all(got[U > 0.86] > 6.0) and np.all(got[U < 0.84] < 1.5)


def _courses(n: int = 400) -> TumourCourses:
    """n patients, no growth, no drug effect at m = 1, and an effect of -1 per unit of (m - 1) at every scan."""
    weeks = np.tile(np.arange(1.0, 5.0), (n, 1))
    return TumourCourses(weeks, np.full(n, 50.0), np.zeros(n), np.zeros((n, 4)), sensitivity=np.ones(n),
                         sensitivity_uniform=(np.arange(n) + 0.5) / n, sensitivity_cv=0.05,
                         kinase_effect=-np.ones((n, 4)))


def test_with_subgroup_adds_the_change_of_multiplier_times_the_kinase_effect():
    courses = _courses(10)
    moved = with_subgroup(courses, 0.3, 5.0)
    m = subgroup_values(courses.sensitivity_uniform, 0.05, 0.3, 5.0)
    assert moved.effect == pytest.approx(-(m - 1.0)[:, None] * np.ones((1, 4)))
    assert np.sum(m > 3.0) == 3  # the upper 30% of u
    # patients outside the subgroup's contexts (no quantile) keep their courses
    outside = TumourCourses(courses.weeks, courses.baseline_mm, courses.growth_per_week, courses.effect + 0.2,
                            sensitivity=courses.sensitivity, sensitivity_uniform=np.full(10, np.nan),
                            kinase_effect=courses.kinase_effect)
    assert np.array_equal(with_subgroup(outside, 0.3, 5.0).effect, outside.effect)


def test_fit_recovers_a_known_share():
    # "responders": effect <= -3 at the last scan (m >= 4); "benefit": effect <= -1 (m >= 2). Targets 10%, 10%:
    # a share of 0.1 with a factor of at least 4 meets both.
    def values_at(c: TumourCourses) -> list[float]:
        return [float(np.mean(c.effect[:, -1] <= -3.0)), float(np.mean(c.effect[:, -1] <= -1.0))]
    share, factor, distance = fit_subgroup(_courses(), values_at, [0.1, 0.1], [148, 148])
    assert share == pytest.approx(0.1, abs=0.01) and factor >= 4.0
    assert distance < 0.5


def test_subgroup_mixture_varies_only_in_its_contexts():
    d = ParameterDistribution("tumour_sensitivity", "subgroup_mixture", 0.1, "test", share_id="w", factor_id="f",
                              contexts=("resistant",))
    population = PopulationModel((d,), Acceptance(10, (30.0, 2000.0), (10.0, 300.0)), (0.0, 0.0))
    centres = {"tumour_sensitivity": 1.0, "w": 0.5, "f": 10.0}
    z = np.array([2.0])  # Phi(2) = 0.977: in the subgroup
    assert candidate_values(population, centres, z, context="resistant")["tumour_sensitivity"] > 8.0
    assert candidate_values(population, centres, z, context="first_line")["tumour_sensitivity"] == 1.0
    # the deviate is recovered from the value (the calibration's post-simulation fit relies on it)
    value = d.value(1.0, 2.0, centres)
    assert d.deviate(1.0, value, centres) == pytest.approx(2.0, abs=1e-6)
