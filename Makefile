# The few commands people type. `make run` and `make test` install what they need first, always
# the versions in requirements.lock, so a fresh machine next year resolves what CI resolved.
VENV ?= .venv
BIN = $(VENV)/bin
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
# Test processes: one per core; each takes whole test modules (pytest-xdist --dist loadfile).
TEST_WORKERS ?= auto
# The tests' files on a RAM disk when it has room (8 GB free): DuckDB and Dagster's SQLite sync
# the disk at every commit, which costs the tests time and proves nothing (a CLI run on the tiny
# extracts: 24.5 s on disk, 20.6 s on /dev/shm). The benchmark measures the real disk. A passed
# test's files go at once (tmp_path_retention_policy), so the RAM disk holds little.
TEST_TMPDIR ?= $(shell python3 -c "import shutil; print('/dev/shm' if shutil.disk_usage('/dev/shm').free > 8e9 else '')" 2>/dev/null)
# Where `make dev` serves the UI.
DEV_HOST ?= 127.0.0.1
DEV_PORT ?= 3000
# The tool that writes the lock (`make lock`); installs never need it.
UV_VERSION = 0.13.9

.PHONY: install lock run test dev lint format docs screenshots sample bench bench-scale clean

$(BIN)/.installed: pyproject.toml requirements.lock
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet -c requirements.lock -e ".[dev]"
	touch $@

install: $(BIN)/.installed

lock:  ## re-resolve every dependency into requirements.lock (after editing pyproject.toml)
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra scale --universal \
		--python-version 3.11 --upgrade --quiet -o requirements.lock
	@echo "requirements.lock refreshed: run make test, then commit it"

run: install  ## build the warehouse from data/sample (data/warehouse/cx.duckdb)
	$(BIN)/cx-pipeline run --persist

test: install  ## the test suite on every core (the slow scale tests run with the benchmark)
	$(if $(TEST_TMPDIR),TMPDIR=$(TEST_TMPDIR) )$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile \
		-o tmp_path_retention_policy=failed

# `cx-pipeline dev` is `dagster dev` that SIGTERM stops even when started in the background
# (`make dev &`), where SIGINT arrives ignored; make passes SIGTERM on to it.
dev: install  ## the Dagster UI on http://127.0.0.1:3000 (DEV_PORT=...)
	$(BIN)/cx-pipeline dev --host $(DEV_HOST) --port $(DEV_PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/cx-pipeline docs --check

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

docs: install  ## regenerate docs/extracts.md from the contract
	$(BIN)/cx-pipeline docs

screenshots: install  ## refresh docs/screenshots/ (the report and the UI on the sample; needs chromium)
	$(BIN)/python scripts/screenshots.py

sample: install  ## regenerate the committed sample extracts
	rm -rf data/sample
	$(BIN)/cx-pipeline generate --scale small --seed 42 --out data/sample

bench: install  ## benchmark against plain DuckDB (BENCH_ARGS="--profile medium --repeat 3")
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

bench-scale: install  ## embedded vs DuckLake vs 2 Celery workers (needs PostgreSQL, redis-server)
	$(BIN)/python benchmarks/scale_out.py $(BENCH_ARGS)

clean:
	rm -rf data/warehouse $(VENV)
