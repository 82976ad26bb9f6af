"""HTML fragments for the brief: tables, quotes, citation marks.

Corpus text is untrusted: every string that reaches HTML goes through ``esc``. Notebooks display
these fragments; the exported brief contains them verbatim, so nothing here may emit script, event
handlers or links outside the document.
"""
from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence

from . import columns
from .corpus import Corpus, Paragraph

_ID_SAFE = re.compile(r"[^A-Za-z0-9_.-]")
# A table or chart shows at most this many documents or sources; beyond, it groups them by year or shows
# the leading ones, and says so: the brief stays readable at 10,000 documents (all rows are in data/).
MAX_ROWS = 30
NUM = ' class="num"'


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def anchor_id(text: str) -> str:
    """An id that is safe in HTML and URLs, derived from trusted or untrusted text."""
    return _ID_SAFE.sub("-", text)[:120]


class Citer:
    """Numbers the corpus documents and renders citation marks that link to source passages."""

    def __init__(self, corpus: Corpus):
        self.corpus = corpus
        self.number = {d.id: i + 1 for i, d in enumerate(sorted(corpus.documents, key=lambda d: d.id))}

    def label(self, pid: str) -> str:
        return self.label_of(self.corpus.paragraph(pid))

    def label_of(self, p: Paragraph) -> str:
        """``label`` for a paragraph in hand (no lookup by id): "2:14", document 2, paragraph 14 of its file."""
        return f"{self.number[p.doc_id]}:{p.n}"

    def source(self, doc_id: str) -> str:
        meta = self.corpus.document(doc_id).meta
        parts = [meta.source or "unknown publisher", meta.date.label() if meta.date else "undated"]
        return ", ".join(parts)

    def mark(self, pid: str) -> str:
        p = self.corpus.paragraph(pid)
        title = f"{self.source(p.doc_id)}, paragraph {p.n}"
        return f'<a class="cite" href="#{esc(anchor_id(p.anchor))}" title="{esc(title)}">[{esc(self.label(pid))}]</a>'

    def marks(self, pids: Iterable[str], limit: int = 6) -> str:
        unique = list(dict.fromkeys(pids))
        shown = "".join(self.mark(pid) for pid in unique[:limit])
        more = f'<span class="more">+{len(unique) - limit}</span>' if len(unique) > limit else ""
        return shown + more


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], *, raw_columns: Sequence[int] = (), caption: str | None = None,
          numeric_columns: Sequence[int] = ()) -> str:
    """A table; cells are escaped except the columns listed in raw_columns (already-rendered HTML)."""
    heads = [esc(h) for h in headers]
    head = "".join(f"<th>{h}</th>" for h in heads)
    body, cell_rows = [], []
    for row in rows:
        contents = [cell if i in raw_columns else esc(cell) for i, cell in enumerate(row)]
        cells = [f"<td{NUM if i in numeric_columns else ''}>{c}</td>" for i, c in enumerate(contents)]
        body.append("<tr>" + "".join(cells) + "</tr>")
        cell_rows.append(contents)
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    if not body:
        return f'<p class="empty">{esc(caption or "Nothing")}: none found in the corpus.</p>'
    # print lays the table out at these widths (columns.py); a screen ignores them
    cols = "".join(f'<col style="--print-width: {w:.1f}%">' for w in columns.widths(heads, cell_rows))
    return (f'<table class="brief-table">{cap}<colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


def quote(text: str, citation: str, note: str | None = None) -> str:
    """A quoted passage with its (already rendered) citation and an optional 'why' note."""
    why = f'<div class="why">{esc(note)}</div>' if note else ""
    return f'<blockquote class="evidence"><p>{esc(text)}</p><footer>{citation}</footer>{why}</blockquote>'


def excerpt(paragraph: Paragraph, max_words: int = 70) -> str:
    """The paragraph, or its first sentences up to max_words; always a verbatim prefix of the text."""
    words = paragraph.text.split()
    if len(words) <= max_words:
        return paragraph.text
    out = ""
    for s in paragraph.sentences:
        if out and len((out + " " + s.text).split()) > max_words:
            break
        out = (out + " " + s.text).strip()
    if len(out.split()) > max_words:  # one long sentence: cut on a word boundary
        out = " ".join(out.split()[:max_words])
    return out + " …"


def summary(text_html: str) -> str:
    """A lead paragraph of computed statements (already-escaped HTML with citation marks)."""
    return f'<p class="lead">{text_html}</p>'


def stat_strip(items: Sequence[tuple[str, str]]) -> str:
    """A row of key numbers: [(value, label)]."""
    cells = "".join(f'<div class="stat"><span class="value">{esc(v)}</span><span class="label">{esc(k)}</span></div>' for v, k in items)
    return f'<div class="stats">{cells}</div>'


def show(fragment: str) -> None:
    """Display an HTML fragment in the notebook (the brief picks it up from the cell output)."""
    from IPython.display import HTML, display

    display(HTML(fragment))
