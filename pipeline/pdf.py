"""Child-process entry point: ``python -m pipeline.pdf IN.html OUT.pdf [--wait]``.

With ``--wait`` it imports WeasyPrint, then waits for a line "print" on stdin before reading IN.html.

Only ``data:`` URIs are fetched; any other URL (file://, http://, relative paths) is refused, and the
refusal is reported on stderr. Exit 3 when WeasyPrint or its system libraries are missing.
"""
from __future__ import annotations

import contextlib
import gc
import re
import subprocess
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def _one_library_listing() -> Iterator[None]:
    """Look libraries up in one ``ldconfig -p`` listing while WeasyPrint loads its own.

    WeasyPrint asks cffi for each of its 7 libraries under several names, and cffi asks
    ``ctypes.util.find_library``, which on Linux runs ldconfig, then gcc, then ld for each name it does not
    know: 26 lookups and 90 processes, 0.4 of the 0.7 s that importing WeasyPrint took. A name missing from
    the listing is not searched further: WeasyPrint goes on to the library's file name (libpango-1.0.so.0),
    which the dynamic loader finds itself.
    """
    import ctypes.util

    try:
        listing = subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, text=True, timeout=10,
                                 env={"LC_ALL": "C", "LANG": "C"}).stdout
    except (OSError, subprocess.SubprocessError):  # no glibc ldconfig: leave the lookup as it is
        yield
        return

    def find_library(name: str) -> str | None:
        found = re.search(rf"^\s+(lib{re.escape(name)}\.\S+)\s+\(", listing, re.M)
        return found.group(1) if found else None

    real, ctypes.util.find_library = ctypes.util.find_library, find_library
    try:
        yield
    finally:
        ctypes.util.find_library = real


class _Run(str):
    """A text that iterates as one piece, so that WeasyPrint's SVG text code lays it out as one run."""

    def __iter__(self) -> Iterator[str]:
        yield str(self)


# Attributes that place glyphs one by one; a <text> with any of them keeps WeasyPrint's letter-by-letter layout.
_PER_GLYPH = frozenset({"dx", "dy", "rotate", "textLength", "letter-spacing"})


@contextlib.contextmanager
def svg_text_in_runs() -> Iterator[None]:
    """Lay out and draw each plain SVG ``<text>`` as one run of glyphs, not one Pango layout per letter.

    WeasyPrint (70.0) lays out every letter of SVG text on its own so that per-glyph x, y, dx, dy and rotate
    lists work. The charts never use them, and their 272 labels (3,153 letters) took 0.46 s of the seed
    brief's 4.20 s PDF (``benchmarks/ab.py --case cold``: 3.74 s in runs). WeasyPrint's own function still
    does the work: it is handed the text as one "letter", so style, anchor, bounding box and emoji handling
    stay its own. A run is also kerned and shaped as a whole, as browsers draw SVG text: a corpus title in a
    label keeps its accents on their letters, and Arabic is joined and runs right to left, which laid out
    letter by letter it did not.
    """
    try:
        import weasyprint.svg as svg
        from weasyprint.svg.utils import normalize

        letter_by_letter = svg.TAGS["text"]
    except (ImportError, AttributeError, KeyError):  # another WeasyPrint layout: draw as it does
        yield
        return

    def in_runs(drawing, node, font_size):
        element, attributes = getattr(node, "_etree_node", None), getattr(node, "attrib", {})
        if (not isinstance(getattr(element, "text", None), str) or _PER_GLYPH & attributes.keys()
                or any(len(normalize(attributes.get(xy, "")).split()) > 1 for xy in ("x", "y"))):
            return letter_by_letter(drawing, node, font_size)
        text, element.text = element.text, _Run(element.text)
        try:
            return letter_by_letter(drawing, node, font_size)
        finally:
            element.text = text

    tags = [tag for tag, draw in svg.TAGS.items() if draw is letter_by_letter]
    # draw_node finds text nodes (for text-anchor) by comparing TAGS[tag] with the module's `text`
    svg.TAGS.update(dict.fromkeys(tags, in_runs))
    svg.text = in_runs
    try:
        yield
    finally:
        svg.TAGS.update(dict.fromkeys(tags, letter_by_letter))
        svg.text = letter_by_letter


def main(argv: list[str]) -> int:
    source, target, *options = argv
    try:
        with _one_library_listing():
            from weasyprint import HTML
    except (ImportError, OSError) as exc:
        print(f"WeasyPrint is not usable ({exc}); install it with '.venv/bin/pip install weasyprint' "
              "(and the Debian package libpango-1.0-0 if a library is missing)", file=sys.stderr)
        return 3
    import logging

    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    fonts = FontConfiguration()  # fontconfig set-up, done while waiting
    if "--wait" in options and sys.stdin.readline().strip() != "print":
        return 0  # started early by the build, which ended without asking for the PDF
    with open(source, encoding="utf-8") as fh:
        page = fh.read()

    class DataOnly(URLFetcher):
        def fetch(self, url, headers=None):
            if not url.startswith("data:"):
                print(f"refused to fetch {url[:100]}", file=sys.stderr)
            return super().fetch(url, headers)

    fetcher = DataOnly(allowed_protocols=("data",), allow_redirects=False, timeout=1)
    # WeasyPrint allocates millions of small objects and this process exits right after: cycle collections
    # only cost time (0.4 of 2.9 s on the seed brief; the PDF is byte-identical, peak memory +4 MB).
    gc.disable()
    document = HTML(string=page, base_url="about:blank", url_fetcher=fetcher, media_type="print")
    with svg_text_in_runs():
        document.write_pdf(target, font_config=fonts)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
