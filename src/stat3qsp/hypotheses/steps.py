"""The workflow's step of the hypothesis stage: the config's ``hypotheses`` block -> :func:`rank_hypotheses`
(the function the ``stat3qsp hypotheses`` verb calls, with the same defaults)."""
from __future__ import annotations

import logging
from typing import Any

from stat3qsp.hypotheses.ranking import DEFAULT_COMBINATIONS, RankingSettings, rank_hypotheses

_DEFAULTS = RankingSettings()


def settings_of(block: dict[str, Any]) -> RankingSettings:
    """The ranking settings of a config ``hypotheses`` block (missing keys: the verb's defaults)."""
    return RankingSettings(int(block.get("patients", _DEFAULTS.patients)), int(block.get("bootstrap", _DEFAULTS.bootstrap)),
                           int(block.get("seed", _DEFAULTS.seed)), int(block.get("workers", _DEFAULTS.workers)),
                           int(block.get("calibration_patients", _DEFAULTS.calibration_patients)))


def ranking_rule(models_dir: str, block: dict[str, Any], signalling_spec: str, output: str, targets: str) -> None:
    """Rule ``hypotheses``: rank the block's combinations into *output*, each refitted to the tumour
    calibration *targets*."""
    ranking = rank_hypotheses(models_dir, block["spec"], signalling_spec, output,
                              tuple(block.get("combinations") or DEFAULT_COMBINATIONS), settings_of(block),
                              block.get("forward_spec"), targets=targets)
    logging.info("hypotheses ranked:\n%s", ranking.to_string(index=False))
