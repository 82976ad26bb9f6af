"""The brief as its readers get it: the HTML in a real browser (headless Chromium over the DevTools protocol,
loaded from disk with the network off) and the PDF as a PDF reader and ``pdfinfo`` see it.

Each check is a function that returns the problems it finds; the brief must have none, and a faulty control
page (broken anchor, a request, a console error, a too-wide block, small text, no print rules) must trip
every check, so that none of them can pass by looking at nothing.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from io import BytesIO

import pytest
from cdp import Browser, Tab
from pypdf import PdfReader

LAPTOP = (1366, 800)
PHONE = (390, 844)
PRINT_WIDTH = 658  # A4 less the brief's 18 mm side margins, in CSS pixels (174 mm at 96 px/in)
MIN_BODY_PX = 14


# ---------------------------------------------------------------------------- checks (pure: tab in, problems out)

def outside_requests(tab: Tab) -> list[str]:
    """Requests the page made for anything but itself and its inline data: URIs."""
    urls = [p["request"]["url"] for name, p in tab.events if name == "Network.requestWillBeSent"]
    return [u[:100] for u in urls if not u.startswith(("file:", "data:"))]


def console_errors(tab: Tab) -> list[str]:
    """Console errors, uncaught exceptions and browser-logged errors (CSP refusals, failed loads)."""
    found = []
    for name, p in tab.events:
        if name == "Runtime.consoleAPICalled" and p["type"] in ("error", "assert"):
            found.append("console: " + " ".join(str(a.get("value", a.get("description", ""))) for a in p["args"]))
        elif name == "Runtime.exceptionThrown":
            found.append("exception: " + p["exceptionDetails"].get("exception", {}).get("description", p["exceptionDetails"]["text"]))
        elif name == "Log.entryAdded" and p["entry"]["level"] == "error":
            found.append(f"log ({p['entry']['source']}): {p['entry']['text']}")
    return found


_LANDED = """(href => {
  const el = document.getElementById(decodeURIComponent(href.slice(1)));
  if (!el) return 'no element with this id';
  const r = el.getBoundingClientRect();
  if (r.width === 0 && r.height === 0) return 'target is not displayed';
  if (document.querySelector(':target') !== el) return 'target is not :target';
  const bottom = document.documentElement.scrollHeight - innerHeight;
  if (Math.abs(r.top) <= 2) return '';
  if (scrollY >= bottom - 2 && r.top >= 0 && r.bottom <= innerHeight + 1) return '';  // end of page: in view
  return `target top at ${Math.round(r.top)} px, page scrolled to ${Math.round(scrollY)}`;
})(%s)"""


def fragment_links(tab: Tab) -> list[str]:
    return tab.js("[...new Set([...document.querySelectorAll('a[href^=\"#\"]').values()].map(a => a.getAttribute('href')))]")


def link_problems(tab: Tab, url: str) -> list[str]:
    """Follow every distinct #fragment link from the top of the page; the target must be at the top of the window."""
    problems = []
    for href in fragment_links(tab):
        tab.js("scrollTo(0, 0)")
        mark = len(tab.events)
        tab.send("Page.navigate", {"url": url + href})
        tab.wait_for("Page.navigatedWithinDocument", after=mark, timeout=10)
        tab.js("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        landed = tab.js(_LANDED % json.dumps(href))
        if landed:
            problems.append(f"{href}: {landed}")
    return problems


def document_overflow(tab: Tab) -> list[str]:
    """The page must not scroll sideways: its width is the window's."""
    width, scroll = tab.js("[document.documentElement.clientWidth, document.documentElement.scrollWidth]")
    return [f"document is {scroll} px wide in a {width} px window"] if scroll > width + 1 else []


_STICKING_OUT = """((allow_scroll) => {
  const W = document.documentElement.clientWidth, out = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.right <= W + 1) continue;
    let box = el, held = false;
    while (allow_scroll && box && box !== document.body) {
      const ox = getComputedStyle(box).overflowX;
      if ((ox === 'auto' || ox === 'scroll') && box.getBoundingClientRect().right <= W + 1) { held = true; break; }
      box = box.parentElement;
    }
    if (!held) out.push(`${el.tagName.toLowerCase()}.${el.className || ''} reaches ${Math.round(r.right)} px of ${W}`);
  }
  return out;
})(%s)"""


def sticking_out(tab: Tab, allow_scroll: bool = True) -> list[str]:
    """Elements that reach past the window's right edge, unless a box that fits the window scrolls them sideways."""
    return tab.js(_STICKING_OUT % json.dumps(allow_scroll))


_BODY_TEXT = """(() => [...document.querySelectorAll('main p, main li, main dd, main blockquote, main .passage')]
  .filter(el => !el.closest('table, figure, .stats') && !el.matches('.kicker, .bib'))
  .filter(el => el.textContent.trim() && el.getBoundingClientRect().height > 0)
  .map(el => [`${el.tagName.toLowerCase()}.${el.className || ''} "${el.textContent.trim().slice(0, 30)}"`,
              parseFloat(getComputedStyle(el).fontSize)]))()"""


def small_body_text(tab: Tab) -> tuple[int, list[str]]:
    """(number of body-text blocks, those set smaller than MIN_BODY_PX); table cells, captions, the
    kicker and bibliographic lines are small print by design and not counted."""
    blocks = tab.js(_BODY_TEXT)
    return len(blocks), sorted({f"{what}: {size}px" for what, size in blocks if size < MIN_BODY_PX})


PRINT_RULES = [  # (selector, CSS property, value wanted in print)
    ("h2", "breakAfter", "avoid"), ("h3", "breakAfter", "avoid"),
    (".cell.md", "breakAfter", "avoid"),  # the heading's cell stays with the block that follows it
    ("figure.chart", "breakInside", "avoid"), ("blockquote.evidence", "breakInside", "avoid"),
    ("table.brief-table tr", "breakInside", "avoid"), ("table.brief-table caption", "breakAfter", "avoid"),
    ("nav.toc", "breakAfter", "page"), (".celltag_part-start", "breakBefore", "page"),
]


def print_rule_problems(tab: Tab) -> list[str]:
    """With print media emulated, every element of each kind gets its page-break rule (and each kind exists)."""
    problems = []
    for selector, prop, want in PRINT_RULES:
        got = tab.js(f"[...document.querySelectorAll({json.dumps(selector)})].map(e => getComputedStyle(e).{prop})")
        if not got:
            problems.append(f"no {selector} on the page")
        elif set(got) != {want}:
            problems.append(f"{selector} {prop}: {sorted(set(got))}, want {want}")
    return problems


# ---------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    chromium = Browser(tmp_path_factory.mktemp("chromium") / "profile")
    yield chromium
    chromium.close()


@pytest.fixture(scope="module")
def brief_url(seed_build) -> str:
    return (seed_build.settings.out / "brief.html").resolve().as_uri()


@pytest.fixture
def tab(browser):
    """A fresh tab at laptop size; the page it loads is recorded from the first request on."""
    page = browser.page()
    page.viewport(*LAPTOP)
    yield page
    page.close()


CONTROL = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>control</title>
<style>body { margin: 0 } main p { font-size: 11px }</style></head><body><main>
<nav class="toc"><a href="#missing">missing</a> <a href="#hidden">hidden</a> <a href="#low">low</a></nav>
<div class="cell md"><h3 id="h">Heading</h3></div>
<p>Small body text.</p><div style="width: 1600px">a block wider than any window</div>
<table class="brief-table"><caption>c</caption><tr><td style="white-space: nowrap">%s</td></tr></table>
<blockquote class="evidence"><p>quote</p></blockquote><figure class="chart"></figure>
<div id="hidden" style="display: none">hidden target</div><img src="http://127.0.0.1:9/control.png" alt="">
<div style="height: 3000px"></div><div id="low">the last line: in view, though it cannot reach the top</div>
<script>console.error("control error"); throw new Error("control exception");</script>
</main></body></html>""" % ("wide " * 200)


# ---------------------------------------------------------------------------- the HTML brief in Chromium

def test_brief_loads_from_disk_without_any_request(tab, brief_url):
    tab.open(brief_url)
    assert tab.js("document.title") == "Kazakhstan between Russia and China"
    assert tab.js("document.images.length") > 0 and tab.js("[...document.images].every(i => i.complete && i.naturalWidth > 0)")
    assert outside_requests(tab) == []


def test_every_contents_and_citation_link_lands_on_its_target(tab, brief_url):
    tab.open(brief_url)
    hrefs = fragment_links(tab)
    assert any(h.startswith("#psg-") for h in hrefs) and "#Xinjiang" in hrefs and "#source-passages" in hrefs
    assert link_problems(tab, brief_url) == []


def test_no_console_error_or_exception(tab, brief_url, browser):
    tab.open(brief_url)
    browser.pump(0.5)  # anything the page logs after its load event
    assert console_errors(tab) == []


@pytest.mark.parametrize("size", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_page_does_not_scroll_sideways(tab, brief_url, size):
    tab.viewport(*size, mobile=size == PHONE)
    tab.open(brief_url)
    assert tab.js("document.documentElement.clientWidth") == size[0]  # the viewport meta tag is honoured on a phone
    assert document_overflow(tab) == []


@pytest.mark.parametrize("size", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_tables_and_charts_fit_or_scroll_in_their_own_box(tab, brief_url, size):
    tab.viewport(*size, mobile=size == PHONE)
    tab.open(brief_url)
    assert tab.js("document.querySelectorAll('table.brief-table').length") > 5
    assert sticking_out(tab) == []


def test_body_text_is_at_least_14px_on_a_phone(tab, brief_url):
    tab.viewport(*PHONE, mobile=True)
    tab.open(brief_url)
    counted, small = small_body_text(tab)
    assert counted > 50 and small == []


def test_print_stylesheet_keeps_headings_with_their_content_and_blocks_whole(tab, brief_url):
    tab.open(brief_url)
    tab.media("print")
    assert print_rule_problems(tab) == []


def test_printed_page_width_holds_every_element(tab, brief_url):
    tab.viewport(PRINT_WIDTH, 1000)
    tab.open(brief_url)
    tab.media("print")
    assert sticking_out(tab, allow_scroll=False) == []  # paper does not scroll


def test_chromium_prints_the_brief_on_a4_pages(tab, brief_url):
    tab.open(brief_url)
    reader = PdfReader(BytesIO(tab.pdf()))
    assert len(reader.pages) > 5
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # the stylesheet's @page size: A4


def test_checks_catch_a_faulty_page(browser, tmp_path):
    """Control: a page with each fault trips each check above, so a passing check has looked at something."""
    page = tmp_path / "control.html"
    page.write_text(CONTROL, encoding="utf-8")
    url = page.as_uri()
    tab = browser.page()
    try:
        tab.viewport(*PHONE, mobile=True)
        tab.open(url)
        browser.pump(0.5)
        assert any("127.0.0.1:9/control.png" in u for u in outside_requests(tab))
        errors = " ".join(console_errors(tab))
        assert "control error" in errors and "control exception" in errors
        assert document_overflow(tab)
        assert any(p.startswith("div.") for p in sticking_out(tab)) and any(p.startswith("td.") for p in sticking_out(tab))
        assert small_body_text(tab)[1]
        links = " ".join(link_problems(tab, url))
        assert "#missing: no element" in links and "#hidden: target is not displayed" in links
        assert "#low" not in links  # a target that is in view at the end of the page counts as landed
        tab.media("print")
        assert {p.split()[0] for p in print_rule_problems(tab)} >= {"h3", ".cell.md", "figure.chart", "nav.toc", "no"}
    finally:
        tab.close()


# ---------------------------------------------------------------------------- the PDF brief

class _Headings(HTMLParser):
    """(level, text) of every h1-h3 of the HTML brief, the author meta tag, and table captions."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.headings: list[list] = []
        self.captions: list[str] = []
        self.author = None
        self._open: list | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "meta" and a.get("name") == "author":
            self.author = a.get("content")
        if tag in ("h1", "h2", "h3"):
            self._open = [int(tag[1]), ""]
            self.headings.append(self._open)
        elif tag == "caption":
            self._open = [0, ""]
            self.captions.append(self._open)

    def handle_endtag(self, tag):
        if tag in ("h1", "h2", "h3", "caption"):
            self._open = None

    def handle_data(self, data):
        if self._open is not None:
            self._open[1] += data


@pytest.fixture(scope="module")
def pdf(seed_build):
    out = seed_build.settings.out
    parsed = _Headings()
    parsed.feed((out / "brief.html").read_text(encoding="utf-8"))
    return out / "brief.pdf", PdfReader(out / "brief.pdf"), parsed


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def text_runs(page) -> list[tuple[float, str]]:
    """(height on the page in pt, text) of each run of text on a PDF page."""
    runs: list[tuple[float, str]] = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            runs.append((tm[4] * cm[1] + tm[5] * cm[3] + cm[5], text))

    page.extract_text(visitor_text=visit)
    return runs


@pytest.fixture(scope="module")
def pdf_runs(pdf):
    """Text runs of every page of the PDF, extracted once (pypdf takes a few seconds for the whole brief)."""
    return [(float(page.mediabox.height), text_runs(page)) for page in pdf[1].pages]


def test_pdf_metadata_names_the_author_given_in_the_html(pdf):
    _, reader, parsed = pdf
    assert parsed.author and reader.metadata.author == parsed.author


def test_pdf_bookmarks_follow_the_headings_and_open_their_pages(pdf, pdf_runs):
    _, reader, parsed = pdf

    def flatten(items, depth=1):
        for item in items:
            if isinstance(item, list):
                yield from flatten(item, depth + 1)
            else:
                yield depth, item.title, reader.get_destination_page_number(item)

    bookmarks = list(flatten(reader.outline))
    assert [(d, t) for d, t, _ in bookmarks] == [(level, " ".join(text.split())) for level, text in parsed.headings]
    pages = [_squash("".join(t for _, t in runs)) for _, runs in pdf_runs]
    assert [t for _, t, n in bookmarks if _squash(t) not in pages[n]] == []


def last_body_line(height: float, runs: list[tuple[float, str]]) -> str:
    """The lowest line of text inside the page's margins (20 mm top, 22 mm bottom: the stylesheet's @page),
    so the running header and the page number in the margin boxes are left out."""
    top, bottom = height - 20 / 25.4 * 72, 22 / 25.4 * 72
    body = [(y, t) for y, t in runs if bottom < y < top]
    if not body:
        return ""
    low = min(y for y, _ in body)
    return " ".join(" ".join(t for y, t in body if abs(y - low) < 2).split())


def test_pdf_pages_do_not_end_with_a_heading_or_table_caption(pdf, pdf_runs):
    """No heading or table caption is left alone at the foot of a page, cut off from what it introduces."""
    parsed = pdf[2]
    stranded = {" ".join(t.split()) for _, t in parsed.headings + parsed.captions}
    ends = [(number, last_body_line(height, runs)) for number, (height, runs) in enumerate(pdf_runs, 1)]
    assert len([last for _, last in ends if last]) > 5
    assert [(n, last) for n, last in ends if last in stranded] == []


def test_pdfinfo_reads_the_pdf_without_complaint(pdf):
    path, reader, parsed = pdf
    assert shutil.which("pdfinfo"), "pdfinfo missing: `make test` installs it (apt-get install poppler-utils)"
    done = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr
    info = dict(line.split(":", 1) for line in done.stdout.splitlines() if ":" in line)
    info = {k.strip(): v.strip() for k, v in info.items()}
    assert info["Title"] == "Kazakhstan between Russia and China" and info["Author"] == parsed.author
    assert int(info["Pages"]) == len(reader.pages) and info["Page size"].endswith("(A4)")
