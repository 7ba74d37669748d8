# Quick start: `make run` serves the page on corpus/; `make test` runs the whole suite.
# Both create .venv and install the project into it first (nothing installed by hand is needed).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8501

.PHONY: setup run index test seed-check eval clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

index: setup  ## index corpus/ into the default cache (qa ask and the page use it)
	$(BIN)/qa ask "index warm-up" >/dev/null

run: setup  ## index corpus/ (if changed) and serve the page on http://127.0.0.1:$(PORT)
	$(BIN)/qa ui --port $(PORT)

test: setup  ## the whole test suite
	$(BIN)/python -m pytest

seed-check: setup  ## the public seed questions through `qa ask --json`
	$(BIN)/python ../shared/eval/check_questions.py $(BIN)/python ../shared/eval/seed_questions.jsonl

eval: setup  ## qa and its peers on Cranfield and SQuAD 2.0: bench/results/eval.json, docs/eval.png
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	mkdir -p bench/results
	$(BIN)/qa eval ../shared/data/cranfield ../shared/data/squad2 --json bench/results/eval.json --plot docs/eval.png

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
