"""Actors and quotes: the gazetteer, actor mentions, co-occurrence, direct quotes and attributed claims.

Re-exported by ``pipeline.extract``. Matching is case-sensitive on word boundaries ("EU" never matches
inside "EUR" or "neutral"); aliases list every spelling, Cyrillic included. People the gazetteer does not
know are found from titles and appositions ("Foreign Minister Kairat Abdrakhmanov", "Temur Umarov, a
research fellow at ...") and get the id ``person:<slug>``.
"""
from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache, partial
from itertools import combinations
from operator import is_, itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import yaml

from .codebook import YamlLoader
from .errors import CodebookError
from .records import record

if TYPE_CHECKING:
    from .corpus import Document, Paragraph

DEFAULT_GAZETTEER = Path(__file__).resolve().parent.parent / "codebook" / "actors.yaml"
KINDS = ("person", "organisation", "state", "place")


@dataclass(frozen=True)
class Actor:
    id: str
    name: str
    kind: str  # person | organisation | state | place
    aliases: tuple[str, ...]
    role: str | None = None
    stands_for: str | None = None  # places: the state a capital names when used as a metonym


@record
class Mention:
    actor_id: str
    name: str
    kind: str
    paragraph_id: str
    text: str  # as written
    role: str | None = None  # a title or apposition found with an unlisted person ("Foreign Minister")
    sentence_id: str | None = None


@record
class Quote:
    paragraph_id: str
    sentence_id: str  # the sentence where the quoted text starts
    speaker: str | None
    text: str  # verbatim slice of the paragraph
    kind: str  # "direct" (in quotation marks) or "attributed" ("X believes that ...")


# --- gazetteer ------------------------------------------------------------------------------------

def load_gazetteer(path: str | Path = DEFAULT_GAZETTEER) -> list[Actor]:
    """Read and validate the actors file; raise CodebookError naming the file and the faulty entry."""
    path = Path(path)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=YamlLoader)  # noqa: S506 - a SafeLoader subclass
    except FileNotFoundError:
        raise CodebookError(f"{path}: no such file: create it with an 'actors:' list") from None
    except yaml.YAMLError as exc:
        raise CodebookError(f"{path}: not valid YAML ({exc})") from None
    entries = raw.get("actors") if isinstance(raw, dict) else raw
    if not isinstance(entries, list):
        raise CodebookError(f"{path}: expected an 'actors:' list of entries")
    actors: list[Actor] = []
    ids: set[str] = set()
    alias_owner: dict[str, str] = {}
    for i, entry in enumerate(entries, 1):
        where = f"{path}: actor entry {i}"
        if not isinstance(entry, dict):
            raise CodebookError(f"{where}: expected a mapping with id, name, kind, aliases")
        for key in ("id", "name"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise CodebookError(f"{where}: missing '{key}'")
        aid = entry["id"].strip()
        where = f"{path}: actor '{aid}' (entry {i})"
        if aid in ids:
            raise CodebookError(f"{where}: duplicate id '{aid}'")
        if entry.get("kind") not in KINDS:
            raise CodebookError(f"{where}: unknown kind '{entry.get('kind')}': use one of {', '.join(KINDS)}")
        aliases = entry.get("aliases") or []
        if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
            raise CodebookError(f"{where}: 'aliases' must be a list of non-empty strings")
        aliases = tuple(dict.fromkeys([entry["name"].strip(), *(a.strip() for a in aliases)]))
        for alias in aliases:
            if alias_owner.setdefault(alias, aid) != aid:
                raise CodebookError(f"{where}: alias '{alias}' already belongs to '{alias_owner[alias]}'")
        ids.add(aid)
        actors.append(Actor(aid, entry["name"].strip(), entry["kind"], aliases, entry.get("role"), entry.get("stands_for")))
    for a in actors:
        if a.stands_for and a.stands_for not in ids:
            raise CodebookError(f"{path}: actor '{a.id}': stands_for '{a.stands_for}' is not an actor id")
    return actors


class _AliasIndex(NamedTuple):
    pattern: re.Pattern[str]
    owner: dict[str, Actor]  # alias -> actor
    metonymic: dict[str, Actor]  # alias -> the state a capital stands for, or the owner


@lru_cache(maxsize=8)
def _alias_index(gazetteer: tuple[Actor, ...]) -> _AliasIndex:
    """The pattern of every alias, and who owns each."""
    owner = {alias: a for a in gazetteer for alias in a.aliases}
    by_id = {a.id: a for a in gazetteer}
    metonymic = {alias: by_id[a.stands_for] if a.stands_for in by_id else a for alias, a in owner.items()}
    return _AliasIndex(_whole_words(owner), owner, metonymic)


_last_index: list[tuple[tuple[Actor, ...], _AliasIndex]] = []


def _index_of(gazetteer: list[Actor]) -> _AliasIndex:
    """``_alias_index`` of the gazetteer; when it holds the very actors of the last call, without hashing them
    again (71 actors: 5 % of the time of actor extraction, done for each document)."""
    if _last_index and len(_last_index[0][0]) == len(gazetteer) and all(map(is_, _last_index[0][0], gazetteer)):
        return _last_index[0][1]
    actors = tuple(gazetteer)
    _last_index[:] = [(actors, _alias_index(actors))]
    return _last_index[0][1]


def _whole_words(words: Iterable[str]) -> re.Pattern[str]:
    """Any of ``words`` between non-word characters; the longest where several start at one place ("Xi
    Jinping", not "Xi").

    The words make a trie, written as nested alternations. The branches of a node start with different
    characters, so at a given place at most one can go on; a node's own end is tried after its branches. The
    first match is thus the longest word, as with one alternation of all words, longest first; but ``re``
    tries each word of such an alternation wherever a word may start (244 aliases: about half the time of
    actor extraction), and one path of the trie here. Each top branch opens with its literal first
    character (the check that no word character precedes comes after it), so ``re`` skips to those
    characters without trying the pattern elsewhere.
    """
    trie: dict[str, dict] = {}
    for word in words:
        node = trie
        for c in word:
            node = node.setdefault(c, {})
        node[""] = {}  # a word ends here

    def branches(node: dict[str, dict], top: bool = False) -> str:
        alts = [re.escape(c) + (rf"(?<!\w{re.escape(c)})" if top else "") + branches(child)
                for c, child in node.items() if c]
        if "" in node:  # a word ends here: tried after the longer ones
            alts.append(r"(?<!\w)" if top else "")
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    return re.compile(branches(trie, top=True) + r"(?!\w)" if trie else r"(?!x)x")


_NO_WORDS = _whole_words(())


# --- unlisted people ------------------------------------------------------------------------------

_TITLES = {"president", "prime", "minister", "foreign", "senator", "ambassador", "professor", "assistant", "associate",
           "dr", "dr.", "deputy", "chairman", "chair", "secretary", "governor", "mayor", "general", "colonel",
           "scientist", "economist", "expert", "analyst", "journalist", "activist", "businessman", "businesswoman",
           "leader", "spokesman", "spokeswoman", "spokesperson", "researcher", "fellow", "director", "head", "akim",
           "chief", "commander", "blogger", "writer", "historian", "sociologist", "lawyer", "official", "diplomat",
           "member", "speaker", "moderator", "chancellor", "premier", "envoy", "adviser", "advisor", "mp"}
_ROLE_START = re.compile(r",\s(?P<role>(?:an?\s|the\s|senior\s|assistant\s|deputy\s|head\s|director\s|chair|professor\s|"
                         r"former\s|leader\s)[^,.;]{3,90}?)(?=[,.;]|$)")
_NOT_NAME = {"The", "A", "An", "In", "On", "At", "For", "But", "And", "As", "According", "However", "This", "That",
             "If", "When", "While", "After", "Before", "Since", "Of", "To", "By", "With", "From", "It", "He", "She",
             "They", "We", "Mr", "Mrs", "Ms", "Party", "Republic", "University", "Center", "Centre", "Institute",
             "Foundation", "Ministry", "Council", "Bank", "Forum", "Club", "Union", "Organization", "Organisation"}


def slug(name: str) -> str:
    return re.sub(r"[^\w]+", "-", name.lower()).strip("-")


class _RunPatterns(NamedTuple):
    full: re.Pattern[str]  # the definition
    plain: re.Pattern[str]  # the same runs in a sentence where no capital follows one of [\d_’'-]
    mixed: re.Pattern[str]  # finds such a capital


# Capital letters stop at the end of the Supplementary Multilingual Plane: the planes above hold ideographs, tags
# and private use. Scanning only up to there takes a tenth of the time (0.07 s at every start of extraction);
# a test checks it against the whole range.
CAPITALS_END = 0x20000


def capitals(end: int) -> list[str]:
    """The capital letters (``isupper()`` letters) below code point ``end``."""
    letter = re.compile(r"[^\W\d_]")
    return [c for c in filter(str.isupper, map(chr, range(end))) if letter.match(c)]


@lru_cache(maxsize=1)
def _capital_run_patterns() -> _RunPatterns:
    r"""Runs of two or more capitalised tokens, a token being ``[^\W\d_][\w’'-]*\.?`` scanned left to right.

    Such a scan starts a token at a letter exactly when no letter precedes it in its stretch of [\w’'-]
    characters: the lookbehind and the ``[\d_’'-]*`` prefix of ``full`` say that. A token is capitalised
    when its first character ``isupper()``: ``re`` has no class for that, so it is built once from the
    Unicode table. The next token joins a run only after exactly one space. A single capitalised word is
    never a name here, and asking for two tokens skips making a match object for each of them (the
    synthetic 1,000-document corpus has 94,000 single ones to 15,500 runs).

    ``re`` tests a character against the 1,100 capitals below U+10000 with one table lookup, but against
    the 700 above one by one: a class of all of them cost 6 times as much as the rest of the scan. So a
    token opens with a character of the first class or any above U+10000, and the whole class checks that
    character again (quickly, or rarely).

    ``full`` opens with a lookbehind, so ``re`` tries it at every character of the sentence. Where no
    capital directly follows one of [\d_’'-] (no ``mixed`` match), a run can only start at a capital not
    preceded by [\w’'-]: ``plain`` opens with the capitals' class, which ``re`` skips ahead to, and checks
    the character before afterwards: on that corpus the scan takes half the time (0.07 s against 0.13 s).
    """
    upper = capitals(CAPITALS_END)
    first = rf"[{re.escape(''.join(c for c in upper if c < chr(0x10000)))}\U00010000-\U0010ffff]"
    is_upper = rf"(?<=[{re.escape(''.join(upper))}])"
    token = rf"{first}{is_upper}[\w’'-]*\.?"
    return _RunPatterns(re.compile(rf"(?<![\w’'-])[\d_’'-]*(?P<run>{token}(?: {token})+)"),
                        re.compile(rf"(?P<run>{first}{is_upper}(?<![\w’'-].)[\w’'-]*\.?(?: {token})+)"),
                        re.compile(rf"[\d_’'-]{first}"))


@lru_cache(maxsize=4096)  # quotes and actors ask for the same sentences: compute each once
def _capital_runs(sentence: str) -> tuple[tuple[int, int, tuple[str, ...]], ...]:
    """Runs of two or more capitalised tokens: (start, end, tokens)."""
    patterns = _capital_run_patterns()
    pattern = patterns.full if patterns.mixed.search(sentence) else patterns.plain
    return tuple((m.start("run"), m.end("run"), tuple(m.group("run").split(" "))) for m in pattern.finditer(sentence))


_ARTICLES = {"a", "an", "the", "and", "or", "of", "by", "with", "to", "as", "for", "in", "on", "at", "said", "says"}


def _role_before(before: str) -> str | None:
    """The title just before a name: "Kazakh political scientist X", or "China's ambassador to Kazakhstan, X"."""
    if before.endswith(", "):
        segment = re.split(r"[,;:(]", before[:-2])[-1]
        words = segment.split()
        for i, w in enumerate(words):
            if w.lower() in _TITLES:
                return " ".join(words[i:])
        return None
    words = before.split()
    if not words or words[-1].lower() not in _TITLES or not before.endswith(" "):
        return None
    k = len(words) - 1
    while k > 0 and len(words) - k < 4 and words[k - 1].lower() not in _ARTICLES and words[k - 1][-1].isalpha():
        k -= 1
    return " ".join(words[k:])


@lru_cache(maxsize=4096)  # quotes and actors ask for the same sentences: compute each once
def _titled_people(sentence: str) -> tuple[tuple[int, int, str, str], ...]:
    """(start, end, name, role) of people introduced by a title or an apposition."""
    found = []
    for start, end, tokens in _capital_runs(sentence):
        lead = 0
        while lead < len(tokens) and tokens[lead].lower().rstrip(".") in _TITLES:
            lead += 1
        name_tokens = tokens[lead:]
        if len(name_tokens) < 2 or len(name_tokens) > 3 or any(t.rstrip(".’'") in _NOT_NAME for t in name_tokens):
            continue
        if any(t.endswith((".", "’s", "'s")) for t in name_tokens[:-1]):
            continue
        offset = start + sentence[start:end].index(name_tokens[0])
        name_end = offset + len(" ".join(name_tokens))
        name = sentence[offset:name_end].rstrip(".")
        if name.endswith(("’s", "'s")):
            name = name[:-2]
        role = " ".join(tokens[:lead]) if lead else None
        if role is None:
            role = _role_before(sentence[max(0, offset - 200):offset])  # bounded: linear on long sentences
        if role is None:
            appos = _ROLE_START.match(sentence, offset + len(name))
            if appos:
                role = appos.group("role").strip()
        if role:
            found.append((offset, offset + len(name), name, role))
    return tuple(found)


def extract_actors(paragraph: Paragraph, gazetteer: list[Actor], *, metonyms: bool = False,
                   known: dict[str, tuple[str, str, str | None]] | None = None) -> list[Mention]:
    """Mentions of gazetteer actors and of titled people in a paragraph, in reading order.

    ``metonyms=True`` maps a capital with ``stands_for`` to its state ("Beijing" -> China). ``known`` maps
    extra surface forms (surnames of people introduced earlier) to (id, name, role).
    """
    return _mentions(paragraph, _index_of(gazetteer), metonyms, known or {}, _whole_words(known or ()))


def _mentions(paragraph: Paragraph, index: _AliasIndex, metonyms: bool,
              known: dict[str, tuple[str, str, str | None]], surnames: re.Pattern[str]) -> list[Mention]:
    """``extract_actors`` with the gazetteer's alias index and the pattern of ``known`` built by the caller."""
    pattern, actors = index.pattern, index.metonymic if metonyms else index.owner
    pid, whole = paragraph.id, paragraph.text
    out: list[Mention] = []
    for k, (start, end) in enumerate(paragraph.spans):
        text = whole[start:end]
        aliases = pattern.findall(text)  # no match objects: where they are matters in few sentences
        people = _titled_people(text)
        named = bool(known) and surnames.search(text) is not None
        if not (aliases or people or named):
            continue  # most sentences: no id to make
        sid = paragraph.sentence_id(k)
        first = len(out)
        for alias in aliases:
            a = actors[alias]
            out.append(Mention(a.id, a.name, a.kind, pid, alias, a.role, sid))
        if people or named:
            out[first:] = _with_people(text, pattern, out[first:], people, known, surnames, pid, sid)
    return out


def _with_people(text: str, pattern: re.Pattern[str], listed: list[Mention],
                 people: tuple[tuple[int, int, str, str], ...], known: dict[str, tuple[str, str, str | None]],
                 surnames: re.Pattern[str], pid: str, sid: str) -> list[Mention]:
    """A sentence's mentions of gazetteer actors (``listed``, found by ``pattern``), its titled people and the
    known people named by surname where no gazetteer actor is, in reading order."""
    taken = [m.span() for m in pattern.finditer(text)]
    found = [(start, m) for (start, _), m in zip(taken, listed)]
    for start, end, name, role in people:
        if not any(a < end and start < b for a, b in taken):
            found.append((start, Mention(f"person:{slug(name)}", name, "person", pid, name, role, sid)))
            taken.append((start, end))
    for m in surnames.finditer(text):
        if not any(a < m.end() and m.start() < b for a, b in taken):
            aid, name, role = known[m.group()]
            found.append((m.start(), Mention(aid, name, "person", pid, m.group(), role, sid)))
    found.sort(key=itemgetter(0))  # stable: as the old sort on (sentence, start)
    return [m for _, m in found]


def extract_document_actors(document: Document, gazetteer: list[Actor], *, metonyms: bool = False) -> list[Mention]:
    """Mentions across a document; an unlisted person introduced once is recognised by surname later on."""
    index = _index_of(gazetteer)
    known: dict[str, tuple[str, str, str | None]] = {}
    surnames: re.Pattern[str] | None = None  # the pattern of known, compiled when a paragraph may need it
    out: list[Mention] = []
    for p in document.paragraphs:
        # A paragraph holding none of the surnames as text has no match of their pattern: most paragraphs, once
        # known is not empty. Compiling it each time a person was added took a twelfth of actor extraction.
        if any(name in p.text for name in known):
            surnames = surnames or _whole_words(known)
            mentions = _mentions(p, index, metonyms, known, surnames)
        else:
            mentions = _mentions(p, index, metonyms, {}, _NO_WORDS)
        out.extend(mentions)
        before = len(known)
        for m in mentions:
            if m.actor_id.startswith("person:") and " " in m.name:
                known.setdefault(m.name.split()[-1], (m.actor_id, m.name, m.role))
        if len(known) > before:  # keys are only ever added
            surnames = None
    return out


def co_occurrence(mentions: list[Mention]) -> dict[tuple[str, str], int]:
    """Number of paragraphs in which each pair of actors (ids sorted) is mentioned together."""
    per_paragraph: dict[str, set[str]] = {}
    for m in mentions:
        per_paragraph.setdefault(m.paragraph_id, set()).add(m.actor_id)
    pairs: dict[tuple[str, str], int] = {}
    for ids in per_paragraph.values():
        for pair in combinations(sorted(ids), 2):
            pairs[pair] = pairs.get(pair, 0) + 1
    return pairs


# --- quotes ---------------------------------------------------------------------------------------

_VERBS = (r"(?:believes?|believed|emphasi[sz]e[sd]?|stress(?:es|ed)?|says|said|not(?:es|ed)|argu(?:es|ed)|claim(?:s|ed)|"
          r"contend(?:s|ed)?|thinks?|thought|warn(?:s|ed)|reiterat(?:es|ed)|add(?:s|ed)|explain(?:s|ed)|observ(?:es|ed)|"
          r"insist(?:s|ed)|maintain(?:s|ed)|stat(?:es|ed)|suggest(?:s|ed)|conclud(?:es|ed)|admit(?:s|ted)|"
          r"point(?:s|ed) out|is convinced|was convinced|are convinced|were convinced|told|tells|opined|"
          r"asserts?|asserted|recalls?|recalled|acknowledg(?:es|ed)|noted|concluded|emphasized)")
_SUBJECT = r"(?<![\w’'-])(?P<sp>(?:[\w’'-]+\s){0,4}?[\w’'-]+)"
_ATTRIB = re.compile(rf"{_SUBJECT},?\s(?:(?:have|has|had|also|further|rightly|reasonably|ironically|gently|firmly|"
                     rf"repeatedly|often|publicly|openly|recently)\s){{0,2}}"
                     rf"{_VERBS}\s(?:(?:journalists|reporters|us)\s)?that\s(?P<claim>.+)$")
_INVERTED = re.compile(rf"^(?P<claim>.+?),[\"”’]?\s(?:{_VERBS})\s(?P<sp>(?:[A-Z][\w’'-]+\s?){{1,3}})[.!?]?$")
_ACCORDING = re.compile(r"\b[Aa]ccording to (?P<sp>[^,]{2,80}),\s(?P<rest>.+)$")
# Parts of every _ATTRIB and _INVERTED match, far cheaper to look for than the whole patterns: "that" after a
# reporting verb (found from the "that", a literal ``re`` skips to; trying the verbs at every word is slower)
# and a reporting verb after a comma.
_THAT = re.compile(r"that(?<=\sthat)\s")
_VERB_BEFORE_THAT = re.compile(rf"\s{_VERBS}\s(?:(?:journalists|reporters|us)\s)?\Z")  # \Z: at the "that"
_INVERTED_CUE = re.compile(rf",[\"”’]?\s(?:{_VERBS})\s")
_QUOTE_SPANS = re.compile(r"“[^”]{1,2000}”|\"[^\"]{1,2000}\"|‘(?:[^’]|’(?=\w)){1,2000}’(?!\w)|«[^»]{1,2000}»")
_OPENING_MARKS = "“\"‘«"  # what every _QUOTE_SPANS match starts with
_AFTER_QUOTE = re.compile(rf",?\s?(?:(?P<sp1>(?:[A-Z][\w’'-]+\s?){{1,3}}|he|she|they)\s{_VERBS}|{_VERBS}\s(?P<sp2>(?:[A-Z][\w’'-]+\s?){{1,3}}))")
_BEFORE_QUOTE = re.compile(rf"(?P<sp>(?:[A-Z][\w’'-]+\s){{0,2}}[A-Z][\w’'-]+|[Hh]e|[Ss]he)\s(?:\w+\s)?(?:{_VERBS})(?:\sthat)?[^.!?]{{0,60}}[:,]?\s?$"
                           r"|[Ii]n (?P<pron>his|her) (?:opinion|view|words)[^.!?]{0,40}$")
_PRONOUNS = {"he", "she", "him", "her", "his", "they"}
_VAGUE = {"it", "this", "that", "there", "which", "who", "what", "everyone", "everybody", "someone", "somebody", "some",
          "many", "others", "one", "nobody", "be", "been", "is", "was", "are", "were", "should", "must", "can", "could",
          "would", "will", "may", "might"}


@lru_cache(maxsize=1)
def _non_person_aliases() -> frozenset[str]:
    """Names the default gazetteer knows as states, places or organisations: never a pronoun's antecedent."""
    try:
        return frozenset(al for a in load_gazetteer() if a.kind != "person" for al in a.aliases)
    except CodebookError:
        return frozenset()


def _people_positions(sentences: list[tuple[int, str]]) -> tuple[list[int], list[str]]:
    """(end offsets, names) of person-like names in a paragraph, in order: titled people and 2-3 word names."""
    found: list[tuple[int, str]] = []
    places = _non_person_aliases()
    for offset, text in sentences:
        titled = {(st, name) for st, _, name, _ in _titled_people(text)}
        found.extend((offset + st + len(name), name) for st, name in titled)
        for _st, end, tokens in _capital_runs(text):
            name = " ".join(tokens).rstrip(".,")
            if len(tokens) <= 3 and not any(t in _NOT_NAME for t in tokens) and name not in places \
                    and not any(name.endswith(n) for _, n in titled):
                found.append((offset + end, name))
    found.sort()
    return [e for e, _ in found], [n for _, n in found]


def _clean_speaker(raw: str, last: Callable[[], str | None]) -> str | None:
    """The speaker named by ``raw``; ``last()`` gives the person a pronoun stands for."""
    sp = raw.strip(" ,")
    low = sp.lower()
    if low in _PRONOUNS:
        return last()
    if low in _VAGUE or low.split()[-1] in _VAGUE:
        return None
    # Drop a leading clause ("Incidentally, the experts") and keep the noun phrase next to the verb.
    sp = re.sub(r"^(?:[Aa]nd|[Bb]ut|[Aa]s|[Ss]o|[Yy]et|[Nn]ow)\s", "", sp)
    sp = re.sub(r"[’']s\s(?:observation|opinion|view|words|estimate|estimates|data|analysis|research|report)$", "", sp)
    if low.split()[0] in _VAGUE:
        return None
    titled = _titled_people(sp)
    return titled[0][2] if titled else (sp or None)


def _according(phrase: str, rest: str) -> tuple[str | None, str]:
    """Speaker and claim of "According to <phrase>, <rest>", skipping a name or apposition after the phrase.

    Sources without a proper name ("the 1989 census", "some estimates", "polls") are not speakers.
    """
    segments = rest.split(", ")
    speaker = phrase if re.search(r"(?<!^)\b[A-Z]|^[A-Z](?!he\b)", phrase) or phrase.lower() in _PRONOUNS else None
    taken = 0
    runs = [" ".join(t) for _, _, t in _capital_runs(segments[0])]
    if speaker is None and len(segments) > 1 and runs and runs[0] == segments[0].strip():
        speaker, taken = runs[0], 1
    apposition = r"(?:an?|the|senior|assistant|associate|deputy|head|director|chair|former|leading)\b"
    if speaker and len(segments) > taken + 1 and re.match(apposition, segments[taken]):
        taken += 1
    return speaker, ", ".join(segments[taken:])


def _search_from(rx: re.Pattern[str], text: str) -> int | None:
    """Where a search for the attribution pattern ``rx`` in ``text`` can start: no match starts earlier. None
    when a part of every match is missing (those parts also show in a paragraph when one of its sentences
    has them)."""
    if rx is _ATTRIB:
        that = _reported_that(text)
        # A match's "that" is this one or a later one, and at most 10 whitespace characters come between the
        # match's start and it: 4 between subject words, 1 after them, 2 after adverbs, 1 in a verb ("points
        # out"), 1 after it, 1 after "journalists".
        return None if that is None else _after_spaces(text, that, 11)
    if rx is _INVERTED:
        return 0 if _INVERTED_CUE.search(text) else None
    at = text.find("ccording to ")
    return max(at - 1, 0) if at >= 0 else None


def _reported_that(text: str) -> int | None:
    """Where the first "that" after a reporting verb ("he said that") starts."""
    for m in _THAT.finditer(text):
        # At most 4 whitespace characters in the verb and what follows it (" point out journalists ").
        if _VERB_BEFORE_THAT.search(text, _after_spaces(text, m.start(), 5), m.start()):
            return m.start()
    return None


def _after_spaces(text: str, at: int, n: int) -> int:
    """Where the text after the ``n``th space before ``at`` starts (0 if there are fewer): a part of ``text``
    that ends at ``at`` with fewer than ``n`` whitespace characters in it starts there or after."""
    parts = text[:at].rsplit(" ", n)
    return len(parts[0]) + 1 if len(parts) > n else 0


def _introduction_from(text: str, start: int, end: int) -> int:
    """Where a search for _BEFORE_QUOTE in ``text[start:end]`` can start: no match starts earlier."""
    # A match ends at ``end`` (or before a newline there): a speaker and verb, with at most 6 whitespace
    # characters, and up to 62 more characters; or "In his view" and up to 40 more, 55 in all.
    return max(start, _after_spaces(text, max(end - 63, 0), 7))


def _quotations(text: str) -> list[re.Match[str]]:
    """Spans in quotation marks of 4 words or more (fewer: scare quotes, as in ‘soft power’)."""
    # str.find skips to a mark several times faster than re looking for one of four at every character.
    first = min((at for at in map(text.find, _OPENING_MARKS) if at >= 0), default=None)
    if first is None:
        return []
    return [m for m in _QUOTE_SPANS.finditer(text, first) if len(m.group()[1:-1].split()) >= 4]


def extract_quotes(paragraph: Paragraph) -> list[Quote]:
    """Direct quotations with their speaker, and claims attributed with "X believes that ..." or "According to X, ...".

    A pronoun speaker ("he said") resolves to the last person named earlier in the paragraph. A quotation
    with no speaker is kept only when it is the whole paragraph (an interview answer).
    """
    text = paragraph.text
    quoted = _quotations(text)
    attributions = [rx for rx in (_ATTRIB, _INVERTED, _ACCORDING) if _search_from(rx, text) is not None]
    if not quoted and not attributions:
        return []  # most paragraphs: no need for their sentences
    starts = list(zip(paragraph.bounds[::2], paragraph.sentences))
    offsets = [st for st, _ in starts]
    people: list[tuple[list[int], list[str]]] = []  # found on first need: few speakers are pronouns

    def last_person(at: int) -> str | None:
        if not people:
            people.append(_people_positions([(st, s.text) for st, s in starts]))
        ends, names = people[0]
        i = bisect.bisect_right(ends, at)
        return names[i - 1] if i else None

    def sentence_index(at: int) -> int:
        return max(0, bisect.bisect_right(offsets, at) - 1)

    out: list[Quote] = []
    covered: list[int] = []  # sentence indices that carry a reported direct quote
    for m in quoted:
        k = sentence_index(m.start())
        last = partial(last_person, m.start())
        speaker, found = None, False
        after = _AFTER_QUOTE.match(text, m.end(), m.end() + 80)
        if after:
            speaker, found = _clean_speaker(after.group("sp1") or after.group("sp2"), last), True
        else:
            before = _BEFORE_QUOTE.search(text, _introduction_from(text, offsets[k], m.start()), m.start())
            if before:
                raw = before.group("sp") or before.group("pron")
                speaker, found = _clean_speaker(raw, last), True
        whole = len(m.group()) >= 0.8 * len(text.strip())
        if found or whole:
            out.append(Quote(paragraph.id, starts[k][1].id, speaker, m.group()[1:-1], "direct"))
            covered.extend(range(k, sentence_index(m.end() - 1) + 1))
    done = set(covered)
    for k, (st, s) in enumerate(starts):
        if k in done:
            continue  # the sentence carries a direct quote already reported
        for rx in attributions:
            start = _search_from(rx, s.text)
            m = rx.search(s.text, start) if start is not None else None
            if not m:
                continue
            if rx is _ACCORDING:
                raw, claim = _according(m.group("sp"), m.group("rest"))
                speaker = _clean_speaker(raw, partial(last_person, st)) if raw else None
            else:
                speaker, claim = _clean_speaker(m.group("sp"), partial(last_person, st)), m.group("claim")
            if speaker and len(claim.split()) >= 3:
                out.append(Quote(paragraph.id, s.id, speaker, claim.rstrip(), "attributed"))
                break
    return out
