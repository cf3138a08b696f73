"""Global sensitivity (Morris, then Sobol; SALib) of synergy and trial outputs, and prediction
intervals with parameter uncertainty (:mod:`.uncertainty`)."""
