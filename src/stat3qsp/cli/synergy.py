"""The ``synergy`` verb: synergy scores of SynergyFinder-format dose matrices."""
from __future__ import annotations

import argparse
from pathlib import Path

from stat3qsp.assay.synergy.io import FILE_METHODS, INHIBITION, RESPONSE_KINDS


def register(verbs) -> None:
    """Add the ``synergy`` verb."""
    parser = verbs.add_parser(
        "synergy", help="synergy scores of SynergyFinder-format dose matrices",
        description="Score every block of a SynergyFinder long-format CSV with HSA, Bliss, Loewe, ZIP "
                    "(SynergyFinder conventions), MuSyC and the Chou-Talalay combination index; writes OUT.tsv "
                    "(per well) and OUT.summary.tsv (per block).")
    parser.add_argument("matrix_csv", type=Path, help="CSV with block_id, drug_row, drug_col, conc_r, conc_c, "
                                                      "response, conc_r_unit, conc_c_unit")
    parser.add_argument("-o", "--output", required=True, type=Path, help="per-well TSV to write (OUT.tsv)")
    parser.add_argument("--methods", "--method", dest="methods", default="hsa,bliss,loewe,zip",
                        help=f"comma-separated, from {', '.join(FILE_METHODS)} (default hsa,bliss,loewe,zip)")
    parser.add_argument("--response", choices=RESPONSE_KINDS, default=INHIBITION,
                        help="what the response column holds (default inhibition)")
    parser.add_argument("--seed", type=int, default=0, help="seed of MuSyC's random starts (default 0)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> None:
    """Score the matrix file (:func:`stat3qsp.assay.synergy.io.score_file`)."""
    from stat3qsp.assay.synergy.io import score_file

    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    score_file(args.matrix_csv, args.output, methods=methods, response=args.response, seed=args.seed)
