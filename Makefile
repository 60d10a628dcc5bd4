# Two entry points (see README): `make run` and `make test`. Everything else is a helper.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
TEST_WORKERS ?= 2  # pytest-xdist workers; each file runs whole, in order, on one worker
STAMP := $(VENV)/.werkmatch-installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
# Keep compiled bytecode (some images set PYTHONDONTWRITEBYTECODE): without it every werkmatch
# and pytest process recompiles torch, transformers and mlflow on import, 19 s against 8 s.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test lint setup install browser postgres

## The install uses uv (PyPI's `uv`, pinned) with the settings pip has on this machine
## (tools/uv_install.py asks pip's own option parser): ~25 s for a fresh venv against ~70 s
## with pip, the same versions. Where uv cannot be installed or fails, pip installs the same.
## Neither compiles bytecode up front.
UV_VERSION := 0.13.10
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@if $(BIN)/pip install --quiet --quiet uv==$(UV_VERSION) && \
	    $(BIN)/python tools/uv_install.py torch==2.13.0 && \
	    $(BIN)/python tools/uv_install.py -e ".[dev]"; then \
	  echo "installed with uv $(UV_VERSION)"; \
	else \
	  echo "uv could not install: installing with pip" >&2; \
	  $(BIN)/pip install --quiet --no-compile --upgrade pip && \
	  $(BIN)/pip install --quiet --no-compile torch==2.13.0 && \
	  $(BIN)/pip install --quiet --no-compile -e ".[dev]"; \
	fi
	touch $(STAMP)

install: $(STAMP)

## make run: install, prepare the data directory (model, demo world, indexes), serve on :8000;
## one process does both, so nothing is imported or loaded twice (`werkmatch setup` alone
## prepares without serving)
run: $(STAMP)
	$(BIN)/werkmatch serve --setup --host 127.0.0.1 --port 8000

## make test: install, convert the embedding model once, lint, run the test suite on SQLite
## and, beside it, the store contract and API suites on a PostgreSQL server the tests start.
## The PostgreSQL pass waits on its servers much of the time, so it runs alongside (861 s for
## both against ~975 s one after the other); its output follows the SQLite pass's. Both
## passes share the fixtures built once (the demo world, its trained ranker) through
## WERKMATCH_TEST_SHARED. The API fuzz runs in the PostgreSQL pass only, sending each case it
## generates to a server on either store (generating the cases is most of its cost).
PG_LOG := var/test-postgresql.log
FUZZ := tests/api/test_fuzz.py::test_no_operation_answers_5xx
test: $(STAMP) browser postgres
	$(BIN)/werkmatch prepare-model
	$(BIN)/ruff check .
	@mkdir -p var
	@shared=$$(mktemp -d /tmp/werkmatch-test-shared.XXXXXX); \
	export WERKMATCH_TEST_SHARED=$$shared; \
	$(BIN)/pytest --store=postgresql tests/matching/test_store.py \
	  tests/matching/test_migrations.py tests/matching/test_transfer.py tests/api \
	  > $(PG_LOG) 2>&1 & pg=$$!; \
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile --deselect $(FUZZ); sqlite=$$?; \
	wait $$pg; postgresql=$$?; \
	echo "=== PostgreSQL pass (also in $(PG_LOG)) ==="; cat $(PG_LOG); \
	echo "SQLite pass exit $$sqlite, PostgreSQL pass exit $$postgresql"; \
	rm -rf $$shared; test $$sqlite -eq 0 && test $$postgresql -eq 0

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## the workspace's browser tests drive Debian's headless Chromium (installed when missing, as root)
browser:
	@if ! { [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; }; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get update -qq >/dev/null && \
	    apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null; \
	  else \
	    echo "browser tests need: sudo apt-get install chromium chromium-driver" >&2; exit 1; \
	  fi; \
	fi

## PostgreSQL's initdb, pg_ctl and postgres for the tests (Debian's package when missing, as root)
postgres:
	@if ! { [ -x /usr/local/bin/initdb ] || command -v initdb >/dev/null || \
	        ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; }; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get update -qq >/dev/null && apt-get install -y -qq postgresql >/dev/null; \
	  else \
	    echo "PostgreSQL tests need: sudo apt-get install postgresql" >&2; exit 1; \
	  fi; \
	fi
