"""The multiscale prototype (stat3qsp.trial.multiscale): closed-form extrapolation and agreement with the full
integration on the same patients."""

import numpy as np
import pytest

from stat3qsp.trial.envelope_inputs import TumourRate
from stat3qsp.trial.multiscale import PeriodicProfile, compare_methods, extrapolate


def test_extrapolation_sums_the_fading_periodic_increments_exactly():
    # dL/dt = s g0 + k (g - g0) exp(-lambda t) with g - g0 = -a (constant): closed form for comparison.
    s_g0, a_k, lam, start, period = 0.002, 0.003, 1e-4, 100.0, 12.0
    exact = lambda t: s_g0 * t - a_k * (1 - np.exp(-lam * t)) / lam
    grid = np.linspace(0.0, period, 13)
    profile = PeriodicProfile(start, period, exact(start), grid, exact(start + grid) - exact(start))
    hours = np.array([start + 5.0, start + 3 * period + 7.5, start + 400 * period + 0.25])
    got = extrapolate(profile, TumourRate(s_g0, 1.0, lam), hours)
    # the linear interpolation inside a period errs by at most h^2/8 max|L''| = a_k lambda / 8 ~ 4e-8 (h = 1 h)
    assert got == pytest.approx([exact(t) for t in hours], abs=a_k * lam / 8 * 1.01)
    assert got[0] == pytest.approx(exact(hours[0]), abs=1e-12)  # on the grid: exact


def test_progression_weeks_agree_with_the_full_integration():
    from stat3qsp.trial.patient import PatientSimulator
    from stat3qsp.trial.spec import load_trial_spec

    simulator = PatientSimulator()
    table = compare_methods(simulator, load_trial_spec("trials/ner_rux_mtnbc.yaml"), "neratinib_ruxolitinib", 2,
                            horizon_weeks=40.0)
    assert table["within_one_scan"].all()
    assert table["max_abs_log_ratio_difference"].max() < 1e-3
