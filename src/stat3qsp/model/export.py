"""Files of the model for users and other tools: standalone SBML of a context with its checks and
equations listing, and simulated time courses as results tables."""
from __future__ import annotations

from pathlib import Path

from stat3qsp.errors import InputError
from stat3qsp.io.paths import check_output_file
from stat3qsp.limits import MAX_HOURS, MAX_POINTS, check_range
from stat3qsp.io.tables import write_table_atomic, write_text_atomic
from stat3qsp.model.annotate import annotate_sbml
from stat3qsp.model.compose import equations_listing, sbml_warnings, validate_sbml
from stat3qsp.model.concentrations import parse_drug_options
from stat3qsp.model.overrides import parse_param_options
from stat3qsp.model.provenance import provenance_lines
from stat3qsp.model.simulator import load_model
from stat3qsp.model.standalone import steady_state_sbml


#: ``--initial-state`` choices: the untreated steady state (what the project simulates from) or the
#: modules' own initial values (the start of the pre-equilibration).
INITIAL_STATES = ("steady", "modules")


def context_sbml(models_dir: Path | str, context: str, initial_state: str = "steady") -> str:
    """The SBML of *context*, checked by libsbml (units on).

    With ``initial_state="steady"`` the file starts at the untreated steady state of the context and
    carries the readouts of ``stat3qsp simulate`` (:func:`stat3qsp.model.standalone.steady_state_sbml`),
    so that it reproduces the project's simulations on its own.

    Raises
    ------
    InputError
        If *initial_state* is not one of :data:`INITIAL_STATES`.
    RuntimeError
        If the composed SBML fails libsbml's consistency checks (a bug of the model, not of input).
    """
    if initial_state not in INITIAL_STATES:
        raise InputError(f"--initial-state {initial_state!r} is unknown; accepted: {', '.join(INITIAL_STATES)}")
    model = load_model(models_dir)
    sbml = model.sbml_for_context(context)
    if initial_state == "steady":
        sbml = steady_state_sbml(sbml, model.context(context))
    sbml = annotate_sbml(sbml, model.catalog.models_dir)
    errors = validate_sbml(sbml)
    if errors:
        raise RuntimeError("the composed SBML fails libsbml's checks:\n" + "\n".join(errors))
    return sbml


def write_sbml(models_dir: Path | str, context: str, sbml_path: Path | str, checks_path: Path | str | None = None,
               equations_path: Path | str | None = None, initial_state: str = "steady") -> None:
    """Write the SBML of *context*, and optionally libsbml's report and the equations listing."""
    for path, option in ((sbml_path, "-o"), (checks_path, "checks"), (equations_path, "equations")):
        if path is not None:
            check_output_file(path, option)
    sbml = context_sbml(models_dir, context, initial_state)
    write_text_atomic(sbml_path, sbml)
    if checks_path is not None:
        warnings = sbml_warnings(sbml)
        report = [f"libsbml consistency checks (units on): 0 errors, {len(warnings)} warnings", *warnings]
        write_text_atomic(checks_path, "\n".join(report) + "\n")
    if equations_path is not None:
        write_text_atomic(equations_path, equations_listing(sbml))


def write_time_course(models_dir: Path | str, context: str, drug_options: list[str], hours: float, points: int,
                      output: Path | str, param_options: list[str] | None = None) -> None:
    """Simulate *context* with the drugs of *drug_options* (``NAME=CONC`` with unit) and write the readouts.

    *param_options* (``NAME=VALUE[UNIT]``, :mod:`stat3qsp.model.overrides`) change parameters for this run.
    """
    check_range(hours, "--hours", 0, MAX_HOURS, low_open=True)
    check_range(points, "--points", 2, MAX_POINTS, integer=True)
    check_output_file(output)
    model = load_model(models_dir)
    changes = parse_param_options(param_options or [], model)
    simulator = model.context(context, changes)
    doses = parse_drug_options(drug_options, model.catalog)
    try:
        table = simulator.time_course(doses, hours=hours, points=points)
    except RuntimeError as error:  # roadrunner/CVODE: the table's values or the horizon defeat the integrator
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise InputError(f"the integrator failed for context {context} with {doses or 'no drugs'} over --hours "
                         f"{hours:g} ({reason}); accepted: parameter values (--models {models_dir}) and a horizon "
                         "the model integrates") from None
    header = [f"context: {context}", *(f"{d}_nM: {c:g}" for d, c in doses.items()),
              *(f"param {pid}: {value!r}" for pid, value in changes.items()), *provenance_lines(models_dir)]
    write_table_atomic(output, table, header)
