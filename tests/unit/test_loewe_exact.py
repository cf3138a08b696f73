"""The cheap exact-mode Loewe solver (stat3qsp.assay.synergy.loewe_exact) against the nested exact solver
(scores._loewe_reference: brentq in y around two brentq inversions) and against analytic Hill inverses."""
from __future__ import annotations

import numpy as np
import pytest

from stat3qsp.assay.synergy import scores
from stat3qsp.assay.synergy.scores import score_matrix

CONC_R = np.array([0.0, 0.3, 1.0, 3.0, 10.0, 30.0])
CONC_C = np.array([0.0, 0.05, 0.2, 0.5, 2.0, 5.0])
# Two Hill curves of different slope; the column drug tops out at 80% (so some wells are loewe_undefined).
R = dict(emax=100.0, ec50=3.0, n=1.3)
C = dict(emax=80.0, ec50=0.5, n=2.0)


def _hill(p):
    return lambda c: p["emax"] * c ** p["n"] / (p["ec50"] ** p["n"] + c ** p["n"])


def _inverse(p, y):
    return p["ec50"] * (y / (p["emax"] - y)) ** (1.0 / p["n"]) if y < p["emax"] else np.inf


def _counted(func, calls, name):
    def wrapped(c):
        calls.add((name, float(c)))  # distinct concentrations: what the model's simulation cache pays for
        return func(c)
    return wrapped


def _nested(monkeypatch):
    monkeypatch.setattr(scores, "_exact_loewe", lambda c1, c2, a, b, tables: scores._loewe_reference(c1, c2, a, b))


def _bliss_surface(f_r, f_c):
    return np.array([[f_r(a) + f_c(b) - f_r(a) * f_c(b) / 100.0 for b in CONC_C] for a in CONC_R])


def test_cheap_solver_solves_the_analytic_isobole_and_matches_the_nested_solver(monkeypatch):
    f_r, f_c = _hill(R), _hill(C)
    y = _bliss_surface(f_r, f_c)
    fast_calls, nested_calls = set(), set()
    fast = score_matrix(CONC_R, CONC_C, y, methods=("loewe",), reference="exact",
                        single_r=_counted(f_r, fast_calls, 'r'), single_c=_counted(f_c, fast_calls, 'c')).wells
    _nested(monkeypatch)
    nested = score_matrix(CONC_R, CONC_C, y, methods=("loewe",), reference="exact",
                          single_r=_counted(f_r, nested_calls, 'r'), single_c=_counted(f_c, nested_calls, 'c')).wells
    assert np.max(np.abs(fast["loewe_reference"] - nested["loewe_reference"])) < 1e-10
    assert (fast["loewe_undefined"] == nested["loewe_undefined"]).all()
    both = (fast["conc_r"] > 0) & (fast["conc_c"] > 0)
    defined = both & ~fast["loewe_undefined"]
    assert defined.sum() >= 12 and (both & fast["loewe_undefined"]).sum() >= 5  # both kinds of well are checked
    for _, well in fast[defined].iterrows():  # on the isobole of the analytic inverses
        v = well["loewe_reference"]
        assert well["conc_r"] / _inverse(R, v) + well["conc_c"] / _inverse(C, v) == pytest.approx(1.0, abs=1e-12)
    assert len(fast_calls) < len(nested_calls) / 3  # the point of it


def test_cheap_solver_matches_the_nested_one_on_the_models_curves(model, monkeypatch):
    from stat3qsp.assay.synergy.sweep import _exact_curve, simulate_matrix, to_inhibition
    conc_r, conc_c = np.array([0.0, 0.1, 3.0, 100.0]), np.array([0.0, 30.0, 1000.0, 10000.0])
    hours, readout = 72.0, "calprotectin_nM"
    matrix = simulate_matrix(model, "her2_amplified", "trastuzumab", "ruxolitinib", conc_r, conc_c, hours)
    grid = matrix[readout].to_numpy().reshape(conc_r.size, conc_c.size)
    inhibition = to_inhibition(grid, readout, grid[0, 0])
    simulator = model.context("her2_amplified")
    results = []
    for nested in (False, True):
        if nested:
            _nested(monkeypatch)
        cache: dict = {}
        curves = {"single_r": _exact_curve(simulator, "trastuzumab", readout, grid[0, 0], hours, cache),
                  "single_c": _exact_curve(simulator, "ruxolitinib", readout, grid[0, 0], hours, cache)}
        results.append(score_matrix(conc_r, conc_c, inhibition, methods=("loewe",), reference="exact", **curves).wells)
    # The model's curve is a simulation: its integration error makes it jump by ~1e-8 points between
    # neighbouring concentrations, so two solvers of the same isobole agree to that, not to 1e-14.
    assert np.max(np.abs(results[0]["loewe_reference"] - results[1]["loewe_reference"])) < 1e-6
    assert (results[0]["loewe_undefined"] == results[1]["loewe_undefined"]).all()
