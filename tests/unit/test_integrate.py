"""stat3qsp.model.integrate: the values of ``RoadRunner.simulate`` bit for bit on a dosed trial patient (twice-daily
oral ruxolitinib and three-weekly trastuzumab infusions with a loading dose; the doses are the model's piecewise
PK, its triggers roots of the integrator), and no objects left behind by repeated calls (libroadrunner 2.10's
``simulate`` leaves two lists per call)."""
from __future__ import annotations

import gc

import numpy as np
import pytest

from stat3qsp.model.integrate import integrate, output_times
from stat3qsp.trial.names import LOG_RATIO, SLD
from stat3qsp.trial.population import patient_generator
from stat3qsp.trial.regimen import dosing_values


@pytest.fixture(scope="module")
def dosed(patient_simulator, nct_spec):
    """A patient of the ruxolitinib + trastuzumab arm of NCT02066532 and its regimen."""
    arm = nct_spec.arm("ruxolitinib_trastuzumab")
    body_weight = nct_spec.population.body_weight
    patient = patient_simulator.draw_patient(arm.context, patient_generator(1, 0, 0, 0), body_weight)
    return patient, dosing_values(arm, patient_simulator.regimens, patient.body_weight_kg)


@pytest.mark.parametrize("late_start", [False, True])
def test_integrate_gives_the_values_of_simulate_bit_for_bit(patient_simulator, dosed, late_start):
    """Output times across doses and infusions, from t = 0 and from a later time; *late_start*: the first doses on
    days 3 and 8 (triggers crossed inside the intervals) after a simulation that started later than this one (the
    integration start time ``integrate`` sets decides whether CVODE restarts at a root)."""
    patient, dosing = dosed
    if late_start:
        dosing = {**dosing, "rux_start": 55.5, "tras_start": 170.0}
    runner = patient_simulator.model.runner
    selections = [LOG_RATIO, SLD, *runner.model.getFloatingSpeciesIds()]
    for times in ([0.0, 0.7, 12.0, 100.25, 600.0, 1100.5], [507.0, 519.0, 531.0, 543.5]):
        patient_simulator.start_treatment(patient, dosing)
        reference = np.array(runner.simulate(times=times, selections=selections))
        runner.simulate(5000.0, 5001.0, 2)
        patient_simulator.start_treatment(patient, dosing)
        assert np.array_equal(integrate(runner, times, selections), reference)


def test_output_times_are_those_of_simulate_with_points(patient_simulator, dosed):
    patient, dosing = dosed
    runner = patient_simulator.model.runner
    for start, end, points in ((0.0, 1000.1, 2), (3.5, 1011.5, 2), (0.0, 336.0, 29)):
        patient_simulator.start_treatment(patient, dosing)
        reference = np.array(runner.simulate(start, end, points, selections=["time", SLD]))
        patient_simulator.start_treatment(patient, dosing)
        assert np.array_equal(integrate(runner, output_times(start, end, points), ["time", SLD]), reference)


def test_repeated_calls_leave_no_garbage_collector_objects(patient_simulator, dosed):
    """An invariant, not a timing: 300 integrations (each restarting the integrator) add no tracked objects."""
    patient, dosing = dosed
    runner = patient_simulator.model.runner
    patient_simulator.start_treatment(patient, dosing)

    def calls(n):
        for i in range(n):
            integrate(runner, [12.0 * i, 12.0 * i + 6.0, 12.0 * (i + 1)], [LOG_RATIO, SLD])

    calls(5)
    gc.collect()
    before = len(gc.get_objects())
    calls(300)
    gc.collect()
    assert len(gc.get_objects()) - before <= 0


def test_fewer_than_two_times_are_refused(patient_simulator):
    with pytest.raises(ValueError, match="at least two times"):
        integrate(patient_simulator.model.runner, [0.0], [SLD])
