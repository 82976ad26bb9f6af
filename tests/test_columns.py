"""Column widths of tables in print: what automatic table layout would give, computed from the text."""
from __future__ import annotations

import html
import re
import shutil
import statistics
import subprocess

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


def test_estimated_widths_never_fall_short_of_the_font_the_pdf_is_set_in(seed_build):
    """A column narrower than its longest word would break the word: the estimate errs wide, and not by much."""
    from fontTools.ttLib import TTFont  # WeasyPrint's own dependency

    assert shutil.which("fc-match"), "fc-match (fontconfig, which WeasyPrint uses to find its fonts) is missing"

    page = (seed_build.settings.out / "brief.html").read_text(encoding="utf-8")
    words = set()
    for table in re.findall(r'<table class="brief-table">.*?</table>', page, re.S):
        for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", re.sub(r'<a class="cite".*?</a>|<span class="more">.*?</span>', " ", table), re.S):
            words |= set(html.unescape(re.sub(r"<[^>]+>", " ", cell)).split())
    assert len(words) > 300
    for bold in (False, True):
        path = subprocess.run(["fc-match", "-f", "%{file}", "DejaVu Sans" + (":bold" if bold else "")], capture_output=True,
                              text=True, timeout=30).stdout
        font = TTFont(path)
        cmap, advance, em = font.getBestCmap(), font["hmtx"], font["head"].unitsPerEm
        ratios = {w: columns.text_width(w, bold) / (sum(advance[cmap[ord(c)]][0] for c in w) / em)
                  for w in words if all(ord(c) in cmap for c in w)}
        assert [w for w, r in ratios.items() if r < 1] == []
        assert statistics.median(ratios.values()) < 1.15
