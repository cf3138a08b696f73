"""Calibration of the model's JAK/STAT3 core on published measurements, as PEtab problems.

Modules, one concern each:

:mod:`~stat3qsp.calibration.signalling.spec`
    The recipe of a calibration (``calibration/<name>/spec.yaml``): source data, input conversion,
    the biological setting, observable mapping, what is dropped, what is fitted.
:mod:`~stat3qsp.calibration.signalling.problem`
    Builds our PEtab problem (SBML of the composed model in the setting, conditions, measurements,
    observables, parameters) from the published one and the recipe; lints it.
:mod:`~stat3qsp.calibration.signalling.objective`
    Simulates the problem with libroadrunner and evaluates its negative log-likelihood as a
    least-squares residual vector with its Jacobian.
:mod:`~stat3qsp.calibration.signalling.fit`
    Multistart fits and profile likelihoods, run by pyPESTO with fides.
:mod:`~stat3qsp.calibration.signalling.pesto`
    The objective as a pyPESTO problem; the engine that runs its tasks in forked workers.
:mod:`~stat3qsp.calibration.signalling.evaluate`
    Training and validation errors, the no-drug-effect baseline and the figures.
:mod:`~stat3qsp.calibration.signalling.columns`
    Column names of the output tables.
"""
