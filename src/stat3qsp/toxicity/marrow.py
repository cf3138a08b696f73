"""Marrow toxicity of ruxolitinib: the Friberg-type model of ``models/toxicity/marrow.ant``, its
exposure (free plasma ruxolitinib) and CTCAE v5.0 grading of the counts it gives.

Standalone: it builds its own small model (``model marrow ... end``) from the fragment, the project
units (``models/core/units.ant``) and, for a regimen, the ruxolitinib PK fragment
(``models/pk/ruxolitinib_oral.ant``), with values from ``models/toxicity/parameters.tsv``,
the calibrated EC50s (``models/toxicity/calibrated.tsv``) and the ``rux_*`` rows of
``models/parameters.tsv``.

Drug effect, one per lineage ``x`` in (neut, plt, rbc), on proliferation (Friberg 2002,
DOI:10.1200/JCO.2002.02.140):

    E_x(t) = Emax_x * C(t) / (EC50_x + C(t)),   C = free plasma ruxolitinib (nM).

PK of a regimen (closed form of ``models/pk/ruxolitinib_oral.ant``; D mg every tau h, k = CL/F / V/F):

    C_total(t) = D ka / (V/F (ka - k)) * (S(k) - S(ka)),
    S(x) = exp(-x tau') (1 - exp(-n x tau)) / (1 - exp(-x tau)),   C = fu * 1e6 C_total / M.

CTCAE v5.0 (NCI, 27 Nov 2017), haematology: anaemia (Hb g/dL) G1 < LLN-10, G2 < 10-8, G3 < 8;
platelet count decreased (1e9/L) G1 < LLN-75, G2 < 75-50, G3 < 50-25, G4 < 25; neutrophil count
decreased (1e9/L) G1 < LLN-1.5, G2 < 1.5-1.0, G3 < 1.0-0.5, G4 < 0.5. (CTCAE v5.0 also has grade 4
anaemia for life-threatening consequences, which a count alone cannot grade.)
"""
from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import antimony
import numpy as np

from stat3qsp.errors import InputError
from stat3qsp.model.catalog import DEFAULT_MODELS_DIR
from stat3qsp.model.compiled import compile_sbml
from stat3qsp.model.integrate import integrate, output_times
from stat3qsp.model.parameters import read_parameter_table
from stat3qsp.trial.pk import oral_one_compartment

MODELS_DIR = DEFAULT_MODELS_DIR
TOXICITY_DIR = MODELS_DIR / "toxicity"
LINEAGES = ("neut", "plt", "rbc")
#: Model output of each lineage: ANC (1e9/L), platelets (1e9/L), haemoglobin (g/dL).
OUTPUTS = {"neut": "neut_circ", "plt": "plt_circ", "rbc": "rbc_Hb"}
BASELINES = {"neut": "neut_circ_0", "plt": "plt_circ_0", "rbc": "rbc_Hb_0"}
PK_PARAMETERS = ("rux_CL_F", "rux_V_F", "rux_ka", "rux_fu", "rux_molar_mass")
#: Lower limits of normal used by the CTCAE grade 1 bands (adult women; assumed, see populations.tsv).
LLN = {"neut": 1.8, "plt": 150.0, "rbc": 12.0}
#: CTCAE v5.0 lower edges of grades 2, 3, 4 (grade 1 starts at the LLN).
CTCAE_V5 = {"rbc": (10.0, 8.0), "plt": (75.0, 50.0, 25.0), "neut": (1.5, 1.0, 0.5)}


def read_calibrated(path: Path = TOXICITY_DIR / "calibrated.tsv") -> dict[str, float]:
    """Fitted values of the generated calibration table (``parameterId`` -> ``value``); {} if absent."""
    if not Path(path).exists():
        return {}
    with open(path, newline="") as handle:
        rows = [r for r in csv.DictReader((l for l in handle if not l.startswith("#")), delimiter="\t")]
    return {r["parameterId"]: float(r["value"]) for r in rows if r.get("kind") == "fitted"}


def marrow_values(calibrated: bool = True, toxicity_dir: Path = TOXICITY_DIR,
                  models_dir: Path = MODELS_DIR) -> dict[str, float]:
    """Parameter values of the marrow model and the ruxolitinib PK (table rows, calibrated EC50s)."""
    values = {pid: p.value for pid, p in read_parameter_table(Path(toxicity_dir) / "parameters.tsv").items()}
    project = read_parameter_table(Path(models_dir) / "parameters.tsv")
    missing = [p for p in PK_PARAMETERS if p not in project]
    if missing:
        raise InputError(f"{models_dir}/parameters.tsv has no row for {missing}")
    values.update({p: project[p].value for p in PK_PARAMETERS})
    if calibrated:
        values.update(read_calibrated(Path(toxicity_dir) / "calibrated.tsv"))
    return values


def rux_free_concentration(t: np.ndarray, dose_mg: float, interval_h: float, values: dict[str, float],
                           start_h: float = 0.0) -> np.ndarray:
    """Free plasma ruxolitinib (nM) of D mg every tau h from t0: the closed form of the patient model's
    PK module (:func:`stat3qsp.trial.pk.oral_one_compartment`) times the free fraction."""
    if dose_mg < 0 or interval_h <= 0:
        raise InputError(f"need dose >= 0 mg and interval > 0 h, got {dose_mg} mg every {interval_h} h")
    total = oral_one_compartment(t, dose_mg, interval_h, start_h, values["rux_ka"], values["rux_CL_F"],
                                 values["rux_V_F"])
    return values["rux_fu"] * 1e6 * total / values["rux_molar_mass"]


def interval_mean(effect: Callable[[np.ndarray], np.ndarray], dose_mg: float, interval_h: float,
                  values: dict[str, float]) -> float:
    """``mean_t effect(C(t))`` over a steady-state dosing interval, C the free plasma concentration of
    D mg every tau h (:func:`rux_free_concentration`, the 21st interval; trapezoid on 97 points)."""
    t = np.linspace(20 * interval_h, 21 * interval_h, 97)
    return float(np.trapezoid(effect(rux_free_concentration(t, dose_mg, interval_h, values)), t) / interval_h)


def mean_effects(dose_mg: float, interval_h: float, values: dict[str, float]) -> dict[str, float]:
    """Mean drug effect of each lineage over a steady-state dosing interval,
    ``mean_t Emax_x C(t) / (EC50_x + C(t))`` (:func:`interval_mean`)."""
    if dose_mg <= 0:
        return {x: 0.0 for x in LINEAGES}
    return {x: interval_mean(lambda c, x=x: values[f"{x}_Emax"] * c / (values[f"{x}_EC50"] + c), dose_mg,
                             interval_h, values) for x in LINEAGES}


def effect_inputs(effects: dict[str, float]) -> dict[str, float]:
    """Inputs of a model without PK that give each lineage the effect *effects* at a constant ``rux_conc``
    = 1 nM: ``EC50_x`` = 1 nM and ``Emax_x`` = 2 E_x, so ``Emax_x C / (EC50_x + C)`` = E_x."""
    inputs = {"rux_conc": 1.0}
    for x in LINEAGES:
        inputs.update({f"{x}_EC50": 1.0, f"{x}_Emax": 2.0 * effects[x]})
    return inputs


def marrow_antimony(values: dict[str, float], with_pk: bool, models_dir: Path = MODELS_DIR) -> str:
    """The standalone Antimony model: units, (PK,) marrow fragment and parameter values.

    With ``with_pk`` the free concentration ``rux_conc`` is the PK module's assignment rule (set
    ``rux_dose``, ``rux_interval``, ``rux_start``); without, ``rux_conc`` is a parameter (nM).
    """
    models_dir = Path(models_dir)
    fragments = [models_dir / "core" / "units.ant"]
    if with_pk:
        fragments.append(models_dir / "pk" / "ruxolitinib_oral.ant")
    fragments.append(models_dir / "toxicity" / "marrow.ant")
    lines = ["model marrow()"]
    for path in fragments:
        lines += [f"  // ---- {path.name}", *("  " + l for l in path.read_text().splitlines())]
    units = read_parameter_table(models_dir / "toxicity" / "parameters.tsv")
    project = read_parameter_table(models_dir / "parameters.tsv")
    inputs = {"rux_dose": 0.0, "rux_interval": 12.0, "rux_start": 0.0} if with_pk else {"rux_conc": 0.0}
    lines.append("  // ---- parameter values")
    for pid, value in {**inputs, **values}.items():
        if pid in PK_PARAMETERS and not with_pk:
            continue
        unit = units[pid].unit if pid in units else project[pid].unit
        lines += [f"  {pid} = {float(value)!r}", f"  {pid} has {unit}"]
    lines.append("end")
    return "\n".join(lines) + "\n"


class MarrowModel:
    """The compiled marrow model; counts of one patient under a concentration course or a regimen."""

    def __init__(self, values: dict[str, float] | None = None, with_pk: bool = True,
                 models_dir: Path = MODELS_DIR, max_step_h: float = 2.0):
        self.values = dict(values if values is not None else marrow_values(models_dir=models_dir))
        self.with_pk = with_pk
        antimony.clearPreviousLoads()
        if antimony.loadAntimonyString(marrow_antimony(self.values, with_pk, models_dir)) < 0:
            raise InputError(f"Antimony rejected the marrow model: {antimony.getLastError().strip()}")
        self.runner = compile_sbml(antimony.getSBMLString("marrow"))
        self.runner.integrator.setValue("maximum_time_step", max_step_h)
        self.runner.integrator.setValue("relative_tolerance", 1e-6)
        self.selections = ["time", *OUTPUTS.values()]
        self.runner.timeCourseSelections = self.selections

    def reset(self, overrides: dict[str, float] | None = None) -> None:
        """Back to t = 0 and the steady state of the patient's baselines (``overrides``: parameter values)."""
        r = self.runner
        r.resetAll()
        for pid, value in {**self.values, **(overrides or {})}.items():
            if pid in PK_PARAMETERS and not self.with_pk:
                continue
            r.setValue(pid, float(value))
        r.reset()  # re-evaluate the initial assignments with the new baselines

    def segment(self, t0: float, t1: float, points: int = 2, **inputs: float) -> np.ndarray:
        """Integrate from the current state over [t0, t1] with inputs (``rux_dose`` etc.) held."""
        runner = self.runner
        for pid, value in inputs.items():
            runner.setValue(pid, float(value))
        return integrate(runner, output_times(t0, t1, points), runner.timeCourseSelections)

    def simulate_regimen(self, dose_mg: float, interval_h: float, t_end_h: float, points: int = 200,
                         baselines: dict[str, float] | None = None) -> dict[str, np.ndarray]:
        """Counts under D mg every tau h from t = 0 (needs ``with_pk``); arrays by lineage plus ``time``."""
        if not self.with_pk:
            raise InputError("simulate_regimen needs a MarrowModel built with with_pk=True")
        self.reset(baselines)
        out = self.segment(0.0, t_end_h, points, rux_dose=dose_mg, rux_interval=interval_h, rux_start=0.0)
        return _columns(out)

    def simulate_concentration(self, concentration: Callable[[np.ndarray], np.ndarray] | tuple,
                               t_end_h: float, step_h: float = 0.5,
                               baselines: dict[str, float] | None = None) -> dict[str, np.ndarray]:
        """Counts under a free-concentration course (needs ``with_pk=False``).

        ``concentration`` is a callable of time (h) -> nM or a pair of arrays (t, C), linearly
        interpolated; it is held at its midpoint value over steps of ``step_h``.
        """
        if self.with_pk:
            raise InputError("simulate_concentration needs a MarrowModel built with with_pk=False")
        if isinstance(concentration, tuple):
            ts, cs = (np.asarray(a, dtype=float) for a in concentration)
            if ts.ndim != 1 or ts.shape != cs.shape or np.any(np.diff(ts) <= 0) or np.any(cs < 0):
                raise InputError("a concentration course needs increasing times and non-negative nM of equal length")
            concentration = lambda t, ts=ts, cs=cs: np.interp(t, ts, cs)  # noqa: E731
        self.reset(baselines)
        edges = np.append(np.arange(0.0, t_end_h, step_h), t_end_h)
        rows = [np.array([0.0, *(self.runner.getValue(OUTPUTS[x]) for x in LINEAGES)])]
        for a, b in zip(edges[:-1], edges[1:]):
            c = float(concentration(np.array(0.5 * (a + b))))
            rows.append(self.segment(a, b, 2, rux_conc=c)[-1])
        return _columns(np.vstack(rows))


def _columns(out: np.ndarray) -> dict[str, np.ndarray]:
    return {"time": out[:, 0], **{x: out[:, i + 1] for i, x in enumerate(LINEAGES)}}


def ctcae_grade(lineage: str, value: float | np.ndarray, lln: float | None = None) -> np.ndarray:
    """CTCAE v5.0 grade (0-4) of a count: ``rbc`` Hb g/dL, ``plt`` and ``neut`` 1e9/L (see module doc).

    A count at or above the lower limit of normal is grade 0; the edges belong to the milder grade
    (grade 2 anaemia is Hb < 10.0, so 10.0 is grade 1).
    """
    if lineage not in CTCAE_V5:
        raise InputError(f"unknown lineage {lineage!r}; accepted: {sorted(CTCAE_V5)}")
    lln = LLN[lineage] if lln is None else lln
    value = np.asarray(value, dtype=float)
    grade = (value < lln).astype(int)
    for edge in CTCAE_V5[lineage]:
        grade = grade + (value < edge)
    return grade
