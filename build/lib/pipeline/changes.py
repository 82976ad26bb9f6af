""""What changed since the last brief": the new build's data compared with the data the last build published.

Rows are matched by content, not by id (a passage keeps its text when a file is renamed, and a paragraph
id can shift when a document is edited), and every new item is cited from the new corpus.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from .datasets import read_table
from .render import Citer, esc

SHOWN = 6  # items listed per kind; the rest are counted (the CSV files have them all)


@dataclass
class Changes:
    since: str  # when the previous brief was built
    added: list[dict] = field(default_factory=list)  # document rows
    removed: list[dict] = field(default_factory=list)
    figures: list[dict] = field(default_factory=list)  # new figure rows
    events: list[dict] = field(default_factory=list)
    themes: list[tuple[str, int, int, list[str]]] = field(default_factory=list)  # theme, passages before, now, new passage ids

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.figures or self.events or self.themes)


def _new(rows: list[dict], before: list[dict], key) -> list[dict]:
    seen = {key(r) for r in before}
    return [r for r in rows if key(r) not in seen]


def _passage_of(row: dict, theme: str) -> bool:
    """A body paragraph coded to the theme: what the brief counts as the theme's passages."""
    return row["kind"] == "body" and theme in row["themes"].split(";")


def compare(previous: Path, since: str, now: dict[str, list[dict]], themes: list[str]) -> Changes:
    """Compare the tables of this build (``datasets.tables``) with those published in ``previous/data``."""
    data = previous / "data"
    before = {name: read_table(data, name) for name in ("documents", "paragraphs", "figures", "events")}
    changes = Changes(since)
    changes.added = _new(now["documents"], before["documents"], lambda r: r["sha256"])
    changes.removed = _new(before["documents"], now["documents"], lambda r: r["sha256"])
    changes.figures = _new(now["figures"], before["figures"], lambda r: (r["as_written"], r["sentence"]))
    changes.events = _new(now["events"], before["events"], lambda r: (r["as_written"], r["sentence"]))
    for theme in themes:
        old = {r["text"] for r in before["paragraphs"] if _passage_of(r, theme)}
        new = [r for r in now["paragraphs"] if _passage_of(r, theme)]
        if len(new) != len(old) or any(r["text"] not in old for r in new):
            changes.themes.append((theme, len(old), len(new), [r["passage_id"] for r in new if r["text"] not in old]))
    return changes


def _when(iso: str) -> str:
    try:
        stamp = dt.datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return f"on {stamp:%Y-%m-%d} at {stamp:%H:%M} UTC"


def _more(n: int) -> str:
    return f" <span class=\"note\">and {n - SHOWN} more (see <code>data/</code>)</span>" if n > SHOWN else ""


def render(changes: Changes, citer: Citer, label: dict[str, str]) -> str:
    """The section as HTML; ``label`` maps theme ids to their names in the brief."""
    out = ['<h2 id="what-changed">What changed since the last brief</h2>',
           f'<p class="note">Compared with the brief built {esc(_when(changes.since))}.</p>']
    if changes.empty:
        out.append("<p>No document was added or removed, and no figure, date or theme coverage changed.</p>")
        return "".join(out)
    items = []
    for verb, docs in (("added", changes.added), ("removed", changes.removed)):
        if docs:
            names = "; ".join(f"{esc(d['title'])} ({esc(d['publisher'] or d['author'] or 'unknown publisher')}, {esc(d['date'] or 'undated')})"
                              for d in docs[:SHOWN])
            items.append(f"<li><strong>{len(docs)} document{'s' if len(docs) > 1 else ''} {verb}:</strong> {names}{_more(len(docs))}</li>")
    for theme, old, new, pids in changes.themes:
        delta = f"{new - old:+d}" if new != old else "±0"
        cites = f" New passages: {citer.marks(pids, limit=SHOWN)}" if pids else ""
        items.append(f"<li><strong>{esc(label.get(theme, theme))}:</strong> {old} → {new} passages ({delta}).{cites}</li>")
    for kind, rows, show in (("figure", changes.figures, lambda r: f"{r['as_written']}" + (f" ({r['entity']})" if r["entity"] else "")),
                             ("dated event", changes.events, lambda r: r["as_written"])):
        if rows:
            listed = "; ".join(f"{esc(show(r))} {citer.mark(r['passage_id'])}" for r in rows[:SHOWN])
            items.append(f"<li><strong>{len(rows)} new {kind}{'s' if len(rows) > 1 else ''}:</strong> {listed}{_more(len(rows))}</li>")
    out.append(f'<ul class="changes">{"".join(items)}</ul>')
    return "".join(out)
