"""Column names of the hypothesis tables (``results/hypotheses/``); import the module, never star-import it.

ranking.tsv (one row per hypothesis or combination, best ``trial_log_score`` first)
    ``hypothesis, modules, n_parameters, fit_nll, aic, bic, trial_log_score``, one
    ``predictive_p_<endpoint>`` per observed endpoint of the trial's scored arm (NCT02066532:
    ``median_pfs_weeks, pfs_6mo, orr, cbr, orr_evaluable, cbr_evaluable``), then
    ``log_probability_<endpoint>`` per endpoint, ``control_median_pfs_weeks``, the hypothesis's own tumour
    calibration (``tumour_doubling_days, tumour_kill_scale, growth_target_residual, kill_target_residual``) and
    ``delta_log_score`` (against the best row).
subgroups.tsv (one row per hypothesis, arm and subgroup)
    ``hypothesis, arm, subgroup, n_patients, median_pfs_weeks, orr``
biomarkers.tsv (one row per hypothesis and baseline feature)
    ``hypothesis, feature, kind, n_patients, spearman_rho, benefit_high, benefit_low, benefit_difference``
patients.tsv: the trial's patients table (:mod:`stat3qsp.trial.columns`) with ``hypothesis`` and
``baseline_pSTAT3_fraction``.
"""
from __future__ import annotations

HYPOTHESIS = "hypothesis"
"""Name of the hypothesis or combination (``baseline``, ``paracrine_il6``, ``paracrine_il6+adcc``)."""
MODULES = "modules"
"""Its modules, comma-separated (empty for baseline)."""
N_PARAMETERS = "n_parameters"
"""Parameters counted in AIC/BIC: the signalling problem's estimated ones (model and observation
parameters) plus every parameter the hypothesis's modules add (their values are chosen, not fitted)."""
FIT_NLL = "fit_nll"
"""Negative log-likelihood of the signalling training data (Sobotta 2017, PEtab; ruxolitinib conditions held
out) at the calibrated values, observation parameters refitted (:func:`stat3qsp.calibration.store.signalling_objective`)."""
AIC = "aic"
"""``2 n_parameters + 2 fit_nll``."""
BIC = "bic"
"""``n_parameters ln(n_measurements) + 2 fit_nll``."""
TRIAL_LOG_SCORE = "trial_log_score"
"""Sum over the observed treated-population endpoints (:data:`stat3qsp.hypotheses.scoring.TREATED_ENDPOINTS`)
of the log predictive probability of the observation
(:func:`stat3qsp.hypotheses.scoring.log_predictive_probability`); higher is better."""
PREDICTIVE_P_PREFIX = "predictive_p_"
"""Prefix of the two-sided posterior-predictive p of each observed endpoint (:mod:`stat3qsp.trial.predictive`)."""
LOG_PROBABILITY_PREFIX = "log_probability_"
"""Prefix of the log predictive probability of each observed endpoint."""
CONTROL_MEDIAN_PFS = "control_median_pfs_weeks"
"""Predicted median PFS of the trastuzumab-alone control arm of the scored trial (NCT02066532's historical
control, a stand-in of 8 weeks), at the hypothesis's refitted scales."""
DOUBLING = "tumour_doubling_days"
"""The hypothesis's median untreated doubling time (days), refitted to the growth target (calibration/tumour/targets.yaml) on its own
derived models folder (:func:`stat3qsp.hypotheses.evidence.refit_tumour`)."""
KILL_SCALE = "tumour_kill_scale"
"""The hypothesis's kill scale, refitted to the kill target."""
GROWTH_RESIDUAL = "growth_target_residual"
"""Simulated minus observed growth target at the refitted scales: the median PFS (weeks) of the EGF104900
lapatinib arm, scan-dated at its scans as the trial runner reads them (the fit matches the KM share progressed by the week-8 scan, so
a median on the next scan date can remain)."""
KILL_RESIDUAL = "kill_target_residual"
"""Simulated minus observed kill target at the refitted scales: the ORR of Vogel 2002's trastuzumab arm as the
trial runner reads it (its scans with the scan window, its RECIST rules)."""
DELTA_LOG_SCORE = "delta_log_score"
"""``trial_log_score`` minus the best row's (0 for the best; a log Bayes factor of the trial data)."""

ARM = "arm"
"""Trial arm."""
SUBGROUP = "subgroup"
"""``all``, ``HR+`` or ``HR-`` (HR status only where a hypothesis draws it)."""
N_PATIENTS = "n_patients"
"""Virtual patients in the row."""
MEDIAN_PFS_WEEKS = "median_pfs_weeks"
"""Kaplan-Meier median PFS of the pooled virtual patients (weeks)."""
ORR = "orr"
"""Share of CR or PR."""

FEATURE = "feature"
"""Baseline feature of a patient (a sampled parameter, a covariate, or ``baseline_pSTAT3_fraction``)."""
KIND = "kind"
"""``binary`` (0/1 covariate) or ``continuous``."""
SPEARMAN_RHO = "spearman_rho"
"""Spearman rank correlation of the feature with the benefit of adding ruxolitinib: how much smaller the
same virtual patient's tumour is at the first scan with ruxolitinib + trastuzumab than with trastuzumab
alone, in per cent (:mod:`stat3qsp.hypotheses.analysis`)."""
BENEFIT_HIGH = "benefit_high"
"""Mean benefit (per cent) of patients with the feature 1 (binary) or above its median (continuous)."""
BENEFIT_LOW = "benefit_low"
"""Mean benefit (per cent) of the others."""
BENEFIT_DIFFERENCE = "benefit_difference"
"""``benefit_high - benefit_low`` (percentage points)."""
BASELINE_PSTAT3 = "baseline_pSTAT3_fraction"
"""The patient's untreated steady-state pSTAT3 share (patients table)."""

SUBGROUP_COLUMNS = (HYPOTHESIS, ARM, SUBGROUP, N_PATIENTS, MEDIAN_PFS_WEEKS, ORR)
BIOMARKER_COLUMNS = (HYPOTHESIS, FEATURE, KIND, N_PATIENTS, SPEARMAN_RHO, BENEFIT_HIGH, BENEFIT_LOW, BENEFIT_DIFFERENCE)


def ranking_columns(endpoints: tuple[str, ...] | list[str]) -> list[str]:
    """Columns of ranking.tsv for the observed *endpoints*, in order."""
    return [HYPOTHESIS, MODULES, N_PARAMETERS, FIT_NLL, AIC, BIC, TRIAL_LOG_SCORE,
            *(PREDICTIVE_P_PREFIX + e for e in endpoints), *(LOG_PROBABILITY_PREFIX + e for e in endpoints),
            CONTROL_MEDIAN_PFS, DOUBLING, KILL_SCALE, GROWTH_RESIDUAL, KILL_RESIDUAL, DELTA_LOG_SCORE]
