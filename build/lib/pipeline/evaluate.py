"""Scoring the coding and the extraction against hand labels (format: shared/eval/README.md).

Works for any corpus and any label file in that format. Alignment: a gold paragraph is the project
paragraph of the same document whose text, quotes/dashes made plain and whitespace collapsed, starts
with the gold ``start``; a gold paragraph the project dropped counts as predicted "no theme".

Degenerate cases are defined, never a division by zero: a ratio with an empty denominator is 1.0 when
there was nothing to get wrong (no gold positives and no predicted positives) and 0.0 otherwise; kappa
is 1.0 when both sides are constant and agree (chance agreement is 1), as there is no disagreement.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .codebook import Codebook, YamlLoader
from .coding import code_paragraph
from .corpus import Corpus, Document, Paragraph
from .errors import ConfigError
from .metadata import PartialDate
from .text import match_key


@dataclass(frozen=True)
class ThemeMetrics:
    precision: float
    recall: float
    f1: float
    kappa: float
    support: int  # gold paragraphs carrying the label


@dataclass(frozen=True)
class Disagreement:
    doc_id: str
    gold_i: Any  # the labeller's own paragraph index (informational)
    paragraph_id: str | None  # None: the project has no paragraph starting with the gold start (dropped)
    start: str
    theme: str
    gold: bool
    predicted: bool
    score: float
    cues: tuple[str, ...]


@dataclass
class EvalReport:
    themes: dict[str, ThemeMetrics]
    macro_f1: float
    figures_precision: float | None
    figures_recall: float | None
    events_recall: float | None
    disagreements: list[Disagreement] = field(default_factory=list)
    paragraphs: int = 0  # gold paragraphs scored
    unaligned: list[str] = field(default_factory=list)  # "doc_id #i: start" of gold paragraphs without a match
    extraction_error: str | None = None  # why figure/event metrics are None, when they are

    def to_json(self) -> dict[str, Any]:
        return {
            "themes": {t: asdict(m) for t, m in self.themes.items()},
            "macro_f1": self.macro_f1,
            "figures": {"precision": self.figures_precision, "recall": self.figures_recall},
            "events": {"recall": self.events_recall},
            "paragraphs": self.paragraphs,
            "unaligned": list(self.unaligned),
            "extraction_error": self.extraction_error,
            "disagreements": [{**asdict(d), "cues": list(d.cues)} for d in self.disagreements],
        }


# --- metrics ---------------------------------------------------------------------------------------

def _ratio(num: int, den: int, nothing_to_miss: bool) -> float:
    return num / den if den else (1.0 if nothing_to_miss else 0.0)


def binary_metrics(gold: list[bool], pred: list[bool]) -> ThemeMetrics:
    """Precision, recall, F1 and Cohen's kappa of one binary label over aligned items."""
    tp = sum(g and p for g, p in zip(gold, pred))
    fp = sum(p and not g for g, p in zip(gold, pred))
    fn = sum(g and not p for g, p in zip(gold, pred))
    precision = _ratio(tp, tp + fp, fn == 0)
    recall = _ratio(tp, tp + fn, fp == 0)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return ThemeMetrics(precision, recall, f1, cohen_kappa(gold, pred), tp + fn)


def cohen_kappa(gold: list[bool], pred: list[bool]) -> float:
    """Cohen's kappa for two binary raters; 1.0 when chance agreement is total and so is agreement."""
    n = len(gold)
    if not n:
        return 1.0
    observed = sum(g == p for g, p in zip(gold, pred)) / n
    g_yes, p_yes = sum(gold) / n, sum(pred) / n
    expected = g_yes * p_yes + (1 - g_yes) * (1 - p_yes)
    if expected >= 1.0:
        return 1.0 if observed >= 1.0 else 0.0
    return (observed - expected) / (1 - expected)


# --- gold file and alignment ---------------------------------------------------------------------

def load_gold(path: str | Path) -> dict[str, Any]:
    """Read a label file and check the parts scoring relies on; ConfigError names what is wrong."""
    path = Path(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8-sig"), Loader=YamlLoader)  # noqa: S506 - a SafeLoader subclass
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the label file ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("documents"), list):
        raise ConfigError(f"{path}: expected a top-level 'documents:' list (see shared/eval/README.md)")
    for k, doc in enumerate(data["documents"]):
        if not isinstance(doc, dict) or not (doc.get("id") or doc.get("file")):
            raise ConfigError(f"{path}: documents[{k}]: each document needs an 'id' (or 'file')")
        for j, para in enumerate(doc.get("paragraphs") or []):
            if not isinstance(para, dict) or not isinstance(para.get("start"), str) or not isinstance(para.get("labels") or [], list):
                raise ConfigError(f"{path}: document {doc.get('id')}, paragraphs[{j}]: needs 'start' (text) and 'labels' (a list)")
    return data


def _gold_doc_id(doc: dict[str, Any]) -> str:
    return str(doc.get("id") or Path(str(doc["file"])).stem)


def align(document: Document | None, gold_paragraphs: list[dict[str, Any]]) -> list[Paragraph | None]:
    """The project paragraph for each gold paragraph (None when dropped), in the gold order.

    A start that matches exactly one paragraph, and only that start matches it, is an anchor. Other
    starts (pull quotes repeating a body sentence, repeated lines) take the first unclaimed candidate
    between their neighbouring anchors, so a dropped pull quote does not steal the body paragraph.
    """
    if document is None:
        return [None] * len(gold_paragraphs)
    keys = [match_key(p.text) for p in document.paragraphs]

    def candidates(start: str) -> list[int]:
        k = match_key(start)
        found = [i for i, key in enumerate(keys) if k and key.startswith(k)]
        return found or [i for i, key in enumerate(keys) if k and key.casefold().startswith(k.casefold())]

    cands = [candidates(str(g["start"])) for g in gold_paragraphs]
    claims: dict[int, int] = {}
    for c in cands:
        for i in c:
            claims[i] = claims.get(i, 0) + 1
    chosen: list[int | None] = [c[0] if len(c) == 1 and claims[c[0]] == 1 else None for c in cands]
    taken = {i for i in chosen if i is not None}
    for g, c in enumerate(cands):
        if chosen[g] is not None or not c:
            continue
        lo = max((chosen[h] for h in range(g) if chosen[h] is not None), default=-1)
        hi = min((chosen[h] for h in range(g + 1, len(cands)) if chosen[h] is not None), default=len(keys))
        pick = next((i for i in c if lo < i < hi and i not in taken), None)
        if pick is not None:
            chosen[g] = pick
            taken.add(pick)
    return [document.paragraphs[i] if i is not None else None for i in chosen]


# --- figures and events ----------------------------------------------------------------------------

def _parse_gold_date(raw: Any) -> tuple[dt.date, dt.date] | None:
    """The inclusive day range a gold date stands for: YYYY, YYYY-MM, YYYY-MM-DD, A/B or a decade."""
    if isinstance(raw, dt.date):
        return raw, raw
    text = str(raw).strip()
    if m := re.fullmatch(r"(\d{3})0s", text):
        return dt.date(int(m.group(1) + "0"), 1, 1), dt.date(int(m.group(1) + "9"), 12, 31)
    parts = text.split("/")
    try:
        dates = [PartialDate.parse(p) for p in parts]
    except ValueError:
        return None
    if len(dates) not in (1, 2):
        return None
    return dates[0].first_day(), _last_day(dates[-1])


def _last_day(d: PartialDate) -> dt.date:
    if d.day:
        return d.first_day()
    if d.month:
        nxt = dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)
        return nxt - dt.timedelta(days=1)
    return dt.date(d.year, 12, 31)


def event_matches(gold_date: Any, start: PartialDate, end: PartialDate | None) -> bool:
    """True when an extracted date equals the gold date at the gold's precision.

    A single gold date matches an extracted date (or either end of a range) with the same fields up
    to the gold's precision; an interval or decade matches an extracted period lying inside it.
    """
    text = str(gold_date).strip()
    if "/" in text or text.endswith("s"):
        span = _parse_gold_date(gold_date)
        return bool(span) and span[0] <= start.first_day() and _last_day(end or start) <= span[1]
    try:
        gold = PartialDate.parse(text) if not isinstance(gold_date, dt.date) else PartialDate(gold_date.year, gold_date.month, gold_date.day)
    except ValueError:
        return False
    return any(d.year == gold.year and (gold.month is None or d.month == gold.month) and (gold.day is None or d.day == gold.day)
               for d in (start, end) if d is not None)


def _extraction_metrics(corpus: Corpus, gold: dict[str, Any], aligned: dict[str, list[Paragraph | None]]) -> tuple[float | None, float | None, float | None, str | None]:
    """Figure precision and recall, event recall; all None (with the reason) if extraction is unavailable."""
    try:
        from . import extract
    except Exception as exc:  # extraction is optional for coding metrics: report why it is missing
        return None, None, None, f"pipeline.extract unavailable: {exc}"
    by_id = {d.id: d for d in corpus.documents}
    facts_found = facts_total = figs_ok = figs_total = events_found = events_total = 0
    try:
        for gdoc in gold["documents"]:
            doc = by_id.get(_gold_doc_id(gdoc))
            figures = [f for p in doc.paragraphs for f in extract.extract_figures(p)] if doc else []
            values = [v for v in (extract.parse_number(str(k.get("value"))) for k in gdoc.get("key_facts") or []) if v is not None]
            facts_total += len(gdoc.get("key_facts") or [])
            facts_found += sum(any(_same(v, f.value) for f in figures) for v in values)
            figs_total += len(figures)
            figs_ok += sum(any(_same(v, f.value) for v in values) for f in figures)
            events = _document_events(extract, doc) if doc else []
            pids = {g.get("i"): (p.id if p else None) for g, p in zip(gdoc.get("paragraphs") or [], aligned[_gold_doc_id(gdoc)])}
            for ev in gdoc.get("dated_events") or []:
                events_total += 1
                pid = pids.get(ev.get("paragraph"))  # `paragraph: i` names the gold entry with that i
                events_found += pid is not None and any(e.paragraph_id == pid and event_matches(ev.get("date"), e.start, e.end) for e in events)
    except Exception as exc:  # a bug in extraction must not hide the coding metrics
        return None, None, None, f"extraction failed: {type(exc).__name__}: {exc}"
    return (_ratio(figs_ok, figs_total, facts_total == 0), _ratio(facts_found, facts_total, figs_total == 0),
            _ratio(events_found, events_total, True), None)


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(abs(a), abs(b), 1e-12)


def _document_events(extract: Any, doc: Document) -> list[Any]:
    """Events of a document read in order (years carry over to "In May"); relative dates dropped."""
    if hasattr(extract, "extract_document_events"):
        events = extract.extract_document_events(doc)
    else:
        events, year = [], doc.meta.date.year if doc.meta.date else None
        for p in doc.paragraphs:
            found = extract.extract_events(p, doc.meta.date, year)
            events += found
            year = max((e.start.year for e in found if not getattr(e, "inferred_year", False)), default=year)
    return [e for e in events if not getattr(e, "relative", False)]


# --- the report -------------------------------------------------------------------------------------

def evaluate(corpus: Corpus, codebook: Codebook, gold_path: str | Path) -> EvalReport:
    """Score theme coding, figures and events of ``corpus`` against the labels in ``gold_path``."""
    gold = load_gold(gold_path)
    themes = [str(t) for t in gold.get("themes") or codebook.theme_ids]
    by_id = {d.id: d for d in corpus.documents}
    rows: list[tuple[str, dict[str, Any], Paragraph | None, dict]] = []
    aligned: dict[str, list[Paragraph | None]] = {}
    unaligned = []
    for gdoc in gold["documents"]:
        doc_id = _gold_doc_id(gdoc)
        paras = gdoc.get("paragraphs") or []
        aligned[doc_id] = align(by_id.get(doc_id), paras)
        for g, p in zip(paras, aligned[doc_id]):
            rows.append((doc_id, g, p, code_paragraph(p, codebook) if p else {}))
            if p is None:
                unaligned.append(f"{doc_id} #{g.get('i')}: {g['start']}")
    metrics, disagreements = {}, []
    for theme in themes:
        gold_col = [theme in (g.get("labels") or []) for _, g, _, _ in rows]
        pred_col = [bool(s.get(theme) and s[theme].assigned) for _, _, _, s in rows]
        metrics[theme] = binary_metrics(gold_col, pred_col)
        for (doc_id, g, p, s), gv, pv in zip(rows, gold_col, pred_col):
            if gv != pv:
                sc = s.get(theme)
                disagreements.append(Disagreement(doc_id, g.get("i"), p.id if p else None, str(g["start"]), theme, gv, pv,
                                                  sc.score if sc else 0.0, sc.cues if sc else ()))
    macro = sum(m.f1 for m in metrics.values()) / len(metrics) if metrics else 0.0
    fp, fr, er, err = _extraction_metrics(corpus, gold, aligned)
    return EvalReport(metrics, macro, fp, fr, er, disagreements, len(rows), unaligned, err)


def format_table(report: EvalReport) -> str:
    """The per-theme figures as a plain-text table (CLI and notebooks)."""
    lines = [f"{'theme':<22}{'prec':>7}{'recall':>8}{'F1':>7}{'kappa':>8}{'support':>9}"]
    for t, m in report.themes.items():
        lines.append(f"{t:<22}{m.precision:>7.3f}{m.recall:>8.3f}{m.f1:>7.3f}{m.kappa:>8.3f}{m.support:>9d}")
    lines.append(f"{'macro F1':<22}{report.macro_f1:>22.3f}")

    def fmt(x: float | None) -> str:
        return "n/a" if x is None else f"{x:.3f}"

    lines.append(f"figures precision {fmt(report.figures_precision)}  recall {fmt(report.figures_recall)}; "
                 f"events recall {fmt(report.events_recall)}")
    return "\n".join(lines)
