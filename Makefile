# Two commands do everything on a fresh Debian machine with Python 3.11 and make:
#   make report   set up, build the sample warehouse if there is none, run the yearly job
#   make test     set up, run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
YEAR   ?= 2024
COMPARE_WITH ?= 2019
WAREHOUSE ?= data/warehouse.duckdb
export PIP_DISABLE_PIP_VERSION_CHECK=1

.PHONY: install report test bench browser clean help fuzz bytecode

help:
	@echo "make report  - install, build the sample warehouse if missing, run the yearly job for YEAR=$(YEAR)"
	@echo "make test    - install and run the test suite"
	@echo "make bench   - run the benchmarks in benchmarks/, write benchmarks/results.json (BENCH_ARGS=--quick, NATIONAL=warehouse)"
	@echo "make fuzz    - fuzz CSV/XLSX ingest with resource limits (FUZZ_N inputs per kind; not part of make test)"

# The venv is rebuilt only when the pinned lock or the project metadata change.
$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name analysis --display-name "analysis (Python 3)" >/dev/null
	touch $(STAMP)

install: $(STAMP)

# The package's bytecode, written ahead: a run starts some seven Python processes (runner,
# workers, a kernel per notebook), and where bytecode writing is off (PYTHONDONTWRITEBYTECODE)
# each would compile the package again (0.35 s apiece). Only changed modules are recompiled.
bytecode: $(STAMP)
	@$(BIN)/python -m compileall -q src/analysis >/dev/null

# Headless Chromium for the report browser tests and for PDF printing (analysis.site.write_pdf),
# and a CJK font so that its screenshots and PDFs show Chinese text (Debian packages; the HTML
# reports themselves need neither). Skipped with a message
# where apt-get is unavailable or we are not root; the browser test then says why it skips.
browser:
	@if command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -q "Noto Sans CJK"; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  echo "installing chromium and fonts-noto-cjk (Debian packages)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null) \
	  || echo "warning: could not install chromium; browser tests will be skipped"; \
	else echo "warning: chromium missing and cannot be installed here; browser tests will be skipped"; fi

$(WAREHOUSE): | $(STAMP)
	$(BIN)/analysis sample --warehouse $(WAREHOUSE)

report: $(STAMP) bytecode $(WAREHOUSE)
	$(BIN)/analysis run --year $(YEAR) --warehouse $(WAREHOUSE) --compare-with $(COMPARE_WITH)
	$(BIN)/analysis run --year $(YEAR) --period H1 --warehouse $(WAREHOUSE)
	$(BIN)/analysis run --year $(YEAR) --period H2 --warehouse $(WAREHOUSE)
	$(BIN)/analysis run --year $(YEAR) --period Q4 --warehouse $(WAREHOUSE)
	for topic in data/topics/*.yaml; do $(BIN)/analysis topic $$topic --year $(YEAR) --warehouse $(WAREHOUSE) || exit 1; done

# pytest exits 5 when no test ran; make treats any non-zero exit as failure.
test: $(STAMP) browser bytecode
	$(BIN)/python -m pytest -q -p no:cacheprovider

# Every benchmark with its goal and its ratio to a peer measured in the same run; writes
# benchmarks/results.json (timings, peak memory, machine, versions). BENCH_ARGS=--quick for a short
# run; NATIONAL=/tmp/big.duckdb adds the national profile of every library step (build that
# warehouse first: analysis sample --units 3000 --years 10 --warehouse /tmp/big.duckdb).
BENCH_ARGS ?=
NATIONAL ?=
bench: $(STAMP) bytecode
	NATIONAL=$(NATIONAL) $(BIN)/python -m benchmarks $(BENCH_ARGS)

# Fuzz pass over ingest (docs/reliability.md): each input in a forked child with memory, CPU and
# wall-clock limits; inputs that end in anything but a load or a located error go to fuzz-findings/.
FUZZ_N ?= 25
FUZZ_SEED ?= 15
fuzz: $(STAMP)
	$(BIN)/python tests/fuzz_ingest.py --per-kind $(FUZZ_N) --seed $(FUZZ_SEED) --out fuzz-findings

clean:
	rm -rf $(VENV) reports/20* reports/index.html
