"""The PDF child (pipeline/pdf.py): what it costs to start, and how it draws the charts' text."""
from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.config import PROJECT_ROOT

PROBE = """
import json, subprocess, sys
started = []
real = subprocess.Popen.__init__
def counting(self, args, *rest, **kwargs):
    started.append(str(args[0]) if isinstance(args, (list, tuple)) else str(args))
    real(self, args, *rest, **kwargs)
subprocess.Popen.__init__ = counting
import contextlib
from pipeline.pdf import _one_library_listing
with _one_library_listing() if sys.argv[1] == "listing" else contextlib.nullcontext():
    import weasyprint
libraries = sorted({line.split()[-1] for line in open("/proc/self/maps") if ".so" in line.split()[-1]})
print(json.dumps({"started": started, "libraries": libraries}))
"""


def _import_weasyprint(how: str) -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE, how], capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


@pytest.mark.skipif(not Path("/sbin/ldconfig").exists() or not Path("/proc/self/maps").exists(), reason="glibc Linux only")
def test_weasyprint_loads_the_same_libraries_from_one_ldconfig_listing():
    listed, plain = _import_weasyprint("listing"), _import_weasyprint("plain")
    assert listed["started"] == ["/sbin/ldconfig"]
    assert len(plain["started"]) > 1  # what the listing saves: ctypes runs ldconfig, gcc and ld per library name
    assert listed["libraries"] == plain["libraries"]


# Labels as matplotlib writes them (one x and y, anchor in the style), and one with a per-glyph rotate list.
CHART = """<svg xmlns="http://www.w3.org/2000/svg" width="320" height="220" viewBox="0 0 320 220">
<text x="150" y="40" style="font-size: 12px; font-family: 'DejaVu Sans'; text-anchor: middle">Astana 2024</text>
<text x="300" y="80" style="font-size: 12px; font-family: 'DejaVu Sans'; text-anchor: end">Eurasian Union</text>
<text x="20" y="200" transform="rotate(-90 20 200)" style="font-size: 9px; font-family: 'DejaVu Sans'">passages</text>
<text x="60" y="160" rotate="10" style="font-size: 12px; font-family: 'DejaVu Sans'">Belt</text>
</svg>"""


def _chart_pdf(tmp_path: Path, in_runs: bool, chart: str = CHART) -> Path:
    from weasyprint import HTML

    from pipeline.pdf import svg_text_in_runs

    page = f'<img src="data:image/svg+xml;base64,{base64.b64encode(chart.encode()).decode()}">'
    target = tmp_path / f"chart-{in_runs}.pdf"
    if in_runs:
        with svg_text_in_runs():
            HTML(string=page).write_pdf(target)
    else:
        HTML(string=page).write_pdf(target)
    return target


def _text_shows(pdf: Path) -> int:
    """How many text-showing operators the page draws, in its content and in its forms (anchored labels)."""
    from pypdf import PdfReader

    page = PdfReader(pdf).pages[0]
    streams = [page.get_contents().get_data()]

    def forms(resources) -> None:
        for xobject in (resources or {}).get("/XObject", {}).values():
            xobject = xobject.get_object()
            if xobject.get("/Subtype") == "/Form":
                streams.append(xobject.get_data())
                forms(xobject.get("/Resources"))

    forms(page.get("/Resources"))
    return sum(len(re.findall(rb"T[Jj]\s", data)) for data in streams)


def _words(pdf: Path) -> list[tuple[str, float, float, float, float]]:
    assert shutil.which("pdftotext"), "pdftotext missing: `make test` installs it (apt-get install poppler-utils)"
    xml = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [(w, *map(float, box)) for *box, w in
            re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', xml)]


def test_chart_labels_are_drawn_as_one_run_each_unless_their_glyphs_are_placed_one_by_one(tmp_path):
    # WeasyPrint's own layout, one show per letter; should it ever draw runs itself, svg_text_in_runs can go
    assert _text_shows(_chart_pdf(tmp_path, in_runs=False)) == len("Astana2024EurasianUnionpassagesBelt")
    assert _text_shows(_chart_pdf(tmp_path, in_runs=True)) == 3 + len("Belt")  # the rotate list keeps letters


def test_chart_labels_drawn_as_runs_land_where_letter_by_letter_layout_puts_them(tmp_path):
    letters, runs = _words(_chart_pdf(tmp_path, in_runs=False)), _words(_chart_pdf(tmp_path, in_runs=True))
    assert [w[0] for w in runs] == [w[0] for w in letters] == ["Astana", "2024", "passages", "Eurasian", "Union", "Belt"]
    for run, letter in zip(runs, letters):  # anchors (middle, end), rotation and baseline all hold
        assert run[1:] == pytest.approx(letter[1:], abs=0.5), run[0]


def test_drawing_in_runs_ends_with_its_block(tmp_path):
    _chart_pdf(tmp_path, in_runs=True)
    assert _text_shows(_chart_pdf(tmp_path, in_runs=False)) > 3 + len("Belt")


def test_a_chart_label_with_a_combining_accent_is_drawn_as_one_shaped_word(tmp_path):
    """Publisher names and titles from the corpus become chart labels: a run is shaped as a whole (accents placed on
    their letter, Arabic joined right to left), which letter-by-letter layout cannot do."""
    label = """<svg xmlns="http://www.w3.org/2000/svg" width="200" height="60" viewBox="0 0 200 60">
<text x="20" y="30" style="font-size: 12px; font-family: 'DejaVu Sans'">e\u0301tude</text></svg>"""
    letters, run = _words(_chart_pdf(tmp_path, False, label)), _words(_chart_pdf(tmp_path, True, label))
    assert len(letters) > 1  # the accent drawn on its own, apart from its letter
    assert [w[0] for w in run] in (["e\u0301tude"], ["\u00e9tude"])
