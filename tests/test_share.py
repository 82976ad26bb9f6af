"""Sharing: the data behind the brief as CSV, "what changed since the last brief", and one dated zip."""
from __future__ import annotations

import csv
import io
import re
import shutil
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from pipeline.build import build
from pipeline.changes import compare, render
from pipeline.cli import main
from pipeline.config import DEFAULT_CORPUS
from pipeline.datasets import TABLES, read_table, to_csv
from pipeline.errors import BriefError
from pipeline.share import share

NEW_DOC = """Kazakhstan and China sign a transit deal

In March 2025, Kazakhstan and China agreed to raise container traffic through Khorgos by 20 per cent, officials in Astana said.

The Belt and Road Initiative has brought $25 billion of Chinese investment into Kazakhstan since 2013, according to the ministry.
"""


def rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


# -- data/*.csv ------------------------------------------------------------------------------------

def test_build_publishes_every_table(seed_build):
    data = seed_build.settings.out / "data"
    assert sorted(p.stem for p in data.glob("*.csv")) == sorted(TABLES)
    assert len(rows(data / "documents.csv")) == len(list(DEFAULT_CORPUS.glob("0*.txt")))


def test_every_citation_in_the_brief_is_a_row_with_the_same_label(seed_build):
    page = (seed_build.settings.out / "brief.html").read_text(encoding="utf-8")
    marks = set(re.findall(r'<a class="cite" href="#psg-([^"]+)"[^>]*>\[([^\]]+)\]</a>', page))
    labels = {r["passage_id"]: r["citation"] for r in rows(seed_build.settings.out / "data" / "paragraphs.csv")}
    assert marks and all(labels[pid] == label for pid, label in marks)


def test_figures_events_and_actors_cite_paragraphs_of_the_corpus(seed_build):
    data = seed_build.settings.out / "data"
    paragraphs = {r["passage_id"]: r["citation"] for r in rows(data / "paragraphs.csv")}
    for table in ("figures", "events", "actors", "quotes"):
        found = rows(data / f"{table}.csv")
        assert found, table
        assert all(paragraphs[r["passage_id"]] == r["citation"] for r in found), table


def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_written_as_text():
    row = next(csv.DictReader(io.StringIO(to_csv([{"text": '=HYPERLINK("http://x.example","click")', "value": -3}]))))
    assert row["text"] == "'=HYPERLINK(\"http://x.example\",\"click\")"
    assert row["value"] == "-3"  # a number stays a number


# -- what changed ----------------------------------------------------------------------------------

def table(**kinds) -> dict[str, list[dict]]:
    return {name: kinds.get(name, []) for name in ("documents", "paragraphs", "figures", "events")}


def write(directory: Path, tables: dict[str, list[dict]]) -> None:
    (directory / "data").mkdir(parents=True)
    for name, found in tables.items():
        (directory / "data" / f"{name}.csv").write_text(to_csv(found) or "x\n", encoding="utf-8-sig")


DOC = {"sha256": "a", "title": "Old", "publisher": "P", "date": "2020"}
PARA = {"passage_id": "d-p1", "kind": "body", "themes": "xinjiang", "text": "Camps in Xinjiang."}


def test_added_and_removed_documents_are_found_by_content(tmp_path):
    write(tmp_path, table(documents=[DOC]))
    now = table(documents=[{**DOC, "sha256": "b", "title": "New"}])
    found = compare(tmp_path, "2026-01-01T00:00:00+00:00", now, ["xinjiang"])
    assert [d["title"] for d in found.added] == ["New"] and [d["title"] for d in found.removed] == ["Old"]


def test_a_renamed_but_identical_corpus_is_no_change(tmp_path):
    write(tmp_path, table(documents=[DOC], paragraphs=[PARA]))
    now = table(documents=[dict(DOC)], paragraphs=[{**PARA, "passage_id": "renamed-p1"}])
    assert compare(tmp_path, "x", now, ["xinjiang"]).empty


def test_theme_coverage_that_moved_lists_the_new_passages(tmp_path):
    write(tmp_path, table(paragraphs=[PARA]))
    now = table(paragraphs=[PARA, {"passage_id": "d-p2", "kind": "body", "themes": "xinjiang;csto_perception", "text": "More on Xinjiang."},
                            {"passage_id": "d-p3", "kind": "heading", "themes": "xinjiang", "text": "Xinjiang"}])
    found = compare(tmp_path, "x", now, ["xinjiang", "csto_perception"])
    assert found.themes == [("xinjiang", 1, 2, ["d-p2"]), ("csto_perception", 0, 1, ["d-p2"])]


def test_corpus_text_in_the_section_is_escaped(tmp_path, seed_build):
    from pipeline.render import Citer
    from pipeline.session import load_context

    ctx = load_context(DEFAULT_CORPUS, seed_build.settings.codebook, seed_build.settings.cache)
    write(tmp_path, table())
    found = compare(tmp_path, "x", table(documents=[{**DOC, "title": "<script>alert(1)</script>"}]), [])
    html = render(found, Citer(ctx.corpus), {})
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_the_next_brief_says_what_changed_with_citations(seed_build, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(DEFAULT_CORPUS, corpus)
    (corpus / "905_transit.txt").write_text(NEW_DOC, encoding="utf-8")
    with open(corpus / "metadata.yaml", "a", encoding="utf-8") as fh:
        fh.write('  - file: 905_transit.txt\n    title: "Kazakhstan and China sign a transit deal"\n    publisher: Test Wire\n    date: 2025-03-20\n')
    out = tmp_path / "reports"
    shutil.copytree(seed_build.settings.out, out)
    build(replace(seed_build.settings, corpus=corpus, out=out, pdf=False), log=lambda line: None)
    page = (out / "brief.html").read_text(encoding="utf-8")
    section = page[page.index('id="what-changed"'):page.index('id="The-corpus"')]
    assert "1 document added" in section and "Kazakhstan and China sign a transit deal" in section
    new_marks = re.findall(r'href="#psg-(905_transit-p\d+)"', section)
    assert new_marks and all(f'id="psg-{pid}"' in page for pid in new_marks)  # each lands on its source passage
    assert "$25 billion" in section and "March 2025" in section
    assert 'href="#what-changed"' in page  # listed in the contents


def test_a_first_brief_has_no_changes_section(seed_build):
    assert 'id="what-changed"' not in (seed_build.settings.out / "brief.html").read_text(encoding="utf-8")


# -- brief share -----------------------------------------------------------------------------------

def test_share_writes_one_dated_zip_of_the_brief_and_its_data(seed_build, tmp_path):
    target, names = share(seed_build.settings.out, tmp_path)
    assert re.fullmatch(r"brief-\d{4}-\d{2}-\d{2}\.zip", target.name)
    with zipfile.ZipFile(target) as zf:
        inside = set(zf.namelist())
        assert {"README.txt", "brief.html", "brief.pdf", "manifest.json"} <= inside
        assert {f"data/{t}.csv" for t in TABLES} <= inside
        assert any(n.startswith("figures/") and n.endswith(".svg") for n in inside)
        assert zf.read("brief.html") == (seed_build.settings.out / "brief.html").read_bytes()


def test_a_second_share_the_same_day_keeps_the_first(seed_build, tmp_path):
    first, _ = share(seed_build.settings.out, tmp_path)
    second, _ = share(seed_build.settings.out, tmp_path)
    assert first != second and first.is_file() and second.name.endswith("-2.zip")


def test_share_without_a_brief_says_to_build_first(tmp_path, capsys):
    with pytest.raises(BriefError, match="run 'brief build' first"):
        share(tmp_path / "reports", tmp_path)
    assert main(["share", "--reports", str(tmp_path / "reports")]) == 1
    assert capsys.readouterr().err.strip() == f"brief: error: no brief in {tmp_path / 'reports'}: run 'brief build' first"


def test_read_table_of_a_missing_file_is_empty(tmp_path):
    assert read_table(tmp_path, "figures") == []
