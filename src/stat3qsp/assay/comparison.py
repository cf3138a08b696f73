"""Cross-setting comparison: where STAT3 phosphorylation comes from, and what an add-on drug adds.

A *setting* is a context with its backbone therapy at clinically relevant free concentrations
(e.g. her2_amplified with trastuzumab, tnbc_egfr with neratinib). For each setting:

(a) Attribution of STAT3 phosphorylation at a steady state (untreated by default). Cytoplasmic
STAT3 is phosphorylated by two reactions of the model (models/core/stat3.ant)::

    v_JAK = STAT3_phos_JAK_k * JAK_activity * IL6R_act * STAT3_cyt      (reaction STAT3_phos_JAK)
    v_RTK = STAT3_RTK_drive * STAT3_cyt                                 (reaction STAT3_phos_RTK)

and the JAK share is ``v_JAK / (v_JAK + v_RTK)`` (the RTK share its complement), read from
roadrunner's reaction rates. Receptor kinases also act upstream of JAK by driving IL6
transcription; the share of IL6 transcription that comes from them is
``IL6_tx_RTK / (IL6_tx_basal_k + IL6_tx_RTK + IL6_tx_STAT3_k * STAT3_nuclear_activity)``, i.e.
``IL6_tx_RTK * cytoplasm / v(IL6_transcription)``.

(b) Benefit of an add-on (ruxolitinib): for each add-on concentration c, the readouts of backbone +
add-on against the backbone alone, ``delta = readout(backbone + c) - readout(backbone)``, with the
relative change for pSTAT3 and calprotectin, the add-on alone, and the Bliss expectation of the
combination's viability, ``V_bliss = V_backbone * V_add_on / 100`` (Bliss 1939; viabilities in
% of vehicle). ``bliss_excess_pp = V_bliss - V_combination`` is positive when the combination kills
more than independent action predicts.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from stat3qsp.assay import columns as col
from stat3qsp.model.catalog import Catalog
from stat3qsp.model.concentrations import to_nanomolar
from stat3qsp.errors import InputError
from stat3qsp.model.readouts import VIABILITY

if TYPE_CHECKING:  # annotations only: the workflow's config check reads comparison_doses without the simulator
    from stat3qsp.model.simulator import ContextSimulator, Model

#: Reactions of STAT3 phosphorylation through IL-6/JAK and directly by receptor tyrosine kinases.
JAK_REACTION, RTK_REACTION = "STAT3_phos_JAK", "STAT3_phos_RTK"
#: The IL6 transcription reaction and the hook of its receptor-kinase-driven part.
IL6_TX_REACTION, IL6_TX_RTK = "IL6_transcription", "IL6_tx_RTK"
#: Readouts compared between backbone and backbone + add-on.
COMPARED_READOUTS = ("viability_pct", "pSTAT3_fraction", "calprotectin_nM")


def phosphorylation_shares(simulator: ContextSimulator, doses_nM: dict[str, float] | None = None,
                           hours: float = 72.0) -> dict[str, float]:
    """Shares of STAT3 phosphorylation flux through IL-6/JAK and direct receptor-kinase input.

    Parameters
    ----------
    simulator
        A context of the model.
    doses_nM
        Free drug concentrations (nM) applied at t = 0 to the untreated steady state; none (the
        default) gives the untreated steady state itself.
    hours
        Time after drug addition at which the fluxes are read.

    Returns
    -------
    dict
        ``jak_share`` and ``rtk_share`` (in [0, 1], summing to 1; module docstring) and
        ``il6_tx_rtk_share``, the share of IL6 transcription driven by receptor kinases.
    """
    simulator.assay(dict(doses_nM or {}), hours)
    return _shares_at_end(simulator)


def _shares_at_end(simulator: ContextSimulator) -> dict[str, float]:
    """The shares of :func:`phosphorylation_shares` in the runner's current state (after an assay)."""
    runner = simulator.model.runner
    rates = dict(zip(runner.model.getReactionIds(), runner.model.getReactionRates()))
    v_jak, v_rtk = rates[JAK_REACTION], rates[RTK_REACTION]
    total = v_jak + v_rtk
    if not total > 0:
        raise ValueError(f"no STAT3 phosphorylation in context {simulator.name} (JAK {v_jak}, RTK {v_rtk})")
    return {col.JAK_SHARE: v_jak / total, col.RTK_SHARE: v_rtk / total,
            col.IL6_TX_RTK_SHARE: runner[IL6_TX_RTK] * runner["cytoplasm"] / rates[IL6_TX_REACTION]}


def add_on_effects(model: Model, context: str, backbone_nM: dict[str, float], add_on: str,
                   concentrations_nM: np.ndarray, hours: float = 72.0) -> pd.DataFrame:
    """Readouts of backbone + add-on against the backbone alone, one row per add-on concentration.

    Returns
    -------
    pandas.DataFrame
        Columns of :mod:`stat3qsp.assay.columns` (comparison section): context, backbone, add-on and its
        concentration, then for each readout of :data:`COMPARED_READOUTS` the backbone, add-on
        alone and combination values and the change ``delta_<readout>`` (and
        ``relchange_<readout>`` in % for the signalling readouts), the Bliss expectation and excess
        of viability, and the JAK share of STAT3 phosphorylation under the combination.
    """
    if add_on in backbone_nM:
        raise InputError(f"the add-on {add_on!r} is already part of the backbone {backbone_nM}")
    simulator = model.context(context)
    base = simulator.assay(backbone_nM, hours)
    rows = []
    for conc in np.asarray(concentrations_nM, dtype=float):
        combination = simulator.assay({**backbone_nM, add_on: float(conc)}, hours)
        shares = _shares_at_end(simulator)
        alone = simulator.assay({add_on: float(conc)}, hours)
        row = {col.SETTING_CONTEXT: context, col.BACKBONE: describe_doses(backbone_nM), col.ADD_ON: add_on,
               col.ADD_ON_NM: float(conc)}
        for readout in COMPARED_READOUTS:
            row[f"backbone_{readout}"] = base[readout]
            row[f"add_on_alone_{readout}"] = alone[readout]
            row[f"combination_{readout}"] = combination[readout]
            row[f"delta_{readout}"] = combination[readout] - base[readout]
            if readout != VIABILITY:
                row[f"relchange_{readout}"] = 100.0 * (combination[readout] / base[readout] - 1.0)
        row[col.BLISS_VIABILITY] = base[VIABILITY] * alone[VIABILITY] / 100.0
        row[col.BLISS_EXCESS] = row[col.BLISS_VIABILITY] - combination[VIABILITY]
        row[f"combination_{col.JAK_SHARE}"] = shares[col.JAK_SHARE]
        rows.append(row)
    return pd.DataFrame(rows)


def compare_settings(model: Model, backbones_nM: dict[str, dict[str, float]], add_on: str, clinical_nM: float,
                     range_nM: np.ndarray, hours: float = 72.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Attribution and add-on benefit in every setting.

    Parameters
    ----------
    backbones_nM
        Context -> backbone doses (drug -> free nM).
    add_on, clinical_nM, range_nM
        The add-on drug, its clinically relevant free concentration and a concentration range.

    Returns
    -------
    settings : pandas.DataFrame
        One row per setting: the untreated attribution (:func:`phosphorylation_shares`), the JAK
        share under the backbone, and the add-on effects at the clinical concentration
        (:func:`add_on_effects`).
    add_on_range : pandas.DataFrame
        :func:`add_on_effects` over *range_nM* for every setting.
    """
    settings, ranges = [], []
    for context, backbone in backbones_nM.items():
        simulator = model.context(context)
        untreated = phosphorylation_shares(simulator)
        on_backbone = phosphorylation_shares(simulator, backbone, hours)
        clinical = add_on_effects(model, context, backbone, add_on, np.array([clinical_nM]), hours).iloc[0].to_dict()
        settings.append({**{k: clinical.pop(k) for k in (col.SETTING_CONTEXT, col.BACKBONE, col.ADD_ON, col.ADD_ON_NM)},
                         **untreated, f"backbone_{col.JAK_SHARE}": on_backbone[col.JAK_SHARE], **clinical})
        ranges.append(add_on_effects(model, context, backbone, add_on, range_nM, hours))
    return pd.DataFrame(settings), pd.concat(ranges, ignore_index=True)


def describe_doses(doses_nM: dict[str, float]) -> str:
    """``drug=conc nM`` pairs joined by ``+`` (``none`` for no drug)."""
    return " + ".join(f"{drug}={conc:g} nM" for drug, conc in doses_nM.items()) or "none"


def comparison_doses(spec: dict[str, Any], catalog: Catalog) -> tuple[dict[str, dict[str, float]], float, np.ndarray]:
    """Backbones, clinical add-on concentration and add-on range (nM) of the config's ``comparison`` section.

    Raises
    ------
    InputError
        Naming the config key, for an unknown context or drug, a bad concentration, or an add-on
        that is part of a backbone.
    """
    add_on = spec["add_on"]
    if add_on not in catalog.drugs:
        raise InputError(f"config comparison.add_on: unknown drug {add_on!r}; known: {', '.join(sorted(catalog.drugs))}")
    backbones: dict[str, dict[str, float]] = {}
    for context, doses in spec["backbones"].items():
        if context not in catalog.contexts:
            raise InputError(f"config comparison.backbones: unknown context {context!r}; known: {', '.join(sorted(catalog.contexts))}")
        for drug in doses:
            if drug not in catalog.drugs:
                raise InputError(f"config comparison.backbones.{context}: unknown drug {drug!r}; known: {', '.join(sorted(catalog.drugs))}")
            if drug == add_on:
                raise InputError(f"config comparison.backbones.{context}: the add-on {add_on!r} cannot be part of the backbone")
        backbones[context] = {drug: to_nanomolar(text, drug, catalog) for drug, text in doses.items()}
    clinical = to_nanomolar(spec["add_on_clinical"], add_on, catalog)
    grid = spec["add_on_range"]
    low, high = (to_nanomolar(grid[k], add_on, catalog) for k in ("low", "high"))
    if not 0 < low < high:
        raise InputError(f"config comparison.add_on_range: need 0 < low < high, got {grid['low']!r} and {grid['high']!r}")
    return backbones, clinical, np.geomspace(low, high, int(grid["points"]))
