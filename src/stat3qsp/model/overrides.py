"""``--param NAME=VALUE[UNIT]``: one parameter changed for one run, checked against the parameter table.

A change is accepted when NAME is a constant of the model with a row in ``parameters.tsv`` (not a
drug concentration: those are set with ``--drug``), VALUE is a finite number inside the row's
``[lowerBound, upperBound]``, and UNIT, if given, is the row's unit exactly (e.g.
``IL6_tx_HER2_k=0.5nM_per_hour``; ``1`` or ``dimensionless`` for dimensionless rows). The change is
applied on top of the context's values.
"""
from __future__ import annotations

import math
import re

from stat3qsp.errors import InputError
from stat3qsp.model.simulator import Model, model_constants

_PATTERN = re.compile(r"^\s*(\w+)\s*=\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(\S*)\s*$")
_DIMENSIONLESS = {"1", "dimensionless"}


def parse_param_option(option: str, model: Model) -> tuple[str, float]:
    """Parse and check one ``--param`` option; returns (parameter id, value in the table's unit).

    Raises
    ------
    InputError
        Naming the option and what is accepted, if the form, name, unit or value is wrong.
    """
    match = _PATTERN.match(option)
    if not match:
        raise InputError(f"--param {option!r} is not NAME=VALUE[UNIT] (e.g. IL6_tx_HER2_k=0.5nM_per_hour)")
    pid, value, unit = match.group(1), float(match.group(2)), match.group(3)
    drugs = {d.concentration_parameter: d.name for d in model.catalog.drugs.values()}
    if pid in drugs:
        raise InputError(f"--param {pid}: drug concentrations are set with --drug {drugs[pid]}=CONC")
    if pid not in set(model_constants(model)):
        raise InputError(f"--param {pid}: not a constant of the model with a row in parameters.tsv "
                         "(see `stat3qsp list parameters`)")
    row = model.parameters[pid]
    if unit and unit != row.unit and not (unit in _DIMENSIONLESS and row.unit in _DIMENSIONLESS):
        raise InputError(f"--param {option!r}: unit {unit!r} is not the unit of {pid} in parameters.tsv; accepted: {row.unit}")
    if not math.isfinite(value) or not row.lower_bound <= value <= row.upper_bound:
        raise InputError(f"--param {option!r}: {value:g} is outside the bounds of {pid} in parameters.tsv; "
                         f"accepted: [{row.lower_bound:g}, {row.upper_bound:g}] {row.unit}")
    return pid, value


def parse_param_options(options: list[str], model: Model) -> dict[str, float]:
    """All ``--param`` options as {parameter id: value}; a parameter given twice is refused."""
    values: dict[str, float] = {}
    for option in options:
        pid, value = parse_param_option(option, model)
        if pid in values:
            raise InputError(f"--param {pid} is given twice; give each parameter once")
        values[pid] = value
    return values
