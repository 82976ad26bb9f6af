"""Export: the assembled brief notebook to one self-contained HTML file (nbconvert) and a PDF (WeasyPrint).

The PDF engine gets a URL fetcher that refuses everything but inline ``data:`` URIs, so no URL
named in the corpus can make it read a local file or touch the network. It runs in a child process
with a time limit, so a runaway render cannot hang or crash the build.
"""
from __future__ import annotations

import functools
import html
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING

from .config import BRIEF_TITLE
from .errors import ExportError

if TYPE_CHECKING:  # nbformat costs 0.1 s to import: the build imports it while its notebooks run (prepare)
    import nbformat

TEMPLATES = Path(__file__).resolve().parent / "templates"
PDF_TIMEOUT = 300
_HEADING = re.compile(r'<h([23]) id="([^"]+)"[^>]*>(.*?)</h\1>', re.S)
_ANCHOR_LINK = re.compile(r'<a class="anchor-link" href="[^"]*">&#182;</a>')  # ¶, as nbconvert's ElementTree writes it
_TAG = re.compile(r"<[^>]+>")


def to_html(brief: nbformat.NotebookNode) -> str:
    """Render the brief notebook with the project's template; add the table of contents."""
    resources = {"brief_css": (TEMPLATES / "brief" / "brief.css").read_text(encoding="utf-8"), "brief_author": "brief pipeline",
                 "brief_description": BRIEF_TITLE}
    body, _ = _exporter().from_notebook_node(brief, resources=resources)
    body = unique_heading_ids(_ANCHOR_LINK.sub("", body))
    return body.replace("<!-- TOC -->", table_of_contents(body), 1)


@functools.cache
def _exporter():
    from nbconvert import HTMLExporter, TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class BriefExporter(HTMLExporter):
        """HTMLExporter without its last step, which parses the page it made with BeautifulSoup and writes it out
        again, to add alt text to images without it and tabindex to JupyterLab's cell wrappers: every chart of the
        brief has its alt text and the brief's template has no such wrapper. That round trip took 0.13 of the
        0.2 s the seed brief's HTML took."""

        def from_notebook_node(self, nb, resources=None, **kw):
            # the two filters HTMLExporter registers per notebook, which the lab templates' cells name
            self.register_filter("highlight_code", Highlight2HTML(parent=self))
            self.register_filter("filter_data_type", WidgetsDataTypeFilter(notebook_metadata=nb.metadata, parent=self,
                                                                           resources=resources))
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    # optimistic_validation: the notebook is validated once after the preprocessors, not after each of the
    # twelve (0.03 s on the seed brief)
    return BriefExporter(extra_template_basedirs=[str(TEMPLATES)], template_name="brief", exclude_input=True,
                         exclude_input_prompt=True, exclude_output_prompt=True, optimistic_validation=True)


def prepare() -> None:
    """Import nbconvert and compile the brief's template (0.4 s) ahead of the export: the build calls this
    while its notebooks run, so that the HTML after them does not wait for it."""
    import nbformat

    to_html(nbformat.v4.new_notebook())


def unique_heading_ids(page: str) -> str:
    """Give repeated heading ids (every theme has an "Evidence" heading) a numeric suffix."""
    seen: dict[str, int] = {}

    def renumber(m: re.Match[str]) -> str:
        ident = m.group(2)
        seen[ident] = seen.get(ident, 0) + 1
        new = ident if seen[ident] == 1 else f"{ident}-{seen[ident]}"
        return m.group(0).replace(f'id="{ident}"', f'id="{new}"', 1)

    return _HEADING.sub(renumber, page)


def table_of_contents(page: str) -> str:
    """Nested list of the h2/h3 headings of the page, linking to their ids."""
    items: list[str] = []
    open_sub = False
    for level, ident, inner in _HEADING.findall(page):
        if ident.startswith("src-"):  # one per cited document: the "Source passages" entry leads to them
            continue
        text = html.escape(html.unescape(_TAG.sub("", inner)).strip())
        link = f'<a href="#{ident}">{text}</a>'
        if level == "2":
            if open_sub:
                items.append("</ol></li>")
                open_sub = False
            items.append(f"<li>{link}")
            items.append("</li>")
        else:
            if not open_sub:
                items.pop()  # reopen the last h2 item to nest its h3s
                items.append("<ol>")
                open_sub = True
            items.append(f"<li>{link}</li>")
    if open_sub:
        items.append("</ol></li>")
    return '<h2 id="contents-heading">Contents</h2><ol>' + "".join(items) + "</ol>"


_URL_ATTRS = {"src", "href", "srcset", "data", "poster", "action", "formaction", "background", "xlink:href"}


class _Links(HTMLParser):
    """Ids and URL-bearing attributes of the parsed page: text that merely looks like markup is not a link."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)
            elif name in _URL_ATTRS:
                self.urls.append((value or "").strip())

    handle_startendtag = handle_starttag


def check_links(page: str) -> list[str]:
    """Internal links whose target id is missing, and any link or resource outside the page."""
    parsed = _Links()
    parsed.feed(page)
    parsed.close()
    problems = [f"link to missing anchor {u}" for u in parsed.urls if u.startswith("#") and u[1:] not in parsed.ids]
    problems += [f"external resource {u[:60]}" for u in parsed.urls if not u.startswith(("#", "data:"))]
    return problems


class PdfPrinter:
    """The PDF child process (see the module docstring), started before the HTML exists.

    Its interpreter start and WeasyPrint import (about a second) then overlap the last notebook; it
    waits on stdin for the word to print, and exits without printing if the pipe closes first (the build
    failed or was killed).
    """

    def __init__(self, html_path: Path, pdf_path: Path):
        self.pdf_path = pdf_path
        cmd = [sys.executable, "-m", "pipeline.pdf", str(html_path), str(pdf_path), "--wait"]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                     cwd=str(Path(__file__).parent.parent))

    def start(self) -> None:
        """Tell the child the HTML file is complete; ``finish`` waits for the PDF."""
        try:
            self.proc.stdin.write("print\n")
            self.proc.stdin.flush()
        except BrokenPipeError:  # the child exited before reading: finish() reports why
            pass

    def print(self, timeout: int = PDF_TIMEOUT) -> None:
        self.start()
        self.finish(timeout)

    def finish(self, timeout: int = PDF_TIMEOUT) -> None:
        try:
            _, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.close()
            raise ExportError(f"PDF rendering took longer than {timeout} s and was stopped") from None
        except BrokenPipeError:  # the child exited before reading: it says why on stderr
            _, err = self.proc.communicate()
        if self.proc.returncode != 0:
            lines = [ln for ln in err.strip().splitlines() if ln.strip()]
            raise ExportError(lines[-1] if lines else f"PDF rendering failed (exit {self.proc.returncode})")
        if not self.pdf_path.is_file() or self.pdf_path.stat().st_size == 0:
            raise ExportError("PDF rendering produced no file")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate()


def write_pdf(html_path: Path, pdf_path: Path, timeout: int = PDF_TIMEOUT) -> None:
    """Render the HTML file to PDF in a child process."""
    printer = PdfPrinter(html_path, pdf_path)
    try:
        printer.print(timeout)
    finally:
        printer.close()
