"""Incremental builds: a cached result is served only while everything it depends on is unchanged."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import nbformat
import pytest

from pipeline import inputs
from pipeline.build import build
from pipeline.config import DEFAULT_CODEBOOK, DEFAULT_CORPUS, NOTEBOOKS_DIR, PARTS, PROJECT_ROOT, Settings
from pipeline.inputs import Inputs, changes, kernel_code_digest, part_key, plan

THEMES = [p for p in PARTS if p.theme]


def keys(ins: Inputs) -> dict[str, str]:
    return {p.name: part_key(p, ins, {"theme": p.theme} if p.theme else {}, None) for p in PARTS}


@pytest.fixture
def project(tmp_path) -> Settings:
    """Copies of the corpus, codebook and notebooks that a test may change."""
    for src, name in ((DEFAULT_CORPUS, "corpus"), (DEFAULT_CODEBOOK, "codebook"), (NOTEBOOKS_DIR, "notebooks")):
        shutil.copytree(src, tmp_path / name)
    return Settings(corpus=tmp_path / "corpus", codebook=tmp_path / "codebook", notebooks=tmp_path / "notebooks",
                    out=tmp_path / "reports", cache=tmp_path / "cache")


def edit_cell(path: Path, **outputs_only) -> None:
    nb = nbformat.read(path, as_version=4)
    if outputs_only:
        nb.cells[-1].outputs = [nbformat.v4.new_output("stream", text="left over from Jupyter")]
        nb.cells[-1].execution_count = 7
    else:
        nb.cells.append(nbformat.v4.new_markdown_cell("An analyst's note."))
    nbformat.write(nb, path)


def test_inputs_read_twice_are_equal(project):
    assert Inputs.read(project).fingerprint() == Inputs.read(project).fingerprint()


def test_a_document_added_or_changed_invalidates_every_notebook(project):
    before = keys(Inputs.read(project))
    shutil.copy(DEFAULT_CORPUS / "000_63b35bf6f7089b46.txt", project.corpus / "005_copy.txt")
    added = keys(Inputs.read(project))
    (project.corpus / "005_copy.txt").write_text("Other words about Astana and Moscow.\n", encoding="utf-8")
    edited = keys(Inputs.read(project))
    assert all(before[n] != added[n] != edited[n] for n in before)


def test_metadata_change_invalidates_every_notebook(project):
    before = keys(Inputs.read(project))
    with open(project.corpus / "metadata.yaml", "a", encoding="utf-8") as fh:
        fh.write("# a comment is still a change to an input\n")
    assert all(before[n] != k for n, k in keys(Inputs.read(project)).items())


def test_codebook_change_invalidates_every_notebook(project):
    before = keys(Inputs.read(project))
    themes = project.codebook / "themes.yaml"
    themes.write_text(themes.read_text(encoding="utf-8") + "\n# tuned\n", encoding="utf-8")
    assert all(before[n] != k for n, k in keys(Inputs.read(project)).items())


def test_editing_one_notebook_invalidates_only_that_notebook(project):
    before = keys(Inputs.read(project))
    edit_cell(project.notebooks / "20_xinjiang.ipynb")
    after = keys(Inputs.read(project))
    assert [n for n in before if before[n] != after[n]] == ["20_xinjiang"]


def test_outputs_saved_by_jupyter_do_not_invalidate_a_notebook(project):
    before = keys(Inputs.read(project))
    edit_cell(project.notebooks / "20_xinjiang.ipynb", outputs_only=True)
    assert keys(Inputs.read(project)) == before


def test_package_versions_and_parameters_are_part_of_the_key(project):
    ins = Inputs.read(project)
    bumped = replace(ins, versions={**ins.versions, "matplotlib": "0.0.1"})
    part = THEMES[0]
    assert part_key(part, ins, {"theme": part.theme}, None) != part_key(part, bumped, {"theme": part.theme}, None)
    assert part_key(part, ins, {"theme": part.theme}, None) != part_key(part, ins, {"theme": "other"}, None)
    assert part_key(part, ins, {"theme": part.theme, "out_dir": "/a"}, None) == part_key(part, ins, {"theme": part.theme, "out_dir": "/b"}, None)


def test_the_synthesis_key_follows_the_findings_it_reads(project):
    ins, synthesis = Inputs.read(project), PARTS[-1]
    assert part_key(synthesis, ins, {}, "findings-a") != part_key(synthesis, ins, {}, "findings-b")


@pytest.fixture
def package(tmp_path, monkeypatch):
    """A copy of the pipeline package to edit; ``edit`` appends a line to a module, as a developer's change."""
    copy = tmp_path / "pipeline"
    shutil.copytree(inputs.PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(inputs, "PACKAGE_DIR", copy)
    inputs.module_digest.cache_clear()  # digests are cached per process; this test changes code under it

    def edit(module: str) -> None:
        (copy / module).write_text((copy / module).read_text() + f"\n# {module} changed\n")
        inputs.module_digest.cache_clear()

    yield edit
    inputs.module_digest.cache_clear()


def test_code_the_notebooks_run_is_in_their_key_and_build_only_code_is_not(package):
    notebooks = [p.path() for p in PARTS]
    before = kernel_code_digest(notebooks)
    package("cli.py")
    package("export.py")
    assert kernel_code_digest(notebooks) == before
    package("text.py")  # imported by corpus, imported by session
    assert kernel_code_digest(notebooks) != before


def test_status_names_what_changed_and_what_reruns(project):
    before = Inputs.read(project).to_json()
    shutil.copy(DEFAULT_CORPUS / "001_9af6405e707b2e12.txt", project.corpus / "006_new.txt")
    edit_cell(project.notebooks / "40_csto_perception.ipynb")
    now = Inputs.read(project)
    assert changes(before, now) == ["corpus: 1 file(s) added: 006_new.txt", "notebook(s) edited: 40_csto_perception"]
    steps = plan(project, now)
    assert all(s.runs for s in steps) and steps[-1].name.startswith("assemble")
    synthesis = steps[-2]  # waits on the findings of the notebooks that re-run, which decide whether it does
    assert synthesis.name == "90_synthesis" and "40_csto_perception" in synthesis.why and "if they come out unchanged" in synthesis.why


def test_a_no_change_build_answers_without_starting_jupyter(seed_build):
    """The CLI's up-to-date check imports neither the build nor nbformat: it costs hashing, not Jupyter."""
    s = seed_build.settings
    code = ("import sys; from pipeline.cli import main; "
            f"rc = main(['build', '--out', {str(s.out)!r}, '--cache', {str(s.cache)!r}]); "
            "print(rc, 'nbformat' in sys.modules, 'pipeline.build' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=60)
    assert done.stdout.splitlines()[0].startswith("Up to date")
    assert done.stdout.splitlines()[-1] == "0 False False"


def test_editing_one_notebook_reruns_it_and_the_synthesis_only(seed_build, tmp_path, monkeypatch):
    """End to end: the build serves the other notebooks from the cache the seed build filled."""
    from pipeline import session

    notebooks = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS_DIR, notebooks)
    edit_cell(notebooks / "20_xinjiang.ipynb")
    settings = replace(seed_build.settings, out=tmp_path / "reports", notebooks=notebooks, pdf=False)
    lines: list[str] = []
    loads: list[bool] = []  # per context load: whether the edited notebook had finished by then
    load = session.load_context
    monkeypatch.setattr(session, "load_context", lambda *a, **k: loads.append(
        any(line.lstrip().startswith("20_xinjiang") for line in lines)) or load(*a, **k))
    result = build(settings, log=lines.append)
    assert any("corpus, coding, extraction (cached)" in line for line in lines)  # notebooks started before the context loaded
    assert loads == [False]  # once, for assembly, while the notebook ran on the other core
    ran = sorted(p.name for p in PARTS if p.name not in result.cached)
    assert ran in (["20_xinjiang"], ["20_xinjiang", "90_synthesis"])  # the synthesis re-runs only if the findings moved
    assert "An analyst" in (settings.out / "brief.html").read_text(encoding="utf-8")


def test_a_documents_analysis_is_keyed_on_the_code_that_computes_it(package):
    before = inputs.module_digest(frozenset({"analysis"}))
    package("charts.py")
    assert inputs.module_digest(frozenset({"analysis"})) == before  # cached analyses of 10,000 documents stay valid
    package("coding.py")
    assert inputs.module_digest(frozenset({"analysis"})) != before


def test_a_cleaning_rule_changed_invalidates_the_cached_documents(package):
    before = inputs.module_digest(frozenset({"corpus"}))
    package("clean.py")
    assert inputs.module_digest(frozenset({"corpus"})) != before


def test_a_cached_context_has_a_summary_that_follows_its_inputs(project):
    from pipeline.session import load_context

    s = project
    assert inputs.context_summary(s.corpus, s.codebook, s.cache) is None
    ctx = load_context(s.corpus, s.codebook, s.cache)
    summary = inputs.context_summary(s.corpus, s.codebook, s.cache)
    context = next((s.cache / "context").glob("*.pickle"))
    assert summary == {"themes": list(ctx.codebook.theme_ids), "warnings": [str(w) for w in ctx.corpus.warnings],
                       "bytes": context.stat().st_size}
    themes = s.codebook / "themes.yaml"
    themes.write_text(themes.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert inputs.context_summary(s.corpus, s.codebook, s.cache) is None  # another codebook: not analysed yet


def test_a_damaged_summary_is_no_summary(project):
    from pipeline.session import load_context

    s = project
    load_context(s.corpus, s.codebook, s.cache)
    for path in (s.cache / "context").glob("*.json"):
        path.write_text("{not json", encoding="utf-8")
    assert inputs.context_summary(s.corpus, s.codebook, s.cache) is None


def published(s: Settings) -> None:
    """What a finished build leaves for the next one to compare with: its manifest, and an analysis cache."""
    s.out.mkdir(parents=True, exist_ok=True)
    (s.out / "manifest.json").write_text(json.dumps({"inputs": Inputs.read(s).to_json()}), encoding="utf-8")
    s.cache.mkdir(parents=True, exist_ok=True)
    (s.cache / "analysis.sqlite").touch()


def test_a_build_counts_the_corpus_files_its_last_build_did_not_have(project):
    published(project)
    assert inputs.new_since_last_build(project, Inputs.read(project)) == 0
    shutil.copy(DEFAULT_CORPUS / "000_63b35bf6f7089b46.txt", project.corpus / "005_copy.txt")  # same bytes: known
    with open(project.corpus / "metadata.yaml", "a", encoding="utf-8") as fh:
        fh.write("# edited\n")
    (project.corpus / "006_new.txt").write_text("New words about Astana.\n", encoding="utf-8")
    assert inputs.new_since_last_build(project, Inputs.read(project)) == 2  # metadata.yaml and 006_new.txt


@pytest.mark.parametrize("change", ["no manifest", "no analysis cache", "force", "codebook", "code"])
def test_nothing_is_guessed_when_the_last_builds_analyses_cannot_be_reused(project, change):
    published(project)
    s = project
    if change == "no manifest":
        (s.out / "manifest.json").unlink()
    elif change == "no analysis cache":
        (s.cache / "analysis.sqlite").unlink()
    elif change == "force":
        s = replace(s, force=True)
    elif change == "codebook":
        themes = s.codebook / "themes.yaml"
        themes.write_text(themes.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    manifest = json.loads((s.out / "manifest.json").read_text(encoding="utf-8")) if change == "code" else None
    if manifest:
        manifest["inputs"]["code"] = "another version of the pipeline"
        (s.out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert inputs.new_since_last_build(s, Inputs.read(s)) is None
