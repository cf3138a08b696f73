"""Column names of the dose-response, synergy and exposure tables.

Import the module and use its constants (``from stat3qsp.assay import columns as col``;
``df[col.CONC_R]``); never star-import it. Tables using these names:

SynergyFinder long input (read by :func:`stat3qsp.synergy_io.read_matrix_csv`)
    ``block_id, drug_row, drug_col, conc_r, conc_c, response, conc_r_unit, conc_c_unit``
per-well synergy table (:func:`stat3qsp.synergy.score_matrix`, ``OUT.tsv``)
    ``[block_id,] conc_r, conc_c, inhibition, <method>_reference, <method>_score, ...,
    loewe_undefined, zip_fit, ci, reference_mode``
per-block summary table (``OUT.summary.tsv``)
    ``block_id, hsa, bliss, loewe, zip, musyc_*, ci_mean, drug_row, drug_col, reference_mode``;
    the workflow's summaries add ``<method>_clinical, ci_clinical, n_clinical_wells, clinical_note``
exposure table (:func:`stat3qsp.exposure.exposure_table`, ``results/pk/exposure.tsv``)
    :data:`EXPOSURE_COLUMNS`
"""
from __future__ import annotations

# --- SynergyFinder long input format ---------------------------------------------------------
BLOCK_ID = "block_id"
"""Identifier of one drug-combination dose matrix (a block), as given in the input file."""
DRUG_ROW = "drug_row"
"""Name of the drug whose doses vary along the rows of the matrix."""
DRUG_COL = "drug_col"
"""Name of the drug whose doses vary along the columns of the matrix."""
CONC_R = "conc_r"
"""Concentration of the row drug in a well, in ``conc_r_unit``."""
CONC_C = "conc_c"
"""Concentration of the column drug in a well, in ``conc_c_unit``."""
RESPONSE = "response"
"""Measured response of a well: % inhibition or % viability, as declared by the caller."""
CONC_R_UNIT = "conc_r_unit"
"""Unit of ``conc_r`` (e.g. nM); one unit per drug and block."""
CONC_C_UNIT = "conc_c_unit"
"""Unit of ``conc_c`` (e.g. nM); one unit per drug and block."""
SYNERGY_INPUT_COLUMNS = (BLOCK_ID, DRUG_ROW, DRUG_COL, CONC_R, CONC_C, RESPONSE, CONC_R_UNIT, CONC_C_UNIT)
"""Required columns of the SynergyFinder long input format, in their usual order."""

# --- per-well synergy table ------------------------------------------------------------------
INHIBITION = "inhibition"
"""Observed % inhibition of a well (0 = untreated control, 100 = full effect), replicates averaged."""
INHIBITION_SD = "inhibition_sd"
"""Sample standard deviation (ddof 1) of a well's replicate % inhibition; NaN with one replicate."""
N_REPLICATES = "n_replicates"
"""Number of replicates of a well in the input (0 for a filled-in zero-dose control)."""
LO_SUFFIX = "_lo"
"""Suffix of a bootstrap interval's lower end, e.g. ``bliss_score_lo`` or ``bliss_lo``."""
HI_SUFFIX = "_hi"
"""Suffix of a bootstrap interval's upper end, e.g. ``bliss_score_hi`` or ``bliss_hi``."""
REFERENCE_SUFFIX = "_reference"
"""Suffix of the column holding a method's expected (no-interaction) % inhibition, e.g. ``bliss_reference``."""
SCORE_SUFFIX = "_score"
"""Suffix of the column holding a method's synergy score (observed - reference, percentage points)."""
LOEWE_UNDEFINED = "loewe_undefined"
"""True where the Loewe reference effect lies beyond what one drug alone can reach (its term set to 0)."""
ZIP_FIT = "zip_fit"
"""ZIP: observed % inhibition smoothed by SynergyFinder's row and column LL.4 fits (their average)."""
CI = "ci"
"""Chou-Talalay combination index of a well (< 1 synergy, 1 additivity, > 1 antagonism)."""
REFERENCE_MODE = "reference_mode"
"""How single-agent references were obtained: ``fitted`` (LL.4 fits to the matrix) or ``exact``."""

# --- per-block summary table ------------------------------------------------------------------
MUSYC_ALPHA12 = "musyc_alpha12"
"""MuSyC synergistic potency: fold change of drug 2 (column) potency caused by drug 1 (row)."""
MUSYC_ALPHA21 = "musyc_alpha21"
"""MuSyC synergistic potency: fold change of drug 1 (row) potency caused by drug 2 (column)."""
MUSYC_BETA = "musyc_beta"
"""MuSyC synergistic efficacy ``(min(E1, E2) - E3) / (E0 - min(E1, E2))``, E in % viability."""
MUSYC_GAMMA12 = "musyc_gamma12"
"""MuSyC synergistic cooperativity: fold change of drug 2's Hill slope caused by drug 1."""
MUSYC_GAMMA21 = "musyc_gamma21"
"""MuSyC synergistic cooperativity: fold change of drug 1's Hill slope caused by drug 2."""
CI_MEAN = "ci_mean"
"""Mean Chou-Talalay combination index over the wells where it is defined."""

# --- cross-setting comparison tables (stat3qsp.assay.comparison; results/comparison/*.tsv) -----------
SETTING_CONTEXT = "context"
"""Context of a setting (models/catalog.yaml)."""
BACKBONE = "backbone"
"""Backbone therapy of the setting as ``drug=conc nM`` pairs joined by ``+``."""
ADD_ON = "add_on"
"""Drug added to the backbone (e.g. ruxolitinib)."""
ADD_ON_NM = "add_on_nM"
"""Free concentration of the add-on (nM)."""
JAK_SHARE = "jak_share"
"""Share of STAT3 phosphorylation flux through IL-6/JAK (reaction STAT3_phos_JAK), in [0, 1]."""
RTK_SHARE = "rtk_share"
"""Share of STAT3 phosphorylation flux by receptor tyrosine kinases directly (STAT3_phos_RTK); 1 - jak_share."""
IL6_TX_RTK_SHARE = "il6_tx_rtk_share"
"""Share of IL6 transcription driven by receptor tyrosine kinases (hook IL6_tx_RTK), in [0, 1]."""
BLISS_VIABILITY = "bliss_viability_pct"
"""Bliss expectation of the combination's viability: backbone viability x add-on-alone viability / 100."""
BLISS_EXCESS = "bliss_excess_pp"
"""Bliss expectation minus the combination's viability (percentage points; > 0: more than independent action)."""

# --- clinically reachable wells of a synergy summary (stat3qsp.assay.clinical_region) -----------------
CLINICAL_SUFFIX = "_clinical"
"""Suffix of a method's mean score over the clinically reachable wells, e.g. ``bliss_clinical``."""
CI_CLINICAL = "ci_clinical"
"""Mean Chou-Talalay combination index over the clinically reachable wells where it is defined."""
N_CLINICAL_WELLS = "n_clinical_wells"
"""Number of clinically reachable wells (both drugs within their widened clinical ranges)."""
CLINICAL_NOTE = "clinical_note"
"""Why the clinical scores are NaN or what the widening rule had to do (empty if nothing)."""

# --- free exposure table (stat3qsp.trial.exposure; results/pk/exposure.tsv) ---------------------------
TRIAL = "trial"
"""Trial spec id the regimen comes from."""
EXPOSURE_DRUG = "drug"
"""Drug of the regimen (models/catalog.yaml)."""
REGIMEN = "regimen"
"""The regimen in words: dose, route, interval and loading dose."""
ARMS = "arms"
"""Arms of the spec that give the regimen, comma-separated."""
CLINICAL = "clinical"
"""True if a non-counterfactual arm gives the regimen (its exposure defines the clinical range)."""
EXPOSURE_CONTEXT = "context"
"""Model context of the first arm with the regimen (its table values make the typical patient)."""
TYPICAL_BODY_WEIGHT = "typical_body_weight_kg"
"""Body weight of the typical patient: the mean of the spec's distribution (kg)."""
FREE_TROUGH = "free_trough_nM"
"""Typical patient's steady-state trough of the free concentration at the tumour (nM)."""
FREE_PEAK = "free_peak_nM"
"""Typical patient's steady-state peak of the free concentration at the tumour (nM)."""
FREE_MEAN = "free_mean_nM"
"""Typical patient's steady-state mean (AUC over the interval / interval) of the free concentration (nM)."""
TROUGH_P05 = "free_trough_p05_nM"
"""5th percentile over the virtual population of the steady-state free trough (nM)."""
TROUGH_P95 = "free_trough_p95_nM"
"""95th percentile over the virtual population of the steady-state free trough (nM)."""
PEAK_P05 = "free_peak_p05_nM"
"""5th percentile over the virtual population of the steady-state free peak (nM)."""
PEAK_P95 = "free_peak_p95_nM"
"""95th percentile over the virtual population of the steady-state free peak (nM)."""
MEAN_P05 = "free_mean_p05_nM"
"""5th percentile over the virtual population of the steady-state free mean (nM)."""
MEAN_P95 = "free_mean_p95_nM"
"""95th percentile over the virtual population of the steady-state free mean (nM)."""
N_POPULATION = "n_population"
"""Virtual patients behind the percentiles (0 when the drug was skipped)."""
STEADY_STATE_DOSES = "steady_state_doses"
"""Doses given before the steady-state interval of the typical patient."""
EXPOSURE_NOTE = "note"
"""Why a drug was skipped (no PK module), else empty."""
EXPOSURE_VALUE_COLUMNS = (FREE_TROUGH, FREE_PEAK, FREE_MEAN, TROUGH_P05, TROUGH_P95, PEAK_P05, PEAK_P95,
                          MEAN_P05, MEAN_P95)
"""Numeric exposure columns (NaN for a skipped drug)."""
EXPOSURE_COLUMNS = (TRIAL, EXPOSURE_DRUG, REGIMEN, ARMS, CLINICAL, EXPOSURE_CONTEXT, TYPICAL_BODY_WEIGHT,
                    *EXPOSURE_VALUE_COLUMNS, N_POPULATION, STEADY_STATE_DOSES, EXPOSURE_NOTE)
"""All columns of the exposure table, in order."""
