"""Decoding raw document bytes and normalising text. No knowledge of documents or metadata."""
from __future__ import annotations

import re
import unicodedata

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
# Single-byte encodings analysts meet in this field, tried only when UTF-8 fails.
_FALLBACKS = ("cp1251", "koi8_r", "cp1252", "latin_1", "iso8859_5", "mac_cyrillic")
_TYPOGRAPHIC = (
    ("\u2018", "'"), ("\u2019", "'"), ("\u201a", "'"), ("\u201b", "'"), ("\u2032", "'"),
    ("\u201c", '"'), ("\u201d", '"'), ("\u201e", '"'), ("\u00ab", '"'), ("\u00bb", '"'),
    ("\u2013", "-"), ("\u2014", "-"), ("\u2012", "-"), ("\u2212", "-"), ("\u00a0", " "), ("\u202f", " "),
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # Unicode category Cc, less newline and tab
_PLAIN_ASCII = re.compile(r"[\x20-\x7e\n\t\r]+")  # characters looks_binary never counts


class UndecodableText(ValueError):
    """The bytes are not text we can decode honestly."""


def decode(data: bytes) -> tuple[str, str]:
    """Decode document bytes; return (text, encoding). Raise UndecodableText for binary or unknown bytes."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding).lstrip("\ufeff"), encoding
            except UnicodeDecodeError as exc:
                raise UndecodableText(f"starts with a {encoding} byte-order mark but is not valid {encoding} (byte {exc.start})") from None
    if b"\x00" in data[:65536]:
        raise UndecodableText("contains NUL bytes: it is a binary file, not text")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    from charset_normalizer import from_bytes  # only paid for files that are not UTF-8

    best = from_bytes(data, cp_isolation=list(_FALLBACKS)).best()
    if best is None or best.encoding not in _FALLBACKS or best.chaos > 0.2:
        raise UndecodableText(f"is not UTF-8 (invalid byte at offset {first_bad}) and no known encoding fits: save it as UTF-8")
    return str(best), best.encoding


def normalise(text: str) -> str:
    """Unicode NFC, one kind of newline, no control characters other than newline and tab."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return _CONTROL.sub("", text)


def squash(text: str) -> str:
    """Collapse whitespace runs to one space (str.split: several times faster than a regex on long text)."""
    # Most lines have nothing to collapse, and checking costs a third of rebuilding them word by word. The
    # space is the only whitespace character str.isprintable accepts (the others are separators or controls).
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.split())


def plain_punctuation(text: str) -> str:
    """Typographic quotes, dashes and no-break spaces as their plain forms; nothing else changes."""
    # A chain of str.replace runs at memory speed; str.translate with a mapping is per character in Python.
    for typographic, plain in _TYPOGRAPHIC:
        if typographic in text:
            text = text.replace(typographic, plain)
    return text


def match_key(text: str) -> str:
    """Text as compared for alignment and duplicates: whitespace collapsed, quotes and dashes plain.

    For text already squashed, ``plain_punctuation`` gives the same: it makes whitespace only of the
    no-break spaces, which squashed text has none of.
    """
    return squash(plain_punctuation(text))


def squashed_keys(texts: list[str]) -> list[str]:
    """``match_key(t).casefold()`` of each of texts that ``squash`` left as they are, in one pass over them all.

    Such texts have no whitespace to collapse and no newline, so they are joined by newlines and split
    apart again (casefold makes no whitespace); a call per text cost 3 times as much.
    """
    return plain_punctuation("\n".join(texts)).casefold().split("\n") if texts else []


def looks_binary(text: str) -> bool:
    """True when decoded text is mostly not printable (a renamed binary that happened to decode)."""
    sample = text[:20000]
    if not sample:
        return False
    # Classify each distinct character once and count it in C: a per-character loop took 1 ms a document.
    # Leaving out printable ASCII and line breaks first (most of any text) makes that several times faster.
    rest = _PLAIN_ASCII.sub("", sample)
    bad = sum(rest.count(ch) for ch in set(rest) if unicodedata.category(ch) in ("Cc", "Co", "Cn", "Cs"))
    return bad / len(sample) > 0.05
