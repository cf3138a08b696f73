"""Parse drug concentrations written with units (``300nM``, ``1.5 uM``, ``10 ug/mL``) into nM.

Mass concentrations are converted with the drug's molecular weight from the catalog.
"""
from __future__ import annotations

import math
import re

from stat3qsp.model.catalog import Catalog
from stat3qsp.errors import InputError
from stat3qsp.limits import MAX_CONCENTRATION_NM

#: Molar units and their factor to nM.
MOLAR_UNITS = {"pM": 1e-3, "nM": 1.0, "uM": 1e3, "µM": 1e3, "mM": 1e6, "M": 1e9}
#: Mass-concentration units and their factor to g/L.
MASS_UNITS = {"ng/mL": 1e-6, "ug/mL": 1e-3, "µg/mL": 1e-3, "mg/L": 1e-3, "mg/mL": 1.0, "g/L": 1.0}
ACCEPTED_UNITS = ", ".join([*MOLAR_UNITS, *MASS_UNITS])
_PATTERN = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-zµ/]*)\s*$")


def to_nanomolar(text: str, drug: str, catalog: Catalog) -> float:
    """Convert a concentration with its unit into nM.

    Parameters
    ----------
    text
        A number followed by a unit, e.g. ``"300nM"`` or ``"10 ug/mL"``.
    drug
        The drug, for the molecular weight of mass units.
    catalog
        Where the drug's molecular weight is found.

    Raises
    ------
    InputError
        If the number or the unit is missing or unknown, or the value is negative or above
        :data:`stat3qsp.limits.MAX_CONCENTRATION_NM` (1 M).
    """
    match = _PATTERN.match(text)
    if not match:
        raise InputError(f"cannot read concentration {text!r} of {drug}; write a number and a unit, e.g. 300nM; units: {ACCEPTED_UNITS}")
    number, unit = float(match.group(1)), match.group(2)
    if not unit:
        raise InputError(f"concentration {text!r} of {drug} has no unit; accepted units: {ACCEPTED_UNITS}")
    if number < 0:
        raise InputError(f"concentration {text!r} of {drug} is negative; accepted: >= 0 and at most 1 M")
    if unit in MOLAR_UNITS:
        nanomolar = number * MOLAR_UNITS[unit]
    elif unit in MASS_UNITS:
        grams_per_litre = number * MASS_UNITS[unit]
        nanomolar = grams_per_litre / catalog.drug(drug).molecular_weight_g_per_mol * 1e9
    else:
        raise InputError(f"unknown unit {unit!r} in {text!r} for {drug}; accepted units: {ACCEPTED_UNITS}")
    if not math.isfinite(nanomolar) or nanomolar > MAX_CONCENTRATION_NM:
        raise InputError(f"concentration {text!r} of {drug} is above the ceiling of 1 M "
                         f"(stat3qsp.limits.MAX_CONCENTRATION_NM); accepted: >= 0 and at most 1 M")
    return nanomolar


def parse_drug_options(options: list[str], catalog: Catalog) -> dict[str, float]:
    """Parse repeated ``--drug NAME=CONCENTRATION`` options into {drug: nM}; a drug given twice is refused."""
    doses: dict[str, float] = {}
    for option in options:
        name, nanomolar = parse_drug_option(option, catalog)
        if name in doses:
            raise InputError(f"--drug {name} is given twice ({option!r} after {doses[name]:g} nM); accepted: each "
                             "drug once")
        doses[name] = nanomolar
    return doses


def parse_drug_option(option: str, catalog: Catalog) -> tuple[str, float]:
    """Parse ``NAME=CONCENTRATION`` (the ``--drug`` option) into (drug, nM)."""
    if "=" not in option:
        raise InputError(f"--drug {option!r} is not NAME=CONCENTRATION (e.g. ruxolitinib=300nM); known drugs: {', '.join(sorted(catalog.drugs))}")
    name, value = (part.strip() for part in option.split("=", 1))
    catalog.drug(name)
    return name, to_nanomolar(value, name, catalog)
