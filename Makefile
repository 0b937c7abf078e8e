# Two commands on a fresh machine: `make serve` and `make test`. See README.md.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
UV := $(PYTHON) -m uv

.PHONY: setup deps serve demo test lint proto bench lock clean

$(BIN)/lanescreen: pyproject.toml requirements-dev.lock
	$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	test -x $(BIN)/python || $(UV) venv --quiet -p $(PYTHON) $(VENV)
	$(UV) pip sync --quiet -p $(BIN)/python requirements-dev.lock
	$(UV) pip install --quiet -p $(BIN)/python --no-deps -e .
	touch $@

setup: $(BIN)/lanescreen  ## Create .venv and install lanescreen with its development tools.

deps:  ## The system packages the tests need (PostgreSQL, plate fonts): scripts/system-deps.sh, as root.
	bash scripts/system-deps.sh

serve: setup  ## Start the service on its embedded defaults (SQLite, models fetched on first run).
	$(BIN)/lanescreen serve

lint: setup  ## ruff and mypy, as CI runs them.
	$(BIN)/ruff check server tests bench proto
	$(BIN)/ruff format --check server tests bench proto
	$(BIN)/mypy

demo: setup  ## With `make serve` running: stream rendered vehicles to it and show HIT, CLEAR and REVIEW.
	$(BIN)/lanescreen demo

test: setup deps  ## The test suite: real models, real photos, real gRPC on loopback, SQLite and PostgreSQL.
	$(BIN)/python -m pytest -q

proto: setup  ## Regenerate server/lanescreen/v1 from proto/.
	$(BIN)/python proto/generate.py

bench: setup  ## Per-stage timings on real photos (prints figures).
	$(BIN)/python bench/bench_plates.py
	$(BIN)/python bench/bench_peer.py --reader fused
	$(BIN)/python bench/bench_reader.py
	$(BIN)/python bench/bench_faces.py
	$(BIN)/python bench/bench_telemetry.py

lock:  ## Re-pin every dependency (after editing pyproject.toml's dependencies).
	$(UV) pip compile pyproject.toml --extra dev --python-version 3.11 -q -o requirements-dev.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
