"""The outputs of the sensitivity analysis: synergy of a drug pair and endpoints of a virtual trial,
as functions of parameter values.

Each family is a frozen, picklable *setup*; ``setup.build()`` compiles the model (once per worker
process) and returns an evaluator ``values -> {output: value}`` with the output names in
``evaluator.outputs``. Every evaluation pre-equilibrates again: a new parameter vector has its
own untreated steady state.

**Synergy** (:class:`SynergySetup`). In each context, the ``n x n`` dose matrix of the pair (zero
and ``n - 1`` log-spaced free concentrations of each drug) at the assay time, with the cells
brought to the untreated steady state of the parameter vector first. Viability is scored as %
inhibition ``100 - viability_pct`` (SynergyFinder's convention) and summarised as the mean score
over the wells with both drugs (:func:`stat3qsp.synergy.score_matrix`):

- Bliss: ``I_ref = I_r + I_c - I_r I_c / 100`` from the single-drug wells of the matrix. These
  are the model's own noise-free responses at those doses, so the fitted and exact reference
  modes of the synergy stage give the same Bliss score;
- Loewe, **fitted** mode: the reference solves ``c_r / X_r(I) + c_c / X_c(I) = 1`` with ``X`` the
  inverse of LL.4 curves fitted to the matrix's own single-drug row and column (SynergyFinder's
  way). The exact mode inverts the model's single-drug curve by nested root finding, about 40
  times the cost; on the 6 x 6 trastuzumab x ruxolitinib matrices the two differ by about 0.01
  (scores of 3-5).

**Trial** (:class:`TrialSetup`). One virtual trial of ``patients`` patients on one arm of a trial
spec, with the patients of one replicate of a fixed seed (common random numbers: every parameter
vector gets the same random streams, so differences between samples are parameter effects, not
sampling noise), assessed as the trial runner does (:mod:`stat3qsp.trial.simulate`); outputs are the
Kaplan-Meier median PFS, 6-month PFS, ORR and CBR of that trial.

The growth median ``tumour_doubling_days`` (the median untreated volume doubling time, each patient's
drawn on its window: :mod:`stat3qsp.trial.doubling`) is calibrated jointly with the kill scale
``tumour_kill_scale`` (:mod:`stat3qsp.calibration.tumour`), with the table's parameters. Since the
doubling time is drawn (2026-12-07), other signalling parameters no longer change the patients' untreated
growth (a patient's growth scale is ``ln 2 / (3 g0 D)``, whatever ``g0``); they still change the drug
effect, which would move the control arm away from its calibration. ``growth_scale``:

- ``fixed``: the calibrated median is kept;
- ``rescaled``: the median is shifted so that the log-SLD growth ``L(T) = ln(SLD(T) / SLD(0))`` of the
  calibration arm's *reference patient* (every distributed parameter at its deviate 0: the median of its
  distribution, mean body weight, the arm's regimen) at ``T`` (the historical control's median PFS, 8
  weeks) keeps its value at the table parameters (:class:`GrowthScale`). ``L(T) = c / D + k E(T)``
  (``c = ln 2 T / 3``, ``D`` the reference patient's doubling time, ``E`` the drug effect, which does not
  depend on ``D``), so one simulation at the sample's values gives the doubling time exactly:
  ``c / D' = c / D + L_table(T) - L_sample(T)``, and the median whose reference (deviate 0) doubling time is
  ``D'`` is found by Brent's method. This is a one-patient, closed-form stand-in for recalibrating every
  sample (:func:`stat3qsp.calibration.store.calibrate_tumour`); until 2026-12-07 it shifted the growth scale
  itself (the untreated growth then moved with ``g0``), and its agreement with full recalibrations was
  measured for that form only. A sample whose reference patient needs a doubling time outside the window
  (or whose untreated cells do not grow) has no such median; its trial outputs are NaN.

The kill scale is kept at its calibrated value in every sample (both modes): recalibrating it would
need the first-line arm's ORR, i.e. simulations of hundreds of patients, per sample; and the
trastuzumab-sensitive arm it is calibrated on is not what the trial family simulates. The
sensitivity analysis holds it, like the growth scale (:func:`stat3qsp.sensitivity.held_parameters`).
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import brentq

from stat3qsp.trial import endpoints as ep
from stat3qsp.trial import columns as tc
from stat3qsp.calibration.tumour import CALIBRATION_ARM
from stat3qsp.model.catalog import DEFAULT_MODELS_DIR
from stat3qsp.errors import InputError
from stat3qsp.model.simulator import ContextSimulator, load_model
from stat3qsp.trial.patient import PatientSimulator, VirtualPatient
from stat3qsp.model.simulator import model_constants
from stat3qsp.trial.regimen import dosing_values
from stat3qsp.trial.doubling import rate_scale_for
from stat3qsp.trial.names import DOUBLING, HOURS_PER_WEEK, RATE_SCALE
from stat3qsp.model.readouts import VIABILITY
from stat3qsp.assay.synergy.scores import BLISS, FITTED, LOEWE, score_matrix
from stat3qsp.trial.simulate import simulate_patient
from stat3qsp.trial.assessment import assess
from stat3qsp.trial.spec import load_trial_spec
from stat3qsp.trial.spec_types import TrialSpec

GROWTH_SCALE_MODES = ("fixed", "rescaled")
"""Treatments of the calibrated growth scale (module docstring)."""
SYNERGY_METHODS = (BLISS, LOEWE)
"""Synergy summaries of the synergy family."""
TRIAL_ENDPOINTS = (tc.MEDIAN_PFS_WEEKS, tc.PFS_6MO, tc.ORR, tc.CBR)
"""Endpoints of the trial family."""


def output_name(setting: str, quantity: str) -> str:
    """``<context or arm>__<quantity>``, the name of an output."""
    return f"{setting}__{quantity}"


# -- synergy -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SynergySetup:
    """Bliss and Loewe (fitted) summaries of viability of one drug pair in some contexts.

    Attributes
    ----------
    contexts
        Contexts of ``models/catalog.yaml``.
    drug_row, drug_col
        The pair; ``conc_row`` and ``conc_col`` their free concentrations (nM), starting with 0.
    hours
        Assay time after drug addition (h).
    """

    contexts: tuple[str, ...]
    drug_row: str
    drug_col: str
    conc_row: tuple[float, ...]
    conc_col: tuple[float, ...]
    hours: float
    models_dir: str = str(DEFAULT_MODELS_DIR)

    @property
    def drugs(self) -> tuple[str, str]:
        """The two drugs."""
        return (self.drug_row, self.drug_col)

    def settable(self) -> set[str]:
        """Ids the cell model can set (its parameters and compartments)."""
        runner = load_model(self.models_dir).runner
        return set(runner.model.getGlobalParameterIds()) | set(runner.model.getCompartmentIds())

    def build(self) -> "SynergyOutputs":
        """Compile the model and return the evaluator."""
        return SynergyOutputs(self)


class SynergyOutputs:
    """Evaluator of a :class:`SynergySetup` (module docstring)."""

    def __init__(self, setup: SynergySetup):
        self.setup = setup
        self.model = load_model(setup.models_dir)
        for drug in setup.drugs:
            self.model.catalog.drug(drug)
        self.outputs = [output_name(c, m) for c in setup.contexts for m in SYNERGY_METHODS]

    def __call__(self, values: dict[str, float]) -> dict[str, float]:
        s = self.setup
        result = {}
        for context in s.contexts:
            cells = ContextSimulator(self.model, {**self.model.catalog.context(context).parameters, **values}, context)
            viability = np.array([[cells.assay({s.drug_row: r, s.drug_col: c}, s.hours)[VIABILITY] for c in s.conc_col]
                                  for r in s.conc_row])
            scores = score_matrix(s.conc_row, s.conc_col, 100.0 - viability, methods=SYNERGY_METHODS, reference=FITTED)
            result.update({output_name(context, m): scores.summary[m] for m in SYNERGY_METHODS})
        return result


# -- trial ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TrialSetup:
    """Endpoints of one arm of a virtual trial with common random numbers.

    Attributes
    ----------
    spec_path
        Trial spec (``trials/*.yaml``).
    arm
        The arm simulated.
    patients, seed, replicate
        Patients of the trial: the first *patients* of replicate *replicate* of *seed*.
    horizon_weeks
        Follow-up of every patient.
    growth_scale
        ``fixed`` or ``rescaled`` (module docstring).
    """

    spec_path: str
    arm: str
    patients: int
    seed: int
    horizon_weeks: float = 104.0
    growth_scale: str = "rescaled"
    models_dir: str = str(DEFAULT_MODELS_DIR)
    replicate: int = 0

    def __post_init__(self) -> None:
        if self.growth_scale not in GROWTH_SCALE_MODES:
            raise InputError(f"growth_scale = {self.growth_scale!r}; accepted: {', '.join(GROWTH_SCALE_MODES)}")
        if not isinstance(self.patients, int) or self.patients < 1:
            raise InputError(f"patients = {self.patients!r}; accepted: an integer >= 1")

    @property
    def drugs(self) -> tuple[str, ...]:
        """Drugs of the arm."""
        return tuple(d.drug for d in load_trial_spec(self.spec_path).arm(self.arm).drugs)

    @property
    def context(self) -> str:
        """Context of the arm."""
        return load_trial_spec(self.spec_path).arm(self.arm).context

    def settable(self) -> set[str]:
        """Ids the patient model can set (its constant parameters)."""
        return set(model_constants(load_model(self.models_dir, variant="patient")))

    def with_replicate(self, replicate: int) -> "TrialSetup":
        """The same setup with the patients of another replicate."""
        return dataclasses.replace(self, replicate=replicate)

    def build(self) -> "TrialOutputs":
        """Compile the patient model and return the evaluator."""
        return TrialOutputs(self)


class GrowthScale:
    """The growth-scale treatment of a trial spec (module docstring): the reference patient of the
    calibration arm and its log-SLD growth at the table values."""

    def __init__(self, simulator: PatientSimulator, spec: TrialSpec, mode: str):
        if mode not in GROWTH_SCALE_MODES:
            raise InputError(f"growth_scale = {mode!r}; accepted: {', '.join(GROWTH_SCALE_MODES)}")
        if spec.design.historical_control_median_pfs_weeks is None:
            raise InputError(f"trial spec {spec.id}: no design.historical_control.median_pfs_weeks to calibrate on")
        self.simulator, self.mode = simulator, mode
        self.arm = spec.arm(CALIBRATION_ARM)
        self.hours = spec.design.historical_control_median_pfs_weeks * HOURS_PER_WEEK
        self.body_weight_kg = spec.population.body_weight.mean_kg
        self.simulator.set_overrides({})
        self.value = self.simulator.context_values(self.arm.context)[DOUBLING]
        self.growth = self.log_growth({})[0] if mode == "rescaled" else np.nan

    def log_growth(self, values: dict[str, float]) -> tuple[float, float]:
        """``(L(T), c / D)`` of the reference patient with *values* (growth median: the table's unless
        *values* set it): its log-SLD growth ``ln(SLD(T) / SLD(0))`` over the calibration time ``T``
        and its untreated part ``c / D`` (``D`` its doubling time, module docstring).

        Raises
        ------
        InputError
            If the reference patient's untreated cells do not grow.
        """
        sim = self.simulator
        sim.set_overrides(values)
        centres = sim.context_values(self.arm.context)
        medians = {d.parameter_id: d.value(centres[d.parameter_id], 0.0, centres) for d in sim.population.distributions
                   if d.applies(self.arm.context)}
        g0, state = sim.preequilibrate(self.arm.context, medians)
        if not g0 > 0:
            raise InputError(f"the reference patient of {self.arm.name} does not progress (untreated growth rate "
                             f"{g0:.3g} per h): no growth median reproduces the historical control")
        medians[RATE_SCALE] = rate_scale_for(medians[DOUBLING], g0)
        patient = VirtualPatient(self.arm.context, medians, self.body_weight_kg, g0, 1, state)
        dosing = dosing_values(self.arm, sim.regimens, self.body_weight_kg)
        sld = sim.scans(patient, dosing, np.array([self.hours]))[0]
        return math.log(sld / patient.baseline_sld_mm), medians[RATE_SCALE] * g0 * self.hours

    def overrides(self, values: dict[str, float]) -> dict[str, float]:
        """*values* plus the growth median that goes with them (none for the table values).

        Raises
        ------
        InputError
            If no doubling time in the window gives the reference patient its calibrated growth.
        """
        if self.mode == "fixed" or not values:
            return dict(values)
        growth, untreated = self.log_growth(values)
        distribution = self.simulator.population.distribution(DOUBLING)
        used = values.get(DOUBLING, self.value)
        before = distribution.value(used, 0.0)
        needed = untreated + self.growth - growth  # c / D'
        low, high = distribution.window
        if not needed > 0 or not low < untreated * before / needed < high:
            raise InputError(f"the reference patient of {self.arm.name} does not progress at any doubling time in "
                             f"{low:g}-{high:g} days (the drug effect alone gives ln(SLD(T)/SLD(0)) = "
                             f"{growth - untreated:.3g}, calibrated growth {self.growth:.3g}): no growth median "
                             "reproduces the historical control")
        target = untreated * before / needed
        log_median = brentq(lambda x: math.log(distribution.value(math.exp(x), 0.0) / target), -20.0, 20.0,
                            xtol=1e-12)
        return {**values, DOUBLING: math.exp(log_median)}


class TrialOutputs:
    """Evaluator of a :class:`TrialSetup` (module docstring)."""

    def __init__(self, setup: TrialSetup):
        self.setup = setup
        self.spec = load_trial_spec(setup.spec_path)
        self.arm = self.spec.arm(setup.arm)
        self.simulator = PatientSimulator(Path(setup.models_dir))
        self.growth = GrowthScale(self.simulator, self.spec, setup.growth_scale)
        self.outputs = [output_name(setup.arm, e) for e in TRIAL_ENDPOINTS]

    def __call__(self, values: dict[str, float]) -> dict[str, float]:
        s = self.setup
        self.simulator.set_overrides(self.growth.overrides(values))
        records = [simulate_patient(self.simulator, self.spec, self.arm, s.replicate, i, s.seed, s.horizon_weeks)
                   for i in range(s.patients)]
        patients, _ = assess(records, self.spec)
        table = ep.trial_endpoints(patients).set_index(tc.ENDPOINT)
        return {output_name(s.arm, e): float(table.at[e, tc.VALUE]) for e in TRIAL_ENDPOINTS}
