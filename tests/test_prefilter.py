"""The cue prefilter skips a regex only where it cannot match: coding is faster and never different."""
from __future__ import annotations

import re

from pipeline.codebook import Cue, load_codebook
from pipeline.config import DEFAULT_CODEBOOK, DEFAULT_CORPUS
from pipeline.corpus import load_corpus
from pipeline.prefilter import Scanner, alternatives, anchors, looks_back, needles


def conditions(pattern: str) -> list[list[set[str]]] | None:
    found = needles(re.compile(pattern, re.I))
    return None if found is None else [[set(s) for s in conj] for conj in found]


def test_a_sequence_requires_each_of_its_literal_runs():
    assert conditions(r"(?<!\w)soft[\s\-]+power(?:e?s)?") == [[{"soft"}, {"power"}]]
    assert conditions(r"\b(?:re-?education|detention) camps?") == [[{"education", "detention"}, {"camp"}]]  # "re" is too short
    assert conditions(r"\w+ovich") == [[{"ovich"}]]  # a literal after a repeat is still required


def test_a_run_of_a_short_word_is_required_only_when_nothing_better_is():
    assert conditions(r"\bcamps? in (?:Xinjiang|China)\b") == [[{"camp"}, {"xinjiang", "china"}]]  # " in " dropped
    assert conditions(r"\w+ of \w+") == [[{"of"}]]


def test_spaces_at_the_ends_of_a_needle_are_left_out():
    assert conditions(r"\b(?:ethnic|Chinese) Kazakhs\b") == [[{"ethnic", "chinese"}, {"kazakhs"}]]


def test_needles_are_found_per_sentence_and_in_the_whole_text():
    scanner = Scanner({"china": needles(re.compile(r"China", re.I)), "russia": needles(re.compile(r"Russia", re.I))})
    text = "Russia spoke. China listened."
    per_sentence, every = scanner.needles_in(scanner.lowered(text), [(0, 13), (14, 29)])
    assert [scanner.keys_for(f) for f in per_sentence] == [{"russia"}, {"china"}]
    assert scanner.keys_for(every) == {"russia", "china"}


def test_a_needle_running_across_two_sentences_is_found_in_the_whole_text():
    scanner = Scanner({"capitals": needles(re.compile(r"Astana\. Moscow", re.I))})
    text = "He flew to Astana. Moscow said nothing."
    per_sentence, every = scanner.needles_in(scanner.lowered(text), [(0, 18), (19, 39)])
    assert per_sentence == [set(), set()] and scanner.keys_for(every) == {"capitals"}


def test_a_small_class_is_spelled_out():
    assert conditions(r"\bU[iy]gh?[uy]rs?\b") == [[{"uig", "uyg"}]]
    assert conditions(r"\bsoft[- ]power") == [[{"soft power", "soft-power"}]]
    assert conditions(r"a[bc][de][fg][hi][jk]xyz") == [[{"xyz"}]]  # 32 spellings are too many: the plain stretch


def test_an_alternative_without_a_longer_run_uses_two_letters():
    assert conditions(r"\bSputnik\b|\bRT\b") == [[{"sputnik"}], [{"rt"}]]


def test_a_pattern_splits_into_its_top_level_alternatives():
    def parts(pattern: str) -> list[str] | None:
        split = alternatives(re.compile(pattern, re.I))
        return None if split is None else [p.pattern for p in split]

    assert parts(r"a|b(c|d)") == ["a", "b(c|d)"]
    assert parts(r"[|(]x|\||[]|]") == ["[|(]x", r"\|", "[]|]"]  # "|" in a class or escaped is literal
    assert parts(r"(a)\1|b") is None  # group numbers would change
    assert parts(r"abc") is None


def test_patterns_that_look_before_the_search_start_are_known():
    assert looks_back(re.compile(r"^Moscow")) and looks_back(re.compile(r"(?<!\w)CSTO"))
    assert not looks_back(re.compile(r"\bCSTO(?=\W)"))


def test_alternatives_give_one_condition_each():
    assert conditions(r"\bEAEU\b|\bEurasian Economic (?:Union|Commission)\b|ЕАЭС") == \
        [[{"eaeu"}], [{"eurasian economic"}, {"union", "commission"}], [{"еаэс"}]]


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
                assert any(a.found(sentence) for a in cue.parts), (cue.label, sentence)  # its alternatives cover it
            for alternative in cue.parts:
                if alternative.found(sentence):
                    assert possible is None or alternative in possible, (alternative.regex.pattern, sentence)
    assert matched > 500  # the check saw real matches, not an empty corpus


def test_a_cue_is_possible_only_where_all_it_requires_is_present():
    scanner = Scanner({"media": needles(re.compile(r"Russian (state )?(media|television)", re.I)), "unfiltered": None})
    assert scanner.possible("Russian officials said so") == {"unfiltered"}
    assert scanner.possible("Media reported it") == {"unfiltered"}
    assert scanner.possible("RUSSIAN STATE TELEVISION said so") == {"media", "unfiltered"}


def test_a_pickled_codebook_leaves_its_scanner_out_and_rebuilds_it():
    import pickle

    codebook = load_codebook(DEFAULT_CODEBOOK / "themes.yaml")
    sentence = "Russian state television and RT reported on the CSTO."
    before = codebook.scanner.possible(sentence)
    restored = pickle.loads(pickle.dumps(codebook))
    assert "scanner" not in restored.__dict__  # cached contexts do not carry the automaton and its memo
    assert {a.regex.pattern for a in restored.scanner.possible(sentence)} == {a.regex.pattern for a in before}


def anchored(pattern: str) -> set[str] | None:
    regex = re.compile(pattern, re.I)
    found = anchors(regex, needles(regex))
    return None if found is None else set(found)


def test_a_match_begins_with_one_of_its_anchors():
    assert anchored(r"\bRussia\b") == {"russia"}  # zero-width assertions consume nothing
    assert anchored(r"(?=\w)U[iy]gh?[uy]rs?") == {"uig", "uyg"}
    assert anchored(r"\b(?:Chinese|China|Beijing)(?:'s)? [\w ]{0,30}?Kazakhs\b") == {"chinese", "china", "beijing"}
    assert anchored(r"\b(?:Russians?|Moscow|Russia)\b") == {"russia", "moscow"}  # a match beginning "russian" begins "russia"
    assert anchored(r"(?:soft){2}[- ]power") == {"soft"}
    assert anchored(r"\b(?:mis)?treatment of\b") is None  # may begin with "mis" or with "treatment"
    assert anchored(r"\w+ovich") is None and anchored(r"(?:a|bcd)xyzw") is None  # "xyzw" is not at the start


# Texts where anchors stand just before the window, at its ends, inside words, several times, in other cases.
# The Kelvin sign lowercases to "k"; the long s leaves the lowercase test out (``Scanner.lowered`` is None).
TRICKY = ["mistreatment of, treatment of counter-sanctions", "Russia. Russians, prussia; RUSSIA's", "xRT RT-rt support",
          "the Chinese Kazakhs and China's ethnic Kazakhs", "Eurasian Economic Commission Eurasian Economic",
          "Uyghurs uighur UIGURS", "soft power soft-power SOFT POWERS", "Kazakhs from China; Kazakhs in Xinjiang",
          "ОДКБ и ЕАЭС, Синьцзяне", "the CSTO's summit", "ally really ally's", "Kelvin \u212aazakhs", "Kazakh\u017f",
          "re-education camps in China", "QQcXYZefhkw"]


def test_a_search_from_the_anchors_finds_what_a_plain_search_finds():
    codebook = load_codebook(DEFAULT_CODEBOOK / "themes.yaml")
    cues = [c for t in codebook.themes.values() for c in (*t.cues, *t.exclusions)]
    cues += [c for group in (codebook.framing.subjects, codebook.framing.tones) for cs in group.values() for c in cs]
    cues += [Cue(p, re.compile(p, re.I)) for p in (r"\b(?:Chinese|China|Beijing)(?:'s)? [\w ]{0,30}?Kazakhs\b",
                                                  r"(?=\w)U[iy]gh?[uy]rs?", r"(?:soft){2}[- ]power", r"Economic\b",
                                                  r"\b(?:Russians?|Moscow|Russia)\b",
                                                  r"qq[bc]xyz[de][fg][hi][jk]w")]  # "xyz" is in its start, but not first
    texts = [f"{a} {b}" for a in TRICKY for b in TRICKY]
    anchored_found = 0
    for text in texts:
        low = codebook.scanner.lowered(text)
        windows = [(0, len(text)), (1, len(text) - 1), (len(text) // 2, len(text)), (0, len(text) // 2)]
        for alternative in (a for c in cues for a in c.parts):
            for start, end in windows:
                plain = alternative.search(text, start, end) is not None
                assert alternative.found(text, start, end, low) == plain, (alternative.regex.pattern, text, start, end)
                anchored_found += plain and alternative.anchors is not None
    assert anchored_found > 1000  # the anchors were put to the test on real matches


def test_only_the_needles_of_the_keys_asked_about_bear_on_them():
    scanner = Scanner({"media": needles(re.compile(r"Russian (media|television)", re.I)),
                       "china": needles(re.compile(r"China", re.I)), "always": None})
    media = scanner.needles_of({"media"})
    assert len(media) == 3  # "russian", "media" and "television", not "china"
    found = set().union(*scanner.needles_in("russian media in china", [(0, 22)])[0])
    assert scanner.keys_for(found & media) == {"media", "always"}  # "china" cut away, "media" still decided


def test_plans_from_the_needles_they_use_are_the_plans_from_all():
    codebook = load_codebook(DEFAULT_CODEBOOK / "themes.yaml")
    scanner, (coding, framing) = codebook.scanner, codebook.plan_needles
    texts = [s.text for p in load_corpus(DEFAULT_CORPUS).paragraphs() for s in p.sentences]
    texts += ["a joint declaration on mutual benefit", "a debt trap and a lack of trust", "Russian state media and RT"]
    for text in texts:
        low = scanner.lowered(text)
        if low is None:
            continue
        found = scanner.needles_in(low, [(0, len(text))])[0][0]
        assert codebook.coding_plan(scanner.keys_for(found & coding)) == codebook.coding_plan(scanner.keys_for(found)), text
        assert codebook.framing_plan(scanner.keys_for(found & framing)) == codebook.framing_plan(scanner.keys_for(found)), text
