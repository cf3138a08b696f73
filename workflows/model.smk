rule sbml:
    output:
        sbml="results/model/{context}.xml",
        checks="results/model/{context}.checks.txt",
        equations="results/model/{context}.equations.txt",
    log:
        "results/logs/sbml/{context}.log",
    params:
        models_dir=config["models_dir"],
    conda:
        "envs/stat3qsp.yaml"
    script:
        "scripts/sbml.py"
