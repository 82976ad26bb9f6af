"""Column widths of tables in print: what automatic table layout would give, computed from the text."""
from __future__ import annotations

import re

import pytest

from pipeline import columns, render


def test_columns_that_fit_on_one_line_share_the_width_in_proportion_to_their_text():
    w = columns.widths(["a", "b"], [["one two", "one two three four five six"]])
    wide = [columns.cell_extent(c)[1] for c in ("one two", "one two three four five six")]
    assert sum(w) == pytest.approx(100)
    assert w[0] / w[1] == pytest.approx(wide[0] / wide[1])


def test_a_table_too_wide_for_the_page_gives_each_column_its_longest_word_first():
    long_text = " ".join(["word"] * 200)  # far wider than a line
    w = columns.widths(["id", "text"], [["Nur-Sultan-Astana-Almaty", long_text]])
    first_word = columns.cell_extent("Nur-Sultan-Astana-Almaty")[0]
    assert w[0] >= 100 * first_word / columns.LINE_EM - 0.01  # never narrower than its unbreakable word
    assert w[1] > w[0] and sum(w) == pytest.approx(100)


def test_a_citation_mark_and_its_count_are_one_small_unbreakable_run():
    mark = '<a class="cite" href="#psg-x-p4" title="t">[2:4]</a><span class="more">+14</span>'
    narrow, wide = columns.cell_extent(f"15 {mark}")
    small = columns.text_width("[2:4]") * 0.75 + columns.text_width("+14") * 0.7
    assert narrow == pytest.approx(small + columns.PADDING_EM)  # the mark and its count: the cell's longest run
    assert wide == pytest.approx(columns.text_width("15 ") + small + columns.PADDING_EM)


def test_entities_are_measured_as_the_characters_they_stand_for():
    assert columns.cell_extent("&lt;&amp;&gt;")[1] == pytest.approx(columns.text_width("<&>") + columns.PADDING_EM)


def test_every_table_names_a_print_width_for_each_column():
    page = render.table(["date", "event", "source"], [["2019", "A <b>bold</b> claim", '<a class="cite" href="#p">[1:2]</a>']],
                        raw_columns=(2,))
    cols = re.findall(r'<col style="--print-width: ([\d.]+)%">', page)
    assert len(cols) == 3 and sum(map(float, cols)) == pytest.approx(100, abs=0.2)
    assert "&lt;b&gt;bold" in page  # the escaped text is what is measured and shown


WORDS = ["Internationalisation", "Counterterrorism", "Interdependence", "Securitisation"]


def test_a_table_squeezed_to_its_longest_words_prints_every_word_whole(tmp_path):
    """Four columns of one long word each, beside a column of running text: the table is too wide for the page, so
    each word column gets little more than its narrowest width. Printed with the brief's stylesheet, no word is broken: the widths,
    summed from advance widths, are at least what WeasyPrint sets the words in."""
    from pypdf import PdfReader
    from weasyprint import HTML

    from pipeline.export import TEMPLATES

    page = render.table(["notes", *WORDS], [[" ".join(["a long run of words"] * 12), *WORDS]])
    narrowest = [100 * columns.cell_extent(w, bold=True)[0] / columns.LINE_EM for w in WORDS]
    given = [float(w) for w in re.findall(r"--print-width: ([\d.]+)%", page)[1:]]
    assert all(lo - 0.05 <= w < lo + 3 for lo, w in zip(narrowest, given)), (narrowest, given)
    css = (TEMPLATES / "brief" / "brief.css").read_text(encoding="utf-8")
    pdf = tmp_path / "table.pdf"
    HTML(string=f'<html><head><style>{css}</style></head><body><main class="brief">{page}</main></body></html>',
         media_type="print").write_pdf(pdf)
    lines = [line.strip() for p in PdfReader(pdf).pages for line in p.extract_text().splitlines()]
    assert [w for w in WORDS if sum(line.count(w) for line in lines) != 2] == []  # in its header and its cell
