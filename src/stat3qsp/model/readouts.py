"""Readouts of the signalling model: names, units and the model variable behind each.

Readout names are also the column names of time-course and assay tables.
"""
from __future__ import annotations

#: Readout name -> (model variable, unit, description).
READOUTS: dict[str, tuple[str, str, str]] = {
    "pSTAT3_fraction": ("pSTAT3_fraction", "1", "phosphorylated share of all STAT3"),
    "IL6_secreted_nM": ("[IL6_ext]", "nM", "IL-6 in the pericellular medium"),
    "calprotectin_nM": ("[calprotectin]", "nM", "S100A8/S100A9 heterodimer (calprotectin)"),
    "SOCS3_nM": ("[SOCS3]", "nM", "SOCS3 protein"),
    "HER2_signal": ("HER2_signal", "1", "HER2 signalling output, 1 = amplified level without drug"),
    "log_cells": ("log_cells", "1", "ln(N/N0) of the culture since drug addition"),
}
#: Viability (% of vehicle at the same time), computed from log_cells against the vehicle run.
VIABILITY = "viability_pct"
TIME = "time_h"
#: Readouts that sweeps and assays report, in this order.
ASSAY_READOUTS = ("viability_pct", "pSTAT3_fraction", "IL6_secreted_nM", "calprotectin_nM", "SOCS3_nM")
