# Two commands on a fresh machine with Python 3.11 and make: `make run`, `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
CLIENTS_TOOLS := clients/node_modules/.installed

.PHONY: run test test-fast lint format fuzz bench bench-reports bench-load bench-imports bench-pdf bench-cards bench-recurring bench-durability worker backup restore clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found; set PYTHON=python3"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed-runtime $@

run: $(VENV)/.installed-runtime
	$(BIN)/python main.py

worker: $(VENV)/.installed-runtime
	$(BIN)/python -m ops.worker

# Every test, on every core (TEST_WORKERS=0: in this process). Each xdist worker starts its
# own SecantusDB for each test module. worksteal hands each worker half the tests, in order (a module's tests share
# its servers), and an idle worker takes over the other's untouched half. Not loadscope,
# loadfile or loadgroup: they key work by node id, and the fuzzer's cases share one, so they
# would run one case of 88 (conftest.py refuses them).
TEST_WORKERS ?= auto
PYTEST_PARALLEL = -n $(TEST_WORKERS) --dist worksteal

test: $(VENV)/.installed-dev $(CLIENTS_TOOLS)
	$(BIN)/python -m pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS)

# The inner loop: everything but the tests that start processes or servers, or fuzz.
test-fast: $(VENV)/.installed-dev
	$(BIN)/python -m pytest $(PYTEST_PARALLEL) -m "not process" $(PYTEST_ARGS)

# The TypeScript client generators and tsc, pinned in clients/package-lock.json, for
# tests/process/test_clients.py (which skips the TypeScript part, saying why, without node and npm).
$(CLIENTS_TOOLS): clients/package.json clients/package-lock.json
	@if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then \
		echo "cd clients && npm ci"; \
		cd clients && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed; \
	else \
		echo "node or npm not on PATH: skipping npm ci; the TypeScript clients will not be checked"; \
	fi

# A consistent snapshot of MONGODB_URL's database (or the embedded one) in mongodump's layout,
# in var/backups/<UTC time>/ or OUT=dir. `make restore BACKUP=dir` loads one; REPLACE=1 lets it
# replace a database that holds documents.
backup: $(VENV)/.installed-runtime
	$(BIN)/python -m ops.backup $(if $(OUT),--out "$(OUT)")

restore: $(VENV)/.installed-runtime
	@test -n "$(BACKUP)" || { echo "usage: make restore BACKUP=var/backups/<time> [REPLACE=1]"; exit 2; }
	$(BIN)/python -m ops.backup restore "$(BACKUP)" $(if $(REPLACE),--drop)

# Schema fuzzing with many more cases per operation than `make test` runs (tests/process/test_fuzz.py).
FUZZ_EXAMPLES ?= 300
fuzz: $(VENV)/.installed-dev
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/process/test_fuzz.py -o timeout=3600 $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Benchmarks (not tests): each prints its table and writes bench/results/ (git-ignored).
bench: bench-reports bench-imports bench-pdf bench-recurring bench-load bench-cards

bench-reports: $(VENV)/.installed-dev
	$(BIN)/python -m bench.reports_bench

# A 10,000-row bank statement previewed, committed and imported again (~1 min).
bench-imports: $(VENV)/.installed-dev
	$(BIN)/python -m bench.import_bench

# A 500-row, 20-page password-protected PDF previewed; /health p99 meanwhile (~1 min;
# rewrites bench/RESULTS-pdf.md).
bench-pdf: $(VENV)/.installed-dev
	$(BIN)/python -m bench.pdf_bench

# A card's view and statements worked out from 1k and 10k purchases (~1 min).
bench-cards: $(VENV)/.installed-dev
	$(BIN)/python -m bench.cards_bench

# Recurring detection on 30,000 entries over 10 years, and the 90-day forecast (~1 min).
bench-recurring: $(VENV)/.installed-dev
	$(BIN)/python -m bench.recurring_bench

# Load: ours vs a bare FastAPI + PyMongo app, /me under a login storm, stats vs raw
# aggregation, then the durable-commit comparison (~15-22 min; rewrites bench/RESULTS-load.md).
# BENCH_QUICK=1: a ~2-minute smoke run.
bench-load: $(VENV)/.installed-dev
	$(BIN)/python -m bench.load

# The write cost of durable commits alone: POSTs before/after --sync-on-commit and
# w=majority, j=true, on disk (~3.5 min; rewrites its part of bench/RESULTS-load.md).
bench-durability: $(VENV)/.installed-dev
	$(BIN)/python -m bench.durability

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache clients/node_modules clients/generated
