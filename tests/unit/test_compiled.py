"""The compiled-model cache (stat3qsp.model.compiled): a loaded state simulates as a fresh compile does."""

import numpy as np
import pytest

from stat3qsp.model import compiled
from stat3qsp.model.compose import MODEL_ID, antimony_to_sbml

TOY = f"""
model {MODEL_ID}
  species A = 10, B = 0
  k1 = 0.3; k2 = 0.05; V = 2
  J1: A -> B; k1 * A / (1 + B)
  J2: B -> ; k2 * B * V
end
"""


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(compiled.CACHE_ENV, str(tmp_path))
    return tmp_path / compiled.SUBFOLDER


def _course(runner, k1=None):
    runner.resetAll()
    if k1 is not None:
        runner["k1"] = k1
    runner.integrator.setValue("relative_tolerance", 1e-10)
    return np.asarray(runner.simulate(0, 50, 26))


def test_the_second_compile_loads_the_state_and_simulates_bitwise_the_same(cache, monkeypatch):
    sbml = antimony_to_sbml(TOY)
    fresh = compiled.compile_sbml(sbml)
    files = list(cache.glob("*.rrstate"))
    assert len(files) == 1 and files[0] == compiled.state_path(sbml)

    def no_compile(*args):
        if args:
            raise AssertionError("compiled again although the cache holds the state")
        return original()
    original = compiled.roadrunner.RoadRunner
    monkeypatch.setattr(compiled.roadrunner, "RoadRunner", no_compile)
    loaded = compiled.compile_sbml(sbml)
    monkeypatch.undo()
    assert np.array_equal(_course(fresh), _course(loaded))
    assert np.array_equal(_course(fresh, 0.9), _course(loaded, 0.9))
    assert list(loaded.model.getFloatingSpeciesIds()) == ["A", "B"]


def test_another_model_gets_its_own_state(cache):
    one = compiled.state_path(antimony_to_sbml(TOY))
    other = compiled.state_path(antimony_to_sbml(TOY.replace("k2 = 0.05", "k2 = 0.06")))
    assert one != other


def test_an_unreadable_state_is_compiled_again_and_replaced(cache):
    sbml = antimony_to_sbml(TOY)
    path = compiled.state_path(sbml)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a roadrunner state")
    runner = compiled.compile_sbml(sbml)
    assert _course(runner)[-1, 1] < 10  # A decays: a working model
    assert path.stat().st_size > 1000


def test_off_compiles_without_writing(tmp_path, monkeypatch):
    monkeypatch.setenv(compiled.CACHE_ENV, "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert compiled.state_path(antimony_to_sbml(TOY)) is None
    compiled.compile_sbml(antimony_to_sbml(TOY))
    assert not any(tmp_path.rglob("*.rrstate"))


def test_the_patient_model_from_the_cache_equals_a_fresh_compile(cache):
    import roadrunner

    from stat3qsp.model.simulator import build_model

    model = build_model(variant="patient")  # writes the state
    loaded = compiled.compile_sbml(model.sbml)
    fresh = roadrunner.RoadRunner(model.sbml)
    for runner in (loaded, fresh):
        runner.integrator.setValue("relative_tolerance", 1e-8)
    a, b = np.asarray(loaded.simulate(0, 72, 13)), np.asarray(fresh.simulate(0, 72, 13))
    assert a.shape == b.shape and np.array_equal(a, b)


def test_the_least_recently_used_states_are_deleted_beyond_the_limit(cache, monkeypatch):
    import os

    monkeypatch.setattr(compiled, "MAX_STATES", 2)
    sbmls = [antimony_to_sbml(TOY.replace("k2 = 0.05", f"k2 = 0.0{i}")) for i in range(1, 4)]
    for age, sbml in enumerate(sbmls[:2]):
        compiled.compile_sbml(sbml)
        os.utime(compiled.state_path(sbml), (1000 + age, 1000 + age))
    compiled.compile_sbml(sbmls[0])  # used again: now the most recent of the two
    compiled.compile_sbml(sbmls[2])
    kept = set(cache.glob("*.rrstate"))
    assert kept == {compiled.state_path(sbmls[0]), compiled.state_path(sbmls[2])}
