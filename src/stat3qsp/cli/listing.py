"""The ``list`` verb: what the model and project know (contexts, drugs, trials, hypotheses, parameters).

Writes a tab-separated table with a header row to standard output, readable with default options by
pandas (``sep="\\t"``) and R's ``read.delim``. ``hypotheses`` are the mechanistic modules of the model (core,
drug and variant modules), each with the first line of its leading comment.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from stat3qsp.io.yamlfiles import read_yaml

KINDS = ("contexts", "drugs", "trials", "hypotheses", "parameters")


def register(verbs) -> None:
    """Add the ``list`` verb."""
    listing = verbs.add_parser("list", help="list contexts, drugs, trials, hypotheses (model modules) or parameters",
                               description="Write a TSV table of the contexts, drugs, trial specs, hypothesis "
                                           "modules or parameters to standard output.")
    listing.add_argument("kind", choices=KINDS, help="what to list")
    listing.add_argument("--trials", type=Path, default=Path("trials"),
                         help="folder of trial specs for `list trials` (default ./trials)")
    listing.set_defaults(run=run)


def run(args: argparse.Namespace) -> None:
    """Print the table (:func:`rows`)."""
    columns, table = rows(args.kind, args.models, args.trials)
    sys.stdout.write("\t".join(columns) + "\n")
    for row in table:
        sys.stdout.write("\t".join(" ".join(str(v).split()) for v in row) + "\n")


def rows(kind: str, models_dir: Path, trials_dir: Path) -> tuple[tuple[str, ...], list[tuple]]:
    """Column names and rows of the listing of *kind*."""

    from stat3qsp.errors import InputError
    from stat3qsp.model.catalog import read_catalog
    from stat3qsp.model.parameters import read_parameter_table

    catalog = read_catalog(models_dir)
    if kind == "contexts":
        return ("context", "description"), [(c.name, c.description) for c in catalog.contexts.values()]
    if kind == "drugs":
        return (("drug", "concentration_parameter", "molecular_weight_g_per_mol", "description", "source"),
                [(d.name, d.concentration_parameter, d.molecular_weight_g_per_mol, d.description, d.source)
                 for d in catalog.drugs.values()])
    if kind == "parameters":
        table = read_parameter_table(catalog.models_dir / "parameters.tsv")
        return (("parameterId", "value", "unit", "lowerBound", "upperBound", "source"),
                [(p.parameter_id, p.value, p.unit, p.lower_bound, p.upper_bound, p.source) for p in table.values()])
    if kind == "hypotheses":
        paths = catalog.module_paths() + [catalog.models_dir / m for ms in catalog.variants.values() for m in ms]
        variant_of = {m: v for v, ms in catalog.variants.items() for m in ms}
        return (("module", "variant", "summary"),
                [(str(p.relative_to(catalog.models_dir)), variant_of.get(str(p.relative_to(catalog.models_dir)), "-"),
                  _summary(p)) for p in dict.fromkeys(paths)])
    if not trials_dir.is_dir():
        raise InputError(f"--trials {trials_dir}: no such folder; give the folder of trial specs (trials/)")
    specs = [read_yaml(p, "trial spec") or {} for p in sorted(trials_dir.glob("*.yaml"))]
    return ("trial", "file", "title"), [(s.get("id", "?"), p.name, s.get("title", "")) for s, p in
                                         zip(specs, sorted(trials_dir.glob("*.yaml")))]


def _summary(path: Path) -> str:
    """The first sentence of the module's leading ``//`` comment."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("//") or line.startswith("//@"):
            break
        lines.append(line.lstrip("/ ").strip())
    text = " ".join(lines)
    return text.split(". ")[0].rstrip(".") if text else ""
