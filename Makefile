# Two entry points: `make run` (the bot, or a terminal chat without a token) and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install index lint bench eval eval-crosslingual clean

run: $(STAMP) index
	$(BIN)/python -m bot run

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
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
	$(BIN)/lint-imports

eval: $(STAMP) index
	$(BIN)/python -m bot eval eval/dev.jsonl --answers

bench: $(STAMP) index
	$(BIN)/python -m bench

clean:
	rm -rf data .pytest_cache .ruff_cache

# English questions against the Chinese documents only: the answer lives only in Chinese.
ZH_ENV := CORPUS_DIR=data/zh-corpus DATA_DIR=data/zh-index
eval-crosslingual: $(STAMP)
	rm -rf data/zh-corpus && mkdir -p data/zh-corpus
	cp corpus/basis-trade-article.zh-Hant.md corpus/zh-Hant-mechanics-leverage.md corpus/glossary.md data/zh-corpus/
	$(ZH_ENV) $(BIN)/python -m ingest
	for mode in hybrid bm25 dense; do $(ZH_ENV) $(BIN)/python -m bot eval eval/crosslingual.jsonl --mode $$mode; done
