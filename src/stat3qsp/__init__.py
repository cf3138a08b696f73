"""stat3qsp: a QSP model of the HER2 -> IL-6 -> JAK/STAT3 -> S100A8/9 loop, its drugs and trials."""
from __future__ import annotations

__version__ = "0.1.0"
