"""The ``hypotheses`` verb: rank competing mechanistic hypotheses (``models/hypotheses/``) on the signalling
data and a virtual NCT02066532 trial, through :func:`stat3qsp.hypotheses.ranking.rank_hypotheses`.

Writes, in the output folder (whole or not at all): ``ranking.tsv``, ``subgroups.tsv``, ``biomarkers.tsv``,
``patients.tsv``, ``forward.tsv``, ``calibration.tsv`` (each hypothesis's tumour refit against the calibration
targets), ``figures/`` and ``models/<hypothesis>/`` (the derived models folders, each with its refitted
``calibrated/tumour.tsv``).
``--compose-only`` writes only the derived models folders (``<output>/<name>/``), which every other verb
takes as ``--models``. The workflow's ``hypotheses`` rule calls the same function with the config's ``hypotheses`` block; with the
same settings both give the same tables.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from stat3qsp.hypotheses.settings import DEFAULT_COMBINATIONS, RankingSettings

_DEFAULTS = RankingSettings()


def register(verbs) -> None:
    """Add the ``hypotheses`` verb."""
    parser = verbs.add_parser(
        "hypotheses", help="rank competing hypotheses (models/hypotheses/) on the same data and trial",
        description="Compose each hypothesis or combination of models/hypotheses/, evaluate the signalling fit "
                    "(PEtab, AIC/BIC), refit its tumour growth and kill scales to the calibration targets, score a "
                    "small virtual trial of the spec (predictive p and log score of every observed endpoint), and "
                    "write the ranking with subgroup and biomarker tables.")
    parser.add_argument("--hypothesis", action="append", default=None, metavar="NAME[+NAME...]",
                        help="a hypothesis or a combination joined by '+', e.g. paracrine_il6+adcc (repeatable; "
                             f"default: {' '.join(DEFAULT_COMBINATIONS)})")
    parser.add_argument("--spec", type=Path, default=Path("trials/NCT02066532.yaml"),
                        help="trial spec with arms ruxolitinib_trastuzumab and historical_control "
                             "(default trials/NCT02066532.yaml)")
    parser.add_argument("--signalling-spec", type=Path, default=Path("calibration/sobotta2017/spec.yaml"),
                        help="signalling calibration recipe (default calibration/sobotta2017/spec.yaml)")
    parser.add_argument("--forward", type=Path, default=None,
                        help="forward-prediction spec with arms neratinib_ruxolitinib and neratinib_alone, e.g. "
                             "trials/ner_rux_mtnbc.yaml (default: none)")
    parser.add_argument("--patients", type=int, default=_DEFAULTS.patients,
                        help=f"virtual patients per arm in each pool (default {_DEFAULTS.patients})")
    parser.add_argument("--calibration-patients", type=int, default=_DEFAULTS.calibration_patients,
                        help="calibration patients per target arm of each hypothesis's tumour refit (default "
                             f"{_DEFAULTS.calibration_patients})")
    parser.add_argument("--targets", type=Path, default=Path("calibration/tumour/targets.yaml"),
                        help="tumour calibration targets refitted for every hypothesis (default "
                             "calibration/tumour/targets.yaml)")
    parser.add_argument("--bootstrap", type=int, default=_DEFAULTS.bootstrap,
                        help=f"bootstrap trials drawn from each pool (default {_DEFAULTS.bootstrap})")
    parser.add_argument("--seed", type=int, default=_DEFAULTS.seed, help=f"seed (default {_DEFAULTS.seed})")
    parser.add_argument("--workers", type=int, default=_DEFAULTS.workers,
                        help="worker processes of the trial simulations (default 1; results do not depend on it)")
    parser.add_argument("--no-figures", action="store_true", help="write the tables only")
    parser.add_argument("--compose-only", action="store_true",
                        help="only write the derived models folder of each hypothesis to <output>/<name>/, to run "
                             "other verbs on it (stat3qsp --models <output>/<name> trial ...)")
    parser.add_argument("-o", "--output", required=True, type=Path, help="output folder")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> None:
    """Rank into the output folder and print the ranking (or, with ``--compose-only``, compose only)."""
    from stat3qsp.hypotheses import columns as hc
    from stat3qsp.hypotheses.ranking import rank_hypotheses
    from stat3qsp.model.hypotheses import compose_combinations

    if args.compose_only:
        for path in compose_combinations(args.models, tuple(args.hypothesis or DEFAULT_COMBINATIONS), args.output):
            print(path)
        return

    settings = RankingSettings(args.patients, args.bootstrap, args.seed, args.workers, args.calibration_patients)
    ranking = rank_hypotheses(args.models, args.spec, args.signalling_spec, args.output,
                              tuple(args.hypothesis or DEFAULT_COMBINATIONS), settings, args.forward,
                              figures=not args.no_figures, targets=args.targets)
    shown = [hc.HYPOTHESIS, hc.N_PARAMETERS, hc.FIT_NLL, hc.AIC, hc.GROWTH_RESIDUAL, hc.KILL_RESIDUAL, hc.TRIAL_LOG_SCORE,
             hc.DELTA_LOG_SCORE]
    print(ranking[shown].to_string(index=False))
