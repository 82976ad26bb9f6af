"""The committed notebooks are reviewable: no outputs, a py:percent twin in sync, the parts the build expects."""
from __future__ import annotations

import json
import re

import jupytext
import nbformat
import pytest

from pipeline.config import NOTEBOOKS_DIR, PARTS
from pipeline.lab import KERNEL_NAME

NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
SYNC_HINT = "run: .venv/bin/jupytext --sync notebooks/*.ipynb"


def _cells(nb) -> list[tuple[str, str, dict]]:
    return [(c.cell_type, c.source, dict(c.metadata)) for c in nb.cells]


def test_notebooks_are_the_parts_of_the_brief_in_reading_order():
    stems = [p.stem for p in NOTEBOOKS]
    assert stems == [p.name for p in PARTS], "notebooks/ and pipeline.config.PARTS must list the same parts"
    assert all(re.fullmatch(r"\d\d_[a-z0-9_]+", s) for s in stems), "notebook names are NN_words, numbered in reading order"
    assert sorted(p.with_suffix(".py").name for p in NOTEBOOKS) == sorted(p.name for p in NOTEBOOKS_DIR.glob("*.py")), \
        "every .py in notebooks/ is the twin of a notebook"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_has_no_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count is not None)]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs or execution counts; run: .venv/bin/nbstripout --keep-id {path}"
    assert "widgets" not in nb.metadata and "signature" not in nb.metadata


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_and_its_py_twin_are_in_sync(path):
    twin = path.with_suffix(".py")
    assert twin.is_file(), f"{twin.name} is missing; {SYNC_HINT}"
    nb, text = jupytext.read(path), jupytext.read(twin)
    assert _cells(text) == _cells(nb), f"{path.name} and {twin.name} differ; {SYNC_HINT} (the newer file wins)"
    # the twin is byte for byte what jupytext writes, so a sync never shows up as a diff
    assert twin.read_text(encoding="utf-8") == jupytext.writes(nb, "py:percent"), f"{twin.name} is stale; {SYNC_HINT}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_pair_is_a_fixed_point_of_jupytext(path):
    """Syncing from the .py (Lab does when the .py is newer, e.g. after a checkout) leaves the .ipynb as it is.

    py:percent cannot carry a trailing newline in a cell: one would be dropped and the .ipynb rewritten.
    """
    nb = jupytext.read(path)
    again = jupytext.reads(jupytext.writes(nb, "py:percent"), "py:percent")
    assert _cells(again) == _cells(nb), f"{path.name}: a cell ends with a blank line or carries text-only metadata"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_metadata_pairs_it_and_names_the_project_kernel(path):
    meta = json.loads(path.read_text(encoding="utf-8"))["metadata"]
    assert meta["jupytext"]["formats"] == "ipynb,py:percent"
    assert meta["kernelspec"]["name"] == KERNEL_NAME, "Lab opens the notebook with the project's kernel (brief lab)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_parameters_cell_is_tagged_and_has_interactive_defaults(path):
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and tagged[0].cell_type == "code", f"{path.name}: exactly one code cell tagged 'parameters'"
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert first_code is tagged[0], f"{path.name}: the parameters cell is the first code cell"
    params: dict = {}
    exec(tagged[0].source, {}, params)  # plain assignments only
    assert params["corpus_dir"] == "../seeds" and params["codebook_dir"] == "../codebook"
    for key in ("corpus_dir", "codebook_dir"):
        assert (NOTEBOOKS_DIR / params[key]).resolve().is_dir(), f"{path.name}: default {key} does not exist from notebooks/"
