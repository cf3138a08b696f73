"""How RECIST reads a patient's scans: the SLD seen with or without measurable disease, and the
clinical progression of a patient who leaves before the first scan (one reading for the trial runner
and the tumour calibration)."""
from __future__ import annotations

import numpy as np

from stat3qsp.trial import columns as tc
from stat3qsp.trial import recist


def assessed_sld(sld_mm: np.ndarray, baseline_mm: np.ndarray | float, measurable: np.ndarray | bool) -> np.ndarray:
    """SLD as RECIST reads it: unchanged with measurable disease; without, shrinkage is not
    measurable, so the reading is ``max(SLD, baseline)`` (only progression can be seen)."""
    sld_mm = np.asarray(sld_mm, dtype=float)
    baseline = np.asarray(baseline_mm, dtype=float)
    measurable = np.asarray(measurable, dtype=bool)
    if sld_mm.ndim == 2:
        baseline, measurable = baseline[:, None], measurable[:, None]
    return np.where(measurable, sld_mm, np.fmax(sld_mm, baseline))


def progressed_at_first_scan(baseline_mm: float, first_sld_mm, measurable: bool, rules: recist.RecistRules) -> bool:
    """True if the first scan's SLD, as RECIST reads it, is PD (an early leaver's clinical progression;
    also read by the tumour calibration)."""
    read = assessed_sld(np.atleast_1d(np.asarray(first_sld_mm, dtype=float))[:1], baseline_mm, measurable)
    return recist.classify_scans(baseline_mm, read, rules=rules)[-1] == tc.PD
