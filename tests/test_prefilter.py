"""The cue prefilter skips a regex only where it cannot match: coding is faster and never different."""
from __future__ import annotations

import re

from pipeline.codebook import load_codebook
from pipeline.config import DEFAULT_CODEBOOK, DEFAULT_CORPUS
from pipeline.corpus import load_corpus
from pipeline.prefilter import Scanner, needles


def conditions(pattern: str) -> list[list[set[str]]] | None:
    found = needles(re.compile(pattern, re.I))
    return None if found is None else [[set(s) for s in conj] for conj in found]


def test_a_sequence_requires_each_of_its_literal_runs():
    assert conditions(r"(?<!\w)soft[\s\-]+power(?:e?s)?") == [[{"soft"}, {"power"}]]
    assert conditions(r"\b(?:re-?education|detention) camps?") == [[{"education", "detention"}, {" camp"}]]  # "re" is too short
    assert conditions(r"\w+ovich") == [[{"ovich"}]]  # a literal after a repeat is still required


def test_alternatives_give_one_condition_each():
    assert conditions(r"\bEAEU\b|\bEurasian Economic (?:Union|Commission)\b|ЕАЭС") == \
        [[{"eaeu"}], [{"eurasian economic "}, {"union", "commission"}], [{"еаэс"}]]


def test_a_pattern_with_an_alternative_lacking_literals_gets_no_needles():
    assert needles(re.compile(r"\bCSTO\b|\w+", re.I)) is None
    assert needles(re.compile(r"[A-Z]\w+", re.I)) is None


def test_characters_regex_folds_differently_disable_the_prefilter():
    scanner = load_codebook(DEFAULT_CODEBOOK / "themes.yaml").scanner
    long_s = "Kazakh\u017f in China were detained"  # re equates the long s with "s"; str.lower keeps it "ſ"
    assert "\u017f" in scanner.unusual and scanner.possible(long_s) is None
    assert "\u212a" not in scanner.unusual  # the Kelvin sign lowercases to "k": the lowercase test holds for it


def test_no_cue_that_matches_a_sentence_is_ever_skipped():
    codebook = load_codebook(DEFAULT_CODEBOOK / "themes.yaml")
    cues = [c for t in codebook.themes.values() for c in (*t.cues, *t.exclusions)]
    cues += [c for group in (codebook.framing.subjects, codebook.framing.tones) for cs in group.values() for c in cs]
    sentences = [s.text for p in load_corpus(DEFAULT_CORPUS).paragraphs() for s in p.sentences]
    sentences += ["ОДКБ и ЕАЭС", "the CSTO's", "SOFT POWER", "Sinьцзян", "Uyghurs", "RT and Sputnik"]
    matched = 0
    for sentence in sentences:
        possible = codebook.scanner.possible(sentence)
        for cue in cues:
            if cue.regex.search(sentence):
                matched += 1
                assert possible is None or cue in possible, (cue.label, sentence)
    assert matched > 500  # the check saw real matches, not an empty corpus


def test_a_cue_is_possible_only_where_all_it_requires_is_present():
    scanner = Scanner({"media": needles(re.compile(r"Russian (state )?(media|television)", re.I)), "unfiltered": None})
    assert scanner.possible("Russian officials said so") == {"unfiltered"}
    assert scanner.possible("Media reported it") == {"unfiltered"}
    assert scanner.possible("RUSSIAN STATE TELEVISION said so") == {"media", "unfiltered"}
