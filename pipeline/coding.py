"""Theme coding per paragraph, transparent: every decision lists the cues that made it.

The rule, the same for every document and theme (thresholds come from the codebook's ``rules``):

1. Each sentence is searched for the theme's cues. A cue match lying inside a match of one of the
   theme's exclusions (a venue such as "prior to the CSTO summit") does not count.
2. A sentence scores the summed weights of the *distinct* cues found in it; the paragraph's score is
   the sum over its sentences, so a theme that runs through a paragraph outscores one named once.
3. Coverage is the share of the paragraph's sentences with at least one cue.
4. A body paragraph is coded when score >= assign_threshold and either coverage >= min_coverage
   (the theme is a substantial part of it) or score >= dense_threshold (one sentence packed with
   theme content, as in a standfirst or roadmap). A heading is coded when score >= heading_threshold:
   headings are short, so one explicit cue is enough, and passing mentions do not exist there.
"""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from itertools import groupby
from operator import attrgetter

from .codebook import Alternative, Codebook, Cue
from .corpus import Corpus, Paragraph
from .text import match_key
from .records import record


@record
class ThemeScore:
    theme: str
    score: float
    cues: tuple[str, ...]  # labels of the cues that fired, in order of first appearance
    assigned: bool
    coverage: float = 0.0  # share of the paragraph's sentences carrying a cue of this theme


@record
class Framing:
    """How a passage speaks of Russia and of China: who is named, and which tone cues fired."""

    russia: bool
    china: bool
    cooperation: tuple[str, ...]
    tension: tuple[str, ...]


def _key(paragraph: Paragraph) -> tuple[str, list[tuple[int, int]]]:
    """The paragraph's text as cues see it (quotes and dashes plain, see ``match_key``), and each sentence's
    (start, end) in it; a paragraph the splitter found no sentence in is one sentence."""
    key = match_key(paragraph.text)
    b = paragraph.bounds
    if len(key) == len(paragraph.text):  # the usual case: a cleaned paragraph has no whitespace to squash
        return key, [(b[k], b[k + 1]) for k in range(0, len(b), 2)] or [(0, len(key))]
    keys = [match_key(s.text) for s in paragraph.sentences] or [key]
    spans, pos = [], 0
    for k in keys:
        spans.append((pos, pos + len(k)))
        pos += len(k) + 1
    return " ".join(keys), spans


def _cues_in(text: str, cues: Iterable[Cue], possible: frozenset[Alternative] | None = None) -> list[Cue]:
    """Cues with a match in the text, one per label (framing reads the whole paragraph this way)."""
    found: list[Cue] = []
    for cue in cues:
        if cue.label in {f.label for f in found}:
            continue
        if cue.regex.search(text) if possible is None else any(a.found(text) for a in cue.parts if a in possible):
            found.append(cue)
    return found


def read_paragraph(paragraph: Paragraph, codebook: Codebook) -> tuple[dict[str, ThemeScore], Framing]:
    """``code_paragraph`` and ``frame_paragraph`` in one pass of the prefilter over the paragraph."""
    key, spans = _key(paragraph)
    scanner = codebook.scanner
    hits = scanner.hits(key)
    if hits is None:  # a character the lowercase prefilter cannot vouch for: every cue runs
        return _code(paragraph, codebook, key, spans, [None] * len(spans)), _frame(codebook, key, None)
    # Each needle counts for the sentence holding it; framing reads the whole paragraph, gaps included.
    starts = [s for s, _ in spans]
    found: list[set[int]] = [set() for _ in spans]
    for a, b, needle in hits:
        k = bisect_right(starts, a) - 1
        if k >= 0 and b <= spans[k][1]:
            found[k].add(needle)
    possible = [scanner.keys_for(f) for f in found]
    return (_code(paragraph, codebook, key, spans, possible),
            _frame(codebook, key, scanner.keys_for({needle for _, _, needle in hits})))


def _code(paragraph: Paragraph, codebook: Codebook, key: str, spans: list[tuple[int, int]],
          possible: list[frozenset[Alternative] | None]) -> dict[str, ThemeScore]:
    ranked = codebook.ranked_cues
    totals: dict[str, tuple[float, list[str], int]] = {}  # theme -> score, labels in order, sentences covered
    for (start, end), can in zip(spans, possible):
        parts = list(ranked) if can is None else sorted(can & ranked.keys(), key=lambda a: ranked[a][0])
        found: dict[str, list[Cue]] = {}
        blocked: list[tuple[int, int]] = []
        theme = None
        for cue, group in groupby(parts, key=attrgetter("cue")):
            _, cue_theme, exclusion = ranked[cue.parts[0]]
            if cue_theme is not theme:
                theme, blocked = cue_theme, []
            if exclusion:
                blocked += cue.spans(key, start, end)
                continue
            here = found.setdefault(theme.id, [])
            if cue.label in {f.label for f in here}:  # another spelling of a thing already counted
                continue
            if any(not any(a <= s and e <= b for a, b in blocked) for s, e in cue.spans(key, start, end)) if blocked \
                    else any(a.found(key, start, end) for a in group):  # some alternative matches: so does the cue
                here.append(cue)
        for theme_id, cues_found in found.items():
            if cues_found:
                score, labels, covered = totals.get(theme_id, (0.0, [], 0))
                labels += [c.label for c in cues_found if c.label not in labels]
                totals[theme_id] = (score + sum(c.weight for c in cues_found), labels, covered + 1)
    out = {}
    for theme_id, (score, labels, covered) in ((t, totals[t]) for t in codebook.themes if t in totals):
        rules = codebook.themes[theme_id].rules
        coverage = covered / len(spans)
        if paragraph.kind == "heading":
            assigned = score >= rules.heading_threshold
        else:
            assigned = score >= rules.assign_threshold and (coverage >= rules.min_coverage or score >= rules.dense_threshold)
        out[theme_id] = ThemeScore(theme_id, round(score, 3), tuple(labels), assigned, round(coverage, 3))
    return out


def _frame(codebook: Codebook, key: str, possible: frozenset[Alternative] | None) -> Framing:
    subjects, tones = codebook.framing.subjects, codebook.framing.tones

    def labels(cues: Iterable[Cue]) -> tuple[str, ...]:
        return tuple(c.label for c in _cues_in(key, cues, possible))

    return Framing(bool(labels(subjects["russia"])), bool(labels(subjects["china"])),
                   labels(tones["cooperation"]), labels(tones["tension"]))


def code_paragraph(paragraph: Paragraph, codebook: Codebook) -> dict[str, ThemeScore]:
    """Scores of every theme with at least one cue in the paragraph (assigned or not)."""
    return read_paragraph(paragraph, codebook)[0]


def frame_paragraph(paragraph: Paragraph, codebook: Codebook) -> Framing:
    """Which of Russia and China the paragraph names, and the cooperation/tension cues it uses."""
    return read_paragraph(paragraph, codebook)[1]


def code_corpus(corpus: Corpus, codebook: Codebook) -> dict[str, dict[str, ThemeScore]]:
    """``code_paragraph`` for every kept paragraph of the corpus, keyed by paragraph id."""
    return {p.id: code_paragraph(p, codebook) for p in corpus.paragraphs()}


def explain(score: ThemeScore) -> str:
    """One line for a reader: why the paragraph was (or was not) coded to the theme."""
    cues = ", ".join(score.cues) or "no cue"
    if score.assigned:
        return f"coded because: {cues}"
    return f"not coded (score {score.score:g}, {score.coverage:.0%} of sentences): only {cues}"


