"""Diagnosis (issue 13): what the acceptance rules leave of the growth distribution at a growth median.

For the reference candidates of a context (``--candidates`` drawn from a fixed seed, pre-equilibrated
once: their untreated growth rate ``g0`` does not depend on the doubling time) and ``--z`` deviates each,
the candidate's untreated volume doubling time is ``D = F^-1(Phi(z))`` (the truncated log-normal of
``models/population.yaml``, kind ``doubling_time``, at median ``m``; :mod:`stat3qsp.trial.doubling`) and its
``tumour_rate_scale`` is ``ln 2 / (3 g0 D)``. The acceptance rules are applied exactly as
:class:`stat3qsp.trial.patient.PatientSimulator` does: the doubling window holds by construction, the scale's
table bounds may reject a candidate; redrawing until a candidate is accepted makes the accepted patients the
candidates conditioned on acceptance, so the table is that conditional distribution at every ``m``, without
simulating a course. Columns: the median ``m`` (days); share of candidates rejected for the scale's table
bounds; share accepted; quantiles (5, 25, 50, 75, 95%) of the accepted doubling times (days); share of
accepted patients doubling in more than 160 and 240 days; mean and SD of their growth deviates (``-z``).
Until 2026-12-07 the scale itself was drawn and this table had the share rejected at the window's ends
(94% at the committed scale then: docs/population.md).

Usage::

    PYTHONPATH=src .venv/bin/python benchmarks/diag_acceptance.py --medians 20.7,60,164
"""
from __future__ import annotations

import argparse

import numpy as np

from stat3qsp.errors import SimulationError
from stat3qsp.trial.doubling import doubling_days, rate_scale_for
from stat3qsp.trial.names import BASELINE, DOUBLING, RATE_SCALE
from stat3qsp.trial.patient import PatientSimulator
from stat3qsp.trial.population import candidate_values, within_bounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--context", default="her2_trastuzumab_resistant")
    parser.add_argument("--medians", default="20.7,60,164")
    parser.add_argument("--candidates", type=int, default=400)
    parser.add_argument("--z", type=int, default=400)
    parser.add_argument("--seed", type=int, default=20261207)
    args = parser.parse_args()
    sim = PatientSimulator()
    population, table = sim.population, sim.model.parameters
    growth = population.distribution(DOUBLING)
    centres = sim.context_values(args.context)
    rng = np.random.default_rng(np.random.SeedSequence(args.seed))
    others = [pid for pid in population.parameter_ids if pid != DOUBLING]
    sld_low, sld_high = population.acceptance.baseline_sld_mm
    g0 = []
    for _ in range(args.candidates):
        values = candidate_values(population, centres, rng.standard_normal(len(population.distributions)),
                                  context=args.context)
        if within_bounds({pid: values[pid] for pid in others}, table) and sld_low <= values[BASELINE] <= sld_high:
            try:
                g0.append(sim.preequilibrate(args.context, values)[0])
            except SimulationError:
                pass
    g0 = np.array(g0)
    print(f"# {g0.size}/{args.candidates} candidates pass the other rules; g0 (per h) 5/50/95%: "
          + " ".join(f"{v:.4g}" for v in np.quantile(g0, [0.05, 0.5, 0.95])))
    z = rng.standard_normal((g0.size, args.z))
    rate_low, rate_high = table[RATE_SCALE].lower_bound, table[RATE_SCALE].upper_bound
    print("median\tbound\taccepted\tD5\tD25\tD50\tD75\tD95\tover160\tover240\tz_mean\tz_sd")
    for median in (float(m) for m in args.medians.split(",")):
        days = np.vectorize(lambda x: doubling_days(median, growth.spread, growth.window, x))(z)
        rate = np.vectorize(rate_scale_for)(days, np.broadcast_to(g0[:, None], days.shape))
        accepted = (rate >= rate_low) & (rate <= rate_high)
        kept = days[accepted]
        print("\t".join([f"{median:.4g}", *(f"{x.mean():.3f}" for x in (~accepted, accepted)),
                         *(f"{v:.0f}" for v in np.quantile(kept, [0.05, 0.25, 0.5, 0.75, 0.95])),
                         f"{(kept > 160).mean():.3f}", f"{(kept > 240).mean():.3f}",
                         f"{-z[accepted].mean():+.2f}", f"{z[accepted].std():.2f}"]))

if __name__ == "__main__":
    main()
