"""Scoring against hand labels: metrics on examples small enough to compute by hand."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pipeline import evaluate as ev
from pipeline.codebook import load_codebook
from pipeline.corpus import load_corpus
from pipeline.metadata import PartialDate

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
SEED_LABELS = Path("/work/shared/eval/seeds.yaml")


def test_metrics_on_a_hand_computed_example():
    # tp=1 (item 0), fn=1 (item 1), fp=1 (item 2), tn=2.
    m = ev.binary_metrics([True, True, False, False, False], [True, False, True, False, False])
    assert (m.precision, m.recall, m.f1, m.support) == (0.5, 0.5, 0.5, 2)
    # observed agreement 3/5; chance 0.4*0.4 + 0.6*0.6 = 0.52; kappa = 0.08 / 0.48
    assert m.kappa == pytest.approx(1 / 6)


def test_no_positives_on_either_side_is_perfect_not_a_division_by_zero():
    m = ev.binary_metrics([False] * 4, [False] * 4)
    assert (m.precision, m.recall, m.f1, m.kappa, m.support) == (1.0, 1.0, 1.0, 1.0, 0)


def test_missing_every_positive_scores_zero():
    m = ev.binary_metrics([True, False], [False, False])
    assert (m.precision, m.recall, m.f1, m.kappa) == (0.0, 0.0, 0.0, 0.0)


def test_event_dates_match_at_the_gold_precision():
    assert ev.event_matches("2018-05", PartialDate(2018, 5, 14), None)
    assert not ev.event_matches("2018-05", PartialDate(2018), None)
    assert ev.event_matches("2019-05-14/2019-05-15", PartialDate(2019, 5, 14), PartialDate(2019, 5, 15))
    assert not ev.event_matches("2019-05-14/2019-05-15", PartialDate(2019, 5), None)
    assert ev.event_matches("1990s", PartialDate(1993), None)
    assert ev.event_matches("2014/2020", PartialDate(2014), PartialDate(2020))


def tiny_corpus(tmp_path: Path) -> Path:
    """One document whose paragraphs are hard-wrapped and separated by blank lines."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "metadata.yaml").write_text(textwrap.dedent("""
        documents:
          - file: doc1.txt
            title: "Security and trade in Central Asia"
            date: 2023-05
    """), encoding="utf-8")
    (corpus / "doc1.txt").write_text(textwrap.dedent("""
        Security and trade in Central Asia

        Public opinion in Kazakhstan has turned against the
        CSTO since the deployment of its troops in January
        2022, and many now question the alliance.

        The harvest was good this year and farmers in the
        north were pleased with the prices they obtained
        for their grain at the local market.

        Officials met again in Astana to discuss the weather
        and the state of the roads, which remain poor in
        the spring months after the snow melts.
    """), encoding="utf-8")
    return corpus


def test_evaluate_a_tiny_corpus_with_its_own_labels(tmp_path):
    gold = tmp_path / "labels.yaml"
    gold.write_text(textwrap.dedent("""
        schema_version: 1
        themes: [csto_perception]
        documents:
          - id: doc1
            paragraphs:
              - {i: 0, start: Security and trade in Central Asia, labels: []}
              - {i: 1, start: Public opinion in Kazakhstan has turned, labels: [csto_perception]}
              - {i: 2, start: The harvest was good, labels: [csto_perception]}
              - {i: 3, start: Officials met again, labels: []}
            key_facts: []
            dated_events: []
    """), encoding="utf-8")
    report = ev.evaluate(load_corpus(tiny_corpus(tmp_path)), load_codebook(), gold)
    csto = report.themes["csto_perception"]
    # Predicted only paragraph 1: tp=1, fn=1 (paragraph 2), fp=0, tn=2 (the dropped title counts as "no theme").
    assert (csto.precision, csto.recall, csto.support) == (1.0, 0.5, 2)
    assert csto.kappa == pytest.approx(0.5)  # observed 3/4, chance 0.5*0.25 + 0.5*0.75 = 0.5
    assert [(d.gold_i, d.gold, d.predicted) for d in report.disagreements] == [(2, True, False)]
    assert report.unaligned == ["doc1 #0: Security and trade in Central Asia"]


def test_figure_scoring_counts_extracted_values_against_gold_facts(tmp_path, monkeypatch):
    from pipeline import extract

    class Fig:
        def __init__(self, value: float):
            self.value, self.paragraph_id = value, "doc1-p2"

    # Three extracted figures, one equal to a gold fact; two gold facts, one found.
    monkeypatch.setattr(extract, "extract_figures", lambda p: [Fig(2022.0), Fig(25000.0), Fig(7.0)] if p.n == 2 else [])
    monkeypatch.setattr(extract, "parse_number", lambda text: {"25,000": 25000.0, "3 million": 3e6}.get(text))
    gold = tmp_path / "labels.yaml"
    gold.write_text(textwrap.dedent("""
        schema_version: 1
        themes: [csto_perception]
        documents:
          - id: doc1
            paragraphs: [{i: 1, start: Public opinion, labels: [csto_perception]}]
            key_facts:
              - {value: '25,000', paragraph: 1}
              - {value: 3 million, paragraph: 1}
    """), encoding="utf-8")
    report = ev.evaluate(load_corpus(tiny_corpus(tmp_path)), load_codebook(), gold)
    assert report.figures_precision == pytest.approx(1 / 3)
    assert report.figures_recall == 0.5


def test_the_seed_report_is_well_formed():
    report = ev.evaluate(load_corpus(SEEDS), load_codebook(), SEED_LABELS).to_json()
    assert set(report["themes"]) == {"russian_soft_power", "xinjiang", "eaeu_vs_bri", "csto_perception"}
    for metrics in report["themes"].values():
        assert set(metrics) >= {"precision", "recall", "f1", "kappa", "support"}
        assert all(0.0 <= metrics[k] <= 1.0 for k in ("precision", "recall", "f1"))
        assert -1.0 <= metrics["kappa"] <= 1.0 and metrics["support"] > 0
    assert 0.0 <= report["macro_f1"] <= 1.0
    for value in (*report["figures"].values(), report["events"]["recall"]):
        assert value is None or 0.0 <= value <= 1.0
