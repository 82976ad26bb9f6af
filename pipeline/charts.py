"""Charts in one house style. Each chart is saved as PNG and SVG under the figures directory and shown
as an embedded SVG (vector in the PDF, no external file in the HTML). In a build with a PDF of up to
3,000 documents the PNG is drawn later, while the PDF renders (``draw_deferred``): 0.07 s a chart,
which the notebooks no longer wait for.

Figures are drawn with ``matplotlib.figure.Figure`` directly: no pyplot state, no GUI backend.
"""
from __future__ import annotations

import base64
import io
import os
import pickle
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402

from .config import DEFER_PNG_ENV, DEFERRED_PNG  # noqa: E402
from .render import esc  # noqa: E402

INK, MUTED, GRID = "#1f2933", "#6b7785", "#e4e7eb"
RUSSIA, CHINA, NEUTRAL = "#b03a2e", "#c9a227", "#3d6b8c"
PALETTE = ("#3d6b8c", "#b03a2e", "#c9a227", "#4f8a5b", "#7a5c99", "#8c6d3d")

matplotlib.rcParams.update({
    "font.family": "DejaVu Sans", "font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9,
    "axes.edgecolor": MUTED, "axes.labelcolor": INK, "xtick.color": INK, "ytick.color": INK,
    "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True, "grid.color": GRID,
    "grid.linewidth": 0.6, "axes.axisbelow": True, "svg.fonttype": "none", "svg.hashsalt": "brief",
    "figure.dpi": 100, "savefig.bbox": "tight",
})


def new_figure(width: float = 7.0, height: float = 2.8) -> tuple[Figure, object]:
    fig = Figure(figsize=(width, height))
    return fig, fig.add_subplot()


def publish(fig: Figure, name: str, caption: str, figures_dir: str | Path | None) -> str:
    """Save PNG and SVG (when a directory is given) and return the HTML figure with the SVG embedded."""
    svg = io.BytesIO()
    fig.savefig(svg, format="svg", metadata={"Date": None})
    if figures_dir is not None:
        out = Path(figures_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{name}.svg").write_bytes(svg.getvalue())
        if not (os.environ.get(DEFER_PNG_ENV) and _defer_png(fig, out / f"{name}{DEFERRED_PNG}")):
            _save_png(fig, out / f"{name}.png")
    data = base64.b64encode(svg.getvalue()).decode("ascii")
    return (f'<figure class="chart" id="fig-{esc(name)}"><img alt="{esc(caption)}" src="data:image/svg+xml;base64,{data}"/>'
            f"<figcaption>{esc(caption)}</figcaption></figure>")


def _defer_png(fig: Figure, path: Path) -> bool:
    """Write the figure and the style it is drawn in for ``draw_deferred``. False, and its PNG is drawn at once, when
    the figure does not pickle (an analyst's chart with a lambda as tick formatter) or holds something defined in
    the notebook itself (``__main__``), which the build process could not load."""
    style = {k: v for k, v in matplotlib.rcParams.items() if k != "backend"}
    try:
        data = pickle.dumps((fig, style), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        return False
    if b"__main__" in data:
        return False
    path.write_bytes(data)
    return True


def _save_png(fig: Figure, path: Path) -> None:
    fig.savefig(path, format="png", dpi=200, metadata={"Software": None})


def draw_deferred(figures_dir: Path) -> tuple[list[Path], list[str]]:
    """Draw the PNG of each chart in ``figures_dir`` that ``publish`` left to draw; return the PNGs, and a problem
    for each chart that could not be drawn (its SVG and the brief are whole; only that PNG file is missing)."""
    drawn, problems = [], []
    for deferred in sorted(figures_dir.glob(f"*{DEFERRED_PNG}")):
        png = deferred.with_name(deferred.name.removesuffix(DEFERRED_PNG) + ".png")
        try:
            fig, style = pickle.loads(deferred.read_bytes())
            with matplotlib.rc_context(style):
                _save_png(fig, png)
            drawn.append(png)
        except Exception as exc:
            problems.append(f"figures/{png.name} not written ({type(exc).__name__}: {str(exc)[:120]}); the brief and the "
                            "chart's SVG are complete")
        deferred.unlink()
    return drawn, problems


def coverage(doc_labels: Sequence[str], passages: Sequence[int], totals: Sequence[int], *, title: str) -> Figure:
    """Passages coded to a theme per document (documents in date order), against the document's size."""
    fig, ax = new_figure(7.0, 0.55 + 0.34 * max(1, len(doc_labels)))
    y = list(range(len(doc_labels)))[::-1]
    ax.barh(y, totals, color=GRID, height=0.62, label="all paragraphs")
    ax.barh(y, passages, color=NEUTRAL, height=0.62, label="coded to this theme")
    ax.set_yticks(y, [lbl if len(lbl) <= 52 else lbl[:50] + "…" for lbl in doc_labels])
    ax.set_xlabel("paragraphs")
    ax.set_title(title, loc="left", color=INK)
    ax.grid(axis="y", visible=False)
    for yi, p, t in zip(y, passages, totals):
        ax.text(t, yi, f" {p}/{t}", va="center", fontsize=8, color=MUTED)
    ax.legend(loc="lower right", frameon=False, fontsize=8)
    return fig


MAX_DOTS = 150  # beyond this a timeline counts events per year: a dot each would make a multi-megabyte chart


def timeline(points: Sequence[tuple[float, str, str]], *, title: str) -> Figure:
    """Dated events: (position in years, short label, colour key).

    Labels go into lanes above and below the axis, each in the nearest lane where it overlaps no other;
    a label with no free lane is left off (its dot stays, and the table under the chart lists every event).
    More than MAX_DOTS events are drawn as a count per year instead.
    """
    if len(points) > MAX_DOTS:
        return _per_year([p[0] for p in points], title=title)
    fig, ax = new_figure(7.0, 2.6 if len(points) < 12 else 3.4)
    points = sorted(points)
    xs = [p[0] for p in points]
    keys = sorted({p[2] for p in points})
    colour = {k: PALETTE[i % len(PALETTE)] for i, k in enumerate(keys)}
    ax.axhline(0, color=MUTED, linewidth=0.8)
    span = (max(xs) - min(xs)) if xs else 0
    pad = max(1.0, span * 0.06)
    if xs:
        ax.set_xlim(min(xs) - pad, max(xs) + pad)
    years_per_char = (span + 2 * pad) / (0.9 * 7.0) * (7 * 0.6 / 72)  # axis ≈ 90 % of 7 in; a 7 pt glyph ≈ 0.6 em
    first = [i == 0 or points[i][:2] != points[i - 1][:2] for i in range(len(points))]  # one label per repeated date
    lanes = _lanes([(x, (len(label) + 2) * years_per_char if new else None) for (x, label, _), new in zip(points, first)])
    for k in keys:  # one collection per source: a thousand events stay one SVG element each, not a group each
        ax.scatter([x for x, _, key in points if key == k], [0] * sum(1 for p in points if p[2] == k), s=22, color=colour[k],
                   zorder=3, label=k)
    for (x, label, _), lane in zip(points, lanes):
        if lane is not None:
            ax.vlines(x, 0, lane * 0.8, color=GRID, linewidth=0.8)
            ax.text(x, lane * 0.8, label, fontsize=7, ha="center", va="bottom" if lane > 0 else "top", color=INK)
    ax.set_ylim(-3.4, 3.4)
    ax.set_yticks([])
    ax.grid(axis="y", visible=False)
    ax.spines["left"].set_visible(False)
    if len(keys) > 1:
        ax.legend(loc="upper left", frameon=False, fontsize=7, ncols=min(3, len(keys)), bbox_to_anchor=(0, -0.12))
    ax.set_title(title, loc="left", color=INK)
    return fig


def _per_year(positions: Sequence[float], *, title: str) -> Figure:
    fig, ax = new_figure(7.0, 2.6)
    counts = Counter(int(x) for x in positions)
    ax.bar(list(counts), list(counts.values()), color=NEUTRAL, width=0.8)
    ax.set_ylabel("events stated")
    ax.set_title(f"{title} (per year)", loc="left", color=INK)
    ax.grid(axis="x", visible=False)
    return fig


def _lanes(labels: Sequence[tuple[float, float | None]], order: Sequence[int] = (1, -1, 2, -2, 3, -3)) -> list[int | None]:
    """For labels (centre, width) in left-to-right order, the nearest lane where each overlaps no earlier one
    (None: no free lane, or no label wanted, width None)."""
    right_edge = {lane: float("-inf") for lane in order}
    placed: list[int | None] = []
    for centre, width in labels:
        lane = None if width is None else next((lane for lane in order if centre - width / 2 > right_edge[lane]), None)
        if lane is not None:
            right_edge[lane] = centre + width / 2
        placed.append(lane)
    return placed


def grouped(groups: Sequence[str], series: dict[str, Sequence[float]], *, title: str, ylabel: str,
            colors: dict[str, str] | None = None) -> Figure:
    """Vertical grouped bars: one group per label, one bar per series."""
    fig, ax = new_figure(7.0, 2.8)
    n = max(1, len(series))
    width = 0.8 / n
    for i, (name, values) in enumerate(series.items()):
        xs = [g + (i - (n - 1) / 2) * width for g in range(len(groups))]
        ax.bar(xs, values, width=width * 0.95, label=name, color=(colors or {}).get(name, PALETTE[i % len(PALETTE)]))
    ax.set_xticks(range(len(groups)), groups)
    ax.set_ylabel(ylabel)
    ax.set_title(title, loc="left", color=INK)
    ax.grid(axis="x", visible=False)
    ax.legend(frameon=False, fontsize=8)
    return fig


def heatmap(rows: Sequence[str], cols: Sequence[str], values: Sequence[Sequence[float]], *, title: str, fmt: str = "{:.0%}") -> Figure:
    """A documents × themes matrix of shares, annotated."""
    fig, ax = new_figure(7.0, 0.8 + 0.36 * max(1, len(rows)))
    ax.imshow(values, cmap="Blues", aspect="auto", vmin=0, vmax=max(0.01, max((max(r) for r in values), default=1)))
    ax.set_xticks(range(len(cols)), cols)
    ax.set_yticks(range(len(rows)), [r if len(r) <= 48 else r[:46] + "…" for r in rows])
    ax.grid(False)
    for i, row in enumerate(values):
        for j, v in enumerate(row):
            ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=8, color=INK if v < 0.5 * max(max(row), 0.01) else "white")
    ax.set_title(title, loc="left", color=INK)
    ax.tick_params(length=0)
    return fig
