"""Theme findings and the synthesis: computed from the corpus, every item cited, data-driven."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from pipeline import overview, synthesis
from pipeline.analysis import period_of, theme_findings
from pipeline.config import DEFAULT_CODEBOOK, DEFAULT_CORPUS
from pipeline.errors import ConfigError
from pipeline.metadata import PartialDate
from pipeline.session import load_context

NEW_DOC = """CSTO deployment revisited

In January 2022 the Collective Security Treaty Organization sent 2,030 troops to Kazakhstan at the request of President Tokayev. The CSTO mission was the first in the alliance's history, and analysts in Astana still debate whether the deployment strengthened Russia's security guarantees or exposed their limits.

Armenia's grievances with the CSTO grew after 2022, when the alliance did not respond to Azerbaijan's attacks; Yerevan froze its participation in the CSTO in February 2024.
"""


@pytest.fixture(scope="module")
def seeds():
    return load_context(DEFAULT_CORPUS, DEFAULT_CODEBOOK)


@pytest.fixture(scope="module")
def grown(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    for path in DEFAULT_CORPUS.iterdir():
        shutil.copy(path, root / path.name)
    (root / "900_test_csto.txt").write_text(NEW_DOC, encoding="utf-8")
    with open(root / "metadata.yaml", "a", encoding="utf-8") as fh:
        fh.write('  - file: 900_test_csto.txt\n    title: "CSTO deployment revisited"\n    publisher: Test Desk\n    date: 2025-01\n')
    return load_context(root, DEFAULT_CODEBOOK)


def test_a_new_document_changes_coverage_evidence_figures_and_timeline(seeds, grown):
    before, after = theme_findings(seeds, "csto_perception"), theme_findings(grown, "csto_perception")
    new = "900_test_csto"
    assert not any(c["doc_id"] == new for c in before.coverage)
    assert next(c for c in after.coverage if c["doc_id"] == new)["passages"] >= 1
    assert any(p.doc_id == new for p in after.passages)
    assert any(f["paragraph_id"].startswith(new) and f["value"] == 2030 for f in after.figures)
    new_events = {e["start"] for e in after.events if e["paragraph_id"].startswith(new)}
    assert {"2022-01", "2024-02"} <= new_events
    assert after.documents_covered == before.documents_covered + 1


def test_every_statement_and_item_cites_a_paragraph_of_the_corpus(seeds):
    ids = {p.id for p in seeds.corpus.paragraphs()}
    for theme in seeds.codebook.theme_ids:
        f = theme_findings(seeds, theme)
        assert f.statements
        for s in f.statements:
            assert set(s.cites) <= ids
        assert {x["paragraph_id"] for x in f.figures + f.events + f.quotes} <= ids
        assert {p.id for p in f.passages} <= ids


def test_passages_are_ranked_strongest_first(seeds):
    scores = [p.score for p in theme_findings(seeds, "eaeu_vs_bri").passages]
    assert scores == sorted(scores, reverse=True)


def test_unknown_theme_is_a_clear_error(seeds):
    with pytest.raises(ConfigError, match="unknown theme 'csto'.*csto_perception"):
        theme_findings(seeds, "csto")


def test_key_findings_are_five_to_eight_cited_statements(seeds):
    findings = [theme_findings(seeds, t) for t in seeds.codebook.theme_ids]
    statements = synthesis.key_findings(findings, overview.paragraphs_by_period(seeds))
    assert 5 <= len(statements) <= 8
    ids = {p.id for p in seeds.corpus.paragraphs()}
    assert all(s.cites and set(s.cites) <= ids for s in statements)


def test_periods_split_at_february_2022():
    assert period_of(PartialDate(2022, 1)) == "before Feb 2022"
    assert period_of(PartialDate(2022, 2, 24)) == "from Feb 2022"
    assert period_of(PartialDate(2022)) == "from Feb 2022"
    assert period_of(None) == "undated"


def test_findings_survive_the_trip_through_json(seeds, tmp_path):
    from pipeline.analysis import load_findings, save_findings

    f = theme_findings(seeds, "xinjiang")
    save_findings(f, tmp_path)
    (loaded,) = load_findings(Path(tmp_path) / "findings", ["xinjiang"])
    assert loaded == f


def test_quote_integrity_fails_the_build_naming_the_citation(seeds):
    import nbformat

    from pipeline.assemble import _html_cell, verify_quotes
    from pipeline.errors import QuoteIntegrityError

    para = next(p for p in seeds.corpus.paragraphs() if p.kind == "body" and len(p.text) > 80)
    good = f'<blockquote data-pid="{para.id}" class="evidence"><p>{para.text[:60]}</p></blockquote>'
    nb = nbformat.v4.new_notebook(cells=[_html_cell(good, [])])
    assert verify_quotes(nb, seeds.corpus) == 1
    nb.cells.append(_html_cell(good.replace(para.text[5:15], "EDITED TXT"), []))
    with pytest.raises(QuoteIntegrityError, match=para.id):
        verify_quotes(nb, seeds.corpus)


def test_comparing_an_actor_the_gazetteer_does_not_know_names_it(seeds):
    from pipeline import sections
    from pipeline.render import Citer

    f = theme_findings(seeds, "eaeu_vs_bri")
    table = sections.compare(f, seeds, Citer(seeds.corpus), ["eaeu", "bri"], "side by side")
    assert "<td>Eurasian Economic Union</td>" in table and "<td>Belt and Road Initiative</td>" in table
    with pytest.raises(ConfigError, match="unknown actor id.*'?eeu"):
        sections.compare(f, seeds, Citer(seeds.corpus), ["eaeu", "eeu"], "side by side")


@pytest.mark.parametrize("theme", ["russian_soft_power", "xinjiang", "eaeu_vs_bri", "csto_perception"])
def test_a_themes_passage_count_is_the_same_wherever_the_brief_states_it(seeds, theme):
    f = theme_findings(seeds, theme)
    n = len(f.passages)  # the stat strip
    assert sum(c["passages"] for c in f.coverage) == n  # the coverage chart
    assert f"({n} passages)" in f.statements[0].text  # the lead sentence
    everything = [theme_findings(seeds, t) for t in seeds.codebook.theme_ids]
    lead = synthesis.key_findings(everything, overview.paragraphs_by_period(seeds))[0].text  # most and least discussed
    stated = re.findall(rf"{re.escape(f.label)} (?:is the most discussed theme|the least) \((\d+) passages", lead)
    assert all(int(m) == n for m in stated)


def test_timeline_labels_take_the_nearest_free_lane_and_never_overlap():
    from pipeline.charts import _lanes

    # Three labels 1 unit wide at 0, 0.5 and 1: the second cannot share lane 1 with the first; the third can.
    assert _lanes([(0.0, 1.0), (0.5, 1.0), (1.2, 1.0)]) == [1, -1, 1]
    assert _lanes([(0.0, 1.0)] * 7) == [1, -1, 2, -2, 3, -3, None]  # no free lane left: no label
    assert _lanes([(0.0, None)]) == [None]


def test_a_chart_whose_png_is_deferred_is_drawn_later_as_it_would_have_been(tmp_path, monkeypatch):
    from pipeline import charts
    from pipeline.config import DEFER_PNG_ENV

    fig = charts.coverage(["Source A (2020)", "Source B (2021)"], [3, 5], [10, 20], title="Coverage")
    charts.publish(fig, "now", "caption", tmp_path)
    monkeypatch.setenv(DEFER_PNG_ENV, "1")
    charts.publish(fig, "later", "caption", tmp_path)
    assert not (tmp_path / "later.png").exists()
    assert charts.draw_deferred(tmp_path) == ([tmp_path / "later.png"], [])
    assert (tmp_path / "later.png").read_bytes() == (tmp_path / "now.png").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["later.png", "later.svg", "now.png", "now.svg"]


def test_a_chart_that_does_not_pickle_has_its_png_drawn_at_once(tmp_path, monkeypatch):
    from matplotlib.ticker import FuncFormatter

    from pipeline import charts
    from pipeline.config import DEFER_PNG_ENV

    monkeypatch.setenv(DEFER_PNG_ENV, "1")
    fig = charts.coverage(["Source A (2020)"], [3], [10], title="Coverage")
    fig.axes[0].xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))  # a lambda does not pickle
    charts.publish(fig, "custom", "caption", tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["custom.png", "custom.svg"]


def test_a_deferred_chart_that_cannot_be_loaded_is_reported_not_fatal(tmp_path):
    from pipeline import charts
    from pipeline.config import DEFERRED_PNG

    (tmp_path / f"broken{DEFERRED_PNG}").write_bytes(b"not a pickle")
    drawn, problems = charts.draw_deferred(tmp_path)
    assert drawn == [] and len(problems) == 1 and "figures/broken.png not written" in problems[0]
    assert list(tmp_path.iterdir()) == []


class _FromTheNotebook:
    """Stands for something a notebook defines: the build process could not load it from a pickle."""


def test_a_chart_holding_something_the_notebook_defined_has_its_png_drawn_at_once(tmp_path, monkeypatch):
    import __main__

    from pipeline import charts
    from pipeline.config import DEFER_PNG_ENV

    monkeypatch.setattr(_FromTheNotebook, "__module__", "__main__")
    monkeypatch.setattr(__main__, "_FromTheNotebook", _FromTheNotebook, raising=False)
    monkeypatch.setenv(DEFER_PNG_ENV, "1")
    fig = charts.coverage(["Source A (2020)"], [3], [10], title="Coverage")
    fig.axes[0].brief_note = _FromTheNotebook()
    charts.publish(fig, "custom", "caption", tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["custom.png", "custom.svg"]
