# Shared names and input functions. Config names are checked against the model catalog here, so a
# typo fails before any job runs, with the accepted names in the message.
from pathlib import Path

from stat3qsp.trial.steps import trial_specs
from stat3qsp.assay.steps import READOUT_NAMES
from stat3qsp.config import check_config

check_config(config)

CONTEXTS = config["contexts"]
# Every file of the model (modules, catalog, parameter table): rules that simulate depend on them, so an
# edit of the model reruns what it changes.
MODEL_CATALOG = f"{config['models_dir']}/catalog.yaml"
MODEL_FILES = sorted(
    str(path) for path in Path(config["models_dir"]).rglob("*") if path.suffix in {".ant", ".tsv", ".yaml"}
)
DR_DRUGS = list(config["dose_response"])
SYNERGY_PAIRS = [
    f"{context}__{pair['row']}__{pair['col']}" for context in CONTEXTS for pair in config["synergy"]["pairs"]
]
# Lab plates of config `lab_plates`, by the stem of their file name (results/lab_plates/<stem>/).
LAB_PLATES = {Path(plate["path"]).stem: plate for plate in config.get("lab_plates", [])}
# Trial specs of config `trials` by spec id (path and arm names), loaded and checked here so that a bad
# spec fails before any job; the exposure table exists only with them (the synergy rules then use it).
TRIAL_SPECS = trial_specs(config)
# Shard counts (config `shards`, schema defaults for missing names; `--set-scatter NAME=N` overrides).
SHARDS = config["shards"]


scattergather:
    trial=SHARDS["trial"],
    synergy=SHARDS["synergy"],
    sensitivity=SHARDS["sensitivity"],
    uncertainty=SHARDS["uncertainty"],

EXPOSURE_TABLE = ["results/pk/exposure.tsv"] if TRIAL_SPECS else []


wildcard_constraints:
    context="[a-z0-9]+(_[a-z0-9]+)*",
    drug="[a-z0-9]+(_[a-z0-9]+)*",
    row="[a-z0-9]+(_[a-z0-9]+)*",
    col="[a-z0-9]+(_[a-z0-9]+)*",
    readout="[A-Za-z0-9_]+",
    trial="[A-Za-z0-9_-]+",
    arm="[a-z][a-z0-9_]*",
    scatteritem=r"\d+-of-\d+",
    plate="[A-Za-z0-9_.-]+",


def models_dir_of(wildcards, input):
    """The models folder, derived from the catalog input."""
    return str(Path(input.catalog).parent)


def exposure_of(wildcards, input):
    """The exposure table among the inputs (named exposure: a list of one or none), or None."""
    return input.exposure[0] if len(input.exposure) else None


def trial_spec_of(wildcards):
    """The spec file of the trial wildcard."""
    return TRIAL_SPECS[wildcards.trial].path


def all_targets():
    return [
        expand("results/model/{context}.xml", context=CONTEXTS),
        expand("results/model/{context}.omex", context=CONTEXTS),
        expand("results/dose_response/{context}__{drug}.tsv", context=CONTEXTS, drug=DR_DRUGS),
        expand("results/dose_response/figures/{readout}.png", readout=READOUT_NAMES),
        expand("results/synergy/figures/{pair}.png", pair=SYNERGY_PAIRS),
        "results/synergy/summary.tsv",
        expand("results/lab_plates/{plate}/figures", plate=LAB_PLATES),
        *(["results/comparison/settings.tsv", "results/comparison/figures/settings.png"] if "comparison" in config else []),
        *(CALIBRATION_TARGETS if "calibration" in config else []),
        *TRIAL_TARGETS,
        *SENSITIVITY_TARGETS,
        *UNCERTAINTY_TARGETS,
        *HYPOTHESES_TARGETS,
    ]
