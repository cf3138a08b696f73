"""Snakemake script: score, bootstrap, compare with the model and plot one lab plate (config `lab_plates`)."""
from stat3qsp.assay.synergy.plate import run_lab_plate
from stat3qsp.config import run_logged

run_logged(snakemake.log[0], run_lab_plate, dict(snakemake.params.plate), snakemake.output.wells,
           snakemake.output.figures, snakemake.params.models_dir, snakemake.params.hours,
           snakemake.params.exposure)
