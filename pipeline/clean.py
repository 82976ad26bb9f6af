"""Cleaning rules: which source paragraphs are page furniture, boilerplate, pull quotes or endnotes.

Every rule is general (it looks at the shape of a line, never at a file name) and every removal is
recorded with its reason, so the brief can show what was stripped. The rules work on *blocks*: the
document's paragraphs in source order, numbered as in the source file.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .text import match_key, squashed_keys

# Reasons a block is not body text. The brief's methods section lists them with counts.
TITLE, FURNITURE, BOILERPLATE, DATELINE, REPEAT, PULL_QUOTE, ENDNOTE = (
    "title", "page furniture", "boilerplate", "dateline or timestamp", "repeated line", "pull quote", "endnote")

_COUNTER = re.compile(
    r"^(?:\d[\d,. ]*\s*(?:views?|shares?|comments?|likes?|reads?)\b.{0,40}"
    r"|(?:number of (?:shows|views)|views|shares|comments|likes)\s*:?\s*[\d,. ]+)$", re.I)
_TIMESTAMP = re.compile(
    r"^(?:\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}-\d{2}-\d{2})(?:,?\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_WORD_DATE = re.compile(rf"^(?:{_MONTHS}\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s+{_MONTHS}\s+\d{{4}})$", re.I)
_DOMAIN = re.compile(r"^(?:https?://)?(?:[\w-]+\.)+(?:org|com|net|kz|ru|info|io|uz|kg|cn|uk|de)/?$", re.I)
_SOURCE_LINE = re.compile(r"^(?:source|photo|image|credit)s?\s*:\s*\S.{0,60}$", re.I)
_BOILERPLATE = re.compile(
    r"stay tuned|follow us|subscribe to|(?:facebook|twitter|instagram|telegram|youtube)\b.*(?:facebook|twitter|instagram|telegram|youtube|social network)"
    r"|on our website|in our social networks|all rights reserved|published (?:by|with) .{0,80}permission|reprinted with permission"
    r"|click here|read more\b|cookies? polic", re.I)
# A piece of each _BOILERPLATE branch, as it stands in a block's casefolded key: only a key holding one is searched
# (the search tries every branch at every character: it took a third of the cleaning). None has an "i": re.I
# matches "İ" and "ı" to it, which casefold() does not make "i" (it does make "ſ" "s" and "K" "k").
_BOILERPLATE_HINTS = ("stay tuned", "follow us", "subscr", "facebook", "tter", "nstagram", "telegram", "youtube",
                      "on our webs", "n our soc", "ghts reserved", "shed by", "shed w", "nted w", "ck here", "read more", "cook")
_NAV = re.compile(r"^[A-Z][A-Z&'-]{1,20}(?:\s+[A-Z][A-Z&'-]{1,20})?$")
_NOTE_START = re.compile(r"^(\d{1,4})\.?\s+\S")
_NOTES_HEADING = re.compile(r"^(?:notes|endnotes|references|footnotes|bibliography)\s*:?$", re.I)
PULL_QUOTE_WINDOW = 12
_TERMINAL = re.compile(r"[.!?…:;,]['\"”’)\]]*\d{0,4}$")  # a trailing endnote marker does not hide the full stop
_HEADING_START = re.compile(r"^[\d\"'“‘(A-ZА-ЯЁ]")


@dataclass(frozen=True)
class Block:
    """One source paragraph: its number in the source (1-based) and its text."""

    n: int
    text: str


@dataclass(frozen=True)
class Verdict:
    """What the rules decided about a block: kept as heading/body, or dropped with a reason."""

    block: Block
    kind: str  # "heading", "body", "title", "endnote" or a drop reason
    kept: bool


def word_count(text: str) -> int:
    return len(text.split())


def is_heading(text: str, words: int) -> bool:
    """Short line (``words``: its word count) without closing punctuation that starts with a capital or a number."""
    return words <= 14 and not _TERMINAL.search(text) and bool(_HEADING_START.match(text))


def furniture_reason(text: str, words: int, key: str) -> str | None:
    """Why a line is page furniture, debris or boilerplate, or None for real text.

    ``words`` is its word count and ``key`` its casefolded match key, as ``classify`` has them.
    """
    if _COUNTER.match(text):
        return FURNITURE
    if words <= 3 and (_TIMESTAMP.match(text) or _WORD_DATE.match(text)):  # neither matches more than 3 words
        return DATELINE
    if words <= 3 and (_DOMAIN.match(text) or _NAV.match(text)):
        return FURNITURE
    if words <= 8 and _SOURCE_LINE.match(text):
        return FURNITURE
    if words <= 60 and any(hint in key for hint in _BOILERPLATE_HINTS) and _BOILERPLATE.search(text):
        return BOILERPLATE
    return None


def find_endnotes(blocks: list[Block]) -> int | None:
    """Index of the first block of a trailing run of numbered notes (ascending numbers), or None.

    Continuation lines (a URL broken across lines) and trailing furniture may sit inside the run.
    """
    numbered = [(i, int(m.group(1))) for i, b in enumerate(blocks) if (m := _NOTE_START.match(b.text))]
    if len(numbered) < 3:
        return None
    # Walk back from the last numbered block while the numbers stay consecutive.
    run = [numbered[-1]]
    for i, num in reversed(numbered[:-1]):
        if num == run[-1][1] - 1:
            run.append((i, num))
        else:
            break
    if len(run) < 3:
        return None
    start = run[-1][0]
    tail = blocks[start:]
    if sum(1 for b in tail if _NOTE_START.match(b.text)) < 0.5 * len(tail):
        return None
    if start > 0 and _NOTES_HEADING.match(blocks[start - 1].text):
        start -= 1
    return start


def strip_note_markers(text: str, numbers: set[int]) -> tuple[str, int]:
    """Remove endnote reference numbers glued to the preceding punctuation (``China.358 All``)."""
    count = 0

    def repl(m: re.Match[str]) -> str:
        nonlocal count
        if int(m.group(2)) in numbers:
            count += 1
            return m.group(1)
        return m.group(0)

    return re.sub(r"([.,;:!?'\"’”)\]])(\d{1,4})(?=\s|$)", repl, text), count


def classify(blocks: list[Block], title: str) -> list[Verdict]:
    """Apply the rules to a document's blocks (as ``split_blocks`` makes them: whitespace squashed), in order."""
    notes_from = find_endnotes(blocks)
    body = blocks if notes_from is None else blocks[:notes_from]
    keys = squashed_keys([b.text for b in body])
    # Each block's word count: its key's words are separated by single spaces, as the block's are (casefold
    # makes no whitespace).
    counts = [key.count(" ") + 1 for key in keys]
    title_key = match_key(title).casefold()
    title_words = word_count(title_key)
    verdicts: list[Verdict] = []
    seen: set[str] = set()
    for index, (block, key, words) in enumerate(zip(body, keys, counts)):
        reason = furniture_reason(block.text, words, key)
        if reason is None and title_key and index < 8 and (key == title_key or (title_key in key and words <= title_words + 6)):
            reason = TITLE
        if reason is None and key in seen:
            reason = REPEAT
        if reason is None and words <= 80 and _repeats_longer_block(key, words, keys, index):
            reason = PULL_QUOTE
        seen.add(key)
        if reason is not None:
            verdicts.append(Verdict(block, reason, kept=False))
        else:
            verdicts.append(Verdict(block, "heading" if is_heading(block.text, words) else "body", kept=True))
    if notes_from is not None:
        verdicts.extend(Verdict(b, ENDNOTE, kept=False) for b in blocks[notes_from:])
    return verdicts


def _repeats_longer_block(key: str, words: int, keys: list[str], index: int) -> bool:
    """A pull quote: a sentence-length block (``words`` long) that stands again, word for word, inside a longer block."""
    if words < 8:
        return False
    # Pull quotes sit near the passage they repeat; a window keeps this linear on huge files. The block itself
    # is not longer than itself. One search through the longer blocks joined: a key has no newline to match
    # across two, and each search of a long needle first spends time on the needle.
    longer = [other for other in keys[max(0, index - PULL_QUOTE_WINDOW):index + PULL_QUOTE_WINDOW + 1] if len(other) > len(key)]
    return key.rstrip(".") in "\n".join(longer)


def merge_endnotes(blocks: list[Block]) -> list[Block]:
    """Join continuation lines (e.g. a URL broken across lines) onto the note they belong to."""
    merged: list[Block] = []
    for block in blocks:
        if merged and not _NOTE_START.match(block.text) and not _NOTES_HEADING.match(block.text):
            last = merged[-1]
            joiner = "" if last.text.endswith(("/", "-")) else " "
            merged[-1] = Block(last.n, last.text + joiner + block.text)
        else:
            merged.append(block)
    return merged


def note_numbers(notes: Iterable[str]) -> set[int]:
    """The numbers of a document's endnotes, so only those are taken for markers in the body."""
    return {int(m.group(1)) for text in notes if (m := _NOTE_START.match(text))}
