"""Which validation endpoints of a run the model misses, in which direction, and why.

Issue 13 asks that every held-out (``validation``) endpoint has ``predictive_p >= 0.1`` or that the
report says which endpoint misses and why. :func:`validation_misses` lists, from a run's comparison
table (``endpoints.tsv``), every observed validation endpoint with ``predictive_p`` below
:data:`MISS_P` (calibration endpoints are never listed: they were fitted, not predicted):

- ``direction``: ``below`` when the replicate trials lie mostly below the observation (the share at
  or above it, ``P(pred >= obs)``, is the small tail), ``above`` otherwise; the text gives that
  one-sided share (:mod:`stat3qsp.trial.predictive`). Both tails cannot be small at once (they add up
  to at least 1), so the direction is defined wherever ``predictive_p < 0.1``.
- ``reason``: a fixed explanation keyed on the kind of endpoint (:func:`endpoint_kind`), naming the
  sections of ``docs/population.md`` (or ``docs/marrow_toxicity.md``) that hold the evidence. It
  states what the calibration does and does not identify, which holds for any run; the numbers of a
  run are in its tables, never in this text.

Kinds: *durable benefit* (6-month PFS, CBR, duration of response, and a median PFS whose observed
value lies nearest a scheduled scan after the second, :func:`median_beyond_first_scans`),
*early median* (a median PFS at the first two scans), *response* (ORR), *between arms* (the PFS
hazard ratio), *marrow toxicity*.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from stat3qsp.trial import columns as tc
from stat3qsp.trial.spec_types import TrialSpec

MISS_P = 0.1
"""A validation endpoint with a predictive_p below this is a miss (issue 13's criterion)."""
BELOW = "below"
"""Direction of a miss: the replicate trials lie mostly below the observation."""
ABOVE = "above"
"""Direction of a miss: the replicate trials lie mostly above the observation."""

DURABLE = "durable benefit"
EARLY_MEDIAN = "early median"
RESPONSE = "response"
BETWEEN_ARMS = "between arms"
TOXICITY = "marrow toxicity"
_DOCS = "docs/population.md"

REASONS: dict[str, str] = {
    DURABLE: (
        "these endpoints need patients who stay progression-free for months, i.e. slow untreated growth (or a "
        "sensitive subgroup the drug reaches). The growth target (EGF104900 lapatinib arm, KM median on its week-8 "
        "scan) fixes the median doubling time; the slow tail of the doubling time is set by an assumed spread that "
        "the calibration data do not identify (every profiled spread meets them alike), and no calibration "
        f"number beyond that median is at hand ({_DOCS}: 'Why the durable tail is gone', 'The doubling time drawn "
        "on its window', 'Is the spread identified?')"),
    EARLY_MEDIAN: (
        "a median at the first scans is set by the doubling time's median, which the week-8 target of the EGF104900 "
        "lapatinib arm fixes, and is dated on the scan grid, so a replicate trial's median is a scan date and the "
        f"observation may fall between them ({_DOCS}: 'Calibration', 'Predictive checks')"),
    RESPONSE: (
        "responders come from the kill scale (fitted to Vogel 2002's ORR in first-line disease) and, in "
        "trastuzumab-resistant disease, from the drug-sensitive subgroup fitted to the EGF104900 lapatinib arm's ORR "
        "and CBR, which acts only through HER2 kinase inhibition; a response rate under another drug or context is "
        f"predicted from those fits, and in a small trial one responder moves it by several points ({_DOCS}: 'The "
        "drug-sensitive subgroup of trastuzumab-resistant disease', 'Predictive checks')"),
    BETWEEN_ARMS: (
        "the hazard ratio is the difference between the arms, to which nothing is fitted: it follows from how much "
        "the added drug changes each patient's course (its simulated effect and the sensitive subgroup's) on the "
        f"same growth in both arms ({_DOCS}: 'Between-arm PFS hazard ratio', 'The drug-sensitive subgroup of "
        "trastuzumab-resistant disease')"),
    TOXICITY: (
        "the marrow model is calibrated on COMFORT-I (myelofibrosis, other doses and disease) and only compared "
        "with this trial (docs/marrow_toxicity.md)"),
}
"""The fixed explanation of a miss, by kind of endpoint (module docstring)."""

_KINDS = {**{name: DURABLE for name in (tc.PFS_6MO, tc.CBR, tc.CBR_EVALUABLE, tc.MEDIAN_DOR_WEEKS)},
          **{name: RESPONSE for name in (tc.ORR, tc.ORR_EVALUABLE)},
          **{name: TOXICITY for name in tc.TOXICITY_ENDPOINT_NAMES},
          **{name: BETWEEN_ARMS for name in tc.BETWEEN_ARM_ENDPOINT_NAMES}}


def median_beyond_first_scans(spec: TrialSpec, observed_weeks: float) -> bool:
    """True if the scheduled scan nearest *observed_weeks* is later than the spec's second scan
    (scans at ``first_scan + k * scan_interval``, k = 0, 1, ...)."""
    first, step = spec.assessment.first_scan.weeks, spec.assessment.scan_interval.weeks
    nearest = max(0, int(np.rint((observed_weeks - first) / step)))
    return nearest >= 2


def endpoint_kind(spec: TrialSpec, endpoint: str, observed: float) -> str:
    """Kind of an observed endpoint (module docstring); median PFS by its observed value."""
    if endpoint == tc.MEDIAN_PFS_WEEKS:
        return DURABLE if median_beyond_first_scans(spec, observed) else EARLY_MEDIAN
    return _KINDS[endpoint]


def validation_misses(comparison: pd.DataFrame, spec: TrialSpec, threshold: float = MISS_P) -> pd.DataFrame:
    """Observed validation endpoints with ``predictive_p`` below *threshold* (module docstring).

    Parameters
    ----------
    comparison
        A run's comparison table (columns :data:`stat3qsp.trial.columns.COMPARISON_COLUMNS`).
    spec
        The run's trial spec (its scan schedule places a median PFS).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`stat3qsp.trial.columns.MISS_COLUMNS`, in the comparison's row order; no rows
        when nothing misses.
    """
    p = comparison.get(tc.PREDICTIVE_P, pd.Series(np.nan, index=comparison.index)).astype(float)
    chosen = comparison[(comparison[tc.ROLE] == "validation") & comparison[tc.OBSERVED].notna() & (p < threshold)]
    rows = []
    for r in chosen.itertuples(index=False):
        row = r._asdict()
        below = row[tc.P_GE_OBSERVED] < row[tc.P_LE_OBSERVED]
        share = row[tc.P_GE_OBSERVED] if below else row[tc.P_LE_OBSERVED]
        direction = (f"{BELOW} (P(pred >= obs) = {share:.2g})" if below else f"{ABOVE} (P(pred <= obs) = {share:.2g})")
        kind = endpoint_kind(spec, row[tc.ENDPOINT], float(row[tc.OBSERVED]))
        rows.append((row[tc.ENDPOINT], row[tc.ARM], float(row[tc.PREDICTIVE_P]), direction,
                     f"{kind}: {REASONS[kind]}"))
    return pd.DataFrame(rows, columns=list(tc.MISS_COLUMNS))
