"""The model: Antimony modules composed into SBML, the parameter table, contexts, and simulation.

:func:`load_model` composes and compiles the model once per process; ``model.context(name)`` gives a
:class:`ContextSimulator` with ``assay`` and ``time_course``. The submodules: :mod:`.catalog`
(modules, drugs, contexts), :mod:`.parameters` (the table), :mod:`.compose` (Antimony -> SBML),
:mod:`.simulator` (compiled model), :mod:`.provenance` (hashes from files), :mod:`.export` (SBML
files and their checks), :mod:`.readouts`, :mod:`.concentrations`.
"""
from __future__ import annotations

from stat3qsp.model.simulator import (ABSOLUTE_TOLERANCE, PREEQUILIBRATION_HOURS, RELATIVE_TOLERANCE,
                                      ContextSimulator, Model, build_model, load_model)

__all__ = ["ABSOLUTE_TOLERANCE", "PREEQUILIBRATION_HOURS", "RELATIVE_TOLERANCE", "ContextSimulator", "Model",
           "build_model", "load_model"]
