"""The therapeutic window of ruxolitinib (stat3qsp.trial.window): arms built from the spec, the table's
shape, and toxicity and target inhibition rising with dose."""
from __future__ import annotations

import numpy as np
import pytest

from stat3qsp.errors import InputError
from stat3qsp.toxicity.marrow import marrow_values
from stat3qsp.trial import window as w
from stat3qsp.trial.spec import load_trial_spec

SPEC = "trials/NCT02066532.yaml"
ARM = "ruxolitinib_trastuzumab"


def test_window_arms_copy_the_regimen_with_dose_schedule_and_context():
    spec = load_trial_spec(SPEC)
    out = w.window_spec(spec, ARM, "tnbc_egfr", [("BID", 5.0), ("QD", 50.0)])
    assert [a.name for a in out.arms] == ["rux_bid_5mg", "rux_qd_50mg"]
    for arm, (hours, dose) in zip(out.arms, [(12.0, 5.0), (24.0, 50.0)]):
        rux = next(d for d in arm.drugs if d.drug == "ruxolitinib")
        assert arm.context == "tnbc_egfr" and rux.interval.hours == hours and rux.dose.amount_mg() == dose
        assert [d.drug for d in arm.drugs] == ["ruxolitinib", "trastuzumab"] and not arm.endpoints
    with pytest.raises(InputError, match="historical_control"):
        w.window_spec(spec, "historical_control", "tnbc_egfr", [("BID", 5.0)])
    with pytest.raises(InputError, match="TID"):
        w.window_spec(spec, ARM, "tnbc_egfr", [("TID", 5.0)])


def test_jak_inhibition_rises_with_dose_and_potency():
    values = marrow_values()
    doses = [5.0, 10.0, 25.0, 50.0]
    for ic50 in w.POTENCIES.values():
        inhibition = [w.jak_inhibition(d, 12.0, ic50, values) for d in doses]
        assert np.all(np.diff(inhibition) > 0) and 0 < inhibition[0] and inhibition[-1] < 1
    # the 20-fold more potent whole-blood estimate inhibits more at every dose
    assert w.jak_inhibition(25.0, 12.0, 8.4, values) > 5 * w.jak_inhibition(25.0, 12.0, 166.0, values)


@pytest.mark.slow  # about 4 CPU-s: 12 virtual patients through the trial path
def test_window_table_shape_and_toxicity_rising_with_dose():
    table = w.window_table(SPEC, ARM, "her2_trastuzumab_resistant", [5.0, 50.0], [50.0], patients=4,
                           horizon_weeks=20.0, potencies={"whole_blood": 8.4})
    assert list(table.columns) == list(w.WINDOW_COLUMNS) and len(table) == 3
    assert table[w.TRIAL_DOSE].sum() == 0  # 25 mg BID is not among these doses
    bid = table[table[w.SCHEDULE] == "BID"].set_index(w.DOSE_MG)
    toxicity = [w.THROMBOCYTOPENIA_G3, w.ANAEMIA_G3, w.DOSE_INTERRUPTION, w.DOSE_REDUCTION]
    assert all(bid.loc[50.0, c] >= bid.loc[5.0, c] for c in toxicity)
    assert bid.loc[50.0, toxicity].sum() > bid.loc[5.0, toxicity].sum()
    assert bid.loc[5.0, w.MEAN_DOSE] == pytest.approx(5.0)  # nothing held at 5 mg
    assert bid.loc[50.0, w.JAK_INHIBITION] > bid.loc[5.0, w.JAK_INHIBITION]
    assert table[w.N_PATIENTS].tolist() == [4, 4, 4]


def test_the_figure_labels_are_read_from_the_table():
    """The potencies' IC50s and the trial's regimen come from the table (the report caption quotes neither)."""
    import pandas as pd

    rows = [("ctx", "made_up", 123.0, "QD", dose, dose == 30.0) for dose in (10.0, 30.0)]
    table = pd.DataFrame(rows, columns=[w.CONTEXT, w.POTENCY, w.IC50_NM, w.SCHEDULE, w.DOSE_MG, w.TRIAL_DOSE])
    assert w.potency_label(table, "QD") == "made_up (123 nM free), QD"
    assert w.window_title(table).endswith("context ctx (ring and dotted line: the trial's regimen, 30 mg QD)")
    assert w.window_title(table.assign(**{w.TRIAL_DOSE: False})).endswith("the trial's regimen)")
