# Competing hypotheses (models/hypotheses/, stat3qsp.hypotheses.ranking): every combination of the config's
# `hypotheses` block scored on the signalling data (PEtab, AIC/BIC), refitted to the tumour calibration targets
# and scored on a small virtual NCT02066532 trial, with subgroup, biomarker and forward-prediction tables; the
# ranking figure and summary go into the report.
HYPOTHESES = config.get("hypotheses", {})


# Targets of this stage, for `rule all` of the Snakefile.
HYPOTHESES_TARGETS = (
    [
        "results/hypotheses/ranking.tsv",
        "results/hypotheses/summary.html",
        "results/hypotheses/figures/ranking.png",
        "results/hypotheses/figures/biomarkers.png",
    ]
    if HYPOTHESES
    else []
)


rule hypotheses:
    input:
        spec=HYPOTHESES.get("spec", []),
        forward=HYPOTHESES.get("forward_spec", []),
        signalling=CALIBRATION_SPEC,
        targets=TUMOUR_CALIBRATION_SPEC,
        target_specs=TUMOUR_TARGET_SPECS,
        catalog=MODEL_CATALOG,
        models=MODEL_FILES,
    output:
        ranking=report(
            "results/hypotheses/ranking.tsv",
            caption="report/hypotheses_table.rst",
            category="Hypotheses",
            labels={"figure": "ranking table"},
        ),
        tables=[f"results/hypotheses/{name}" for name in ("subgroups.tsv", "biomarkers.tsv", "patients.tsv", "forward.tsv", "calibration.tsv")],
        summary=report(
            "results/hypotheses/summary.html",
            caption="report/hypotheses_summary.rst",
            category="Hypotheses",
            labels={"figure": "summary"},
        ),
        figure=report(
            "results/hypotheses/figures/ranking.png",
            caption="report/hypotheses_ranking.rst",
            category="Hypotheses",
            labels={"figure": "ranking"},
        ),
        biomarkers=report(
            "results/hypotheses/figures/biomarkers.png",
            caption="report/hypotheses_biomarkers.rst",
            category="Hypotheses",
            labels={"figure": "biomarkers"},
        ),
    log:
        "results/logs/hypotheses/ranking.log",
    params:
        models_dir=models_dir_of,
        settings=HYPOTHESES,
    benchmark:
        "results/benchmarks/rules/hypotheses.tsv"
    threads: HYPOTHESES.get("workers", 1)
    # The longest single job: started first, so that it never holds one core at the end of the run alone.
    priority: 20
    conda:
        "envs/stat3qsp.yaml"
    script:
        "scripts/hypotheses.py"
