"""Theme analysis: from a coded corpus to the findings one theme section shows and the synthesis reads.

Everything here is computed from the corpus; each statement carries the paragraph ids it rests on.
Findings are plain data (dataclasses of str/int/float/list) so they travel between notebooks as JSON.
"""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, is_dataclass
from pathlib import Path

from . import coding, extract
from .codebook import Codebook
from .corpus import Corpus, Document, Paragraph
from .errors import ConfigError
from .metadata import PartialDate

# The period split the brief compares: Russia's full-scale invasion of Ukraine.
PERIOD_SPLIT = PartialDate(2022, 2)
PERIODS = ("before Feb 2022", "from Feb 2022", "undated")
SUBJECTS, TONES = ("russia", "china"), ("cooperation", "tension")


def period_of(date: PartialDate | None) -> str:
    if date is None:
        return PERIODS[2]
    # A year-only 2022 date cannot be placed either side of February: count it as 'from'.
    return PERIODS[0] if (date.year, date.month or 12) < (PERIOD_SPLIT.year, PERIOD_SPLIT.month) else PERIODS[1]


@dataclass
class Statement:
    """One computed sentence of the brief and the passages it rests on."""

    text: str
    cites: list[str]


@dataclass
class Passage:
    id: str
    doc_id: str
    score: float
    cues: list[str]
    text: str


@dataclass
class ThemeFindings:
    theme: str
    label: str
    documents_total: int
    coverage: list[dict]  # per document: doc_id, label, date, period, passages, paragraphs
    passages: list[Passage]  # strongest first
    figures: list[dict]
    events: list[dict]
    actors: list[dict]  # id, name, kind, mentions, passages
    pairs: list[dict]  # a, b, passages
    quotes: list[dict]
    framing: dict[str, dict[str, dict[str, list[str]]]]  # group -> "russia/cooperation" -> passage ids
    statements: list[Statement] = field(default_factory=list)

    @property
    def documents_covered(self) -> int:
        return sum(1 for c in self.coverage if c["passages"])

    def years(self) -> tuple[int, int] | None:
        years = sorted(int(c["date"][:4]) for c in self.coverage if c["passages"] and c["date"])
        return (years[0], years[-1]) if years else None

    @classmethod
    def from_json(cls, data: dict) -> ThemeFindings:
        data = dict(data)
        data["passages"] = [Passage(**p) for p in data["passages"]]
        data["statements"] = [Statement(**s) for s in data["statements"]]
        return cls(**data)


@dataclass
class Context:
    """Everything a notebook needs about a corpus, computed once: coding, framing, extraction."""

    corpus: Corpus
    codebook: Codebook
    gazetteer: list
    coded: dict[str, dict[str, coding.ThemeScore]]
    framing: dict[str, coding.Framing]
    figures: dict[str, list]  # paragraph id -> figures
    events: dict[str, list]
    mentions: dict[str, list]
    quotes: dict[str, list]

    def doc_label(self, doc: Document) -> str:
        date = doc.meta.date.iso() if doc.meta.date else "undated"
        return f"{doc.meta.source or doc.id} ({date})"

    def period(self, pid: str) -> str:
        """The period of the document a paragraph belongs to."""
        return period_of(self.corpus.document(self.corpus.paragraph(pid).doc_id).meta.date)

    def passages_for(self, theme: str) -> list[Paragraph]:
        """Body paragraphs coded to the theme: what the brief counts, quotes and cites as its passages.

        A heading coded to a theme names the topic but is no evidence; counting it in one place and not in
        another made the brief's numbers disagree.
        """
        return [p for p in self.corpus.paragraphs() if p.kind == "body" and (s := self.coded[p.id].get(theme)) and s.assigned]


@dataclass
class DocumentAnalysis:
    """Coding, framing and extraction of one document, by paragraph id: the unit that is cached (session.py), so a
    document added to a large corpus costs only itself."""

    coded: dict[str, dict[str, coding.ThemeScore]]
    framing: dict[str, coding.Framing]
    figures: dict[str, list]
    events: dict[str, list]
    mentions: dict[str, list]
    quotes: dict[str, list]


def analyse_documents(docs: Sequence[Document], codebook: Codebook, gazetteer: list) -> list[DocumentAnalysis]:
    """Each document's analysis, alone: nothing learnt in one document (a person's surname, the year in force)
    carries into the next.

    One part (events, actors, coding, figures, quotes) runs over all the documents before the next, so that its
    patterns, automaton and memos stay in the processor's caches while it runs. Taking the parts in turn for each
    document evicted them at every switch: 2.6–2.7 s against 2.3–2.4 s for 1,000 synthetic documents
    (``benchmarks/corpus_parts.py`` times the parts)."""
    events = [_by_paragraph(extract.extract_document_events(d)) for d in docs]
    # Document-level: a person introduced once ("Temur Umarov") is recognised by surname later on.
    mentions = [_by_paragraph(extract.extract_document_actors(d, gazetteer)) for d in docs]
    read = [[coding.read_paragraph(p, codebook) for p in d.paragraphs] for d in docs]
    figures = [{p.id: extract.extract_figures(p) for p in d.paragraphs} for d in docs]
    quotes = [{p.id: extract.extract_quotes(p) for p in d.paragraphs} for d in docs]
    return [DocumentAnalysis({p.id: r[0] for p, r in zip(d.paragraphs, rs)}, {p.id: r[1] for p, r in zip(d.paragraphs, rs)},
                             f, e, m, q)
            for d, rs, f, e, m, q in zip(docs, read, figures, events, mentions, quotes)]


def _by_paragraph(items: list) -> dict[str, list]:
    """Items (events, mentions) by their paragraph id, in order."""
    out: dict[str, list] = {}
    for item in items:
        out.setdefault(item.paragraph_id, []).append(item)
    return out


def build_context(corpus: Corpus, codebook: Codebook, gazetteer: list,
                  analyses: list[DocumentAnalysis] | None = None) -> Context:
    """The context of a corpus from its documents' analyses (computed here when not given, in corpus order)."""
    analyses = analyses if analyses is not None else analyse_documents(corpus.documents, codebook, gazetteer)
    merged = DocumentAnalysis({}, {}, {}, {}, {}, {})
    for a in analyses:
        for name in ("coded", "framing", "figures", "events", "mentions", "quotes"):
            getattr(merged, name).update(getattr(a, name))
    return Context(corpus, codebook, gazetteer, merged.coded, merged.framing, merged.figures, merged.events,
                   merged.mentions, merged.quotes)


def _doc_sort_key(doc: Document) -> tuple:
    return (doc.meta.date.first_day().isoformat() if doc.meta.date else "9999", doc.id)


def theme_findings(ctx: Context, theme: str, *, top: int = 5) -> ThemeFindings:
    """What the corpus says about one theme, with every item traced to its paragraph."""
    if theme not in ctx.codebook.theme_ids:
        raise ConfigError(f"unknown theme '{theme}': the codebook defines {', '.join(ctx.codebook.theme_ids)}")
    passages = ctx.passages_for(theme)
    ids = {p.id for p in passages}
    per_doc = Counter(p.doc_id for p in passages)
    coverage = []
    for doc in sorted(ctx.corpus.documents, key=_doc_sort_key):
        coverage.append({"doc_id": doc.id, "label": ctx.doc_label(doc), "date": doc.meta.date.iso() if doc.meta.date else None,
                         "period": period_of(doc.meta.date), "passages": per_doc[doc.id],
                         "paragraphs": sum(1 for p in doc.paragraphs if p.kind == "body")})
    ranked = sorted(passages, key=lambda p: (-ctx.coded[p.id][theme].score, p.doc_id, p.n))
    strongest = [Passage(p.id, p.doc_id, round(ctx.coded[p.id][theme].score, 3), list(ctx.coded[p.id][theme].cues), p.text)
                 for p in ranked]
    figures = [{"paragraph_id": f.paragraph_id, "text": f.text, "value": f.value, "unit": f.unit, "entity": f.entity,
                "sentence": f.sentence} for p in passages for f in ctx.figures[p.id]]
    events = [{"paragraph_id": e.paragraph_id, "start": e.start.iso(), "end": e.end.iso() if e.end else None,
               "position": e.start.as_float(), "as_written": e.as_written, "sentence": e.sentence,
               "inferred_year": e.inferred_year, "planned": e.planned, "relative": e.relative}
              for p in passages for e in ctx.events.get(p.id, [])]
    events.sort(key=lambda e: (e["position"], e["paragraph_id"]))
    theme_mentions = [m for p in passages for m in ctx.mentions.get(p.id, [])]
    actor_mentions: dict[str, dict] = {}
    for m in theme_mentions:
        # passages as dict keys: ordered and unique without a list scan (quadratic for an actor in 10,000 passages)
        a = actor_mentions.setdefault(m.actor_id, {"id": m.actor_id, "name": m.name, "kind": m.kind, "mentions": 0, "passages": {}})
        a["mentions"] += 1
        a["passages"][m.paragraph_id] = None
    for a in actor_mentions.values():
        a["passages"] = list(a["passages"])
    actors = sorted(actor_mentions.values(), key=lambda a: (-len(a["passages"]), a["name"]))
    names = {a["id"]: a["name"] for a in actors}
    pairs = Counter(extract.co_occurrence(theme_mentions))
    quotes = [{"paragraph_id": q.paragraph_id, "speaker": q.speaker, "text": q.text, "kind": q.kind}
              for p in ranked for q in ctx.quotes[p.id] if q.speaker]
    findings = ThemeFindings(
        theme=theme, label=ctx.codebook.label(theme), documents_total=len(ctx.corpus.documents), coverage=coverage,
        passages=strongest, figures=figures, events=events, actors=actors,
        pairs=[{"a": names[a], "b": names[b], "passages": n} for (a, b), n in pairs.most_common(8)],
        quotes=quotes, framing=framing_table(ctx, passages))
    findings.statements = theme_statements(ctx, findings, ids)
    return findings


def framing_table(ctx: Context, passages: list[Paragraph]) -> dict[str, dict[str, dict[str, list[str]]]]:
    """For each source and each period: which passages speak of Russia/China with cooperation/tension cues."""
    table: dict[str, dict[str, dict[str, list[str]]]] = {"source": {}, "period": {}}
    for p in passages:
        f = ctx.framing[p.id]
        doc = ctx.corpus.document(p.doc_id)
        for group, key in (("source", ctx.doc_label(doc)), ("period", period_of(doc.meta.date))):
            cell = table[group].setdefault(key, {f"{s}/{t}": [] for s in SUBJECTS for t in TONES})
            for subject in SUBJECTS:
                if getattr(f, subject):
                    for tone in TONES:
                        if getattr(f, tone):
                            cell[f"{subject}/{tone}"].append(p.id)
    return table


def _n(count: int, singular: str, plural: str | None = None) -> str:
    """'1 passage', '2 passages'; ``plural`` for phrases whose verb agrees too ('passage pairs'/'passages pair')."""
    return f"{count} {singular if count == 1 else plural or singular + 's'}"


def theme_statements(ctx: Context, f: ThemeFindings, ids: set[str]) -> list[Statement]:
    """The computed lead sentences of a theme section."""
    out: list[Statement] = []
    if not f.passages:
        return [Statement(f"No passage in the {f.documents_total} documents is coded to {f.label}.", [])]
    covered = [c for c in f.coverage if c["passages"]]
    densest = max(covered, key=lambda c: (c["passages"] / max(1, c["paragraphs"]), c["passages"]))
    top_in_densest = [p.id for p in f.passages if p.doc_id == densest["doc_id"]][:2]
    out.append(Statement(
        f"{f.label} is addressed in {len(covered)} of {f.documents_total} documents ({_n(len(ids), 'passage')}); "
        f"it is most concentrated in {densest['label']}, where {densest['passages']} of {densest['paragraphs']} "
        f"paragraphs are coded to it.", top_in_densest))
    by_period = f.framing["period"]
    parts, cites = [], []
    for period in PERIODS[:2]:
        cell = by_period.get(period)
        n = sum(1 for c in covered if c["period"] == period)
        if not cell or not n:
            continue
        rt, ct = len(cell["russia/tension"]), len(cell["china/tension"])
        rc, cc = len(cell["russia/cooperation"]), len(cell["china/cooperation"])
        when = "in sources from before February 2022" if period == PERIODS[0] else "in sources from February 2022 on"
        parts.append(f"{when}, {_n(rt, 'passage pairs', 'passages pair')} Russia with tension cues and {rc} with cooperation "
                     f"cues; for China the counts are {ct} and {cc}")
        cites += (cell["russia/tension"][:1] + cell["china/tension"][:1] + cell["china/cooperation"][:1])
    if parts:
        text = "; ".join(parts) + "."
        out.append(Statement(text[0].upper() + text[1:], list(dict.fromkeys(cites))))
    if f.figures:
        rank = {p.id: i for i, p in enumerate(f.passages)}  # strongest first
        fig = min(f.figures, key=lambda x: rank.get(x["paragraph_id"], len(rank)))
        what = f" ({fig['entity']})" if fig.get("entity") else ""
        out.append(Statement(f"The figure stated in the strongest evidence: {fig['text']}{what}.", [fig["paragraph_id"]]))
    return out


def save_findings(findings: ThemeFindings, out_dir: str | Path) -> Path:
    path = Path(out_dir) / "findings" / f"{findings.theme}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    # No indent: json's C encoder only runs without one. Dataclasses are encoded from their __dict__, as asdict
    # would give them but without its deep copy (1.2 s for one theme at 10,000 documents).
    path.write_text(json.dumps(findings, ensure_ascii=False, default=_fields), encoding="utf-8")
    return path


def _fields(obj: object) -> dict:
    if is_dataclass(obj) and not isinstance(obj, type):
        return obj.__dict__
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def load_findings(findings_dir: str | Path, themes: list[str]) -> list[ThemeFindings]:
    """The theme notebooks' findings, in codebook order. A missing theme is an error that says what to run."""
    out = []
    for theme in themes:
        path = Path(findings_dir) / f"{theme}.json"
        if not path.is_file():
            raise ConfigError(f"no findings for theme '{theme}' in {findings_dir}: run 'brief build' first, or point "
                              "findings_dir at the findings/ folder of the out_dir your theme notebooks wrote to")
        out.append(ThemeFindings.from_json(json.loads(path.read_text(encoding="utf-8"))))
    return out
