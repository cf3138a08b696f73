"""Marrow toxicity of ruxolitinib: Friberg-type neutrophil and platelet models and a red-cell model driven
by free ruxolitinib (:mod:`.marrow`), CTCAE grading and protocol dose rules over a course (:mod:`.dosing`).
Standalone so far: not yet wired into the trial runner (docs/marrow_toxicity.md)."""
