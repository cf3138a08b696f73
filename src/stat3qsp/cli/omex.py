"""The ``omex`` verb: a COMBINE archive (SBML, SED-ML, manifest) of the assays of a context."""
from __future__ import annotations

import argparse
from pathlib import Path

from stat3qsp.io.yamlfiles import read_yaml


def register(verbs) -> None:
    """Add the ``omex`` verb."""
    omex = verbs.add_parser(
        "omex", help="write a COMBINE archive (.omex) of a context: SBML, SED-ML and manifest",
        description="Write a COMBINE archive with the standalone SBML of a context and a SED-ML description of its "
                    "untreated time course, every single-drug dose response of the config at the assay time and the "
                    "dose matrix of the config's first synergy pair; tellurium or any SED-ML tool runs it.")
    omex.add_argument("--context", required=True, help="context name from models/catalog.yaml")
    omex.add_argument("--config", type=Path, default=None,
                      help="workflow config with assay_hours, dose_response and synergy (default: ./config/config.yaml "
                           "of a project checkout, else the copy installed with the package)")
    omex.add_argument("-o", "--output", required=True, type=Path, help=".omex file to write")
    omex.set_defaults(run=run)


def run(args: argparse.Namespace) -> None:
    """Write the archive (:func:`stat3qsp.assay.omex.write_omex`)."""

    from stat3qsp.assay.omex import write_omex
    from stat3qsp.errors import InputError

    config = args.config or default_config()
    if not config.is_file():
        raise InputError(f"--config {config}: no such file; give the workflow config (config/config.yaml)")
    write_omex(args.models, args.context, read_yaml(config, "workflow config"), args.output)


def default_config() -> Path:
    """``./config/config.yaml`` in a project checkout, else the copy installed with the package (setup.py)."""
    from importlib import resources

    local = Path.cwd() / "config" / "config.yaml"
    return local if local.is_file() else Path(str(resources.files("stat3qsp") / "_data" / "config" / "config.yaml"))
