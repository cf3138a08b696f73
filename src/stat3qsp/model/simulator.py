"""The compiled model: compose once per process, then simulate contexts and drug concentrations.

Typical use::

    from stat3qsp.model.simulator import load_model
    model = load_model()
    cells = model.context("her2_amplified")
    cells.assay({"ruxolitinib": 300.0, "trastuzumab": 10.0})          # readouts at 72 h
    cells.time_course({"ruxolitinib": 300.0}, hours=72, points=73)  # DataFrame

Protocol of every simulation: the cells are first brought to their untreated steady state
(pre-equilibration, once per context and cached), then the drugs are added at t = 0 at constant
free concentrations (nM) and the culture is followed for the requested time. Viability is the cell
number relative to the vehicle-treated culture at the same time, in percent.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import libsbml
import numpy as np
import pandas as pd
import roadrunner

from stat3qsp.model.catalog import DEFAULT_MODELS_DIR, Catalog, read_catalog
from stat3qsp.model.compiled import compile_sbml
from stat3qsp.model.compose import antimony_to_sbml, compose_antimony
from stat3qsp.model.integrate import integrate, output_times
from stat3qsp.model.provenance import model_provenance
from stat3qsp.errors import InputError
from stat3qsp.model.parameters import Parameter, read_parameter_table
from stat3qsp.model.readouts import ASSAY_READOUTS, READOUTS, TIME, VIABILITY

#: Time allowed for the untreated culture to reach its steady state before drugs are added (h).
PREEQUILIBRATION_HOURS = 2000.0
#: Integrator tolerances (relative, absolute), tight enough for 1e-4 agreement with COPASI.
RELATIVE_TOLERANCE = 1e-9
ABSOLUTE_TOLERANCE = 1e-12


@dataclass
class Model:
    """The composed model of one catalog, compiled once.

    Attributes
    ----------
    catalog, parameters
        What the model was composed from.
    antimony, sbml
        The composed model (table values, no context applied).
    runner
        The compiled roadrunner instance shared by all contexts of this model.
    """

    catalog: Catalog
    parameters: dict[str, Parameter]
    antimony: str
    sbml: str
    runner: roadrunner.RoadRunner
    variant: str | None = None
    _contexts: dict[str, "ContextSimulator"] = field(default_factory=dict, repr=False)
    #: The context simulator whose parameter values the shared runner holds (None: unknown).
    _applied: "ContextSimulator | None" = field(default=None, repr=False)

    @property
    def provenance(self) -> dict[str, str]:
        """Model hash, parameter hash and package version (:func:`stat3qsp.model.provenance.model_provenance`)."""
        return model_provenance(self.catalog.models_dir, self.variant)

    def sbml_for_context(self, name: str) -> str:
        """Standalone SBML L3V2 with the context's values baked in (drug concentrations 0)."""
        context = self.catalog.context(name)
        return antimony_to_sbml(compose_antimony(self.catalog, self.parameters, context.parameters, self.variant))

    def context(self, name: str, changes: dict[str, float] | None = None) -> "ContextSimulator":
        """The simulator of a context (created once, pre-equilibrated lazily).

        *changes* (parameter id -> value, e.g. from ``--param``) are applied on top of the context's
        values; such a simulator is not cached.
        """
        if changes:
            return ContextSimulator(self, {**self.catalog.context(name).parameters, **changes}, name)
        if name not in self._contexts:
            self._contexts[name] = ContextSimulator(self, self.catalog.context(name).parameters, name)
        return self._contexts[name]


def build_model(models_dir: Path | str = DEFAULT_MODELS_DIR, variant: str | None = None) -> Model:
    """Compose and compile the model of *models_dir* (no caching; see :func:`load_model`).

    *variant* names a model variant of the catalog (e.g. ``patient``) whose modules are added.
    """
    catalog = read_catalog(models_dir)
    parameters = read_parameter_table(catalog.models_dir / "parameters.tsv")
    for context in catalog.contexts.values():
        unknown = sorted(set(context.parameters) - set(parameters))
        if unknown:
            raise InputError(f"context {context.name!r} overrides unknown parameter(s) {unknown}")
    source = compose_antimony(catalog, parameters, variant=variant)
    sbml = antimony_to_sbml(source)
    runner = compile_sbml(sbml)
    integrator = runner.getIntegrator()
    integrator.setValue("relative_tolerance", RELATIVE_TOLERANCE)
    integrator.setValue("absolute_tolerance", ABSOLUTE_TOLERANCE)
    integrator.setValue("maximum_num_steps", 100000)
    return Model(catalog, parameters, source, sbml, runner, variant)


@functools.lru_cache(maxsize=8)
def _cached_model(models_dir: str, variant: str | None) -> Model:
    return build_model(models_dir, variant)


def load_model(models_dir: Path | str = DEFAULT_MODELS_DIR, variant: str | None = None) -> Model:
    """The model of *models_dir* (and *variant*), composed and compiled once per process."""
    return _cached_model(str(Path(models_dir).resolve()), variant)


class ContextSimulator:
    """Simulations of one context: drug concentrations in, readouts out."""

    def __init__(self, model: Model, overrides: dict[str, float], name: str):
        self.model = model
        self.name = name
        self._values = {pid: overrides.get(pid, row.value) for pid, row in model.parameters.items() if pid in _global_ids(model)}
        self._drug_parameters = {d.name: d.concentration_parameter for d in model.catalog.drugs.values()}
        self._selections = ["time", *(v for v, _, _ in READOUTS.values())]
        self._start_state: np.ndarray | None = None
        self._vehicle_log_cells: dict[float, float] = {}

    # -- set-up -------------------------------------------------------------------------------
    def _apply(self, doses_nM: dict[str, float], parameter_values: dict[str, float] | None = None) -> roadrunner.RoadRunner:
        doses = self._check_doses(doses_nM)
        runner = self.model.runner
        # The runner is shared by all contexts and reset() keeps parameter values, so the context's
        # values are set only when the runner last held other values.
        if self.model._applied is not self:
            for pid, value in self._values.items():
                runner.setValue(pid, value)
            self.model._applied = self
        if parameter_values:
            for pid, value in parameter_values.items():
                runner.setValue(pid, value)
            self.model._applied = None
        for drug, pid in self._drug_parameters.items():
            runner.setValue(pid, doses.get(drug, 0.0))
        return runner

    def _check_doses(self, doses_nM: dict[str, float]) -> dict[str, float]:
        for drug, conc in doses_nM.items():
            self.model.catalog.drug(drug)
            if not np.isfinite(conc) or conc < 0:
                raise InputError(f"concentration of {drug} must be a finite number >= 0 nM, got {conc!r}")
        return dict(doses_nM)

    def start_state(self) -> np.ndarray:
        """Species amounts of the untreated culture at steady state (cached)."""
        if self._start_state is None:
            runner = self._apply({})
            runner.reset()
            integrate(runner, output_times(0.0, PREEQUILIBRATION_HOURS), ["time"])
            self._start_state = np.array(runner.model.getFloatingSpeciesAmounts(), dtype=float)
        return self._start_state

    def vehicle_growth_rate(self) -> float:
        """``net_growth_rate`` (1/h) of the untreated culture at its steady state: d log_cells / dt of the vehicle."""
        start = self.start_state()
        runner = self._apply({})
        runner.reset()
        runner.model.setFloatingSpeciesAmounts(start)
        return float(runner.getValue("net_growth_rate"))

    # -- simulations --------------------------------------------------------------------------
    def time_course(self, doses_nM: dict[str, float], hours: float = 72.0, points: int = 73) -> pd.DataFrame:
        """Readouts from drug addition (t = 0) to *hours*, at *points* evenly spaced times.

        Returns
        -------
        pandas.DataFrame
            Columns ``time_h``, the readouts of :data:`stat3qsp.readouts.READOUTS` and
            ``viability_pct`` (cell number against the vehicle culture at the same time).
        """
        if not hours > 0 or points < 2:
            raise InputError(f"need hours > 0 and points >= 2, got hours={hours!r}, points={points!r}")
        vehicle = self._run({}, hours, points)[:, 1 + list(READOUTS).index("log_cells")]
        raw = self._run(doses_nM, hours, points)
        table = pd.DataFrame(raw[:, 1:], columns=list(READOUTS))
        table.insert(0, TIME, raw[:, 0])
        table[VIABILITY] = 100.0 * np.exp(table["log_cells"].to_numpy() - vehicle)
        return table

    def assay(self, doses_nM: dict[str, float], hours: float = 72.0) -> dict[str, float]:
        """Readouts at the assay time (default the 72-h viability assay).

        The runner is left at the end of this simulation, so its state can be inspected.
        """
        vehicle = self._vehicle_log_cells_at(hours)
        raw = self._run(doses_nM, hours, 2)[-1]
        values = dict(zip(READOUTS, raw[1:]))
        values[VIABILITY] = 100.0 * np.exp(values["log_cells"] - vehicle)
        return {k: float(values[k]) for k in ASSAY_READOUTS}

    def _vehicle_log_cells_at(self, hours: float) -> float:
        if hours not in self._vehicle_log_cells:
            self._vehicle_log_cells[hours] = float(self._run({}, hours, 2)[-1, 1 + list(READOUTS).index("log_cells")])
        return self._vehicle_log_cells[hours]

    def _run(self, doses_nM: dict[str, float], hours: float, points: int) -> np.ndarray:
        start = self.start_state()
        runner = self._apply(doses_nM)
        runner.reset()
        runner.model.setFloatingSpeciesAmounts(start)
        runner.setValue("log_cells", 0.0)
        result = integrate(runner, output_times(0.0, float(hours), int(points)), self._selections)
        if not np.all(np.isfinite(result)):
            raise RuntimeError(f"non-finite readouts in context {self.name} with doses {doses_nM}")
        return result


def _global_ids(model: Model) -> set[str]:
    runner = model.runner
    return set(runner.model.getGlobalParameterIds()) | set(runner.model.getCompartmentIds())


def model_constants(model: Model) -> list[str]:
    """Ids of the parameter-table rows that are constants of the compiled model (no rule)."""
    document = libsbml.readSBMLFromString(model.sbml)  # kept: the model lives in it
    sbml = document.getModel()
    ruled = {sbml.getRule(i).getVariable() for i in range(sbml.getNumRules())}
    ruled |= {sbml.getInitialAssignment(i).getSymbol() for i in range(sbml.getNumInitialAssignments())}
    ids = {p.getId() for p in sbml.getListOfParameters()}
    return [pid for pid in model.parameters if pid in ids and pid not in ruled]
