"""Errors of the package: bad user input, and simulations that fail.

Every error that a user can cause by what they type or write in a file is an
:class:`InputError`. The command line turns it into one line on standard error
and exit code 2, before any output file is written.

A simulation whose integration fails even with the retry's tighter integrator settings raises
:class:`SimulationError` (:meth:`stat3qsp.patient.PatientSimulator.scans`); the trial runner
records such a virtual patient as failed, with the reason (:mod:`stat3qsp.trial.simulate`).
"""
from __future__ import annotations


class InputError(ValueError):
    """A user-supplied value is invalid.

    The message names the offending key, row or value and says what is accepted.
    """


class SimulationError(RuntimeError):
    """An integration failed (integrator error, or a non-finite result) at the simulator's settings
    and again at the tighter settings of the retry; the message gives both reasons."""
