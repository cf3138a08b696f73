"""Synthetic plates with a known answer: Hill single agents, Bliss combination with a potency shift, Gaussian noise.

Used by the tests (bootstrap coverage) and to write the example plate of ``data/plates/``. The
noise-free surface is

    ``y(c1, c2) = 100 * (1 - (1 - f1(c1)) * (1 - f2(c2 * shift)))``, ``f(c) = emax / 100 * c**h / (c**h + ic50**h)``

(Bliss independence when ``shift = 1``; ``shift > 1`` makes the row drug raise the column drug's
potency, i.e. synergy). ``shift`` here multiplies the column dose only in wells where the row drug
is present. Replicates add independent ``Normal(0, noise_sd)`` % inhibition.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from stat3qsp.assay import columns as col


@dataclass(frozen=True)
class HillDrug:
    """A single agent: name, IC50 (in the plate's unit), Hill slope, maximal % inhibition and the unit."""

    name: str
    ic50: float
    hill: float
    emax: float
    unit: str = "nM"

    def inhibition(self, conc: np.ndarray) -> np.ndarray:
        """% inhibition ``emax * c**h / (c**h + ic50**h)``."""
        c = np.asarray(conc, dtype=float)
        return self.emax * c ** self.hill / (c ** self.hill + self.ic50 ** self.hill)


def true_surface(drug_r: HillDrug, drug_c: HillDrug, conc_r: np.ndarray, conc_c: np.ndarray,
                 shift: float = 1.0) -> np.ndarray:
    """Noise-free % inhibition matrix (module docstring)."""
    r, c = np.meshgrid(np.asarray(conc_r, float), np.asarray(conc_c, float), indexing="ij")
    f1 = drug_r.inhibition(r) / 100.0
    f2 = drug_c.inhibition(np.where(r > 0, c * shift, c)) / 100.0
    return 100.0 * (1.0 - (1.0 - f1) * (1.0 - f2))


def synthetic_plate(drug_r: HillDrug, drug_c: HillDrug, conc_r, conc_c, *, rng: np.random.Generator,
                    replicates: int = 3, noise_sd: float = 5.0, shift: float = 1.0,
                    block_id: str = "1") -> pd.DataFrame:
    """A long-format plate (SynergyFinder columns) of the surface with ``replicates`` noisy wells each."""
    truth = true_surface(drug_r, drug_c, conc_r, conc_c, shift)
    rows = []
    for i, cr in enumerate(conc_r):
        for j, cc in enumerate(conc_c):
            for value in truth[i, j] + rng.normal(0.0, noise_sd, size=replicates):
                rows.append({col.BLOCK_ID: block_id, col.DRUG_ROW: drug_r.name, col.DRUG_COL: drug_c.name,
                             col.CONC_R: float(cr), col.CONC_C: float(cc), col.RESPONSE: round(float(value), 4),
                             col.CONC_R_UNIT: drug_r.unit, col.CONC_C_UNIT: drug_c.unit})
    return pd.DataFrame(rows, columns=list(col.SYNERGY_INPUT_COLUMNS))
