# Cross-setting comparison: in each setting (context + backbone), the IL-6/JAK share of STAT3
# phosphorylation and the effect of adding the add-on drug (config: comparison).
# Quick rules (figures, tables, gathering shards) run on the submitting machine, not as cluster jobs.
localrules:
    comparison_figure,


rule comparison:
    output:
        settings="results/comparison/settings.tsv",
        add_on_range="results/comparison/add_on_range.tsv",
    log:
        "results/logs/comparison/comparison.log",
    params:
        model=CONFIG_CONTEXTS_DIGEST,
        models_dir=models_dir_of,
        spec=config.get("comparison"),
        hours=config["assay_hours"],
    conda:
        "envs/stat3qsp.yaml"
    script:
        "scripts/comparison.py"


rule comparison_figure:
    input:
        settings="results/comparison/settings.tsv",
        add_on_range="results/comparison/add_on_range.tsv",
    output:
        report(
            "results/comparison/figures/settings.png",
            caption="report/comparison.rst",
            category="Cross-setting comparison",
        ),
    log:
        "results/logs/comparison/figure.log",
    conda:
        "envs/stat3qsp.yaml"
    script:
        "scripts/comparison_figure.py"
