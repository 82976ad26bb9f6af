"""Literal prefilters for the codebook's case-insensitive regular expressions.

Python's ``re`` cannot skip ahead through a text with a case-insensitive pattern, so running every
cue on every sentence dominates coding a large corpus. Most cues, though, can only match where one
of a few words stands ("CSTO", "Collective Security Treaty", "ОДКБ"). ``needles`` finds such words
in a compiled pattern; a sentence whose lowercase form contains none of them cannot match, and a
substring test costs a fraction of a regex search.

The test is exact, not a heuristic: a needle is a run of literal characters that every match must
contain, and ``Scanner.possible`` refuses (returns None) for the rare text holding a character that ``re``
equates with a needle's letter but ``str.lower`` does not (the Kelvin sign for "k", for instance).
"""
from __future__ import annotations

import functools
import re
from collections.abc import Hashable
from re import _constants as sre  # the parsed-pattern opcodes; stable across 3.11-3.13
from re import _parser

MIN_NEEDLE = 3  # shorter runs are too common to filter anything
_ZERO_WIDTH = {sre.AT, sre.ASSERT, sre.ASSERT_NOT}


# For one of the alternatives, each set has a member the match contains (see ``needles``).
Needles = tuple[tuple[frozenset[str], ...], ...]


def needles(regex: re.Pattern[str]) -> Needles | None:
    """When ``regex`` can match, in lowercase terms: for one of the returned alternatives, every set in it
    has a string that the match contains. None when no such condition can be read off the pattern.

    A pattern of alternatives (``a|b|c``, how cues spell one thing several ways) gives one condition per
    alternative, and a sequence requires each of its literal runs: "Russian (state )?(media|TV)" needs
    "russian" and one of "media", "tv", which most sentences naming Russia lack.
    """
    items = list(_parser.parse(regex.pattern, regex.flags))
    core = [(op, av) for op, av in items if op not in _ZERO_WIDTH]  # assertions consume nothing: no text to require
    alternatives = [list(alt) for alt in core[0][1][1]] if len(core) == 1 and core[0][0] is sre.BRANCH else [items]
    found = [_conjuncts(alt) for alt in alternatives]
    if not all(found):
        return None
    return tuple(tuple(frozenset(n.lower() for n in s) for s in conj) for conj in found)


def _conjuncts(items) -> list[set[str]]:
    """Sets of strings a match of the sequence contains one of, each: its literal runs and mandatory parts."""
    out: list[set[str]] = []
    run: list[str] = []
    for op, av in items:
        if op is sre.LITERAL:
            run.append(chr(av))
            continue
        if op in _ZERO_WIDTH:  # consumes nothing: the literals either side stay adjacent in the text
            continue
        if len(run) >= MIN_NEEDLE:
            out.append({"".join(run)})
        run = []
        out += _element(op, av)
    if len(run) >= MIN_NEEDLE:
        out.append({"".join(run)})
    return out


def _element(op, av) -> list[set[str]]:
    if op is sre.BRANCH:  # a match goes through one alternative: the union of one set from each
        alternatives = [_conjuncts(alt) for alt in av[1]]
        return [set().union(*(max(a, key=lambda s: min(map(len, s))) for a in alternatives))] if all(alternatives) else []
    if op is sre.SUBPATTERN:
        return _conjuncts(av[-1])
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT) and av[0] >= 1:  # matched at least once
        return _conjuncts(av[2])
    return []


@functools.cache
def _unusual(letter: str) -> frozenset[str]:
    """Characters ``re`` matches to ``letter`` when ignoring case whose ``str.lower`` differs from the letter's."""
    bmp = "".join(map(chr, range(0x80, 0x10000)))
    same = re.findall(re.escape(letter), bmp + letter.upper() + letter.lower(), re.IGNORECASE)
    return frozenset(c for c in same if c.lower() != letter.lower())


def unusual_characters(all_needles: set[str]) -> frozenset[str]:
    """The characters for which the lowercase test would be wrong, for this set of needles."""
    return frozenset().union(*(_unusual(c) for c in set("".join(all_needles)))) if all_needles else frozenset()


class Scanner:
    """Which conditions a text can satisfy, in one pass: every condition's needles in one Aho-Corasick
    automaton (pyahocorasick, in C), and per needle the conditions it serves.

    ``conditions`` maps a key (a cue) to its ``needles`` result, None meaning "always possible". Asking
    per cue whether its needles are present cost more than the regexes it saved; asking the automaton
    once per text and taking the union of the needles' conditions costs a set union per needle found.
    """

    def __init__(self, conditions: dict[Hashable, Needles | None]):
        import ahocorasick

        self.always = frozenset(k for k, n in conditions.items() if n is None)
        served: dict[str, set] = {}
        for key, dnf in conditions.items():
            for conj in dnf or ():
                for options in conj:
                    for needle in options:
                        served.setdefault(needle, set()).add(key)
        # Where each alternative needs a single set, one needle present is the whole condition; the rest are rechecked.
        self.conjunctive = {k: n for k, n in conditions.items() if n and any(len(conj) > 1 for conj in n)}
        self.unusual = unusual_characters(set(served))
        self.automaton = ahocorasick.Automaton()
        for needle, keys in served.items():
            self.automaton.add_word(needle, (needle, frozenset(keys)))
        if served:
            self.automaton.make_automaton()
        self.empty = not served

    def possible(self, text: str) -> frozenset | None:
        """The keys whose condition ``text`` satisfies (the only ones that can match it), or None when the
        text holds a character for which the lowercase test would be wrong: then every regex must run."""
        if not self.unusual.isdisjoint(text):
            return None
        if self.empty:
            return self.always
        present: set[str] = set()
        keys = set(self.always)
        for _, (needle, served) in self.automaton.iter(text.lower()):
            if needle not in present:
                present.add(needle)
                keys |= served
        for key in keys & self.conjunctive.keys():
            if not any(all(not s.isdisjoint(present) for s in conj) for conj in self.conjunctive[key]):
                keys.discard(key)
        return frozenset(keys)
