"""Virtual clinical trials: every arm of a trial spec, replicated, compared with what was observed.

A replicate virtual trial enrols ``n_patients`` virtual patients per arm (the spec's number, or
``patients``) and follows each on the arm's regimen until the scan that shows progression, the end
of follow-up (``horizon_weeks``) or early discontinuation. Per patient (:func:`simulate_patient`):

- **Biology** (:mod:`stat3qsp.trial.population`, :mod:`stat3qsp.trial.patient`): body weight from the spec, the
  distributed parameters of ``models/population.yaml`` centred on the arm's context, accepted when
  plausible; the untreated steady state of the patient's cells is the pre-treatment state.
- **Trial conduct** (:func:`draw_conduct`): measurable disease (``population.measurable_disease_fraction``),
  early discontinuation with the spec's probability on average, uniform in time and before the patient's
  own first scan (``early_discontinuation``), informative where ``models/population.yaml`` says so (fast
  growers leave more often; the mean over accepted patients is the spec's, :mod:`stat3qsp.trial.dropout`), scans at the spec's
  schedule shifted by a uniform scan window (``scan_window_weeks``). Under ``analysis.early_clinical_progression:
  event`` an early leaver whose tumour would have progressed at the first scan has a PFS event when leaving.
- **Marrow toxicity** (:mod:`stat3qsp.trial.marrow_course`; arms with the spec's ``toxicity.drug``): blood
  counts from the patient's own PK before the tumour, the spec's dose rules at each count check; a dose that
  changes is what the tumour then sees (each change a restart of the method's periodic state), a hold past
  ``max_hold`` is an early discontinuation.
- **Assessment** (:mod:`stat3qsp.trial.recist`): RECIST 1.1 with the spec's thresholds and censoring on
  the simulated SLD. New lesions are not modelled, so progression is target-lesion growth only. A
  patient without measurable disease is followed through the same tumour burden, read as
  non-target disease: shrinkage is not measurable (the burden is read as at least its baseline), so
  the best response is SD (non-CR/non-PD) or PD, and no % change is reported.

Patients are the same in every arm of a replicate (patient ``i`` of replicate ``r`` has the random
streams ``(seed, r, i)``; common random numbers), so differences between arms are treatment
effects, not sampling noise. Results do not depend on ``workers``: every patient starts from a
reset model and its own streams, and the batch engine (:mod:`stat3qsp.compute.batch`; one compiled model
per worker process) returns them in patient order.

**Failed patients.** A patient whose integration fails, also when retried with tighter integrator
settings (:mod:`stat3qsp.trial.patient`, Failures), is kept with status ``failed`` and the reason
(:data:`stat3qsp.trial_columns.STATUS`, :data:`~stat3qsp.trial_columns.FAILURE_REASON`); one that
needed the retry has status ``retried``. A failed patient has no RECIST outcome (missing values in
the patients table, no rows in the SLD table) and is left out of every endpoint, which counts it
in ``n_failed`` (:mod:`stat3qsp.trial.endpoints`).

Endpoints (:mod:`stat3qsp.trial.endpoints`): per replicate and arm, the KM median PFS, 6-month PFS, ORR,
CBR and the KM median duration of response among responders (NaN in a replicate without
responders); across replicates their median and 90% prediction interval (over the replicates
where they are defined, counted in ``n_replicates``), compared with the spec's observed values
(none in a forward prediction). Observed values of the combination arm are validation data: nothing is fitted to
them (the tumour growth scale is calibrated on the historical control and the kill scale on the response
rate of first-line trastuzumab monotherapy, :mod:`stat3qsp.calibration.tumour`).
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from stat3qsp.trial import recist
from stat3qsp.trial import columns as tc
from stat3qsp.compute.batch import Batch, BatchStatistics
from stat3qsp.model.catalog import DEFAULT_MODELS_DIR
from stat3qsp.errors import InputError, SimulationError
from stat3qsp.trial.marrow_course import modified_scans, patient_course, toxicity_values
from stat3qsp.trial.patient import DEFAULT_METHOD, METHODS, PatientSimulator
from stat3qsp.trial.reading import assessed_sld, progressed_at_first_scan
from stat3qsp.trial.regimen import check_arms, dosing_values
from stat3qsp.trial.names import HOURS_PER_WEEK
from stat3qsp.trial.population import (CONDUCT_STREAM, PopulationModel, dropout_probability,
                                       patient_generator, volume_doubling_days)
from stat3qsp.trial.spec_types import Arm, TrialSpec
from stat3qsp.trial.dropout import accepted_intercept, growth_deviate
from stat3qsp.trial.draw_memory import DrawMemory

DEFAULT_HORIZON_WEEKS = 104.0
"""Follow-up of every virtual patient (2 years)."""

# Extra columns of the patients table (beyond trial_columns.PATIENT_COLUMNS).
MEASURABLE = tc.MEASURABLE
"""True if the patient has measurable disease (target lesions)."""
BASELINE_SLD = "baseline_sld_mm"
"""Baseline sum of longest diameters (mm)."""
BODY_WEIGHT = "body_weight_kg"
"""Body weight (kg)."""
DOUBLING_DAYS = "untreated_doubling_days"
"""Untreated tumour volume doubling time (days)."""
DRAWS = "draws"
"""Candidates drawn until the patient was accepted (0 if a candidate's pre-equilibration failed)."""
# Columns of the scan-level SLD table.
WEEK = "week"
"""Time of the scan, weeks from registration (0 = baseline)."""
SLD_MM = "sld_mm"
"""Simulated sum of longest diameters (mm)."""
PCT_CHANGE = "pct_change"
"""Change of SLD from baseline (%)."""
SLD_COLUMNS = (tc.REPLICATE, tc.ARM, tc.PATIENT, WEEK, SLD_MM, PCT_CHANGE, MEASURABLE)
"""Columns of the SLD table."""


@dataclass(frozen=True)
class TrialSettings:
    """How a virtual trial is run.

    Attributes
    ----------
    replicates
        Number of replicate virtual trials.
    seed
        Seed of every random stream.
    patients
        Patients per arm and replicate; None for each arm's ``n_patients`` from the spec.
    horizon_weeks
        Follow-up of every patient (weeks from registration).
    arms
        Names of the arms to run; None for all.
    follow_after_progression
        Simulate every scan up to the horizon, also after progression (SLD for plots, benchmarks);
        RECIST still counts scans only up to the first PD. Default: stop at PD.
    method
        How the tumour is integrated (:data:`stat3qsp.trial.patient.METHODS`; results depend on it).
    """

    replicates: int = 200
    seed: int = 1
    patients: int | None = None
    horizon_weeks: float = DEFAULT_HORIZON_WEEKS
    arms: tuple[str, ...] | None = None
    follow_after_progression: bool = False
    method: str = DEFAULT_METHOD

    def __post_init__(self) -> None:
        checks = (("replicates", self.replicates, 1, 100000), ("seed", self.seed, 0, 2 ** 63 - 1))
        for name, value, low, high in checks:
            if not isinstance(value, int) or not low <= value <= high:
                raise InputError(f"{name} = {value!r}; accepted: an integer in [{low}, {high}]")
        if self.patients is not None and (not isinstance(self.patients, int) or not 1 <= self.patients <= 100000):
            raise InputError(f"patients = {self.patients!r}; accepted: an integer in [1, 100000]")
        if not 1.0 <= self.horizon_weeks <= 1040.0:
            raise InputError(f"horizon_weeks = {self.horizon_weeks!r}; accepted: a number in [1, 1040]")
        if self.method not in METHODS:
            raise InputError(f"method = {self.method!r}; accepted: one of {', '.join(METHODS)}")


@dataclass(frozen=True)
class Conduct:
    """Trial conduct of one patient: measurable disease, time off study (NaN: none), scan times."""

    measurable: bool
    discontinuation_weeks: float
    scan_weeks: np.ndarray


@dataclass
class PatientRecord:
    """One simulated patient: identity, conduct, tumour sizes at the scans and key values.

    ``status`` is one of :data:`stat3qsp.trial_columns.SIMULATION_STATUSES`; ``failure_reason``
    says why an integration failed (module docstring), empty for ``ok``. A ``failed`` patient's
    SLD is NaN, and so are the values its failure left unknown (all but the conduct if the draw
    failed).
    """

    replicate: int
    arm: str
    patient: int
    conduct: Conduct
    baseline_sld_mm: float
    sld_mm: np.ndarray
    body_weight_kg: float
    doubling_days: float
    draws: int
    values: dict[str, float] = field(default_factory=dict)
    status: str = tc.OK
    failure_reason: str = ""
    clinical_progression: bool = False
    toxicity: dict[str, float] = field(default_factory=dict)


@dataclass
class TrialResult:
    """Tables of a virtual trial (see :func:`run_trial`) and what the batch that simulated it did."""

    patients: pd.DataFrame
    sld: pd.DataFrame
    replicate_endpoints: pd.DataFrame
    comparison: pd.DataFrame
    statistics: BatchStatistics | None = None


def draw_conduct(spec: TrialSpec, population: PopulationModel, rng: np.random.Generator,
                 horizon_weeks: float, growth_deviate: float = 0.0, intercept: float | None = None) -> Conduct:
    """Measurable disease, early discontinuation and scan times of one patient (module docstring).

    *growth_deviate* is the patient's standard normal deviate of the growth scale: with
    informative dropout the probability of leaving before the first scan rises with it (*intercept*:
    its log-odds at deviate 0, :func:`stat3qsp.trial.dropout.accepted_intercept`; None: solved on
    ``N(0, 1)``). The draws
    are made in a fixed order and number (one per scheduled scan), so a patient's conduct is the
    same in every arm (up to the growth deviate, the same wherever the patient is accepted with the
    same candidate).
    """
    scheduled = spec.assessment.scan_weeks(horizon_weeks)
    measurable = bool(rng.random() < spec.population.measurable_disease_fraction)
    early = spec.early_discontinuation
    leaves = bool(rng.random() < dropout_probability(early.fraction, population.dropout_growth_log_odds,
                                                     growth_deviate, intercept))
    share = float(rng.random())
    low, high = population.scan_window_weeks
    scans = scheduled + rng.uniform(low, high, size=scheduled.size)
    if scans.size and (scans[0] <= 0 or np.any(np.diff(scans) <= 0)):
        raise InputError(f"scan window {population.scan_window_weeks} weeks gives scan times {scans.tolist()}; "
                         "accepted: a window narrower than the scan interval and the first scan")
    last = min(early.time_max_weeks, float(scans[0])) if scans.size else early.time_max_weeks  # leave before it
    leave_time = early.time_min_weeks + share * max(0.0, last - early.time_min_weeks)
    return Conduct(measurable, leave_time if leaves else np.nan, scans)


def simulate_patient(simulator: PatientSimulator, spec: TrialSpec, arm: Arm, replicate: int, patient: int,
                     seed: int, horizon_weeks: float, follow_after_progression: bool = False,
                     draws: DrawMemory | None = None) -> PatientRecord:
    """Draw, dose and follow one virtual patient of one arm (module docstring).

    The simulation stops after the scan that shows progression (RECIST as assessed; unless
    *follow_after_progression*) and skips scans after early discontinuation. *draws* remembers the draws of
    earlier arms (:mod:`stat3qsp.trial.draw_memory`; the same patient either way). An integration that
    fails also when retried (:class:`~stat3qsp.errors.SimulationError`) gives a record with status
    ``failed`` and its reason; one that needed the retry, status ``retried``.
    """
    simulator.retried.clear()
    conduct_rng = patient_generator(seed, replicate, patient, CONDUCT_STREAM)
    try:
        virtual = (draws or DrawMemory(0)).draw(simulator, arm.context, spec.population.body_weight, seed, replicate,
                                                patient)
    except SimulationError as error:
        conduct = draw_conduct(spec, simulator.population, conduct_rng, horizon_weeks)
        return PatientRecord(replicate=replicate, arm=arm.name, patient=patient, conduct=conduct,
                             baseline_sld_mm=np.nan, sld_mm=np.full(conduct.scan_weeks.size, np.nan),
                             body_weight_kg=np.nan, doubling_days=np.nan, draws=0, status=tc.FAILED,
                             failure_reason=str(error))
    intercept = accepted_intercept(simulator, arm.context, spec.early_discontinuation.fraction,
                                   simulator.population.dropout_growth_log_odds)
    conduct = draw_conduct(spec, simulator.population, conduct_rng, horizon_weeks, growth_deviate(simulator, virtual),
                           intercept)
    dosing = dosing_values(arm, simulator.regimens, virtual.body_weight_kg)
    # the marrow to the horizon (the same dose course whatever the dropout; the counts count while on treatment)
    course, dose_id, start_id = patient_course(simulator, spec, arm, virtual, dosing, replicate, patient, seed,
                                               horizon_weeks * HOURS_PER_WEEK)
    if course is not None and not np.isnan(course.stop_h):  # toxicity discontinuation: an early leaver
        conduct = replace(conduct, discontinuation_weeks=float(np.fmin(conduct.discontinuation_weeks,
                                                                       course.stop_h / HOURS_PER_WEEK)))
    end_weeks = float(np.fmin(conduct.discontinuation_weeks, horizon_weeks))
    changes = [] if course is None else course.changes()

    def treat(hours: np.ndarray, stop=None) -> np.ndarray:  # the tumour on the dose the marrow allowed
        if changes:
            return modified_scans(simulator, virtual, dosing, hours, changes, dose_id, start_id, stop)
        return simulator.scans(virtual, dosing, hours, stop=stop)
    on_study = conduct.scan_weeks <= (np.inf if np.isnan(conduct.discontinuation_weeks) else conduct.discontinuation_weeks)
    rules = spec.recist

    def progressed(baseline: float, sld: np.ndarray) -> bool:
        read = assessed_sld(sld, baseline, conduct.measurable)
        return recist.classify_scans(baseline, read, rules=rules)[-1] == tc.PD

    sld = np.full(conduct.scan_weeks.size, np.nan)
    status, reason, clinical = tc.OK, "", False
    n_on = int(on_study.sum())
    if n_on:
        stop, hours = None if follow_after_progression else progressed, conduct.scan_weeks[:n_on] * HOURS_PER_WEEK
        try:
            sld[:n_on] = treat(hours, stop)
        except SimulationError as error:
            sld[:] = np.nan
            status, reason = tc.FAILED, str(error)
    elif spec.analysis.clinical_progression_is_event and conduct.scan_weeks.size:
        status, reason, clinical = _clinical_progression(treat, virtual, conduct, rules)
    if status == tc.OK and simulator.retried:
        status, reason = tc.RETRIED, "; ".join(simulator.retried)
    done = int(np.sum(~np.isnan(sld)))
    progression = done and (done < n_on or progressed(virtual.baseline_sld_mm, sld[:done]))
    off = conduct.scan_weeks[done - 1] if progression else end_weeks  # end of treatment, for the toxicity
    return PatientRecord(
        replicate=replicate, arm=arm.name, patient=patient, conduct=conduct,
        baseline_sld_mm=virtual.baseline_sld_mm, sld_mm=sld, body_weight_kg=virtual.body_weight_kg,
        doubling_days=volume_doubling_days(virtual.values["tumour_rate_scale"], virtual.untreated_growth_rate),
        draws=virtual.draws, values=dict(virtual.values), status=status, failure_reason=reason,
        clinical_progression=clinical,
        toxicity={} if course is None else toxicity_values(course, off * HOURS_PER_WEEK))


def _clinical_progression(treat, virtual, conduct: Conduct, rules: recist.RecistRules) -> tuple[str, str, bool]:
    """``(status, reason, progressed)`` of an early leaver: progressed if its tumour, treated on
    (``treat(hours)``: SLD at the scans), would have shown RECIST progression at the first scan
    (``progressed_by_first_scan``); that scan is not recorded."""
    try:
        first = treat(conduct.scan_weeks[:1] * HOURS_PER_WEEK)
    except SimulationError as error:
        return tc.FAILED, str(error), False
    return tc.OK, "", progressed_at_first_scan(virtual.baseline_sld_mm, first, conduct.measurable, rules)


# -- running ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TrialWorkerSetup:
    """What a worker of :func:`simulate_trial` needs (picklable); :meth:`build` compiles the patient
    model once per worker process."""

    models_dir: str
    spec: TrialSpec
    settings: TrialSettings
    overrides: tuple[tuple[str, float], ...] = ()

    def build(self) -> tuple[PatientSimulator, TrialSpec, TrialSettings, DrawMemory]:
        """The worker's simulator (with the overrides), spec, settings and memory of draws."""
        simulator = PatientSimulator(self.models_dir, method=self.settings.method)
        simulator.set_overrides(dict(self.overrides))
        return simulator, self.spec, self.settings, DrawMemory()


def _simulate_item(worker: tuple[PatientSimulator, TrialSpec, TrialSettings, DrawMemory],
                   item: tuple[str, int, int]) -> PatientRecord:
    """Batch function: patient ``item = (arm, replicate, patient)``."""
    simulator, spec, settings, draws = worker
    arm_name, replicate, patient = item
    return simulate_patient(simulator, spec, spec.arm(arm_name), replicate, patient, settings.seed,
                            settings.horizon_weeks, settings.follow_after_progression, draws)


def is_failed(record: PatientRecord) -> bool:
    """True for a patient whose simulation failed (the batch's failure count)."""
    return record.status == tc.FAILED


def trial_batch(spec: TrialSpec, settings: TrialSettings, workers: int = 1,
                models_dir: Path | str = DEFAULT_MODELS_DIR, overrides: dict[str, float] | None = None,
                replicates: Sequence[int] | None = None,
                progress: bool | str = "auto") -> tuple[Batch, Iterator[tuple[str, int, int]], int]:
    """The batch of :func:`simulate_trial` (arguments as there, arms checked), its items
    ``(arm, replicate, patient)`` in output order (a generator) and their number."""
    arms = selected_arms(spec, settings)
    check_arms(arms, models_dir)
    chosen = check_replicates(settings, replicates)
    setup = TrialWorkerSetup(str(Path(models_dir).resolve()), spec, settings, tuple(sorted((overrides or {}).items())))
    batch = Batch(setup, _simulate_item, workers, progress=progress, description=f"{spec.id} virtual patients",
                  unit="patients", failed=is_failed)
    counts = [(arm.name, settings.patients or arm.n_patients) for arm in arms]
    items = ((name, replicate, i) for replicate in chosen for name, n in counts for i in range(n))
    return batch, items, len(chosen) * sum(n for _, n in counts)


def simulate_trial(spec: TrialSpec, settings: TrialSettings, workers: int = 1,
                   models_dir: Path | str = DEFAULT_MODELS_DIR,
                   overrides: dict[str, float] | None = None,
                   replicates: Sequence[int] | None = None,
                   progress: bool | str = "auto") -> list[PatientRecord]:
    """Simulate every patient of every replicate and selected arm (arguments as :func:`trial_batch`:
    *workers* processes of :class:`stat3qsp.compute.batch.Batch`, results the same for any number;
    *overrides* as :meth:`stat3qsp.trial.patient.PatientSimulator.set_overrides`; *replicates* the
    replicate numbers of a shard, None for all). Returns the records sorted by replicate, arm (the
    order of the selected arms) and patient; failed patients included (module docstring)."""
    batch, items, total = trial_batch(spec, settings, workers, models_dir, overrides, replicates, progress)
    return batch.map(items, total)


def check_replicates(settings: TrialSettings, replicates: Sequence[int] | None) -> list[int]:
    """The replicate numbers of a shard, sorted; all of ``range(settings.replicates)`` for None.
    InputError naming a number outside that range."""
    if replicates is None:
        return list(range(settings.replicates))
    chosen = sorted(set(int(r) for r in replicates))
    outside = [r for r in chosen if not 0 <= r < settings.replicates]
    if outside:
        raise InputError(f"replicate {outside[0]} of a shard; accepted: integers in [0, {settings.replicates - 1}]")
    return chosen


def selected_arms(spec: TrialSpec, settings: TrialSettings) -> list[Arm]:
    """The arms to run, in spec order; InputError naming an unknown arm."""
    if settings.arms is None:
        return list(spec.arms)
    return [spec.arm(name) for name in settings.arms]


