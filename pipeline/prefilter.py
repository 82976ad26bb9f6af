"""Literal prefilters for the codebook's case-insensitive regular expressions.

Python's ``re`` cannot skip ahead through a text with a case-insensitive pattern, so running every
cue on every sentence dominates coding a large corpus. Most cues, though, can only match where one
of a few words stands ("CSTO", "Collective Security Treaty", "ОДКБ"). ``needles`` finds such words
in a compiled pattern; a sentence whose lowercase form contains none of them cannot match, and a
substring test costs a fraction of a regex search.

The test is exact, not a heuristic: a needle is a run of literal characters that every match must
contain, and ``present`` refuses (returns None) for the rare text holding a character that ``re``
equates with a needle's letter but ``str.lower`` does not (the Kelvin sign for "k", for instance).
"""
from __future__ import annotations

import functools
import re
from re import _constants as sre  # the parsed-pattern opcodes; stable across 3.11-3.13
from re import _parser

MIN_NEEDLE = 3  # shorter runs are too common to filter anything
_ZERO_WIDTH = {sre.AT, sre.ASSERT, sre.ASSERT_NOT}
_BMP = "".join(map(chr, range(0x80, 0x10000)))


def needles(regex: re.Pattern[str]) -> frozenset[str] | None:
    """Lowercase strings one of which every match of ``regex`` contains; None when there is no such set."""
    found = _sequence(_parser.parse(regex.pattern, regex.flags))
    return frozenset(n.lower() for n in found) if found else None


def _sequence(items) -> set[str] | None:
    """Needles of a sequence: its first literal run of MIN_NEEDLE characters, or the first element with needles."""
    run: list[str] = []
    for op, av in items:
        if op is sre.LITERAL:
            run.append(chr(av))
            continue
        if op in _ZERO_WIDTH:  # consumes nothing: the literals either side stay adjacent in the text
            continue
        if len(run) >= MIN_NEEDLE:
            return {"".join(run)}
        run = []
        inner = _element(op, av)
        if inner:
            return inner
    return {"".join(run)} if len(run) >= MIN_NEEDLE else None


def _element(op, av) -> set[str] | None:
    if op is sre.BRANCH:  # every alternative needs needles, and a match goes through one of them
        alternatives = [_sequence(alt) for alt in av[1]]
        return set().union(*alternatives) if all(alternatives) else None
    if op is sre.SUBPATTERN:
        return _sequence(av[-1])
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT) and av[0] >= 1:  # matched at least once
        return _sequence(av[2])
    return None


@functools.cache
def _unusual(letter: str) -> frozenset[str]:
    """Characters ``re`` matches to ``letter`` when ignoring case whose ``str.lower`` differs from the letter's."""
    same = re.findall(re.escape(letter), _BMP + letter.upper() + letter.lower(), re.IGNORECASE)
    return frozenset(c for c in same if c.lower() != letter.lower())


def unusual_characters(all_needles: set[str]) -> frozenset[str]:
    """The characters for which the lowercase test would be wrong, for this set of needles."""
    return frozenset().union(*(_unusual(c) for c in set("".join(all_needles)))) if all_needles else frozenset()


def present(text: str, all_needles: tuple[str, ...], unusual: frozenset[str]) -> frozenset[str] | None:
    """The needles that occur in ``text`` (lowercased), or None when the text holds a character for which
    the lowercase test would be wrong: then every regex must run."""
    if not unusual.isdisjoint(text):
        return None
    low = text.lower()
    return frozenset(n for n in all_needles if n in low)

