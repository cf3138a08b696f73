"""Competing mechanistic hypotheses ranked on the same evidence: the signalling fit to the PEtab data and a
small virtual trial of NCT02066532 (:mod:`stat3qsp.hypotheses.ranking`), with subgroup and biomarker
predictions. The modules themselves are data (``models/hypotheses/``, :mod:`stat3qsp.model.hypotheses`)."""
