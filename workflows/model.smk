rule sbml:
    output:
        sbml="results/model/{context}.xml",
        checks="results/model/{context}.checks.txt",
        equations="results/model/{context}.equations.txt",
    log:
        "results/logs/sbml/{context}.log",
    params:
        model=context_digest,
        models_dir=models_dir_of,
    conda:
        "envs/stat3qsp.yaml"
    script:
        "scripts/sbml.py"


rule omex:
    output:
        "results/model/{context}.omex",
    log:
        "results/logs/omex/{context}.log",
    params:
        model=context_digest,
        models_dir=models_dir_of,
    conda:
        "envs/stat3qsp.yaml"
    script:
        "scripts/omex.py"
