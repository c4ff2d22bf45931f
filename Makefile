# Two commands for a newcomer: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# uv through the interpreter: works whether or not pip put `uv` on PATH (pyenv shims, --user).
UV := $(PY) -m uv
export VIGIL_DATA_DIR ?= $(CURDIR)/var

.PHONY: run test lint fmt bench venv worker migrate demo clean

$(BIN)/vigil: pyproject.toml requirements.lock
	@$(UV) --version >/dev/null 2>&1 || $(PY) -m pip install --quiet uv
	@test -x $(BIN)/python || $(UV) venv --quiet --python $(PY) $(VENV)
	@# --python names the venv: `python -m uv` would otherwise target the interpreter that runs it.
	$(UV) pip sync --quiet --python $(BIN)/python requirements.lock
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $(BIN)/vigil

venv: $(BIN)/vigil

# A local demo: debug on, MFA off, per-checkout secrets under var/, demo data.
run: venv
	@mkdir -p var
	VIGIL_DEBUG=1 VIGIL_REQUIRE_MFA=0 $(BIN)/vigil migrate --noinput
	VIGIL_DEBUG=1 VIGIL_REQUIRE_MFA=0 $(BIN)/vigil demo_setup
	@# The background worker (bulk imports, hashing, matching) runs beside the web server.
	export VIGIL_DEBUG=1 VIGIL_REQUIRE_MFA=0; \
	$(BIN)/vigil db_worker --interval 0.5 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/vigil runserver 127.0.0.1:8000

worker: venv
	VIGIL_DEBUG=1 $(BIN)/vigil db_worker

# The whole suite on SQLite; with DATABASE_URL=postgres://… the same suite on PostgreSQL.
test: venv
	VIGIL_DATA_DIR=$(CURDIR)/var/test $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check vigil bench
	$(BIN)/ruff format --check vigil bench
	$(BIN)/mypy vigil/lib

fmt: venv
	$(BIN)/ruff check --fix vigil bench
	$(BIN)/ruff format vigil bench

bench: venv
	@for f in bench/bench_*.py; do echo "== $$f"; $(BIN)/python $$f; done

clean:
	rm -rf $(VENV) var
