"""Synergy scores against analytic answers (layer a).

Each null surface is built here from two known Hill curves with the reference model's own
definition (Bliss product, Loewe's isobole equation solved independently, MuSyC's Markov chain
solved as a linear system), so a correct score is zero (or CI one) by construction.
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize

from stat3qsp.assay import columns as col
from stat3qsp.assay.synergy import combination_index, musyc
from stat3qsp.assay.synergy import scores as synergy
from stat3qsp.errors import InputError

pytestmark = pytest.mark.filterwarnings("error")

CONC_R = np.r_[0.0, np.logspace(-1, 1.2, 6)]
CONC_C = np.r_[0.0, np.logspace(-1.5, 1, 6)]
IC50_R, H_R = 1.0, 1.2
IC50_C, H_C = 0.3, 0.8


def hill(conc, ic50, h, top=100.0):
    conc = np.asarray(conc, dtype=float)
    return top * conc**h / (conc**h + ic50**h)


def hill_r(conc):
    return hill(conc, IC50_R, H_R)


def hill_c(conc):
    return hill(conc, IC50_C, H_C)


def bliss_surface():
    y1, y2 = hill_r(CONC_R), hill_c(CONC_C)
    return y1[:, None] + y2[None, :] - y1[:, None] * y2[None, :] / 100.0


def loewe_surface(top_r=100.0, top_c=100.0):
    """Solve c1/X1(y) + c2/X2(y) = 1 with the analytic Hill inverses X(y) = ic50 (y/(top-y))^(1/h)."""
    y = np.zeros((CONC_R.size, CONC_C.size))
    y[:, 0] = hill(CONC_R, IC50_R, H_R, top_r)
    y[0, :] = hill(CONC_C, IC50_C, H_C, top_c)
    for i, c1 in enumerate(CONC_R[1:], start=1):
        for j, c2 in enumerate(CONC_C[1:], start=1):
            def isobole(e):
                x_r = IC50_R * (e / (top_r - e)) ** (1 / H_R)
                x_c = IC50_C * (e / (top_c - e)) ** (1 / H_C)
                return c1 / x_r + c2 / x_c - 1
            y[i, j] = optimize.brentq(isobole, 1e-12, min(top_r, top_c) - 1e-12, xtol=1e-14, rtol=1e-15)
    return y


def exact_modes():
    return dict(reference="exact", single_r=lambda c: float(hill_r(c)), single_c=lambda c: float(hill_c(c)))


@pytest.mark.parametrize("mode", ["fitted", "exact"])
def test_bliss_independent_surface_scores_zero(mode):
    kwargs = exact_modes() if mode == "exact" else {}
    scores = synergy.score_matrix(CONC_R, CONC_C, bliss_surface(), methods=("bliss",), **kwargs)
    np.testing.assert_allclose(scores.wells["bliss_score"], 0.0, atol=1e-9)
    assert scores.summary["bliss"] == pytest.approx(0.0, abs=1e-9)
    assert scores.reference == mode
    assert set(scores.wells[col.REFERENCE_MODE]) == {mode}


def test_hsa_and_bliss_equal_their_closed_forms_on_a_random_matrix():
    rng = np.random.default_rng(7)
    y = rng.uniform(-10, 110, size=(5, 6))
    cr, cc = np.r_[0.0, 1, 2, 4, 8], np.r_[0.0, 0.5, 1, 2, 4, 8]
    scores = synergy.score_matrix(cr, cc, y, methods=("hsa", "bliss"))
    hsa = np.zeros_like(y)
    bliss = np.zeros_like(y)
    for i in range(1, 5):
        for j in range(1, 6):
            a, b = y[i, 0], y[0, j]
            hsa[i, j] = y[i, j] - (a if a > b else b)
            bliss[i, j] = y[i, j] - (a + b - a * b / 100)
    np.testing.assert_allclose(scores.grid("hsa_score"), hsa, atol=1e-12)
    np.testing.assert_allclose(scores.grid("bliss_score"), bliss, atol=1e-12)
    assert scores.summary["hsa"] == pytest.approx(hsa[1:, 1:].mean())
    assert scores.summary["bliss"] == pytest.approx(bliss[1:, 1:].mean())
    # wells without both drugs: reference = observed, score 0 (SynergyFinder)
    np.testing.assert_array_equal(scores.grid("hsa_reference")[0, :], y[0, :])
    np.testing.assert_array_equal(scores.grid("bliss_score")[:, 0], 0.0)


def test_exact_mode_takes_hsa_and_bliss_references_from_the_curves_not_the_margins():
    rng = np.random.default_rng(3)
    y = rng.uniform(0, 100, size=(CONC_R.size, CONC_C.size))
    scores = synergy.score_matrix(CONC_R, CONC_C, y, methods=("hsa", "bliss"), **exact_modes())
    y1, y2 = hill_r(CONC_R)[1:, None], hill_c(CONC_C)[None, 1:]
    np.testing.assert_allclose(scores.grid("hsa_reference")[1:, 1:], np.maximum(y1, y2), atol=1e-12)
    np.testing.assert_allclose(scores.grid("bliss_reference")[1:, 1:], y1 + y2 - y1 * y2 / 100, atol=1e-12)


def test_loewe_additive_surface_scores_zero_in_exact_mode():
    scores = synergy.score_matrix(CONC_R, CONC_C, loewe_surface(), methods=("loewe",), **exact_modes())
    np.testing.assert_allclose(scores.wells["loewe_score"], 0.0, atol=1e-6)
    assert not scores.wells[col.LOEWE_UNDEFINED].any()


def test_loewe_additive_surface_scores_near_zero_in_fitted_mode():
    """Fitted mode solves the isobole as SynergyFinder's .SolveLoewe does: the best of 100 effects
    evenly spaced between the lowest and highest fitted asymptote, so within one step of the root."""
    scores = synergy.score_matrix(CONC_R, CONC_C, loewe_surface(), methods=("loewe",))
    assert scores.fit_r.ic50 == pytest.approx(IC50_R, rel=1e-6)
    lo = min(scores.fit_r.bottom, scores.fit_c.bottom)
    hi = max(scores.fit_r.top, scores.fit_c.top)
    step = (hi - lo) / 99
    ref = scores.grid("loewe_reference")[1:, 1:]
    np.testing.assert_allclose((ref - lo) / step, np.round((ref - lo) / step), atol=1e-6)  # on the grid
    assert np.max(np.abs(scores.grid("loewe_score"))) <= step
    assert abs(scores.summary["loewe"]) < 0.1 * step


def test_loewe_where_one_drug_cannot_reach_the_effect():
    """Row drug tops out at 50 %: its term is 0 there, so the reference is the column drug alone."""
    top_r = 50.0
    scores = synergy.score_matrix(CONC_R, CONC_C, np.zeros((CONC_R.size, CONC_C.size)), methods=("loewe",),
                                  reference="exact", single_r=lambda c: float(hill(c, IC50_R, H_R, top_r)),
                                  single_c=lambda c: float(hill_c(c)))
    ref = scores.grid("loewe_reference")
    flag = scores.grid(col.LOEWE_UNDEFINED).astype(bool)
    alone_c = hill_c(CONC_C)
    expected_flag = np.zeros_like(flag)
    expected_flag[1:, 1:] = (alone_c[None, 1:] > top_r) & np.ones((CONC_R.size - 1, 1), dtype=bool)
    np.testing.assert_array_equal(flag, expected_flag)
    assert flag.any() and (~flag[1:, 1:]).any()
    for i, j in zip(*np.nonzero(flag)):
        assert ref[i, j] == pytest.approx(alone_c[j], abs=1e-9)
    for i in range(1, CONC_R.size):
        for j in range(1, CONC_C.size):
            if not flag[i, j]:
                e = ref[i, j]
                x_r = IC50_R * (e / (top_r - e)) ** (1 / H_R)
                x_c = IC50_C * (e / (100 - e)) ** (1 / H_C)
                assert CONC_R[i] / x_r + CONC_C[j] / x_c == pytest.approx(1.0, abs=1e-8)


def test_combination_index_is_one_on_a_loewe_additive_surface():
    result = combination_index.combination_index(CONC_R, CONC_C, loewe_surface())
    both = (result.wells[col.CONC_R] > 0) & (result.wells[col.CONC_C] > 0)
    np.testing.assert_allclose(result.wells.loc[both, col.CI], 1.0, atol=1e-4)
    assert result.wells.loc[~both, col.CI].isna().all()
    assert result.fit_r.m == pytest.approx(H_R, rel=1e-9)
    assert result.fit_c.dm == pytest.approx(IC50_C, rel=1e-9)
    assert result.mean == pytest.approx(1.0, abs=1e-4)


def test_combination_index_is_undefined_at_0_and_100_percent():
    y = loewe_surface()
    y[2, 3], y[4, 4] = 100.0, 0.0
    ci = combination_index.combination_index(CONC_R, CONC_C, y).wells[col.CI].to_numpy().reshape(y.shape)
    assert np.isnan(ci[2, 3]) and np.isnan(ci[4, 4])
    assert np.isfinite(ci[1, 1])


@pytest.mark.parametrize("mode", ["fitted", "exact"])
def test_zip_null_surface_scores_zero(mode):
    kwargs = exact_modes() if mode == "exact" else {}
    scores = synergy.score_matrix(CONC_R, CONC_C, bliss_surface(), methods=("zip",), **kwargs)
    np.testing.assert_allclose(scores.wells["zip_score"], 0.0, atol=1e-6)
    np.testing.assert_allclose(scores.wells[col.ZIP_FIT], bliss_surface().ravel(), atol=1e-6)


def test_potency_shift_is_synergy_for_every_method():
    """Column drug makes the row drug 4x more potent: all scores positive on average."""
    y1 = hill_r(CONC_R)
    y2 = hill_c(CONC_C)
    shifted = np.array([[hill(c1 * (1 + 3 * y / 100), IC50_R, H_R) for y in y2] for c1 in CONC_R])
    surface = shifted + y2[None, :] - shifted * y2[None, :] / 100.0
    surface[:, 0], surface[0, :] = y1, y2
    scores = synergy.score_matrix(CONC_R, CONC_C, surface)
    for method in synergy.SCORE_METHODS:
        assert scores.summary[method] > 1.0, method


def markov_steady_state_effect(d1, d2, p):
    """MuSyC effect from the 4-state chain solved as a linear system (independent of the closed form)."""
    a1 = (d1 / p["C1"]) ** p["h1"]
    a2 = (d2 / p["C2"]) ** p["h2"]
    b1 = (p["alpha21"] * d1 / p["C1"]) ** (p["gamma21"] * p["h1"])
    b2 = (p["alpha12"] * d2 / p["C2"]) ** (p["gamma12"] * p["h2"])
    rates = np.zeros((4, 4))  # rates[from, to]; states U, A1, A2, A12; reverse rates 1
    rates[0, 1], rates[1, 0] = a1, 1.0
    rates[0, 2], rates[2, 0] = a2, 1.0
    rates[1, 3], rates[3, 1] = b2, 1.0
    rates[2, 3], rates[3, 2] = b1, 1.0
    generator = rates - np.diag(rates.sum(axis=1))
    system = np.vstack([generator.T, np.ones(4)])
    pi, *_ = np.linalg.lstsq(system, np.r_[0.0, 0, 0, 0, 1], rcond=None)
    return pi @ np.array([p["E0"], p["E1"], p["E2"], p["E3"]])


MUSYC_TRUTH = dict(E0=100.0, E1=40.0, E2=30.0, E3=5.0, C1=1.0, C2=10.0, h1=1.5, h2=1.0,
                   alpha12=3.0, alpha21=0.5, gamma12=1.3, gamma21=0.8)


def test_musyc_closed_form_equals_the_markov_chain_steady_state():
    for d1 in (0.0, 0.3, 1.0, 5.0):
        for d2 in (0.0, 2.0, 10.0, 60.0):
            assert musyc.musyc_effect(d1, d2, **MUSYC_TRUTH) == pytest.approx(
                markov_steady_state_effect(d1, d2, MUSYC_TRUTH), rel=1e-10)


def test_musyc_single_drug_is_a_hill_curve():
    d = np.logspace(-2, 2, 9)
    e = musyc.musyc_effect(d, 0.0, **MUSYC_TRUTH)
    np.testing.assert_allclose(e, 100 - (100 - 40) * d**1.5 / (d**1.5 + 1.0), rtol=1e-12)


@pytest.mark.parametrize("fit_gamma", [True, False])
def test_musyc_fit_recovers_alpha_and_beta(fit_gamma):
    truth = dict(MUSYC_TRUTH, gamma12=1.0, gamma21=1.0)
    cr = np.r_[0.0, np.logspace(-1.5, 1.5, 7)]
    cc = np.r_[0.0, 10 * np.logspace(-1.5, 1.5, 7)]
    viability = musyc.musyc_effect(cr[:, None], cc[None, :], **truth)
    fit = musyc.fit_musyc(cr, cc, 100.0 - viability, rng=np.random.default_rng(11), fit_gamma=fit_gamma)
    beta = (min(truth["E1"], truth["E2"]) - truth["E3"]) / (truth["E0"] - min(truth["E1"], truth["E2"]))
    assert fit.alpha12 == pytest.approx(truth["alpha12"], rel=0.05)
    assert fit.alpha21 == pytest.approx(truth["alpha21"], rel=0.05)
    assert fit.beta == pytest.approx(beta, abs=0.05)
    assert fit.log10_alpha12 == pytest.approx(np.log10(fit.alpha12))
    np.testing.assert_allclose(fit.predict(cr[:, None], cc[None, :]), viability, atol=1e-3)


def test_most_synergistic_area_finds_a_planted_window():
    s = np.zeros((6, 7))
    s[2:5, 1:4] = 10.0
    s[0, 6] = 50.0
    area = synergy.most_synergistic_area(s)
    assert (area.row_start, area.row_stop, area.col_start, area.col_stop) == (2, 5, 1, 4)
    assert area.mean == pytest.approx(10.0)


def test_most_synergistic_area_ties_go_to_the_first_row_major_window_and_nan_is_ignored():
    s = np.zeros((4, 4))
    s[0, 3] = s[3, 0] = 9.0  # windows (0, 1) and (1, 0) tie at mean 1
    s[1, 1] = np.nan
    area = synergy.most_synergistic_area(s)
    assert (area.row_start, area.col_start, area.mean) == (0, 1, pytest.approx(9.0 / 8.0))
    with pytest.raises(ValueError, match="does not fit"):
        synergy.most_synergistic_area(np.ones((2, 5)))


@pytest.mark.parametrize("kwargs, message", [
    (dict(methods=("bliss", "foo")), "method 'foo' is not known"),
    (dict(reference="exact"), "needs both single_r and single_c"),
    (dict(reference="approx"), "reference 'approx' is not known"),
    (dict(single_r=lambda c: 0.0), "only used with reference='exact'"),
])
def test_bad_arguments_raise_input_error(kwargs, message):
    with pytest.raises(InputError, match=message):
        synergy.score_matrix(CONC_R, CONC_C, bliss_surface(), **kwargs)


def test_bad_matrices_raise_input_error():
    with pytest.raises(InputError, match="start at 0"):
        synergy.score_matrix(CONC_R[1:], CONC_C, bliss_surface()[1:])
    with pytest.raises(InputError, match="shape"):
        synergy.score_matrix(CONC_R, CONC_C, bliss_surface()[:, 1:])
    y = bliss_surface()
    y[2, 3] = np.nan
    with pytest.raises(InputError, match=r"inhibition\[2, 3\]"):
        synergy.score_matrix(CONC_R, CONC_C, y)
    with pytest.raises(InputError, match="at least 3 nonzero doses"):
        synergy.score_matrix(CONC_R[:3], CONC_C, bliss_surface()[:3], methods=("zip",))
