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
    if len(key) == len(paragraph.text):  # the usual case: a cleaned paragraph has no whitespace to squash
        return key, paragraph.spans or [(0, len(key))]
    keys = [match_key(s.text) for s in paragraph.sentences] or [key]
    spans, pos = [], 0
    for k in keys:
        spans.append((pos, pos + len(k)))
        pos += len(k) + 1
    return " ".join(keys), spans


def read_paragraph(paragraph: Paragraph, codebook: Codebook) -> tuple[dict[str, ThemeScore], Framing]:
    """``code_paragraph`` and ``frame_paragraph``, sharing the prefilter's scan of the paragraph's sentences."""
    key, spans = _key(paragraph)
    scanner = codebook.scanner
    low = scanner.lowered(key)
    if low is None:  # a character the lowercase prefilter cannot vouch for: every cue runs
        return _code(paragraph, codebook, key, None, spans, [None] * len(spans)), _frame(codebook, key, None, None)
    # Each needle counts for the sentence holding it; framing reads the whole paragraph, gaps included.
    per_sentence, every = scanner.needles_in(low, spans)
    coding, framing = codebook.plan_needles
    return (_code(paragraph, codebook, key, low, spans, [scanner.keys_for(f & coding) for f in per_sentence]),
            _frame(codebook, key, low, scanner.keys_for(every & framing)))


def _code(paragraph: Paragraph, codebook: Codebook, key: str, low: str | None, spans: list[tuple[int, int]],
          possible: list[frozenset[Alternative] | None]) -> dict[str, ThemeScore]:
    totals: dict[str, tuple[float, list[str], int]] = {}  # theme -> score, labels in order, sentences covered
    for (start, end), can in zip(spans, possible):
        for theme_id, steps in codebook.coding_plan(can):
            found: dict[str, float] = {}  # label -> weight of the first of its cues found, in order
            blocked: list[tuple[int, int]] = []
            for cue, exclusion, alternatives in steps:
                if exclusion:
                    blocked += cue.spans(key, start, end)
                elif cue.label not in found and (  # not another spelling of a thing already counted
                        any(not any(a <= s and e <= b for a, b in blocked) for s, e in cue.spans(key, start, end))
                        if blocked else _matches(alternatives, key, low, start, end)):
                    found[cue.label] = cue.weight
            if found:
                score, labels, covered = totals.get(theme_id, (0.0, [], 0))
                labels += [label for label in found if label not in labels]
                totals[theme_id] = (score + sum(found.values()), labels, covered + 1)
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


def _frame(codebook: Codebook, key: str, low: str | None, possible: frozenset[Alternative] | None) -> Framing:
    russia, china, cooperation, tension = codebook.framing_plan(possible)
    # Who is named is a yes or no: the first cue found settles it.
    end = len(key)
    return Framing(any(_matches(alternatives, key, low, 0, end) for _, alternatives in russia),
                   any(_matches(alternatives, key, low, 0, end) for _, alternatives in china),
                   _labels(key, low, cooperation), _labels(key, low, tension))


def _matches(alternatives: tuple[Alternative, ...], text: str, low: str | None, start: int, end: int) -> bool:
    """Whether one of the alternatives matches ``text[start:end]`` (a loop: a generator for ``any`` cost more)."""
    for a in alternatives:
        if a.found(text, start, end, low):
            return True
    return False


def _labels(text: str, low: str | None, steps: tuple[tuple[Cue, tuple[Alternative, ...]], ...]) -> tuple[str, ...]:
    """Labels of the cues with a match in the text, each once, in the list's order."""
    found: list[str] = []
    for cue, alternatives in steps:
        if cue.label not in found and _matches(alternatives, text, low, 0, len(text)):
            found.append(cue.label)
    return tuple(found)


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


