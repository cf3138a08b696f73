"""Names of the synergy methods and response kinds (light: the command line's help reads them without importing
the scoring code)."""
from __future__ import annotations

HSA = "hsa"
"""Highest single agent."""
BLISS = "bliss"
"""Bliss independence."""
LOEWE = "loewe"
"""Loewe additivity."""
ZIP = "zip"
"""Zero interaction potency."""
SCORE_METHODS = (HSA, BLISS, LOEWE, ZIP)
"""Methods of :func:`stat3qsp.assay.synergy.scores.score_matrix`."""

INHIBITION = "inhibition"
"""Response kind: % inhibition (0 untreated, 100 full effect)."""
VIABILITY = "viability"
"""Response kind: % viability (100 untreated); converted by ``inhibition = 100 - viability``."""
RESPONSE_KINDS = (INHIBITION, VIABILITY)
"""Accepted ``response`` kinds."""
MUSYC = "musyc"
"""File method: MuSyC fit per block (summary columns ``musyc_*``)."""
CI = "ci"
"""File method: Chou-Talalay combination index (per-well ``ci``, summary ``ci_mean``)."""
FILE_METHODS = SCORE_METHODS + (MUSYC, CI)
"""Methods accepted by :func:`stat3qsp.assay.synergy.io.score_file`."""

CSS_METHOD = "css"
"""Method name of the sensitivity scores (RI, IC50 and CSS per drug, block CSS)."""
PLATE_METHODS = FILE_METHODS + (CSS_METHOD,)
"""Methods accepted by :func:`stat3qsp.assay.synergy.plate.score_plate`."""
DEFAULT_METHODS = ("hsa", "bliss", "loewe", "zip", CSS_METHOD)
"""Methods of the verb and of the workflow when none are given."""
DEFAULT_LEVEL = 0.95
"""Default two-sided level of the bootstrap intervals."""
