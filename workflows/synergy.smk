rule synergy_matrix_shard:
    output:
        "results/synergy/shards/{context}__{row}__{col}.{scatteritem}.matrix.tsv",
    log:
        "results/logs/synergy/{context}__{row}__{col}.{scatteritem}.matrix.log",
    params:
        model=context_digest,
        models_dir=models_dir_of,
        synergy=config["synergy"],
        hours=config["assay_hours"],
    conda:
        "envs/stat3qsp.yaml"
    script:
        "scripts/synergy_matrix_shard.py"


# Quick rules (figures, tables, gathering shards) run on the submitting machine, not as cluster jobs.
localrules:
    synergy_matrix,
    synergy_figure,
    synergy_table,


rule synergy_matrix:
    input:
        shards=gather.synergy("results/synergy/shards/{{context}}__{{row}}__{{col}}.{scatteritem}.matrix.tsv"),
    output:
        "results/synergy/{context}__{row}__{col}.matrix.tsv",
    log:
        "results/logs/synergy/{context}__{row}__{col}.matrix.log",
    params:
        models_dir=models_dir_of,
        hours=config["assay_hours"],
    conda:
        "envs/stat3qsp.yaml"
    script:
        "scripts/synergy_matrix.py"


rule synergy_scores:
    input:
        "results/synergy/{context}__{row}__{col}.matrix.tsv",
        exposure=EXPOSURE_TABLE,
    output:
        wells="results/synergy/{context}__{row}__{col}.scores.tsv",
        summary="results/synergy/{context}__{row}__{col}.summary.tsv",
    log:
        "results/logs/synergy/{context}__{row}__{col}.scores.log",
    params:
        model=context_digest,
        models_dir=models_dir_of,
        synergy=config["synergy"],
        hours=config["assay_hours"],
        # With trials configured, the clinical exposure gives the scores over the clinically reachable wells.
        exposure=exposure_of,
    benchmark:
        "results/benchmarks/rules/synergy_scores/{context}__{row}__{col}.tsv"
    conda:
        "envs/stat3qsp.yaml"
    script:
        "scripts/synergy_scores.py"


rule synergy_figure:
    input:
        matrix="results/synergy/{context}__{row}__{col}.matrix.tsv",
        wells="results/synergy/{context}__{row}__{col}.scores.tsv",
        summary="results/synergy/{context}__{row}__{col}.summary.tsv",
        exposure=EXPOSURE_TABLE,
    output:
        report(
            "results/synergy/figures/{context}__{row}__{col}.png",
            caption="report/synergy.rst",
            category="Synergy",
            labels={"context": "{context}", "pair": "{row} x {col}"},
        ),
    log:
        "results/logs/synergy/{context}__{row}__{col}.figure.log",
    params:
        exposure=exposure_of,
    conda:
        "envs/stat3qsp.yaml"
    script:
        "scripts/synergy_figure.py"


rule synergy_table:
    input:
        expand("results/synergy/{pair}.summary.tsv", pair=SYNERGY_PAIRS),
    output:
        report("results/synergy/summary.tsv", caption="report/synergy_table.rst", category="Synergy"),
    log:
        "results/logs/synergy/summary.log",
    conda:
        "envs/stat3qsp.yaml"
    script:
        "scripts/synergy_table.py"


rule lab_plate:
    input:
        plate=lambda wildcards: LAB_PLATES[wildcards.plate]["path"],
        # With trials configured, the clinical exposure marks the clinically reachable wells on the figures.
        exposure=EXPOSURE_TABLE,
    output:
        wells="results/lab_plates/{plate}/scores.tsv",
        summary=report("results/lab_plates/{plate}/scores.summary.tsv", caption="report/lab_plate_table.rst",
                       category="Synergy", subcategory="Lab plates", labels={"plate": "{plate}", "table": "summary"}),
        model="results/lab_plates/{plate}/scores.model.tsv",
        fits="results/lab_plates/{plate}/scores.drug_fits.tsv",
        figures=report(directory("results/lab_plates/{plate}/figures"), patterns=["{name}.png"],
                       caption="report/lab_plate.rst", category="Synergy", subcategory="Lab plates",
                       labels={"plate": "{plate}", "figure": "{name}"}),
    log:
        "results/logs/lab_plates/{plate}.log",
    params:
        model=plate_digest,
        models_dir=models_dir_of,
        plate=lambda wildcards: LAB_PLATES[wildcards.plate],
        hours=config["assay_hours"],
        exposure=exposure_of,
    conda:
        "envs/stat3qsp.yaml"
    script:
        "scripts/lab_plate.py"
