# Two entry points: `make extract` (the main job) and `make test`.
# Each creates .venv and installs the project into it when needed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

RAW       ?= data/raw
PROCESSED ?= data/processed

.PHONY: extract test evaluate fieldtest bench bench-crawl clean install chromium

install: $(STAMP)

# Reinstall whenever the dependency list changes.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

## extract: run the pipeline over data/raw, write Parquet tables to data/processed
extract: $(STAMP)
	$(BIN)/bulletin-miner extract $(RAW) --out $(PROCESSED)

## test: unit tests, doctests, the gold regression, the report drawn in headless Chromium
test: $(STAMP) chromium
	$(BIN)/python -m pytest -q

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
fieldtest: $(STAMP)
	$(BIN)/bulletin-miner extract $(FIELDTEST)/pages --out $(FIELDTEST)/out --force >/dev/null
	$(BIN)/bulletin-miner evaluate --gold $(FIELDTEST)/gold --out $(FIELDTEST)/out --json $(FIELDTEST)/score.json

## bench: whole-process time and memory beside the reference; writes docs/performance.md
bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py --write-docs

## bench-crawl: a 20,000-record web archive, 1 and 2 workers; writes docs/performance.md
bench-crawl: $(STAMP)
	$(BIN)/python benchmarks/crawl.py --write-docs

clean:
	rm -rf $(VENV) $(PROCESSED)/*.parquet
