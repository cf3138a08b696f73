rule dose_response:
    output:
        table="results/dose_response/{context}__{drug}.tsv",
        fits="results/dose_response/{context}__{drug}.fit.tsv",
    log:
        "results/logs/dose_response/{context}__{drug}.log",
    params:
        model=context_digest,
        models_dir=models_dir_of,
        grid=lambda wc: config["dose_response"][wc.drug],
        hours=config["assay_hours"],
    conda:
        "envs/stat3qsp.yaml"
    script:
        "scripts/dose_response.py"


# Quick rules (figures, tables, gathering shards) run on the submitting machine, not as cluster jobs.
localrules:
    dose_response_figure,


# One job draws the figure of every readout (a job's start costs more than a figure).
rule dose_response_figure:
    input:
        tables=expand("results/dose_response/{context}__{drug}.tsv", context=CONTEXTS, drug=DR_DRUGS),
        fits=expand("results/dose_response/{context}__{drug}.fit.tsv", context=CONTEXTS, drug=DR_DRUGS),
    output:
        **{
            readout: report(
                f"results/dose_response/figures/{readout}.png",
                caption="report/dose_response.rst",
                category="Dose response",
                labels={"readout": readout},
            )
            for readout in ASSAY_READOUTS
        },
    log:
        "results/logs/dose_response/figures.log",
    params:
        readouts=list(ASSAY_READOUTS),
    conda:
        "envs/stat3qsp.yaml"
    script:
        "scripts/dose_response_figure.py"
