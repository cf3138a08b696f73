"""The negative log-likelihood of a PEtab problem, simulated with libroadrunner.

Simulation follows PEtab (format 1): for each measurement the model is pre-equilibrated under its
``preequilibrationConditionId`` (simulated for :data:`PREEQUILIBRATION_HOURS`, then checked to be at
steady state), the simulation condition's species values replace the pre-equilibrated ones and its
parameter values are set, and the model is simulated to the measurement times. The SBML is compiled
once; every condition reuses the same runner.

Noise model (PEtab, normal noise on the observable's transformation t = lin or log10): for a
measurement m with simulated observable h and noise standard deviation sigma,

    r = (t(h) - t(m)) / sigma,
    nllh = 0.5 * log(2 pi sigma^2) + 0.5 r^2 + [log10: log(m ln 10)].

With sigma estimated (one parameter per group of measurements), the sum over a group of n
measurements is written as a sum of squares by one extra residual per group,

    f_g = sqrt(2 n ln 10 (u_g - u_lb) + eps^2),  u = log10 sigma,

so that ``0.5 * sum(f**2) + C`` equals the negative log-likelihood exactly (C collects constants).
:func:`scipy.optimize.least_squares` therefore minimises the negative log-likelihood with a
Gauss-Newton Jacobian. All estimated parameters are on log10 scale (checked).

Jacobian: observation parameters (offsets, scales, noise) analytically; model parameters by forward
differences of the simulated observables (step :data:`FD_STEP` in log10 units), which needs one
simulation of all conditions per model parameter.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import petab.v1 as petab
import sympy as sp

from stat3qsp.errors import InputError
from stat3qsp.calibration.signalling.formula import Observable, parse_formula
from stat3qsp.io.values import is_number
from stat3qsp.model.compiled import compile_sbml
from stat3qsp.model.integrate import integrate, output_times

#: Pre-equilibration time (h); the slowest untreated process (S100/calprotectin) settles in < 1000 h.
PREEQUILIBRATION_HOURS = 2000.0
#: Largest relative rate of change (per hour) accepted as steady state after pre-equilibration.
STEADY_STATE_TOLERANCE = 1e-6
#: Integrator tolerances (relative, absolute); 1e-8 keeps forward differences at FD_STEP accurate to about 1e-5.
RELATIVE_TOLERANCE = 1e-8
ABSOLUTE_TOLERANCE = 1e-12
#: Pre-equilibrated amounts below this are set to zero (far below any measurable amount).
NEGLIGIBLE_AMOUNT = 1e-20
#: Forward-difference step of model parameters (log10 units).
FD_STEP = 1e-3
#: Small constant of the noise residuals (keeps their derivative finite at the lower bound).
EPS = 1e-3
LN10 = math.log(10.0)


class Objective:
    """Negative log-likelihood of a PEtab problem's measurements, as least-squares residuals.

    Parameters
    ----------
    problem
        The PEtab problem (its SBML, conditions, observables and parameter table).
    measurements
        The measurements to use (default: the problem's); e.g. training plus validation.
    datasets
        If given, only measurements of these ``datasetId`` values (a small problem for tests).

    Attributes
    ----------
    x_ids
        Identifiers of the estimated parameters used by these measurements, in vector order.
    lb, ub
        Their bounds, log10 scale.
    dynamic
        Indices (into ``x_ids``) of model parameters; the others are observation parameters.
    """

    def __init__(self, problem: petab.Problem, measurements: pd.DataFrame | None = None,
                 datasets: tuple[str, ...] | list[str] = ()):
        table = problem.measurement_df if measurements is None else measurements
        if datasets:
            table = table[table[petab.DATASET_ID].isin(list(datasets))]
            if table.empty:
                raise InputError(f"no measurements of dataset(s) {list(datasets)}")
        self.measurements = table.reset_index(drop=True)
        self.problem = problem
        self.runner = compile_sbml(problem.model.to_sbml_str())
        integrator = self.runner.getIntegrator()
        integrator.setValue("relative_tolerance", RELATIVE_TOLERANCE)
        integrator.setValue("absolute_tolerance", ABSOLUTE_TOLERANCE)
        integrator.setValue("maximum_num_steps", 100000)
        self._species = set(self.runner.model.getFloatingSpeciesIds())
        self._cache: tuple[bytes, np.ndarray] | None = None
        self._set_parameters()
        self._set_observables()
        self._set_conditions()
        self._set_rows()

    # -- set-up ---------------------------------------------------------------------------------
    def _set_parameters(self) -> None:
        par = self.problem.parameter_df
        used = set()
        for column in (petab.OBSERVABLE_PARAMETERS, petab.NOISE_PARAMETERS):
            for text in self.measurements[column].fillna("").astype(str):
                used |= {p for p in text.split(";") if p and not is_number(p)}
        model_ids = set(self.runner.model.getGlobalParameterIds())
        estimated = par[par[petab.ESTIMATE] == 1]
        self.x_ids = [p for p in estimated.index if p in model_ids or p in used]
        scales = set(estimated.loc[self.x_ids, petab.PARAMETER_SCALE])
        if scales != {petab.LOG10}:
            raise InputError(f"all estimated parameters must be on log10 scale, got {sorted(scales)}")
        self.lb = np.log10(estimated.loc[self.x_ids, petab.LOWER_BOUND].to_numpy(float))
        self.ub = np.log10(estimated.loc[self.x_ids, petab.UPPER_BOUND].to_numpy(float))
        self.x_nominal = np.log10(estimated.loc[self.x_ids, petab.NOMINAL_VALUE].to_numpy(float))
        self.dynamic = np.array([i for i, p in enumerate(self.x_ids) if p in model_ids], dtype=int)
        self.dynamic_ids = [self.x_ids[i] for i in self.dynamic]
        self._index = {p: i for i, p in enumerate(self.x_ids)}
        fixed = par[(par[petab.ESTIMATE] != 1) & par.index.isin(list(model_ids))]
        self._fixed_model_values = {p: float(v) for p, v in fixed[petab.NOMINAL_VALUE].items()}

    def _set_observables(self) -> None:
        self._observables: dict[str, Observable] = {}
        model_symbols: dict[str, None] = {}
        for oid, row in self.problem.observable_df.iterrows():
            noise = str(row[petab.NOISE_FORMULA]).strip()
            if noise != f"noiseParameter1_{oid}":
                raise InputError(f"observable {oid}: noise formula must be noiseParameter1_{oid}, got {noise!r}")
            expression = parse_formula(row[petab.OBSERVABLE_FORMULA], f"observable {oid}: observableFormula")
            names = sorted(str(s) for s in expression.free_symbols)
            placeholders = tuple(sorted((n for n in names if n.startswith("observableParameter")),
                                        key=lambda n: int(n[len("observableParameter"):].split("_", 1)[0])))
            symbols = tuple(n for n in names if n not in placeholders)
            for s in symbols:
                model_symbols[s] = None
            arguments = [sp.Symbol(n) for n in (*symbols, *placeholders)]
            transformation = row.get(petab.OBSERVABLE_TRANSFORMATION, petab.LIN)
            self._observables[oid] = Observable(
                transformation=petab.LIN if pd.isna(transformation) else transformation,
                symbols=symbols,
                placeholders=placeholders,
                value=sp.lambdify(arguments, expression, "numpy"),
                gradients=tuple(sp.lambdify(arguments, sp.diff(expression, sp.Symbol(p)), "numpy") for p in placeholders),
            )
        self.model_symbols = list(model_symbols)
        self._selections = [f"[{s}]" if s in self._species else s for s in self.model_symbols]

    def _set_conditions(self) -> None:
        conditions = self.problem.condition_df
        columns = [c for c in conditions.columns if c != petab.CONDITION_NAME]
        pairs = self.measurements[[petab.PREEQUILIBRATION_CONDITION_ID, petab.SIMULATION_CONDITION_ID]].fillna("")
        self._pairs = list(dict.fromkeys(map(tuple, pairs.to_numpy())))
        self._preeq_ids = sorted({p for p, _ in self._pairs if p})
        self._condition_values = {
            cid: {c: float(conditions.loc[cid, c]) for c in columns if not pd.isna(conditions.loc[cid, c])}
            for cid in {*self._preeq_ids, *(s for _, s in self._pairs)}
        }
        self._times = {}
        for pair in self._pairs:
            mask = (pairs[petab.PREEQUILIBRATION_CONDITION_ID] == pair[0]) & (pairs[petab.SIMULATION_CONDITION_ID] == pair[1])
            self._times[pair] = np.unique(np.concatenate([[0.0], self.measurements.loc[mask, petab.TIME].to_numpy(float)]))

    def _set_rows(self) -> None:
        m = self.measurements
        n = len(m)
        self.n = n
        pair_index = {pair: k for k, pair in enumerate(self._pairs)}
        offsets = np.cumsum([0] + [len(self._times[p]) for p in self._pairs])
        self._row_output = np.empty(n, dtype=int)
        for i, (pre, sim, t) in enumerate(zip(m[petab.PREEQUILIBRATION_CONDITION_ID].fillna(""), m[petab.SIMULATION_CONDITION_ID], m[petab.TIME])):
            k = pair_index[(pre, sim)]
            self._row_output[i] = offsets[k] + int(np.searchsorted(self._times[(pre, sim)], float(t)))
        self.measured = m[petab.MEASUREMENT].to_numpy(float)
        self._groups: dict[str, np.ndarray] = {}
        self._row_placeholders: dict[str, list[np.ndarray]] = {}
        for oid, rows in m.groupby(petab.OBSERVABLE_ID).groups.items():
            if oid not in self._observables:
                raise InputError(f"measured observable {oid!r} is not in the observable table")
            rows = np.asarray(rows, dtype=int)
            self._groups[oid] = rows
            overrides = m.loc[rows, petab.OBSERVABLE_PARAMETERS].fillna("").astype(str).str.split(";")
            count = len(self._observables[oid].placeholders)
            self._row_placeholders[oid] = []
            for k in range(count):
                index, value = self._references([o[k] if len(o) > k else "" for o in overrides])
                full_index, full_value = np.full(n, -1, dtype=int), np.full(n, np.nan)
                full_index[rows], full_value[rows] = index, value
                self._row_placeholders[oid].append((full_index, full_value))
        self._noise = self._references(m[petab.NOISE_PARAMETERS].astype(str).tolist())
        self.transformations = np.empty(n, dtype=object)
        for oid, rows in self._groups.items():
            self.transformations[rows] = self._observables[oid].transformation
        self._log = self.transformations == petab.LOG10
        if np.any(self.measured[self._log] <= 0):
            raise InputError("log10-transformed measurements must be > 0")
        self.t_measured = np.where(self._log, np.log10(np.where(self._log, self.measured, 1.0)), self.measured)
        # Noise groups: rows sharing one estimated sigma.
        estimated_noise = self._noise[0] >= 0
        self._noise_params = np.unique(self._noise[0][estimated_noise])
        self._noise_counts = np.array([np.sum(self._noise[0] == j) for j in self._noise_params], dtype=float)
        fixed_sigma = self._noise[1][~estimated_noise]
        constant = 0.5 * n * math.log(2 * math.pi) + float(np.sum(np.log(self.measured[self._log] * LN10)))
        constant += float(np.sum(np.log(fixed_sigma)))
        constant += float(np.sum(self._noise_counts * LN10 * self.lb[self._noise_params])) - 0.5 * EPS**2 * len(self._noise_params)
        self._constant = constant

    def _references(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Per row: index into x (or -1) and the numeric value where the reference is a number."""
        index = np.full(len(texts), -1, dtype=int)
        value = np.full(len(texts), np.nan)
        for i, text in enumerate(texts):
            text = text.strip()
            if is_number(text):
                value[i] = float(text)
            elif text in self._index:
                index[i] = self._index[text]
            else:
                raise InputError(f"parameter {text!r} of a measurement is not an estimated parameter")
        return index, value

    # -- simulation -----------------------------------------------------------------------------
    def simulate(self, x: np.ndarray) -> np.ndarray:
        """Model symbols of the observable formulas at every (condition, time) output, stacked.

        The last result is cached: a call with the same model-parameter values does not simulate.
        """
        key = np.asarray(x, dtype=float)[self.dynamic].tobytes()
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        outputs = self._simulate(x)
        self._cache = (key, outputs)
        return outputs

    def _simulate(self, x: np.ndarray) -> np.ndarray:
        self._set_model_parameters(x)
        states = {pre: self._preequilibrate(pre) for pre in self._preeq_ids}
        outputs = np.vstack([self._run(pre, sim, self._times[(pre, sim)], states) for pre, sim in self._pairs])
        if not np.all(np.isfinite(outputs)):
            raise RuntimeError("non-finite simulation output")
        return outputs

    def _set_model_parameters(self, x: np.ndarray) -> None:
        for pid, value in self._fixed_model_values.items():
            self.runner.setValue(pid, value)
        for i in self.dynamic:
            self.runner.setValue(self.x_ids[i], 10.0 ** x[i])

    def _preequilibrate(self, pre: str) -> np.ndarray:
        runner = self.runner
        runner.reset()
        self._apply(self._condition_values[pre], species=True)
        integrate(runner, output_times(0.0, PREEQUILIBRATION_HOURS), ["time"])
        state = np.array(runner.model.getFloatingSpeciesAmounts(), dtype=float)
        rates = np.asarray(runner.model.getFloatingSpeciesConcentrationRates(), dtype=float)
        scale = np.maximum(np.abs(runner.model.getFloatingSpeciesConcentrations()), 1e-6)
        if np.max(np.abs(rates) / scale) > STEADY_STATE_TOLERANCE:
            raise RuntimeError(f"pre-equilibration {pre!r} did not reach steady state in {PREEQUILIBRATION_HOURS} h")
        # Amounts of order 1e-40 left by the integrator make CVODE's first step fail; they are zero.
        state[np.abs(state) < NEGLIGIBLE_AMOUNT] = 0.0
        return state

    def _run(self, pre: str, sim: str, times: np.ndarray, states: dict[str, np.ndarray]) -> np.ndarray:
        runner = self.runner
        runner.reset()
        if pre:
            self._apply(self._condition_values[pre], species=False)
            runner.model.setFloatingSpeciesAmounts(states[pre])
        self._apply(self._condition_values[sim], species=True)
        out = integrate(runner, np.asarray(times, dtype=float), self._selections)
        return out.reshape(len(times), len(self._selections))

    def trajectory(self, x: np.ndarray, row: int, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The observable of measurement *row* (its condition, observable and parameters) at *times* (h)."""
        times = np.unique(np.concatenate([[0.0], np.asarray(times, dtype=float)]))
        pre = self.measurements.loc[row, petab.PREEQUILIBRATION_CONDITION_ID]
        pre = "" if pd.isna(pre) else pre
        sim = self.measurements.loc[row, petab.SIMULATION_CONDITION_ID]
        self._set_model_parameters(x)
        self._cache = None
        states = {pre: self._preequilibrate(pre)} if pre else {}
        outputs = self._run(pre, sim, times, states)
        oid = self.measurements.loc[row, petab.OBSERVABLE_ID]
        obs = self._observables[oid]
        model = [outputs[:, self.model_symbols.index(s)] for s in obs.symbols]
        placeholders = [self._values(ref, np.array([row]), x)[0] for ref in self._row_placeholders[oid]]
        return times, np.broadcast_to(obs.value(*model, *placeholders), times.shape).astype(float)

    def _apply(self, values: dict[str, float], species: bool) -> None:
        for target, value in values.items():
            if target in self._species:
                if species:
                    self.runner.setValue(f"[{target}]", value)
            else:
                self.runner.setValue(target, value)

    def observables(self, x: np.ndarray, outputs: np.ndarray | None = None) -> np.ndarray:
        """Simulated observable of every measurement row."""
        outputs = self.simulate(x) if outputs is None else outputs
        rows_out = outputs[self._row_output]
        h = np.empty(self.n)
        for oid, rows in self._groups.items():
            obs = self._observables[oid]
            h[rows] = obs.value(*self._arguments(oid, obs, rows, rows_out, x))
        return h

    def _arguments(self, oid, obs, rows, rows_out, x):
        model = [rows_out[rows, self.model_symbols.index(s)] for s in obs.symbols]
        return [*model, *(self._values(ref, rows, x) for ref in self._row_placeholders[oid])]

    @staticmethod
    def _values(reference, rows, x):
        index, value = reference
        index, value = index[rows], value[rows]
        return np.where(index >= 0, 10.0 ** x[np.maximum(index, 0)], value)

    def sigma(self, x: np.ndarray) -> np.ndarray:
        """Noise standard deviation of every measurement row (on its transformation's scale)."""
        return self._values(self._noise, np.arange(self.n), x)

    def transformed(self, h: np.ndarray) -> np.ndarray:
        """Observable values on their noise scale (log10 or linear)."""
        return np.where(self._log, np.log10(np.maximum(np.where(self._log, h, 1.0), 1e-300)), h)

    # -- objective ------------------------------------------------------------------------------
    @property
    def n_residuals(self) -> int:
        """Length of the residual vector: one per measurement plus one per estimated noise parameter."""
        return self.n + len(self._noise_params)

    def residuals(self, x: np.ndarray, outputs: np.ndarray | None = None) -> np.ndarray:
        """Least-squares residuals: ``0.5 * sum(residuals**2) + constant`` is the negative log-likelihood."""
        h = self.observables(x, outputs)
        r = (self.transformed(h) - self.t_measured) / self.sigma(x)
        return np.concatenate([r, self._noise_residuals(x)])

    def _noise_residuals(self, x):
        u = x[self._noise_params]
        return np.sqrt(2.0 * self._noise_counts * LN10 * np.maximum(u - self.lb[self._noise_params], 0.0) + EPS**2)

    def nllh(self, x: np.ndarray) -> float:
        """Negative log-likelihood of the measurements at *x* (log10-scaled parameters)."""
        f = self.residuals(x)
        return float(0.5 * f @ f + self._constant)

    def nllh_from_residuals(self, f: np.ndarray) -> float:
        """Negative log-likelihood from a residual vector of :meth:`residuals`."""
        return float(0.5 * f @ f + self._constant)

    def jacobian(self, x: np.ndarray, model_parameters: bool = True) -> np.ndarray:
        """Jacobian of :meth:`residuals` (rows: residuals, columns: ``x_ids``).

        With ``model_parameters=False`` the columns of model parameters are left zero (no
        simulation beyond the cached one): the Jacobian of the observation parameters alone.
        """
        outputs = self.simulate(x)
        h = self.observables(x, outputs)
        th = self.transformed(h)
        sigma = self.sigma(x)
        r = (th - self.t_measured) / sigma
        jac = np.zeros((self.n + len(self._noise_params), len(x)))
        for j in self.dynamic if model_parameters else ():
            shifted = x.copy()
            shifted[j] += FD_STEP
            jac[: self.n, j] = (self.transformed(self.observables(shifted, self._simulate(shifted))) - th) / FD_STEP / sigma
        dt = np.where(self._log, 1.0 / (np.maximum(h, 1e-300) * LN10), 1.0)
        rows_out = outputs[self._row_output]
        for oid, rows in self._groups.items():
            obs = self._observables[oid]
            arguments = self._arguments(oid, obs, rows, rows_out, x)
            for gradient, (index, _) in zip(obs.gradients, self._row_placeholders[oid]):
                columns = index[rows]
                estimated = columns >= 0
                value = np.broadcast_to(gradient(*arguments), rows.shape)
                contribution = dt[rows] * value * 10.0 ** x[np.maximum(columns, 0)] * LN10 / sigma[rows]
                np.add.at(jac, (rows[estimated], columns[estimated]), contribution[estimated])
        noise_index = self._noise[0]
        estimated = noise_index >= 0
        np.add.at(jac, (np.arange(self.n)[estimated], noise_index[estimated]), -r[estimated] * LN10)
        f_noise = self._noise_residuals(x)
        inside = x[self._noise_params] > self.lb[self._noise_params]
        jac[self.n + np.arange(len(self._noise_params)), self._noise_params] = np.where(inside, self._noise_counts * LN10 / f_noise, 0.0)
        return jac

    def simulation_table(self, x: np.ndarray) -> pd.DataFrame:
        """The measurements with a ``simulation`` column (PEtab simulation table)."""
        table = self.measurements.copy()
        table = table.rename(columns={petab.MEASUREMENT: petab.SIMULATION})
        table[petab.SIMULATION] = self.observables(x)
        return table

    def parameter_values(self, x: np.ndarray) -> dict[str, float]:
        """Linear values of the estimated parameters."""
        return {p: float(10.0 ** v) for p, v in zip(self.x_ids, x)}



