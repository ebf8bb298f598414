# Two entry points: `make run` (the bot, or a terminal chat without a token) and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install index lint bench eval clean

run: $(STAMP) index
	$(BIN)/python -m bot run

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

install: $(STAMP)

# torch first and pinned: unpinned, pip would pull a multi-GB CUDA build.
$(STAMP): requirements.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -r requirements.txt
	touch $(STAMP)

# Incremental: a no-change run embeds nothing and does not load the model.
index: $(STAMP)
	$(BIN)/python -m ingest

lint: $(STAMP)
	$(BIN)/ruff check .

eval: $(STAMP) index
	$(BIN)/python -m bot eval eval/dev.jsonl --answers

bench: $(STAMP) index
	$(BIN)/python -m bot bench

clean:
	rm -rf data .pytest_cache .ruff_cache
