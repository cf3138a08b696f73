"""Diagnosis (issue 13): what the acceptance rules leave of the growth distribution at a growth scale.

For the reference candidates of a context (``--candidates`` drawn from a fixed seed, pre-equilibrated
once: their untreated growth rate ``g0`` does not depend on the growth scale) and ``--z`` growth
deviates each, the candidate's ``tumour_rate_scale`` is ``c q(z)`` (``q`` the mixture quantile of
``models/population.yaml`` at centre 1), its untreated volume doubling time ``ln 2 / (3 c q g0)``.
The acceptance rules (doubling window, the scale's table bounds) are applied exactly as
:func:`stat3qsp.trial.population.is_plausible` and ``within_bounds`` do; redrawing until a candidate
is accepted makes the accepted patients the candidates conditioned on acceptance, so the table is
that conditional distribution at every ``c``, without simulating a course. Columns: share of candidates
rejected for a doubling time under the window's minimum, over its maximum, over the scale's table
bound; share accepted; quantiles (5, 25, 50, 75, 95%) of the accepted doubling times (days); share of
accepted patients doubling in more than 160 and 240 days; the indolent subgroup's share among them
(mean posterior membership; the file's share is the prior); mean and SD of their growth deviates.

Usage::

    PYTHONPATH=src .venv/bin/python benchmarks/diag_acceptance.py --scales 0.026,0.064,0.104,0.139
"""
from __future__ import annotations

import argparse
import math

import numpy as np
from scipy.special import ndtr

from stat3qsp.errors import SimulationError
from stat3qsp.trial.mixture import subgroup_values
from stat3qsp.trial.names import BASELINE, RATE_SCALE
from stat3qsp.trial.patient import PatientSimulator
from stat3qsp.trial.population import candidate_values, within_bounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--context", default="her2_trastuzumab_resistant")
    parser.add_argument("--scales", default="0.026,0.064,0.104,0.139")
    parser.add_argument("--candidates", type=int, default=400)
    parser.add_argument("--z", type=int, default=400)
    parser.add_argument("--seed", type=int, default=20261207)
    args = parser.parse_args()
    sim = PatientSimulator()
    population, table = sim.population, sim.model.parameters
    growth = population.distribution(RATE_SCALE)
    log_sd, share, factor = math.sqrt(math.log1p(growth.spread ** 2)), growth.indolent_share, growth.indolent_factor
    centres = sim.context_values(args.context)
    rng = np.random.default_rng(np.random.SeedSequence(args.seed))
    others = [pid for pid in population.parameter_ids if pid != RATE_SCALE]
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
    log_q = np.log(subgroup_values(ndtr(z), growth.spread, share, factor))
    indolent = share * np.exp(-0.5 * ((log_q - math.log(factor)) / log_sd) ** 2)
    posterior = indolent / (indolent + (1 - share) * np.exp(-0.5 * (log_q / log_sd) ** 2))
    rate_low, rate_high = table[RATE_SCALE].lower_bound, table[RATE_SCALE].upper_bound
    days_low, days_high = population.acceptance.doubling_days
    print("scale\tfast\tslow\tbound\taccepted\tD5\tD25\tD50\tD75\tD95\tover160\tover240\tindolent\tz_mean\tz_sd")
    for scale in (float(s) for s in args.scales.split(",")):
        rate = scale * np.exp(log_q)
        days = math.log(2.0) / (3.0 * rate * g0[:, None]) / 24.0
        fast, slow, bound = days < days_low, days > days_high, (rate < rate_low) | (rate > rate_high)
        accepted = ~(fast | slow | bound)
        kept = days[accepted]
        print("\t".join([f"{scale:.4g}", *(f"{x.mean():.3f}" for x in (fast, slow, bound, accepted)),
                         *(f"{v:.0f}" for v in np.quantile(kept, [0.05, 0.25, 0.5, 0.75, 0.95])),
                         f"{(kept > 160).mean():.3f}", f"{(kept > 240).mean():.3f}",
                         f"{posterior[accepted].mean():.3f}", f"{z[accepted].mean():+.2f}", f"{z[accepted].std():.2f}"]))


if __name__ == "__main__":
    main()
