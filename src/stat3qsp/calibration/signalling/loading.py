"""Loading the objective of a PEtab problem file (:class:`stat3qsp.calibration.signalling.objective.Objective`)."""
from __future__ import annotations

from pathlib import Path
import pandas as pd
import petab.v1 as petab
from stat3qsp.calibration.signalling.objective import Objective


def load_objective(yaml_path: Path | str, datasets: tuple[str, ...] | list[str] = (),
                   measurement_files: list[Path | str] | None = None) -> Objective:
    """The objective of a PEtab problem YAML (optionally other measurement files, or a subset)."""
    problem = petab.Problem.from_yaml(yaml_path)
    measurements = None
    if measurement_files:
        measurements = pd.concat([petab.get_measurement_df(f) for f in measurement_files], ignore_index=True)
    return Objective(problem, measurements, datasets)
