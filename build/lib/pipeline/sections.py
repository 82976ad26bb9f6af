"""The blocks of a theme section, rendered from findings: what a theme notebook shows, in order.

Each function returns an HTML fragment (see render.py for escaping); charts are also saved to disk.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from . import charts, render
from .analysis import PERIODS, SUBJECTS, TONES, Context, ThemeFindings
from .errors import ConfigError
from .render import Citer, esc
from .text import match_key


def header(f: ThemeFindings) -> str:
    years = f.years()
    span = f"{years[0]}–{years[1]}" if years and years[0] != years[1] else (str(years[0]) if years else "no dated source")
    return render.stat_strip([
        (f"{f.documents_covered} of {f.documents_total}", "documents"),
        (str(len(f.passages)), "passages"),
        (span, "years of the sources"),
        (str(len(f.figures)), "stated figures"),
        (str(len(f.events)), "dated events"),
    ])


def lead(f: ThemeFindings, citer: Citer) -> str:
    return render.summary(" ".join(f"{esc(s.text)} {citer.marks(s.cites)}" for s in f.statements))


def coverage_chart(f: ThemeFindings, figures_dir: str | Path | None) -> str:
    rows, unit = by_year(f.coverage, ("passages", "paragraphs")) if len(f.coverage) > render.MAX_ROWS else (f.coverage, "document")
    fig = charts.coverage([c["label"] for c in rows], [c["passages"] for c in rows], [c["paragraphs"] for c in rows],
                          title=f"{f.label}: passages per {unit}, oldest first")
    return charts.publish(fig, f"{f.theme}-coverage", f"Paragraphs coded to {f.label} in each {unit}, by publication date.", figures_dir)


def by_year(rows: list[dict], counts: tuple[str, ...]) -> tuple[list[dict], str]:
    """Per-document rows (with "date") summed into one row per year of publication, undated last."""
    years: dict[str, dict] = {}
    for row in rows:
        year = (row.get("date") or "undated")[:4] if row.get("date") else "undated"
        total = years.setdefault(year, {"label": year, **{k: 0 for k in counts}})
        for k in counts:
            total[k] += row[k]
    return sorted(years.values(), key=lambda r: (r["label"] == "undated", r["label"])), "year"


def evidence(f: ThemeFindings, ctx: Context, citer: Citer, n: int = 5) -> str:
    """The strongest passages, quoted verbatim, with source and why they were coded."""
    from .coding import ThemeScore, explain

    items = []
    for p in _unique(f.passages, lambda p: match_key(p.text))[:n]:
        para = ctx.corpus.paragraph(p.id)
        why = explain(ThemeScore(f.theme, p.score, tuple(p.cues), True))
        cite = f"{esc(citer.source(p.doc_id))} · ¶{para.n} {citer.mark(p.id)}"
        items.append(render.quote(render.excerpt(para), cite, why).replace("<blockquote ", f'<blockquote data-pid="{esc(p.id)}" ', 1))
    return "".join(items) or '<p class="empty">No passage is coded to this theme.</p>'


def figures_table(f: ThemeFindings, citer: Citer, limit: int = 8) -> str:
    figures = _unique(f.figures, lambda x: (x["text"], match_key(x["sentence"])))
    rows = [(x["text"], x.get("entity") or x.get("unit") or "", x["sentence"], citer.mark(x["paragraph_id"])) for x in figures[:limit]]
    note = f" (first {limit} of {len(figures)}; all in data/figures.csv)" if len(figures) > limit else ""
    return render.table(["figure", "what it measures", "stated in", "source"], rows, raw_columns=(3,),
                        caption=f"Figures stated in {f.label} passages{note}")


def timeline(f: ThemeFindings, ctx: Context, citer: Citer, figures_dir: str | Path | None, limit: int = 8) -> str:
    if not f.events:
        return '<p class="empty">No dated event is stated in these passages.</p>'
    points = []
    docs = [ctx.corpus.paragraph(e["paragraph_id"]).doc_id for e in f.events]
    many = len(set(docs)) > len(charts.PALETTE)  # then one colour: a legend of dozens of sources says nothing
    for e, doc in zip(f.events, docs):
        key = "events from many sources (listed below)" if many else f"[{citer.number[doc]}] {_short(ctx.corpus.document(doc).meta.source or doc)}"
        points.append((e["position"], _date_label(e).removesuffix(" (planned)"), key))
    chart = charts.publish(charts.timeline(points, title=f"{f.label}: dated events stated in the sources"), f"{f.theme}-timeline",
                           "Each dot is a date the sources state in a passage coded to this theme; colour = source.", figures_dir)
    events = _unique(f.events, lambda e: (e["start"], match_key(e["sentence"])))
    rows = [(_date_label(e), e["sentence"], citer.mark(e["paragraph_id"])) for e in events[:limit]]
    note = f" (first {limit} of {len(events)}; all in data/events.csv)" if len(events) > limit else ""
    return chart + render.table(["date", "event, as the source states it", "source"], rows, raw_columns=(2,), caption=f"Timeline{note}")


def _unique(items: list, key) -> list:
    """The items in order, dropping any whose key an earlier one had: the same passage, figure or statement
    reported by several sources (syndicated articles, quotes repeated) is shown once, at its first source."""
    seen: set = set()
    return [x for x in items if not (key(x) in seen or seen.add(key(x)))]


def _short(text: str, limit: int = 28) -> str:
    """At most ``limit`` characters, cut at a word boundary."""
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0].rstrip(" ,;(") + "…"


def _date_label(event: dict) -> str:
    """ISO date at the stated precision; '≈' marks a date resolved from the publication date ("last year")."""
    label = event["start"] + (f"/{event['end']}" if event["end"] else "")
    if event.get("relative"):
        label = "≈ " + label
    if event.get("planned"):
        label += " (planned)"
    return label


def actors(f: ThemeFindings, citer: Citer, limit: int = 8) -> str:
    rows = [(a["name"], a["kind"], str(len(a["passages"])), citer.marks(a["passages"], limit=2)) for a in f.actors[:limit]]
    table = render.table(["actor", "kind", "passages", "e.g."], rows, raw_columns=(3,), numeric_columns=(2,),
                         caption=f"Who appears in {f.label} passages")
    pairs = ", ".join(f"{esc(p['a'])} with {esc(p['b'])} ({p['passages']})" for p in f.pairs[:6])
    return table + (f'<p class="note">Most often together: {pairs}.</p>' if pairs else "")


def framing(f: ThemeFindings, citer: Citer, figures_dir: str | Path | None) -> str:
    """Russia vs China, cooperation vs tension cues, by period (chart) and by source (table)."""
    periods = [p for p in PERIODS if p in f.framing["period"]]
    keys = [f"{s}/{t}" for s in SUBJECTS for t in TONES]
    colors = {"russia/cooperation": "#d98c84", "russia/tension": charts.RUSSIA, "china/cooperation": "#e6d08a", "china/tension": charts.CHINA}
    out = ""
    if periods:
        series = {k: [len(f.framing["period"][p][k]) for p in periods] for k in keys}
        fig = charts.grouped(periods, series, title=f"{f.label}: how passages speak of Russia and China", ylabel="passages", colors=colors)
        out += charts.publish(fig, f"{f.theme}-framing", "Passages naming Russia or China that carry cooperation or tension cues "
                              "from the codebook, before and from February 2022.", figures_dir)
    sources = sorted(f.framing["source"].items(), key=lambda item: -sum(len(v) for v in item[1].values()))
    shown = sources[:6]
    rows = [[source] + [f"{len(cell[k])} {citer.marks(cell[k], limit=1)}" if cell[k] else "0" for k in keys] for source, cell in shown]
    note = f"; the {len(shown)} sources with most, of {len(sources)}" if len(sources) > len(shown) else ""
    return out + render.table(["source", "Russia · cooperation", "Russia · tension", "China · cooperation", "China · tension"],
                              rows, raw_columns=(1, 2, 3, 4), caption=f"Framing cues by source (passages, with examples{note})")


def voices(f: ThemeFindings, citer: Citer, limit: int = 6) -> str:
    rows = [(q["speaker"], q["text"], citer.mark(q["paragraph_id"])) for q in _unique(f.quotes, lambda q: match_key(q["text"]))[:limit]]
    return render.table(["who", "says", "source"], rows, raw_columns=(2,), caption="Attributed statements in these passages")


def compare(f: ThemeFindings, ctx: Context, citer: Citer, actor_ids: list[str], title: str) -> str:
    """Side-by-side: how often each named actor appears in the theme's passages, per period, with examples."""
    known = {a.id for a in ctx.gazetteer}
    unknown = [a for a in actor_ids if a not in known]
    if unknown:
        raise ConfigError(f"unknown actor id(s) {', '.join(unknown)} in 'compare': use ids from codebook/actors.yaml")
    passages = {p.id for p in f.passages}
    rows = []
    for actor_id in actor_ids:
        pids = [pid for pid in passages if any(m.actor_id == actor_id for m in ctx.mentions.get(pid, []))]
        if not pids:
            continue
        name = next(m.name for pid in pids for m in ctx.mentions[pid] if m.actor_id == actor_id)
        by_period = Counter(ctx.period(pid) for pid in pids)
        rows.append([name] + [str(by_period.get(p, 0)) for p in PERIODS[:2]] + [citer.marks(sorted(pids), limit=3)])
    return render.table(["", *PERIODS[:2], "passages"], rows, raw_columns=(3,), numeric_columns=(1, 2), caption=title)
