# Two commands do all the set-up on a fresh machine: `make brief` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: brief test install help clean

help:  ## list the targets
	@grep -E '^[a-z]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## / — /'

$(STAMP): pyproject.toml
	@# WeasyPrint (the PDF engine) needs Pango; the base image has it, a bare machine gets it from Debian.
	@ldconfig -p | grep -q libpango-1.0 || (apt-get update -qq && apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0)
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install the project with its dependencies

brief: $(STAMP)  ## build reports/brief.html and reports/brief.pdf from seeds/
	$(BIN)/brief build

CHROMIUM := /usr/bin/chromium

$(CHROMIUM):  # the hostile-input tests load the brief in headless Chromium (Debian package)
	apt-get update -qq && apt-get install -y -qq chromium

test: $(STAMP) $(CHROMIUM)  ## run the test suite (installs Debian chromium if missing)
	$(BIN)/python -m pytest -q

clean:  ## remove caches and build output (keeps .venv)
	rm -rf .cache reports/brief.* reports/notebooks reports/figures reports/findings reports/manifest.json
