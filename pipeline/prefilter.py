"""Literal prefilters for the codebook's case-insensitive regular expressions.

Python's ``re`` cannot skip ahead through a text with a case-insensitive pattern, so running every
cue on every sentence dominates coding a large corpus. Most cues, though, can only match where one
of a few words stands ("CSTO", "Collective Security Treaty", "ОДКБ"). ``needles`` finds such words
in a compiled pattern; a sentence whose lowercase form contains none of them cannot match, and a
substring test costs a fraction of a regex search. A cue spelling one thing several ways
("EAEU|Eurasian Economic Union|ЕАЭС") is split into its ``alternatives``, each filtered and searched on
its own: a sentence naming "Russia" runs only the alternatives that need "russia", not the whole cue.

The test is exact, not a heuristic: a needle is a run of literal characters that every match must
contain, and ``Scanner.possible`` refuses (returns None) for the rare text holding a character that ``re``
equates with a needle's letter but ``str.lower`` does not (the long s "ſ" for "s", for instance).
"""
from __future__ import annotations

import functools
import itertools
import math
import operator
import re
from collections.abc import Hashable, Iterable, Iterator
from re import _constants as sre  # the parsed-pattern opcodes; stable across 3.11-3.13
from re import _parser

MIN_NEEDLE = 3  # shorter runs are too common to filter anything
MAX_CLASS = 4  # a character class of up to this many literals is spelled out in a needle ...
MAX_SPELLINGS = 16  # ... as long as a run has at most this many spellings
MEMO_SIZE = 65536  # combinations of needles whose keys a Scanner remembers
_ZERO_WIDTH = {sre.AT, sre.ASSERT, sre.ASSERT_NOT}
_CLOSING = ".!?…'\"”’»)]"  # the last character of a sentence followed by another (corpus.split_sentences)
_INDEX = operator.itemgetter(1)  # of an automaton's hit (end, needle index)


# For one of the alternatives, each set has a member the match contains (see ``needles``).
Needles = tuple[tuple[frozenset[str], ...], ...]


def needles(regex: re.Pattern[str]) -> Needles | None:
    """When ``regex`` can match, in lowercase terms: for one of the returned alternatives, every set in it
    has a string that the match contains. None when no such condition can be read off the pattern.

    A pattern of alternatives (``a|b|c``, how cues spell one thing several ways) gives one condition per
    alternative, and a sequence requires each of its literal runs: "Russian (state )?(media|TV)" needs
    "russian" and one of "media", "tv", which most sentences naming Russia lack.
    """
    items = list(_parsed(regex))
    core = [(op, av) for op, av in items if op not in _ZERO_WIDTH]  # assertions consume nothing: no text to require
    alternatives = [list(alt) for alt in core[0][1][1]] if len(core) == 1 and core[0][0] is sre.BRANCH else [items]
    # An alternative with no longer run may still be told apart by a two-letter one ("\\bRT\\b"): that beats
    # running the cue on every sentence.
    found = [_conjuncts(alt) or _conjuncts(alt, 2) for alt in alternatives]
    if not all(found):
        return None
    return tuple(tuple(frozenset(_trimmed(n.lower()) for n in s) for s in _selective(conj)) for conj in found)


def _trimmed(needle: str) -> str:
    """The needle without the spaces at its ends (" china" from "(?:Beijing|Chinese|the) China"): still a
    part of every match, and one the cues spelling the bare word already scan for, so a text holding it
    costs one hit, not two."""
    return needle.strip(" ") if len(needle.strip(" ")) >= 2 else needle


def _selective(conj: list[set[str]]) -> list[set[str]]:
    """The requirements worth scanning for: a run such as " of " between two words of a cue is met by almost
    every sentence, so it filters nothing while its hits cost the scan time. Dropping a requirement keeps
    the test exact: it only lets more texts through to the regex."""
    strong = [s for s in conj if min(len(n.strip(" -")) for n in s) >= MIN_NEEDLE]
    return strong or conj


def _conjuncts(items, shortest: int = MIN_NEEDLE) -> list[set[str]]:
    """Sets of strings a match of the sequence contains one of, each: its literal runs and mandatory parts.

    A run may go through a small class ("U[iy]gh", "soft[- ]power"): it is then required in one of its
    spellings, which filters far better than the literals either side of the class on their own.
    """
    out: list[set[str]] = []
    run: list[set[str]] = []  # the characters each position of the current run may be
    for op, av in items:
        if op is sre.LITERAL:
            run.append({chr(av)})
            continue
        if op is sre.IN and len(av) <= MAX_CLASS and all(o is sre.LITERAL for o, _ in av):
            run.append({chr(v) for _, v in av})
            continue
        if op in _ZERO_WIDTH:  # consumes nothing: the literals either side stay adjacent in the text
            continue
        out += _spellings(run, shortest)
        run = []
        out += _element(op, av, shortest)
    return out + _spellings(run, shortest)


def _spellings(run: list[set[str]], shortest: int) -> list[set[str]]:
    """The requirements a run makes: all its spellings, or when they are too many, its plain literal stretches."""
    if math.prod(map(len, run)) <= MAX_SPELLINGS:
        return [{"".join(p) for p in itertools.product(*run)}] if len(run) >= shortest else []
    stretches = "".join(next(iter(c)) if len(c) == 1 else "\0" for c in run).split("\0")
    return [{s} for s in stretches if len(s) >= shortest]


def _element(op, av, shortest: int) -> list[set[str]]:
    if op is sre.BRANCH:  # a match goes through one alternative: the union of one set from each
        alternatives = [_conjuncts(alt, shortest) for alt in av[1]]
        return [set().union(*(max(a, key=lambda s: min(map(len, s))) for a in alternatives))] if all(alternatives) else []
    if op is sre.SUBPATTERN:
        return _conjuncts(av[-1], shortest)
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT) and av[0] >= 1:  # matched at least once
        return _conjuncts(av[2], shortest)
    return []


def anchors(regex: re.Pattern[str], found: Needles | None) -> frozenset[str] | None:
    """Needles of the pattern (from ``found``, its ``needles``), one of which every match begins with, in
    lowercase terms; None when no set of them is known to. A search then need only try where one of them
    stands in the text's lowercase form.
    """
    starts = _starts(list(_parsed(regex)))
    if not starts or found is None:
        return None
    every = {n for conj in found for options in conj for n in options}
    # The shortest that each start begins with: a match beginning "russian" begins "russia" too, and trying both
    # would try the same places twice.
    firsts = [min((n for n in every if p.startswith(n)), key=len, default=None) for p in starts]
    return None if None in firsts else frozenset(firsts)


def _starts(items) -> set[str] | None:
    """Lowercase strings one of which every match of the sequence begins with; None when not known."""
    run: list[set[str]] = []  # as in ``_conjuncts``: the characters each position of the leading run may be
    for op, av in items:
        if op is sre.LITERAL:
            run.append({chr(av)})
        elif op is sre.IN and len(av) <= MAX_CLASS and all(o is sre.LITERAL for o, _ in av):
            run.append({chr(v) for _, v in av})
        elif op in _ZERO_WIDTH:  # consumes nothing: the match begins with what follows
            continue
        elif run:
            break
        elif op is sre.SUBPATTERN:
            return _starts(av[-1])
        elif op is sre.BRANCH:  # a match goes through one alternative: it begins as that one does
            each = [_starts(alt) for alt in av[1]]
            return set().union(*each) if all(each) else None
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT) and av[0] >= 1:
            return _starts(av[2])
        else:
            return None
    while math.prod(map(len, run)) > MAX_SPELLINGS:  # a shorter prefix is still one every match begins with
        run.pop()
    return {"".join(p).lower() for p in itertools.product(*run)} if run else None


def unusual_characters(all_needles: set[str]) -> frozenset[str]:
    """The characters for which the lowercase test would be wrong, for this set of needles: those ``re``
    equates with a needle's letter when ignoring case but whose ``str.lower`` differs from the letter's."""
    letters = set("".join(all_needles))
    if not letters:
        return frozenset()
    # One pass over the Basic Multilingual Plane finds every character ``re`` equates with some letter (a pass
    # per letter took 0.37 s on each build); each of those few is then checked against each letter.
    candidates = set(re.findall("[" + re.escape("".join(sorted(letters))) + "]", _bmp(), re.IGNORECASE))
    single = {letter: re.compile(re.escape(letter), re.IGNORECASE) for letter in letters}
    return frozenset(c for c in candidates for letter, rx in single.items()
                     if rx.fullmatch(c) and c.lower() != letter.lower())


def alternatives(regex: re.Pattern[str]) -> list[re.Pattern[str]] | None:
    """The pattern's top-level alternatives compiled on their own ("a|b(c|d)" gives "a" and "b(c|d)"), or
    None when it has one, or when splitting could change what its parts mean (group references, verbose
    syntax). The pattern matches a text exactly where one of its alternatives does."""
    if regex.flags & re.VERBOSE or any(op in (sre.GROUPREF, sre.GROUPREF_EXISTS) for op, _ in _ops(_parsed(regex))):
        return None
    pattern, parts, start, depth, i = regex.pattern, [], 0, 0, 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 1
        elif c == "[":  # a class: "|" and parentheses in it are literal; "]" first in it too
            i += 2 if pattern[i + 1:i + 2] == "^" else 1
            i += 1 if pattern[i:i + 1] == "]" else 0
            while i < len(pattern) and pattern[i] != "]":
                i += 2 if pattern[i] == "\\" else 1
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    parts.append(pattern[start:])
    return [re.compile(p, regex.flags) for p in parts] if len(parts) > 1 else None


def _ops(items) -> Iterator[tuple]:
    """Every (op, av) of a parsed pattern, nested ones included."""
    for op, av in items:
        yield op, av
        for x in av if isinstance(av, (tuple, list)) else (av,):
            for sub in (x if isinstance(x, list) else [x]):
                if isinstance(sub, _parser.SubPattern):
                    yield from _ops(sub)


def looks_back(regex: re.Pattern[str]) -> bool:
    """True when the pattern can look before where a search starts (``^``, ``\\A``, a lookbehind): then
    ``regex.search(text, start, end)`` may differ from searching ``text[start:end]``, and the caller must slice."""
    starts = {sre.AT_BEGINNING, sre.AT_BEGINNING_LINE, sre.AT_BEGINNING_STRING}
    return any(op is sre.AT and av in starts or op in (sre.ASSERT, sre.ASSERT_NOT) and av[0] < 0
               for op, av in _ops(_parsed(regex)))


@functools.lru_cache(maxsize=4096)
def _parsed(regex: re.Pattern[str]) -> _parser.SubPattern:
    """The pattern's parse tree, read only: needles, anchors, looks_back and alternatives each walk it, and parsing
    it for each was most of the time of loading a codebook."""
    return _parser.parse(regex.pattern, regex.flags)


@functools.cache
def _bmp() -> str:
    return "".join(map(chr, range(0x10000)))


def _sentences_of(text: str, parts: list[tuple[int, int]]) -> bool:
    """Whether the parts cover the text but for one space after each but the last, which ends as a sentence does."""
    if not parts or parts[0][0] != 0 or parts[-1][1] != len(text):
        return False
    return all(text[end:start] == " " and text[end - 1] in _CLOSING for (_, end), (start, _) in zip(parts, parts[1:]))


class Scanner:
    """Which conditions a text can satisfy, in one pass: every condition's needles in one Aho-Corasick
    automaton (pyahocorasick, in C), and per needle the conditions it serves.

    ``conditions`` maps a key (a cue's alternative) to its ``needles`` result, None meaning "always
    possible". Asking per key whether its needles are present cost more than the regexes it saved; here a
    sentence costs one automaton pass (``needles_in``), and the keys its needles allow a union of the keys
    each settles plus a subset test for the keys that need two words (``keys_for``, remembered).
    """

    def __init__(self, conditions: dict[Hashable, Needles | None]):
        import ahocorasick

        self.always = frozenset(k for k, n in conditions.items() if n is None)
        # Each set of needles in a conjunction is a numbered requirement, met by any of its needles.
        # A needle settles the keys with an alternative that needs nothing else ("sure"); for the others it
        # meets one requirement of an alternative that needs several ("maybe", checked against all found).
        sure: dict[str, set] = {}
        maybe: dict[str, set] = {}
        meets: dict[str, set[int]] = {}
        self.conjunctive: dict[Hashable, list[frozenset[int]]] = {}  # key -> requirements of its multi-part alternatives
        requirement = 0
        for key, dnf in conditions.items():
            for conj in dnf or ():
                ids = set()
                for options in conj:
                    requirement += 1
                    ids.add(requirement)
                    for needle in options:
                        (sure if len(conj) == 1 else maybe).setdefault(needle, set()).add(key)
                        meets.setdefault(needle, set()).add(requirement)
                if len(ids) > 1:
                    self.conjunctive.setdefault(key, []).append(frozenset(ids))
        needles = sorted(sure.keys() | maybe.keys())
        self._sure = [frozenset(sure.get(n, ())) for n in needles]
        self._maybe = [frozenset(maybe.get(n, ())) for n in needles]
        self._meets = [frozenset(meets[n]) for n in needles]
        self._length = [len(n) for n in needles]
        self.unusual = unusual_characters(set(needles))
        self._crosses = any(c + " " in n for n in needles for c in _CLOSING)
        self.automaton = ahocorasick.Automaton()
        for i, needle in enumerate(needles):
            self.automaton.add_word(needle, i)
        if needles:
            self.automaton.make_automaton()
        self.empty = not needles
        self._memo: dict[frozenset[int], frozenset] = {}

    def possible(self, text: str) -> frozenset | None:
        """The keys whose condition ``text`` satisfies (the only ones that can match it), or None when the
        text holds a character for which the lowercase test would be wrong: then every regex must run."""
        if self._has_unusual(text):
            return None
        if self.empty:
            return self.always
        return self.keys_for({i for _, i in self.automaton.iter(text.lower())})

    def _has_unusual(self, text: str) -> bool:
        # A substring test per character (a handful) runs at memory speed; ``isdisjoint`` hashes every character of the text.
        return any(c in text for c in self.unusual)

    def lowered(self, text: str) -> str | None:
        """``text.lower()``, where needles are looked for, or None when the lowercase test would be wrong for the
        text or its lowercase form has other offsets (then a needle's place in it is not one in the text)."""
        low = text.lower()
        return None if self._has_unusual(text) or len(low) != len(text) else low

    def needles_in(self, low: str, parts: list[tuple[int, int]]) -> tuple[list[frozenset[int]], frozenset[int]]:
        """The needles (indices for ``keys_for``) found in each part ``(start, end)`` of ``low`` (a text's
        ``lowered`` form: its sentences) and in the whole of it: one automaton pass per part, and over the whole
        only when a needle could run across two parts. ``parts`` are in order and do not overlap."""
        if self.empty:
            return [frozenset() for _ in parts], frozenset()
        scan = self.automaton.iter
        # Collected in C, not a Python loop per hit; frozen, as keys_for's memo needs them (no copy there).
        found = [frozenset(map(_INDEX, scan(low, start, end))) for start, end in parts]
        # Parts that are a text's sentences leave out only the space after each one's closing punctuation, and
        # no needle runs across such a space unless it holds one itself: then the parts' needles are the text's.
        every = frozenset().union(*found) if not self._crosses and _sentences_of(low, parts) else frozenset(map(_INDEX, scan(low)))
        return found, every

    def needles_of(self, keys: Iterable[Hashable]) -> frozenset[int]:
        """The needles (indices) that the conditions of ``keys`` use. No other needle bears on those keys: for them,
        ``keys_for(found & needles_of(keys))`` decides as ``keys_for(found)`` does, and its memo sees fewer combinations."""
        keys = set(keys)
        return frozenset(i for i, (sure, maybe) in enumerate(zip(self._sure, self._maybe))
                         if not (keys.isdisjoint(sure) and keys.isdisjoint(maybe)))

    def keys_for(self, found: Iterable[int]) -> frozenset:
        """The keys whose condition the needles ``found`` (indices from ``needles_in``) satisfy.

        Remembered per set of needles: a corpus's sentences name the same few things ("russia", "china") in
        few combinations, and working a combination out costs as much as the regexes it saves.
        """
        found = frozenset(found)
        keys = self._memo.get(found)
        if keys is None:
            if len(self._memo) >= MEMO_SIZE:
                self._memo.clear()
            keys = self._memo[found] = self._keys_for(found)
        return keys

    def _keys_for(self, found: frozenset[int]) -> frozenset:
        if not found:
            return self.always
        keys = self.always.union(*[self._sure[i] for i in found])
        check = frozenset().union(*[self._maybe[i] for i in found]) - keys
        if not check:
            return keys
        met = frozenset().union(*[self._meets[i] for i in found])
        return keys.union([k for k in check if any(map(met.issuperset, self.conjunctive[k]))])
