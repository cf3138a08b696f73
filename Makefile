# Two commands: `make run` (set-up, then the whole workflow on $(CONFIG), by default the quick
# config/config.yaml, with the HTML report) and `make test` (set-up, then the tests, snakemake --lint
# and a dry run). `make full` is `make run CONFIG=config/full.yaml` (publication sizes).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
CORES ?= 2
CONFIG ?= config/config.yaml
# UTF-8 mode whatever the machine's locale (config and schema files contain "µ").
export PYTHONUTF8 := 1

.PHONY: run full test test-unit setup bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m stat3qsp.config
	$(BIN)/snakemake --cores $(CORES) --configfile=$(CONFIG) --rerun-incomplete
	$(BIN)/snakemake --cores $(CORES) --configfile=$(CONFIG) --report results/report.html

full:
	$(MAKE) run CONFIG=config/full.yaml

# --no-loadscope-reorder: files go to the workers in collection order (tests/conftest.py: the longest workflow files
# first); pytest-xdist would otherwise hand them out by their number of tests.
test: $(STAMP)
	$(BIN)/ruff check --select F --quiet src tests benchmarks
	$(BIN)/python -m pytest -n $(CORES) --dist loadfile --no-loadscope-reorder --durations=15
	$(BIN)/snakemake --lint
	$(BIN)/snakemake --cores $(CORES) --dry-run --quiet rules

# Fast unit tests only (tests/unit without the tests marked slow), on $(CORES) xdist workers like `make test`.
test-unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit -m "not slow" -n $(CORES) --dist loadfile --no-loadscope-reorder

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_assay.py
	$(BIN)/python benchmarks/bench_trial.py
	$(BIN)/python benchmarks/bench_batch.py

clean:
	rm -rf results/* .snakemake
	touch results/.gitkeep
