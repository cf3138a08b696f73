"""The typed parts of a trial spec (doses, regimens, arms, endpoints, population, design, conduct), as
:func:`stat3qsp.trial.spec.load_trial_spec` returns them."""
from __future__ import annotations

import math
from dataclasses import dataclass
import numpy as np
from stat3qsp.errors import InputError
from stat3qsp.trial.recist import RecistRules
from stat3qsp.trial.toxicity_rules import DEFAULT_TOXICITY, ToxicityRules


@dataclass(frozen=True)
class Dose:
    """A dose per administration.

    Attributes
    ----------
    amount
        Amount in ``unit``.
    unit
        ``mg`` (flat), ``mg/kg`` (per body weight) or ``mg/m2`` (per body surface area).
    """

    amount: float
    unit: str

    def amount_mg(self, body_weight_kg: float | None = None, body_surface_m2: float | None = None) -> float:
        """Absolute dose in mg: ``amount``, ``amount * weight`` or ``amount * surface``.

        Raises
        ------
        InputError
            If the dose is per kg or per m2 and the weight or surface is missing or not positive.
        """
        if self.unit == "mg":
            return self.amount
        scale, name = ((body_weight_kg, "body_weight_kg") if self.unit == "mg/kg"
                       else (body_surface_m2, "body_surface_m2"))
        if scale is None or not scale > 0:
            raise InputError(f"{name} = {scale!r} for a dose of {self.amount:g} {self.unit}; "
                             "accepted: a number > 0")
        return self.amount * scale


@dataclass(frozen=True)
class Interval:
    """A length of time.

    Attributes
    ----------
    hours
        Length in hours.
    """

    hours: float

    @property
    def days(self) -> float:
        """Length in days (24 h)."""
        return self.hours / 24.0

    @property
    def weeks(self) -> float:
        """Length in weeks (168 h)."""
        return self.hours / 168.0


@dataclass(frozen=True)
class LoadingDose:
    """A first dose that differs from the maintenance dose, given when the patient had no dose of
    the drug within ``no_prior_dose_within_days`` days (``condition`` says it in words)."""

    dose: Dose
    condition: str
    no_prior_dose_within_days: int


@dataclass(frozen=True)
class DrugRegimen:
    """How one drug is given in an arm.

    ``schedule`` is ``continuous`` (every ``interval`` from ``start_day`` without breaks) or
    ``cycle`` (on ``start_day`` of every cycle; ``interval`` equals the cycle length). Day 1 is the
    day of registration.
    """

    drug: str
    dose: Dose
    route: str
    interval: Interval
    schedule: str
    start_day: int
    loading_dose: LoadingDose | None = None


@dataclass(frozen=True)
class TargetInhibition:
    """A model target clamped at ``fraction`` inhibition from ``start_day`` on (counterfactual)."""

    target: str
    fraction: float
    start_day: int


@dataclass(frozen=True)
class Endpoint:
    """An observed endpoint of an arm.

    Attributes
    ----------
    name
        One of :data:`stat3qsp.trial_columns.ENDPOINT_NAMES`.
    observed
        Point estimate (weeks for median PFS, a fraction for rates).
    lo, hi
        95% confidence limits, None if not reported and not derivable.
    role
        ``calibration`` (used to fit the model) or ``validation`` (held out).
    source
        Where the value comes from.
    approximate
        True if rounded or from a secondary summary.
    count, n
        For rates, the number of patients with the outcome and the denominator (None if not given).
    """

    name: str
    observed: float
    lo: float | None
    hi: float | None
    role: str
    source: str
    approximate: bool = False
    count: int | None = None
    n: int | None = None


@dataclass(frozen=True)
class ObservedKM:
    """An arm's observed Kaplan-Meier PFS curve (step function): ``survival[i]`` from
    ``weeks[i]`` to ``weeks[i + 1]``."""

    weeks: tuple[float, ...]
    survival: tuple[float, ...]
    source: str


@dataclass(frozen=True)
class Arm:
    """One arm of a trial.

    ``counterfactual`` arms are what-if arms with no observed outcome and carry a ``rationale``;
    the others have observed ``endpoints`` (from the trial, or the historical control of its
    design). ``context`` is resolved: the arm's own, else the population's.
    """

    name: str
    description: str
    counterfactual: bool
    rationale: str | None
    context: str
    n_patients: int
    drugs: tuple[DrugRegimen, ...]
    target_inhibition: tuple[TargetInhibition, ...]
    endpoints: tuple[Endpoint, ...]
    observed_km: ObservedKM | None = None

    def endpoint(self, name: str) -> Endpoint | None:
        """The observed endpoint ``name``, or None if the arm has none."""
        return next((e for e in self.endpoints if e.name == name), None)


@dataclass(frozen=True)
class Citation:
    """The publication a spec follows (``registry_id`` None for an unregistered trial)."""

    authors: str
    title: str
    journal: str
    year: int
    registry_id: str | None = None
    volume: str | None = None
    pages: str | None = None
    doi: str | None = None
    pmid: str | None = None


@dataclass(frozen=True)
class RegistryRecord:
    """The registry record a forward prediction follows; ``registry_id`` None if not given."""

    registry: str
    title: str
    registry_id: str | None
    source: str


@dataclass(frozen=True)
class BodyWeight:
    """Normal body-weight distribution (kg) truncated to ``[min_kg, max_kg]``."""

    mean_kg: float
    sd_kg: float
    min_kg: float
    max_kg: float
    source: str

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw ``size`` body weights (kg) from the truncated normal with ``rng``."""
        if self.sd_kg == 0:
            return np.full(size, self.mean_kg)
        from scipy import stats  # here, not at the top: reading a spec (the workflow's DAG) needs no scipy

        a, b = (self.min_kg - self.mean_kg) / self.sd_kg, (self.max_kg - self.mean_kg) / self.sd_kg
        return stats.truncnorm.rvs(a, b, loc=self.mean_kg, scale=self.sd_kg, size=size, random_state=rng)


@dataclass(frozen=True)
class Population:
    """Who was enrolled; ``context`` names the model context that represents them."""

    description: str
    context: str
    body_weight: BodyWeight
    measurable_disease_fraction: float
    hr_positive_fraction: float | None
    source: str


@dataclass(frozen=True)
class HazardRatio:
    """Observed PFS hazard ratio of ``experimental_arm`` against the design's ``control_arm``
    (``design.pfs_hazard_ratio``), predicted per replicate trial by :mod:`stat3qsp.trial.hazard_ratio`."""

    experimental_arm: str
    control_arm: str
    observed: float
    lo: float | None
    hi: float | None
    role: str
    source: str


@dataclass(frozen=True)
class Design:
    """Design and sample-size assumptions; fields a forward prediction's record does not give are
    None."""

    phase: str | None
    planned_sample_size: int
    enrolled: int | None
    evaluable: int | None
    primary_endpoint: str
    historical_control_median_pfs_weeks: float | None
    historical_control_treatment: str | None
    historical_control_source: str | None
    target_median_pfs_weeks: float | None
    alpha: float | None
    sided: str | None
    power: float | None
    source: str
    control_arm: str | None = None
    pfs_hazard_ratio: HazardRatio | None = None


@dataclass(frozen=True)
class DoseEscalation:
    """Phase I dose levels of ``drug`` and the recommended phase II dose."""

    drug: str
    method: str
    levels: tuple[Dose, ...]
    interval: Interval
    starting_level: Dose
    recommended_phase2_dose: Dose
    target_dlt_rate: float
    dlt_window: Interval
    source: str


@dataclass(frozen=True)
class Assessment:
    """Tumour assessment schedule (times from registration)."""

    method: str
    first_scan: Interval
    scan_interval: Interval
    source: str

    def scan_weeks(self, horizon_weeks: float) -> np.ndarray:
        """Scheduled post-baseline scan times (weeks) up to and including ``horizon_weeks``."""
        first, step = self.first_scan.weeks, self.scan_interval.weeks
        if horizon_weeks < first:
            return np.empty(0)
        return first + step * np.arange(int(math.floor((horizon_weeks - first) / step + 1e-9)) + 1)


@dataclass(frozen=True)
class Censoring:
    """PFS censoring rules (names as in the schema; :mod:`stat3qsp.trial.recist` implements them)."""

    discontinued_before_first_scan: str
    otherwise: str
    death: str
    progression_date: str
    source: str


@dataclass(frozen=True)
class EarlyDiscontinuation:
    """Patients leaving before the first scan without radiographic progression.

    ``fraction`` of ``population`` (``count`` of ``denominator``); time of leaving uniform on
    ``[time_min_weeks, time_max_weeks]``.
    """

    count: int
    denominator: int
    fraction: float
    population: str
    reasons: str
    time_min_weeks: float
    time_max_weeks: float
    time_source: str
    source: str


@dataclass(frozen=True)
class Analysis:
    """The spec's ``analysis``: whether early clinical progression is a PFS event (``event``) or
    censored (``censored``), which early leavers are clinical progressions (``model``), and the
    analysis populations (``treated``, optionally ``evaluable``) whose endpoints are computed."""

    early_clinical_progression: str = "censored"
    model: str = "progressed_by_first_scan"
    populations: tuple[str, ...] = ("treated",)
    source: str = "default: no analysis section in the spec"

    @property
    def clinical_progression_is_event(self) -> bool:
        """True if an early clinical progression ends PFS in an event."""
        return self.early_clinical_progression == "event"


@dataclass(frozen=True)
class TrialSpec:
    """A validated, parsed trial specification.

    ``citation`` is the publication of a replication (None for a forward prediction, which has a
    ``registry_record`` instead); ``follow_up`` the endpoints' time frame, if the spec gives one.
    """

    id: str
    title: str
    citation: Citation | None
    population: Population
    design: Design
    cycle_length: Interval
    dose_escalation: DoseEscalation | None
    assessment: Assessment
    recist: RecistRules
    censoring: Censoring
    early_discontinuation: EarlyDiscontinuation
    arms: tuple[Arm, ...]
    purpose: str = "replication"
    registry_record: RegistryRecord | None = None
    follow_up: Interval | None = None
    analysis: Analysis = Analysis()
    toxicity: ToxicityRules = DEFAULT_TOXICITY

    @property
    def forward_prediction(self) -> bool:
        """True if the trial's outcome is not known (no observed endpoint; every value predicted)."""
        return self.purpose == "forward_prediction"

    def arm(self, name: str) -> Arm:
        """The arm called ``name``; InputError if there is none."""
        arms = {arm.name: arm for arm in self.arms}
        if name not in arms:
            raise InputError(f"arm {name!r} is not in trial {self.id}; accepted: {', '.join(arms)}")
        return arms[name]
