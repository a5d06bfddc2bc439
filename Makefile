# ot_benchmark: two commands on a fresh machine — `make report` and `make test`.
# Each creates the virtual environment if it is missing, installs the project, registers the
# project's Jupyter kernel, then does its job.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
KERNEL := ot-benchmark
DATA   ?= data/sample
AUTHORITY ?= E10000017
PERIOD ?= latest

.PHONY: install test test-quick snapshots report reports lab benchmark chromium clean-venv sample

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[notebooks,test]"
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (ot_benchmark)"
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest

# The quick loop while editing: everything but the tests marked slow (real report renders, batch, browser).
test-quick: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

# Rewrite tests/snapshots/ from the sample report rendered now (then review: git diff tests/snapshots).
snapshots: $(STAMP)
	$(BIN)/python -m pytest tests/test_snapshots.py --update-snapshots

report: $(STAMP)
	$(BIN)/ot-benchmark report --data $(DATA) --authority $(AUTHORITY) --period $(PERIOD)

reports: $(STAMP)
	$(BIN)/ot-benchmark batch --data $(DATA) --period $(PERIOD)

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

# Regenerate the committed synthetic sample (Lancashire and its 15 CIPFA neighbours, 2022-23 to 2024-25).
sample: $(STAMP)
	$(BIN)/ot-benchmark synth --out $(DATA) --seed 2025 --home E10000017 --group cipfa --first-year 2022-23 --last-year 2024-25 --scale 0.2 --local-indicators

# The engine against a plain DuckDB version of 11 indicators (CPU ratio, peak memory, cost at three
# sizes) and the reports (one report, the sample batch, a national batch, every council in England
# extrapolated); about a quarter of an hour. DuckDB is a benchmark-only extra (pyproject: bench).
benchmark: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python benchmarks/bench_reports.py
	$(BIN)/python benchmarks/bench_duckdb.py --sizes

# Headless Chromium for the screenshot test (Debian/Ubuntu; needs root).
chromium:
	apt-get update && apt-get install -y chromium

clean-venv:
	rm -rf $(VENV)
