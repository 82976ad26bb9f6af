"""The data behind the brief as CSV tables (``reports/data/``), for readers who want to check or reuse it.

Every row that comes from a passage carries its ``passage_id`` (the anchor ``#psg-<passage_id>`` in the
HTML brief) and its ``citation`` as the brief prints it (``3:14`` = source 3, paragraph 14 of its file).
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

from .analysis import Context, period_of
from .corpus import Paragraph
from .render import Citer

TABLES = ("documents", "paragraphs", "figures", "events", "actors", "quotes")
# A cell starting with one of these is a formula to a spreadsheet; corpus text is untrusted (OWASP CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def tables(ctx: Context) -> dict[str, list[dict]]:
    """Rows of every table, computed from the analysis context."""
    citer = Citer(ctx.corpus)
    themes = ctx.codebook.theme_ids
    documents = []
    for doc in sorted(ctx.corpus.documents, key=lambda d: citer.number[d.id]):
        m = doc.meta
        documents.append({"source": citer.number[doc.id], "doc_id": doc.id, "file": m.file, "title": m.title,
                          "publisher": m.publisher, "author": m.author, "date": m.date.iso() if m.date else "",
                          "period": period_of(m.date), "language": m.language, "kind": m.kind, "url": m.url,
                          "paragraphs": len(doc.paragraphs), "words": doc.words, "encoding": doc.encoding,
                          "sha256": doc.sha256})
    paragraphs, figures, events, actors, quotes = [], [], [], [], []
    for p in ctx.corpus.paragraphs():
        _paragraph_rows(ctx, p, {"passage_id": p.id, "citation": citer.label_of(p), "doc_id": p.doc_id}, themes,
                        paragraphs, figures, events, actors, quotes)
    return {"documents": documents, "paragraphs": paragraphs, "figures": figures, "events": events, "actors": actors,
            "quotes": quotes}


def _paragraph_rows(ctx: Context, p: Paragraph, cite: dict, themes: tuple[str, ...], paragraphs: list, figures: list, events: list,
                    actors: list, quotes: list) -> None:
    """One paragraph's rows in each table; ``cite`` (its passage id and citation as the brief prints it) leads each."""
    coded, framing = ctx.coded.get(p.id, {}), ctx.framing.get(p.id)
    row = {**cite, "paragraph": p.n, "kind": p.kind,
           "themes": ";".join(t for t in themes if (s := coded.get(t)) and s.assigned)}
    for t in themes:
        score = coded.get(t)
        row[f"{t}_score"] = round(score.score, 3) if score else 0
        row[f"{t}_cues"] = ";".join(score.cues) if score else ""
    if framing:
        row.update({"names_russia": framing.russia, "names_china": framing.china,
                    "cooperation_cues": ";".join(framing.cooperation), "tension_cues": ";".join(framing.tension)})
    paragraphs.append({**row, "text": p.text})
    for f in ctx.figures.get(p.id, []):
        figures.append({**cite, "value": f.value, "unit": f.unit, "scale": f.scale, "entity": f.entity,
                        "as_written": f.text, "sentence": f.sentence})
    for e in ctx.events.get(p.id, []):
        events.append({**cite, "start": e.start.iso(), "end": e.end.iso() if e.end else "", "as_written": e.as_written,
                       "inferred_year": e.inferred_year, "planned": e.planned, "relative_to_publication": e.relative,
                       "sentence": e.sentence})
    for a in ctx.mentions.get(p.id, []):
        actors.append({**cite, "actor_id": a.actor_id, "name": a.name, "kind": a.kind, "as_written": a.text,
                       "role": a.role})
    for q in ctx.quotes.get(p.id, []):
        quotes.append({**cite, "speaker": q.speaker, "kind": q.kind, "text": q.text})


def _cell(value: object) -> object:
    if value is None:
        return ""
    if value.__class__ is str and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(rows: list[dict]) -> str:
    """The rows as CSV, with the first row's keys as the columns (a key a row lacks is an empty cell)."""
    buffer = io.StringIO()
    if rows:
        columns = list(rows[0])
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([_cell(row.get(k)) for k in columns] for row in rows)  # twice as fast as csv.DictWriter
    return buffer.getvalue()


def write_tables(rows_by_table: dict[str, list[dict]], directory: Path) -> None:
    """Write ``<table>.csv`` for every table (UTF-8 with BOM, so spreadsheets read Cyrillic right)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, rows in rows_by_table.items():
        (directory / f"{name}.csv").write_text(to_csv(rows), encoding="utf-8-sig")


def read_table(directory: Path, name: str) -> list[dict]:
    """A table written by ``write_tables`` (as strings), or [] when the file is missing."""
    path = directory / f"{name}.csv"
    if not path.is_file():
        return []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))
