"""Calibration stages: the JAK/STAT3 core on published signalling data (:mod:`.signalling`, PEtab)
and the tumour's clinical scales on external trial summaries (:mod:`.tumour`). Their fitted values
are committed as generated tables in ``models/calibrated/`` (:mod:`.store`)."""
