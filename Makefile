# Two commands for a newcomer: `make run` and `make test` (see README.md). On a fresh Debian 12
# (python3, python3-venv, git, make, ca-certificates) they do every set-up step themselves: the
# Debian packages of debian-packages.txt (scripts/debian-packages: apt-get as root, sudo, or one
# message naming the command), a venv made by the interpreter's own venv module, uv inside it,
# the locked Python packages. When everything is there, nothing is installed.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PACKAGES := scripts/debian-packages
# uv inside the venv, at the version the lock pins (the lock lists it, so a sync keeps it).
UV_PIN := $(shell sed -n 's/^\(uv==[^ ]*\).*/\1/p' requirements.lock)
UV := $(BIN)/python -m uv
export VIGIL_DATA_DIR ?= $(CURDIR)/var
# Where `make run` serves (make run RUN_ADDR=127.0.0.1:8123).
RUN_ADDR ?= 127.0.0.1:8000

.PHONY: run test lint fmt bench venv worker migrate demo clean packages-run packages-test ci-packages

packages-run:
	@$(PACKAGES) run
packages-test:
	@$(PACKAGES) run test
# What CI needs beyond `make test`: PostgreSQL, Redis, debootstrap (.ci/run calls this).
ci-packages:
	@$(PACKAGES) run test ci

$(BIN)/vigil: pyproject.toml requirements.lock | packages-run
	@command -v $(PY) >/dev/null || { echo "$(PY) not found: Vigil needs Python 3.11 (Debian 12: apt-get install python3 python3-venv), or make PY=/path/to/python3.11" >&2; exit 1; }
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@# A venv made by an older Makefile (uv venv) has no pip: ensurepip gives it one.
	@$(UV) --version >/dev/null 2>&1 || { $(BIN)/python -m pip --version >/dev/null 2>&1 || $(BIN)/python -m ensurepip --upgrade >/dev/null; $(BIN)/python -m pip install --quiet --disable-pip-version-check $(UV_PIN); }
	$(UV) pip sync --quiet --python $(BIN)/python requirements.lock
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $(BIN)/vigil

venv: $(BIN)/vigil

# A local demo: debug on, MFA off, per-checkout secrets under var/, demo data.
run: packages-run venv
	@mkdir -p var
	VIGIL_DEBUG=1 VIGIL_REQUIRE_MFA=0 $(BIN)/vigil migrate --noinput
	VIGIL_DEBUG=1 VIGIL_REQUIRE_MFA=0 $(BIN)/vigil demo_setup
	@# The background worker (bulk imports, hashing, matching) runs beside the web server.
	export VIGIL_DEBUG=1 VIGIL_REQUIRE_MFA=0; \
	$(BIN)/vigil db_worker --interval 0.5 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/vigil runserver $(RUN_ADDR)

worker: venv
	VIGIL_DEBUG=1 $(BIN)/vigil db_worker

# The whole suite on SQLite; with DATABASE_URL=postgres://… the same suite on PostgreSQL.
test: packages-test venv
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
