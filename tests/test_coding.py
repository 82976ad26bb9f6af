"""Theme coding: which paragraphs are coded, and why, under the project codebook and tiny ones."""
from __future__ import annotations

import textwrap

import pytest

from pipeline.codebook import load_codebook
from pipeline.coding import ThemeScore, code_paragraph, explain, frame_paragraph
from pipeline.corpus import Paragraph, split_sentences


def para(text: str, kind: str = "body") -> Paragraph:
    return Paragraph.of("d-p1", "d", 1, kind, text, split_sentences(text))


@pytest.fixture(scope="module")
def codebook():
    return load_codebook()


def test_cyrillic_odkb_codes_csto_perception(codebook):
    scores = code_paragraph(para("Казахстан и ОДКБ: доверие к организации падает."), codebook)
    assert scores["csto_perception"].assigned
    assert scores["csto_perception"].cues == ("CSTO",)


def test_explain_lists_the_cues_that_fired(codebook):
    text = "Thousands of ethnic Kazakhs in Xinjiang were sent to re-education camps."
    score = code_paragraph(para(text), codebook)["xinjiang"]
    assert explain(score) == "coded because: " + ", ".join(score.cues)
    assert {"Xinjiang", "re-education camps", "ethnic Kazakhs in China"} <= set(score.cues)


def test_a_venue_exclusion_cancels_the_cue(codebook):
    scores = code_paragraph(para("Putin flew to Astana prior to the CSTO summit."), codebook)
    assert "csto_perception" not in scores


def test_exclusion_only_cancels_matches_it_contains(tmp_path):
    path = tmp_path / "themes.yaml"
    path.write_text(textwrap.dedent("""
        schema_version: 1
        themes:
          alliance:
            label: Alliance
            description: The alliance.
            cues: [{term: alliance, weight: 2}]
            exclusions: [{pattern: 'alliance summit', label: venue}]
        framing:
          subjects: {russia: [Russia], china: [China]}
          tones: {cooperation: [cooperation], tension: [tension]}
    """), encoding="utf-8")
    codebook = load_codebook(path)
    assert code_paragraph(para("They met at the alliance summit."), codebook) == {}
    assert code_paragraph(para("At the alliance summit, the alliance split."), codebook)["alliance"].assigned


def tiny_codebook(tmp_path, cues: str):
    path = tmp_path / "themes.yaml"
    path.write_text(textwrap.dedent("""
        schema_version: 1
        themes:
          t:
            label: T
            description: A test theme.
            cues: %s
        framing:
          subjects: {russia: [Russia], china: [China]}
          tones: {cooperation: [cooperation], tension: [tension]}
    """) % cues, encoding="utf-8")
    return load_codebook(path)


def test_cues_are_matched_sentence_by_sentence(tmp_path):
    # Each sentence is searched on its own: a match may not run from one sentence into the next, and "^"
    # marks the start of every sentence. The paragraph is searched in one string, so both could go wrong.
    codebook = tiny_codebook(tmp_path, r"""[{pattern: 'talks\.\s\w+', label: across, weight: 2},
                                            {pattern: '^Moscow', label: opening, weight: 2}]""")
    assert code_paragraph(para("They held talks. Moscow objected."), codebook)["t"].cues == ("opening",)
    assert code_paragraph(para("They held talks. then Moscow objected."), codebook)["t"].cues == ("across",)  # one sentence


def test_an_alternative_of_a_cue_counts_as_the_cue(tmp_path):
    codebook = tiny_codebook(tmp_path, r"""[{pattern: '\bRT\b|\bSputnik\b|Russian (?:state )?(?:media|TV)', label: media, weight: 2}]""")
    for text in ("RT reported it.", "Sputnik reported it.", "Russian state TV reported it.", "Russian TV reported it."):
        assert code_paragraph(para(text), codebook)["t"].cues == ("media",), text
    assert code_paragraph(para("Russian officials reported it. Part of it was on TV."), codebook) == {}


def test_a_passing_mention_is_not_coded(codebook):
    text = ("The minister spoke about roads. He praised the new bridge. He visited a school. "
            "Later he mentioned the 'Russian world' in passing.")
    score = code_paragraph(para(text), codebook)["russian_soft_power"]
    assert not score.assigned and score.coverage == 0.25
    assert explain(score).startswith("not coded")


def test_a_heading_is_coded_when_it_names_the_theme(codebook):
    assert code_paragraph(para("The evolving challenge of the Russian minority", "heading"), codebook)["russian_soft_power"].assigned
    assert code_paragraph(para("Russia shows signs of irritation", "heading"), codebook) == {}


def test_scores_record_theme_score_and_cues(codebook):
    score = code_paragraph(para("Kazakhstan joined the EAEU. Trade with Russia grew."), codebook)["eaeu_vs_bri"]
    assert isinstance(score, ThemeScore) and score.theme == "eaeu_vs_bri"
    assert score.score == 3.0 and score.cues == ("EAEU", "trade and markets") and score.coverage == 1.0


def test_frame_paragraph_names_subjects_and_tones(codebook):
    framing = frame_paragraph(para("Moscow and Beijing deepen cooperation, yet distrust remains."), codebook)
    assert framing.russia and framing.china
    assert "cooperation" in framing.cooperation and framing.tension
    assert not frame_paragraph(para("Astana hosted a concert."), codebook).russia


def test_a_paragraph_with_whitespace_to_squash_is_coded_as_its_squashed_text(codebook):
    # Cleaned paragraphs have single spaces; one that does not takes the sentence-by-sentence path of _key.
    loose, tight = "The CSTO  met in Astana. Russia\u00a0 and the CSTO agreed.", "The CSTO met in Astana. Russia and the CSTO agreed."
    assert code_paragraph(para(loose), codebook) == code_paragraph(para(tight), codebook)
    assert code_paragraph(para(loose), codebook)["csto_perception"].coverage == 1.0
    assert frame_paragraph(para(loose), codebook) == frame_paragraph(para(tight), codebook)
