"""The corpus overview and the methods-and-quality appendix."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from . import charts, render
from .analysis import Context, period_of
from .render import Citer, esc


def documents_table(ctx: Context, citer: Citer) -> str:
    docs = sorted(ctx.corpus.documents, key=lambda d: d.id)
    note = ""
    if len(docs) > render.MAX_ROWS:
        docs = sorted(docs, key=lambda d: (d.meta.date.iso() if d.meta.date else ""), reverse=True)[:render.MAX_ROWS]
        note = f": the {render.MAX_ROWS} most recent of {len(ctx.corpus.documents)}; all in data/documents.csv"
    rows = []
    for doc in docs:
        m = doc.meta
        rows.append([f"[{citer.number[doc.id]}]", m.title, m.publisher or "—", m.date.iso() if m.date else "undated", m.kind or "—",
                     f"{doc.words:,}", str(len(doc.paragraphs))])
    return render.table(["", "title", "publisher", "date", "kind", "words", "paragraphs"], rows, numeric_columns=(5, 6),
                        caption=f"Documents in the corpus{note}")


def stats(ctx: Context) -> str:
    c = ctx.corpus
    span = c.date_range()
    periods = Counter(period_of(d.meta.date) for d in c.documents)
    return render.stat_strip([
        (str(len(c.documents)), "documents"),
        (str(len({d.meta.publisher for d in c.documents if d.meta.publisher})), "publishers"),
        (f"{span[0].year}–{span[1].year}" if span else "undated", "publication years"),
        (f"{sum(d.words for d in c.documents):,}", "words of body text"),
        (f"{periods.get('before Feb 2022', 0)} / {periods.get('from Feb 2022', 0)}", "before / from Feb 2022"),
    ])


def paragraphs_by_period(ctx: Context) -> dict[str, int]:
    out: Counter = Counter()
    for doc in ctx.corpus.documents:
        out[period_of(doc.meta.date)] += len(doc.paragraphs)
    return dict(out)


def theme_matrix(ctx: Context, figures_dir: str | Path | None) -> str:
    """Share of each document's paragraphs coded to each theme."""
    themes = ctx.codebook.theme_ids
    docs = sorted(ctx.corpus.documents, key=lambda d: (d.meta.date.iso() if d.meta.date else "9999", d.id))
    per_year = len(docs) > render.MAX_ROWS  # then one row per year of publication
    groups: dict[str, list] = {}
    for doc in docs:
        label = (str(doc.meta.date.year) if doc.meta.date else "undated") if per_year else ctx.doc_label(doc)
        groups.setdefault(label, []).extend(p for p in doc.paragraphs if p.kind == "body")
    values = [[sum(1 for p in body if (s := ctx.coded[p.id].get(t)) and s.assigned) / max(1, len(body)) for t in themes]
              for body in groups.values()]
    fig = charts.heatmap(list(groups), [ctx.codebook.label(t) for t in themes], values,
                         title=f"Share of each {'year' if per_year else 'document'}'s paragraphs coded to each theme")
    return charts.publish(fig, "overview-themes", "Theme coverage at a glance: documents in date order.", figures_dir)


def quality(ctx: Context, shown: int = 12) -> str:
    """What the loader noticed: decoding fallbacks, duplicates, near-duplicates, undated documents.

    Beyond ``shown`` warnings or undated files the note counts the rest (``brief validate`` lists them all).
    """
    warnings = [esc(str(w)) for w in ctx.corpus.warnings]
    notes = warnings[:shown] + ([f"and {len(warnings) - shown} more warnings: run brief validate to see them all"]
                                if len(warnings) > shown else [])
    read_as = Counter(d.encoding for d in ctx.corpus.documents)
    if set(read_as) != {"utf-8"}:
        notes.append("documents read as: " + esc(", ".join(f"{how} ({n})" for how, n in sorted(read_as.items()))))
    undated = [d.meta.file for d in ctx.corpus.documents if not d.meta.date]
    if undated:
        more = f" and {len(undated) - shown} more (data/documents.csv)" if len(undated) > shown else ""
        notes.append(f"{len(undated)} undated document(s), left out of time comparisons: {esc(', '.join(undated[:shown]))}{more}")
    if not notes:
        return '<p class="note">Data quality: every document decoded as UTF-8; no duplicates; every document is dated.</p>'
    return '<p class="note">Data quality notes:</p><ul class="note">' + "".join(f"<li>{n}</li>" for n in notes) + "</ul>"


def codebook_table(ctx: Context) -> str:
    rows = []
    for t in ctx.codebook.theme_ids:
        theme = ctx.codebook.themes[t]
        cues = [getattr(c, "label", str(c)) for c in theme.cues]
        rows.append([theme.label, theme.description, f"{len(cues)}: " + ", ".join(cues[:8]) + (" …" if len(cues) > 8 else "")])
    return render.table(["theme", "what counts", "cues (examples)"], rows, caption="The codebook (codebook/themes.yaml)")


def agreement(ctx: Context, gold_path: str | Path | None) -> str:
    """Coding and extraction scored against hand labels, computed at build time."""
    if not gold_path or not Path(gold_path).is_file():
        return '<p class="note">No hand labels were given for this corpus, so coding quality is not measured here.</p>'
    from .evaluate import evaluate

    data = evaluate(ctx.corpus, ctx.codebook, gold_path).to_json()
    rows = [[ctx.codebook.label(t) if t in ctx.codebook.theme_ids else t, f"{m['precision']:.2f}", f"{m['recall']:.2f}",
             f"{m['f1']:.2f}", f"{m['kappa']:.2f}", str(m["support"])] for t, m in data["themes"].items()]
    table = render.table(["theme", "precision", "recall", "F1", "Cohen's κ", "labelled ¶"], rows, numeric_columns=(1, 2, 3, 4, 5),
                         caption=f"Theme coding against hand labels ({Path(gold_path).name}); macro F1 {data['macro_f1']:.2f}")
    fig, ev = data.get("figures") or {}, data.get("events") or {}
    fmt = lambda x: "n/a" if x is None else f"{x:.2f}"  # noqa: E731
    extra = (f'<p class="note">Extraction against the same labels: figures recall {fmt(fig.get("recall"))}, precision '
             f'{fmt(fig.get("precision"))}; dated events recall {fmt(ev.get("recall"))}.</p>')
    return table + extra


def cleaning(ctx: Context) -> str:
    """What cleaning removed from each document, and why (the documents with most removed, beyond MAX_ROWS)."""
    rows = []
    docs = sorted(ctx.corpus.documents, key=lambda d: d.id)
    note = ""
    if len(docs) > render.MAX_ROWS:
        docs = sorted(docs, key=lambda d: -(len(d.removed) + len(d.endnotes)))[:render.MAX_ROWS]
        total = Counter(r.reason for d in ctx.corpus.documents for r in d.removed)
        note = (f": the {render.MAX_ROWS} documents with most removed, of {len(ctx.corpus.documents)}; in all: "
                + ", ".join(f"{n} {reason}" for reason, n in sorted(total.items())))
    for doc in docs:
        reasons = Counter(r.reason for r in doc.removed)
        what = ", ".join(f"{n} {reason}" for reason, n in sorted(reasons.items()))
        if doc.endnotes:
            what += (", " if what else "") + f"{len(doc.endnotes)} endnotes set apart, {doc.note_markers_removed} note markers removed"
        rows.append([doc.meta.file, doc.encoding, what or "nothing"])
    return render.table(["file", "decoded as", "removed before analysis"], rows, caption=f"Cleaning, per document{note}")
