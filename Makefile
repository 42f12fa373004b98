# Two entry points: `make extract` (the main job) and `make test`.
# Each creates .venv and installs the project into it when needed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

RAW       ?= data/raw
PROCESSED ?= data/processed

.PHONY: extract test check evaluate fieldtest fieldtest-all bench bench-crawl peers lock clean install chromium

install: $(STAMP)

# The package's bytecode, compiled whenever a source changes. Python writes it
# on first import, but not where PYTHONDONTWRITEBYTECODE is set (many
# container images set it): every run would then compile the whole package
# again, 0.05 s of each run's start. pip compiles the libraries it installs.
BYTECODE := $(VENV)/.bytecode
$(BYTECODE): $(STAMP) $(shell find src -name '*.py')
	$(BIN)/python -m compileall -q src >/dev/null
	touch $@

# Every library at the exact version requirements.lock names, so a run a month
# later on a fresh machine gives the same tables; reinstalled when it changes.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[test]'
	touch $(STAMP)

## lock: resolve pyproject.toml's ranges again into requirements.lock (newest
## versions that fit, for Python 3.11-3.13 on any platform); commit the result
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check 'uv>=0.9,<1'
	$(BIN)/uv pip compile pyproject.toml --extra test --extra dask --universal --python-version 3.11 --quiet -o requirements.lock

## extract: run the pipeline over data/raw, write Parquet tables to data/processed
extract: $(BYTECODE)
	$(BIN)/bulletin-miner extract $(RAW) --out $(PROCESSED)

## test: the static checks, then unit tests, doctests, the gold regression,
## the report drawn in headless Chromium
test: check chromium
	$(BIN)/python -m pytest -q

## check: lint (ruff), format (ruff format), types (mypy), as pyproject.toml configures them
check: $(STAMP)
	$(BIN)/ruff check --quiet .
	$(BIN)/ruff format --check --quiet .
	$(BIN)/mypy

# The report test renders charts in Debian's chromium, with a CJK font so
# Chinese labels draw as glyphs; the crawl test captures a local site with
# wget --warc-file. Installed when missing (as root, as CI runs).
chromium:
	@{ command -v chromium >/dev/null 2>&1 && command -v wget >/dev/null 2>&1 && fc-list :lang=zh 2>/dev/null | grep -q .; } || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk wget >/dev/null; \
	  else echo "chromium, wget or a CJK font is not installed and this is not root: the browser and crawl checks will fail"; fi; }

## evaluate: per-field precision/recall/F1 of data/processed against the gold files
evaluate: extract
	$(BIN)/bulletin-miner evaluate --gold tests/gold --out $(PROCESSED)

## fieldtest: extract a folder of real pages (FIELDTEST/pages) and score it against
## its hand-checked answers (FIELDTEST/gold); the pages are other people's texts
## and stay out of git (see docs/fieldtest.md)
FIELDTEST ?= fieldtest/dev
fieldtest: $(BYTECODE)
	$(BIN)/bulletin-miner extract $(FIELDTEST)/pages --out $(FIELDTEST)/out --force >/dev/null
	$(BIN)/bulletin-miner evaluate --gold $(FIELDTEST)/gold --out $(FIELDTEST)/out --json $(FIELDTEST)/score.json

## fieldtest-all: every set under fieldtest/ that holds pages/ and gold/
fieldtest-all: $(STAMP)
	@for set in fieldtest/*/; do set=$${set%/}; \
	  if [ -d $$set/pages ] && [ -d $$set/gold ]; then echo "== $$set"; $(MAKE) -s fieldtest FIELDTEST=$$set | grep -E "^(fields right|filled values|problem rows)" || true; fi; done

## bench: whole-process time and memory beside the reference; writes docs/performance.md
bench: $(BYTECODE)
	$(BIN)/python benchmarks/bench.py --write-docs

## peers: bulletin_miner beside jionlp, Duckling and cpca on the phrase corpora;
## writes the table into README.md (the peers live in .venv-peers; Duckling needs Java)
PEERS_VENV := .venv-peers
$(PEERS_VENV)/.installed: benchmarks/peers-requirements.txt
	$(PYTHON) -m venv $(PEERS_VENV)
	$(PEERS_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r benchmarks/peers-requirements.txt
	touch $@
peers: $(STAMP) $(PEERS_VENV)/.installed
	@command -v java >/dev/null || echo "no java: Duckling's row will say it could not run"
	$(BIN)/python benchmarks/peers.py --write-docs

## bench-crawl: a 20,000-record web archive, 1 and 2 workers; writes docs/performance.md
bench-crawl: $(BYTECODE)
	$(BIN)/python benchmarks/crawl.py --write-docs

clean:
	rm -rf $(VENV) $(PROCESSED)/*.parquet
