"""The codebook loader: what a valid codebook looks like and how an invalid one is reported."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pipeline.codebook import DEFAULT_PATH, load_codebook
from pipeline.coding import code_paragraph
from pipeline.corpus import Paragraph
from pipeline.errors import CodebookError

FRAMING = """
framing:
  subjects: {russia: [Russia], china: [China]}
  tones: {cooperation: [cooperation], tension: [tension]}
"""


def write(tmp_path: Path, themes: str, framing: str = FRAMING) -> Path:
    path = tmp_path / "themes.yaml"
    path.write_text("schema_version: 1\nthemes:\n" + textwrap.indent(textwrap.dedent(themes), "  ") + framing, encoding="utf-8")
    return path


def para(text: str, kind: str = "body") -> Paragraph:
    return Paragraph.of("d-p1", "d", 1, kind, text, [text])


GOOD = """
security:
  label: Security
  description: Alliances.
  cues: [CSTO]
"""


def test_project_codebook_has_the_four_brief_themes():
    codebook = load_codebook(DEFAULT_PATH)
    assert codebook.theme_ids == ("russian_soft_power", "xinjiang", "eaeu_vs_bri", "csto_perception")
    assert codebook.label("csto_perception") == "CSTO perception"


def test_invalid_regex_names_the_theme_and_the_pattern(tmp_path):
    path = write(tmp_path, """
    security:
      label: Security
      description: Alliances.
      cues: [{pattern: 'CSTO(', weight: 2, label: CSTO}]
    """)
    with pytest.raises(CodebookError) as err:
        load_codebook(path)
    message = str(err.value)
    assert "security" in message and "CSTO(" in message and str(path) in message


def test_unknown_theme_key_is_rejected(tmp_path):
    path = write(tmp_path, GOOD + "  colour: red\n")
    with pytest.raises(CodebookError, match="colour"):
        load_codebook(path)


def test_missing_label_is_rejected(tmp_path):
    path = write(tmp_path, """
    security:
      description: Alliances.
      cues: [CSTO]
    """)
    with pytest.raises(CodebookError, match="security.*label"):
        load_codebook(path)


def test_duplicate_theme_id_is_rejected(tmp_path):
    path = write(tmp_path, GOOD + GOOD)
    with pytest.raises(CodebookError, match="duplicate key 'security'"):
        load_codebook(path)


def test_non_numeric_weight_is_rejected(tmp_path):
    path = write(tmp_path, """
    security:
      label: Security
      description: Alliances.
      cues: [{pattern: CSTO, weight: heavy, label: CSTO}]
    """)
    with pytest.raises(CodebookError, match="weight"):
        load_codebook(path)


def test_a_fifth_theme_in_yaml_needs_no_code_change(tmp_path):
    base = DEFAULT_PATH.read_text(encoding="utf-8")
    fifth = textwrap.dedent("""
      water:
        label: Transboundary water
        description: Sharing the Irtysh and Ili rivers.
        cues: [{term: Irtysh, weight: 2}, Ili]
    """)
    path = tmp_path / "themes.yaml"
    path.write_text(base.replace("\nframing:", textwrap.indent(fifth, "  ") + "\nframing:"), encoding="utf-8")
    codebook = load_codebook(path)
    assert codebook.theme_ids[-1] == "water"
    assert code_paragraph(para("China diverts water from the Irtysh."), codebook)["water"].assigned


def test_plain_terms_match_case_plurals_and_hyphens(tmp_path):
    codebook = load_codebook(write(tmp_path, """
    trade:
      label: Trade
      description: Trade.
      cues: [{term: joint venture, weight: 2}]
    """))
    for text in ("Two JOINT VENTURES opened.", "A joint-venture deal.", "The joint venture's plant."):
        assert code_paragraph(para(text), codebook)["trade"].cues == ("joint venture",)
    assert code_paragraph(para("Jointventure is not a word."), codebook) == {}


def test_digest_follows_the_file_content(tmp_path):
    path = write(tmp_path, GOOD)
    first = load_codebook(path).digest
    path.write_text(path.read_text() + "# a comment\n")
    assert load_codebook(path).digest != first


def test_coding_and_framing_plans_are_immutable_since_each_is_shared_by_every_sentence_that_asks():
    codebook = load_codebook(DEFAULT_PATH)
    coding, framing = codebook.coding_plan(None), codebook.framing_plan(None)
    assert coding and codebook.coding_plan(None) is coding  # remembered: one object for every caller
    for _theme, steps in coding:
        assert isinstance(steps, tuple) and all(isinstance(alternatives, tuple) for *_, alternatives in steps)
    assert isinstance(framing, tuple) and all(isinstance(steps, tuple) for steps in framing)
