"""Text and bibliographic metadata from the non-text formats analysts collect: saved web pages, PDF, DOCX.

``extract_text`` gives one paragraph per line, so that the corpus's paragraph ids (``<id>-p<N>``,
the position in the text) are the positions of the extracted paragraphs. Plain ``.txt``/``.md`` do not
pass through here: ``text.decode`` reads them. Libraries are imported inside the functions so a corpus
of plain text never pays for them.
"""
from __future__ import annotations

import io
import logging
import re
import statistics
from collections.abc import Callable
from pathlib import Path

from .text import UndecodableText

TEXT_SUFFIXES = (".txt", ".md")
# Suffix -> how the corpus reads it: shown as the document's "decoded as" in the brief.
READ_AS = {".html": "web page main text", ".htm": "web page main text", ".pdf": "PDF text layer", ".docx": "DOCX text"}
SUFFIXES = TEXT_SUFFIXES + tuple(READ_AS)
_ISO_DAY = re.compile(r"^(\d{4})-?(\d{2})?-?(\d{2})?")


def _html_text(data: bytes) -> str:
    import trafilatura

    # Main text only: navigation, header, footer, reader comments, scripts and markup are dropped;
    # nothing is fetched (links and images are not followed) and nothing is executed.
    text = trafilatura.extract(data, include_comments=False, include_tables=True, include_links=False,
                               include_images=False, include_formatting=False, output_format="txt")
    if not text:
        raise UndecodableText("has no article text that could be found in the web page: save the article as .txt instead")
    return text


def _pdf_reader(data: bytes):
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its notes on malformed files would break one-line output
    try:
        reader = PdfReader(io.BytesIO(data))
    except (PdfReadError, ValueError, KeyError) as exc:
        raise UndecodableText(f"is not a readable PDF ({exc}): save it again from the viewer") from None
    if reader.is_encrypted and not reader.decrypt(""):
        raise UndecodableText("is an encrypted PDF: save an unprotected copy")
    return reader


def _page_lines(page) -> list[tuple[str, bool]]:
    """A page's text lines, each with whether a wider gap than the usual line spacing follows it."""
    chunks: list[tuple[str, float]] = []  # text as pypdf reads it, and its height on the page
    page.extract_text(visitor_text=lambda text, cm, tm, *_: chunks.append((text, tm[4] * cm[1] + tm[5] * cm[3] + cm[5])))
    lines: list[tuple[str, float | None]] = []
    text, y = "", None
    for chunk, height in chunks:
        for k, piece in enumerate(chunk.split("\n")):
            if k:
                lines.append((text, y))
                text, y = "", None
            if piece.strip() and not text.strip():
                y = height if k == 0 else None  # a line begun inside a chunk has no height of its own
            text += piece
    lines.append((text, y))
    lines = [(" ".join(t.split()), y) for t, y in lines if t.strip()]
    gaps = [(a - b) if a is not None and b is not None else None for (_, a), (_, b) in zip(lines, lines[1:])]
    gaps.append(None)  # after the page's last line: a page break is no paragraph break
    step = statistics.median([g for g in gaps if g and g > 0] or [0])
    return [(t, bool(step) and (gap or 0) > 1.4 * step) for (t, _), gap in zip(lines, gaps)]


def _pdf_text(data: bytes) -> str:
    # The text layer comes as printed lines; rebuild paragraphs: a paragraph ends where the spacing to the
    # next line is wider than usual, or at a line well short of a full one (a last line, a heading).
    lines = [line for page in _pdf_reader(data).pages for line in _page_lines(page)]
    if not lines:
        raise UndecodableText("has no text layer (a scanned PDF?): run OCR on it or add the text as .txt")
    full = sorted(len(text) for text, _ in lines)[int(len(lines) * 0.8)]
    paragraphs, current = [], ""
    for text, gap_follows in lines:
        # A hyphen at a line end is kept (it may be a real compound): the words are joined without a space.
        current = current + text if current.endswith("-") and current[-2:-1].isalpha() else f"{current} {text}".strip()
        if gap_follows or len(text) < 0.7 * full:
            paragraphs.append(current)
            current = ""
    return "\n".join(paragraphs + [current] if current else paragraphs)


def _docx_document(data: bytes):
    import zipfile

    from docx import Document

    try:
        return Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise UndecodableText(f"is not a readable DOCX file ({exc}): save it again from the word processor") from None


def _docx_text(data: bytes) -> str:
    from docx.table import Table

    lines = []
    for block in _docx_document(data).iter_inner_content():  # paragraphs and tables in reading order
        if isinstance(block, Table):
            lines += [" | ".join(cell.text.strip() for cell in row.cells) for row in block.rows]
        else:
            lines.append(block.text.strip())
    return "\n".join(line for line in lines if line.strip(" |"))


_EXTRACTORS: dict[str, Callable[[bytes], str]] = {".html": _html_text, ".htm": _html_text, ".pdf": _pdf_text, ".docx": _docx_text}


def extract_text(path: str | Path, data: bytes) -> str:
    """The text of a web page, PDF or DOCX, one paragraph per line. Raises UndecodableText when there is none."""
    return _EXTRACTORS[Path(path).suffix.lower()](data)


def _day(value: object) -> str | None:
    """A date in any of the files' forms (datetime, 'D:20240502...', '2024-05-02T...') as YYYY[-MM[-DD]]."""
    m = _ISO_DAY.match(str(value).removeprefix("D:")) if value else None
    return "-".join(g for g in m.groups() if g) if m else None


def file_metadata(path: str | Path, data: bytes) -> dict[str, str]:
    """What the file says about itself (title, author, date, ...), as metadata.yaml fields; unknown ones left out."""
    suffix = Path(path).suffix.lower()
    if suffix in (".html", ".htm"):
        import trafilatura

        tree = trafilatura.load_html(data)
        if tree is None:
            return {}
        # No extensive date search: it turns a footer's "© 2024" into 2024-01-01.
        meta = trafilatura.extract_metadata(tree, date_config={"original_date": True, "extensive_search": False})
        lang = (tree.get("lang") or "").split("-")[0].lower() or None
        found = {"title": meta.title, "author": meta.author, "publisher": meta.sitename, "date": meta.date,
                 "url": meta.url, "language": lang}
    elif suffix == ".pdf":
        info = _pdf_reader(data).metadata or {}
        found = {"title": info.get("/Title"), "author": info.get("/Author"), "date": _day(info.get("/CreationDate"))}
    elif suffix == ".docx":
        props = _docx_document(data).core_properties
        found = {"title": props.title, "author": props.author, "date": _day(props.created), "language": props.language}
    else:
        return {}
    return {key: " ".join(str(value).split()) for key, value in found.items() if value and str(value).strip()}
