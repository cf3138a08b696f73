"""The draws remembered across the arms of a replicate (stat3qsp.trial.draw_memory): the same trial bit for bit,
fewer draws."""
from __future__ import annotations

import numpy as np

from stat3qsp.trial import draw_memory
from stat3qsp.trial.draw_memory import DrawMemory
from stat3qsp.trial.patient import PatientSimulator
from stat3qsp.trial.simulate import TrialSettings, simulate_trial
from stat3qsp.trial.spec import load_trial_spec

DRAW_PATIENT = PatientSimulator.draw_patient
ARMS = ("ruxolitinib_trastuzumab", "historical_control", "trastuzumab_sensitive", "full_jak_inhibition")


def _trial(monkeypatch, size):
    monkeypatch.setattr(draw_memory, "DRAW_MEMORY_SIZE", size)
    calls = []
    original = DRAW_PATIENT
    monkeypatch.setattr(PatientSimulator, "draw_patient", lambda self, *a: calls.append(a[0]) or original(self, *a))
    spec = load_trial_spec("trials/NCT02066532.yaml")
    settings = TrialSettings(replicates=2, seed=5, patients=2, horizon_weeks=10.0, arms=ARMS)
    return simulate_trial(spec, settings, 1, progress=False), calls


def test_remembered_draws_give_the_same_trial_with_fewer_draws(monkeypatch):
    size = draw_memory.DRAW_MEMORY_SIZE
    drawn, drawn_calls = _trial(monkeypatch, 0)
    kept, kept_calls = _trial(monkeypatch, size)
    assert [(r.replicate, r.arm, r.patient) for r in kept] == [(r.replicate, r.arm, r.patient) for r in drawn]
    for a, b in zip(kept, drawn):
        assert a.values == b.values and a.draws == b.draws and a.status == b.status
        assert np.array_equal(a.sld_mm, b.sld_mm, equal_nan=True) and a.conduct.scan_weeks.tolist() == \
            b.conduct.scan_weeks.tolist()
    # three arms share a context: each patient is drawn once per context, not once per arm
    per_context = {c: drawn_calls.count(c) for c in set(drawn_calls)}
    assert kept_calls.count("her2_amplified") == per_context["her2_amplified"]
    assert 3 * kept_calls.count("her2_trastuzumab_resistant") == per_context["her2_trastuzumab_resistant"]


def test_a_hit_replays_the_retries_of_the_draw_and_the_oldest_draw_is_forgotten():
    class Simulator:
        def __init__(self):
            self.retried, self.calls = [], 0

        def draw_patient(self, context, rng, body_weight):
            self.calls += 1
            self.retried.append(f"pre-equilibration {self.calls}")
            return (context, float(rng.random()))

    simulator, memory = Simulator(), DrawMemory(size=2)
    first = memory.draw(simulator, "a", None, 1, 0, 0)
    simulator.retried.clear()
    assert memory.draw(simulator, "a", None, 1, 0, 0) is first and simulator.retried == ["pre-equilibration 1"]
    memory.draw(simulator, "a", None, 1, 0, 1), memory.draw(simulator, "a", None, 1, 0, 2)
    assert simulator.calls == 3 and memory.hits == 1
    assert memory.draw(simulator, "a", None, 1, 0, 0) == first and simulator.calls == 4  # forgotten, drawn again
