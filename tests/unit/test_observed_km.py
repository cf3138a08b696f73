"""An arm's observed KM curve in a trial spec (arms[].observed_km) and its overlay on the KM band."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from stat3qsp.errors import InputError
from stat3qsp.trial import columns as tc
from stat3qsp.trial import endpoints as ep
from stat3qsp.trial.figures import km_band_figure
from stat3qsp.trial.spec import load_trial_spec

SPEC = Path(__file__).resolve().parents[2] / "trials" / "EGF104900.yaml"
CURVE = {"weeks": [0, 4, 8, 12], "survival": [1.0, 0.8, 0.45, 0.3], "source": "assumed: a test curve"}


def _spec_with(tmp_path: Path, km: dict) -> Path:
    data = yaml.safe_load(SPEC.read_text())
    data["arms"][0]["observed_km"] = km
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_observed_km_is_read_and_checked(tmp_path):
    spec = load_trial_spec(_spec_with(tmp_path, CURVE))
    km = spec.arms[0].observed_km
    assert km.weeks == (0.0, 4.0, 8.0, 12.0) and km.survival == (1.0, 0.8, 0.45, 0.3)
    assert spec.arms[1].observed_km is None
    with pytest.raises(InputError, match="non-increasing"):
        load_trial_spec(_spec_with(tmp_path, {**CURVE, "survival": [1.0, 0.5, 0.6, 0.3]}))
    with pytest.raises(InputError, match="one value per time"):
        load_trial_spec(_spec_with(tmp_path, {**CURVE, "weeks": [0, 4, 8]}))


def test_km_band_figure_draws_the_observed_curve(tmp_path):
    spec = load_trial_spec(_spec_with(tmp_path, CURVE))
    rng = np.random.default_rng(1)
    arm = spec.arms[0].name
    patients = pd.DataFrame({tc.REPLICATE: np.repeat(range(3), 10), tc.ARM: arm, tc.PATIENT: np.tile(range(10), 3),
                             tc.PFS_WEEKS: rng.choice([4.0, 8.0, 12.0], 30), tc.EVENT: True,
                             tc.BEST_RESPONSE: tc.SD, tc.CLINICAL_BENEFIT: False})
    replicates = ep.trial_endpoints(patients)
    comparison = ep.comparison_table(ep.prediction_summary(replicates), ep.observed_table(spec), replicates)
    path = tmp_path / "km.png"
    km_band_figure(patients, comparison, 20.0, path, spec)
    assert path.stat().st_size > 0
