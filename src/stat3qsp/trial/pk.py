"""Closed-form pharmacokinetics of regular dosing, as written in the patient variant's PK modules.

The Antimony modules ``models/pk/ruxolitinib_oral.ant`` and ``models/pk/trastuzumab_iv.ant`` write
the plasma concentrations as assignment rules of time (no SBML events), so that the 730 twice-daily
doses of a patient-year cost the integrator nothing beyond the changes of concentration. These
functions are the same formulas in numpy, for dose-finding arithmetic, exposure summaries and tests.

Superposition of a regular dosing series (linear kinetics). If one dose ``D`` at time 0 gives
``C1(t) = D * sum_i A_i exp(-lambda_i t)``, doses every ``tau`` from ``t0`` give, with
``n = floor((t - t0) / tau) + 1`` doses by time ``t`` and ``tau' = t - t0 - (n - 1) tau``,

    C(t) = D * sum_i A_i exp(-lambda_i tau') (1 - exp(-n lambda_i tau)) / (1 - exp(-lambda_i tau)),

the finite geometric series of the earlier doses (Gibaldi & Perrier, Pharmacokinetics, 2nd ed.,
ch. 3). A loading dose ``L`` in place of the first maintenance dose ``M`` is the maintenance series
plus one extra ``(L - M)`` dose at ``t0``. ``C = 0`` before ``t0``.

- Oral, one compartment, first-order absorption ``ka`` and elimination ``k = CL/F / (V/F)``:
  ``A = (ka / (V/F (ka - k)), -ka / (V/F (ka - k)))``, ``lambda = (k, ka)``.
- Intravenous bolus, two compartments (``k10 = CL/V1``, ``k12 = Q/V1``, ``k21 = Q/V2``): ``alpha``
  and ``beta`` are the roots of ``x^2 - (k10 + k12 + k21) x + k10 k21``,
  ``A = ((alpha - k21) / (V1 (alpha - beta)), (k21 - beta) / (V1 (alpha - beta)))``.
- Intravenous infusions of duration ``T < tau``: one dose ``D`` gives, per exponential,
  ``(D / T) A / lambda (exp(lambda min(t, T)) - 1) exp(-lambda t)``, and regular dosing

      C(t) = sum_i A_i / (lambda_i T) exp(-lambda_i tau') [ M (exp(lambda_i min(tau', T)) - 1)
             + M (exp(lambda_i T) - 1) exp(-lambda_i tau) (1 - exp(-(n - 1) lambda_i tau)) / (1 - exp(-lambda_i tau))
             + (L - M) (exp(lambda_i min(t - t0, T)) - 1) exp(-lambda_i (n - 1) tau) ]

  (the running infusion, the ``n - 1`` finished ones, the loading extra); ``T -> 0`` gives the bolus.

Units: doses in mg, volumes in L, clearances in L/h, times in h, concentrations in mg/L.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from stat3qsp.errors import InputError


@dataclass(frozen=True)
class TwoCompartmentRates:
    """Disposition of a two-compartment IV bolus: ``C1(t)/D = A1 exp(-alpha t) + A2 exp(-beta t)``."""

    alpha: float
    beta: float
    A1: float
    A2: float


def two_compartment_rates(cl: float, v1: float, v2: float, q: float) -> TwoCompartmentRates:
    """Macro-constants of a two-compartment model from clearances (L/h) and volumes (L).

    ``alpha, beta = (s +- sqrt(s^2 - 4 k10 k21)) / 2`` with ``s = k10 + k12 + k21``;
    ``A1 = (alpha - k21) / (V1 (alpha - beta))``, ``A2 = (k21 - beta) / (V1 (alpha - beta))`` (1/L).
    """
    _positive(cl=cl, v1=v1, v2=v2, q=q)
    k10, k12, k21 = cl / v1, q / v1, q / v2
    s = k10 + k12 + k21
    root = np.sqrt(s * s - 4.0 * k10 * k21)
    alpha, beta = (s + root) / 2.0, (s - root) / 2.0
    return TwoCompartmentRates(alpha, beta, (alpha - k21) / (v1 * (alpha - beta)), (k21 - beta) / (v1 * (alpha - beta)))


def two_compartment_q(cl: float, v1: float, v2: float, terminal_half_life_h: float) -> float:
    """Intercompartmental clearance Q (L/h) that gives the terminal half-life with CL, V1 and V2.

    ``beta = ln 2 / t_half`` is a root of ``x^2 - (k10 + Q/V1 + Q/V2) x + k10 Q / V2``, which is
    linear in Q: ``Q = beta (k10 - beta) / (k10 / V2 - beta / V1 - beta / V2)``.

    Raises
    ------
    InputError
        If no positive Q gives that half-life (it must be longer than ``ln 2 / k10``, the
        one-compartment half-life, and reachable with the given volumes).
    """
    _positive(cl=cl, v1=v1, v2=v2, terminal_half_life_h=terminal_half_life_h)
    k10 = cl / v1
    beta = np.log(2.0) / terminal_half_life_h
    denominator = k10 / v2 - beta / v1 - beta / v2
    if not beta < k10 or not denominator > 0:
        raise InputError(f"terminal_half_life_h = {terminal_half_life_h!r} cannot be reached with CL = {cl}, V1 = {v1}, "
                         f"V2 = {v2}; accepted: ln2 / (CL/V1) < t_half < ln2 (V1 + V2) / CL")
    return float(beta * (k10 - beta) / denominator)


def superposition(t: ArrayLike, dose: float, interval: float, start: float, amplitudes: tuple[float, ...],
                  rates: tuple[float, ...], loading_dose: float | None = None) -> np.ndarray:
    """Concentration of a regular dosing series by closed-form superposition (module docstring).

    Parameters
    ----------
    t
        Times (h).
    dose, loading_dose
        Maintenance dose ``M`` and first dose ``L`` (mg; ``L = M`` if None).
    interval, start
        ``tau`` and ``t0`` (h).
    amplitudes, rates
        ``A_i`` (1/L) and ``lambda_i`` (1/h) of the single-dose response.

    Returns
    -------
    numpy.ndarray
        ``C(t)`` in mg/L, 0 before ``start``.
    """
    if not interval > 0:
        raise InputError(f"dosing interval = {interval!r} h; accepted: a number > 0")
    after, n, since_last, since_first = _dose_clock(t, start, interval, 0.0)
    loading = dose if loading_dose is None else loading_dose
    total = np.zeros_like(since_last)
    for a, lam in zip(amplitudes, rates):
        series = np.exp(-lam * since_last) * -np.expm1(-n * lam * interval) / -np.expm1(-lam * interval)
        total += a * (dose * series + (loading - dose) * np.exp(-lam * since_first))
    return np.where(after, total, 0.0)


def _dose_clock(t: ArrayLike, start: float, interval: float, n_before: float):
    """``(after, n, since_last, since_first)`` of regular dosing at times *t*: whether dosing has
    started, doses given by then (*n_before* before the start), hours since the last and the first dose."""
    t = np.asarray(t, dtype=float)
    after = t >= start
    n = np.where(after, np.floor((t - start) / interval) + 1.0, n_before)
    return after, n, np.where(after, t - start - (n - 1.0) * interval, 0.0), np.where(after, t - start, 0.0)


def oral_one_compartment(t: ArrayLike, dose: float, interval: float, start: float, ka: float, cl_f: float,
                         v_f: float) -> np.ndarray:
    """Total plasma concentration (mg/L) of oral doses every ``interval`` h from ``start``.

    ``C(t) = D ka / (V/F (ka - k)) (S(k) - S(ka))``, ``S`` the superposition series of the module
    docstring, ``k = CL/F / (V/F)``; needs ``ka != k``.
    """
    _positive(ka=ka, cl_f=cl_f, v_f=v_f)
    k = cl_f / v_f
    if np.isclose(ka, k):
        raise InputError(f"ka = {ka!r} equals the elimination rate {k!r} /h; accepted: ka != CL/V")
    a = ka / (v_f * (ka - k))
    return superposition(t, dose, interval, start, (a, -a), (k, ka))


def infusion_superposition(t: ArrayLike, dose: float, interval: float, start: float, amplitudes: tuple[float, ...],
                           rates: tuple[float, ...], duration: float, loading_dose: float | None = None) -> np.ndarray:
    """Concentration of regular zero-order infusions of *duration* h (module docstring); arguments
    as :func:`superposition`. ``duration = 0`` is the bolus series."""
    if duration == 0:
        return superposition(t, dose, interval, start, amplitudes, rates, loading_dose)
    if not 0 < duration < interval:
        raise InputError(f"infusion duration = {duration!r} h; accepted: 0 <= duration < interval ({interval} h)")
    after, n, since_last, since_first = _dose_clock(t, start, interval, 1.0)
    loading = dose if loading_dose is None else loading_dose
    total = np.zeros_like(since_last)
    for a, lam in zip(amplitudes, rates):
        running = dose * np.expm1(lam * np.minimum(since_last, duration))
        finished = (dose * np.expm1(lam * duration) * np.exp(-lam * interval)
                    * -np.expm1(-(n - 1.0) * lam * interval) / -np.expm1(-lam * interval))
        extra = (loading - dose) * np.expm1(lam * np.minimum(since_first, duration)) * np.exp(-lam * (n - 1.0) * interval)
        total += a / (lam * duration) * np.exp(-lam * since_last) * (running + finished + extra)
    return np.where(after, total, 0.0)


def iv_two_compartment(t: ArrayLike, dose: float, interval: float, start: float, cl: float, v1: float,
                       v2: float, q: float, loading_dose: float | None = None, infusion_time: float = 0.0) -> np.ndarray:
    """Plasma concentration (mg/L) of IV doses (infusions of *infusion_time* h; 0 for boluses) every
    ``interval`` h from ``start``, first dose ``loading_dose`` (module docstring)."""
    r = two_compartment_rates(cl, v1, v2, q)
    return infusion_superposition(t, dose, interval, start, (r.A1, r.A2), (r.alpha, r.beta), infusion_time, loading_dose)


def mg_per_litre_to_nM(concentration: ArrayLike, molar_mass_g_per_mol: float) -> np.ndarray:
    """mg/L to nM: ``c * 1e6 / M`` (1e-3 g/mg times 1e9 nmol/mol)."""
    return np.asarray(concentration, dtype=float) * 1e6 / molar_mass_g_per_mol


def oral_tmax(ka: float, cl_f: float, v_f: float) -> float:
    """Time of the peak after one oral dose: ``ln(ka / k) / (ka - k)`` (h)."""
    k = cl_f / v_f
    return float(np.log(ka / k) / (ka - k))


def _positive(**values: float) -> None:
    for name, value in values.items():
        if not (np.isfinite(value) and value > 0):
            raise InputError(f"{name} = {value!r}; accepted: a finite number > 0")
