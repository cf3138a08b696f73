"""Toxicity endpoints of a virtual trial from its patients table (:mod:`stat3qsp.trial.marrow_course`).

Per replicate and arm whose patients have a marrow course (the toxicity columns are set), over the
patients whose simulation did not fail, ``k / n`` with the exact Clopper-Pearson interval
(:func:`stat3qsp.trial.endpoints.proportion_ci`), as the rate endpoints of efficacy:

- ``anemia_any`` / ``anemia_grade3plus``: worst anaemia grade on treatment >= 1 / >= 3;
- ``thrombocytopenia_any``, ``neutropenia_any``: worst grade >= 1;
- ``dose_reduction``: a dose below the starting dose; ``dose_interruption``: a dose hold.

Grades count only above the patient's baseline grade (the marrow course sets them to 0 otherwise).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from stat3qsp.trial import columns as tc
from stat3qsp.trial.marrow_course import (ANAEMIA_GRADE, DOSE_HELD, DOSE_REDUCED, NEUTROPENIA_GRADE,
                                          THROMBOCYTOPENIA_GRADE)

#: endpoint -> (patients-table column, threshold): the patient counts when ``column >= threshold``.
DEFINITIONS = dict(zip(tc.TOXICITY_ENDPOINT_NAMES, (
    (ANAEMIA_GRADE, 1), (ANAEMIA_GRADE, 3), (THROMBOCYTOPENIA_GRADE, 1), (NEUTROPENIA_GRADE, 1),
    (DOSE_REDUCED, 1), (DOSE_HELD, 1))))


def toxicity_endpoints(patients: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Rows of :data:`stat3qsp.trial.columns.ENDPOINT_COLUMNS` for every replicate and arm with a
    marrow course (module docstring); an empty table when no patient has one."""
    from stat3qsp.trial.endpoints import proportion_ci  # lifelines only where endpoints are computed

    if ANAEMIA_GRADE not in patients.columns:
        return pd.DataFrame(columns=list(tc.ENDPOINT_COLUMNS))
    table = patients if tc.REPLICATE in patients.columns else patients.assign(**{tc.REPLICATE: 0})
    rows = []
    for (replicate, arm), group in table.groupby([tc.REPLICATE, tc.ARM], sort=False):
        failed = (group[tc.STATUS] == tc.FAILED).to_numpy(bool) if tc.STATUS in group else np.zeros(len(group), bool)
        kept = group[~failed]
        if not len(kept) or kept[ANAEMIA_GRADE].isna().all():
            continue
        n = len(kept)
        for name, (column, threshold) in DEFINITIONS.items():
            k = int((kept[column].to_numpy(float) >= threshold).sum())
            rows.append((replicate, arm, name, *proportion_ci(k, n, confidence), n, int(failed.sum())))
    return pd.DataFrame(rows, columns=list(tc.ENDPOINT_COLUMNS))
