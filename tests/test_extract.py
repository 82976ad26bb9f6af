"""Extraction of figures, dated events, actors and quotes: behaviour, one rule per test."""
from __future__ import annotations

import math
import random
import re
import sys
from pathlib import Path

import pytest
import yaml

from pipeline.actors import _capital_run_patterns, _capital_runs
from pipeline.corpus import Paragraph, load_corpus, split_sentences
from pipeline.errors import CodebookError
from pipeline.extract import (_CANDIDATE, _DATE, Actor, Event, Figure, Quote, _date_matches, _next_candidate,
                              _sentences_with_trigger,
                              _trigger_scan, co_occurrence, extract_actors, extract_document_actors,
                              extract_document_events, extract_events, extract_figures, extract_quotes, load_gazetteer,
                              parse_number)
from pipeline.metadata import PartialDate
from pipeline.text import match_key

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
GOLD = ROOT.parent / "shared" / "eval" / "seeds.yaml"


def para(text: str, pid: str = "doc-p1") -> Paragraph:
    return Paragraph.of(pid, "doc", 1, "body", text, split_sentences(text))


def figures(text: str) -> list[Figure]:
    return extract_figures(para(text))


def values(text: str) -> list[float]:
    return [f.value for f in figures(text)]


def events(text: str, doc_date: str | None = "2019-11", context_year: int | None = None) -> list[Event]:
    return extract_events(para(text), PartialDate.parse(doc_date) if doc_date else None, context_year)


# --- parse_number ---------------------------------------------------------------------------------

@pytest.mark.parametrize("written, value", [
    ("6.2 million", 6.2e6), ("37.8 per cent", 37.8), ("25,000", 25000.0), ("$1.5 billion", 1.5e9),
    ("some 170", 170.0), ("around 1.5 million", 1.5e6), ("ten to fifteen years", 10.0), ("nearly a quarter", 25.0),
    ("almost a third", 100 / 3), ("fourth-largest", 4.0), ("35th", 35.0), ("RMB 2 billion", 2e9),
    ("100 billion US dollars", 1e11), ("over 30%", 30.0), ("50 per cent or more", 50.0), ("two", 2.0),
])
def test_parse_number_normalises_scale_percent_shares_and_ranks(written, value):
    assert math.isclose(parse_number(written), value, rel_tol=1e-6)


@pytest.mark.parametrize("vague", ["thousands", "dozens of people", "several", "many"])
def test_parse_number_gives_none_for_vague_quantifiers(vague):
    assert parse_number(vague) is None


# re's IGNORECASE matches these to i, s and k (and İ to i): a number word spelled with them is matched as the word.
LOOKALIKES = str.maketrans({"i": "ı", "s": "ſ", "k": "\u212a"})


@pytest.mark.parametrize("written", ["3 million dollars", "2 billion", "fourteen thousand", "six", "a thousand",
                                     "the sixth-largest", "nearly two thirds", "5k", "8 bln"])
def test_parse_number_reads_a_word_spelled_with_letters_matching_ignores_case_of(written):
    assert parse_number(written.translate(LOOKALIKES)) == parse_number(written)
    assert parse_number(written.replace("i", "İ")) == parse_number(written)


def test_figures_and_events_read_words_spelled_with_letters_matching_ignores_case_of():
    text = ("Six years ago it lent 3 million dollars, the sixth-largest loan, to some fourteen thousand farmers. "
            "In March 2015 it said so; the following year it did, and two years later, and last month.")
    odd = text.translate(LOOKALIKES)
    assert [f.value for f in figures(odd)] == [f.value for f in figures(text)] != []
    assert [e.start for e in events(odd)] == [e.start for e in events(text)] != []


# --- figures --------------------------------------------------------------------------------------

def test_scaled_count_is_a_figure():
    [f] = figures("Ethnic Russians numbered 6.2 million at the time.")
    assert (f.value, f.text, f.scale) == (6.2e6, "6.2 million", "million")


def test_percentage_is_a_figure_with_its_entity():
    [f] = figures("They accounted for 37.8 per cent of the population.")
    assert (f.value, f.unit, f.entity) == (37.8, "per cent", "population")


def test_currency_before_and_after_the_number():
    fs = figures("Kazakhstan borrowed RMB 2 billion ($283 million) and a fund of 50 billion US dollars.")
    assert [(f.value, f.unit) for f in fs] == [(2e9, "RMB"), (283e6, "USD"), (50e9, "USD")]


def test_hedge_is_part_of_the_figure_text():
    [f] = figures("It had information on some 170 ethnic Kazakhs in China.")
    assert f.text == "some 170" and f.unit == "people" and f.entity == "ethnic Kazakhs"


def test_the_longest_hedge_is_part_of_the_figure_text_too():
    [f] = figures("The region has approximately 5 million people.")
    assert f.text == "approximately 5 million"


def test_share_word_is_a_percentage():
    [f] = figures("China's share of the external debt, which is almost a third, is risky.")
    assert f.unit == "per cent" and math.isclose(f.value, 100 / 3)


def test_ordinal_rank_is_a_figure_but_an_event_ordinal_is_not():
    assert values("This was the president's fourth visit to Kazakhstan.") == [4.0]
    assert values("It is the fourth-largest economy.") == [4.0]
    assert values("The third Russia-Kazakhstan forum was held around the 19th Party Congress.") == []


def test_a_year_is_not_a_figure():
    assert values("In 2017 the commission met, and again in 2019.") == []


@pytest.mark.parametrize("text, written", [
    ("The pipeline runs 2000 km across the steppe.", "2000 km"), ("Exports rose 1900 per cent.", "1900 per cent"),
    ("The permit cost 2000 dollars.", "2000 dollars"), ("The fund holds 1850 million.", "1850 million"),
    ("The tree is over 2000 years old in legend, they say, and over 2000 years in fact.", "over 2000 years"),
])
def test_a_number_that_could_be_a_year_is_a_figure_with_a_unit_after_it(text, written):
    assert [f.text for f in figures(text)] == [written]


@pytest.mark.parametrize("text, written", [
    ("They lent two million.", "two million"), ("Growth was two per cent.", "two per cent"),
    ("It ships two to three tonnes.", "two to three tonnes"), ("It lasted some twenty years.", "some twenty years"),
    ("It sent twenty troops.", "twenty"), ("It paid fifteen dollars.", "fifteen dollars"), ("It runs twenty km.", "twenty km"),
])
def test_a_number_word_is_a_figure_with_a_unit_or_range_after_it_or_as_a_count_of_people(text, written):
    assert [f.text for f in figures(text)] == [written]


def test_a_footnote_marker_is_not_a_figure():
    assert values("The loan was agreed with China.358 All parties agreed.") == []


def test_a_page_range_is_not_a_figure():
    assert values("See Lo, pp. 71–99, and p. 12.") == []


@pytest.mark.parametrize("text", ["The treaty (Article 4) binds members.", "It was noted (p. 12) that trade grew.",
                                  "The loan (No. 5) was signed.", "(Figure 3) shows the trend.", "Its fleet (Boeing 737) is old."])
def test_a_label_word_or_a_name_before_a_number_counts_inside_brackets_too(text):
    assert values(text) == []


def test_a_format_named_with_a_plus_is_no_figure_but_a_signed_number_is():
    assert values("Leaders met in the C5+1 format, and the 2+1 talks resumed.") == []
    assert [f.text for f in figures("Growth was +1.5% this year.")] == ["1.5%"]


def test_dates_ages_and_clock_times_are_not_figures():
    assert values("On 12 April the minister, aged 64, spoke at 17:56 on February 1, 2017.") == []


def test_trivial_counts_and_vague_quantifiers_are_not_figures():
    assert values("The two countries discussed three levels, and thousands of people came.") == []


def test_names_with_numbers_are_not_figures():
    assert values("Refineries make Euro-5 fuel; the Non-Aligned Movement 2.0 is a concept.") == []


def test_a_hedged_duration_and_a_range_are_figures():
    assert values("Land may be leased for up to 25 years.") == [25.0]
    assert values("Relations will remain friendly for another ten to fifteen years.") == [10.0]
    assert values("For thirty years the country has kept this line.") == []


def test_bare_counts_in_digits_are_figures():
    assert values("25,000 ethnic Russians left in 2016, while 27,000 did so in 2017.") == [25000.0, 27000.0]


# Figures the skipping search must still find: number words in any case, after any non-word character, and the
# characters (?i) matches to a letter that lowercase to something else ("ſix", "sıx") or to two characters ("İ").
FIGURE_EDGES = ["One", "twenty-FIVE", "a third", "three-quarters", "Half-", "second-largest", "35th", "G20", "US$ 5",
                "USD 12", "RMB5", "2,000", "1.5", "٣", "x٣one", "ſix", "sıx", "İ one", "İİİİİİİİİİİİ", "fifths",
                "tenths", "quarters", "5one", "one5", "_one", "often", "(two)", "“three”", "-four", "/five", "éone",
                "ninety nine"]


def test_the_figure_search_finds_what_the_full_candidate_pattern_finds():
    texts = [s.text for p in load_corpus(SEEDS).paragraphs() for s in p.sentences]
    texts += [sep.join((a, b)) for a in FIGURE_EDGES for b in FIGURE_EDGES for sep in ("", " ", "-")]
    for text in texts:
        scan, expected = _trigger_scan(text), None
        for pos in range(len(text), -1, -1):  # _CANDIDATE.search(text, pos) is the match at pos or the one after
            expected = _CANDIDATE.match(text, pos) or expected
            found = _next_candidate(text, scan, pos)
            assert (found and found.span()) == (expected and expected.span()), (text, pos)


def test_lowercasing_keeps_what_the_figure_trigger_looks_at_but_for_three_characters():
    word, digit, letter = re.compile(r"\w"), re.compile(r"\d"), re.compile(r"(?i)[a-z]")
    odd = set()
    for c in map(chr, range(sys.maxunicode + 1)):
        low = c.lower()
        if len(low) != 1 or (word.match(c) is None) != (word.match(low) is None) \
                or (digit.match(c) is None) != (digit.match(low) is None) or (letter.match(c) and not "a" <= low <= "z"):
            odd.add(c)
    assert odd == {"İ", "ı", "ſ"}


# --- events ---------------------------------------------------------------------------------------

def test_month_day_range_without_year_takes_the_context_year():
    [e] = events("On May 14-15, the third forum was held in Nur-Sultan.", context_year=2019)
    assert (e.start, e.end, e.inferred_year, e.as_written) == (PartialDate(2019, 5, 14), PartialDate(2019, 5, 15), True,
                                                               "May 14-15")


def test_full_date_has_day_precision():
    [e] = events("Nazarbayev resigned on 19 March 2019.")
    assert e.start == PartialDate(2019, 3, 19) and not e.inferred_year


def test_decade_is_a_ten_year_interval():
    [e] = events("Kazakhstan is worried, as it was in the 1990s, about imperial trends.")
    assert (e.start, e.end) == (PartialDate(1990), PartialDate(1999))


def test_abbreviated_year_range_is_an_interval():
    [e] = events("The foreign policy framework for 2014–20 prioritizes an alliance with Russia.")
    assert (e.start, e.end, e.as_written) == (PartialDate(2014), PartialDate(2020), "2014–20")


def test_last_year_is_resolved_against_the_document_date_and_marked_relative():
    [e] = events("Last year the agreement was signed.", doc_date="2019-11")
    assert e.start == PartialDate(2018) and e.relative


def test_the_following_month_is_anchored_on_the_last_stated_month():
    es = events("It was raised in October 2017. The following month, talks were held.")
    assert [(e.start, e.inferred_year, e.relative) for e in es] == [(PartialDate(2017, 10), False, False),
                                                                    (PartialDate(2017, 11), True, False)]


def test_bare_month_needs_a_preposition_and_takes_the_running_year():
    es = events("In 2018 the talks continued. In May, the ministry reported progress. The January events differ.")
    assert [e.start for e in es] == [PartialDate(2018), PartialDate(2018, 5)]


def test_future_or_announced_dates_are_planned():
    [e] = events("The common market is now expected to be in force only from 2026.", doc_date="2019-11")
    assert e.planned


def test_numbers_that_are_not_years_are_not_events():
    assert events("Some 2,000 people and 1500 troops came; see pp. 1999-2001 and Strategy Kazakhstan-2050.") == []


def test_a_publication_date_line_is_not_an_event():
    assert events("19 March 2024") == []


# Dates the skipping search must still find: leads before the first trigger, matches starting inside a word.
DATE_EDGES = ["the following day", "The Following Month", "two years ago", "5 years later", "the early 1990s", "mid-2019",
              "Sept., of 2019", "Sept. 30", "30 September 2019", "2019-05-06", "٣/٣/2019", "2014-20", "May 14-15",
              "pp. 1999", "$2019", "2,019", "today", "amid 2019", "translate 2019", "laTHE 1990s", "inearly 2019"]


def test_the_date_search_finds_what_the_full_date_pattern_finds():
    texts = [s.text for p in load_corpus(SEEDS).paragraphs() for s in p.sentences]
    rotations = [DATE_EDGES[i:] + DATE_EDGES[:i] for i in range(len(DATE_EDGES))]
    texts += [sep.join(r) for r in rotations for sep in ("", " ", ", ")]
    for text in texts:
        assert [m.span() for m in _date_matches(text)] == [m.span() for m in _DATE.finditer(text)], text


def test_only_sentences_with_a_date_trigger_are_read_for_events():
    text = "No date here. It was signed in May. Nothing else. Talks resumed in 2019."
    sentences = para(text).sentences
    read = [text[a:b] for _, a, b in _sentences_with_trigger(para(text))]
    assert read == [sentences[1].text, sentences[3].text]


def test_a_trigger_inside_a_word_still_has_its_sentence_read():
    # "May" in "Mayor" is a trigger (_date_matches then finds no date there): the skip is no stricter than it.
    assert [k for k, _, _ in _sentences_with_trigger(para("The Mayor met. Then 5 left."))] == [0, 1]


def test_document_events_carry_the_year_across_paragraphs(tmp_path):
    (tmp_path / "a.txt").write_text("Title\n\nThe talks began in 2016 between the two sides.\n\n"
                                    "In August, an agreement was reached and the activist was released.\n")
    (tmp_path / "metadata.yaml").write_text("documents:\n  - file: a.txt\n    title: Title\n    date: 2019-11\n")
    doc = load_corpus(tmp_path).documents[0]
    assert [e.start for e in extract_document_events(doc)] == [PartialDate(2016), PartialDate(2016, 8)]


# --- actors ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def gazetteer():
    return load_gazetteer()


def test_cyrillic_alias_matches_the_actor(gazetteer):
    ids = [m.actor_id for m in extract_actors(para("Саммит ОДКБ прошёл в Казахстан."), gazetteer)]
    assert ids == ["csto", "kazakhstan"]


def test_short_aliases_match_only_whole_words(gazetteer):
    ids = [m.actor_id for m in extract_actors(para("The EU and the US traded EUR bonds; neutral Europeans."), gazetteer)]
    assert ids == ["eu", "usa"]


def test_an_alias_preceded_by_a_letter_is_not_matched(gazetteer):
    assert [m.text for m in extract_actors(para("The PEU and the EU met."), gazetteer)] == ["EU"]


def test_the_longest_alias_wins_unless_it_runs_into_a_word(gazetteer):
    ms = extract_actors(para("Xi Jinping spoke. Xi Jinpingism, Xi said, is a doctrine."), gazetteer)
    assert [(m.actor_id, m.text) for m in ms] == [("xi_jinping", "Xi Jinping"), ("xi_jinping", "Xi"), ("xi_jinping", "Xi")]


def test_titled_person_not_in_gazetteer_is_found_with_role(gazetteer):
    [m] = [m for m in extract_actors(para("Senator Nurlan Kylyshbayev made an official request."), gazetteer)]
    assert (m.actor_id, m.kind, m.role, m.text) == ("person:nurlan-kylyshbayev", "person", "Senator", "Nurlan Kylyshbayev")


def test_a_name_may_start_with_a_capital_above_the_basic_plane(gazetteer):
    [m] = extract_actors(para("Senator \U00010400ila Kylyshbayeva made a request."), gazetteer)  # Deseret capital
    assert (m.text, m.role) == ("\U00010400ila Kylyshbayeva", "Senator")


def _runs_by_definition(sentence: str) -> tuple:
    """Runs of 2+ capitalised tokens, with the plain definition: the pattern tried at every character."""
    full = _capital_run_patterns().full
    return tuple((m.start("run"), m.end("run"), tuple(m.group("run").split(" "))) for m in full.finditer(sentence))


@pytest.mark.parametrize("sentence", ["'Astana Times said", "-Sino Russian", "Sino-Russian Relations Grow", "2Gis Map",
                                      "U.S. Army Base", "McDonald Trump", "x’Ab Cd", "Kazakhstan’s Foreign Ministry"])
def test_capital_runs_where_a_capital_follows_a_digit_or_hyphen_match_the_definition(sentence):
    assert _capital_runs.__wrapped__(sentence) == _runs_by_definition(sentence)


def test_capital_runs_match_the_definition_on_random_text():
    rng = random.Random(5)
    alphabet = "aAbZ ’'-_1.,\u00c9\u00e9\U0001d400\U0001d41a\u0130\u0131xY\u0661"
    for _ in range(20000):
        sentence = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 16)))
        assert _capital_runs.__wrapped__(sentence) == _runs_by_definition(sentence), sentence


def test_person_with_apposition_is_found(gazetteer):
    ms = extract_actors(para("According to Aigerim Sadykova, a research fellow at the institute, ties grew."), gazetteer)
    assert [(m.actor_id, m.role) for m in ms] == [("person:aigerim-sadykova", "a research fellow at the institute")]


def test_mentions_are_in_reading_order_within_a_sentence(gazetteer):
    ms = extract_actors(para("Senator Nurlan Kylyshbayev visited China."), gazetteer)
    assert [m.actor_id for m in ms] == ["person:nurlan-kylyshbayev", "china"]


def test_a_person_introduced_once_is_recognised_by_surname_in_later_paragraphs(tmp_path, gazetteer):
    (tmp_path / "a.txt").write_text("Title\n\nSenator Nurlan Kylyshbayev made an official request.\n\n"
                                    "In Astana, Kylyshbayev repeated it to Tokayev.\n")
    (tmp_path / "metadata.yaml").write_text("documents:\n  - file: a.txt\n    title: Title\n")
    doc = load_corpus(tmp_path).documents[0]
    later = [m for m in extract_document_actors(doc, gazetteer) if m.paragraph_id == doc.paragraphs[-1].id]
    assert [(m.actor_id, m.text) for m in later] == [
        ("astana", "Astana"), ("person:nurlan-kylyshbayev", "Kylyshbayev"), ("tokayev", "Tokayev")]
    assert later[1].role == "Senator"


def test_metonyms_map_capitals_to_states_only_when_asked(gazetteer):
    p = para("Beijing insists on its position.")
    assert [m.actor_id for m in extract_actors(p, gazetteer)] == ["beijing"]
    assert [m.actor_id for m in extract_actors(p, gazetteer, metonyms=True)] == ["china"]


def test_an_actor_added_to_the_gazetteer_is_found_at_the_next_call(gazetteer):
    gaz = list(gazetteer)
    assert extract_actors(para("Zorgistan grew."), gaz) == []
    gaz.append(Actor("zorgistan", "Zorgistan", "state", ("Zorgistan",)))
    assert [m.actor_id for m in extract_actors(para("Zorgistan grew."), gaz)] == ["zorgistan"]


def test_co_occurrence_counts_paragraphs_not_mentions(gazetteer):
    ms = extract_actors(para("Russia and China met. Russia again.", "d-p1"), gazetteer) + \
        extract_actors(para("China and Russia.", "d-p2"), gazetteer)
    assert co_occurrence(ms) == {("china", "russia"): 2}


def _gazetteer_file(tmp_path: Path, entries: list[dict]) -> Path:
    path = tmp_path / "actors.yaml"
    path.write_text(yaml.safe_dump({"actors": entries}, allow_unicode=True))
    return path


@pytest.mark.parametrize("entries, problem", [
    ([{"name": "X", "kind": "state"}], "missing 'id'"),
    ([{"id": "x", "kind": "state"}], "missing 'name'"),
    ([{"id": "x", "name": "X", "kind": "state"}, {"id": "x", "name": "Y", "kind": "state"}], "duplicate id"),
    ([{"id": "x", "name": "X", "kind": "country"}], "unknown kind"),
])
def test_gazetteer_errors_name_the_file_and_entry(tmp_path, entries, problem):
    path = _gazetteer_file(tmp_path, entries)
    with pytest.raises(CodebookError, match=problem) as err:
        load_gazetteer(path)
    assert str(path) in str(err.value) and "entry" in str(err.value)


# --- quotes ---------------------------------------------------------------------------------------

def test_direct_quote_with_speaker_after_it():
    [q] = extract_quotes(para('"Central Asian countries act based on their own interests," Umarov emphasizes.'))
    assert (q.kind, q.speaker, q.text) == ("direct", "Umarov", "Central Asian countries act based on their own interests,")


def test_a_speaker_named_well_before_the_quotation_is_found():
    text = ("Long ago, Temur Rustamovich Umarov has pointed out that in the long interview he gave to the small "
            "paper in Oskemen: “The region will need much more water than it has now.”")
    [q] = extract_quotes(para(text))
    assert (q.kind, q.speaker) == ("direct", "Temur Rustamovich Umarov")


def test_pronoun_speaker_resolves_to_the_last_named_person():
    p = para("Russian economist Dmitry Nekrasov spoke. In his opinion, ‘Astana has no interest in supporting the war’.")
    [q] = extract_quotes(p)
    assert q.speaker == "Dmitry Nekrasov" and q.text == "Astana has no interest in supporting the war"


def test_attributed_claim_with_believes_that():
    [q] = extract_quotes(para("Umarov believes that there are unlikely to be significant changes."))
    assert (q.kind, q.speaker, q.text) == ("attributed", "Umarov", "there are unlikely to be significant changes.")


def test_a_claim_late_in_a_long_sentence_keeps_its_whole_subject():
    text = ("At the end of a long summit on water, energy and trade in the region, the head of the delegation has "
            "publicly told journalists that the talks had failed.")
    [q] = extract_quotes(para(text))
    assert (q.speaker, q.text) == ("the head of the delegation", "the talks had failed.")


def test_scare_quotes_are_not_quotes():
    assert extract_quotes(para("Concerns include Russian ‘soft power’ and the ‘hybrid war’.")) == []


def test_according_to_a_source_without_a_name_is_not_a_claim():
    assert extract_quotes(para("According to the 1989 census, ethnic Russians numbered 6.2 million.")) == []


# --- invariants on the real seeds -----------------------------------------------------------------

def test_every_extraction_cites_an_existing_paragraph_and_quotes_verbatim():
    corpus = load_corpus(SEEDS)
    gaz = load_gazetteer()
    by_id = {p.id: p for p in corpus.paragraphs()}
    sentences = {s.id: s.text for p in corpus.paragraphs() for s in p.sentences}
    counts = {"figures": 0, "events": 0, "quotes": 0, "mentions": 0}
    for doc in corpus.documents:
        for e in extract_document_events(doc):
            assert e.paragraph_id in by_id and e.as_written in sentences[e.sentence_id] == e.sentence
            assert e.end is None or e.end >= e.start
            counts["events"] += 1
        for p in doc.paragraphs:
            for f in extract_figures(p):
                assert f.paragraph_id == p.id and f.text in f.sentence == sentences[f.sentence_id]
                counts["figures"] += 1
            for q in extract_quotes(p):
                assert isinstance(q, Quote) and q.text in p.text and q.sentence_id in sentences
                counts["quotes"] += 1
            for m in extract_actors(p, gaz):
                assert m.paragraph_id == p.id and m.text in p.text
                counts["mentions"] += 1
    assert all(counts.values()), counts


# --- scoring against hand labels (for the report; evaluate.py owns the official numbers) ----------

def _gold_range(date: str) -> tuple[PartialDate, PartialDate]:
    if date.endswith("s") and date[:-1].isdigit():
        return PartialDate(int(date[:-1])), PartialDate(int(date[:-1]) + 9)
    a, _, b = date.partition("/")
    return PartialDate.parse(a), PartialDate.parse(b or a)


def _cut(d: PartialDate, precision: str) -> tuple:
    return (d.year, d.month, d.day)[:{"year": 1, "month": 2, "day": 3}[precision]]


def _event_matches(e: Event, date: str) -> bool:
    """An extracted date (start or end) known at least to the gold precision and inside the gold range."""
    lo, hi = _gold_range(date)
    precision = lo.precision
    for d in (e.start, e.end):
        if d is not None and len(_cut(d, d.precision)) >= len(_cut(lo, precision)):
            if _cut(lo, precision) <= _cut(d, precision) <= _cut(hi, hi.precision):
                return True
    return False


def score_against_gold(corpus, gold_path) -> dict:
    """Figure recall/precision and event recall as the eval README defines them."""
    gold = yaml.safe_load(Path(gold_path).read_text(encoding="utf-8"))
    hit_f = tot_f = ok_x = tot_x = hit_e = tot_e = 0
    for gd in gold["documents"]:
        doc = corpus.document(gd["id"])
        starts = {p["i"]: match_key(p["start"]) for p in gd["paragraphs"]}
        figs = [f for p in doc.paragraphs for f in extract_figures(p)]
        gold_values = [parse_number(str(k["value"])) for k in gd.get("key_facts") or []]
        tot_f += len(gold_values)
        hit_f += sum(any(math.isclose(f.value, v, rel_tol=1e-6) for f in figs) for v in gold_values if v is not None)
        tot_x += len(figs)
        ok_x += sum(any(v is not None and math.isclose(f.value, v, rel_tol=1e-6) for v in gold_values) for f in figs)
        evs = extract_document_events(doc)
        for ge in gd.get("dated_events") or []:
            tot_e += 1
            pid = next((p.id for p in doc.paragraphs if match_key(p.text).startswith(starts[ge["paragraph"]])), None)
            hit_e += any(e.paragraph_id == pid and _event_matches(e, str(ge["date"])) for e in evs)
    return {"figure_recall": hit_f / max(1, tot_f), "figure_precision": ok_x / max(1, tot_x),
            "event_recall": hit_e / max(1, tot_e), "figures": (hit_f, tot_f, ok_x, tot_x), "events": (hit_e, tot_e)}


@pytest.mark.skipif(not GOLD.is_file(), reason="hand labels not available")
def test_seed_labels_meet_the_targets():
    scores = score_against_gold(load_corpus(SEEDS), GOLD)
    assert scores["figure_recall"] >= 0.9 and scores["event_recall"] >= 0.85, scores


def test_no_capital_letter_lies_beyond_the_range_scanned_for_them():
    from pipeline.actors import CAPITALS_END, capitals

    assert capitals(CAPITALS_END) == capitals(sys.maxunicode + 1)
