"""The ``calibrate`` verb: the calibration stage, writing the generated tables of fitted values.

``stat3qsp calibrate signalling`` fits the JAK/STAT3 core to its PEtab problem (multistart, then
profile likelihoods) and ``stat3qsp calibrate tumour`` the tumour's growth and kill scales to
their clinical targets; each writes ``models/calibrated/<stage>.tsv`` of the models folder (or
``-o``), from which the model reads its fitted values (:mod:`stat3qsp.calibration.store`).
"""
from __future__ import annotations

import argparse
from pathlib import Path


def register(verbs) -> None:
    """Add the ``calibrate`` verb with its two stages."""
    parser = verbs.add_parser("calibrate", help="fit the calibrated parameters and write models/calibrated/",
                              description="Run a calibration stage and write its generated table of fitted values "
                                          "(default: models/calibrated/<stage>.tsv of --models).")
    parser.add_argument("stage", choices=("signalling", "tumour"), help="which calibration to run")
    parser.add_argument("--spec", type=Path, default=None,
                        help="signalling: the recipe (default calibration/sobotta2017/spec.yaml); tumour: the "
                             "calibration targets (default calibration/tumour/targets.yaml)")
    parser.add_argument("--fit", default="full", help="signalling: fit configuration of the recipe (default full)")
    parser.add_argument("--patients", type=int, default=400, help="tumour: patients per calibration arm (default 400)")
    parser.add_argument("-o", "--output", type=Path, default=None,
                        help="table to write (default: models/calibrated/<stage>.tsv of --models)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> None:
    """Run the stage (:func:`stat3qsp.calibration.store.calibrate_tumour` or ``calibrate_signalling``)."""
    import shlex
    import sys

    from stat3qsp.calibration import store
    from stat3qsp.io.paths import check_output_file
    from stat3qsp.limits import MAX_PATIENTS, check_range

    output = check_output_file(args.output or store.committed_path(args.models, args.stage))
    if args.stage == "tumour":
        check_range(args.patients, "--patients", 1, MAX_PATIENTS, integer=True)
    command = "stat3qsp " + shlex.join(sys.argv[1:]) if sys.argv[1:] else f"stat3qsp calibrate {args.stage}"
    if args.stage == "tumour":
        spec = args.spec or Path("calibration/tumour/targets.yaml")
        result = store.calibrate_tumour(spec, args.models, output, args.patients, command)
        print(f"tumour_doubling_days {result.doubling_days:.6g}, tumour_kill_scale {result.kill_scale:.6g}, "
              f"tumour_sensitive_share {result.sensitive_share:.4g}, tumour_sensitive_factor "
              f"{result.sensitive_factor:.4g} ({'fitted' if result.subgroup_fitted else 'kept'}) -> {output}")
        print(result.rows.drop(columns=["matched_as"]).to_string(index=False))
        print("\n".join(f"acceptance: {line}" for line in result.acceptance))
    else:
        spec = args.spec or Path("calibration/sobotta2017/spec.yaml")
        nllh = store.calibrate_signalling(spec, args.models, output, args.fit, command)
        print(f"signalling: negative log-likelihood {nllh:.4f} at the fitted values -> {output}")
