# Shared names and input functions. Config names are checked against the model catalog here, so a
# typo fails before any job runs, with the accepted names in the message.
from pathlib import Path

from stat3qsp.trial.spec_files import exposure_inputs, trial_specs
from stat3qsp.model.readouts import ASSAY_READOUTS
from stat3qsp.config import check_config
from stat3qsp.model.parameters import table_texts
from stat3qsp.model.provenance import file_hash, model_digest, text_hash
from stat3qsp.trial.spec import load_trial_spec

check_config(config)

CONTEXTS = config["contexts"]
MODELS_DIR = config["models_dir"]
MODEL_CATALOG = f"{MODELS_DIR}/catalog.yaml"
# Every file of the model (modules, catalog, parameter tables, population, regimens).
MODEL_FILES = sorted(
    str(path) for path in Path(MODELS_DIR).rglob("*") if path.suffix in {".ant", ".tsv", ".yaml"}
)
# Rerun triggers: rules that simulate take, as a param, the hash of what they read of the model
# (stat3qsp.model.provenance.model_digest: the composed model of their variant and contexts, values included),
# not its files, so an edit reruns only the jobs whose model it changes (a value only the patient model uses
# reruns the trial jobs, not the cell-line sweeps; a source or a bound reruns none of them).
# The marrow toxicity files (read for arms with ruxolitinib) count where the models folder has them.
PATIENT_FILES = ["population.yaml", "pk/regimens.yaml"] + [
    name
    for name in ("toxicity/marrow.ant", "toxicity/parameters.tsv", "toxicity/calibrated.tsv",
                 "toxicity/populations.tsv", "toxicity/dose_rules.tsv")
    if (Path(MODELS_DIR) / name).exists()
]
TRIAL_MODEL_DIGEST = model_digest(MODELS_DIR, "patient", None, PATIENT_FILES)
CONFIG_CONTEXTS_DIGEST = model_digest(MODELS_DIR, None, config["contexts"])
# Rules that read every parameter (sensitivity designs: ranges and sources) take the hash of every model file.
ALL_MODELS_DIGEST = text_hash("".join(f"{path}\n{Path(path).read_text(encoding='utf-8')}" for path in MODEL_FILES))
PARAMETER_TABLE_DIGEST = text_hash(table_texts(MODELS_DIR))
CALIBRATED_DIGEST = text_hash(
    "".join(file_hash(path) for path in sorted(Path(MODELS_DIR, "calibrated").glob("*.tsv")))
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
# What the exposure rule reads of the specs (stat3qsp.trial.exposure.exposure_inputs).
EXPOSURE_SPEC_DIGEST = text_hash("".join(exposure_inputs(load_trial_spec(s.path)) for s in TRIAL_SPECS.values()))
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
    """The models folder of the config."""
    return str(Path(MODELS_DIR))


def context_digest(wildcards):
    """Hash of the cell model in the context of the wildcards."""
    return model_digest(MODELS_DIR, None, [wildcards.context])


def plate_digest(wildcards):
    """Hash of the cell model in the context of a lab plate."""
    return model_digest(MODELS_DIR, None, [LAB_PLATES[wildcards.plate]["context"]])


def trial_digest(wildcards):
    """Hash of the patient model in the contexts of the arms of one trial spec, with the population and regimens."""
    return model_digest(MODELS_DIR, "patient", list(TRIAL_SPECS[wildcards.trial].contexts), PATIENT_FILES)


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
        expand("results/dose_response/figures/{readout}.png", readout=ASSAY_READOUTS),
        expand("results/synergy/figures/{pair}.png", pair=SYNERGY_PAIRS),
        "results/synergy/summary.tsv",
        expand("results/lab_plates/{plate}/figures", plate=LAB_PLATES),
        *(["results/comparison/settings.tsv", "results/comparison/figures/settings.png"] if "comparison" in config else []),
        *(CALIBRATION_TARGETS if "calibration" in config else []),
        *TRIAL_TARGETS,
        *SENSITIVITY_TARGETS,
        *UNCERTAINTY_TARGETS,
        *HYPOTHESES_TARGETS,
        *WINDOW_TARGETS,
    ]
