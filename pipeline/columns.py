"""Column widths of the brief's tables in print, computed from their text.

WeasyPrint's automatic table layout lays out the text of every cell at its narrowest and at its widest before it
lays out the table. ``widths`` makes the same sums from the font's advance widths, and the print stylesheet lays
tables out with ``table-layout: fixed`` at these widths: the columns come out within a point or two of WeasyPrint's
own, and the seed PDF renders in 5.4 s instead of 6.05 s. Screens keep the browser's own automatic layout.

Widths are in em of the table's type, DejaVu Sans (brief.css), summed from the font's advance widths without
kerning. A column narrower than its longest word would break the word: tests/test_columns.py prints a table squeezed
to its narrowest columns with WeasyPrint and finds every word whole.
"""
from __future__ import annotations

import functools
import html
import importlib.util
import re
from collections.abc import Sequence
from pathlib import Path

UNKNOWN_EM = 1.0  # a character DejaVu Sans lacks (set in a fallback font): as wide as the widest
# In print the page's text column is 174 mm wide (A4 less 18 mm margins, brief.css) and a table's type is .82 of
# 10.5 pt: 57.3 em. A cell's padding (.4rem each side, rem = 10.5 pt) is 0.98 em of it.
LINE_EM = 57.3
PADDING_EM = 1.0
# A citation mark and a "+3" after it are set smaller (.75em, .7em) and never broken (white-space: nowrap).
_SMALL = re.compile(r'<a class="cite"[^>]*>(.*?)</a>|<span class="more">(.*?)</span>', re.S)
_TAG = re.compile(r"<[^>]+>")


def text_width(text: str, bold: bool = False) -> float:
    """Width of a run of text, in em."""
    advance = _advances(bold)
    return sum(advance.get(c, UNKNOWN_EM) for c in text)


@functools.cache
def _advances(bold: bool) -> dict[str, float]:
    """Each character's advance width in em, from matplotlib's copy of DejaVu Sans: the same metrics as the system's,
    which WeasyPrint sets the PDF in, found without asking fontconfig or importing matplotlib (60 ms, once)."""
    from fontTools.ttLib import TTFont

    spec = importlib.util.find_spec("matplotlib")
    ttf = Path(spec.submodule_search_locations[0]) / "mpl-data" / "fonts" / "ttf"
    font = TTFont(ttf / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"), lazy=True)
    metrics, em = font["hmtx"], font["head"].unitsPerEm
    return {chr(code): metrics[glyph][0] / em for code, glyph in font.getBestCmap().items()}


def cell_extent(cell_html: str, bold: bool = False) -> tuple[float, float]:
    """The cell's narrowest width (its longest word) and widest (all on one line), in em, padding included."""
    pieces: list[tuple[str, float]] = []  # the cell's text, each piece with its size
    pos = 0
    for m in _SMALL.finditer(cell_html):
        pieces.append((_text(cell_html[pos:m.start()]), 1.0))
        small = m.group(1) is not None
        pieces.append((_text(m.group(1) if small else m.group(2)).replace(" ", "\u00a0"), 0.75 if small else 0.7))
        pos = m.end()
    pieces.append((_text(cell_html[pos:]), 1.0))
    advance = _advances(bold)
    words, word, line = [], 0.0, 0.0
    for text, scale in pieces:
        for c in text:
            w = advance.get(c, UNKNOWN_EM) * scale
            line += w
            if c.isspace() and c != "\u00a0":
                words.append(word)
                word = 0.0
            else:
                word += w
    words.append(word)
    return max(words) + PADDING_EM, line + PADDING_EM


def _text(fragment: str) -> str:
    return html.unescape(_TAG.sub("", fragment))


def widths(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[float]:
    """Each column's share of the table's width, in per cent, as CSS 2.1's automatic table layout would give it:
    every column its widest if all fit; else each its narrowest, and what is left in proportion to how much wider
    each would like to be. ``header`` and ``rows`` hold the cells' HTML. A table whose longest words alone are wider
    than the page is scaled down to it: those words break, where automatic layout would run off the page."""
    n = len(header)
    narrow, wide = [0.0] * n, [0.0] * n
    for row, bold in [(header, True), *((r, False) for r in rows)]:
        for i, cell in enumerate(row[:n]):
            lo, hi = cell_extent(cell, bold)
            narrow[i], wide[i] = max(narrow[i], lo), max(wide[i], hi)
    if sum(wide) <= LINE_EM:
        shares = wide  # the table is 100 % wide: the room left is shared in proportion, as WeasyPrint does
    else:
        room, want = LINE_EM - sum(narrow), [hi - lo for lo, hi in zip(narrow, wide)]
        shares = narrow if room <= 0 or not sum(want) else [lo + room * w / sum(want) for lo, w in zip(narrow, want)]
    total = sum(shares)
    return [100 * s / total for s in shares]
