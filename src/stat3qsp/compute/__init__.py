"""Running one function over many items on worker processes (:mod:`.batch`)."""
