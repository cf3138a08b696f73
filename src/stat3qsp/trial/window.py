"""The therapeutic window of ruxolitinib: tumour benefit and marrow toxicity against dose, per context.

For one arm of a trial spec (the trial's ruxolitinib regimen and its partner drugs), each context,
each schedule (``BID`` every 12 h, ``QD`` every 24 h) and dose, and each tumour potency estimate of
``rux_JAK_IC50`` (free nM; :data:`POTENCIES`, docs/ruxolitinib_potency.md), a virtual trial through
the one trial path (:func:`stat3qsp.trial.simulate.simulate_trial`, RECIST assessment, the marrow
course and dose rules of :mod:`stat3qsp.trial.marrow_course`): the arm is copied with the context and
the ruxolitinib dose and interval replaced; patients are the same in every arm (common random numbers).

Per row of the table: median over replicates of the ORR and of the KM median PFS (weeks), and the
fraction of treated patients (all replicates pooled) with grade >= 3 anaemia and grade >= 3
thrombocytopenia on treatment, with a dose reduction or hold, and the mean dose actually given. The
marrow EC50s do not depend on the tumour potency, so the toxicity differs between potencies only
through the time on treatment. ``trial_dose`` marks the spec arm's own regimen.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from stat3qsp.errors import InputError
from stat3qsp.io.tables import write_table_atomic
from stat3qsp.model.catalog import DEFAULT_MODELS_DIR
from stat3qsp.toxicity.marrow import interval_mean, marrow_values
from stat3qsp.trial import columns as tc
from stat3qsp.trial import marrow_course as mc
from stat3qsp.trial.assessment import assess
from stat3qsp.trial.simulate import TrialSettings, simulate_trial
from stat3qsp.trial.spec import load_trial_spec
from stat3qsp.trial.spec_types import Dose, Interval, TrialSpec

#: Tumour potency estimates of ruxolitinib, free IC50 (nM) on JAK (docs/ruxolitinib_potency.md).
POTENCIES = {"hepatocyte": 166.0, "whole_blood": 8.4}
POTENCY_PARAMETER = "rux_JAK_IC50"
#: Dosing interval (h) of each schedule.
SCHEDULES = {"BID": 12.0, "QD": 24.0}
DRUG = "ruxolitinib"
# Columns of results/window/<context>.tsv.
CONTEXT, POTENCY, IC50_NM, SCHEDULE, DOSE_MG = "context", "potency", "ic50_free_nM", "schedule", "dose_mg"
TRIAL_DOSE, N_PATIENTS = "trial_dose", "n_patients"
ORR, MEDIAN_PFS = "orr", "median_pfs_weeks"
ANAEMIA_G3, THROMBOCYTOPENIA_G3 = "anemia_grade3plus", "thrombocytopenia_grade3plus"
DOSE_REDUCTION, DOSE_INTERRUPTION, MEAN_DOSE = "dose_reduction", "dose_interruption", "mean_dose_mg"
JAK_INHIBITION = "jak_inhibition_mean"
"""Mean tumour JAK inhibition C / (IC50 + C) over a steady-state dosing interval of the starting dose,
typical PK (the ``rux_*`` rows of models/parameters.tsv; free C)."""
WINDOW_COLUMNS = (CONTEXT, POTENCY, IC50_NM, SCHEDULE, DOSE_MG, TRIAL_DOSE, N_PATIENTS, JAK_INHIBITION, ORR,
                  MEDIAN_PFS, ANAEMIA_G3, THROMBOCYTOPENIA_G3, DOSE_REDUCTION, DOSE_INTERRUPTION, MEAN_DOSE)


def jak_inhibition(dose_mg: float, interval_h: float, ic50_nM: float, values: dict[str, float]) -> float:
    """:data:`JAK_INHIBITION` of D mg every tau h (:func:`stat3qsp.toxicity.marrow.interval_mean`)."""
    return interval_mean(lambda c: c / (ic50_nM + c), dose_mg, interval_h, values)


def _arm_name(schedule: str, dose: float) -> str:
    return f"rux_{schedule.lower()}_{dose:g}mg".replace(".", "p")


def window_spec(spec: TrialSpec, arm: str, context: str, regimens: Sequence[tuple[str, float]]) -> TrialSpec:
    """*spec* with one arm per ``(schedule, dose mg)``: copies of *arm* in *context* with the
    ruxolitinib dose and interval replaced (InputError if *arm* has no ruxolitinib or a schedule is
    unknown)."""
    base = spec.arm(arm)
    if not any(d.drug == DRUG for d in base.drugs):
        raise InputError(f"arm {arm!r} has no {DRUG}; accepted: an arm of {spec.id} with {DRUG}")
    arms = []
    for schedule, dose in regimens:
        if schedule not in SCHEDULES:
            raise InputError(f"schedule {schedule!r}; accepted: {', '.join(SCHEDULES)}")
        if not 0 < dose <= 400:
            raise InputError(f"dose {dose!r} mg; accepted: a dose in (0, 400] mg")
        drugs = tuple(replace(d, dose=Dose(float(dose), "mg"), interval=Interval(SCHEDULES[schedule]))
                      if d.drug == DRUG else d for d in base.drugs)
        arms.append(replace(base, name=_arm_name(schedule, dose), context=context, drugs=drugs, endpoints=(),
                            counterfactual=True, rationale="therapeutic window", observed_km=None))
    return replace(spec, arms=tuple(arms))


def _trial_regimen(spec: TrialSpec, arm: str) -> tuple[str, float]:
    regimen = next(d for d in spec.arm(arm).drugs if d.drug == DRUG)
    schedule = next((s for s, h in SCHEDULES.items() if h == regimen.interval.hours), "")
    return schedule, regimen.dose.amount_mg(70.0)


def window_table(spec_path: Path | str, arm: str, context: str, doses: Sequence[float],
                 alternative_doses: Sequence[float], alternative: str = "QD", patients: int = 26,
                 replicates: int = 1, seed: int = 1, horizon_weeks: float = 52.0, workers: int = 1,
                 models_dir: Path | str = DEFAULT_MODELS_DIR, potencies: dict[str, float] | None = None) -> pd.DataFrame:
    """The window of one context (module docstring): BID at *doses*, *alternative* at *alternative_doses*."""
    from stat3qsp.trial.endpoints import trial_endpoints  # lifelines only here

    spec = load_trial_spec(spec_path)
    regimens = [("BID", float(d)) for d in doses] + [(alternative, float(d)) for d in alternative_doses]
    if not regimens:
        raise InputError("no doses; accepted: at least one BID or alternative dose")
    trial_regimen = _trial_regimen(spec, arm)
    window = window_spec(spec, arm, context, regimens)
    settings = TrialSettings(replicates=int(replicates), seed=int(seed), patients=int(patients),
                             horizon_weeks=float(horizon_weeks))
    rows, pk = [], marrow_values(toxicity_dir=Path(models_dir) / "toxicity", models_dir=Path(models_dir))
    for potency, ic50 in (potencies or POTENCIES).items():
        records = simulate_trial(window, settings, workers, models_dir, {POTENCY_PARAMETER: ic50}, progress=False)
        table, _ = assess(records, window)
        endpoints = trial_endpoints(table)
        for (schedule, dose), arm_spec in zip(regimens, window.arms):
            mine = table[(table[tc.ARM] == arm_spec.name) & (table[tc.STATUS] != tc.FAILED)]
            values = endpoints[endpoints[tc.ARM] == arm_spec.name]
            median = {name: float(np.median(values.loc[values[tc.ENDPOINT] == name, tc.VALUE]))
                      for name in (tc.ORR, tc.MEDIAN_PFS_WEEKS)}
            rate = lambda column, at_least: float(np.mean(mine[column].to_numpy(float) >= at_least))  # noqa: E731
            rows.append((context, potency, ic50, schedule, dose, (schedule, dose) == trial_regimen, len(mine),
                         jak_inhibition(dose, SCHEDULES[schedule], ic50, pk), median[tc.ORR], median[tc.MEDIAN_PFS_WEEKS], rate(mc.ANAEMIA_GRADE, 3),
                         rate(mc.THROMBOCYTOPENIA_GRADE, 3), rate(mc.DOSE_REDUCED, 1), rate(mc.DOSE_HELD, 1),
                         float(mine[mc.MEAN_DOSE_MG].mean())))
    return pd.DataFrame(rows, columns=list(WINDOW_COLUMNS))


def run_window(spec_path: Path | str, arm: str, contexts: Sequence[str], output: Path | str,
               doses: Sequence[float], alternative_doses: Sequence[float], alternative: str = "QD",
               patients: int = 26, replicates: int = 1, seed: int = 1, horizon_weeks: float = 52.0,
               workers: int = 1, models_dir: Path | str = DEFAULT_MODELS_DIR) -> list[Path]:
    """``<output>/<context>.tsv`` and ``<context>.png`` of every context (the verb and the rule)."""
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    written = []
    for context in contexts:
        table = window_table(spec_path, arm, context, doses, alternative_doses, alternative, patients,
                             replicates, seed, horizon_weeks, workers, models_dir)
        header = [f"trial_spec: {Path(spec_path).name}", f"arm: {arm}", f"context: {context}",
                  f"patients_per_arm: {patients}", f"replicates: {replicates}", f"seed: {seed}",
                  f"horizon_weeks: {horizon_weeks:g}",
                  "potencies: " + ", ".join(f"{k} {v:g} nM free" for k, v in POTENCIES.items())]
        write_table_atomic(output / f"{context}.tsv", table, header)
        window_figure(table, output / f"{context}.png")
        written += [output / f"{context}.tsv", output / f"{context}.png"]
    return written


def potency_label(group: pd.DataFrame, schedule: str) -> str:
    """Legend label of one potency's rows of a window table: its name and free IC50 (from the table)."""
    return f"{group[POTENCY].iloc[0]} ({group[IC50_NM].iloc[0]:g} nM free), {schedule}"


def window_title(table: pd.DataFrame) -> str:
    """Figure title: the context and the trial's regimen (the table's :data:`TRIAL_DOSE` rows)."""
    trial = table[table[TRIAL_DOSE]]
    regimens = ", ".join(dict.fromkeys(f"{d:g} mg {s}" for d, s in zip(trial[DOSE_MG], trial[SCHEDULE])))
    return (f"Therapeutic window of ruxolitinib, context {table[CONTEXT].iloc[0]} "
            f"(ring and dotted line: the trial's regimen{', ' + regimens if regimens else ''})")


def window_figure(table: pd.DataFrame, path: Path | str) -> None:
    """Three panels against dose: ORR, median PFS, grade >= 3 anaemia and thrombocytopenia; the
    trial's regimen marked (a vertical line and a ring). The potencies' IC50s (legend) and the trial's
    regimen (title) are read from *table*, so the report caption need not quote them."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    styles = {"BID": "-", "QD": "--"}
    colours = dict(zip(POTENCIES, ("tab:blue", "tab:red")))
    for (potency, schedule), group in table.groupby([POTENCY, SCHEDULE], sort=False):
        group = group.sort_values(DOSE_MG)
        kw = dict(ls=styles.get(schedule, ":"), color=colours.get(potency, "k"), marker="o")
        axes[0].plot(group[DOSE_MG], group[ORR], label=potency_label(group, schedule), **kw)
        axes[1].plot(group[DOSE_MG], group[MEDIAN_PFS].replace(np.inf, np.nan), **kw)
    first = table[table[POTENCY] == table[POTENCY].iloc[0]]
    for schedule, group in first.groupby(SCHEDULE, sort=False):
        group = group.sort_values(DOSE_MG)
        axes[2].plot(group[DOSE_MG], group[ANAEMIA_G3], ls=styles.get(schedule, ":"), color="tab:purple",
                     marker="o", label=f"anaemia G3+, {schedule}")
        axes[2].plot(group[DOSE_MG], group[THROMBOCYTOPENIA_G3], ls=styles.get(schedule, ":"), color="tab:green",
                     marker="s", label=f"thrombocytopenia G3+, {schedule}")
    trial = table[table[TRIAL_DOSE]]
    for ax, column in zip(axes, (ORR, MEDIAN_PFS, ANAEMIA_G3)):
        for dose in trial[DOSE_MG].unique():
            ax.axvline(dose, color="grey", lw=0.8, ls=":")
        ax.plot(trial[DOSE_MG], trial[column].replace(np.inf, np.nan), "o", mfc="none", mec="k", ms=11)
        ax.set_xlabel("ruxolitinib dose per administration (mg)")
    axes[0].set_ylabel("ORR (median over replicates)")
    axes[1].set_ylabel("median PFS (weeks)")
    axes[2].set_ylabel("patients with grade >= 3 (fraction)")
    axes[0].legend(fontsize=7)
    axes[2].legend(fontsize=7)
    fig.suptitle(window_title(table))
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
