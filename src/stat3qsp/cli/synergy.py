"""The ``synergy`` verb: synergy and sensitivity scores of a lab plate (SynergyFinder long format)."""
from __future__ import annotations

import argparse
from pathlib import Path

from stat3qsp.assay.synergy.names import DEFAULT_LEVEL, DEFAULT_METHODS, INHIBITION, PLATE_METHODS, RESPONSE_KINDS


def register(verbs) -> None:
    """Add the ``synergy`` verb."""
    parser = verbs.add_parser(
        "synergy", help="synergy scores of SynergyFinder-format dose matrices",
        description="Score every block of a SynergyFinder long-format CSV with HSA, Bliss, Loewe, ZIP "
                    "(SynergyFinder conventions), MuSyC, the Chou-Talalay combination index and RI/CSS; writes "
                    "OUT.tsv (per well, with replicate SD and n) and OUT.summary.tsv (per block); optionally "
                    "bootstrap intervals and figures.")
    parser.add_argument("matrix_csv", type=Path, help="CSV with block_id, drug_row, drug_col, conc_r, conc_c, "
                                                      "response, conc_r_unit, conc_c_unit")
    parser.add_argument("-o", "--output", required=True, type=Path, help="per-well TSV to write (OUT.tsv)")
    parser.add_argument("--methods", "--method", dest="methods", default=",".join(DEFAULT_METHODS),
                        help=f"comma-separated, from {', '.join(PLATE_METHODS)} (default {','.join(DEFAULT_METHODS)})")
    parser.add_argument("--response", choices=RESPONSE_KINDS, default=INHIBITION,
                        help="what the response column holds (default inhibition)")
    parser.add_argument("--seed", type=int, default=0, help="seed of MuSyC's random starts and the bootstrap (default 0)")
    parser.add_argument("--bootstrap", type=int, default=0, metavar="N",
                        help="bootstrap plates per block for percentile intervals (default 0: none)")
    parser.add_argument("--level", type=float, default=DEFAULT_LEVEL,
                        help=f"two-sided level of the bootstrap intervals (default {DEFAULT_LEVEL})")
    parser.add_argument("--plot", type=Path, metavar="DIR", help="write one PNG and SVG figure per block into DIR")
    parser.add_argument("--compare-model", action="store_true",
                        help="simulate the plate's grid with the model in --context; writes OUT.model.tsv "
                             "(residual surfaces) and OUT.drug_fits.tsv (IC50, Emax, Hill with intervals)")
    parser.add_argument("--context", help="model context of --compare-model (models/catalog.yaml)")
    parser.add_argument("--hours", type=float, default=72.0, help="assay time of the simulated plate (default 72 h)")
    parser.add_argument("--fit-model", action="store_true",
                        help="with --compare-model: fit the model's drug-effect parameters (e.g. rux_JAK_IC50) to "
                             "each block by least squares; writes OUT.model_fit.tsv with intervals")
    parser.add_argument("--fit-parameters", metavar="IDS",
                        help="comma-separated parameter ids of models/parameters.tsv to fit instead of the drugs' "
                             "defaults (stat3qsp.assay.synergy.model_fit.EFFECT_PARAMETERS)")
    parser.add_argument("--fit-bootstrap", type=int, default=0, metavar="N",
                        help="residual-bootstrap refits for the --fit-model intervals (default 0: Wald intervals)")
    parser.add_argument("--exposure", type=Path, metavar="TSV",
                        help="with --compare-model: exposure table (results/pk/exposure.tsv) whose clinical ranges "
                             "box the clinically reachable wells on the figures and flag them in OUT.model.tsv "
                             "(column clinically_reachable)")
    parser.add_argument("--clip-response", action="store_true",
                        help="clip every response to [0, 100] and say which rows, instead of refusing a file with "
                             "responses beyond [-20, 120]")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> None:
    """Score the plate (:func:`stat3qsp.assay.synergy.plate.score_plate`)."""
    import sys

    from stat3qsp.assay.synergy.io import RESPONSE_SCALE, summary_path
    from stat3qsp.assay.synergy.plate import score_plate
    from stat3qsp.errors import InputError
    from stat3qsp.io.paths import check_output_file
    from stat3qsp.limits import check_seed

    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    check_seed(args.seed)
    if args.compare_model and not args.context:
        raise InputError("--compare-model needs --context CONTEXT (a context of models/catalog.yaml)")
    if args.context and not args.compare_model:
        raise InputError("--context is only used with --compare-model")
    fit_model, fit_bootstrap = getattr(args, "fit_model", False), getattr(args, "fit_bootstrap", 0)
    named, exposure = getattr(args, "fit_parameters", None), getattr(args, "exposure", None)
    for flag, given in (("--fit-model", fit_model), ("--fit-parameters", named), ("--exposure", exposure),
                        ("--fit-bootstrap", fit_bootstrap)):
        if given and not args.compare_model:
            raise InputError(f"{flag} is only used with --compare-model --context CONTEXT")
    if (named or fit_bootstrap) and not fit_model:
        raise InputError("--fit-parameters and --fit-bootstrap are only used with --fit-model")
    if exposure is not None and not Path(exposure).is_file():
        raise InputError(f"--exposure {exposure}: no such file; accepted: an exposure table such as "
                         "results/pk/exposure.tsv")
    fit_parameters = [p.strip() for p in named.split(",") if p.strip()] if named else None
    for path in (args.output, summary_path(args.output)):
        check_output_file(path)
    clipped: list[tuple[int, float]] = []
    score_plate(args.matrix_csv, args.output, methods=methods, response=args.response, seed=args.seed,
                bootstrap=args.bootstrap, level=args.level, plot_dir=args.plot,
                context=args.context if args.compare_model else None, models_dir=getattr(args, "models", None),
                hours=args.hours, clip=getattr(args, "clip_response", False), clipped=clipped,
                exposure=exposure, fit_model=fit_model, fit_parameters=fit_parameters, fit_bootstrap=fit_bootstrap)
    if clipped:
        rows = ", ".join(f"{row} ({value:g})" for row, value in clipped[:10]) + (", ..." if len(clipped) > 10 else "")
        low, high = RESPONSE_SCALE
        sys.stderr.write(f"stat3qsp synergy: clipped {len(clipped)} % {args.response} response(s) to [{low:g}, "
                         f"{high:g}] (--clip-response): data rows {rows}\n")
