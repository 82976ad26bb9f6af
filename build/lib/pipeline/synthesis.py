"""The synthesis that leads the brief: key findings and the cross-theme Russia/China view.

It reads the theme notebooks' findings (passed as JSON) and computes statements from them; every
statement carries the passages it rests on.
"""
from __future__ import annotations

from pathlib import Path

from . import charts, render
from .analysis import PERIODS, SUBJECTS, TONES, Statement, ThemeFindings
from .render import Citer, esc


def _count(f: ThemeFindings, key: str, period: str | None = None) -> list[str]:
    groups = [f.framing["period"][period]] if period else list(f.framing["period"].values())
    return [pid for cell in groups if cell for pid in cell.get(key, [])]


def key_findings(findings: list[ThemeFindings], paragraphs_by_period: dict[str, int]) -> list[Statement]:
    """5 to 8 computed statements: coverage, each theme's concentration, Russia/China balance, period shift."""
    out: list[Statement] = []
    coded = [f for f in findings if f.passages]
    if not coded:
        return [Statement("No passage of the corpus is coded to any theme: check the codebook against the corpus.", [])]
    ranked = sorted(coded, key=lambda f: -len(f.passages))
    top, low = ranked[0], ranked[-1]
    out.append(Statement(
        f"{top.label} is the most discussed theme ({len(top.passages)} passages in {top.documents_covered} of "
        f"{top.documents_total} documents); {low.label} the least ({len(low.passages)} passages in {low.documents_covered}).",
        [top.passages[0].id, low.passages[0].id]))
    for f in ranked:
        if f.statements:
            out.append(f.statements[0])
    russia = {f.label: _count(f, "russia/tension") for f in coded}
    china = {f.label: _count(f, "china/tension") for f in coded}
    r_total, c_total = sum(map(len, russia.values())), sum(map(len, china.values()))
    if r_total or c_total:
        r_top = max(russia, key=lambda k: len(russia[k]))
        c_top = max(china, key=lambda k: len(china[k]))
        out.append(Statement(
            f"Across the themes, tension cues accompany Russia in {r_total} passages and China in {c_total}; "
            f"Russia draws most tension in {r_top} ({len(russia[r_top])}), China in {c_top} ({len(china[c_top])}).",
            russia[r_top][:1] + china[c_top][:1]))
    total = sum(paragraphs_by_period.get(p, 0) for p in PERIODS[:2])
    if total and paragraphs_by_period.get(PERIODS[1]):
        base = paragraphs_by_period[PERIODS[1]] / total
        shares = {}
        for f in coded:
            period = {c["doc_id"]: c["period"] for c in f.coverage}
            later = [p.id for p in f.passages if period.get(p.doc_id, PERIODS[2]) == PERIODS[1]]
            dated = [p for p in f.passages if period.get(p.doc_id, PERIODS[2]) in PERIODS[:2]]
            if dated:
                shares[f.label] = (len(later) / len(dated), later)
        if shares:
            label, (share, later) = max(shares.items(), key=lambda kv: kv[1][0])
            out.append(Statement(
                f"{label} leans most on sources from February 2022 on: {share:.0%} of its dated passages come from them, "
                f"against {base:.0%} of all dated paragraphs in the corpus.", later[:2]))
    return out[:8]


def render_key_findings(statements: list[Statement], citer: Citer) -> str:
    items = "".join(f"<li>{esc(s.text)} {citer.marks(s.cites)}</li>" for s in statements)
    return f'<ol class="key-findings">{items}</ol>'


def balance(findings: list[ThemeFindings], citer: Citer, figures_dir: str | Path | None) -> str:
    """Theme × (Russia/China × cooperation/tension), by period: a chart and a table with examples."""
    keys = [f"{s}/{t}" for s in SUBJECTS for t in TONES]
    groups = [f.label for f in findings]
    series = {k.replace("/", " · "): [len(_count(f, k)) for f in findings] for k in keys}
    colors = {"russia · cooperation": "#d98c84", "russia · tension": charts.RUSSIA, "china · cooperation": "#e6d08a",
              "china · tension": charts.CHINA}
    fig = charts.grouped(groups, series, title="Russia and China across the themes", ylabel="passages", colors=colors)
    chart = charts.publish(fig, "synthesis-balance", "Passages of each theme that name Russia or China with cooperation or "
                           "tension cues from the codebook (all periods).", figures_dir)
    rows = []
    for f in findings:
        for period in PERIODS:
            if period not in f.framing["period"]:
                continue
            cells = [_count(f, k, period) for k in keys]
            rows.append([f.label, period] + [f"{len(c)} {citer.marks(c, limit=1)}" if c else "0" for c in cells])
    return chart + render.table(["theme", "period", "Russia · coop.", "Russia · tension", "China · coop.", "China · tension"],
                                rows, raw_columns=(2, 3, 4, 5), caption="By period (passages, with examples)")
