"""Standalone SBML of a context that reproduces ``stat3qsp simulate`` in any SBML simulator.

The project simulates in two steps (:mod:`stat3qsp.model.simulator`): the untreated culture is
brought to its steady state, then drugs are added at t = 0. The SBML written here starts where the
second step starts:

- every species' initial concentration is its amount in the untreated steady state of the context
  divided by its compartment's size (initial assignments of the modules are removed);
- the drug concentrations (``tras_conc``, ``rux_conc``, ...) are constant parameters, 0 by default,
  with SBO:0000196 (concentration of an entity pool) and a name saying which drug and which unit;
- every readout of ``stat3qsp simulate`` is a variable of the SBML under the column name of the
  time-course table: readouts that are concentrations of species get an assignment rule
  (``IL6_secreted_nM := IL6_ext``), and ``viability_pct`` is computed from ``log_cells`` against
  the untreated culture, which grows at the constant rate ``vehicle_net_growth_rate`` at steady
  state (its ``net_growth_rate``)::

      viability_pct = 100 * exp(log_cells - vehicle_net_growth_rate * time)

A user who sets a drug parameter and simulates the file from t = 0 therefore gets the numbers of
``stat3qsp simulate --drug ...`` (checked against roadrunner and COPASI by tests/unit/test_standalone.py).
"""
from __future__ import annotations

import libsbml

from stat3qsp.model.readouts import READOUTS, VIABILITY
from stat3qsp.model.simulator import ContextSimulator

#: Id of the growth rate of the untreated culture at steady state (1/h).
VEHICLE_GROWTH = "vehicle_net_growth_rate"
#: SBO terms of the quantities added here.
SBO_ENTITY_CONCENTRATION = 196
SBO_RATE = 2
_UNITS = {"nM": "nM", "1": "dimensionless"}


def steady_state_sbml(sbml: str, simulator: ContextSimulator) -> str:
    """Rewrite the context SBML *sbml* to start at the untreated steady state of *simulator*.

    Parameters
    ----------
    sbml
        The SBML of the context with the modules' initial values (drug concentrations 0).
    simulator
        The context's simulator; its pre-equilibrated state and vehicle growth rate are written.

    Returns
    -------
    str
        SBML L3V2 with steady-state initial concentrations, drug parameters documented and the
        readouts of :data:`stat3qsp.model.readouts.READOUTS` and ``viability_pct`` as variables.
    """
    document = libsbml.readSBMLFromString(sbml)
    model = document.getModel()
    amounts = simulator.start_state()
    ids = list(simulator.model.runner.model.getFloatingSpeciesIds())
    growth = simulator.vehicle_growth_rate()
    for sid, amount in zip(ids, amounts):
        species = model.getSpecies(sid)
        model.removeInitialAssignment(sid)
        size = model.getCompartment(species.getCompartment()).getSize()
        species.setInitialConcentration(float(amount) / size)
    _document_drugs(model, simulator)
    _add_readouts(model, growth)
    return libsbml.writeSBMLToString(document)


def _document_drugs(model: libsbml.Model, simulator: ContextSimulator) -> None:
    for drug in simulator.model.catalog.drugs.values():
        parameter = model.getParameter(drug.concentration_parameter)
        parameter.setName(f"{drug.name} free concentration at the cells (nM), 0 = untreated")
        parameter.setSBOTerm(SBO_ENTITY_CONCENTRATION)
        parameter.setConstant(True)


def _add_readouts(model: libsbml.Model, growth: float) -> None:
    for name, (variable, unit, description) in READOUTS.items():
        if model.getParameter(name) is not None:
            continue
        parameter = model.createParameter()
        parameter.setId(name)
        parameter.setName(description)
        parameter.setConstant(False)
        parameter.setUnits(_UNITS[unit])
        parameter.setSBOTerm(SBO_ENTITY_CONCENTRATION if unit == "nM" else SBO_RATE)
        rule = model.createAssignmentRule()
        rule.setVariable(name)
        rule.setMath(libsbml.parseL3Formula(variable.strip("[]")))
    vehicle = model.createParameter()
    vehicle.setId(VEHICLE_GROWTH)
    vehicle.setName("net growth rate of the untreated culture at steady state (1/h)")
    vehicle.setValue(growth)
    vehicle.setUnits("per_hour")
    vehicle.setConstant(True)
    vehicle.setSBOTerm(SBO_RATE)
    viability = model.createParameter()
    viability.setId(VIABILITY)
    viability.setName("viability: cell number in percent of the untreated culture at the same time")
    viability.setConstant(False)
    viability.setUnits("dimensionless")
    viability.setSBOTerm(SBO_RATE)
    rule = model.createAssignmentRule()
    rule.setVariable(VIABILITY)
    rule.setMath(libsbml.parseL3Formula(f"100 * exp(log_cells - {VEHICLE_GROWTH} * time)"))
