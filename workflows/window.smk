# Therapeutic window of ruxolitinib (config key `window`; stat3qsp.trial.window, the function of `stat3qsp window`).
WINDOW_TARGETS = (
    [
        path
        for context in CONTEXTS
        for path in (f"results/window/{context}.tsv", f"results/window/{context}.png")
    ]
    if "window" in config
    else []
)


rule window:
    input:
        spec=lambda wc: config["window"]["spec"],
    output:
        table="results/window/{context}.tsv",
        figure=report(
            "results/window/{context}.png",
            caption="report/window.rst",
            category="Therapeutic window",
            labels={"context": "{context}"},
        ),
    log:
        "results/logs/window/{context}.log",
    params:
        model=lambda wc: model_digest(MODELS_DIR, "patient", [wc.context], PATIENT_FILES),
        models_dir=models_dir_of,
        window=lambda wc: config["window"],
    threads: lambda wc: int(config.get("window", {}).get("workers", 1))
    conda:
        "envs/stat3qsp.yaml"
    script:
        "scripts/window.py"
