"""RECIST 1.1 tumour response, best overall response, PFS and clinical benefit.

The rules follow Eisenhauer EA et al., "New response evaluation criteria in solid tumours: revised
RECIST guideline (version 1.1)", Eur J Cancer 2009;45:228-247 (doi:10.1016/j.ejca.2008.10.026),
applied to the sum of longest diameters (SLD) of the target lesions, with the PFS censoring rules of
Kearney M et al., Breast Cancer Res Treat 2021;189:177-185 (doi:10.1007/s10549-021-06306-4;
NCT02066532).

Response at one scan (RECIST 1.1, 'Evaluation of target lesions'), checked in this order:

- PD if a new lesion (or unequivocal non-target progression) is flagged, or if
  ``SLD >= nadir * (1 + pd_threshold_percent / 100)`` **and** ``SLD - nadir >= pd_min_absolute_mm``,
  where ``nadir`` is the smallest SLD on study before this scan, baseline included;
- CR if ``SLD < cr_sld_below_mm`` (see :class:`RecistRules`);
- PR if ``SLD <= baseline * (1 + pr_threshold_percent / 100)``;
- SD otherwise.

Boundaries are inclusive as in RECIST ("at least a 30% decrease", "at least a 20% increase",
"at least 5 mm"); comparisons allow 1e-9 mm of floating-point rounding.

Scans count for a patient while on study (at or before death and discontinuation) and up to and
including the first PD. Time is in weeks from registration.

Response onset (for the duration of response, RECIST 1.1 'Duration of overall response'): the time
of the first counted scan at which the measurement criteria for CR or PR are met, confirmed where
the rules require confirmation.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from stat3qsp.trial import columns as tc
from stat3qsp.errors import InputError
from stat3qsp.trial.recist_inputs import (_check_baseline, _check_times, _as_flags, _per_patient, _optional, _confirm,
                                         _CODE_CR, _CODE_PR, _CODE_SD, _CODE_PD, _CODE_NONE)

_TOL = 1e-9
"""Absolute tolerance (mm, weeks) on inclusive boundaries, to absorb floating-point rounding."""

_LABELS = np.array([tc.CR, tc.PR, tc.SD, tc.PD, tc.NE], dtype=object)
"""Label per code; index -1 (no counted scan) maps to NE."""


@dataclass(frozen=True)
class RecistRules:
    """Thresholds of RECIST 1.1 and of the clinical-benefit definition.

    Parameters
    ----------
    pr_threshold_percent
        Change of SLD from baseline at or below which a scan is PR: -30 (RECIST 1.1, target
        lesions).
    pd_threshold_percent
        Increase of SLD over the nadir at or above which a scan can be PD: +20 (RECIST 1.1, target
        lesions).
    pd_min_absolute_mm
        Minimum absolute increase of SLD over the nadir for PD: 5 mm (RECIST 1.1, target lesions).
    cr_sld_below_mm
        A scan is CR when SLD is strictly below this value. RECIST 1.1 defines CR as the
        disappearance of all target lesions (SLD 0 for non-nodal lesions) and records a lesion that
        is still seen but too small to measure as 5 mm (special notes on target lesions). A
        simulated SLD never reaches exactly 0, so the default reads an SLD below that 5-mm floor as
        "all target lesions gone" (assumed). For measured data recorded to 1 mm, use e.g. 0.5 to
        get the literal RECIST rule (SLD 0).
    confirmation_required
        If True, a CR or PR counts towards the best overall response only when a later counted scan
        at least ``confirmation_min_weeks`` later shows CR (for CR) or CR/PR (for PR); otherwise it
        counts as SD (RECIST 1.1, 'Confirmation'). RECIST 1.1 requires confirmation only in
        non-randomised trials whose primary endpoint is response; NCT02066532 had PFS as primary
        endpoint and reports no confirmation, so the default is False.
    confirmation_min_weeks
        Minimum interval between a response and its confirming scan: 4 weeks (RECIST 1.1, 'Confirmation').
    cbr_min_sd_weeks
        Stable disease gives clinical benefit only if the last progression-free scan is strictly
        later than this many weeks after registration: 24 ("SD for > 24 weeks", Kearney 2021).
    """

    pr_threshold_percent: float = -30.0
    pd_threshold_percent: float = 20.0
    pd_min_absolute_mm: float = 5.0
    cr_sld_below_mm: float = 5.0
    confirmation_required: bool = False
    confirmation_min_weeks: float = 4.0
    cbr_min_sd_weeks: float = 24.0

    def __post_init__(self) -> None:
        checks = (
            ("pr_threshold_percent", -100.0 < self.pr_threshold_percent < 0.0, "a number in (-100, 0)"),
            ("pd_threshold_percent", self.pd_threshold_percent > 0.0, "a number > 0"),
            ("pd_min_absolute_mm", self.pd_min_absolute_mm >= 0.0, "a number >= 0"),
            ("cr_sld_below_mm", self.cr_sld_below_mm >= 0.0, "a number >= 0"),
            ("confirmation_min_weeks", self.confirmation_min_weeks >= 0.0, "a number >= 0"),
            ("cbr_min_sd_weeks", self.cbr_min_sd_weeks >= 0.0, "a number >= 0"),
        )
        for name, ok, accepted in checks:
            if not ok:
                raise InputError(f"RECIST rule {name} = {getattr(self, name)!r}; accepted: {accepted}")


@dataclass(frozen=True)
class PatientAssessment:
    """RECIST outcome of one patient.

    Attributes
    ----------
    responses
        Response per given post-baseline scan (CR, PR, SD, PD); None for a scan that does not count
        (not done, off study, or after the first PD).
    best_response
        Best overall response (CR > PR > SD > PD), NE without a counted scan.
    best_pct_change
        Most negative change of SLD from baseline over counted scans, percent (NaN without one).
    pfs_weeks, event
        PFS time and whether it ends in an event (see :func:`assess_patients`).
    clinical_benefit
        CR or PR, or SD with a progression-free scan after ``cbr_min_sd_weeks``.
    discontinued_early
        True if no post-baseline scan counts (off study before the first scan).
    n_scans
        Number of counted post-baseline scans.
    response_weeks
        Time of the first counted scan showing the (confirmed, if required) CR or PR; NaN if the
        best response is not CR or PR.
    """

    responses: tuple[str | None, ...]
    best_response: str
    best_pct_change: float
    pfs_weeks: float
    event: bool
    clinical_benefit: bool
    discontinued_early: bool
    n_scans: int
    response_weeks: float = float("nan")


def classify_scans(baseline_mm: float, sld_mm: ArrayLike, new_lesion: ArrayLike | None = None,
                   rules: RecistRules = RecistRules()) -> tuple[str, ...]:
    """Classify every post-baseline scan of one patient as CR, PR, SD or PD.

    Parameters
    ----------
    baseline_mm
        Baseline SLD (mm), > 0.
    sld_mm
        SLD at each post-baseline scan (mm), in time order.
    new_lesion
        Per-scan flag of a new lesion or unequivocal non-target progression (default: none).
    rules
        RECIST thresholds.

    Returns
    -------
    tuple of str
        One label per scan, by the rules in the module docstring. All scans are classified (also
        after a PD); the nadir is the minimum of baseline and all earlier scans.
    """
    sld = np.atleast_2d(np.asarray(sld_mm, dtype=float))
    if np.isnan(sld).any():
        raise InputError(f"sld_mm contains NaN: {sld_mm!r}; accepted: a measured SLD (mm) per scan")
    base = _check_baseline(np.atleast_1d(np.asarray(baseline_mm, dtype=float)))
    new = _as_flags(None if new_lesion is None else np.atleast_2d(new_lesion), sld.shape, "new_lesion")
    codes = _classify(base, sld, new, np.ones(sld.shape, dtype=bool), rules)
    return tuple(_LABELS[codes[0]])


def assess_patient(baseline_mm: float, scan_weeks: ArrayLike, sld_mm: ArrayLike, *,
                   new_lesion: ArrayLike | None = None, death_weeks: float | None = None,
                   discontinuation_weeks: float | None = None, clinical_progression_weeks: float | None = None,
                   rules: RecistRules = RecistRules()) -> PatientAssessment:
    """RECIST outcome of one patient; see :func:`assess_patients` for the rules.

    Parameters
    ----------
    baseline_mm
        Baseline SLD (mm), > 0.
    scan_weeks
        Time of each post-baseline scan, weeks from registration, strictly increasing.
    sld_mm
        SLD at each scan (mm); NaN for a scan that was not done.
    new_lesion
        Per-scan flag of a new lesion (default: none).
    death_weeks
        Time of death on study, or None.
    discontinuation_weeks
        Time the patient went off study (last follow-up), or None if still on study.
    clinical_progression_weeks
        Time of a clinical progression (without a PD scan) counted as a PFS event, or None.
    rules
        RECIST thresholds.

    Returns
    -------
    PatientAssessment
    """
    sld = np.asarray(sld_mm, dtype=float)[None, :]
    table, codes = _assess(np.array([baseline_mm], dtype=float), np.asarray(scan_weeks, dtype=float), sld,
                           None if new_lesion is None else np.asarray(new_lesion)[None, :],
                           _optional(death_weeks), _optional(discontinuation_weeks), rules,
                           _optional(clinical_progression_weeks))
    row = table.iloc[0]
    return PatientAssessment(
        responses=tuple(None if c == _CODE_NONE else str(_LABELS[c]) for c in codes[0]),
        best_response=str(row[tc.BEST_RESPONSE]), best_pct_change=float(row[tc.BEST_PCT_CHANGE]),
        pfs_weeks=float(row[tc.PFS_WEEKS]), event=bool(row[tc.EVENT]),
        clinical_benefit=bool(row[tc.CLINICAL_BENEFIT]),
        discontinued_early=bool(row[tc.DISCONTINUED_EARLY]), n_scans=int(row[tc.N_SCANS]),
        response_weeks=float(row[tc.RESPONSE_WEEKS]))


def progression_free_survival(baseline_mm: float, scan_weeks: ArrayLike, sld_mm: ArrayLike, *,
                              new_lesion: ArrayLike | None = None, death_weeks: float | None = None,
                              discontinuation_weeks: float | None = None,
                              rules: RecistRules = RecistRules()) -> tuple[float, bool]:
    """PFS of one patient as ``(pfs_weeks, event)``; arguments and rules as :func:`assess_patient`."""
    outcome = assess_patient(baseline_mm, scan_weeks, sld_mm, new_lesion=new_lesion,
                             death_weeks=death_weeks, discontinuation_weeks=discontinuation_weeks,
                             rules=rules)
    return outcome.pfs_weeks, outcome.event


def assess_patients(baseline_mm: ArrayLike, scan_weeks: ArrayLike, sld_mm: ArrayLike, *,
                    new_lesion: ArrayLike | None = None, death_weeks: ArrayLike | None = None,
                    discontinuation_weeks: ArrayLike | None = None,
                    clinical_progression_weeks: ArrayLike | None = None,
                    rules: RecistRules = RecistRules()) -> pd.DataFrame:
    """RECIST outcomes of many patients at once (vectorised over patients).

    Rules (Eisenhauer 2009; Kearney 2021):

    - **Counted scans**: done (SLD not NaN), at or before ``min(death, discontinuation)``, and not
      after the first PD.
    - **Best overall response**: the best counted response, CR > PR > SD > PD (RECIST 1.1, best
      overall response); NE without a counted scan. Without confirmation (the default, as in
      NCT02066532) a single CR/PR scan suffices; with ``rules.confirmation_required`` see
      :class:`RecistRules`.
    - **PFS event** at the earliest of: the scan showing PD (progression is dated at that scan), and
      death on study (death from any cause is an event, Kearney 2021's PFS definition; a death
      after ``discontinuation_weeks`` is not counted).
    - **Censoring** without an event: at the last progression-free counted scan; a patient with no
      counted scan (off study before the first scan) is censored at last follow-up, taken to be
      ``discontinuation_weeks`` (Kearney 2021, statistical analysis). Clinical progression without a
      PD scan is censored too, unless it is given in ``clinical_progression_weeks``: then it is a PFS
      event at that time, like a death on study (``clinical_progression`` True when it is the event;
      the trial spec's ``analysis.early_clinical_progression``, :mod:`stat3qsp.trial.simulate`).
    - **Clinical benefit**: best response CR or PR, or SD with a counted progression-free scan
      strictly later than ``rules.cbr_min_sd_weeks`` (SD duration measured from registration,
      RECIST 1.1, 'Duration of stable disease').
    - **Response onset** of a patient whose best response is CR or PR: the first counted scan whose
      response is CR or PR (after confirmation, when required), RECIST 1.1 'Duration of overall
      response' ("from the time measurement criteria are first met for CR/PR").

    Parameters
    ----------
    baseline_mm
        Baseline SLD per patient (mm), shape ``(n,)``, > 0.
    scan_weeks
        Post-baseline scan times, weeks from registration: shape ``(m,)`` shared by all patients, or
        ``(n, m)``; strictly increasing along scans.
    sld_mm
        SLD per patient and scan (mm), shape ``(n, m)``; NaN for a scan not done.
    new_lesion
        New-lesion flags, shape ``(n, m)`` (default: none).
    death_weeks
        Time of death per patient, shape ``(n,)``, NaN if alive (default: nobody died).
    discontinuation_weeks
        Time off study per patient, shape ``(n,)``, NaN if still on study (default: all on study).
    clinical_progression_weeks
        Time of a clinical progression counted as an event per patient, shape ``(n,)``, NaN for none
        (default: none); like a death, it counts only at or before ``discontinuation_weeks``.
    rules
        RECIST thresholds.

    Returns
    -------
    pandas.DataFrame
        One row per patient (index 0..n-1) with columns ``pfs_weeks, event, best_response,
        best_pct_change, clinical_benefit, discontinued_early, n_scans, response_weeks,
        clinical_progression`` (names in :mod:`stat3qsp.trial.columns`). The caller adds replicate,
        arm and patient.

    Raises
    ------
    InputError
        On inconsistent shapes, non-positive baselines, negative times or SLDs, or a patient with
        neither a counted scan, a death nor a discontinuation time (PFS undefined).
    """
    base = np.atleast_1d(np.asarray(baseline_mm, dtype=float))
    n = base.shape[0]
    sld = np.asarray(sld_mm, dtype=float)
    if sld.ndim != 2 or sld.shape[0] != n:
        raise InputError(f"sld_mm has shape {sld.shape}; accepted: (n_patients, n_scans) = ({n}, m)")
    death = _per_patient(death_weeks, n, "death_weeks")
    disc = _per_patient(discontinuation_weeks, n, "discontinuation_weeks")
    clinical = _per_patient(clinical_progression_weeks, n, "clinical_progression_weeks")
    new = None if new_lesion is None else np.asarray(new_lesion)
    table, _ = _assess(base, np.asarray(scan_weeks, dtype=float), sld, new, death, disc, rules, clinical)
    return table


def _assess(base: np.ndarray, scan_weeks: np.ndarray, sld: np.ndarray, new_lesion: np.ndarray | None,
            death: np.ndarray, disc: np.ndarray, rules: RecistRules,
            clinical: np.ndarray | None = None) -> tuple[pd.DataFrame, np.ndarray]:
    """Core of :func:`assess_patients`; also returns the per-scan codes of counted scans."""
    n, m = sld.shape
    base = _check_baseline(base)
    times = _check_times(scan_weeks, (n, m))
    clinical = np.full(n, np.nan) if clinical is None else clinical
    if np.any(sld < 0):
        raise InputError("sld_mm has negative values; accepted: SLD >= 0 mm, NaN for a scan not done")
    for name, values in (("death_weeks", death), ("discontinuation_weeks", disc),
                         ("clinical_progression_weeks", clinical)):
        if np.any(values < 0):
            raise InputError(f"{name} has negative values; accepted: weeks >= 0 or NaN")
    new = _as_flags(new_lesion, (n, m), "new_lesion")

    off_study = np.fmin(death, disc)
    off_study = np.where(np.isnan(off_study), np.inf, off_study)
    done = ~np.isnan(sld) & (times <= off_study[:, None] + _TOL)
    codes = _classify(base, sld, new, done, rules)
    is_pd = codes == _CODE_PD
    pd_before = (np.cumsum(is_pd, axis=1) - is_pd) > 0
    codes = np.where(pd_before, _CODE_NONE, codes)
    counted = codes != _CODE_NONE
    is_pd = codes == _CODE_PD

    rows = np.arange(n)
    t_pd = np.where(is_pd.any(axis=1), times[rows, is_pd.argmax(axis=1)] if m else np.inf, np.inf)
    death_counts = ~np.isnan(death) & ~(disc < death)
    clinical_counts = ~np.isnan(clinical) & ~(disc < clinical)
    t_clinical = np.where(clinical_counts, clinical, np.inf)
    t_event = np.minimum(np.minimum(t_pd, np.where(death_counts, death, np.inf)), t_clinical)
    event = np.isfinite(t_event)
    progression_free = counted & ~is_pd
    has_pf = progression_free.any(axis=1)
    t_last_pf = np.where(progression_free, times, -np.inf).max(axis=1, initial=-np.inf)
    pfs = np.where(event, t_event, np.where(has_pf, t_last_pf, disc))
    undefined = np.flatnonzero(np.isnan(pfs))
    if undefined.size:
        raise InputError(
            f"patient {int(undefined[0])}: no counted post-baseline scan, no death and no "
            "discontinuation_weeks, so PFS is undefined; accepted: give discontinuation_weeks "
            "(last follow-up) for patients without a scan")

    confirmed = _confirm(codes, times, rules.confirmation_min_weeks) if rules.confirmation_required else codes
    best = np.where(counted, confirmed, len(_LABELS)).min(axis=1, initial=len(_LABELS))
    best = np.where(best == len(_LABELS), _CODE_NONE, best)
    responding = counted & ((confirmed == _CODE_CR) | (confirmed == _CODE_PR))
    first = responding.argmax(axis=1) if m else np.zeros(n, dtype=int)
    onset = np.where(responding.any(axis=1), times[rows, first] if m else np.nan, np.nan)
    with np.errstate(invalid="ignore"):
        pct = np.where(counted, (sld - base[:, None]) / base[:, None] * 100.0, np.inf)
    best_pct = pct.min(axis=1, initial=np.inf)
    benefit = (best == _CODE_CR) | (best == _CODE_PR) | (
        (best == _CODE_SD) & (t_last_pf > rules.cbr_min_sd_weeks + _TOL))
    n_scans = counted.sum(axis=1)
    table = pd.DataFrame({
        tc.PFS_WEEKS: pfs.astype(float),
        tc.EVENT: event,
        tc.BEST_RESPONSE: _LABELS[best],
        tc.BEST_PCT_CHANGE: np.where(np.isfinite(best_pct), best_pct, np.nan),
        tc.CLINICAL_BENEFIT: benefit,
        tc.DISCONTINUED_EARLY: n_scans == 0,
        tc.N_SCANS: n_scans,
        tc.RESPONSE_WEEKS: onset.astype(float),
        tc.CLINICAL_PROGRESSION: np.isfinite(t_clinical) & (t_clinical == t_event),
    })
    return table, codes


def _classify(base: np.ndarray, sld: np.ndarray, new: np.ndarray, done: np.ndarray,
              rules: RecistRules) -> np.ndarray:
    """Per-scan response codes; -1 where ``done`` is False. Nadir runs over done scans only."""
    done_sld = np.where(done, sld, np.inf)
    running = np.minimum.accumulate(np.concatenate([base[:, None], done_sld], axis=1), axis=1)
    nadir = running[:, :-1]
    with np.errstate(invalid="ignore"):
        progression = new | (
            (sld >= nadir * (1.0 + rules.pd_threshold_percent / 100.0) - _TOL)
            & (sld - nadir >= rules.pd_min_absolute_mm - _TOL))
        complete = sld < rules.cr_sld_below_mm
        partial = sld <= base[:, None] * (1.0 + rules.pr_threshold_percent / 100.0) + _TOL
    codes = np.select([progression, complete, partial], [_CODE_PD, _CODE_CR, _CODE_PR], default=_CODE_SD)
    return np.where(done, codes, _CODE_NONE)
