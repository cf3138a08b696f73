"""The ``toxicity`` section of a trial spec: how the marrow model (:mod:`stat3qsp.toxicity`) follows
every patient of an arm with ruxolitinib, and which dose hold/reduction rules act on its counts.

Keys (all optional; a spec without the section gets :data:`DEFAULT_TOXICITY`, stated as assumed):

- ``drug``: the drug whose free plasma exposure drives the marrow (``ruxolitinib``, the only one
  the marrow model has an effect for).
- ``population``: baseline blood counts, a population of ``models/toxicity/populations.tsv``.
- ``dose_rules``: a rule set of ``models/toxicity/dose_rules.tsv`` (hold, cap, one level down).
- ``weekly_checks_first_cycle``: counts checked on days 8 and 15 of the first cycle as well.
- ``check_interval``: counts checked on day 1 of every interval after that (default: the cycle).
- ``max_hold``: a hold lasting longer than this discontinues the drug for toxicity (the patient
  leaves the study: it feeds the trial's early discontinuation).
- ``source``: where the rules come from.

Names are checked against the tables of the default models folder where it has them (InputError naming the
key); otherwise when the trial reads them (:func:`stat3qsp.toxicity.dosing.read_population`, ``read_dose_rules``).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stat3qsp.errors import InputError
from stat3qsp.io.tables import read_table
from stat3qsp.model.catalog import DEFAULT_MODELS_DIR

RULES_TABLE, RULE_SET = "dose_rules.tsv", "rule_set"
POPULATIONS_TABLE, POPULATION = "populations.tsv", "population"
DEFAULT_SOURCE = ("assumed: generic solid-tumour protocol (no toxicity section in the spec): solid-tumour "
                  "baseline counts, hold for ANC < 1.0 or platelets < 50 x1e9/L and resume one dose level "
                  "lower (models/toxicity/dose_rules.tsv grade3_hold), counts weekly in cycle 1 then every "
                  "cycle, discontinuation after a hold longer than 28 days")


@dataclass(frozen=True)
class ToxicityRules:
    """A parsed ``toxicity`` section (module docstring); times in hours."""

    drug: str = "ruxolitinib"
    population: str = "solid_tumour"
    dose_rules: str = "grade3_hold"
    weekly_checks_first_cycle: bool = True
    check_interval_h: float | None = None
    max_hold_h: float = 28 * 24.0
    source: str = DEFAULT_SOURCE
    assumed: bool = True


DEFAULT_TOXICITY = ToxicityRules()
"""The generic default of a spec without a ``toxicity`` section (:data:`DEFAULT_SOURCE`)."""


def _names(table: str, column: str, models_dir: Path) -> list[str] | None:
    """Names in a toxicity table of *models_dir*; None if the folder has no such table (then the names
    are checked when the trial reads them from its own models folder)."""
    path = Path(models_dir) / "toxicity" / table
    if not path.is_file():
        return None
    return list(dict.fromkeys(read_table(path)[column].astype(str)))


def parse_toxicity(section: Mapping[str, Any] | None, parse_interval,
                   models_dir: Path | str = DEFAULT_MODELS_DIR) -> ToxicityRules:
    """:class:`ToxicityRules` of a spec's ``toxicity`` section (None: :data:`DEFAULT_TOXICITY`).

    The section has passed the spec schema (keys, types, the drug, a source); here the names are checked
    against the toxicity tables, which the schema cannot see. *parse_interval* is
    :func:`stat3qsp.trial.spec.parse_interval` (``"21 d"`` -> hours). InputError naming
    ``$.toxicity.<key>`` and what is accepted for an unknown population, rule set or duration.
    """
    if section is None:
        return DEFAULT_TOXICITY
    for key, table, column in (("population", POPULATIONS_TABLE, POPULATION), ("dose_rules", RULES_TABLE, RULE_SET)):
        value = section.get(key, getattr(DEFAULT_TOXICITY, key))
        names = _names(table, column, Path(models_dir))
        if names is not None and value not in names:
            raise InputError(f"$.toxicity.{key}: {value!r}; accepted: one of {', '.join(names)} "
                             f"(models/toxicity/{table})")
    weekly = section.get("weekly_checks_first_cycle", True)
    interval = section.get("check_interval")
    interval_h = None if interval is None else parse_interval(interval, "$.toxicity.check_interval").hours
    max_hold_h = (parse_interval(section["max_hold"], "$.toxicity.max_hold").hours if "max_hold" in section
                  else DEFAULT_TOXICITY.max_hold_h)
    return ToxicityRules(section.get("drug", DEFAULT_TOXICITY.drug), section.get("population", DEFAULT_TOXICITY.population),
                         section.get("dose_rules", DEFAULT_TOXICITY.dose_rules), weekly, interval_h, max_hold_h,
                         section["source"], assumed=False)
