# Virtual clinical trials of the specs under `trials` in the config (stat3qsp.trial.simulate): replicate trials
# of every arm, assessed by RECIST 1.1 and compared with the observed endpoints; figures after Kearney
# 2021 Figs 2-3; report tables (which data calibrated and which validated the model, predicted versus
# observed, the counterfactual arms against the design's target). Also the free drug exposure at the
# tumour under the specs' regimens (stat3qsp.trial.exposure), which the synergy rules use.
TRIALS = config.get("trials", {})
# What the trial tables depend on (not `workers` or the list of specs: changing those reruns nothing).
TRIAL_SETTINGS = {key: TRIALS[key] for key in ("replicates", "patients", "seed", "method") if key in TRIALS}
TRIAL_FIGURES = ("swimmer", "waterfall", "spider")

# Targets of this stage, for `rule all` of the Snakefile.
TRIAL_TARGETS = [
    *EXPOSURE_TABLE,
    *(
        path
        for trial, spec in TRIAL_SPECS.items()
        for path in [
            f"results/trial/{trial}/endpoints.tsv",
            f"results/trial/{trial}/summary.html",
            f"results/trial/{trial}/figures/km_band.png",
            f"results/trial/{trial}/figures/counterfactuals.png",
            *expand(
                "results/trial/{trial}/figures/{arm}_{figure}.png",
                trial=trial,
                arm=spec.arms,
                figure=TRIAL_FIGURES,
            ),
        ]
    ),
]


# Quick rules (figures, tables, gathering shards) run on the submitting machine, not as cluster jobs.
localrules:
    trial_gather,
    trial_km_figure,
    trial_counterfactual_figure,
    trial_summary,


# Keyed by what it reads of the specs (regimens, contexts, body weight), not their files: an edit of a
# spec's endpoints reruns that trial's jobs only, not the exposure and the synergy rules that use it.
rule exposure:
    output:
        report("results/pk/exposure.tsv", caption="report/exposure.rst", category="Virtual trials"),
    log:
        "results/logs/pk/exposure.log",
    params:
        model=TRIAL_MODEL_DIGEST,
        specs=[spec.path for spec in TRIAL_SPECS.values()],
        spec_inputs=EXPOSURE_SPEC_DIGEST,
        models_dir=models_dir_of,
        seed=TRIALS.get("seed"),
    conda:
        "envs/stat3qsp.yaml"
    script:
        "scripts/exposure.py"


rule trial_shard:
    input:
        spec=trial_spec_of,
    output:
        patients="results/trial/{trial}/shards/{scatteritem}.patients.tsv",
        sld="results/trial/{trial}/shards/{scatteritem}.sld.tsv",
    log:
        "results/logs/trial/{trial}/shard_{scatteritem}.log",
    params:
        model=trial_digest,
        models_dir=models_dir_of,
        trials=TRIAL_SETTINGS,
    threads: TRIALS.get("workers", 1)
    resources:
        mem_mb=lambda wildcards, threads: 400 * (threads + 1),
    benchmark:
        "results/benchmarks/rules/trial_shard/{trial}_{scatteritem}.tsv"
    # Long jobs before the figures and tables (which fill the other core meanwhile).
    priority: 5
    conda:
        "envs/stat3qsp.yaml"
    script:
        "scripts/trial_shard.py"


rule trial_gather:
    input:
        spec=trial_spec_of,
        patients=gather.trial("results/trial/{{trial}}/shards/{scatteritem}.patients.tsv"),
        sld=gather.trial("results/trial/{{trial}}/shards/{scatteritem}.sld.tsv"),
    output:
        endpoints="results/trial/{trial}/endpoints.tsv",
        replicates="results/trial/{trial}/replicate_endpoints.tsv",
        patients="results/trial/{trial}/patients.tsv",
        sld="results/trial/{trial}/sld.tsv",
    log:
        "results/logs/trial/{trial}/gather.log",
    params:
        models_dir=models_dir_of,
        trials=TRIAL_SETTINGS,
    conda:
        "envs/stat3qsp.yaml"
    script:
        "scripts/trial_gather.py"


rule trial_km_figure:
    input:
        spec=trial_spec_of,
        patients="results/trial/{trial}/patients.tsv",
        endpoints="results/trial/{trial}/endpoints.tsv",
    output:
        report(
            "results/trial/{trial}/figures/km_band.png",
            caption="report/trial_km.rst",
            category="Virtual trials",
            subcategory="{trial}",
            labels={"figure": "KM band", "arm": "all"},
        ),
    log:
        "results/logs/trial/{trial}/km_band.log",
    params:
        trials=TRIAL_SETTINGS,
    conda:
        "envs/stat3qsp.yaml"
    script:
        "scripts/trial_km_figure.py"


# The swimmer, waterfall and spider plots of every arm of a spec in one job per spec (a job's start costs more
# than a figure): one rule per spec, since the arms (and so the outputs) differ between specs.
for _trial, _spec in TRIAL_SPECS.items():

    rule:
        name:
            f"trial_arm_figures_{_trial.replace('-', '_')}"
        input:
            patients=f"results/trial/{_trial}/patients.tsv",
            sld=f"results/trial/{_trial}/sld.tsv",
        output:
            **{
                f"{arm}_{figure}": report(
                    f"results/trial/{_trial}/figures/{arm}_{figure}.png",
                    caption=f"report/trial_{figure}.rst",
                    category="Virtual trials",
                    subcategory=_trial,
                    labels={"figure": figure, "arm": arm},
                )
                for arm in _spec.arms
                for figure in TRIAL_FIGURES
            },
        log:
            f"results/logs/trial/{_trial}/arm_figures.log",
        params:
            trial=_trial,
            arms=list(_spec.arms),
        localrule: True
        conda:
            "envs/stat3qsp.yaml"
        script:
            "scripts/trial_arm_figures.py"


rule trial_counterfactual_figure:
    input:
        spec=trial_spec_of,
        endpoints="results/trial/{trial}/endpoints.tsv",
    output:
        report(
            "results/trial/{trial}/figures/counterfactuals.png",
            caption="report/trial_counterfactuals.rst",
            category="Virtual trials",
            subcategory="{trial}",
            labels={"figure": "counterfactual arms", "arm": "all"},
        ),
    log:
        "results/logs/trial/{trial}/counterfactuals.log",
    conda:
        "envs/stat3qsp.yaml"
    script:
        "scripts/trial_counterfactual_figure.py"


rule trial_summary:
    input:
        spec=trial_spec_of,
        endpoints="results/trial/{trial}/endpoints.tsv",
        replicates="results/trial/{trial}/replicate_endpoints.tsv",
    output:
        observed="results/trial/{trial}/predicted_vs_observed.tsv",
        roles="results/trial/{trial}/data_roles.tsv",
        target="results/trial/{trial}/target.tsv",
        monte_carlo="results/trial/{trial}/monte_carlo.tsv",
        misses=report(
            "results/trial/{trial}/validation_misses.tsv",
            caption="report/trial_misses.rst",
            category="Virtual trials",
            subcategory="{trial}",
            labels={"figure": "validation misses", "arm": "all"},
        ),
        html=report(
            "results/trial/{trial}/summary.html",
            caption="report/trial_summary.rst",
            category="Virtual trials",
            subcategory="{trial}",
            labels={"figure": "calibration, validation, target", "arm": "all"},
        ),
    log:
        "results/logs/trial/{trial}/summary.log",
    params:
        model=PARAMETER_TABLE_DIGEST,
        models_dir=models_dir_of,
    conda:
        "envs/stat3qsp.yaml"
    script:
        "scripts/trial_summary.py"
