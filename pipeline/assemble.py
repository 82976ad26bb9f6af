"""Assembling the brief: executed notebooks in reading order, a cover, and every cited source passage.

Reading order: cover, synthesis (key findings), corpus overview, the theme sections, then the
appendix (cells tagged ``appendix``: methods and quality) and the source passages.
"""
from __future__ import annotations

import hashlib
import html
import re
from pathlib import Path

import nbformat

from . import clean
from .config import BRIEF_TITLE
from .corpus import Corpus, read_text
from .errors import QuoteIntegrityError
from .render import Citer, anchor_id, esc
from .text import squash

HIDDEN_TAGS = {"parameters", "injected-parameters", "remove-cell"}
_CITED = re.compile(r'href="#psg-([A-Za-z0-9_.-]+)"')
_QUOTE = re.compile(r'<blockquote data-pid="([^"]+)" class="evidence"><p>(.*?)</p>', re.S)


def _html_cell(fragment: str, tags: list[str]) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source="", metadata={"tags": tags})
    # A fixed id, not nbformat's random one: same inputs, same brief.
    cell["id"] = f"brief-{tags[-1] if tags else hashlib.sha256(fragment.encode()).hexdigest()[:16]}"[:64]
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": fragment})]
    return cell


def _report_cells(nb: nbformat.NotebookNode, part: str) -> tuple[list, list]:
    """A notebook's cells for the brief, split into (main, appendix); parameters and stray output dropped."""
    main, appendix = [], []
    first = True
    for index, cell in enumerate(nb.cells):
        tags = list(cell.get("metadata", {}).get("tags", []))
        if HIDDEN_TAGS & set(tags):
            continue
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", []) if o.output_type in ("display_data", "execute_result")]
            if not cell.outputs:
                continue
        if cell.cell_type == "raw":
            continue
        if first and "appendix" not in tags:
            tags.append("part-start")
            first = False
        cell.metadata["tags"] = tags + [f"part-{part}"]
        cell["id"] = f"{part}-{cell.get('id') or index}"[:64]  # cell ids must stay unique across merged notebooks
        (appendix if "appendix" in tags else main).append(cell)
    return main, appendix


def _series(labels: list[str]) -> str:
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def cover(corpus: Corpus, themes: list[str]) -> str:
    """Title page: the themes come from the codebook, every fact about the corpus from the corpus."""
    dates = corpus.date_range()
    span = f"{dates[0].label()} – {dates[1].label()}" if dates else "undated sources"
    publishers = sorted({d.meta.publisher for d in corpus.documents if d.meta.publisher})
    words = sum(d.words for d in corpus.documents)
    return (f'<section class="cover"><p class="kicker">Analytical brief</p><h1 id="title">{esc(BRIEF_TITLE)}</h1>'
            f'<p class="subtitle">{esc(_series(themes))}, as the sources state them</p>'
            f'<dl class="corpus-facts"><dt>Corpus</dt><dd>{len(corpus.documents)} documents from {len(publishers)} publishers, '
            f"{words:,} words</dd><dt>Sources dated</dt><dd>{esc(span)}</dd>"
            f"<dt>Publishers</dt><dd>{esc('; '.join(publishers))}</dd>"
            f'<dt>Corpus digest</dt><dd><code>{corpus.digest[:12]}</code></dd></dl>'
            f'<p class="how-to-read">Every number, quote and date below is computed from the corpus at build time. '
            f"Marks like [2:14] cite source 2, paragraph 14 of its file; each links to the passage under "
            f"“Source passages”.</p></section>"
            '<nav class="toc" id="contents"><!-- TOC --></nav>')


def source_passages(corpus: Corpus, cited: set[str]) -> str:
    """Every cited passage, grouped by document and anchored, with the document's bibliographic line."""
    citer = Citer(corpus)
    parts = ['<h2 id="source-passages">Source passages</h2>',
             '<p class="note">Each passage cited in this brief, as cleaned from the source file (page furniture and '
             "endnote markers removed), with its paragraph number in that file. Documents with no passage cited are "
             "listed in data/documents.csv.</p>", '<p class="note print-only">In print, a long passage is cut after three '
             "lines (ending in “…”); the HTML brief and data/paragraphs.csv give every passage in full.</p>", '<div class="sources">']
    for doc in sorted(corpus.documents, key=lambda d: d.id):
        paragraphs = [p for p in doc.paragraphs if p.id in cited]
        meta = doc.meta
        bib = "; ".join(x for x in (meta.publisher, meta.date.label() if meta.date else "undated", meta.kind) if x)
        url = f' · <span class="url">{esc(meta.url)}</span>' if meta.url else ""
        if not paragraphs:
            continue  # listed in data/documents.csv; a heading per uncited document would swamp a large corpus
        parts.append(f'<h3 id="src-{esc(anchor_id(doc.id))}">[{citer.number[doc.id]}] {esc(meta.title)}</h3>'
                     f'<p class="bib">{esc(bib)} · file <code>{esc(meta.file)}</code>{url}</p>')
        for p in paragraphs:
            parts.append(f'<div class="passage" id="{esc(anchor_id(p.anchor))}"><span class="pn">[{citer.label(p.id)}]</span> '
                         f"{esc(p.text)}</div>")
    return "".join(parts) + "</div>"


def cited_ids(nb: nbformat.NotebookNode) -> set[str]:
    return {m for fragment in _html_outputs(nb) for m in _CITED.findall(fragment)}


def _html_outputs(nb: nbformat.NotebookNode):
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            fragment = out.get("data", {}).get("text/html")
            if fragment:
                yield "".join(fragment) if isinstance(fragment, list) else fragment


def verify_quotes(nb: nbformat.NotebookNode, corpus: Corpus) -> int:
    """Check that every quoted passage stands verbatim in its source file. Returns the number checked."""
    sources: dict[str, str] = {}
    checked = 0
    for fragment in _html_outputs(nb):
        for pid, quoted in _QUOTE.findall(fragment):
            text = squash(html.unescape(quoted)).removesuffix(" …")
            try:
                doc = corpus.document(corpus.paragraph(pid).doc_id)
            except (KeyError, StopIteration):
                raise QuoteIntegrityError(f"the brief quotes passage {pid}, which is not in the corpus") from None
            if doc.id not in sources:
                raw = read_text(doc.meta.file, (corpus.root / doc.meta.file).read_bytes())[0]
                numbers = clean.note_numbers(doc.endnotes)
                sources[doc.id] = clean.strip_note_markers(squash(raw), numbers)[0] if numbers else squash(raw)
            if text not in sources[doc.id]:
                raise QuoteIntegrityError(f"quote cited as {pid} does not stand verbatim in {doc.meta.file}: '{text[:80]}…'")
            checked += 1
    return checked


def assemble(executed: dict[str, Path], order: list[str], corpus: Corpus, themes: list[str],
             after: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """One notebook for the brief. ``executed`` maps part name -> executed notebook; ``order`` is reading order;
    ``themes`` are the codebook's theme labels, for the title page; ``after`` maps a part name to an HTML
    section the build adds after that part (the changes since the last brief)."""
    brief = nbformat.v4.new_notebook()
    brief.metadata.update({"title": BRIEF_TITLE, "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                           "language_info": {"name": "python"}})
    cells = [_html_cell(cover(corpus, themes), ["cover"])]
    appendix = []
    for name in order:
        nb = nbformat.read(executed[name], as_version=4)
        main, extra = _report_cells(nb, name)
        cells += main
        if after and after.get(name):
            cells.append(_html_cell(after[name], ["part-start", f"part-after-{name}"]))
        appendix += extra
    if appendix:
        appendix[0].metadata["tags"].append("part-start")
    cells += appendix
    brief.cells = cells
    cited = cited_ids(brief)
    brief.cells.append(_html_cell(source_passages(corpus, cited), ["part-start", "part-sources"]))
    return brief
