# Two entry points (see README): `make run` and `make test`. Everything else is a helper.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.werkmatch-installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: run test lint setup install

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## make run: install, prepare the data directory (model, demo world, indexes), serve on :8000
run: $(STAMP)
	$(BIN)/werkmatch setup
	$(BIN)/werkmatch serve --host 127.0.0.1 --port 8000

## make test: install, convert the embedding model once, lint, run the test suite
test: $(STAMP)
	$(BIN)/werkmatch prepare-model
	$(BIN)/ruff check .
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
