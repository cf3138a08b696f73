"""Names of the patient model (patient variant) that the trial code reads and sets: its tumour
variables and clinical scales (models/tumour/sld.ant), and the time units of trials."""
from __future__ import annotations



METHODS = ("envelope", "multiscale", "full")
"""Methods of :meth:`stat3qsp.trial.patient.PatientSimulator.scans`: envelope (:mod:`.envelope`), multiscale
(:mod:`.multiscale`), full (every dose integrated; the reference)."""
DEFAULT_METHOD = "envelope"
"""Method of a simulator made without one (and of ``stat3qsp trial`` and the config)."""
DEFAULT_REPLICATES = 100
"""Replicate virtual trials per spec when none are given (command line and config default)."""


VARIANT = "patient"
"""Catalog variant with the PK, clamp and tumour modules."""


SLD = "SLD"
"""Model variable of the tumour size (mm)."""


LOG_RATIO = "SLD_log_ratio"
"""Model state ln(SLD / baseline) of the tumour module."""


GROWTH_RATE = "net_growth_rate"
"""Model variable of the cells' net growth rate (per hour, culture scale)."""


UNTREATED_GROWTH_RATE = "tumour_untreated_growth_rate"
"""Model parameter that takes the patient's untreated steady-state growth rate g0."""


BASELINE = "tumour_SLD_baseline"
"""Model parameter of the baseline SLD (mm), sampled per patient."""


RATE_SCALE = "tumour_rate_scale"
"""Model parameter of the in-vitro -> clinical scale of the untreated growth rate (per patient
``ln 2 / (3 g0 D)`` from its drawn doubling time :data:`DOUBLING`, :mod:`stat3qsp.trial.doubling`)."""


DOUBLING = "tumour_doubling_days"
"""Model parameter of the untreated tumour volume doubling time (days): drawn per patient, its population
median calibrated (``models/calibrated/tumour.tsv``)."""


KILL_SCALE = "tumour_kill_scale"
"""Model parameter of the in-vitro -> clinical scale of the drug effect on the growth rate."""


RESISTANCE = "tumour_resistance_k"
"""Model parameter of the resistance rate (per hour) that fades the drug effect."""


HOURS_PER_DAY = 24.0


HOURS_PER_WEEK = 168.0
