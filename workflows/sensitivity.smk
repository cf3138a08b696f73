# Global sensitivity analysis (SALib, stat3qsp.sensitivity.design): Morris screening of every uncertain model
# parameter, then Sobol indices of the top factors, for two output families: the synergy of a drug pair
# (`synergy`) and the endpoints of one arm of a virtual trial (`trial`). Then prediction intervals of the
# virtual trial with parameter uncertainty added (stat3qsp.sensitivity.uncertainty). Config: sensitivity, uncertainty.
# Designs and replicate trials are evaluated in shards (scattergather `sensitivity` and `uncertainty`, config
# `shards`), one job each, so an interrupted run redoes only the shards that did not finish.
from stat3qsp.sensitivity.config_check import FAMILIES, check_sensitivity_config, family_settings

check_sensitivity_config(config)

SENSITIVITY = config.get("sensitivity", {})
SENSITIVITY_FAMILIES = [family for family in FAMILIES if family in SENSITIVITY]
# Families whose outputs have Monte Carlo noise (virtual patients): their noise is measured.
NOISY_FAMILIES = [family for family in SENSITIVITY_FAMILIES if "noise_repeats" in SENSITIVITY[family]]
UNCERTAINTY = config.get("uncertainty", {})


wildcard_constraints:
    family="|".join(FAMILIES),
    design="morris|sobol",
    analysis="morris|sobol",


SENSITIVITY_TARGETS = [
    *expand("results/sensitivity/figures/{family}_{analysis}.png", family=SENSITIVITY_FAMILIES, analysis=["morris", "sobol"]),
    *expand("results/sensitivity/{family}/noise.tsv", family=NOISY_FAMILIES),
    *(["results/sensitivity/summary.tsv"] if SENSITIVITY_FAMILIES else []),
]
UNCERTAINTY_TARGETS = (
    ["results/uncertainty/endpoints.tsv", "results/uncertainty/figures/intervals.png"] if UNCERTAINTY else []
)


# Quick rules (figures, tables, gathering shards) run on the submitting machine, not as cluster jobs.
localrules:
    sensitivity_figure,
    sensitivity_summary,
    uncertainty_figure,


rule sensitivity_morris_design:
    input:
        spec=lambda wildcards: SENSITIVITY["trial"]["spec"] if wildcards.family == "trial" else [],
    output:
        factors="results/sensitivity/{family}/factors.tsv",
        design="results/sensitivity/{family}/morris_design.tsv",
    log:
        "results/logs/sensitivity/{family}/morris_design.log",
    params:
        model=ALL_MODELS_DIGEST,
        family=lambda wildcards: family_settings(config, wildcards.family),
        models_dir=models_dir_of,
    priority: 5
    conda:
        "envs/stat3qsp.yaml"
    script:
        "scripts/sensitivity_morris_design.py"


rule sensitivity_shard:
    input:
        design="results/sensitivity/{family}/{design}_design.tsv",
        spec=lambda wildcards: SENSITIVITY["trial"]["spec"] if wildcards.family == "trial" else [],
    output:
        "results/sensitivity/{family}/{design}/shard_{scatteritem}.tsv",
    log:
        "results/logs/sensitivity/{family}/{design}_shard_{scatteritem}.log",
    params:
        model=ALL_MODELS_DIGEST,
        family=lambda wildcards: family_settings(config, wildcards.family),
        models_dir=models_dir_of,
    benchmark:
        "results/benchmarks/rules/sensitivity_shard/{family}_{design}_{scatteritem}.tsv"
    priority: 5
    conda:
        "envs/stat3qsp.yaml"
    script:
        "scripts/sensitivity_shard.py"


rule sensitivity_morris:
    input:
        factors="results/sensitivity/{family}/factors.tsv",
        design="results/sensitivity/{family}/morris_design.tsv",
        blocks=gather.sensitivity("results/sensitivity/{{family}}/morris/shard_{scatteritem}.tsv"),
    output:
        morris="results/sensitivity/{family}/morris.tsv",
        outputs="results/sensitivity/{family}/morris_outputs.tsv",
    log:
        "results/logs/sensitivity/{family}/morris.log",
    params:
        family=lambda wildcards: family_settings(config, wildcards.family),
        models_dir=models_dir_of,
    conda:
        "envs/stat3qsp.yaml"
    script:
        "scripts/sensitivity_morris.py"


rule sensitivity_sobol_design:
    input:
        factors="results/sensitivity/{family}/factors.tsv",
        morris="results/sensitivity/{family}/morris.tsv",
    output:
        "results/sensitivity/{family}/sobol_design.tsv",
    log:
        "results/logs/sensitivity/{family}/sobol_design.log",
    params:
        family=lambda wildcards: family_settings(config, wildcards.family),
        models_dir=models_dir_of,
    conda:
        "envs/stat3qsp.yaml"
    script:
        "scripts/sensitivity_sobol_design.py"


rule sensitivity_sobol:
    input:
        factors="results/sensitivity/{family}/factors.tsv",
        design="results/sensitivity/{family}/sobol_design.tsv",
        blocks=gather.sensitivity("results/sensitivity/{{family}}/sobol/shard_{scatteritem}.tsv"),
    output:
        sobol="results/sensitivity/{family}/sobol.tsv",
        outputs="results/sensitivity/{family}/sobol_outputs.tsv",
    log:
        "results/logs/sensitivity/{family}/sobol.log",
    params:
        family=lambda wildcards: family_settings(config, wildcards.family),
        models_dir=models_dir_of,
    conda:
        "envs/stat3qsp.yaml"
    script:
        "scripts/sensitivity_sobol.py"


rule sensitivity_noise:
    input:
        outputs="results/sensitivity/{family}/morris_outputs.tsv",
        spec=lambda wildcards: SENSITIVITY["trial"]["spec"] if wildcards.family == "trial" else [],
    output:
        "results/sensitivity/{family}/noise.tsv",
    log:
        "results/logs/sensitivity/{family}/noise.log",
    params:
        model=ALL_MODELS_DIGEST,
        family=lambda wildcards: family_settings(config, wildcards.family),
        models_dir=models_dir_of,
    conda:
        "envs/stat3qsp.yaml"
    script:
        "scripts/sensitivity_noise.py"


rule sensitivity_figure:
    input:
        "results/sensitivity/{family}/{analysis}.tsv",
    output:
        report(
            "results/sensitivity/figures/{family}_{analysis}.png",
            caption="report/sensitivity_figure.rst",
            category="Sensitivity",
            labels={"family": "{family}", "analysis": "{analysis}"},
        ),
    log:
        "results/logs/sensitivity/{family}/{analysis}_figure.log",
    conda:
        "envs/stat3qsp.yaml"
    script:
        "scripts/sensitivity_figure.py"


rule sensitivity_summary:
    input:
        morris=expand("results/sensitivity/{family}/morris.tsv", family=SENSITIVITY_FAMILIES),
        sobol=expand("results/sensitivity/{family}/sobol.tsv", family=SENSITIVITY_FAMILIES),
    output:
        report("results/sensitivity/summary.tsv", caption="report/sensitivity_table.rst", category="Sensitivity"),
    log:
        "results/logs/sensitivity/summary.log",
    conda:
        "envs/stat3qsp.yaml"
    script:
        "scripts/sensitivity_summary.py"


rule uncertainty_shard:
    input:
        spec=UNCERTAINTY.get("spec", []),
    output:
        endpoints="results/uncertainty/shards/{scatteritem}.endpoints.tsv",
        parameters="results/uncertainty/shards/{scatteritem}.parameters.tsv",
    log:
        "results/logs/uncertainty/shard_{scatteritem}.log",
    params:
        model=ALL_MODELS_DIGEST,
        settings=UNCERTAINTY,
        models_dir=models_dir_of,
    benchmark:
        "results/benchmarks/rules/uncertainty_shard/{scatteritem}.tsv"
    conda:
        "envs/stat3qsp.yaml"
    script:
        "scripts/uncertainty_shard.py"


rule uncertainty:
    input:
        endpoints=gather.uncertainty("results/uncertainty/shards/{scatteritem}.endpoints.tsv"),
        parameters=gather.uncertainty("results/uncertainty/shards/{scatteritem}.parameters.tsv"),
    output:
        endpoints=report("results/uncertainty/endpoints.tsv", caption="report/uncertainty_table.rst", category="Uncertainty"),
        replicate_endpoints="results/uncertainty/replicate_endpoints.tsv",
        parameters="results/uncertainty/parameters.tsv",
    log:
        "results/logs/uncertainty/uncertainty.log",
    params:
        settings=UNCERTAINTY,
        models_dir=models_dir_of,
    conda:
        "envs/stat3qsp.yaml"
    script:
        "scripts/uncertainty.py"


rule uncertainty_figure:
    input:
        "results/uncertainty/endpoints.tsv",
    output:
        report("results/uncertainty/figures/intervals.png", caption="report/uncertainty.rst", category="Uncertainty"),
    log:
        "results/logs/uncertainty/figure.log",
    conda:
        "envs/stat3qsp.yaml"
    script:
        "scripts/uncertainty_figure.py"
