# Two commands do all the set-up on a fresh machine: `make brief` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: brief test install help clean

help:  ## list the targets
	@grep -E '^[a-z]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## / — /'

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install the project with its dependencies

brief: $(STAMP)  ## build reports/brief.html and reports/brief.pdf from seeds/
	$(BIN)/brief build

test: $(STAMP)  ## run the test suite
	$(BIN)/python -m pytest -q

clean:  ## remove caches and build output (keeps .venv)
	rm -rf .cache reports/brief.* reports/notebooks reports/figures reports/findings reports/manifest.json
