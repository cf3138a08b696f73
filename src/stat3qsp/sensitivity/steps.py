"""Functions that the rule scripts of ``workflows/sensitivity.smk`` call: one call per rule.

A rule gets the *family settings*: ``{"family": name, "seed", "fixed", "settings":
config.sensitivity.<family>}`` plus, for the synergy family, ``grids`` (config ``synergy.grids``)
and ``hours`` (``assay_hours``). Designs and replicate trials are split into shards of contiguous
samples or replicates (:mod:`stat3qsp.io.shards`; Snakemake's scattergather names them ``i-of-n``), one
job each, so an interrupted run redoes only the missing shards.

The modules that simulate (:mod:`stat3qsp.sensitivity.outputs`, :mod:`stat3qsp.sensitivity.uncertainty`) and
draw are imported by the functions that use them, as most rules only read and write tables; what the
Snakefile needs at parse time is in :mod:`stat3qsp.sensitivity.config_check` (re-exported here).
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import pandas as pd

from stat3qsp.sensitivity import design as sa
from stat3qsp.sensitivity import columns as sc
from stat3qsp.trial import columns as tc
from stat3qsp.model.catalog import read_catalog
from stat3qsp.model.provenance import file_hash, provenance_lines
from stat3qsp.model.concentrations import to_nanomolar
from stat3qsp.assay.dose_response import concentration_grid
from stat3qsp.errors import InputError
from stat3qsp.model.simulator import load_model
from stat3qsp.io.tables import read_table, write_table_atomic
from stat3qsp.model.parameters import read_parameter_table
from stat3qsp.trial.regimen import read_regimen_map
from stat3qsp.trial.names import VARIANT, DOUBLING
from stat3qsp.io.shards import EMPTY_SHARD, gather_tables, shard_items
from stat3qsp.sensitivity.config_check import FAMILIES, check_sensitivity_config, family_settings  # noqa: F401

if TYPE_CHECKING:
    from stat3qsp.sensitivity.outputs import SynergySetup, TrialSetup
    from stat3qsp.sensitivity.uncertainty import UncertaintySetup

SUMMARY_TOP = 5
"""Factors per output and method in the summary table."""


# -- set-up ----------------------------------------------------------------------------------------
def family_setup(family: dict[str, Any], models_dir: str) -> SynergySetup | TrialSetup:
    """The output setup of a family's settings (module docstring)."""
    from stat3qsp.sensitivity.outputs import SynergySetup, TrialSetup

    settings = family["settings"]
    if family["family"] == "synergy":
        catalog = read_catalog(models_dir)
        pair, points = settings["pair"], int(settings["points"])
        grids = []
        for drug in (pair["row"], pair["col"]):
            grid = family["grids"][drug]
            low, high = (to_nanomolar(grid[k], drug, catalog) for k in ("low", "high"))
            grids.append(tuple(float(c) for c in concentration_grid(low, high, points - 1)))
        return SynergySetup(tuple(settings["contexts"]), pair["row"], pair["col"], grids[0], grids[1],
                            float(family["hours"]), models_dir)
    if family["family"] == "trial":
        return TrialSetup(settings["spec"], settings["arm"], int(settings["patients"]), int(settings["seed"]),
                          float(settings["horizon_weeks"]), settings["growth_scale"], models_dir)
    raise InputError(f"sensitivity family {family['family']!r}; accepted: {', '.join(FAMILIES)}")


def _contexts(setup: SynergySetup | TrialSetup) -> tuple[str, ...]:
    return setup.contexts if hasattr(setup, "contexts") else (setup.context,)


def _header(family: dict[str, Any], models_dir: str, variant: str | None) -> list[str]:
    settings = {k: v for k, v in family.items() if k != "family"}
    return [*provenance_lines(models_dir, variant), f"family: {family['family']}", f"settings: {settings}"]


def _variant(family: dict[str, Any]) -> str | None:
    return "patient" if family["family"] == "trial" else None


def _read(path: str | Path) -> pd.DataFrame:
    return read_table(path)


# -- rules: sensitivity ------------------------------------------------------------------------
def write_morris_design(family: dict[str, Any], models_dir: str, factors_path: str, design_path: str) -> None:
    """The factors table (every settable parameter, factor or held and why) and the Morris design."""
    setup = family_setup(family, models_dir)
    model = load_model(models_dir)
    held = sa.held_parameters(model.catalog, read_regimen_map(models_dir), _contexts(setup), setup.drugs, family["fixed"])
    factors = sa.factors_table(model.parameters, setup.settable(), held)
    free = sa.factors_from_table(factors)
    design = sa.morris_design(free, int(family["settings"]["trajectories"]), sa.stream(int(family["seed"]), sa.MORRIS_STREAM))
    header = _header(family, models_dir, _variant(family))
    write_table_atomic(factors_path, factors, header)
    write_table_atomic(design_path, design, header + [f"factors: {len(free)}", f"samples: {len(design)}"])
    logging.info("%d factors, %d held; %d Morris samples", len(free), len(factors) - len(free), len(design))


def run_design_block(family: dict[str, Any], models_dir: str, design_path: str, scatteritem: str,
                     outputs_path: str) -> None:
    """Evaluate one shard (``i-of-n``) of a design (outputs table)."""
    header = _header(family, models_dir, _variant(family)) + [f"shard: {scatteritem}"]
    block = shard_items(_read(design_path), scatteritem)
    if not len(block):
        write_table_atomic(outputs_path, pd.DataFrame(), header + [EMPTY_SHARD])
        return
    outputs = sa.evaluate(family_setup(family, models_dir), block)
    failed = outputs.loc[outputs[sc.ERROR].fillna("") != "", sc.SAMPLE].nunique()
    logging.info("shard %s: %d samples, %d without outputs", scatteritem, len(block), failed)
    write_table_atomic(outputs_path, outputs, header)


def _concatenate(paths: Sequence[str]) -> pd.DataFrame:
    table = gather_tables(paths)
    table[sc.ERROR] = table[sc.ERROR].fillna("")
    return table


def write_morris(family: dict[str, Any], models_dir: str, factors_path: str, design_path: str,
                 block_paths: Sequence[str], morris_path: str, outputs_path: str) -> None:
    """Morris indices of every output and factor, and the outputs of every sample."""
    free = sa.factors_from_table(_read(factors_path))
    outputs = _concatenate(block_paths)
    morris = sa.morris_indices(free, _read(design_path), outputs, sa.stream(int(family["seed"]), sa.BOOTSTRAP_STREAM))
    header = _header(family, models_dir, _variant(family))
    write_table_atomic(outputs_path, outputs, header)
    write_table_atomic(morris_path, morris, header + [f"levels: {sa.MORRIS_LEVELS}", f"bootstrap: {sa.BOOTSTRAP_RESAMPLES}"])


def write_sobol_design(family: dict[str, Any], models_dir: str, factors_path: str, morris_path: str,
                       design_path: str) -> None:
    """The Saltelli design over the top factors of the Morris screen."""
    top = sa.top_factors(_read(morris_path), int(family["settings"]["top_factors"]))
    factors = sa.factors_from_table(_read(factors_path), top)
    design = sa.sobol_design(factors, int(family["settings"]["sobol_base_samples"]),
                             sa.stream(int(family["seed"]), sa.SOBOL_STREAM))
    write_table_atomic(design_path, design, _header(family, models_dir, _variant(family)) + [f"factors: {', '.join(top)}"])


def write_sobol(family: dict[str, Any], models_dir: str, factors_path: str, design_path: str,
                block_paths: Sequence[str], sobol_path: str, outputs_path: str) -> None:
    """Sobol indices of every output and screened factor, and the outputs of every sample."""
    design = _read(design_path)
    factors = sa.factors_from_table(_read(factors_path), [c for c in design.columns if c != sc.SAMPLE])
    outputs = _concatenate(block_paths)
    sobol = sa.sobol_indices(factors, outputs, int(family["settings"]["sobol_base_samples"]),
                             sa.stream(int(family["seed"]), sa.BOOTSTRAP_STREAM))
    header = _header(family, models_dir, _variant(family))
    write_table_atomic(outputs_path, outputs, header)
    write_table_atomic(sobol_path, sobol, header + [f"bootstrap: {sa.BOOTSTRAP_RESAMPLES}"])


def write_noise(family: dict[str, Any], models_dir: str, outputs_path: str, noise_path: str) -> None:
    """Monte Carlo noise of the trial outputs: the nominal parameters with the patients of other
    replicates (1, 2, ...) of the same seed, against the spread over the Morris design."""
    setup = family_setup(family, models_dir)
    repeats = int(family["settings"]["noise_repeats"])
    outputs = []
    for replicate in range(1, repeats + 1):
        evaluated = sa.evaluate(setup.with_replicate(replicate), pd.DataFrame({sc.SAMPLE: [replicate]}))
        outputs.append(evaluated)
    table = sa.noise_table(pd.concat(outputs, ignore_index=True), _read(outputs_path))
    write_table_atomic(noise_path, table, _header(family, models_dir, _variant(family)))


def write_summary(morris_paths: Sequence[str], sobol_paths: Sequence[str], summary_path: str,
                  top: int = SUMMARY_TOP) -> None:
    """The *top* factors of every output by Morris mu* and by Sobol ST, with both indices; factors
    with mu* = 0 (or ST = 0 or NaN) are left out."""
    morris = pd.concat([_read(p) for p in morris_paths], ignore_index=True)
    sobol = pd.concat([_read(p) for p in sobol_paths], ignore_index=True)
    indices = morris[[sc.OUTPUT, sc.FACTOR, sc.MU_STAR, sc.MU_STAR_CONF, sc.MU]].merge(
        sobol[[sc.OUTPUT, sc.FACTOR, sc.S1, sc.S1_CONF, sc.ST, sc.ST_CONF]], on=[sc.OUTPUT, sc.FACTOR], how="left")
    rows = []
    for method, ranking, index in (("morris", morris, sc.MU_STAR), ("sobol", sobol, sc.ST)):
        best = ranking[(ranking[sc.RANK] <= top) & (ranking[index].abs() > 0)][[sc.OUTPUT, sc.FACTOR, sc.RANK]]
        rows.append(best.merge(indices, on=[sc.OUTPUT, sc.FACTOR], how="left").assign(method=method))
    summary = pd.concat(rows, ignore_index=True)
    order = {name: i for i, name in enumerate(dict.fromkeys(morris[sc.OUTPUT]))}
    summary = summary.sort_values(["method", sc.OUTPUT, sc.RANK], key=lambda c: c.map(order) if c.name == sc.OUTPUT else c,
                                  kind="stable")
    columns = [sc.OUTPUT, "method", sc.RANK, sc.FACTOR, sc.MU_STAR, sc.MU_STAR_CONF, sc.MU, sc.S1, sc.S1_CONF, sc.ST, sc.ST_CONF]
    constant = [name for name in order if name not in set(summary[sc.OUTPUT])]
    notes = [f"outputs that no factor changed (left out): {', '.join(constant) or 'none'}"]
    write_table_atomic(summary_path, summary[columns].reset_index(drop=True), notes)


def plot_morris(morris_path: str, figure_path: str) -> None:
    """Morris figure of one family."""
    from stat3qsp.sensitivity.figures import morris_figure

    morris_figure(_read(morris_path), figure_path)


def plot_sobol(sobol_path: str, figure_path: str) -> None:
    """Sobol figure of one family."""
    from stat3qsp.sensitivity.figures import sobol_figure

    sobol_figure(_read(sobol_path), figure_path)


# -- rules: uncertainty ------------------------------------------------------------------------
def uncertainty_setup(settings: dict[str, Any], models_dir: str) -> UncertaintySetup:
    """The setup of config ``uncertainty``."""
    from stat3qsp.sensitivity.uncertainty import UncertaintySetup, uncertain_parameters

    table = read_parameter_table(Path(models_dir) / "parameters.tsv")
    groups = tuple(tuple(uncertain_parameters(table, settings["profile_source"], group["ranges"], group["profile"]))
                   for group in settings["parameter_sets"])
    patients = settings.get("patients")
    return UncertaintySetup(settings["spec"], tuple(settings["arms"]), None if patients is None else int(patients),
                            int(settings["seed"]), int(settings["parameter_seed"]), groups, tuple(table),
                            float(settings["horizon_weeks"]), settings["growth_scale"], models_dir)


def _uncertainty_header(settings: dict[str, Any], models_dir: str) -> list[str]:
    spec = Path(settings["spec"])
    return [*provenance_lines(models_dir, VARIANT), f"trial_spec: {spec.name} sha256 {file_hash(spec)}",
            f"settings: {settings}"]


def run_uncertainty_block(settings: dict[str, Any], models_dir: str, scatteritem: str, endpoints_path: str,
                          draws_path: str) -> None:
    """Replicate trials of one shard (``i-of-n``): endpoints per source of uncertainty, and the parameter draws."""
    from stat3qsp.sensitivity.uncertainty import simulate_replicates

    header = _uncertainty_header(settings, models_dir) + [f"shard: {scatteritem}"]
    block = shard_items(range(int(settings["replicates"])), scatteritem)
    if not len(block):
        for path in (endpoints_path, draws_path):
            write_table_atomic(path, pd.DataFrame(), header + [EMPTY_SHARD])
        return
    setup = uncertainty_setup(settings, models_dir)
    endpoints, draws = simulate_replicates(setup, block)
    write_table_atomic(endpoints_path, endpoints, header)
    write_table_atomic(draws_path, draws, header)
    logging.info("replicates %d-%d; %d parameter vectors without a growth scale", block.start, block.stop - 1,
                 int(draws[DOUBLING].isna().sum()) if len(draws) else 0)


def write_uncertainty(settings: dict[str, Any], models_dir: str, endpoint_paths: Sequence[str], draw_paths: Sequence[str],
                      endpoints_path: str, replicates_path: str, parameters_path: str) -> None:
    """Observed versus predicted per source of uncertainty, with the replicate endpoints and draws."""
    from stat3qsp.sensitivity.uncertainty import interval_table

    replicates = gather_tables(endpoint_paths)
    draws = gather_tables(draw_paths)
    header = _uncertainty_header(settings, models_dir)
    table = interval_table(replicates, settings["spec"])
    uncertain = [c for c in draws.columns if c not in (tc.REPLICATE, sc.UNCERTAINTY, DOUBLING)]
    notes = [f"{sc.UNCERTAINTY}: the sources of uncertainty each 90% prediction interval contains",
             f"uncertain parameters (parameters.tsv has the draws): {', '.join(uncertain)}",
             f"growth scale: {settings['growth_scale']} per parameter vector (stat3qsp.sensitivity.outputs)"]
    # Parameter vectors without a growth scale (the historical control's reference patient does not
    # progress: no calibration possible) give no trial; n_replicates counts the rest. Said, not dropped silently.
    for source, group in draws.groupby(sc.UNCERTAINTY, sort=False):
        missing = int(group[DOUBLING].isna().sum())
        notes.append(f"{source}: {missing} of {len(group)} parameter vectors have no growth scale (the historical "
                     "control's reference patient does not progress) and no trial; the interval is over the others")
    write_table_atomic(endpoints_path, table, header + notes)
    write_table_atomic(replicates_path, replicates, header)
    write_table_atomic(parameters_path, draws, header)


def plot_intervals(endpoints_path: str, figure_path: str) -> None:
    """Prediction intervals per source of uncertainty."""
    from stat3qsp.sensitivity.figures import interval_figure

    interval_figure(_read(endpoints_path), figure_path)
