# Quick start: `make run` serves the page (and its JSON API) on corpus/; `make test` runs the whole suite.
# Both create .venv and install the project into it first (nothing installed by hand is needed);
# `make test` also installs Debian's chromium and fonts-noto-cjk for the browser test (as root, or with sudo).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run
PORT   ?= 8501
CHROMIUM := /usr/bin/chromium
SUDO   := $(shell [ "$$(id -u)" = 0 ] || command -v sudo)

.PHONY: setup where chromium run index lint test test-fast screenshot docs stress seed-check eval fit bench bench-shards bench-ingest clean

# Running needs only the core install (`pip install -e .`); the tests' extras (pytest, hypothesis,
# playwright, dask, reportlab) are installed by setup, which every test and tool target needs.
$(RUN_STAMP): pyproject.toml
	[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install -qq -e .  # -qq: setuptools' notice on editable installs (10 lines); errors still show
	touch $(RUN_STAMP)

$(STAMP): pyproject.toml $(RUN_STAMP)
	$(BIN)/python -m pip install -qq -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

where: $(RUN_STAMP)  ## where make run keeps its data (page index, uploads, feedback) and the corpus's cached index
	@$(BIN)/python -c 'from qa.index.default import default_corpus, default_cache_dir; \
	from qa.serve.library import data_dir; c = default_corpus(); \
	print(f"qa: corpus {c.resolve()}\nqa: cached index {default_cache_dir(c)}\nqa: page data (index, uploads, feedback) {data_dir()}")'

chromium:  ## Debian's chromium and CJK fonts (fonts-noto-cjk) for tests/system/test_browser.py (Playwright's own browser download is never used)
	@if [ -x $(CHROMIUM) ] && [ -d /usr/share/fonts/opentype/noto ]; then :; \
	elif command -v apt-get >/dev/null; then \
	  $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium fonts-noto-cjk; \
	else echo "make: no apt-get here; install chromium as $(CHROMIUM) and fonts-noto-cjk, or the browser test is skipped" >&2; fi

index: $(RUN_STAMP)  ## index corpus/ into the default cache (qa ask and the page use it)
	$(BIN)/qa ask "index warm-up" >/dev/null
	@$(MAKE) --no-print-directory where

run: $(RUN_STAMP)  ## index corpus/ (if changed); serve the page and /api/ask, /api/health on http://127.0.0.1:$(PORT)
	@$(MAKE) --no-print-directory where
	$(BIN)/qa ui --port $(PORT)

lint: setup  ## ruff: lint and format check (one config: pyproject.toml [tool.ruff]); `ruff format qa tests bench ui` fixes the format
	$(BIN)/ruff check qa tests bench ui
	$(BIN)/ruff format --check qa tests bench ui

test: setup chromium lint  ## lint, then the whole test suite, browser test included (it writes no tracked file)
	$(BIN)/python -m pytest

test-fast: setup lint  ## lint, then the suite without the slow suites (browser, crash, concurrency, shards, long properties), on 2 processes
	$(BIN)/python -m pytest -m "not slow" -n 2

screenshot: setup chromium  ## remake docs/screenshot.png (the browser test, writing its screenshot there)
	QA_SCREENSHOT=$(CURDIR)/docs/screenshot.png $(BIN)/python -m pytest tests/system/test_browser.py -k screenshot

docs: setup  ## docs/benchmarks.md from bench/results/ (every figure from a results file)
	$(BIN)/python bench/docs.py --out docs/benchmarks.md

stress: setup  ## longer property runs, more kill -9 points, more concurrent users and writers than make test (docs/reliability.md)
	QA_HYPOTHESIS_EXAMPLES=3000 QA_KILL_AFTER=0.2,0.4,0.6,0.8,1.0,1.2,1.4,1.6,1.8,2.0,2.2,2.4,2.7,3.0,3.5 \
	QA_CONCURRENCY_CLIENTS=200 QA_CONCURRENCY_SESSIONS=8 QA_CONCURRENCY_ROUNDS=20 QA_WRITERS=20 \
	  $(BIN)/python -m pytest tests/system/test_properties.py tests/system/test_crash.py tests/system/test_concurrency.py tests/system/test_writers.py

seed-check: setup  ## the public seed questions, English and Chinese, through `qa ask --json`
	$(BIN)/python ../shared/eval/check_questions.py $(BIN)/python ../shared/eval/seed_questions.jsonl \
	  ../shared/eval/seed_questions_zh.jsonl

eval: setup  ## qa and its peers on Cranfield and SQuAD 2.0: bench/results/eval.json, docs/eval.png; qa on the realdocs question set: bench/results/realdocs.json; on every question set: bench/results/question_sets.json
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	mkdir -p bench/results
	$(BIN)/qa eval ../shared/data/cranfield ../shared/data/squad2 --json bench/results/eval.json --plot docs/eval.png
	$(BIN)/qa eval ../shared/realdocs --systems qa --json bench/results/realdocs.json
	$(BIN)/qa eval ../shared/realdocs ../shared/docqa ../shared/zhlaw bench/sets/manuals bench/sets/sitedocs \
	  bench/sets/policies bench/sets/helpdesk ../shared/data/squad2 --systems qa --json bench/results/question_sets.json

fit: setup  ## refit the answer's scoring rule on every set of bench/fit_sets.json: qa/answering/answer_weights.json, bench/results/fit_answer.json (then make docs)
	mkdir -p bench/results
	$(BIN)/python bench/fit_answer.py

bench: setup  ## speed and size of qa, bm25s and tantivy (10k/100k/1M passages, Cranfield, SQuAD): bench/results/bench.json
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	mkdir -p bench/results
	$(BIN)/python bench/bench.py --out bench/results/bench.json
	$(MAKE) bench-shards
	$(MAKE) bench-ingest

bench-ingest: setup  ## PDF pages/s beside the pypdfium2 floor, MB/s for HTML/Markdown/DOCX, qa index --jobs 1 and 2 on mixed real files
	mkdir -p bench/results
	$(BIN)/python bench/ingest.py --fetch --out bench/results/ingest.json

bench-shards: setup  ## sharded build and search p50 for 1, 2, 4 shards on a LocalCluster (200k passages), projected to 10x/100x
	mkdir -p bench/results
	$(BIN)/python bench/shards.py --out bench/results/shards.json --text bench/results/shards.txt

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
