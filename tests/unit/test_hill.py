"""LL.4 dose-response curves against analytic answers (layer a)."""
from __future__ import annotations

import numpy as np
import pytest

from stat3qsp.assay.hill import PARAMETER_NAMES, fit_ll4, ll4

pytestmark = pytest.mark.filterwarnings("error")

DOSES = np.r_[0.0, np.logspace(-2, 2, 9)]


@pytest.mark.parametrize("bottom, top, ic50, slope", [(0, 100, 1.0, 1.0), (5, 80, 0.3, 2.5), (10, 100, 7.0, -1.2)])
def test_hill_at_ic50_gives_half_effect(bottom, top, ic50, slope):
    assert ll4(ic50, bottom, top, ic50, slope) == pytest.approx((bottom + top) / 2, abs=1e-12)


def test_zero_dose_is_the_limit_of_the_curve():
    assert ll4(0.0, 5, 95, 1.0, 1.3) == 5.0
    assert ll4(0.0, 5, 95, 1.0, -1.3) == 95.0
    assert ll4(1e-300, 5, 95, 1.0, 1.3) == pytest.approx(5.0)


@pytest.mark.parametrize("bottom, top, ic50, slope, increasing", [
    (5.0, 95.0, 0.7, 1.3, True),
    (0.0, 100.0, 12.0, 0.6, True),
    (10.0, 100.0, 3.0, -2.0, False),
])
def test_fit_recovers_noise_free_parameters(bottom, top, ic50, slope, increasing):
    fit = fit_ll4(DOSES, ll4(DOSES, bottom, top, ic50, slope), increasing=increasing)
    assert fit.bottom == pytest.approx(bottom, abs=1e-6)
    assert fit.top == pytest.approx(top, abs=1e-6)
    assert fit.ic50 == pytest.approx(ic50, rel=1e-6)
    assert fit.slope == pytest.approx(slope, rel=1e-6)
    assert fit.r2 == pytest.approx(1.0)
    assert fit.rmse < 1e-6
    assert fit.n == DOSES.size


def test_confidence_intervals_cover_the_truth_with_noise():
    rng = np.random.default_rng(20240611)
    truth = {"bottom": 4.0, "top": 92.0, "ic50": 0.8, "slope": 1.1}
    doses = np.repeat(DOSES, 3)
    y = ll4(doses, truth["bottom"], truth["top"], truth["ic50"], truth["slope"]) + rng.normal(0, 2.0, doses.size)
    fit = fit_ll4(doses, y)
    assert set(fit.ci) == set(PARAMETER_NAMES)
    for name in PARAMETER_NAMES:
        lo, hi = fit.ci[name]
        assert lo < getattr(fit, name) < hi
        assert lo < truth[name] < hi


def test_fixed_asymptotes_are_kept_and_have_point_intervals():
    doses = DOSES[1:]
    fit = fit_ll4(doses, ll4(doses, 20, 100, 1.0, 1.5), bottom=20.0, top=100.0)
    assert (fit.bottom, fit.top) == (20.0, 100.0)
    assert fit.ci["bottom"] == (20.0, 20.0)
    assert fit.ic50 == pytest.approx(1.0, rel=1e-8)
    assert fit.slope == pytest.approx(1.5, rel=1e-8)


def test_inverse_round_trips_and_refuses_effects_outside_the_asymptotes():
    fit = fit_ll4(DOSES, ll4(DOSES, 5, 95, 0.7, 1.3))
    conc = fit.inverse([20.0, 50.0, 90.0])
    assert np.all(np.isfinite(conc))
    np.testing.assert_allclose(fit.predict(conc), [20.0, 50.0, 90.0], rtol=1e-10)
    assert float(fit.inverse(50.0)) == pytest.approx(fit.ic50)
    for effect in (fit.bottom, fit.top, 99.0, 0.0):
        with pytest.raises(ValueError, match="outside"):
            fit.inverse(effect)


def test_predict_is_nan_free_and_refuses_negative_doses():
    fit = fit_ll4(DOSES, ll4(DOSES, 0, 100, 1.0, 1.0))
    values = fit.predict([0.0, 1e-12, 1.0, 1e12])
    assert np.all(np.isfinite(values))
    with pytest.raises(ValueError, match=">= 0"):
        fit.predict([-1.0])


def test_too_few_points_for_the_free_parameters():
    with pytest.raises(ValueError, match="cannot determine"):
        fit_ll4([0.0, 1.0, 2.0], [0.0, 10.0, 20.0])
    with pytest.raises(ValueError, match="no nonzero"):
        fit_ll4([0.0, 0.0, 0.0, 0.0], [1.0, 2.0, 3.0, 4.0])
