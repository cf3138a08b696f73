"""The drug-sensitive subgroup of trastuzumab-resistant disease: its share and factor fitted after
simulation (:mod:`stat3qsp.calibration.targets`).

``models/population.yaml`` gives ``tumour_sensitivity`` ``m_i`` a ``subgroup_mixture``: in the contexts it
names, a share ``w`` (``tumour_sensitive_share``) of patients at ``F`` (``tumour_sensitive_factor``), the
others at 1, both log-normal with a small cv; elsewhere ``m_i = 1``. ``models/tumour/sld.ant`` raises the
drug effect of HER2 kinase inhibition by it: the effect ``(g - g0)`` is multiplied by
``1 + (m_i - 1) (1 - HER2_kinase_activity)``, so without a kinase inhibitor nothing changes and under
full inhibition the effect is ``m_i`` times larger. The course is linear in ``m_i``::

    ln SLD/SLD0 = s_i g0_i t + k (E_i(t) + (m_i - 1) H_i(t))

with ``E_i`` the effect at ``m = 1`` and ``H_i`` the kinase-inhibition part; the calibration simulates a
patient of the subgroup's contexts at ``m = 1`` and ``m = 2`` (``H = E(2) - E(1)``) and keeps ``E`` at its
drawn ``m_i0`` (:class:`stat3qsp.calibration.tumour.CourseSimulator`). At any other ``(w, F)``,
``m_i = F^-1_{w,F}(u_i)`` with ``u_i = Phi(z_i)`` the patient's mixture quantile, recovered from ``m_i0``
(:func:`sensitivity_uniform`; :func:`with_subgroup`). Which candidate is accepted does not
depend on ``m_i`` (acceptance reads growth and baseline only), so the patients stay the same.

:func:`fit_subgroup` chooses ``(w, F)`` on a grid (coarse, then refined around the best point) that
minimises the weighted squared distance of the subgroup targets (the lapatinib arm's ORR and CBR)::

    sum_j (simulated_j - observed_j)^2 / (observed_j (1 - observed_j) / n_j)

with ``n_j`` the observed arm's size (a chi-square of binomial proportions: each target weighted by
its sampling variance; Schmidt et al. 2013 BMC Bioinformatics 14:221 and Allen et al. 2016 CPT:PSP
5:140 frame a virtual population's fit to several clinical targets as such a weighted distance).
Ties (the shares are step functions) go to the smaller share, then the smaller factor.
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import numpy as np

from stat3qsp.trial.mixture import subgroup_values

SENSITIVITY = "tumour_sensitivity"
"""Model parameter of the patient's drug-effect multiplier (``models/tumour/sld.ant``)."""
SHARE = "tumour_sensitive_share"
"""Model parameter of the subgroup's share (calibrated)."""
FACTOR = "tumour_sensitive_factor"
"""Model parameter of the subgroup's drug-effect factor (calibrated)."""
SHARE_BOUNDS = (0.0, 0.6)
"""Bounds of the share in the calibrated table (assumed: at most 60% of resistant patients)."""
FACTOR_BOUNDS = (1.0, 100.0)
"""Bounds of the factor (assumed: no less sensitive than the others, at most 100 times)."""
COARSE_SHARES = np.round(np.arange(0.0, 0.51, 0.025), 4)
"""Shares of the coarse grid."""
COARSE_FACTORS = np.geomspace(1.0, 60.0, 19)
"""Factors of the coarse grid (log-spaced)."""
REFINE_POINTS = 9
"""Points per axis of the refined grid around the best coarse point (one coarse step each side)."""


def sensitivity_uniform(simulator, patient) -> tuple[float, float]:
    """``(m_i0, u_i)``: the patient's drawn multiplier and its quantile of the mixture at the models'
    current share and factor (NaN where the subgroup does not apply in the patient's context or the
    models have no ``tumour_sensitivity`` distribution)."""
    population = simulator.population
    if SENSITIVITY not in population.parameter_ids:
        return 1.0, math.nan
    distribution = population.distribution(SENSITIVITY)
    value = float(patient.values.get(SENSITIVITY, 1.0))
    if not distribution.applies(patient.context):
        return value, math.nan
    centres = simulator.context_values(patient.context)
    z = distribution.deviate(centres[SENSITIVITY], value, centres)
    return value, float(0.5 * math.erfc(-z / math.sqrt(2.0)))


def with_subgroup(courses, share: float, factor: float):
    """*courses* (:class:`stat3qsp.calibration.tumour.TumourCourses`) with the subgroup's multipliers at ``(share, factor)`` in place of the simulated ones
    (module docstring); unchanged where no patient has a quantile."""
    u = courses.sensitivity_uniform
    if u is None or not np.any(np.isfinite(u)):
        return courses
    applies = np.isfinite(u)
    change = np.zeros(u.shape)
    change[applies] = (subgroup_values(u[applies], courses.sensitivity_cv, share, factor) * courses.sensitivity_centre
                       - courses.sensitivity[applies])
    return dataclasses.replace(courses, effect=courses.effect + change[:, None] * courses.kinase_effect)


def _distance(simulated: list[float], observed: list[float], sizes: list[int]) -> float:
    return float(sum((s - o) ** 2 / max(o * (1 - o) / n, 1e-12) for s, o, n in zip(simulated, observed, sizes)))


def fit_subgroup(courses, values_at: Callable[[object], list[float]],
                 observed: list[float], sizes: list[int]) -> tuple[float, float, float]:
    """``(share, factor, distance)`` of the grid point that brings ``values_at(with_subgroup(courses, w,
    F))`` (the subgroup targets, e.g. ORR and CBR as the runner reads them) closest to *observed*
    (module docstring)."""
    def distance(share: float, factor: float) -> float:
        return _distance(values_at(with_subgroup(courses, share, factor)), observed, sizes)

    def best(shares, factors, start):
        point = start
        for share in shares:
            for factor in (factors if share > 0 else factors[:1]):
                d = distance(float(share), float(factor))
                if d < point[2] - 1e-12:
                    point = (float(share), float(factor), d)
        return point
    point = best(COARSE_SHARES, COARSE_FACTORS, (0.0, 1.0, distance(0.0, 1.0)))
    share_step = float(COARSE_SHARES[1] - COARSE_SHARES[0])
    log_step = math.log(COARSE_FACTORS[1] / COARSE_FACTORS[0])
    shares = np.clip(np.linspace(point[0] - share_step, point[0] + share_step, REFINE_POINTS), *SHARE_BOUNDS)
    factors = np.clip(np.exp(np.linspace(math.log(point[1]) - log_step, math.log(point[1]) + log_step,
                                         REFINE_POINTS)), *FACTOR_BOUNDS)
    return best(np.unique(shares), np.unique(factors), point)
