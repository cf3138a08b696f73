"""Parse drug concentrations written with units (``300nM``, ``1.5 uM``, ``10 ug/mL``) into nM.

Mass concentrations are converted with the drug's molecular weight from the catalog.
"""
from __future__ import annotations

import math
import re

from stat3qsp.model.catalog import Catalog
from stat3qsp.errors import InputError

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
        If the number or the unit is missing or unknown, or the value is negative.
    """
    match = _PATTERN.match(text)
    if not match:
        raise InputError(f"cannot read concentration {text!r} of {drug}; write a number and a unit, e.g. 300nM; units: {ACCEPTED_UNITS}")
    number, unit = float(match.group(1)), match.group(2)
    if not unit:
        raise InputError(f"concentration {text!r} of {drug} has no unit; accepted units: {ACCEPTED_UNITS}")
    if not math.isfinite(number) or number < 0:
        raise InputError(f"concentration {text!r} of {drug} is negative; concentrations must be >= 0")
    if unit in MOLAR_UNITS:
        return number * MOLAR_UNITS[unit]
    if unit in MASS_UNITS:
        grams_per_litre = number * MASS_UNITS[unit]
        return grams_per_litre / catalog.drug(drug).molecular_weight_g_per_mol * 1e9
    raise InputError(f"unknown unit {unit!r} in {text!r} for {drug}; accepted units: {ACCEPTED_UNITS}")


def parse_drug_option(option: str, catalog: Catalog) -> tuple[str, float]:
    """Parse ``NAME=CONCENTRATION`` (the ``--drug`` option) into (drug, nM)."""
    if "=" not in option:
        raise InputError(f"--drug {option!r} is not NAME=CONCENTRATION (e.g. ruxolitinib=300nM); known drugs: {', '.join(sorted(catalog.drugs))}")
    name, value = (part.strip() for part in option.split("=", 1))
    catalog.drug(name)
    return name, to_nanomolar(value, name, catalog)
