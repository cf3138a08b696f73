"""The untreated volume doubling time drawn on its window (stat3qsp.trial.doubling, kind doubling_time of
models/population.yaml): quantiles against scipy.stats (truncnorm, lognorm; scipy as installed in the
project's venv), monotone in the deviate, every patient within the window and its growth scale exactly
ln 2 / (3 g0 D); a candidate outside the scale's table bounds is redrawn and counted."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from scipy.special import ndtri
from scipy.stats import lognorm, truncnorm

from stat3qsp.trial.doubling import doubling_days, doubling_deviate, rate_scale_for
from stat3qsp.trial.names import DOUBLING, RATE_SCALE
from stat3qsp.trial.population import patient_generator, read_population, volume_doubling_days

WINDOW = (30.0, 2000.0)


@pytest.mark.parametrize("median, log_sd", [(60.0, 0.83), (6.4, 0.83), (164.0, 0.5), (1500.0, 1.2)])
def test_quantiles_are_the_truncated_lognormal_of_scipy(median, log_sd):
    alpha, beta = (math.log(w / median) / log_sd for w in WINDOW)
    for u in (1e-6, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1 - 1e-6):
        days = doubling_days(median, log_sd, WINDOW, float(ndtri(u)))
        # ln D = ln m + sigma X, X ~ N(0, 1) truncated to [alpha, beta]
        assert days == pytest.approx(median * math.exp(log_sd * truncnorm.ppf(u, alpha, beta)), rel=1e-8)
        # the truncated CDF of the log-normal at D is u
        low, high = (lognorm.cdf(w, log_sd, scale=median) for w in WINDOW)
        assert (lognorm.cdf(days, log_sd, scale=median) - low) / (high - low) == pytest.approx(u, abs=1e-9)
        assert WINDOW[0] <= days <= WINDOW[1]
        assert doubling_deviate(median, log_sd, WINDOW, days) == pytest.approx(float(ndtri(u)), abs=1e-6)


def test_doubling_time_increases_with_the_deviate_and_stays_in_the_window():
    z = np.linspace(-9.0, 9.0, 721)
    days = np.array([doubling_days(60.0, 0.83, WINDOW, float(x)) for x in z])
    assert np.all(np.diff(days) >= 0) and np.all(np.diff(days[200:-200]) > 0)
    assert days.min() >= WINDOW[0] and days.max() <= WINDOW[1]
    assert doubling_deviate(60.0, 0.83, WINDOW, WINDOW[0]) == -math.inf
    assert doubling_deviate(60.0, 0.83, WINDOW, WINDOW[1]) == math.inf


def test_rate_scale_gives_the_drawn_doubling_time():
    for g0 in (0.005, 0.0163, 0.03):
        for days in (30.0, 71.0, 1999.0):
            scale = rate_scale_for(days, g0)
            assert scale == math.log(2.0) / (3.0 * g0 * days * 24.0)
            assert volume_doubling_days(scale, g0) == pytest.approx(days, rel=1e-12)
    assert rate_scale_for(60.0, 0.0) == math.inf


def test_population_file_draws_the_doubling_time_on_the_acceptance_window():
    population = read_population()
    growth = population.distribution(DOUBLING)
    assert growth.distribution == "doubling_time" and growth.window == population.acceptance.doubling_days
    assert RATE_SCALE not in population.parameter_ids  # derived, not drawn


def test_every_patient_is_in_the_window_with_its_scale_exactly_from_g0(patient_simulator, nct_spec):
    arm = nct_spec.arms[0]
    low, high = patient_simulator.population.acceptance.doubling_days
    median = patient_simulator.context_values(arm.context)[DOUBLING]
    days = []
    for i in range(30):
        patient = patient_simulator.draw_patient(arm.context, patient_generator(5, 0, i, 0),
                                                 nct_spec.population.body_weight)
        d, scale, g0 = patient.values[DOUBLING], patient.values[RATE_SCALE], patient.untreated_growth_rate
        assert low <= d <= high
        assert scale == math.log(2.0) / (3.0 * g0 * d * 24.0)
        assert patient.draws == 1 + patient.rate_scale_rejections  # no candidate rejected for growth
        days.append(d)
    # the draws are the truncated log-normal's: about half below its median (binomial, n = 30)
    u = [(lognorm.cdf(d, 0.83, scale=median) - lognorm.cdf(low, 0.83, scale=median))
         / (lognorm.cdf(high, 0.83, scale=median) - lognorm.cdf(low, 0.83, scale=median)) for d in days]
    assert 0.2 < float(np.mean(np.array(u) < 0.5)) < 0.8


def test_a_scale_outside_its_bounds_is_redrawn_and_counted(patient_simulator, nct_spec, monkeypatch):
    arm = nct_spec.arms[0]
    table = dict(patient_simulator.model.parameters)
    # an upper bound near the median patient's scale: about half the candidates need more
    median = patient_simulator.context_values(arm.context)[DOUBLING]
    cap = rate_scale_for(max(median, 30.0) * 1.5, 0.0163)
    table[RATE_SCALE] = dataclasses.replace(table[RATE_SCALE], upper_bound=cap)
    monkeypatch.setattr(patient_simulator.model, "parameters", table)
    rejected = 0
    for i in range(20):
        patient = patient_simulator.draw_patient(arm.context, patient_generator(6, 0, i, 0),
                                                 nct_spec.population.body_weight)
        assert patient.values[RATE_SCALE] <= cap
        assert patient.draws == 1 + patient.rate_scale_rejections
        rejected += patient.rate_scale_rejections
    assert rejected > 0
