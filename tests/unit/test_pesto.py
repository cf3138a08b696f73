"""The pyPESTO objective of the calibration is the project's: same value, gradient J^T r checked by finite differences."""
from __future__ import annotations

import numpy as np
import pytest

from stat3qsp.calibration.signalling.loading import load_objective
from stat3qsp.calibration.signalling.pesto import pesto_problem
from stat3qsp.calibration.signalling.workflow import write_calibration_problem
from stat3qsp.model.catalog import DEFAULT_MODELS_DIR

SPEC = DEFAULT_MODELS_DIR.parent / "calibration" / "sobotta2017" / "spec.yaml"


def test_value_and_gradient_match_the_objective(tmp_path):
    write_calibration_problem(str(SPEC), str(DEFAULT_MODELS_DIR), str(tmp_path))
    objective = load_objective(tmp_path / "problem.yaml")
    x = objective.x_nominal.copy()
    problem = pesto_problem(objective, x[None, :])
    value, gradient = problem.objective(x, sensi_orders=(0, 1))
    assert value == pytest.approx(objective.nllh(x), rel=1e-12)
    for j in objective.dynamic[:3]:
        step = np.zeros_like(x)
        step[j] = 1e-6
        numeric = (objective.nllh(x + step) - objective.nllh(x - step)) / 2e-6
        assert gradient[j] == pytest.approx(numeric, rel=1e-3, abs=1e-3)
