"""Column names and category values of the virtual-trial output tables.

Import the module and use its constants (``from stat3qsp.trial import columns as tc``;
``df[tc.PFS_WEEKS]``); never star-import it. Three tables use these names:

patients table (one row per virtual patient, written by the trial simulator; the per-patient
RECIST columns come from :func:`stat3qsp.recist.assess_patients`, missing for a failed patient)
    ``replicate, arm, patient, pfs_weeks, event, best_response, best_pct_change,
    clinical_benefit, discontinued_early, n_scans, response_weeks, status, failure_reason``
endpoints table (one row per replicate trial, arm and endpoint; :func:`stat3qsp.endpoints.trial_endpoints`,
and the between-arm ``pfs_hazard_ratio`` of :mod:`stat3qsp.trial.hazard_ratio` on the experimental arm's rows)
    ``replicate, arm, endpoint, value, lo, hi, n_patients, n_failed``
comparison table (one row per arm and endpoint; :func:`stat3qsp.endpoints.comparison_table`)
    ``endpoint, arm, observed, observed_lo, observed_hi, predicted, predicted_lo,
    predicted_hi, p_pred_le_observed, p_pred_ge_observed, predictive_p, n_replicates, n_failed,
    consistent, role``
"""
from __future__ import annotations

# --- patients table -------------------------------------------------------------------------
REPLICATE = "replicate"
"""Index of the replicate virtual trial (0-based integer)."""
ARM = "arm"
"""Arm name, as in the trial spec (``arms[].name``)."""
PATIENT = "patient"
"""Index of the virtual patient within its replicate and arm (0-based integer)."""
PFS_WEEKS = "pfs_weeks"
"""Progression-free survival time in weeks from registration (event or censoring time)."""
EVENT = "event"
"""True if ``pfs_weeks`` ends in progression or death, False if it is censored."""
BEST_RESPONSE = "best_response"
"""RECIST 1.1 best overall response: one of :data:`RESPONSE_CATEGORIES`."""
BEST_PCT_CHANGE = "best_pct_change"
"""Most negative change of the sum of longest diameters from baseline, in percent (NaN without a scan)."""
CLINICAL_BENEFIT = "clinical_benefit"
"""True for CR or PR, or SD lasting longer than the trial's minimum (24 weeks in NCT02066532)."""
DISCONTINUED_EARLY = "discontinued_early"
"""True if the patient left the study (any reason, death included) before a post-baseline scan."""
N_SCANS = "n_scans"
"""Number of post-baseline scans that count for RECIST (done on study, up to the first PD)."""
RESPONSE_WEEKS = "response_weeks"
"""Time of the first scan showing the response that makes the best response CR or PR (confirmed
where the RECIST rules require it), weeks from registration; NaN if the best response is not CR or
PR. Duration of response runs from here to ``pfs_weeks``."""

STATUS = "status"
"""How the patient's simulation ended: one of :data:`SIMULATION_STATUSES`."""
FAILURE_REASON = "failure_reason"
"""Why an integration failed (stat3qsp.trial.patient, Failures): for ``failed``, the error of the first
attempt and of the retry with tighter integrator settings; for ``retried``, the error of the first
attempt; empty for ``ok``."""

CLINICAL_PROGRESSION = "clinical_progression"
"""True if the patient's PFS ends in a clinical progression: off study before the first scan with a
tumour that would have shown RECIST progression at it, under the spec's analysis rule
``early_clinical_progression: event`` (:mod:`stat3qsp.trial.recist`, :mod:`stat3qsp.trial.simulate`)."""
OUTCOME_COLUMNS = (PFS_WEEKS, EVENT, BEST_RESPONSE, BEST_PCT_CHANGE, CLINICAL_BENEFIT, DISCONTINUED_EARLY,
                   N_SCANS, RESPONSE_WEEKS, CLINICAL_PROGRESSION)
"""The RECIST columns of the patients table (:func:`stat3qsp.recist.assess_patients`), in order."""
PATIENT_COLUMNS = (REPLICATE, ARM, PATIENT, *OUTCOME_COLUMNS, STATUS, FAILURE_REASON)
"""All columns of the patients table, in order."""

# --- simulation status (values of STATUS) -----------------------------------------------------
OK = "ok"
"""Simulated at the trial's integrator settings."""
RETRIED = "retried"
"""Simulated after a failed first attempt, with tighter integrator settings."""
FAILED = "failed"
"""The integration failed also with the tighter settings: no RECIST outcome; left out of every
endpoint and counted in :data:`N_FAILED`."""
SIMULATION_STATUSES = (OK, RETRIED, FAILED)
"""All simulation statuses."""

# --- RECIST categories (values of BEST_RESPONSE) ----------------------------------------------
CR = "CR"
"""Complete response."""
PR = "PR"
"""Partial response."""
SD = "SD"
"""Stable disease."""
PD = "PD"
"""Progressive disease."""
NE = "NE"
"""Not evaluable: no post-baseline scan."""
RESPONSE_CATEGORIES = (CR, PR, SD, PD, NE)
"""Response categories from best to worst; NE last."""

# --- endpoints table --------------------------------------------------------------------------
ENDPOINT = "endpoint"
"""Endpoint name: one of :data:`ENDPOINT_NAMES`."""
VALUE = "value"
"""Point estimate of the endpoint in one trial."""
LO = "lo"
"""Lower limit of the endpoint's 95% confidence interval in one trial."""
HI = "hi"
"""Upper limit of the endpoint's 95% confidence interval in one trial."""
N_PATIENTS = "n_patients"
"""Number of patients the endpoint was computed from (the responders for ``median_dor_weeks``);
failed patients are not among them."""
N_FAILED = "n_failed"
"""Virtual patients whose simulation failed (status ``failed``), left out of the endpoints: in the
endpoints table, of the replicate trial and arm; in the summary and comparison tables, of the arm
summed over its replicates (NaN where the endpoints had no such count)."""

ENDPOINT_COLUMNS = (REPLICATE, ARM, ENDPOINT, VALUE, LO, HI, N_PATIENTS, N_FAILED)
"""All columns of the endpoints table, in order."""

# --- endpoint names (values of ENDPOINT) ------------------------------------------------------
MEDIAN_PFS_WEEKS = "median_pfs_weeks"
"""Kaplan-Meier median PFS in weeks."""
PFS_6MO = "pfs_6mo"
"""Kaplan-Meier probability of being progression-free at 26 weeks (6 months)."""
ORR = "orr"
"""Objective response rate: fraction of patients with best response CR or PR."""
CBR = "cbr"
"""Clinical benefit rate: fraction of patients with clinical benefit."""
MEDIAN_DOR_WEEKS = "median_dor_weeks"
"""Kaplan-Meier median duration of response in weeks, among responders (CR or PR), from the first
scan showing the response to progression or censoring; NaN without responders."""
TREATED_ENDPOINT_NAMES = (MEDIAN_PFS_WEEKS, PFS_6MO, ORR, CBR, MEDIAN_DOR_WEEKS)
"""Endpoints of the treated population (every patient of the arm), in reporting order."""
ORR_EVALUABLE = "orr_evaluable"
"""ORR among the response-evaluable patients: measurable disease and at least one counted
post-baseline scan (population ``evaluable``)."""
CBR_EVALUABLE = "cbr_evaluable"
"""CBR among the response-evaluable patients (as :data:`ORR_EVALUABLE`)."""
EVALUABLE_ENDPOINT_NAMES = (ORR_EVALUABLE, CBR_EVALUABLE)
"""Endpoints of the evaluable population, computed when the spec's analysis lists it."""
TOXICITY_ENDPOINT_NAMES = ("anemia_any", "anemia_grade3plus", "thrombocytopenia_any", "neutropenia_any",
                           "dose_reduction", "dose_interruption")
"""Fractions of the treated patients of an arm with ruxolitinib with any grade of anaemia, grade >= 3
anaemia, any thrombocytopenia, any neutropenia, a dose reduction, a dose hold (stat3qsp.trial.marrow_course)."""
ENDPOINT_NAMES = TREATED_ENDPOINT_NAMES + EVALUABLE_ENDPOINT_NAMES + TOXICITY_ENDPOINT_NAMES
"""All endpoint names, in reporting order."""
PFS_HAZARD_RATIO = "pfs_hazard_ratio"
"""Cox proportional-hazards ratio of PFS of the spec's ``design.pfs_hazard_ratio.experimental_arm``
against its ``design.control_arm`` in one replicate trial (:mod:`stat3qsp.trial.hazard_ratio`); its
rows carry the experimental arm's name and count the patients of both arms."""
BETWEEN_ARM_ENDPOINT_NAMES = (PFS_HAZARD_RATIO,)
"""Endpoints comparing two arms, computed only for specs whose design names them (not in
:data:`ENDPOINT_NAMES`, the endpoints of one arm)."""
RATE_ENDPOINT_NAMES = (PFS_6MO, ORR, CBR, ORR_EVALUABLE, CBR_EVALUABLE) + TOXICITY_ENDPOINT_NAMES
"""Endpoints that are fractions."""
# --- analysis populations (spec field analysis.populations) -----------------------------------
TREATED = "treated"
"""Every patient of the arm (Kearney 2021: all patients, whatever their compliance)."""
EVALUABLE = "evaluable"
"""Patients with measurable disease and at least one counted post-baseline scan (RECIST response-
evaluable; Kearney 2021's 14 of 26)."""
POPULATIONS = (TREATED, EVALUABLE)
"""Analysis populations."""
MEASURABLE = "measurable"
"""Patients table: True if the patient has measurable disease (target lesions)."""

# --- replicate summary and comparison table ---------------------------------------------------
PREDICTED = "predicted"
"""Median of the endpoint across replicate virtual trials."""
PREDICTED_LO = "predicted_lo"
"""5th percentile of the endpoint across replicate virtual trials (90% prediction interval)."""
PREDICTED_HI = "predicted_hi"
"""95th percentile of the endpoint across replicate virtual trials (90% prediction interval)."""
N_REPLICATES = "n_replicates"
"""Number of replicate trials with a finite-or-infinite (not NaN) endpoint value; for
``median_dor_weeks``, the replicates that had at least one responder."""
OBSERVED = "observed"
"""Endpoint observed in the real trial (from the trial spec)."""
OBSERVED_LO = "observed_lo"
"""Lower limit of the observed endpoint's 95% confidence interval (NaN if not reported)."""
OBSERVED_HI = "observed_hi"
"""Upper limit of the observed endpoint's 95% confidence interval (NaN if not reported)."""
P_LE_OBSERVED = "p_pred_le_observed"
"""Posterior-predictive probability that a replicate virtual trial's endpoint is at most the observed
value, ``P(pred <= obs)``: the share of the ``n_replicates`` replicates with a value <= observed, a
value within the tie tolerance of the observed counting as equal (:mod:`stat3qsp.trial.endpoints`);
NaN without replicate endpoints or without an observation."""
P_GE_OBSERVED = "p_pred_ge_observed"
"""``P(pred >= obs)``, as :data:`P_LE_OBSERVED` in the other direction; ties are counted in both, so
the two add up to more than 1 when replicates equal the observed value."""
PREDICTIVE_P = "predictive_p"
"""Two-sided posterior-predictive p of the observation: ``min(1, 2 * min(P(pred <= obs), P(pred >=
obs)))``; small values mean the real trial is surprising under the model (0.1 or more: not among the
10% most extreme outcomes in either direction). NaN where either tail is NaN."""
CONSISTENT = "consistent"
"""True if ``predicted_lo <= observed <= predicted_hi``; NA if either side is missing."""
ROLE = "role"
"""Use of the observed value: ``calibration`` (fitted to) or ``validation`` (held out)."""

SUMMARY_COLUMNS = (ARM, ENDPOINT, PREDICTED, PREDICTED_LO, PREDICTED_HI, N_REPLICATES, N_FAILED)
"""All columns of the replicate summary table, in order."""
OBSERVED_COLUMNS = (ARM, ENDPOINT, OBSERVED, OBSERVED_LO, OBSERVED_HI, ROLE)
"""All columns of the observed-endpoints table, in order."""
COMPARISON_COLUMNS = (ENDPOINT, ARM, OBSERVED, OBSERVED_LO, OBSERVED_HI, PREDICTED, PREDICTED_LO,
                      PREDICTED_HI, P_LE_OBSERVED, P_GE_OBSERVED, PREDICTIVE_P, N_REPLICATES, N_FAILED,
                      CONSISTENT, ROLE)
"""All columns of the comparison table, in order."""

# --- report tables of the workflow's trial stage (stat3qsp.trial.summary) ---------------------
# results/trial/<id>/predicted_vs_observed.tsv: ENDPOINT, ARM, ROLE, then the formatted values below.
OBSERVED_TEXT = "observed (95% CI)"
"""Observed value with its 95% confidence interval, as text (rates as %)."""
PREDICTED_TEXT = "predicted (90% PI)"
"""Median over replicate virtual trials with the 5th-95th percentile interval, as text."""
PREDICTIVE_P_TEXT = "predictive_p"
"""Two-sided posterior-predictive p (:data:`PREDICTIVE_P`), as text with its two tails:
``0.04 (<= obs 0.02, >= obs 0.99)``; ``n/a`` without replicate endpoints."""
CONSISTENT_TEXT = "consistent"
"""``yes`` if the observed value lies in the 90% prediction interval, ``no`` if not, ``n/a`` if unknown."""
NOTE = "note"
"""What the row means beyond the numbers (e.g. a calibration target compared on another PFS scale)."""
# results/trial/<id>/validation_misses.tsv: ENDPOINT, ARM, PREDICTIVE_P and the columns below
# (stat3qsp.trial.misses).
DIRECTION = "direction"
"""``below`` or ``above``: where the replicate trials lie against the observation, with the small
one-sided share (``below (P(pred >= obs) = 0.03)``)."""
REASON = "reason"
"""Kind of endpoint and the fixed explanation of its miss, naming the docs sections with the evidence."""
MISS_COLUMNS = (ENDPOINT, ARM, PREDICTIVE_P, DIRECTION, REASON)
"""All columns of the validation-misses table, in order."""
# results/trial/<id>/data_roles.tsv: ROLE and the columns below.
DATA = "data"
"""The data: a parameter-table source (fitted values) or an observed endpoint of the spec."""
USED_FOR = "used_for"
"""What the data did: which parameters were fitted to it, or that it was only compared."""
SOURCE = "source"
"""Where the data come from."""
# results/trial/<id>/target.tsv: ARM, COUNTERFACTUAL, then PREDICTED, PREDICTED_LO, PREDICTED_HI of
# the median PFS, and the columns below.
COUNTERFACTUAL = "counterfactual"
"""True for a what-if arm without an observed outcome."""
TARGET_WEEKS = "target_weeks"
"""Median PFS the trial was designed to show (weeks; the spec's design.target_median_pfs_weeks)."""
CONTROL_WEEKS = "historical_control_weeks"
"""Median PFS of the historical control of the design (weeks)."""
SHARE_REACHING = "share_of_trials_reaching_target"
"""Share of replicate virtual trials whose KM median PFS is at least the target."""
REACHES_TARGET = "reaches_target"
"""``yes`` if the 90% prediction interval lies at or above the target, ``no`` if wholly below,
``uncertain`` if it contains the target, ``n/a`` without a target or a prediction."""
DESCRIPTION = "description"
"""The arm in words (from the spec)."""
TARGET_COLUMNS = (ARM, COUNTERFACTUAL, PREDICTED, PREDICTED_LO, PREDICTED_HI, TARGET_WEEKS, CONTROL_WEEKS,
                  SHARE_REACHING, REACHES_TARGET, DESCRIPTION)
"""All columns of the target table, in order."""
