"""The assays of a context as a COMBINE archive (.omex): SBML, SED-ML and a manifest.

The archive holds ``model.xml``, the standalone SBML of the context (it starts at the untreated
steady state and carries the readouts, :mod:`stat3qsp.model.standalone`), ``simulation.sedml``
(SED-ML Level 1 Version 4, written with phraSED-ML) and ``manifest.xml``. The SED-ML describes:

- ``untreated``: the untreated time course, 0 to the assay time, one output per hour;
- ``dose_response_<drug>``: for every drug of the config's ``dose_response``, a repeated task over
  the same concentrations as the dose_response rules (vehicle plus the log-spaced grid), each run
  from the initial state (``resetModel``) to the assay time;
- ``combination_<row>_<col>``: the dose matrix of the first pair of ``synergy.pairs`` on the
  synergy grids (nested repeated tasks, row drug outer).

Each task has a report with the drug concentrations and the readouts; in a repeated task's report
every run gives two rows (t = 0 and the assay time), the second is the assay result. CVODE runs
with relative tolerance 1e-10 and absolute tolerance 1e-14 (KISAO:0000209, KISAO:0000211).
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import phrasedml

from stat3qsp.assay.dose_response import concentration_grid
from stat3qsp.errors import InputError
from stat3qsp.io.tables import write_bytes_atomic
from stat3qsp.model.catalog import Catalog
from stat3qsp.model.concentrations import to_nanomolar
from stat3qsp.model.export import context_sbml
from stat3qsp.model.readouts import ASSAY_READOUTS, READOUTS, VIABILITY
from stat3qsp.model.simulator import load_model

MODEL_FILE, SEDML_FILE, MANIFEST_FILE = "model.xml", "simulation.sedml", "manifest.xml"
RELATIVE_TOLERANCE, ABSOLUTE_TOLERANCE = 1e-10, 1e-14
_FORMATS = "http://identifiers.org/combine.specifications/"
#: Fixed time stamp of the archive's members, so that the same model gives the same bytes.
_ZIP_TIME = (2020, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Protocol:
    """What the SED-ML of a context describes (concentrations in nM)."""

    hours: float
    dose_response: dict[str, np.ndarray]
    pair: tuple[str, str]
    pair_grids: tuple[np.ndarray, np.ndarray]


def protocol_from_config(config: dict[str, Any], catalog: Catalog) -> Protocol:
    """The protocol of the workflow config: ``assay_hours``, ``dose_response``, ``synergy`` grids and first pair.

    Raises
    ------
    InputError
        If a key is missing or a concentration cannot be read.
    """
    try:
        hours = float(config["assay_hours"])
        grids = {drug: _grid(spec, drug, catalog, int(spec["points"])) for drug, spec in config["dose_response"].items()}
        synergy = config["synergy"]
        pair = synergy["pairs"][0]
        row, col = pair["row"], pair["col"]
        pair_grids = tuple(_grid(synergy["grids"][d], d, catalog, int(synergy["points"]) - 1) for d in (row, col))
    except (KeyError, IndexError, TypeError) as exc:
        raise InputError(f"the config lacks {exc} needed for the SED-ML protocol (assay_hours, dose_response, "
                         "synergy.points, synergy.grids, synergy.pairs)") from None
    return Protocol(hours, grids, (row, col), pair_grids)


def _grid(spec: dict[str, Any], drug: str, catalog: Catalog, points: int) -> np.ndarray:
    low, high = (to_nanomolar(str(spec[k]), drug, catalog) for k in ("low", "high"))
    return concentration_grid(low, high, points)


def _vector(values: np.ndarray) -> str:
    return "[" + ", ".join(repr(float(v)) for v in values) + "]"


def sedml_source(protocol: Protocol, catalog: Catalog) -> str:
    """The phraSED-ML text of *protocol* (converted to SED-ML by :func:`sedml_document`)."""
    readouts = [*READOUTS, VIABILITY]
    hours = protocol.hours
    lines = [f'model1 = model "{MODEL_FILE}"',
             f"course = simulate uniform(0, {hours!r}, {int(round(hours))})",
             f"assay = simulate uniform(0, {hours!r}, 1)"]
    for sim in ("course", "assay"):
        lines += [f"{sim}.algorithm.relative_tolerance = {RELATIVE_TOLERANCE!r}",
                  f"{sim}.algorithm.absolute_tolerance = {ABSOLUTE_TOLERANCE!r}"]
    lines += ["untreated = run course on model1", "at_assay = run assay on model1",
              'report "untreated" ' + ", ".join(f"untreated.{name}" for name in ["time", *readouts])]
    for drug, concentrations in protocol.dose_response.items():
        pid, task = catalog.drug(drug).concentration_parameter, f"dose_response_{drug}"
        lines += [f"{task} = repeat at_assay for model1.{pid} in {_vector(concentrations)}, reset=true",
                  f'report "{task}" ' + ", ".join(f"{task}.{n}" for n in ["time", pid, *ASSAY_READOUTS])]
    (row, col), (conc_r, conc_c) = protocol.pair, protocol.pair_grids
    pid_r, pid_c = (catalog.drug(d).concentration_parameter for d in (row, col))
    task = f"combination_{row}_{col}"
    lines += [f"{task}_inner = repeat at_assay for model1.{pid_c} in {_vector(conc_c)}, reset=true",
              f"{task} = repeat {task}_inner for model1.{pid_r} in {_vector(conc_r)}, reset=true",
              f'report "{task}" ' + ", ".join(f"{task}.{n}" for n in ["time", pid_r, pid_c, *ASSAY_READOUTS])]
    return "\n".join(lines) + "\n"


def sedml_document(source: str, sbml: str) -> str:
    """SED-ML converted from phraSED-ML *source*, checked against the referenced *sbml*."""
    phrasedml.clearReferencedSBML()
    phrasedml.setReferencedSBML(MODEL_FILE, sbml)
    sedml = phrasedml.convertString(source)
    if sedml is None:
        raise RuntimeError(f"phraSED-ML rejected the protocol: {phrasedml.getLastError()}")
    return sedml


def manifest() -> str:
    """The OMEX manifest of the archive (SED-ML is the master file)."""
    entries = [(".", "omex", False), (f"./{MANIFEST_FILE}", "omex-manifest", False),
               (f"./{MODEL_FILE}", "sbml", False), (f"./{SEDML_FILE}", "sed-ml", True)]
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f'<omexManifest xmlns="{_FORMATS}omex-manifest">']
    for location, kind, master in entries:
        flag = ' master="true"' if master else ""
        lines.append(f'  <content location="{location}" format="{_FORMATS}{kind}"{flag}/>')
    lines.append("</omexManifest>")
    return "\n".join(lines) + "\n"


def write_omex(models_dir: Path | str, context: str, config: dict[str, Any], output: Path | str) -> None:
    """Write the COMBINE archive of *context* with the protocol of *config* (:func:`protocol_from_config`)."""
    catalog = load_model(models_dir).catalog
    protocol = protocol_from_config(config, catalog)
    sbml = context_sbml(models_dir, context)
    sedml = sedml_document(sedml_source(protocol, catalog), sbml)
    members = {MANIFEST_FILE: manifest(), MODEL_FILE: sbml, SEDML_FILE: sedml}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(zipfile.ZipInfo(name, _ZIP_TIME), text)
    write_bytes_atomic(output, buffer.getvalue())
