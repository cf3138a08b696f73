"""The one check of survival-analysis inputs (times, event flags, a confidence level), shared by the
Kaplan-Meier endpoints (:mod:`stat3qsp.trial.endpoints`) and the Cox hazard ratio
(:mod:`stat3qsp.trial.hazard_ratio`)."""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from stat3qsp.errors import InputError


def survival_arrays(durations: ArrayLike, confidence: float, **flags: ArrayLike) -> tuple[np.ndarray, ...]:
    """``(durations, *flags)`` as arrays (float times, boolean flags such as ``events``), checked: 1-D
    and of one length, times finite and >= 0, *confidence* in (0, 1); otherwise an InputError that
    names the offending input and what is accepted."""
    time = np.asarray(durations, dtype=float)
    arrays = {name: np.asarray(value, dtype=bool) for name, value in flags.items()}
    if time.ndim != 1 or any(a.shape != time.shape for a in arrays.values()):
        shapes = ", ".join(f"{name} {a.shape}" for name, a in {"durations": time, **arrays}.items())
        raise InputError(f"{shapes}; accepted: {len(arrays) + 1} 1-D arrays of one length")
    if not (np.all(np.isfinite(time)) and np.all(time >= 0)):
        raise InputError("durations contain negative or non-finite values; accepted: finite times >= 0")
    if not 0 < confidence < 1:
        raise InputError(f"confidence = {confidence!r}; accepted: a level in (0, 1), e.g. 0.95")
    return (time, *arrays.values())
