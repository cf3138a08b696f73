"""Settings of a hypothesis ranking (sizes, seed, the default combinations): light, for the command line's
help and the workflow's config check without importing the ranking itself (:mod:`.ranking`)."""
from __future__ import annotations

from dataclasses import dataclass

from stat3qsp.errors import InputError

#: Hypotheses ranked when none are given: baseline, each module alone, all four together.
DEFAULT_COMBINATIONS = ("baseline", "paracrine_il6", "er_crosstalk", "pi3k_bypass", "adcc",
                        "paracrine_il6+er_crosstalk+pi3k_bypass+adcc")


@dataclass(frozen=True)
class RankingSettings:
    """Sizes of a ranking: virtual patients per arm in each pool, bootstrap trials, seed, worker processes,
    and calibration patients per target arm of each hypothesis's tumour refit."""

    patients: int = 16
    bootstrap: int = 1000
    seed: int = 1
    workers: int = 1
    calibration_patients: int = 12

    def __post_init__(self) -> None:
        for name, low, high in (("patients", 2, 5000), ("bootstrap", 10, 100000), ("seed", 0, 2**63 - 1),
                                ("workers", 1, 256), ("calibration_patients", 4, 5000)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise InputError(f"hypotheses {name} = {value!r}; accepted: an integer in [{low}, {high}]")
