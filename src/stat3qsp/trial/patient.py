"""One virtual patient on a trial arm: pharmacokinetics, signalling and tumour size over time.

The patient model is the ``patient`` variant of the catalog (PK modules, target clamps and the
tumour module added to the signalling model; ``models/catalog.yaml``), composed and compiled once
per process (:func:`stat3qsp.model.load_model`). Per patient:

1. **Values.** Every model constant is set: the table value, overridden by the arm's context
   (``models/catalog.yaml``), by the patient's sampled values (``models/population.yaml``) and by the
   arm's regimen (:func:`dosing_values`, from the trial spec via ``models/pk/regimens.yaml``).
2. **Pre-treatment state.** With every dose and clamp switched off, the model is reset and run for
   :data:`PREEQUILIBRATION_HOURS`, which brings the patient's tumour cells to their untreated steady
   state; its ``net_growth_rate`` is the patient's ``g0`` (``tumour_untreated_growth_rate`` of
   ``models/tumour/sld.ant``).
3. **Treatment.** From that state, with the regimen switched on at t = 0 and SLD at its baseline
   (``SLD_log_ratio`` = 0), SLD is computed at each scan time in turn, optionally stopping after
   the scan that shows progression, by one of the :data:`METHODS` (default :data:`DEFAULT_METHOD`):

   - ``envelope``: stroboscopic envelope integration (:mod:`stat3qsp.trial.envelope`). The regimen's
     dosing series and clamp starts (:func:`dose_series`) give the fast period (drugs dosed at least
     every :data:`FAST_INTERVAL_MAX_H`: ruxolitinib twice daily, neratinib daily), the slow cycle
     (trastuzumab every 21 days) and the events; only the dosing periods around events, at scans and
     at the error-control checkpoints are integrated, the others summed in closed form.
   - ``multiscale``: the transient of the first doses integrated, then one steady period; every later
     scan in closed form from that periodic profile (:mod:`stat3qsp.trial.multiscale`).
   - ``full``: the model integrated from 0 to each scan time (only SLD selected); the reference.

   Without a fast-dosed drug nothing oscillates and every method is the full integration.

Integrator tolerances of trial simulations and their checks: ``docs/envelope.md``.

**Failures.** An integration that fails (the integrator raises, e.g. CVODE error-test failures or
too many steps, or a result is NaN or infinite: the untreated growth rate, the steady state, an SLD)
is run again from its start with both tolerances divided by :data:`RETRY_TOLERANCE_FACTOR` and
:data:`RETRY_MAX_STEPS_FACTOR` times the integrator steps (deterministic: the same patient always
takes the same path); the first failure's reason is appended to
:attr:`PatientSimulator.retried`. If the retry fails too, :class:`~stat3qsp.errors.SimulationError`
gives both reasons, and the trial runner records the patient as failed (:mod:`stat3qsp.trial.simulate`).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

from stat3qsp.trial import envelope_inputs, envelope_patient, multiscale
from stat3qsp.model.catalog import DEFAULT_MODELS_DIR
from stat3qsp.errors import InputError, SimulationError
from stat3qsp.model.integrate import integrate, output_times
from stat3qsp.model.simulator import PREEQUILIBRATION_HOURS, Model, load_model, model_constants
from stat3qsp.trial.doubling import rate_scale_for
from stat3qsp.trial.population import PopulationModel, candidate_values, is_plausible, read_population, within_bounds
from stat3qsp.trial.spec_types import BodyWeight
from stat3qsp.trial.regimen import read_regimen_map, off_values
from stat3qsp.trial.names import (VARIANT, SLD, LOG_RATIO, GROWTH_RATE, UNTREATED_GROWTH_RATE, BASELINE, RATE_SCALE,
                                  DOUBLING, HOURS_PER_WEEK, DEFAULT_METHOD, METHODS)

TRIAL_RELATIVE_TOLERANCE = 1e-4
"""Relative tolerance of trial simulations (SLD within 0.03 mm of a 1e-10 run; module docstring)."""
TRIAL_ABSOLUTE_TOLERANCE = 1e-8
"""Absolute tolerance of trial simulations (nM, mm)."""
TRIAL_MAX_STEPS = 100_000
"""Most integrator steps to one output time of trial simulations (CVODE ``mxstep``; the value
:func:`stat3qsp.model.build_model` sets)."""
ENVELOPE_TOLERANCE_FACTOR = 10.0
"""Periods the envelope method simulates use tolerances this much tighter than a full integration."""
FAST_INTERVAL_MAX_H = 48.0
"""Drugs dosed at least this often (h) make the fast period of the envelope method; others are slow."""
RETRY_TOLERANCE_FACTOR = 100.0
"""A patient whose integration fails is simulated again with tolerances this much tighter."""
RETRY_MAX_STEPS_FACTOR = 10
"""... and this many times the integrator steps (module docstring, Failures)."""
FINE_SETTINGS = envelope_inputs.EnvelopeSettings(tolerance=5e-5, max_span_h=504.0)
"""Error control of the envelope's dosing-period level (:class:`stat3qsp.envelope_inputs.EnvelopeSettings`)."""
COARSE_SETTINGS = envelope_inputs.EnvelopeSettings(tolerance=5e-5, max_span_h=26 * HOURS_PER_WEEK, contraction=0.1)
"""Error control of the envelope's long-interval (trastuzumab cycle) level: a cycle forgets its start
state within its first dosing periods, so the cycle map contracts strongly (``rho`` 0.1 assumed)."""


@dataclass
class VirtualPatient:
    """An accepted virtual patient in one context.

    Attributes
    ----------
    context
        Model context the patient's cells belong to.
    values
        Sampled parameter values (``models/population.yaml``).
    body_weight_kg
        Body weight, for mg/kg doses.
    untreated_growth_rate
        ``g0``: the untreated steady-state net growth rate of the patient's cells (per hour).
    draws
        Candidates drawn until this one was accepted.
    state
        Species amounts at the untreated steady state (the pre-treatment state).
    rate_scale_rejections
        Of those candidates, how many were rejected because the growth scale that their drawn doubling time
        needs (``ln 2 / (3 g0 D)``) lies outside ``tumour_rate_scale``'s table bounds.
    """

    context: str
    values: dict[str, float]
    body_weight_kg: float
    untreated_growth_rate: float
    draws: int
    state: np.ndarray = field(repr=False)
    rate_scale_rejections: int = 0

    @property
    def baseline_sld_mm(self) -> float:
        """Baseline SLD (mm)."""
        return self.values[BASELINE]


_T = TypeVar("_T")


class PatientSimulator:
    """Simulations of virtual patients with one compiled patient model.

    Parameters
    ----------
    models_dir
        The models folder.
    relative_tolerance, absolute_tolerance
        Integrator tolerances of every simulation of this simulator (the envelope method divides
        them by :data:`ENVELOPE_TOLERANCE_FACTOR`; a retry by :data:`RETRY_TOLERANCE_FACTOR`).
    method
        Default method of :meth:`scans` (:data:`METHODS`; None: :data:`DEFAULT_METHOD`).
    """

    def __init__(self, models_dir: Path | str = DEFAULT_MODELS_DIR,
                 relative_tolerance: float = TRIAL_RELATIVE_TOLERANCE,
                 absolute_tolerance: float = TRIAL_ABSOLUTE_TOLERANCE,
                 method: str | None = None):
        self.method = _check_method(DEFAULT_METHOD if method is None else method)
        self.model: Model = load_model(models_dir, variant=VARIANT)
        self.models_dir = Path(models_dir)
        self.population: PopulationModel = read_population(self.model.catalog.models_dir / "population.yaml",
                                                           self.model.parameters)
        self.regimens = read_regimen_map(self.model.catalog.models_dir)
        self.tolerances = (float(relative_tolerance), float(absolute_tolerance))
        self.max_steps = TRIAL_MAX_STEPS  # per output time; a retry allows RETRY_MAX_STEPS_FACTOR times more
        self._constants = model_constants(self.model)
        unknown = (set(self.population.parameter_ids) | self.regimens.parameter_ids()) - set(self._constants)
        if unknown:
            raise InputError(f"parameter(s) {sorted(unknown)} of models/population.yaml or models/pk/regimens.yaml "
                             "are not constants of the patient model")
        self._off = off_values(self.regimens)
        self._parameter_index = {pid: i for i, pid in enumerate(self.model.runner.model.getGlobalParameterIds())}
        self._context_values: dict[str, dict[str, float]] = {}
        self._overrides: dict[str, float] = {}
        species = list(self.model.runner.model.getFloatingSpeciesIds())
        self._segment = envelope_inputs.roadrunner_segment(self.model.runner, species, LOG_RATIO)
        self.last_statistics: tuple[envelope_inputs.EnvelopeStatistics, ...] = ()
        """Statistics of the levels of the last envelope integration (empty after another method)."""
        self.retried: list[str] = []
        """Reasons of the failed first attempts of retried integrations (module docstring, Failures), oldest
        first; clear it to follow one patient (:func:`stat3qsp.trial.simulate_patient` does)."""

    def set_overrides(self, overrides: dict[str, float]) -> None:
        """Replace table values (after the context's) for every later patient, e.g. the population
        medians of ``tumour_rate_scale`` and ``tumour_kill_scale`` during calibration
        (:mod:`stat3qsp.calibration.tumour`)."""
        unknown = sorted(set(overrides) - set(self._constants))
        if unknown:
            raise InputError(f"override(s) {unknown} are not constants of the patient model")
        self._overrides = {k: float(v) for k, v in overrides.items()}
        self._context_values.clear()

    # -- values -------------------------------------------------------------------------------
    def context_values(self, context: str) -> dict[str, float]:
        """Every model constant in *context*: table values with the context's overrides (and
        :meth:`set_overrides`)."""
        if context not in self._context_values:
            overrides = self.model.catalog.context(context).parameters
            values = {pid: overrides.get(pid, self.model.parameters[pid].value) for pid in self._constants}
            self._context_values[context] = {**values, **self._overrides}
        return self._context_values[context]

    def _prepare(self, context: str, updates: tuple[dict[str, float], ...], tolerances: tuple[float, float] | None,
                 max_steps: int | None) -> dict[str, float]:
        """Set the integrator's settings; the values to set: *context*'s, then each of *updates* in turn."""
        integrator = self.model.runner.getIntegrator()
        relative, absolute = tolerances or self.tolerances
        integrator.setValue("relative_tolerance", relative)
        integrator.setValue("absolute_tolerance", absolute)
        integrator.setValue("maximum_num_steps", int(max_steps or self.max_steps))
        values = dict(self.context_values(context))
        for update in updates:
            values.update(update)
        return values

    def _apply(self, context: str, *updates: dict[str, float], tolerances: tuple[float, float] | None = None,
               max_steps: int | None = None) -> None:
        runner = self.model.runner
        values = self._prepare(context, updates, tolerances, max_steps)
        # one call for all (the same values as runner.setValue of each, 60x cheaper; tests/unit/test_envelope_patient.py)
        index = self._parameter_index
        runner.model.setGlobalParameterValues(np.fromiter((index[k] for k in values), np.int32, len(values)),
                                              np.fromiter(values.values(), float, len(values)))

    # -- failures -----------------------------------------------------------------------------
    def _retrying(self, what: str, attempt: Callable[[tuple[float, float], int], _T]) -> _T:
        """``attempt(tolerances, max_steps)`` at this simulator's settings; if it raises
        RuntimeError (an integrator error or a non-finite result), again at the retry's settings
        (module docstring, Failures). SimulationError with both reasons if the retry fails too."""
        try:
            return attempt(self.tolerances, self.max_steps)
        except SimulationError:
            raise
        except RuntimeError as error:
            first = f"{what}: {_reason(error)}"
        self.retried.append(first)
        tighter = (self.tolerances[0] / RETRY_TOLERANCE_FACTOR, self.tolerances[1] / RETRY_TOLERANCE_FACTOR)
        steps = self.max_steps * RETRY_MAX_STEPS_FACTOR
        try:
            return attempt(tighter, steps)
        except RuntimeError as error:
            raise SimulationError(
                f"{first} (relative tolerance {self.tolerances[0]:g}, absolute {self.tolerances[1]:g}, "
                f"{self.max_steps} steps); retry: {_reason(error)} (relative tolerance {tighter[0]:g}, absolute "
                f"{tighter[1]:g}, {steps} steps)") from error

    # -- patients -----------------------------------------------------------------------------
    def preequilibrate(self, context: str, values: dict[str, float]) -> tuple[float, np.ndarray]:
        """Untreated steady state of a patient: ``(g0, species amounts)`` (module docstring, step 2).
        SimulationError if the integration fails or gives a non-finite rate or state, also when retried."""
        return self._retrying("pre-equilibration", lambda tolerances, steps:
                              self._preequilibrate(context, values, tolerances, steps))

    def _preequilibrate(self, context: str, values: dict[str, float], tolerances: tuple[float, float],
                        max_steps: int) -> tuple[float, np.ndarray]:
        self._apply(context, values, self._off, tolerances=tolerances, max_steps=max_steps)
        runner = self.model.runner
        runner.reset()
        growth = float(integrate(runner, output_times(0.0, PREEQUILIBRATION_HOURS), [GROWTH_RATE])[-1, 0])
        state = np.array(runner.model.getFloatingSpeciesAmounts(), dtype=float)
        if not np.isfinite(growth) or not np.all(np.isfinite(state)):
            raise RuntimeError(f"non-finite untreated growth rate or steady state in context {context}")
        return growth, state

    def draw_patient(self, context: str, rng: np.random.Generator, body_weight: BodyWeight) -> VirtualPatient:
        """Draw a plausible patient in *context* from *rng* (acceptance/rejection).

        Body weight is drawn first, then candidates (one standard normal deviate per distributed
        parameter each) until one has all values within the table bounds and passes the rules of
        ``models/population.yaml`` (untreated doubling time, baseline SLD); binary covariates keep the
        first candidate's values (:func:`~stat3qsp.trial.population.candidate_values`). Where the population
        draws the doubling time ``tumour_doubling_days`` (kind ``doubling_time``), the candidate's
        ``tumour_rate_scale`` is ``ln 2 / (3 g0 D)`` after its pre-equilibration
        (:mod:`stat3qsp.trial.doubling`); a candidate whose scale falls outside its table bounds is redrawn
        and counted (:attr:`VirtualPatient.rate_scale_rejections`).

        Raises
        ------
        InputError
            If no candidate in ``acceptance.max_draws`` is plausible (distributions contradict rules).
        SimulationError
            If a candidate's pre-equilibration fails, also when retried (:meth:`preequilibrate`).
        """
        weight = float(body_weight.sample(rng, 1)[0])
        centres = self.context_values(context)
        table = self.model.parameters
        deviates, covariates = self.population.deviate_source(rng), {}
        derived = DOUBLING in self.population.parameter_ids  # the growth scale follows from the drawn D
        outside = 0
        for draw in range(1, self.population.acceptance.max_draws + 1):
            values = candidate_values(self.population, centres, deviates(), covariates, context)
            if not within_bounds(values, table):
                continue
            growth, state = self.preequilibrate(context, values)
            if derived:
                values[RATE_SCALE] = rate_scale_for(values[DOUBLING], growth)
                if not within_bounds({RATE_SCALE: values[RATE_SCALE]}, table):
                    outside += 1  # a symptom (g0 far from the others'), counted, never clipped
                    continue
            if is_plausible(values, growth, self.population.acceptance, RATE_SCALE, BASELINE):
                return VirtualPatient(context, values, weight, growth, draw, state, outside)
        raise InputError(f"no plausible patient in {self.population.acceptance.max_draws} draws in context {context!r}; "
                         "accepted: distributions in models/population.yaml that meet its acceptance ranges")

    def start_treatment(self, patient: VirtualPatient, dosing: dict[str, float],
                        tolerances: tuple[float, float] | None = None, max_steps: int | None = None) -> None:
        """Put the runner at t = 0 of treatment: every value set, the pre-treatment state, SLD at
        baseline, and the integrator tolerances and steps (default :attr:`tolerances`,
        :attr:`max_steps`)."""
        self._apply(patient.context, patient.values, dosing, {UNTREATED_GROWTH_RATE: patient.untreated_growth_rate},
                    tolerances=tolerances, max_steps=max_steps)
        runner = self.model.runner
        runner.reset()
        runner.model.setFloatingSpeciesAmounts(patient.state)
        runner.setValue(LOG_RATIO, 0.0)
        runner.setValue("log_cells", 0.0)

    def scans(self, patient: VirtualPatient, dosing: dict[str, float], scan_hours: np.ndarray,
              stop=None, method: str | None = None) -> np.ndarray:
        """SLD (mm) at each scan time (h from the start of treatment).

        Parameters
        ----------
        patient
            From :meth:`draw_patient`.
        dosing
            From :func:`dosing_values`.
        scan_hours
            Increasing scan times > 0.
        stop
            Optional ``stop(baseline_mm, sld_so_far) -> bool``, asked after every scan; when it
            returns True (e.g. the scan shows progression) the later scans are not simulated.
        method
            One of :data:`METHODS` (module docstring); None for the simulator's :attr:`method`.

        Returns
        -------
        numpy.ndarray
            SLD per scan; NaN for scans after a stop.

        Raises
        ------
        SimulationError
            If the integration fails or gives a non-finite SLD, also when retried from the start
            with tighter settings (module docstring, Failures).
        """
        method = _check_method(self.method if method is None else method)
        scan_hours = np.asarray(scan_hours, dtype=float)
        if scan_hours.size and (scan_hours[0] <= 0 or np.any(np.diff(scan_hours) <= 0)):
            raise InputError(f"scan times {scan_hours.tolist()} h; accepted: increasing times > 0")
        simulate = {"envelope": self._envelope_scans, "multiscale": self._multiscale_scans, "full": self._scans}[method]
        return self._retrying("treatment", lambda tolerances, steps:
                              simulate(patient, dosing, scan_hours, stop, tolerances, steps))

    def _scans(self, patient, dosing, scan_hours, stop, tolerances, max_steps) -> np.ndarray:
        self.last_statistics = ()
        self.start_treatment(patient, dosing, tolerances, max_steps)
        runner = self.model.runner
        sld = np.full(scan_hours.size, np.nan)
        previous = 0.0
        for i, t in enumerate(scan_hours):
            sld[i] = integrate(runner, output_times(previous, float(t)), [SLD])[-1, 0]
            previous = float(t)
            envelope_patient.check_sld(sld[i], t)
            if stop is not None and stop(patient.baseline_sld_mm, sld[: i + 1]):
                break
        return sld

    def _multiscale_scans(self, patient, dosing, scan_hours, stop, tolerances, max_steps) -> np.ndarray:
        return multiscale.periodic_scans(self, patient, dosing, scan_hours, stop, tolerances, max_steps,
                                         FAST_INTERVAL_MAX_H, ENVELOPE_TOLERANCE_FACTOR)

    def _envelope_scans(self, patient, dosing, scan_hours, stop, tolerances, max_steps) -> np.ndarray:
        sld = self.envelope_course(patient, dosing, scan_hours, stop, tolerances, max_steps)
        return self._scans(patient, dosing, scan_hours, stop, tolerances, max_steps) if sld is None else sld

    def envelope_course(self, patient, dosing, scan_hours, stop, tolerances, max_steps, changes=None) -> np.ndarray | None:
        """The envelope method with this module's settings, optionally with dose *changes*; None where it does not
        apply (:func:`stat3qsp.trial.envelope_patient.envelope_scans`)."""
        return envelope_patient.envelope_scans(self, patient, dosing, scan_hours, stop, tolerances, max_steps,
                                               FAST_INTERVAL_MAX_H, ENVELOPE_TOLERANCE_FACTOR, FINE_SETTINGS,
                                               COARSE_SETTINGS, changes)

    def time_course(self, patient: VirtualPatient, dosing: dict[str, float], hours: float, points: int,
                    selections: tuple[str, ...] = ("SLD", "rux_conc", "tras_conc", "pSTAT3_fraction",
                                                   GROWTH_RATE)) -> pd.DataFrame:
        """Time course from the start of treatment to *hours* at *points* evenly spaced times.

        Returns
        -------
        pandas.DataFrame
            Columns ``time_h`` and *selections*.
        """
        if not hours > 0 or points < 2:
            raise InputError(f"need hours > 0 and points >= 2, got hours={hours!r}, points={points!r}")
        self.start_treatment(patient, dosing)
        result = integrate(self.model.runner, output_times(0.0, float(hours), int(points)), ["time", *selections])
        return pd.DataFrame(result, columns=["time_h", *selections])


def _reason(error: BaseException) -> str:
    """First line of an error message (roadrunner's run to several), at most 300 characters."""
    lines = str(error).strip().splitlines()
    return (lines[0] if lines else type(error).__name__)[:300]


def _check_method(method: str) -> str:
    if method not in METHODS:
        raise InputError(f"method = {method!r}; accepted: one of {', '.join(METHODS)}")
    return method


