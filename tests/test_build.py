"""End to end: the brief built from the seed corpus, checked as a reader and a browser would see it."""
from __future__ import annotations

import html
import json
import re
import shutil
from html.parser import HTMLParser

import pytest
from pypdf import PdfReader

from pipeline.build import build
from pipeline.config import NOTEBOOKS_DIR, PARTS, Settings

PART_HEADINGS = ["Key findings", "The corpus", "Russian soft power", "Xinjiang", "EAEU versus BRI", "CSTO perception",
                 "Methods and quality", "Source passages"]


class Page(HTMLParser):
    """Collects what the checks need: ids, links, resources, scripts, headings."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.resources: list[tuple[str, str]] = []
        self.scripts = 0
        self.headings: list[str] = []
        self._in_heading = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        if tag in ("img", "script", "link", "iframe", "source", "video", "audio", "embed", "object"):
            self.resources.append((tag, a.get("src") or a.get("href") or a.get("data") or ""))
        if tag == "script":
            self.scripts += 1
        if tag in ("h1", "h2"):
            self._in_heading = True
            self.headings.append("")

    def handle_endtag(self, tag):
        if tag in ("h1", "h2"):
            self._in_heading = False

    def handle_data(self, data):
        if self._in_heading:
            self.headings[-1] += data


@pytest.fixture(scope="module")
def built(seed_build):
    return seed_build.settings, seed_build.result, seed_build.log


@pytest.fixture(scope="module")
def page(built):
    settings = built[0]
    parser = Page()
    text = (settings.out / "brief.html").read_text(encoding="utf-8")
    parser.feed(text)
    return parser, text


def test_build_writes_html_pdf_notebooks_figures_and_manifest(built):
    settings, result, _ = built
    out = settings.out
    assert (out / "brief.html").stat().st_size > 10_000
    assert (out / "brief.pdf").read_bytes().startswith(b"%PDF")
    assert sorted(p.name for p in (out / "notebooks").glob("*.ipynb")) == sorted(
        ["brief.ipynb"] + [p.name for p in NOTEBOOKS_DIR.glob("*.ipynb")])
    assert list((out / "figures").glob("*.png")) and list((out / "figures").glob("*.svg"))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["inputs"]["corpus"] and "total" in manifest["timings_s"]
    assert not list(out.glob(".staging/*"))


def test_every_chart_has_its_png_drawn_in_the_brief_and_in_the_cache(built, seed_build):
    """The kernels leave PNGs for the build to draw while the PDF renders (charts.publish): none is left undrawn."""
    settings, _, _ = built
    svgs = {p.stem for p in (settings.out / "figures").glob("*.svg")}
    assert svgs and {p.stem for p in (settings.out / "figures").glob("*.png")} == svgs
    assert not seed_build.deferred_left
    assert {p.stem for p in (seed_build.cache_as_built / "parts").glob("*/figures/*.png")} == svgs


def test_kernels_leave_the_pngs_to_the_build_only_for_a_pdf_of_a_small_corpus(built, monkeypatch):
    """Beyond DEFER_PNG_DOCUMENTS the data tables fill the PDF's time, and PNGs drawn then would come after it."""
    import dataclasses

    from pipeline import build as build_module
    from pipeline.build import Builder
    from pipeline.inputs import Inputs

    settings = built[0]
    inputs = Inputs.read(settings)
    assert Builder(settings, inputs=inputs)._defer_png()
    assert not Builder(dataclasses.replace(settings, pdf=False), inputs=inputs)._defer_png()
    monkeypatch.setattr(build_module, "DEFER_PNG_DOCUMENTS", len(inputs.documents) - 1)
    assert not Builder(settings, inputs=inputs)._defer_png()


def test_a_png_left_undrawn_in_the_cache_is_drawn_by_the_next_build(built, seed_build, tmp_path, monkeypatch):
    """A build stopped between a notebook and the PDF leaves its charts' PNGs undrawn in the cache entry."""
    from pipeline import charts
    from pipeline.config import DEFER_PNG_ENV

    settings, _, _ = built
    shutil.copytree(seed_build.cache_as_built, tmp_path / "cache")
    figures = next((tmp_path / "cache" / "parts").glob("*/figures"))
    png = next(figures.glob("*.png"))
    png.unlink()
    with monkeypatch.context() as env:
        env.setenv(DEFER_PNG_ENV, "1")
        charts.publish(charts.coverage(["A (2020)"], [1], [2], title="t"), png.stem, "caption", tmp_path / "made")
    shutil.copyfile(tmp_path / "made" / f"{png.stem}.png.deferred", figures / f"{png.stem}.png.deferred")
    (figures / "broken.png.deferred").write_bytes(b"not a pickle")  # cannot be drawn: reported, not published
    result = build(Settings(corpus=settings.corpus, out=tmp_path / "out", codebook=settings.codebook, cache=tmp_path / "cache",
                            jobs=2), log=lambda line: None)
    assert len(result.cached) == len(PARTS)  # no notebook ran
    assert (tmp_path / "out" / "figures" / png.name).is_file() and png.is_file()
    assert not list((tmp_path / "out").rglob("*.deferred")) and not list(figures.glob("*.deferred"))
    assert [w for w in result.warnings if "figures/broken.png not written" in w]


def test_progress_names_each_notebook_with_its_time(built):
    lines = built[2]
    for name in ("00_corpus_overview", "10_russian_soft_power", "90_synthesis"):
        assert any(name in line and re.search(r"\d+\.\d s|cached", line) for line in lines), name


def test_html_has_every_part_in_reading_order(page):
    parser, _ = page
    positions = [next(i for i, h in enumerate(parser.headings) if h.strip() == want) for want in PART_HEADINGS]
    assert positions == sorted(positions)


def test_html_is_self_contained_and_runs_no_script(page):
    parser, text = page
    assert parser.scripts == 0
    images = [src for tag, src in parser.resources if tag == "img"]
    assert images and all(src.startswith("data:image/") for src in images)
    assert [r for r in parser.resources if r[0] != "img"] == []
    assert not re.search(r"(src|href)=\"(https?:|//|file:)", text)


def test_every_citation_and_contents_link_resolves(page):
    parser, _ = page
    internal = [h[1:] for h in parser.links if h.startswith("#")]
    assert any(h.startswith("psg-") for h in internal)
    assert [h for h in internal if h not in parser.ids] == []
    assert [h for h in parser.links if not h.startswith("#")] == []


def test_html_has_title_page_and_contents(page):
    parser, text = page
    assert "Kazakhstan between Russia and China" in parser.headings[0]
    assert "5 documents" in text and "May 2019" in text and "Nov 2024" in text
    assert 'id="contents"' in text and "Contents" in parser.headings


def test_pdf_has_pages_bookmarks_and_every_heading(built):
    reader = PdfReader(built[0].out / "brief.pdf")
    assert len(reader.pages) > 5
    text = " ".join(p.extract_text() for p in reader.pages)
    for heading in PART_HEADINGS:
        assert heading in text, heading
    def flatten(items):
        for item in items:
            yield from flatten(item) if isinstance(item, list) else [item.title]

    titles = list(flatten(reader.outline))
    assert "Key findings" in titles and "Source passages" in titles
    assert reader.metadata.title == "Kazakhstan between Russia and China"


def test_pdf_holds_only_the_printed_lines_of_a_long_passage(built, page):
    """A cited passage is cut after three lines in print: its tail is neither shown nor hidden in the text layer,
    where a search or a copy would find text the reader cannot see."""
    passages = re.findall(r'<div class="passage"[^>]*><span class="pn">[^<]*</span>([^<]*)</div>', page[1])
    longest = html.unescape(max(passages, key=len)).split()
    assert len(longest) > 120  # far more than three lines
    text = " ".join(p.extract_text() for p in PdfReader(built[0].out / "brief.pdf").pages)
    squashed = re.sub(r"\s+", "", text)
    assert "".join(longest[:8]) in squashed and "".join(longest[-8:]) not in squashed


def test_second_build_with_nothing_changed_does_nothing(built):
    settings = built[0]
    before = {p: p.stat().st_mtime_ns for p in settings.out.rglob("*") if p.is_file() and ".lock" not in p.name}
    lines: list[str] = []
    result = build(settings, log=lines.append)
    assert result.up_to_date and lines[0].startswith("Up to date")
    assert {p: p.stat().st_mtime_ns for p in before} == before


@pytest.mark.parametrize("last_build", [True, False])
def test_kernels_start_before_the_corpus_is_read_when_the_last_build_analysed_it_but_for_a_few(
        seed_build, tmp_path, monkeypatch, last_build):
    """A document edited in a corpus large enough to analyse in worker processes: the last build's analyses are in
    the cache, so only one document is left and the kernels launch at once. Without a last build to go by, they wait
    until the analysis has forked its workers (a process must not fork once the pool's threads run)."""
    from concurrent.futures import ThreadPoolExecutor

    from pipeline import build as build_module
    from pipeline import session
    from pipeline.build import Builder
    from pipeline.config import DEFAULT_CORPUS

    class Stop(Exception):
        pass

    corpus = tmp_path / "corpus"
    shutil.copytree(DEFAULT_CORPUS, corpus)
    doc = next(corpus.glob("*.txt"))
    doc.write_text(doc.read_text(encoding="utf-8") + "\nOne more paragraph about Astana.\n", encoding="utf-8")
    s = Settings(corpus=corpus, out=tmp_path / "reports", codebook=seed_build.settings.codebook, cache=tmp_path / "cache", jobs=2)
    shutil.copytree(seed_build.cache_as_built, s.cache)
    if last_build:
        shutil.copytree(seed_build.settings.out, s.out, ignore=shutil.ignore_patterns(".lock"))
    # The seed corpus's 6 files are then "many". Patched whole: forks() also says no in a process with other threads,
    # as this one may have (the session's seed build).
    monkeypatch.setattr(build_module, "forks", lambda items, jobs=None: items >= 3)
    order: list[str] = []
    monkeypatch.setattr(Builder, "_start_pool", lambda self: order.append("kernels") or ThreadPoolExecutor(1))

    def prepare_context(*args, **kwargs):
        order.append("corpus")
        raise Stop

    monkeypatch.setattr(session, "prepare_context", prepare_context)
    with pytest.raises(Stop):
        build(s, log=lambda line: None)
    assert order == (["kernels", "corpus"] if last_build else ["corpus"])
