"""Subgroup and biomarker predictions of one hypothesis from its pooled virtual patients.

Subgroups: for each arm, all patients and, for each binary covariate the hypothesis draws (HR status,
PIK3CA status: ``bernoulli`` distributions of the population), the patients with it 1 and 0; per
subgroup the Kaplan-Meier median PFS and the ORR (:mod:`stat3qsp.hypotheses.scoring`).

Biomarkers: the benefit of adding ruxolitinib is, per virtual patient, how much smaller the tumour is at
the first scan with ruxolitinib + trastuzumab than with trastuzumab alone, ``100 (1 - SLD_treated /
SLD_control)`` in per cent. The arms of a replicate hold the same virtual patients with the same scan
times (common random numbers, :mod:`stat3qsp.trial.simulate`), so the difference is the patient's own
treatment effect; PFS, read on a 9-weekly scan grid, moves in steps too coarse for a few dozen patients.
Patients who leave before the first scan have no benefit. For every baseline feature (each sampled
parameter and covariate, and the untreated pSTAT3 share), the Spearman rank correlation with the
benefit, and the mean benefit of patients with the feature 1 / above its median against the others.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from stat3qsp.hypotheses import columns as hc
from stat3qsp.hypotheses.scoring import km_median
from stat3qsp.trial import columns as tc

ALL = "all"
"""Subgroup of every patient of an arm."""


def subgroup_table(name: str, patients: pd.DataFrame, binary: list[str]) -> pd.DataFrame:
    """Rows of subgroups.tsv for hypothesis *name* (module docstring); *binary*: its 0/1 covariates."""
    ok = patients[patients[tc.STATUS] != tc.FAILED]
    rows = []
    for arm, group in ok.groupby(tc.ARM, sort=False):
        parts = [(ALL, group)] + [(f"{pid}={v}", group[group[pid] == v]) for pid in binary for v in (1, 0)]
        for label, part in parts:
            rows.append((name, arm, label, len(part), _median(part), _orr(part)))
    return pd.DataFrame(rows, columns=list(hc.SUBGROUP_COLUMNS))


def _median(part: pd.DataFrame) -> float:
    return km_median(part[tc.PFS_WEEKS].to_numpy(float), part[tc.EVENT].to_numpy(bool)) if len(part) else np.nan


def _orr(part: pd.DataFrame) -> float:
    return float(part[tc.BEST_RESPONSE].isin((tc.CR, tc.PR)).mean()) if len(part) else np.nan


def benefit(patients: pd.DataFrame, sld: pd.DataFrame, treated: str, control: str, features: list[str]) -> pd.DataFrame:
    """One row per virtual patient scanned in both arms: its *features* (from the treated arm) and
    ``benefit`` (module docstring) at its first post-baseline scan."""
    from stat3qsp.trial.simulate import SLD_MM, WEEK

    keys = [tc.REPLICATE, tc.PATIENT]
    scans = sld[sld[WEEK] > 0].sort_values(WEEK).groupby([tc.ARM, *keys], sort=False).first()[SLD_MM]
    a, b = scans.loc[treated], scans.loc[control]
    both = a.index.intersection(b.index)
    values = patients[patients[tc.ARM] == treated].set_index(keys)
    table = values.loc[both, features].copy()
    table["benefit"] = 100.0 * (1.0 - a.loc[both].to_numpy(float) / b.loc[both].to_numpy(float))
    return table.reset_index(drop=True)


def biomarker_table(name: str, matched: pd.DataFrame, binary: list[str]) -> pd.DataFrame:
    """Rows of biomarkers.tsv for hypothesis *name* from :func:`benefit` (module docstring)."""
    rows = []
    gain = matched["benefit"].to_numpy(float)
    for feature in [c for c in matched.columns if c != "benefit"]:
        x = matched[feature].to_numpy(float)
        kind = "binary" if feature in binary else "continuous"
        high = x >= 0.5 if kind == "binary" else x > np.median(x)
        varies = np.ptp(x) > 0 and np.ptp(gain) > 0
        rho = float(spearmanr(x, gain).statistic) if varies else np.nan
        mean_high = float(gain[high].mean()) if high.any() else np.nan
        mean_low = float(gain[~high].mean()) if (~high).any() else np.nan
        rows.append((name, feature, kind, len(x), rho, mean_high, mean_low, mean_high - mean_low))
    return pd.DataFrame(rows, columns=list(hc.BIOMARKER_COLUMNS))


def forward_table(name: str, patients: pd.DataFrame) -> pd.DataFrame:
    """Rows of forward.tsv: per arm of a forward-prediction trial, the pooled median PFS and ORR."""
    table = subgroup_table(name, patients, [])
    return table.drop(columns=[hc.SUBGROUP])
