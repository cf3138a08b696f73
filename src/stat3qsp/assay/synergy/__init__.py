"""Synergy of two drugs: model-independent scores of a dose matrix (:mod:`.scores`, :mod:`.musyc`),
SynergyFinder-format input and output (:mod:`.io`), and model-simulated sweeps (:mod:`.sweep`)."""
