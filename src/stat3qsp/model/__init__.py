"""The model: Antimony modules composed into SBML, the parameter table, contexts, and simulation.

:func:`load_model` composes and compiles the model once per process; ``model.context(name)`` gives a
:class:`ContextSimulator` with ``assay`` and ``time_course``. The submodules: :mod:`.catalog`
(modules, drugs, contexts), :mod:`.parameters` (the table), :mod:`.compose` (Antimony -> SBML),
:mod:`.simulator` (compiled model), :mod:`.provenance` (hashes from files), :mod:`.export` (SBML
files and their checks), :mod:`.readouts`, :mod:`.concentrations`.
"""
from __future__ import annotations

import importlib

__all__ = ["ABSOLUTE_TOLERANCE", "PREEQUILIBRATION_HOURS", "RELATIVE_TOLERANCE", "ContextSimulator", "Model",
           "build_model", "load_model"]


def __getattr__(name: str):
    """The names of :data:`__all__` from :mod:`.simulator`, imported when first asked for, so that the light
    submodules (catalog, parameters, provenance) do not load roadrunner and libsbml."""
    if name in __all__:
        return getattr(importlib.import_module("stat3qsp.model.simulator"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
