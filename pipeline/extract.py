"""Extraction from paragraphs: figures (numbers with units) and dated events.

Actors and quotes live in ``pipeline.actors`` and are re-exported here, so callers need one import.

Everything is rule-based (``re`` only) and works one sentence at a time, so every ``Figure.text`` and
``Event.as_written`` is a verbatim slice of its sentence. The patterns have no nested unbounded
repetition: cost is linear in the text length. What counts as a figure or an event follows the
labelling rules in ``shared/eval/README.md``.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .actors import (Actor, Mention, Quote, co_occurrence, extract_actors, extract_document_actors,  # noqa: F401
                     extract_quotes, load_gazetteer)
from .metadata import PartialDate
from .records import record

if TYPE_CHECKING:
    from .corpus import Document, Paragraph

# --- vocabulary -----------------------------------------------------------------------------------

_UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
          "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_WORD_VALUES = {w: i for i, w in enumerate(_UNITS)} | _TENS | {"hundred": 100}
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
             "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
             "fifteenth": 15, "twentieth": 20, "thirtieth": 30, "fortieth": 40, "fiftieth": 50, "hundredth": 100}
_SHARES = {"half": 50.0, "third": 100 / 3, "quarter": 25.0, "fifth": 20.0, "tenth": 10.0}
_SCALES = {"thousand": 1e3, "k": 1e3, "million": 1e6, "mn": 1e6, "mln": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9,
           "bln": 1e9, "trillion": 1e12, "tn": 1e12}
_SCALE_NAMES = {1e3: "thousand", 1e6: "million", 1e9: "billion", 1e12: "trillion"}
_CURRENCIES = {"$": "USD", "US$": "USD", "USD": "USD", "dollars": "USD", "US dollars": "USD", "€": "EUR", "EUR": "EUR",
               "euro": "EUR", "euros": "EUR", "£": "GBP", "GBP": "GBP", "pounds": "GBP", "RMB": "RMB", "CNY": "RMB",
               "yuan": "RMB", "renminbi": "RMB", "¥": "RMB", "₸": "KZT", "KZT": "KZT", "tenge": "KZT", "₽": "RUB",
               "RUB": "RUB", "roubles": "RUB", "rubles": "RUB"}
_PHYSICAL = {"km": "km", "kilometres": "km", "kilometers": "km", "miles": "miles", "metres": "m", "meters": "m",
             "tonnes": "tonnes", "tons": "tonnes", "hectares": "hectares", "ha": "hectares", "barrels": "barrels",
             "bcm": "bcm", "kg": "kg", "MW": "MW", "GW": "GW"}
# Nouns that make a count a count of people or troops (README: counts of people/troops are figures).
_PEOPLE = {"people", "persons", "residents", "citizens", "migrants", "workers", "refugees", "voters", "students",
           "inhabitants", "nationals", "individuals", "children", "women", "men", "protesters", "detainees", "deaths",
           "victims", "employees", "tourists", "ethnic", "families", "prisoners", "activists"}
_TROOPS = {"troops", "soldiers", "servicemen", "personnel", "peacekeepers", "officers"}
# Words after which a number is a label, not a quantity ("Article 5", "pp. 71-99", "No. 12").
_LABEL_WORDS = {"article", "section", "chapter", "resolution", "no", "no.", "number", "vol", "vol.", "volume", "part",
                "paragraph", "table", "figure", "fig", "fig.", "page", "pages", "p", "p.", "pp", "pp.", "point", "item",
                "annex", "appendix", "footnote", "note", "notes", "room", "line", "aged", "age"}
_STOP = {"of", "in", "on", "at", "to", "for", "from", "with", "and", "or", "by", "that", "which", "who", "was", "were",
         "is", "are", "had", "have", "has", "did", "do", "does", "will", "would", "could", "can", "may", "the", "a", "an",
         "left", "as", "than", "per", "its", "their", "his", "her", "this", "these", "those", "be", "been", "not"}

# Capitalised at a sentence start, these still introduce a quantity ("Some 170 ...", "In all, 40 ...").
_FUNCTION_WORDS = {"in", "some", "about", "around", "over", "nearly", "almost", "only", "of", "another", "just", "all",
                   "with", "by", "for", "to", "and", "but", "the", "at", "on", "from", "since", "until", "after",
                   "before", "up", "exactly", "roughly", "approximately", "than", "least", "while", "whereas"}

_MONTHS = {m: i + 1 for i, m in enumerate(["January", "February", "March", "April", "May", "June", "July", "August",
                                           "September", "October", "November", "December"])}
_MONTH_ABBR = {"Jan.": 1, "Feb.": 2, "Mar.": 3, "Apr.": 4, "Jun.": 6, "Jul.": 7, "Aug.": 8, "Sep.": 9, "Sept.": 9,
               "Oct.": 10, "Nov.": 11, "Dec.": 12}

_W = "|".join(sorted(_WORD_VALUES, key=len, reverse=True))
_NUMWORDS = rf"(?i:\b(?:{_W})(?:[ -](?:{_W}))*\b)"
_MON = "(?:" + "|".join(_MONTHS) + "|" + "|".join(re.escape(a) for a in _MONTH_ABBR) + ")"
_DASH = r"\s?[-–—]\s?"
# Ordinal words that can state a rank ("the second-largest").
_ORDINAL_WORDS = r"second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth"

# --- numbers --------------------------------------------------------------------------------------

_DIGITS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")
_WORD_RUN = re.compile(_NUMWORDS)
_SHARE_WORDS = re.compile(r"(?i:\b(?:(a|one|two|three|four)[\s-])?(half|thirds?|quarters?|fifths?|tenths?)\b)")
_ORDINAL_WORD = re.compile(r"(?i:\b(" + "|".join(_ORDINALS) + r")\b)")
_CURRENCY_MARK = re.compile(r"[$€£¥₸₽]|\b(?:USD|EUR|RMB|CNY|KZT|RUB|GBP)\b")
_SCALE_WORD = r"\s?(thousand|million|billion|trillion|bn|bln|mn|mln|tn)\b"
_SCALE_AFTER = re.compile(rf"{_SCALE_WORD}|(?<=\d)(m|k|bn)\b", re.I)


def _word(matched: str) -> str:
    """A word a case-insensitive pattern matched, as this module's tables spell it: re's IGNORECASE also matches
    "ı" and "İ" to i, "ſ" to s and the Kelvin sign to k, which lower() keeps ("ı", "ſ") or makes "i̇"."""
    return matched.casefold().replace("i\u0307", "i").replace("ı", "i")


def _words_value(run: str) -> float:
    """Value of a run of number words: 'twenty-five' -> 25, 'one hundred' -> 100."""
    total = 0.0
    for word in re.split(r"[\s-]+", _word(run)):
        value = _WORD_VALUES[word]
        total = total * 100 if value == 100 and total else total + value if value != 100 else 100.0
    return total


def parse_number(text: str) -> float | None:
    """Normalised value of a figure as written, or None for vague quantities ("thousands", "dozens").

    Scale words multiply ("6.2 million" -> 6.2e6, "$1.5 billion" -> 1.5e9); percentages stay in percent
    ("37.8 per cent" -> 37.8); shares become percent ("nearly a quarter" -> 25.0); ordinals give their rank
    ("fourth-largest" -> 4.0); a range gives its first value ("ten to fifteen years" -> 10.0).
    """
    m = _DIGITS.search(text)
    if m:
        value = float(m.group().replace(",", ""))
        scale = _SCALE_AFTER.match(text, m.end())
        has_currency = bool(_CURRENCY_MARK.search(text))
        if scale and (scale.group(1) or has_currency):
            value *= _SCALES[_word(scale.group(1) or scale.group(2))]
        return value
    share = _SHARE_WORDS.search(text)
    if share and not (share.group(1) is None and _word(share.group(2)).startswith(("third", "fifth", "tenth"))):
        base = _SHARES[_word(share.group(2)).rstrip("s")]
        count = {"a": 1, "one": 1, None: 1}.get(_word(share.group(1) or "a"), None)
        count = count or _WORD_VALUES[_word(share.group(1))]
        return base * count
    run = _WORD_RUN.search(text)
    if run:
        value = _words_value(run.group())
        scale = _SCALE_AFTER.match(text, run.end())
        return value * _SCALES[_word(scale.group(1))] if scale and scale.group(1) else value
    if re.search(r"(?i)\ba\s(thousand|million|billion)\b", text):
        return _SCALES[_word(re.search(r"(?i)(thousand|million|billion)", text).group(1))]
    ordinal = _ORDINAL_WORD.search(text)
    return float(_ORDINALS[_word(ordinal.group(1))]) if ordinal else None


# --- figures --------------------------------------------------------------------------------------

@record
class Figure:
    paragraph_id: str
    sentence_id: str
    value: float  # normalised: scale applied, percent as percent, ranks as the rank
    text: str  # as written, a slice of ``sentence``
    unit: str  # "per cent", "USD", "RMB", "people", "troops", "km", "tonnes", "years", "rank", a counted noun, "count"
    scale: str | None  # "thousand", "million", "billion" as written
    entity: str | None  # what it counts, where the text says so ("ethnic Russians", "the population")
    sentence: str


_CANDIDATE = re.compile(
    r"(?P<cur>US\$|[$€£¥₸₽]|\b(?:USD|EUR|RMB|CNY|KZT|RUB|GBP)\s?)?"
    r"(?:(?P<dig>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?P<dord>st|nd|rd|th)?"
    r"|(?P<share>(?i:(?<![\w-])(?:a|one|two|three)[\s-](?:half|thirds?|quarters?|fifths?|tenths?)\b|\bhalf\b))"
    rf"|(?P<word>{_NUMWORDS})"
    rf"|(?P<ord>(?i:\b(?:{_ORDINAL_WORDS})\b)))")
# Every _CANDIDATE match contains a trigger at most _CANDIDATE_LEAD characters after its start (the currency
# "USD " and a share's "three-" come first): a digit, or a whole number, share or ordinal word. A number-word
# run starts with such a word: \b before it, and after it \b or [ -] then the next word.
_CANDIDATE_LEAD = 10
_TRIGGER_WORDS = [*_WORD_VALUES, *_ORDINAL_WORDS.split("|"), "half", "thirds", "quarter", "quarters", "fifths", "tenths"]


def _trie(words: list[str]) -> str:
    """A pattern matching exactly ``words`` (plain lowercase letters) that branches one letter at a time, so that
    re tries few alternatives at each position: ["ten", "tenth", "two"] -> "t(?:en(?:th)?|wo)"."""
    rests: dict[str, list[str]] = {}
    for word in filter(None, words):
        rests.setdefault(word[0], []).append(word[1:])
    branches = [first + _trie(rest) for first, rest in rests.items()]
    if not branches:
        return ""
    either = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{either})?" if "" in words else either


# The triggers, looked for in " " + the sentence: a digit, or the non-word character before a number word (its
# \b), so that a trigger at i is found at i (a word) or i + 1 (a digit). Starting with a character class, the
# pattern lets re skip to the next character in it without trying the rest at every position.
_FIGURE_TRIGGER = re.compile(rf"[\W\d](?:(?<=\d)|(?i:{_trie(_TRIGGER_WORDS)})\b)")
# The same in " " + the sentence in lowercase, without (?i), which re scans several times faster: [^a-z_] holds
# every non-word character and digit. Exact when lowercasing keeps every character one character, a word
# character or not, a digit or not, and gives an ASCII letter only to the characters that (?i) matches to it:
# true of every character but "İ" (two characters), "ı" and "ſ" (see the tests).
_LOWER_FIGURE_TRIGGER = re.compile(rf"[^a-z_](?:(?<=\d)|{_trie(_TRIGGER_WORDS)}\b)")


def _trigger_scan(sentence: str) -> tuple[re.Pattern[str], str]:
    """The pattern and the text in which to look for the figure triggers of ``sentence``."""
    low = sentence.lower()
    if len(low) == len(sentence) and "ı" not in sentence and "ſ" not in sentence:
        return _LOWER_FIGURE_TRIGGER, " " + low
    return _FIGURE_TRIGGER, " " + sentence


def _next_candidate(sentence: str, scan: tuple[re.Pattern[str], str], pos: int) -> re.Match[str] | None:
    """``_CANDIDATE.search(sentence, pos)``, searching only from just before the first trigger at or after ``pos``.

    ``scan`` is ``_trigger_scan(sentence)``, where a trigger at i is found at i or i + 1. What is found at ``pos``
    may be the digit at pos - 1: no trigger at or after ``pos``, and no number word right after a digit is one
    (no \b before it), so the search for a trigger goes on after it.
    """
    pattern, text = scan
    trigger = pattern.search(text, pos)
    if trigger is not None and trigger.start() == pos and text[pos].isdecimal():
        trigger = pattern.search(text, pos + 1)
    return _CANDIDATE.search(sentence, max(pos, trigger.start() - 1 - _CANDIDATE_LEAD)) if trigger else None


_HEDGE = re.compile(r"(?i:\b(?:around|about|some|nearly|almost|over|more than|less than|fewer than|up to|at least|"
                    r"approximately|roughly|just over|just under|under|exceeded|exceeding|only|well over|close to)\s)$")
_PERCENT = re.compile(r"\s?(?:%|per\s?cent\b|percent\b)", re.I)
_POST_CURRENCY = re.compile(r"\s(?:US dollars|dollars|USD|euros?|EUR|yuan|renminbi|RMB|tenge|KZT|roubles|rubles|RUB|"
                            r"pounds|GBP)\b")
_PHYSICAL_AFTER = re.compile(r"\s?(" + "|".join(_PHYSICAL) + r")\b")
_DURATION = re.compile(r"\s(years?|months?|decades?)\b(?!\sold|-old)")
_RANGE = re.compile(rf"(?:{_DASH}|\sto\s)(?:\$)?(?:\d{{1,3}}(?:,\d{{3}})+|\d+(?:\.\d+)?|{_NUMWORDS})")
_SUPERLATIVE = re.compile(r"[\s-](?:largest|biggest|highest|lowest|richest|poorest|most|least|largest|strongest|"
                          r"smallest|greatest|busiest|longest|top)\b|\s(?:\w+\s)?(?:visits?|trips?|times?|terms?|"
                          r"rounds?|place|position)\b", re.I)
# What after a bare year makes it a figure (a scale word, per cent, a currency, a physical unit, a duration), and
# after a number word too (or a range): one search for these settles most candidates, which are neither.
_UNIT_AFTER = re.compile("|".join(f"(?:{p})" for p in (f"(?i:{_SCALE_WORD})", f"(?i:{_PERCENT.pattern})", _POST_CURRENCY.pattern,
                                                        _PHYSICAL_AFTER.pattern, _DURATION.pattern)))
_UNIT_OR_RANGE_AFTER = re.compile(f"{_UNIT_AFTER.pattern}|(?:{_RANGE.pattern})")
_SHARE_CONTEXT = re.compile(r"\s(?:of|the)\s")
_WORD_OR_MARK = re.compile(r"[^\W\d_][\w'’-]*|[^\w\s]")
_PEOPLE_OR_TROOPS = _PEOPLE | _TROOPS
# What may not come right before a digit: searched from len - 2, as its $ may stand before a final newline.
_GLUED = re.compile(r"[\w.,;:)\]”’\"/–—-]$|\w\+$")  # "\w+": the 1 of "C5+1"; "+1.5%" after a space is a number
_NOT_A_QUANTITY = re.compile(r"[A-Za-z]|:\d|\+\d|\s?[ap]\.m\.|-year-old|\s(?:years?\sold)")  # after a digit
_CLOSING = re.compile(r"\s?\)")
_DATE_NEIGHBOUR = re.compile(rf"(?:{_MON}\s?(?:the\s)?$)")
_DATE_AFTER = re.compile(rf"(?:st|nd|rd|th)?(?:{_DASH}\d{{1,2}})?\s(?:of\s)?{_MON}")


def _year_like(text: str) -> bool:
    return text.isdigit() and len(text) == 4 and 1800 <= int(text) <= 2100


def _prev_word(before: str) -> str:
    """The word before a number, without the brackets or quotes that open before it: "(Article 4)" is a label."""
    words = before.rsplit(None, 1)  # str.split and re's \s take the same characters for whitespace
    return words[-1].lstrip("([{“‘\"'«") if words else ""


def _hedge(before: str) -> re.Match[str] | None:
    """``_HEDGE.search(before)``, trying only where a match can start: the longest is "approximately " and its $
    may stand before a final newline."""
    return _HEDGE.search(before, max(0, len(before) - 15))


def _noun_phrase(after: str, percent: bool) -> str | None:
    """Up to three words after the figure that say what it counts ("ethnic Kazakhs"), or None."""
    words = _WORD_OR_MARK.findall(after[:80])
    if percent and words[:1] == ["of"]:
        words = words[2:] if words[1:2] in (["the"], ["its"], ["their"], ["all"]) else words[1:]
    out: list[str] = []
    for w in words:
        if not w[0].isalpha() or w.lower() in _STOP or len(out) == 3:
            break
        if w.lower().endswith(("ed", "ing")) and w.lower() not in _PEOPLE_OR_TROOPS:
            break  # a verb or participle ends the noun phrase: "people living", "share accounted"
        out.append(w)
    return " ".join(out) or None


def _unit_for(entity: str | None) -> str:
    words = [w.lower() for w in (entity or "").split()]
    if any(w in _PEOPLE for w in words):
        return "people"
    if any(w in _TROOPS for w in words):
        return "troops"
    if words and entity.split()[-1][:1].isupper() and entity.endswith("s"):
        return "people"  # a plural demonym: "200,000 Kazakhs", "ethnic Russians"
    return words[-1] if words else "count"


def _figure_at(sentence: str, m: re.Match[str]) -> tuple[int, int, float, str, str | None] | None:
    """(start, end, value, unit, scale) of the figure at candidate ``m``, or None when it is not a figure."""
    # A bounded window before the candidate keeps the cost linear on very long sentences.
    w0 = max(0, m.start() - 60)
    before, start, end = sentence[w0:m.start()], m.start(), m.end()
    after = sentence[end:end + 80]
    prev = _prev_word(before)
    currency = _CURRENCIES.get((m.group("cur") or "").strip())
    dig, word = m.group("dig"), m.group("word")
    if currency is None:
        # Most candidates are bare years and number words ("two countries"): 10,400 of 14,600 in 1,000 synthetic
        # documents, 70 of them figures. Without a currency before it, a year is a figure only with a unit after it,
        # and a word only with a unit or range after it or as a count of people; the checks below come to None for
        # the others, and skipping them took figures from 0.57 to 0.46 s there.
        if dig is not None and not m.group("dord") and _year_like(dig) and not _UNIT_AFTER.match(sentence, end):
            return None
        if word is not None and not _UNIT_OR_RANGE_AFTER.match(sentence, end) and \
                _unit_for(_noun_phrase(after, False)) not in ("people", "troops"):
            return None
    if dig is not None:
        if _GLUED.search(before, max(0, len(before) - 2)) and not (m.group("cur") or before.endswith(("(", " "))):
            return None  # glued to a word or punctuation: a footnote marker, code or name ("Euro-5", "G20")
        if _NOT_A_QUANTITY.match(after) and not m.group("dord"):
            if not _SCALE_AFTER.match(sentence, end):
                return None  # "5G", clock times, ages
        if prev.lower().rstrip(":") in _LABEL_WORDS or _DATE_NEIGHBOUR.search(before) or (
                len(dig) <= 2 and _DATE_AFTER.match(sentence, end)):
            return None  # page, article and date parts
        if _CLOSING.match(after) and before.endswith("(") and not currency:
            return None  # list markers "(1)"
    if m.group("ord") or m.group("dord"):
        if m.group("dord"):
            if re.match(r"\s(?:century|centuries|anniversary|birthday|[A-Z])", after) or _DATE_AFTER.match(sentence, end):
                return None  # "19th century", "19th Party Congress", "5th of May"
            return start, end, float(dig), "rank", None
        sup = _SUPERLATIVE.match(sentence, end)
        return (start, end + (len(sup.group()) if sup and sup.group().startswith("-") else 0),
                float(_ORDINALS[_word(m.group("ord"))]), "rank", None) if sup else None
    hedge = _hedge(before)
    if m.group("share"):
        if re.search(r"(?i)\b(?:first|second|last|latter|other)\s$", before) or sentence[end:end + 1] == "-":
            return None  # "the second half of", "half-hearted"
        if not (hedge or _SHARE_CONTEXT.match(sentence, end)):
            return None
    if hedge:
        start = w0 + hedge.start()
    value = parse_number(sentence[m.start():end + 12] if dig or word else m.group("share"))
    if value is None:
        return None
    unit, scale_name = (currency or "count"), None
    sc = _SCALE_AFTER.match(sentence, end)
    if sc and (sc.group(1) or currency):
        end, scale_name = sc.end(), _SCALE_NAMES.get(_SCALES[_word(sc.group(1) or sc.group(2))])
    if m.group("share"):
        return start, end, value, "per cent", None
    pct = _PERCENT.match(sentence, end)
    # "10-15 per cent", "ten to fifteen years"; but "rose by 12 per cent to 2.3 million" is two figures.
    rng = None if pct or scale_name else _RANGE.match(sentence, end)
    if rng and not (dig and _year_like(dig)):
        end = rng.end()
        sc2 = _SCALE_AFTER.match(sentence, end)
        if sc2 and sc2.group(1):
            end = sc2.end()
        pct = _PERCENT.match(sentence, end) or pct
    if pct:
        return start, max(end, pct.end()), value, "per cent", None
    post = _POST_CURRENCY.match(sentence, end)
    if post:
        return start, post.end(), value, _CURRENCIES.get(post.group().strip(), "USD"), scale_name
    if currency:
        return start, end, value, currency, scale_name
    phys = _PHYSICAL_AFTER.match(sentence, end)
    if phys and (phys.group(1) != "ha" or dig):
        return start, phys.end(), value, _PHYSICAL[phys.group(1)], scale_name
    dur = _DURATION.match(sentence, end)
    if dur:
        # Durations are figures only when hedged or a range ("up to 25 years"), not "for thirty years".
        if not (hedge or rng or re.search(r"(?i)\banother\s$", before)):
            return None
        return start, dur.end(), value, "years" if dur.group(1).startswith("year") else dur.group(1), scale_name
    if dig and _year_like(dig) and not scale_name:
        return None  # a bare year is a date, never a figure
    if word and not (scale_name or rng):
        people = _unit_for(_noun_phrase(sentence[end:end + 80], False))
        if people not in ("people", "troops"):
            return None  # "two countries", "three levels": trivial counts in words
    if dig and not scale_name and prev[:1].isupper() and _noun_phrase(after, False) is None:
        if prev.lower() not in _FUNCTION_WORDS:
            return None  # part of a name ("Movement 2.0", "Boeing 737") or an age ("Tokayev, 70,")
    return start, end, value, unit, scale_name


def extract_figures(paragraph: Paragraph) -> list[Figure]:
    """Figures stated in a paragraph: money, percentages and shares, counts, lengths, masses, ranks.

    Not figures: bare years and dates, ages, clock times, page and footnote numbers, names with numbers
    ("Euro-5"), trivial counts in words ("two countries") and vague quantifiers ("thousands").
    """
    out: list[Figure] = []
    for k, (a, b) in enumerate(paragraph.spans):
        text = paragraph.text[a:b]
        scan = _trigger_scan(text)
        pos = 0
        while (m := _next_candidate(text, scan, pos)) is not None:
            pos = m.end()
            found = _figure_at(text, m)
            if found is None:
                continue
            start, end, value, unit, scale = found
            pos = max(pos, end)
            pct = unit == "per cent"
            entity = _noun_phrase(text[end:end + 80], pct)
            if unit in ("count",) or (unit not in _CURRENCIES.values() and not pct and unit not in _PHYSICAL.values()
                                      and unit not in ("rank", "years", "months", "decades")):
                unit = _unit_for(entity)
            out.append(Figure(paragraph.id, paragraph.sentence_id(k), value, text[start:end], unit, scale, entity, text))
    return out


# --- events ---------------------------------------------------------------------------------------

@record
class Event:
    """A date the text states, at the precision it gives.

    ``relative`` is True only for deictic expressions resolved against the document's publication date
    ("last year", "two years ago"): the labelling rules do not count them as events, so timelines should
    drop them. Expressions anchored on a date stated earlier in the text ("the following month",
    "two years later") are ordinary events with ``inferred_year=True``.
    """

    paragraph_id: str
    sentence_id: str
    start: PartialDate
    end: PartialDate | None  # inclusive end of a range ("2014-20", "May 14-15", "the 1990s")
    as_written: str  # a slice of ``sentence``
    sentence: str
    inferred_year: bool  # the text gave no year: it came from context
    planned: bool  # a date still ahead when the document was written, or announced as planned
    relative: bool = False


_YEAR = r"(?:18\d\d|19\d\d|20\d\d|2100)"
_DAY = r"(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?"
_NB = r"(?<![\w$€£¥₸₽,./])(?<![A-Za-z]-)"  # not glued to a word, currency or another number
_NA = r"(?![\d])(?!,\d{3})(?!\.\d)"
_DATE = re.compile(
    rf"{_NB}(?P<a_d1>{_DAY})(?:{_DASH}(?P<a_d2>{_DAY}))?\s(?:of\s)?(?P<a_m>{_MON}),?\s(?P<a_y>{_YEAR}){_NA}"
    rf"|(?<!\w)(?P<b_m>{_MON})\s(?P<b_d1>{_DAY})(?:{_DASH}(?P<b_d2>{_DAY}))?,?\s(?P<b_y>{_YEAR}){_NA}"
    rf"|(?<!\w)(?P<e_m>{_MON}),?\s(?:of\s)?(?P<e_y>{_YEAR}){_NA}"
    rf"|{_NB}(?P<n_y>{_YEAR})-(?P<n_m>[01]\d)-(?P<n_d>[0-3]\d)(?!\d)"
    rf"|{_NB}(?P<n2_d>[0-3]?\d)[./](?P<n2_m>[01]?\d)[./](?P<n2_y>{_YEAR})(?!\d)"
    rf"|{_NB}(?P<c_d1>{_DAY})(?:{_DASH}(?P<c_d2>{_DAY}))?\s(?:of\s)?(?P<c_m>{_MON})(?![\w])"
    rf"|(?<!\w)(?P<d_m>{_MON})\s(?P<d_d1>{_DAY})(?:{_DASH}(?P<d_d2>{_DAY}))?(?![\d,]\d|\d)"
    rf"|(?:(?i:the\s)(?:(?:early|mid|late)[\s-])?|(?:early|mid|late)[\s-]|{_NB})(?P<dec>(?:18|19|20)\d0)s\b"
    rf"|(?:mid-|{_NB})(?P<r_y1>{_YEAR}){_DASH}(?P<r_y2>{_YEAR}|\d\d)(?!\d)(?!\s?%)"
    rf"|(?:(?:early|mid|late)[\s-]|{_NB})(?P<y>{_YEAR}){_NA}(?!\s?%|\s?per\s?cent|s\b)"
    rf"|(?<!\w)(?P<m>January|February|March|April|May|June|July|August|September|October|November|December)\b"
    rf"|(?P<rel>(?i:\b(?:last|this|next)\s(?:year|month)\b))"
    rf"|(?P<ago>(?i:\b(?:a|one|two|three|four|five|six|seven|eight|nine|ten|\d{{1,2}})\syears?\sago\b))"
    rf"|(?P<ana>(?i:\bthe\s(?:following|next)\s(?:day|month|year)\b))"
    rf"|(?P<later>(?i:\b(?:a|one|two|three|four|five|six|seven|eight|nine|ten|\d{{1,2}})\s(?:years?|months?)\slater\b))")


def _any_case(word: str) -> str:
    """``(?i:word)`` for a lowercase ASCII word without i, k or s (under (?i) they also match "ıİ", "K", "ſ"),
    written so that each alternative starts with a literal character: "day" -> "d[aA][yY]|D[aA][yY]"."""
    rest = "".join(f"[{c}{c.upper()}]" for c in word[1:])
    return f"{word[0]}{rest}|{word[0].upper()}{rest}"


# Every _DATE match contains a trigger at most _DATE_LEAD characters after its start: an ASCII digit (a year
# or a day: both start with [0-9]), a full month name (a month alone) or "day", "month" or "year" in any case
# (the relative branches; "5 years ago" has its digit in \d, its "year" within the lead). The longest lead is
# "the following " before "day"; "the early " before "1990s" and "Sept., of " before a year are shorter. Under
# (?i) no other character matches a letter of day, month or year, so _any_case spells them out: every
# alternative then starts with a literal character, and re skips to the next one of those without trying the
# pattern at every position.
_DATE_TRIGGER = re.compile("|".join([*"0123456789", *_MONTHS, *map(_any_case, ["day", "month", "year"])]))
_DATE_LEAD = 14
# Matches from p up to where the first _DATE match starting in p .. p + _DATE_LEAD starts, if there is one.
# Every _DATE branch starts with a non-word character before it (_NB, (?<!\w) or \b) or with a word it allows
# without one ("lathe 1990s", "amid 2019"): the gate fails at once inside other words, where most positions are.
_DATE_WINDOW = re.compile(rf"(?s:.){{0,{_DATE_LEAD}}}?(?:(?<!\w)|(?=(?i:the)|early|mid|late))(?={_DATE.pattern})")


def _date_matches(sentence: str) -> Iterator[re.Match[str]]:
    """What ``_DATE.finditer(sentence)`` gives, trying _DATE only just before each trigger.

    A match starting at or after ``pos`` has a trigger no earlier than its start, so no match can start more
    than _DATE_LEAD characters before the first trigger at or after ``pos``; lookbehinds still see the text
    before the search position. When none starts in the window from there, the next can only start after it.
    """
    pos = 0
    while (trigger := _DATE_TRIGGER.search(sentence, pos)) is not None:
        start = max(pos, trigger.start() - _DATE_LEAD)
        window = _DATE_WINDOW.match(sentence, start)
        if window is None:
            pos = start + _DATE_LEAD + 1
            continue
        m = _DATE.match(sentence, window.end())
        yield m
        pos = m.end()


# A month on its own is a date only after a preposition ("In May", "until December"): "the January events" is not.
_MONTH_ALONE_CONTEXT = re.compile(r"(?:\b(?:[Ii]n|[Ss]ince|[Uu]ntil|[Bb]y|[Ff]rom|[Dd]uring|[Bb]efore|[Aa]fter|"
                                  r"[Tt]hrough|[Ee]arly|[Ll]ate|[Ee]nd of|[Bb]eginning of|[Mm]iddle of)\s|\b[Mm]id-)$")
_COUNT_AFTER = re.compile(r"\s(?:\w+\s)?(?:" + "|".join(sorted(_PEOPLE | _TROOPS | {"projects", "km", "tonnes"})) + r")\b")
_PLANNED_CUE = re.compile(r"(?i)\b(?:plann?(?:ed|ing|s)?|scheduled|expected|due|will|shall|target|aims?\sto|set)\b")
_PAGES = re.compile(r"(?i)\b(?:pp?\.|pages?)\s?$")


def _month(name: str) -> int:
    return _MONTHS.get(name) or _MONTH_ABBR[name]


def _day(text: str | None) -> int | None:
    return int(re.match(r"\d+", text).group()) if text else None


def _safe(year: int, month: int | None = None, day: int | None = None) -> PartialDate | None:
    try:
        return PartialDate.parse(PartialDate(year, month, day).iso())
    except ValueError:
        return None


def _shift(anchor: PartialDate, unit: str, n: int) -> PartialDate | None:
    """``anchor`` moved by n days, months or years, keeping only the precision the unit needs."""
    import datetime as dt

    if unit.startswith("year"):
        return _safe(anchor.year + n)
    if unit.startswith("month") and anchor.month:
        total = anchor.year * 12 + anchor.month - 1 + n
        return _safe(total // 12, total % 12 + 1)
    if unit.startswith("day") and anchor.day:
        d = anchor.first_day() + dt.timedelta(days=n)
        return _safe(d.year, d.month, d.day)
    return None


def _count(word: str) -> int:
    return int(word) if word.isdigit() else {"a": 1, "one": 1}.get(key := _word(word)) or _WORD_VALUES[key]


@dataclass
class _State:
    """What reading a document so far tells us: the year a bare "In May" belongs to, and the last date."""

    doc_date: PartialDate | None
    year: int | None
    anchor: PartialDate | None


def _resolve(m: re.Match[str], sentence: str, st: _State) -> tuple[PartialDate, PartialDate | None, bool, bool] | None:
    """(start, end, inferred_year, relative) for one date match, or None when it is not a date."""
    g = m.groupdict()
    if _PAGES.search(sentence[max(0, m.start() - 12):m.start()]):
        return None  # "pp. 1999-2001": page numbers
    if g["a_y"] or g["b_y"]:
        p = "a" if g["a_y"] else "b"
        y, mo = int(g[f"{p}_y"]), _month(g[f"{p}_m"])
        end = _safe(y, mo, _day(g[f"{p}_d2"])) if g[f"{p}_d2"] else None
        start = _safe(y, mo, _day(g[f"{p}_d1"]))
        return (start, end, False, False) if start else None
    if g["e_y"]:
        return _safe(int(g["e_y"]), _month(g["e_m"])), None, False, False
    if g["n_y"]:
        d = _safe(int(g["n_y"]), int(g["n_m"]), int(g["n_d"]))
        return (d, None, False, False) if d else None
    if g["n2_y"]:
        d = _safe(int(g["n2_y"]), int(g["n2_m"]), int(g["n2_d"]))  # day first: the corpus' regions write it so
        return (d, None, False, False) if d else None
    if g["c_m"] or g["d_m"]:
        p = "c" if g["c_m"] else "d"
        if st.year is None:
            return None
        mo = _month(g[f"{p}_m"])
        start = _safe(st.year, mo, _day(g[f"{p}_d1"]))
        end = _safe(st.year, mo, _day(g[f"{p}_d2"])) if g[f"{p}_d2"] else None
        return (start, end, True, False) if start else None
    if g["dec"]:
        y = int(g["dec"])
        return PartialDate(y), PartialDate(y + 9), False, False
    if g["r_y1"]:
        y1, tail = int(g["r_y1"]), g["r_y2"]
        y2 = int(tail) if len(tail) == 4 else (y1 // 100) * 100 + int(tail)
        y2 += 100 if y2 < y1 else 0
        return (PartialDate(y1), _safe(y2), False, False) if y2 - y1 <= 200 else None
    if g["y"]:
        if _COUNT_AFTER.match(sentence, m.end()):
            return None  # "2000 people", "1500 troops"
        return PartialDate(int(g["y"])), None, False, False
    if g["m"]:
        if st.year is None or not _MONTH_ALONE_CONTEXT.search(sentence[max(0, m.start() - 20):m.start()]):
            return None
        return _safe(st.year, _month(g["m"])), None, True, False
    if g["rel"] or g["ago"]:
        if st.doc_date is None:
            return None
        words = _word(g["rel"] or g["ago"]).split()
        if g["ago"]:
            d = _shift(st.doc_date, "year", -_count(words[0]))
        else:
            d = _shift(st.doc_date, words[1], {"last": -1, "this": 0, "next": 1}[words[0]])
        return (d, None, False, True) if d else None
    if g["ana"] or g["later"]:
        if st.anchor is None:
            return None
        words = _word(g["ana"] or g["later"]).split()
        n, unit = (1, words[2]) if g["ana"] else (_count(words[0]), words[1])
        d = _shift(st.anchor, unit, n)
        return (d, None, True, False) if d else None
    return None


def _is_dateline(paragraph: Paragraph) -> bool:
    """A paragraph that is only a date (and maybe a time): the publication line, not an event."""
    if len(paragraph.text) >= 60 or next(_date_matches(paragraph.text), None) is None:
        return False
    rest = _DATE.sub(" ", paragraph.text)
    rest = re.sub(r"\d{1,2}:\d{2}|[^\w]+|\b(?:Published|Updated|Posted|on|at)\b", " ", rest)
    return len(rest.split()) <= 1


def _sentences_with_trigger(paragraph: Paragraph) -> Iterator[tuple[int, int, int]]:
    """(index, start, end) of the paragraph's sentences holding a date trigger, the only ones with a date in them.

    One search of the paragraph from each sentence on: three sentences in four have no trigger, and slicing and
    scanning each of them on its own took a tenth of event extraction. A sentence's own triggers are found in the
    paragraph too, so when the first from its start on starts after its end, it has none.
    """
    text, at = paragraph.text, -1  # where the first trigger at or after the current sentence starts
    for k, (a, b) in enumerate(paragraph.spans):
        if at < a:
            trigger = _DATE_TRIGGER.search(text, a)
            if trigger is None:
                return
            at = trigger.start()
        if at < b:
            yield k, a, b


def _events(paragraph: Paragraph, st: _State) -> list[Event]:
    """Events of one paragraph; updates ``st`` (year in force, last stated date) as it reads."""
    if _is_dateline(paragraph):
        return []
    out: list[Event] = []
    for k, a, b in _sentences_with_trigger(paragraph):
        text = paragraph.text[a:b]
        for m in _date_matches(text):
            found = _resolve(m, text, st)
            if found is None or found[0] is None:
                continue
            start, end, inferred, relative = found
            written = m.group().strip()
            after_doc = st.doc_date is not None and start.first_day() > _last_day(st.doc_date)
            planned = after_doc or bool(_PLANNED_CUE.search(text[max(0, m.start() - 40):m.start()]))
            out.append(Event(paragraph.id, paragraph.sentence_id(k), start, end, written, text, inferred, planned, relative))
            explicit = not inferred and not relative and not m.group("dec")
            if explicit:
                st.year = start.year
            if not relative and not m.group("dec"):
                st.anchor = start
    return out


def _last_day(d: PartialDate):
    import calendar
    import datetime as dt

    month = d.month or 12
    return dt.date(d.year, month, d.day or calendar.monthrange(d.year, month)[1])


def extract_events(paragraph: Paragraph, doc_date: PartialDate | None, context_year: int | None = None,
                   anchor: PartialDate | None = None) -> list[Event]:
    """Dates stated in a paragraph.

    ``context_year`` gives the year to a month or day written without one ("In May", "14 April"); pass the
    last explicit year seen in the document (``extract_document_events`` does). ``anchor`` is the last
    date stated before the paragraph, for "the following month". Dates later in the paragraph take over
    both as it is read.
    """
    year = context_year if context_year is not None else (doc_date.year if doc_date else None)
    return _events(paragraph, _State(doc_date, year, anchor))


def extract_document_events(document: Document) -> list[Event]:
    """Events of every paragraph of a document, in order, carrying the year in force across paragraphs."""
    doc_date = document.meta.date
    st = _State(doc_date, doc_date.year if doc_date else None, None)
    out: list[Event] = []
    for p in document.paragraphs:
        out.extend(_events(p, st))
    return out
