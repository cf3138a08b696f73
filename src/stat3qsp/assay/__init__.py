"""Cell-line assays of the model: dose-response sweeps and LL.4 fits, drug-pair synergy
(:mod:`.synergy`), the cross-setting comparison, and their figures."""
