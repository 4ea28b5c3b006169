# `make run`: install into .venv, index the sample knowledge base, serve it on http://127.0.0.1:8000/
#   and run `kb worker` (escalations) beside the server
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

# The first time, `kb tune` adapts MiniLM to the articles (about 40 s for the sample) and indexes;
# after that `kb index` alone. Without English articles to tune on, it just indexes.
index: install
	if [ -e "$${KB_INDEX:-index}/tuned/minilm/tune.json" ]; then $(BIN)/kb index; else $(BIN)/kb tune || $(BIN)/kb index; fi

# The server in the foreground, the worker (escalations) beside it; Ctrl-C stops both.
run: index
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; trap 'exit 130' INT TERM; \
	$(BIN)/kb worker & worker=$$!; \
	$(BIN)/kb serve --host $(HOST) --port $(PORT)

# Two processes, a file to each at a time; then the latency tests alone.
test: install
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q -n 2 --dist loadfile -m "not timing" --durations=10
	$(BIN)/python -m pytest -q -m timing

bench: install
	$(BIN)/kb bench
