# Two commands do all the set-up on a fresh machine: `make brief` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: brief test install help clean lab lint strip bench system-libs

help:  ## list the targets
	@grep -E '^[a-z]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## / — /'

# Checked on every run (a few ms), so a machine set up before a library was added gets it too.
system-libs:
	@# WeasyPrint (the PDF engine) needs Pango; the base image has it, a bare machine gets it from Debian.
	@ldconfig -p | grep -q libpango-1.0 || (apt-get update -qq && apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0)
	@# HarfBuzz's subsetter cuts the fonts embedded in the PDF in C; without it WeasyPrint falls back to fontTools,
	@# 0.3 s more per seed brief, for the same PDF. Optional: without root, the build goes on without it.
	@ldconfig -p | grep -q libharfbuzz-subset || (apt-get update -qq && apt-get install -y -qq libharfbuzz-subset0) \
	  || echo "note: could not install libharfbuzz-subset0 (Debian); the PDF takes 0.3 s longer without it"

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP) system-libs  ## create .venv and install the project with its dependencies

brief: $(STAMP) system-libs  ## build reports/brief.html and reports/brief.pdf from seeds/
	$(BIN)/brief build

# JupyterLab lives in its own venv: jupyter-server would add ~2.5 s to every `import nbformat` in .venv.
LAB_STAMP := .venv-lab/.brief-lab
# what pre-commit's nbstripout hook runs (.pre-commit-config.yaml): outputs go, cell ids stay
NBSTRIP := $(BIN)/nbstripout --keep-id --extra-keys "metadata.language_info.codemirror_mode metadata.language_info.file_extension \
  metadata.language_info.mimetype metadata.language_info.nbconvert_exporter metadata.language_info.pygments_lexer metadata.language_info.version"

$(LAB_STAMP): $(STAMP) pipeline/lab.py  # the Jupyter server the lab tests start
	$(BIN)/brief lab --setup-only

lab: $(STAMP)  ## open JupyterLab on notebooks/ with the project's kernel (first run creates .venv-lab); ARGS="--no-browser --port 8899"
	$(BIN)/brief lab $(ARGS)

lint: $(STAMP)  ## ruff, notebooks without outputs, notebooks and their .py twins in sync (what pre-commit checks)
	$(BIN)/ruff check pipeline tests benchmarks
	@$(NBSTRIP) --verify notebooks/*.ipynb || (echo "make lint: outputs in notebooks; strip them: make strip"; exit 1)
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/test_notebooks.py

strip: $(STAMP)  ## strip outputs from notebooks/*.ipynb and bring their .py twins in sync
	$(NBSTRIP) notebooks/*.ipynb
	$(BIN)/jupytext --sync notebooks/*.ipynb

CHROMIUM := /usr/bin/chromium

$(CHROMIUM):  # the hostile-input tests load the brief in headless Chromium (Debian package)
	apt-get update -qq && apt-get install -y -qq chromium

PDFINFO := /usr/bin/pdfinfo

$(PDFINFO):  # the PDF tests run pdfinfo (Debian package poppler-utils)
	apt-get update -qq && apt-get install -y -qq poppler-utils

test: $(STAMP) system-libs $(CHROMIUM) $(PDFINFO) $(LAB_STAMP)  ## run the test suite (installs Debian chromium and poppler-utils if missing)
	$(BIN)/python -m pytest -q

clean:  ## remove caches and build output (keeps .venv)
	rm -rf .cache reports/brief.* reports/notebooks reports/figures reports/findings reports/manifest.json

bench: $(STAMP) system-libs  ## benchmark builds vs the naive chain and the floor (~15 min; args: BENCH_ARGS="--n 5")
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)
