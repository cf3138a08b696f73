# stat3qsp: HER2 -> IL-6 -> JAK/STAT3 -> S100A8/9, its drugs and trials.
from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config/config.yaml"


# Strict reading of the config files (duplicate keys), then the schema; a violation is one line.
from stat3qsp.config import validate_config

validate_config(config, f"{workflow.basedir}/config/schema.yaml", list(getattr(workflow, "configfiles", None) or []), validate)


report: "workflows/report/workflow.rst"


include: "workflows/common.smk"
include: "workflows/model.smk"
include: "workflows/dose_response.smk"
include: "workflows/synergy.smk"
include: "workflows/comparison.smk"
include: "workflows/calibration.smk"
include: "workflows/trial.smk"
include: "workflows/sensitivity.smk"
include: "workflows/hypotheses.smk"
include: "workflows/window.smk"


localrules:
    all,


rule all:
    input:
        all_targets(),
    default_target: True
