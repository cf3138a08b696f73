"""The closed-form course of docs/tumour_dynamics.md against the calibration's latent readings (layer a):
with a constant drug effect, ln SLD(t)/SLD(0) = s g0 t - k Delta (1 - exp(-lambda t)) / lambda has its
nadir at t = ln(k Delta / (s g0)) / lambda, and progression (+20% over the nadir) follows at the time
the closed form gives."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from stat3qsp.calibration.tumour import latent_best_ratio, latent_progression_weeks
from stat3qsp.trial.recist import RecistRules

GROWTH, EFFECT, LAMBDA = 0.02, 0.10, 0.05  # s g0, k Delta and lambda, per week


def _log_ratio(t):
    return GROWTH * t - EFFECT * (1.0 - np.exp(-LAMBDA * t)) / LAMBDA


def test_nadir_depth_and_progression_time_of_the_closed_form():
    weeks = np.arange(0.01, 200.0, 0.01)
    sld = 50.0 * np.exp(_log_ratio(weeks))
    t_nadir = math.log(EFFECT / GROWTH) / LAMBDA  # 32.2 weeks
    assert weeks[np.argmin(sld)] == pytest.approx(t_nadir, abs=0.01)
    assert latent_best_ratio(weeks, sld, 50.0) == pytest.approx(math.exp(_log_ratio(t_nadir)), rel=1e-6)
    # PD (RECIST 1.0 thresholds, no absolute minimum): first time after the nadir with +20% over it
    t_pd = brentq(lambda t: _log_ratio(t) - _log_ratio(t_nadir) - math.log(1.2), t_nadir, 400.0)
    rules = RecistRules(pd_min_absolute_mm=0.0)
    assert latent_progression_weeks(weeks, sld, 50.0, rules) == pytest.approx(t_pd, abs=0.01)


def test_a_drug_effect_below_the_growth_rate_gives_no_shrinkage():
    weeks = np.arange(0.1, 100.0, 0.1)
    slow = GROWTH * weeks - 0.5 * GROWTH * (1.0 - np.exp(-LAMBDA * weeks)) / LAMBDA  # k Delta = s g0 / 2
    assert np.all(np.diff(slow) > 0)
    assert latent_best_ratio(weeks, 50.0 * np.exp(slow), 50.0) == 1.0
