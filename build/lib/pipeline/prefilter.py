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
    per cue whether its needles are present cost more than the regexes it saved; here a text costs one
    automaton pass, a union of the found needles' keys, and a subset test per key that needs two words.
    """

    def __init__(self, conditions: dict[Hashable, Needles | None]):
        import ahocorasick

        self.always = frozenset(k for k, n in conditions.items() if n is None)
        # Each set of needles in a conjunction is a numbered requirement, met by any of its needles.
        keys_of: dict[str, set] = {}
        meets: dict[str, set[int]] = {}
        self.conjunctive: dict[Hashable, tuple[frozenset[int], ...]] = {}  # key -> requirements of each alternative
        requirement = 0
        for key, dnf in conditions.items():
            alternatives = []
            for conj in dnf or ():
                ids = set()
                for options in conj:
                    requirement += 1
                    ids.add(requirement)
                    for needle in options:
                        keys_of.setdefault(needle, set()).add(key)
                        meets.setdefault(needle, set()).add(requirement)
                alternatives.append(frozenset(ids))
            if any(len(a) > 1 for a in alternatives):  # otherwise one needle found is the whole condition
                self.conjunctive[key] = tuple(alternatives)
        self._conjunctive_keys = frozenset(self.conjunctive)
        needles = sorted(keys_of)
        self._keys = [frozenset(keys_of[n]) for n in needles]
        self._meets = [frozenset(meets[n]) for n in needles]
        self.unusual = unusual_characters(set(needles))
        self.automaton = ahocorasick.Automaton()
        for i, needle in enumerate(needles):
            self.automaton.add_word(needle, i)
        if needles:
            self.automaton.make_automaton()
        self.empty = not needles

    def possible(self, text: str) -> frozenset | None:
        """The keys whose condition ``text`` satisfies (the only ones that can match it), or None when the
        text holds a character for which the lowercase test would be wrong: then every regex must run."""
        if not self.unusual.isdisjoint(text):
            return None
        if self.empty:
            return self.always
        found = {i for _, i in self.automaton.iter(text.lower())}
        keys = self.always.union(*[self._keys[i] for i in found])
        check = keys & self._conjunctive_keys
        if not check:
            return keys
        met = frozenset().union(*[self._meets[i] for i in found])
        return keys.difference([k for k in check if not any(alt <= met for alt in self.conjunctive[k])])
