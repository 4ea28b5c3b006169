# `make run`: install into .venv, index the sample knowledge base, serve it on http://127.0.0.1:8000/
# `make test`: install into .venv and run the whole test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test index bench

$(BIN)/kb: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet torch==2.13.0   # the CPU build first, or pip pulls gigabytes of CUDA
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/kb

install: $(BIN)/kb

index: install
	$(BIN)/kb index

run: index
	$(BIN)/kb serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/kb bench
