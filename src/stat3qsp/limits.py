"""Plausibility limits of user input, each a named constant; a value beyond one is an :class:`InputError`.

The limits keep a typing slip (``1e30M``, ``--hours 1e12``, ``--points 1000000000``) from becoming an
integrator failure, an out-of-memory crash or a run of days. They are far beyond any experiment the
model describes (documented in ``docs/errors.md``).
"""
from __future__ import annotations

import math

from stat3qsp.errors import InputError

#: Highest drug concentration accepted (nM): 1 M. No drug dissolves near it; pharmacology ends at mM.
MAX_CONCENTRATION_NM = 1e9
#: Longest simulated culture after drug addition (h), ``simulate --hours``: about 14 months.
MAX_HOURS = 10_000.0
#: Most output times of a time course, ``simulate --points``.
MAX_POINTS = 100_000
#: Longest follow-up of a virtual trial (weeks), ``trial --horizon-weeks``: 10 years.
MAX_HORIZON_WEEKS = 520.0
#: Most replicate virtual trials, ``trial --replicates``.
MAX_REPLICATES = 10_000
#: Most patients per arm and replicate, ``trial --patients``.
MAX_PATIENTS = 100_000
#: Most memory the tables of one trial run may need (bytes), by :func:`trial_memory_bytes`: 4 GiB.
MAX_TRIAL_MEMORY_BYTES = 4 * 2**30
#: Bytes per virtual patient (its ``patients.tsv`` row and bookkeeping) and per scan (an ``sld.tsv`` row).
BYTES_PER_PATIENT, BYTES_PER_SCAN = 1024, 128
#: Largest seed: numpy's :class:`~numpy.random.SeedSequence` takes integers >= 0; 2**63 - 1 keeps it in int64.
MAX_SEED = 2**63 - 1


def check_range(value: float, option: str, low: float, high: float, *, low_open: bool = False,
                integer: bool = False) -> float:
    """*value* if finite and within [*low*, *high*] (``(low, high]`` with *low_open*); else InputError."""
    kind = "an integer" if integer else "a number"
    bracket = "(" if low_open else "["
    ok = (isinstance(value, (int, float)) and math.isfinite(value)
          and (value > low if low_open else value >= low) and value <= high)
    if not ok:
        raise InputError(f"{option} = {value!r}; accepted: {kind} in {bracket}{low:g}, {high:g}]")
    return value


def check_seed(seed: int, option: str = "--seed") -> int:
    """*seed* if an integer in [0, :data:`MAX_SEED`]; else InputError naming *option*."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise InputError(f"{option} = {seed!r}; accepted: an integer in [0, 2**63 - 1]")
    return seed


def trial_memory_bytes(virtual_patients: int, scans_per_patient: float) -> float:
    """Estimated memory of a trial's tables: patients x (:data:`BYTES_PER_PATIENT` + scans x :data:`BYTES_PER_SCAN`)."""
    return virtual_patients * (BYTES_PER_PATIENT + scans_per_patient * BYTES_PER_SCAN)
