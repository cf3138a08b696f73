# Calibration of the JAK/STAT3 core on Sobotta et al. 2017 (IL-6 -> JAK1 -> STAT3 -> SOCS3 in primary
# mouse hepatocytes), as a PEtab problem (calibration/sobotta2017/): build the problem from the models
# and the published data, fit it (multistart), profile it, validate on the held-out ruxolitinib
# measurements, plot. Everything the rules need is in the recipe CALIBRATION_SPEC.
from pathlib import Path

from stat3qsp.calibration.signalling.spec import read_spec
from stat3qsp.calibration.target_files import target_spec_paths

CALIBRATION_SPEC = "calibration/sobotta2017/spec.yaml"
CALIBRATION_FIT = config.get("calibration", {}).get("fit", "full")  # `fast`: a few seconds, for tests
# The full multistart fit and profiles use 2 cores; the fast fit (seconds) 1, since a 2-thread job waits until
# both cores are free, i.e. for the end of the run (measured: the quick run ended on this chain, one core idle).
CALIBRATION_THREADS = 2 if CALIBRATION_FIT == "full" else 1
# The recipe is read only when the stage is configured (paths in it are relative to the project root).
CALIBRATION_OBSERVABLES = (
    [o.observable_id for o in read_spec(CALIBRATION_SPEC).observables] if "calibration" in config else []
)
CALIBRATION_PROBLEM = "results/calibration/problem/problem.yaml"
# The tumour calibration (growth and kill scales) on the targets of this file (arms of trial specs).
TUMOUR_CALIBRATION_SPEC = "calibration/tumour/targets.yaml"
TUMOUR_PATIENTS = config.get("calibration", {}).get("tumour_patients", 0)
# The trial specs its targets read (inputs of the calibration and of the hypotheses' refits); read only when a
# stage that uses them is configured (the paths are relative to the project root).
TUMOUR_TARGET_SPECS = target_spec_paths(TUMOUR_CALIBRATION_SPEC) if TUMOUR_PATIENTS or config.get("hypotheses") else []


# Targets of this stage, for `rule all` of the Snakefile.
CALIBRATION_TARGETS = [
    "results/calibration/fitted_parameters.tsv",
    "results/calibration/validation.tsv",
    "results/calibration/figures/profiles.png",
    "results/calibration/figures/multistart.png",
    *expand("results/calibration/figures/fit_{observable}.png", observable=CALIBRATION_OBSERVABLES),
    "results/calibration/calibrated/signalling.tsv",
    *(["results/calibration/calibrated/tumour.tsv"] if TUMOUR_PATIENTS else []),
    "results/calibration/drift.tsv",
]


# Quick rules (figures, tables, gathering shards) run on the submitting machine, not as cluster jobs.
localrules:
    calibration_drift,
    calibration_fit_figure,
    calibration_multistart_figure,
    calibration_profile_figure,


# The signalling fit's chain (problem, fit, profiles, validation) has priority: run last, it is a serial tail of
# the DAG that holds one core while the other idles.
rule calibration_problem:
    input:
        spec=CALIBRATION_SPEC,
        parameters=f"{config['models_dir']}/parameters.tsv",
        catalog=f"{config['models_dir']}/catalog.yaml",
        data="data/petab/Sobotta_Frontiers2017/Sobotta_Frontiers2017.yaml",
    output:
        problem=CALIBRATION_PROBLEM,
        validation="results/calibration/problem/problem_validation.yaml",
    log:
        "results/logs/calibration/problem.log",
    params:
        models_dir=lambda wc, input: str(Path(input.parameters).parent),
        folder=lambda wc, output: str(Path(output.problem).parent),
    priority: 10
    conda:
        "envs/stat3qsp.yaml"
    script:
        "scripts/calibration_problem.py"


rule calibration_fit:
    input:
        problem=CALIBRATION_PROBLEM,
        parameters=f"{config['models_dir']}/parameters.tsv",
        spec=CALIBRATION_SPEC,
    output:
        multistart="results/calibration/multistart.tsv",
        estimate="results/calibration/estimate.tsv",
    log:
        "results/logs/calibration/fit.log",
    params:
        fit=CALIBRATION_FIT,
        models_dir=lambda wc, input: str(Path(input.parameters).parent),
    threads: CALIBRATION_THREADS
    priority: 10
    conda:
        "envs/stat3qsp.yaml"
    script:
        "scripts/calibration_fit.py"


rule calibration_profiles:
    input:
        problem=CALIBRATION_PROBLEM,
        estimate="results/calibration/estimate.tsv",
        parameters=f"{config['models_dir']}/parameters.tsv",
        spec=CALIBRATION_SPEC,
    output:
        profiles="results/calibration/profiles.tsv",
        fitted="results/calibration/fitted_parameters.tsv",
    log:
        "results/logs/calibration/profiles.log",
    params:
        fit=CALIBRATION_FIT,
        models_dir=lambda wc, input: str(Path(input.parameters).parent),
    threads: CALIBRATION_THREADS
    priority: 10
    conda:
        "envs/stat3qsp.yaml"
    script:
        "scripts/calibration_profiles.py"


rule calibration_validation:
    input:
        problem=CALIBRATION_PROBLEM,
        estimate="results/calibration/estimate.tsv",
        parameters=f"{config['models_dir']}/parameters.tsv",
        spec=CALIBRATION_SPEC,
    output:
        validation="results/calibration/validation.tsv",
        residuals="results/calibration/residuals.tsv",
    log:
        "results/logs/calibration/validation.log",
    params:
        fit=CALIBRATION_FIT,
        models_dir=lambda wc, input: str(Path(input.parameters).parent),
    priority: 10
    conda:
        "envs/stat3qsp.yaml"
    script:
        "scripts/calibration_validation.py"


# One job draws every observable's figure (the PEtab objectives are built once, not once per figure).
if CALIBRATION_OBSERVABLES:  # a rule needs an output
    rule calibration_fit_figure:
        input:
            problem=CALIBRATION_PROBLEM,
            estimate="results/calibration/estimate.tsv",
            residuals="results/calibration/residuals.tsv",
        output:
            **{
                observable: report(
                    f"results/calibration/figures/fit_{observable}.png",
                    caption="report/calibration_fit.rst",
                    category="Calibration",
                    labels={"figure": "fit", "observable": observable},
                )
                for observable in CALIBRATION_OBSERVABLES
            },
        log:
            "results/logs/calibration/figure_fit.log",
        params:
            observables=CALIBRATION_OBSERVABLES,
        conda:
            "envs/stat3qsp.yaml"
        script:
            "scripts/calibration_fit_figure.py"


rule calibration_profile_figure:
    input:
        profiles="results/calibration/profiles.tsv",
        fitted="results/calibration/fitted_parameters.tsv",
    output:
        report(
            "results/calibration/figures/profiles.png",
            caption="report/calibration_profiles.rst",
            category="Calibration",
            labels={"figure": "profile likelihoods"},
        ),
    log:
        "results/logs/calibration/figure_profiles.log",
    conda:
        "envs/stat3qsp.yaml"
    script:
        "scripts/calibration_profile_figure.py"


rule calibration_multistart_figure:
    input:
        multistart="results/calibration/multistart.tsv",
    output:
        report(
            "results/calibration/figures/multistart.png",
            caption="report/calibration_multistart.rst",
            category="Calibration",
            labels={"figure": "multistart"},
        ),
    log:
        "results/logs/calibration/figure_multistart.log",
    conda:
        "envs/stat3qsp.yaml"
    script:
        "scripts/calibration_multistart_figure.py"


# The calibration stage's generated tables, recomputed: the committed ones are models/calibrated/*.tsv
# (written by `stat3qsp calibrate`, the same functions); calibration_drift compares the two.
rule calibration_signalling_table:
    input:
        fitted="results/calibration/fitted_parameters.tsv",
        spec=CALIBRATION_SPEC,
        parameters=f"{config['models_dir']}/parameters.tsv",
    output:
        "results/calibration/calibrated/signalling.tsv",
    log:
        "results/logs/calibration/signalling_table.log",
    params:
        models_dir=lambda wc, input: str(Path(input.parameters).parent),
    conda:
        "envs/stat3qsp.yaml"
    script:
        "scripts/calibration_signalling_table.py"


rule calibration_tumour:
    input:
        spec=TUMOUR_CALIBRATION_SPEC,
        trials=TUMOUR_TARGET_SPECS,
    output:
        "results/calibration/calibrated/tumour.tsv",
    log:
        "results/logs/calibration/tumour.log",
    params:
        model=TRIAL_MODEL_DIGEST,
        models_dir=models_dir_of,
        patients=TUMOUR_PATIENTS,
    benchmark:
        "results/benchmarks/rules/calibration_tumour.tsv"
    conda:
        "envs/stat3qsp.yaml"
    script:
        "scripts/calibration_tumour.py"


rule calibration_drift:
    input:
        recomputed=[
            "results/calibration/calibrated/signalling.tsv",
            *(["results/calibration/calibrated/tumour.tsv"] if TUMOUR_PATIENTS else []),
        ],
    output:
        report(
            "results/calibration/drift.tsv",
            caption="report/calibration_drift.rst",
            category="Calibration",
            labels={"table": "drift of the committed calibrated values"},
        ),
    log:
        "results/logs/calibration/drift.log",
    params:
        model=CALIBRATED_DIGEST,
        models_dir=models_dir_of,
    conda:
        "envs/stat3qsp.yaml"
    script:
        "scripts/calibration_drift.py"
