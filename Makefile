# Two commands do everything on a fresh Debian machine with Python 3.11 and make:
#   make report   set up, build the sample warehouse if there is none, run the yearly job
#   make test     set up, run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
YEAR   ?= 2024
WAREHOUSE ?= data/warehouse.duckdb
export PIP_DISABLE_PIP_VERSION_CHECK=1

.PHONY: install report test bench browser clean help

help:
	@echo "make report  - install, build the sample warehouse if missing, run the yearly job for YEAR=$(YEAR)"
	@echo "make test    - install and run the test suite"
	@echo "make bench   - run the benchmarks in benchmarks/"

# The venv is rebuilt only when the pinned lock or the project metadata change.
$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name analysis --display-name "analysis (Python 3)" >/dev/null
	touch $(STAMP)

install: $(STAMP)

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

report: $(STAMP) $(WAREHOUSE)
	$(BIN)/analysis run --year $(YEAR) --warehouse $(WAREHOUSE)
	for topic in data/topics/*.yaml; do $(BIN)/analysis topic $$topic --year $(YEAR) --warehouse $(WAREHOUSE) || exit 1; done

# pytest exits 5 when no test ran; make treats any non-zero exit as failure.
test: $(STAMP) browser
	$(BIN)/python -m pytest -q -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) reports/20* reports/index.html
