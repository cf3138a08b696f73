"""The calibration evidence of a hypothesis: its signalling fit (cached by the digest of the hepatocyte model)
and the refit of the tumour's growth and kill scales to the population's calibration targets.

**Signalling fit.** :func:`stat3qsp.calibration.store.signalling_evaluation` builds, lints and evaluates the
PEtab problem of the recipe (about 2 s). A hypothesis module that cannot reach the PEtab observables in the
hepatocyte setting (a proliferation or death hook; the IL-6 supply under a zero exchange rate still reaches
them and is evaluated) leaves the likelihood unchanged, but its reactions and parameters are in the composed
model, so :func:`stat3qsp.model.provenance.model_digest` (a hash of the composed text) differs for every
hypothesis. The cache is therefore keyed by :func:`hepatocyte_digest`: the hash of what the observables
depend on in the recipe's SBML (:func:`stat3qsp.model.provenance.dependency_digest`: the assignment rules,
rate rules, reactions, species, compartments and parameter values they reach, every function definition and
event), with the recipe's file hash. Two models with one digest give the same
likelihood, so :class:`SignallingCache` evaluates each digest once per ranking.

**Tumour refit** (:func:`refit_tumour`): the function of ``stat3qsp calibrate tumour``
(:func:`stat3qsp.calibration.store.calibrate_tumour`) on the combination's derived models folder, written
to its own ``calibrated/tumour.tsv`` (so ``stat3qsp --models <derived folder> trial`` runs the refitted
model), with the growth and kill targets of ``calibration/tumour/targets.yaml`` (:data:`REFIT_KINDS`).
Every hypothesis, baseline included, is
refitted with the same number of calibration patients, the calibration's fixed seed and a follow-up of
:data:`REFIT_HORIZON_WEEKS`. The growth median (``tumour_doubling_days``) is searched first within a factor :data:`RATE_BRACKET_FACTOR`
of the parent models' calibrated value, then, if the target is not crossed there, in the next factor
:data:`RATE_BRACKET_FACTOR` squared below and above it, and last within the calibration's own bracket.
With a few dozen calibration patients the fitted shares move in steps of 1/n, so the growth target (the
Kaplan-Meier share progressed by a scan reaching one half) is met only to that step, and samples that meet
it equally well can have very different growth scales: the hypotheses are refitted on the same calibration patients (their
covariates drawn from a stream of their own, ``separate_stream`` of :mod:`stat3qsp.trial.population`), so
the differences between refits are the modules'. ``config/full.yaml`` refits on 200 patients per arm.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from stat3qsp.calibration import store, tumour
from stat3qsp.calibration.signalling.problem import composed_sbml
from stat3qsp.calibration.signalling.spec import read_spec
from stat3qsp.calibration.targets import TargetFit
from stat3qsp.errors import InputError
from stat3qsp.model.parameters import read_parameter_table
from stat3qsp.model.provenance import dependency_digest, file_hash, text_hash
from stat3qsp.trial.names import DOUBLING, KILL_SCALE

RATE_BRACKET_FACTOR = 1.5
"""First search bracket of the growth scale: the parent's calibrated value divided and multiplied by this."""
REFIT_XTOL = 0.03
"""Tolerance of the refit on ``log(scale)`` (3% of the scale; the calibration's own is 0.1%, far finer than
the step of the fitted shares, 1/n of a few dozen calibration patients)."""
REFIT_HORIZON_WEEKS = 30.0
"""Follow-up of the refit's calibration patients (the committed calibration follows 104 weeks): the growth
target is read by the week-8 scan and the kill target from responses, which come in the first months, so
the fitted scales are the same (checked on the baseline model, 16 patients per arm: growth scale identical,
kill scale 0.01892 against 0.01889, both targets identical) at 40% of the cost."""
REFIT_KINDS: tuple[str, ...] = ()
"""Target kinds evaluated besides growth and kill: none (the checks include a 24-week clinical benefit, which
the refit's shorter follow-up does not read as the calibration does; the plausibility bounds need another
arm's patients)."""


def hepatocyte_digest(spec_path: Path | str, models_dir: Path | str) -> str:
    """Hash of the recipe file and of the dependency cone of its observables and inputs in the recipe's SBML
    of *models_dir* (:func:`stat3qsp.model.provenance.dependency_digest`; module docstring)."""
    spec = read_spec(spec_path)
    cone = dependency_digest(composed_sbml(spec, models_dir), [*(o.formula for o in spec.observables),
                                                                 *(i.target for i in spec.inputs)])
    return text_hash(f"recipe {file_hash(spec_path)}\n{cone}")


class SignallingCache:
    """:func:`stat3qsp.calibration.store.signalling_evaluation` of each :func:`hepatocyte_digest` once."""

    def __init__(self, evaluate: Callable[[Path | str, Path | str], tuple[float, int, int]] = store.signalling_evaluation):
        self.evaluate = evaluate
        self.values: dict[str, tuple[float, int, int]] = {}
        self.evaluations = 0

    def __call__(self, spec_path: Path | str, models_dir: Path | str) -> tuple[float, int, int]:
        """``(nllh, estimated parameters, training measurements)`` of *models_dir* (computed or cached)."""
        key = hepatocyte_digest(spec_path, models_dir)
        if key not in self.values:
            self.values[key] = self.evaluate(spec_path, models_dir)
            self.evaluations += 1
        return self.values[key]


def calibrated_scales(models_dir: Path | str) -> tuple[float, float]:
    """``(tumour_doubling_days, tumour_kill_scale)`` of a models folder (its calibrated values)."""
    table = read_parameter_table(Path(models_dir) / "parameters.tsv")
    return float(table[DOUBLING].value), float(table[KILL_SCALE].value)


def refit_tumour(folder: Path | str, targets_path: Path | str, n_patients: int, start_rate: float) -> TargetFit:
    """Refit the growth and kill scales of the derived models folder *folder* to the targets of
    *targets_path* on *n_patients* calibration patients per arm (module docstring); the fit is written to
    *folder*'s ``calibrated/tumour.tsv``."""
    output = store.committed_path(folder, "tumour")
    command = f"stat3qsp hypotheses (refit of {Path(folder).name}, {n_patients} patients per arm)"
    f = RATE_BRACKET_FACTOR
    settings = dict(drift_check=False, xtol=REFIT_XTOL, horizon_weeks=REFIT_HORIZON_WEEKS)
    # the parent's neighbourhood, then the next factor of f**2 below and above it, then the calibration's own
    # bracket (whose fast end may leave no kill scale that reaches the kill target on a dozen patients)
    # (each clipped to the table's bounds of the scale, so a refit never writes a value beyond them)
    low, high = tumour.DOUBLING_BOUNDS
    narrow = [(max(a, low), min(b, high)) for a, b in ((start_rate / f, start_rate * f),
              (start_rate / f ** 3, start_rate / f), (start_rate * f, start_rate * f ** 3))]
    for bracket in (b for b in narrow if b[0] < b[1]):
        try:
            return store.calibrate_tumour(targets_path, folder, output, n_patients, command, REFIT_KINDS,
                                          doubling_bracket=bracket, **settings)
        except InputError:
            pass
    return store.calibrate_tumour(targets_path, folder, output, n_patients, command, REFIT_KINDS, **settings)
