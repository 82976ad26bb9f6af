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

from collections.abc import Iterable

from .codebook import Codebook, Cue, Theme
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


def _sentences(paragraph: Paragraph) -> list[str]:
    """The paragraph's sentences with quotes and dashes normalised, so cues need one spelling."""
    texts = [s.text for s in paragraph.sentences] or [paragraph.text]
    return [match_key(t) for t in texts]


def _cues_in(sentence: str, cues: Iterable[Cue], exclusions: Iterable[Cue] = (), possible: frozenset[Cue] | None = None) -> list[Cue]:
    """Cues with a match in the sentence not covered by an exclusion match, one per label.

    Cues sharing a label are spellings of one thing (CSTO, ОДКБ, Collective Security Treaty
    Organization): "the Collective Security Treaty Organization (CSTO)" counts once. ``possible`` holds
    the cues that can match the sentence (Scanner.possible in prefilter.py), or None to run every regex.
    """
    if possible is not None:
        cues = [c for c in cues if c in possible]
        if not cues:
            return []
        exclusions = [x for x in exclusions if x in possible]
    blocked = [m.span() for ex in exclusions for m in ex.regex.finditer(sentence)]
    found: list[Cue] = []
    for cue in cues:
        if any(f.label == cue.label for f in found):
            continue
        for m in cue.regex.finditer(sentence):
            if not any(a <= m.start() and m.end() <= b for a, b in blocked):
                found.append(cue)
                break
    return found


def score_theme(paragraph: Paragraph, theme: Theme, sentences: list[tuple[str, frozenset[Cue] | None]] | None = None
                ) -> ThemeScore | None:
    """Score one theme on one paragraph; None when no cue of the theme fires.

    ``sentences`` (text, cues possible) come from ``_prefiltered`` when several themes score one paragraph.
    """
    sentences = sentences or [(s, None) for s in _sentences(paragraph)]
    score, labels, covered = 0.0, [], 0
    for sentence, possible in sentences:
        found = _cues_in(sentence, theme.cues, theme.exclusions, possible)
        if found:
            covered += 1
        score += sum(c.weight for c in found)
        labels += [c.label for c in found if c.label not in labels]
    if not labels:
        return None
    rules = theme.rules
    coverage = covered / len(sentences)
    if paragraph.kind == "heading":
        assigned = score >= rules.heading_threshold
    else:
        assigned = score >= rules.assign_threshold and (coverage >= rules.min_coverage or score >= rules.dense_threshold)
    return ThemeScore(theme.id, round(score, 3), tuple(labels), assigned, round(coverage, 3))


def _prefiltered(paragraph: Paragraph, codebook: Codebook) -> list[tuple[str, frozenset[Cue] | None]]:
    return [(s, codebook.scanner.possible(s)) for s in _sentences(paragraph)]


def code_paragraph(paragraph: Paragraph, codebook: Codebook) -> dict[str, ThemeScore]:
    """Scores of every theme with at least one cue in the paragraph (assigned or not)."""
    out = {}
    sentences = _prefiltered(paragraph, codebook)
    for theme in codebook.themes.values():
        result = score_theme(paragraph, theme, sentences)
        if result is not None:
            out[theme.id] = result
    return out


def code_corpus(corpus: Corpus, codebook: Codebook) -> dict[str, dict[str, ThemeScore]]:
    """``code_paragraph`` for every kept paragraph of the corpus, keyed by paragraph id."""
    return {p.id: code_paragraph(p, codebook) for p in corpus.paragraphs()}


def explain(score: ThemeScore) -> str:
    """One line for a reader: why the paragraph was (or was not) coded to the theme."""
    cues = ", ".join(score.cues) or "no cue"
    if score.assigned:
        return f"coded because: {cues}"
    return f"not coded (score {score.score:g}, {score.coverage:.0%} of sentences): only {cues}"


def frame_paragraph(paragraph: Paragraph, codebook: Codebook) -> Framing:
    """Which of Russia and China the paragraph names, and the cooperation/tension cues it uses."""
    text = match_key(paragraph.text)
    possible = codebook.scanner.possible(text)
    subjects, tones = codebook.framing.subjects, codebook.framing.tones

    def labels(cues: Iterable[Cue]) -> tuple[str, ...]:
        return tuple(c.label for c in _cues_in(text, cues, possible=possible))

    return Framing(bool(labels(subjects["russia"])), bool(labels(subjects["china"])),
                   labels(tones["cooperation"]), labels(tones["tension"]))
