"""The ``design`` section of a trial spec, checked beyond the schema (:mod:`stat3qsp.trial.spec`): evaluable
patients at most enrolled, ``control_arm`` an arm of the spec, and ``pfs_hazard_ratio`` naming an
experimental arm other than the control arm, with its interval around the estimate."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from stat3qsp.errors import InputError
from stat3qsp.trial.spec_types import Design, HazardRatio


def parse_design(g: Mapping[str, Any], arm_names: Sequence[str]) -> Design:
    """The :class:`~stat3qsp.trial.spec_types.Design` of a schema-valid ``design`` section of a spec
    whose arms are *arm_names*."""
    if "evaluable" in g and "enrolled" in g and g["evaluable"] > g["enrolled"]:
        raise InputError(f"$.design.evaluable: {g['evaluable']} is more than enrolled = {g['enrolled']}; "
                         "accepted: evaluable <= enrolled")
    control_arm = g.get("control_arm")
    if control_arm is not None and control_arm not in arm_names:
        raise InputError(f"$.design.control_arm: {control_arm!r} is not an arm of the spec; accepted: one of "
                         f"{', '.join(arm_names)}")
    control = g.get("historical_control", {})
    return Design(
        phase=g.get("phase"), planned_sample_size=g["planned_sample_size"], enrolled=g.get("enrolled"),
        evaluable=g.get("evaluable"), primary_endpoint=g["primary_endpoint"],
        historical_control_median_pfs_weeks=control.get("median_pfs_weeks"),
        historical_control_treatment=control.get("treatment"), historical_control_source=control.get("source"),
        target_median_pfs_weeks=g.get("target_median_pfs_weeks"), alpha=g.get("alpha"), sided=g.get("sided"),
        power=g.get("power"), source=g["source"], control_arm=control_arm,
        pfs_hazard_ratio=_hazard_ratio(g.get("pfs_hazard_ratio"), control_arm, arm_names))


def _hazard_ratio(h: Mapping[str, Any] | None, control_arm: str | None,
                  arm_names: Sequence[str]) -> HazardRatio | None:
    if h is None:
        return None
    where = "$.design.pfs_hazard_ratio"
    if control_arm is None:
        raise InputError(f"{where}: given without $.design.control_arm; accepted: a control_arm (one of "
                         f"{', '.join(arm_names)}) for the ratio's comparator")
    experimental = h["experimental_arm"]
    if experimental not in arm_names or experimental == control_arm:
        raise InputError(f"{where}.experimental_arm: {experimental!r}; accepted: an arm of the spec other than "
                         f"control_arm {control_arm!r} (one of {', '.join(arm_names)})")
    observed, lo, hi = h["observed"], h["lo"], h["hi"]
    if (lo is not None and lo > observed) or (hi is not None and hi < observed):
        raise InputError(f"{where}: interval [{lo}, {hi}] does not contain observed = {observed}; "
                         "accepted: lo <= observed <= hi")
    return HazardRatio(experimental_arm=experimental, control_arm=control_arm, observed=observed, lo=lo, hi=hi,
                       role=h["role"], source=h["source"])
