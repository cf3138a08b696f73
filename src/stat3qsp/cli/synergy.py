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
    parser.add_argument("--clip-response", action="store_true",
                        help="clip every response to [0, 100] and say which rows, instead of refusing a file with "
                             "responses beyond [-20, 120]")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> None:
    """Score the matrix file (:func:`stat3qsp.assay.synergy.io.score_file`)."""
    import sys

    from stat3qsp.assay.synergy.io import RESPONSE_SCALE, score_file, summary_path
    from stat3qsp.io.paths import check_output_file
    from stat3qsp.limits import check_seed

    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    check_seed(args.seed)
    for path in (args.output, summary_path(args.output)):
        check_output_file(path)
    clipped: list[tuple[int, float]] = []
    score_file(args.matrix_csv, args.output, methods=methods, response=args.response, seed=args.seed,
               clip=args.clip_response, clipped=clipped)
    if clipped:
        rows = ", ".join(f"{row} ({value:g})" for row, value in clipped[:10]) + (", ..." if len(clipped) > 10 else "")
        low, high = RESPONSE_SCALE
        sys.stderr.write(f"stat3qsp synergy: clipped {len(clipped)} % {args.response} response(s) to [{low:g}, "
                         f"{high:g}] (--clip-response): data rows {rows}\n")
