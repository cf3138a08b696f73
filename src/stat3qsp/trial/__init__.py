"""Virtual clinical trials: the spec (:mod:`.spec`), pharmacokinetics and regimens, virtual patients,
RECIST 1.1, endpoints, report tables and figures; :mod:`.runner` is the one driver that the
``stat3qsp trial`` verb and the workflow's trial rules call."""
