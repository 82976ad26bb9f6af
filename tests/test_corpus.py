"""Corpus loading: metadata validation, decoding, cleaning and segmentation."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipeline.corpus import load_corpus, split_blocks, split_sentences
from pipeline.errors import CorpusError, CorpusErrors
from pipeline.metadata import PartialDate

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
BODY = ("Kazakhstan balances its two neighbours. Officials speak of partnership with both of them.\n"
        "The Eurasian Economic Union and the Belt and Road Initiative are discussed at length here.\n")


def make_corpus(tmp_path: Path, files: dict[str, bytes | str], meta: str | None = None) -> Path:
    for name, content in files.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        (tmp_path / name).write_bytes(data)
    if meta is None:
        meta = "documents:\n" + "".join(f"  - file: {n}\n    title: Title of {n}\n    date: 2020-05\n" for n in files)
    (tmp_path / "metadata.yaml").write_text(meta, encoding="utf-8")
    return tmp_path


def errors_of(tmp_path: Path) -> list[str]:
    with pytest.raises(CorpusErrors) as info:
        load_corpus(tmp_path)
    return [str(e) for e in info.value.errors]


# --- metadata ---------------------------------------------------------------------------------

def test_seed_corpus_loads_all_five_documents():
    corpus = load_corpus(SEEDS)
    assert len(corpus.documents) == 5
    assert all(d.paragraphs for d in corpus.documents)


def test_missing_title_names_file_and_field(tmp_path):
    make_corpus(tmp_path, {"a.txt": BODY}, "documents:\n  - file: a.txt\n    date: 2020\n")
    (msg,) = errors_of(tmp_path)
    assert "metadata.yaml" in msg and "field 'title'" in msg and "line 2" in msg


def test_impossible_date_is_refused_with_the_field(tmp_path):
    make_corpus(tmp_path, {"a.txt": BODY}, "documents:\n  - file: a.txt\n    title: A\n    date: 2019-13-40\n")
    (msg,) = errors_of(tmp_path)
    assert "field 'date'" in msg and "2019-13-40" in msg


def test_day_that_does_not_exist_is_refused():
    with pytest.raises(ValueError):
        PartialDate.parse("2023-02-30")


def test_future_date_is_refused(tmp_path):
    make_corpus(tmp_path, {"a.txt": BODY}, "documents:\n  - file: a.txt\n    title: A\n    date: 2999-01-01\n")
    assert "future" in errors_of(tmp_path)[0]


def test_year_only_date_keeps_year_precision(tmp_path):
    make_corpus(tmp_path, {"a.txt": BODY}, "documents:\n  - file: a.txt\n    title: A\n    date: 2019\n")
    date = load_corpus(tmp_path).documents[0].meta.date
    assert date == PartialDate(2019) and date.precision == "year"


def test_metadata_entry_without_file(tmp_path):
    make_corpus(tmp_path, {"a.txt": BODY}, "documents:\n  - file: a.txt\n    title: A\n  - file: b.txt\n    title: B\n")
    (msg,) = errors_of(tmp_path)
    assert "b.txt" in msg and "no such file" in msg


def test_file_without_metadata_entry(tmp_path):
    make_corpus(tmp_path, {"a.txt": BODY}, "documents:\n  - file: a.txt\n    title: A\n")
    (tmp_path / "stray.txt").write_text(BODY)
    (msg,) = errors_of(tmp_path)
    assert "stray.txt" in msg and "no entry" in msg


def test_duplicate_file_entries(tmp_path):
    make_corpus(tmp_path, {"a.txt": BODY}, "documents:\n  - file: a.txt\n    title: A\n  - file: a.txt\n    title: A again\n")
    assert "listed twice" in errors_of(tmp_path)[0]


def test_path_traversal_file_name_is_refused(tmp_path):
    make_corpus(tmp_path, {"a.txt": BODY}, "documents:\n  - file: a.txt\n    title: A\n  - file: ../../etc/passwd\n    title: P\n")
    msgs = errors_of(tmp_path)
    assert any("../../etc/passwd" in m and "plain file name" in m for m in msgs)


def test_yaml_syntax_error_gives_the_line(tmp_path):
    make_corpus(tmp_path, {"a.txt": BODY}, "documents:\n  - file: a.txt\n    title: A: B: C\n")
    with pytest.raises(CorpusError) as info:
        load_corpus(tmp_path)
    assert info.value.line == 3


def test_unknown_field_is_refused(tmp_path):
    make_corpus(tmp_path, {"a.txt": BODY}, "documents:\n  - file: a.txt\n    titel: A\n    title: A\n")
    assert "titel" in errors_of(tmp_path)[0]


def test_all_problems_are_reported_at_once(tmp_path):
    make_corpus(tmp_path, {"a.txt": BODY}, "documents:\n  - file: a.txt\n    date: 2019-13\n  - file: b.txt\n    title: B\n")
    assert len(errors_of(tmp_path)) == 2


# --- decoding ---------------------------------------------------------------------------------

CYRILLIC = "Россия и Казахстан обсуждают сотрудничество в рамках ЕАЭС и ОДКБ. " * 3 + "\nВторой абзац о Китае и Синьцзяне.\n"


@pytest.mark.parametrize("encoding", ["cp1251", "utf-16", "utf-8-sig"])
def test_cyrillic_text_decodes_from_common_encodings(tmp_path, encoding):
    make_corpus(tmp_path, {"a.txt": CYRILLIC.encode(encoding)})
    doc = load_corpus(tmp_path).documents[0]
    assert "Россия и Казахстан" in doc.paragraphs[0].text
    assert "\ufeff" not in doc.paragraphs[0].text


def test_mixed_line_endings_give_the_same_paragraphs(tmp_path):
    make_corpus(tmp_path, {"a.txt": "First paragraph here.\r\nSecond paragraph here.\rThird paragraph here.\n"})
    assert [p.text for p in load_corpus(tmp_path).documents[0].paragraphs] == [
        "First paragraph here.", "Second paragraph here.", "Third paragraph here."]


def test_binary_file_with_txt_name_is_refused(tmp_path):
    make_corpus(tmp_path, {"a.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4})
    assert "binary" in errors_of(tmp_path)[0]


@pytest.mark.parametrize("content", ["", "   \n\n\t  \n"])
def test_empty_or_whitespace_file_is_refused(tmp_path, content):
    make_corpus(tmp_path, {"a.txt": content})
    assert "empty" in errors_of(tmp_path)[0]


# --- cleaning ---------------------------------------------------------------------------------

def test_page_furniture_and_debris_are_removed_and_recorded(tmp_path):
    text = ("LATEST\nA Headline About Things\n412 views Politics 0\n12.09.2019\n" + BODY +
            "Source: Example.kz\nexample.org\nNumber of shows: 923\n24/10/2019 17:56\n")
    make_corpus(tmp_path, {"a.txt": text}, "documents:\n  - file: a.txt\n    title: A Headline About Things\n")
    doc = load_corpus(tmp_path).documents[0]
    assert [p.text for p in doc.paragraphs if p.kind == "body"] == BODY.strip().split("\n")
    reasons = {r.text: r.reason for r in doc.removed}
    assert reasons["412 views Politics 0"] == "page furniture"
    assert reasons["24/10/2019 17:56"] == "dateline or timestamp"
    assert reasons["A Headline About Things"] == "title"


def test_boilerplate_is_removed_whatever_its_case(tmp_path):
    # Case-insensitive, as the regular expression's re.I sees it: "İ" and "ı" are an "i" there.
    lines = ["Find us on Twİtter, the social network", "CLıCK HERE for the full report", "All Rights Reserved."]
    make_corpus(tmp_path, {"a.txt": BODY + "\n".join(lines) + "\n"})
    doc = load_corpus(tmp_path).documents[0]
    assert [(r.text, r.reason) for r in doc.removed] == [(line, "boilerplate") for line in lines]


def test_pull_quote_repeating_a_body_sentence_is_dropped(tmp_path):
    body = ("The government embarked on a policy of Kazakh-ization in schools and the civil service across the country. "
            "It changed much.")
    text = "Intro paragraph that sets the scene for the reader.\n" + body.split(". ")[0] + ".\n" + body + "\n"
    make_corpus(tmp_path, {"a.txt": text})
    doc = load_corpus(tmp_path).documents[0]
    assert [r.reason for r in doc.removed] == ["pull quote"]
    assert len(doc.paragraphs) == 2


def test_endnotes_are_set_apart_and_markers_removed(tmp_path):
    text = ("Body sentence citing a source.12 Another claim here.13\n"
            "12 Author, A. (2019), Title, http://example.org/\npath/to/page (accessed 2019).\n13 Other, B. (2018).\n14 Third, C.\n")
    make_corpus(tmp_path, {"a.txt": text})
    doc = load_corpus(tmp_path).documents[0]
    assert doc.paragraphs[0].text == "Body sentence citing a source. Another claim here."
    assert len(doc.endnotes) == 3
    assert "http://example.org/path/to/page" in doc.endnotes[0]


def test_decimal_numbers_are_not_taken_for_note_markers(tmp_path):
    text = "Ethnic Russians were 37.8 per cent of the population.2\n1 A note.\n2 Another note.\n3 A third note.\n"
    make_corpus(tmp_path, {"a.txt": text})
    assert load_corpus(tmp_path).documents[0].paragraphs[0].text == "Ethnic Russians were 37.8 per cent of the population."


# --- segmentation -----------------------------------------------------------------------------

def test_paragraph_ids_are_document_id_and_source_position(tmp_path):
    make_corpus(tmp_path, {"doc-a.txt": "LATEST\n" + BODY})
    doc = load_corpus(tmp_path).documents[0]
    assert [p.id for p in doc.paragraphs] == ["doc-a-p2", "doc-a-p3"]


def test_hard_wrapped_paragraphs_separated_by_blank_lines_are_joined():
    text = "First line of para one\nsecond line of para one.\n\nPara two starts\nand ends here.\n\nPara three\nis short.\n"
    assert [b.text for b in split_blocks(text)] == [
        "First line of para one second line of para one.", "Para two starts and ends here.", "Para three is short."]


def test_sentences_do_not_split_on_abbreviations_or_initials():
    text = "Trenin, D. said the U.S. and Mr. Putin met. The talks failed. In 2019 they met again."
    assert split_sentences(text) == ["Trenin, D. said the U.S. and Mr. Putin met.", "The talks failed.", "In 2019 they met again."]


def test_the_word_before_a_full_stop_is_read_as_the_sentence_so_far_would_give_it():
    """sentence_bounds reads the word before each full stop back from it (_last_word), not from a copy of the
    sentence so far, which made long paragraphs of abbreviations quadratic; it must find the same word."""
    import random

    from pipeline.corpus import _last_word

    def from_the_sentence(before: str) -> str:
        stem = before.rstrip(".!?…")
        return stem.rsplit(None, 1)[-1] if stem and not stem[-1].isspace() else ""

    pieces = ["Dr.", "U.S.", "a", "word", " ", "  ", "\n", "\t", "...", "…", "?!", "“Mr.", "(e.g.", "x" * 70 + ".", ".a"]
    rng = random.Random(6)
    for _ in range(300):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 30)))
        for stop in (i for i, c in enumerate(text) if c == "."):
            for start in {0, rng.randint(0, stop), stop}:
                assert _last_word(text, start, stop + 1) == from_the_sentence(text[start:stop + 1]), (text, start, stop)


def test_sentences_leave_out_the_whitespace_around_them():
    assert split_sentences(" \tThe talks failed.  In 2019 they met again. \n") == ["The talks failed.", "In 2019 they met again."]


def test_a_paragraphs_sentences_are_those_of_its_text(tmp_path):
    make_corpus(tmp_path, {"a.txt": "Trenin, D. said the U.S. and Mr. Putin met. The talks failed! “In 2019 they met again.” Then\n" + BODY})
    paragraph = load_corpus(tmp_path).documents[0].paragraphs[0]
    assert [s.text for s in paragraph.sentences] == split_sentences(paragraph.text) == [
        "Trenin, D. said the U.S. and Mr. Putin met.", "The talks failed!", "“In 2019 they met again.”", "Then"]


def test_exact_duplicate_documents_are_counted_once(tmp_path):
    make_corpus(tmp_path, {"a.txt": BODY, "b.txt": BODY})
    corpus = load_corpus(tmp_path)
    assert [d.id for d in corpus.documents] == ["a"]
    assert corpus.duplicates == [("a", "b")]


def test_near_duplicates_are_reported(tmp_path):
    long = [f"Paragraph number {i} discusses the relationship between Kazakhstan, Russia and China in some depth." for i in range(6)]
    make_corpus(tmp_path, {"a.txt": "\n".join(long) + "\nSite A footer text that is long enough to matter here.\n",
                           "b.txt": "\n".join(long) + "\nA different closing paragraph from the second website.\n"})
    corpus = load_corpus(tmp_path)
    assert len(corpus.documents) == 2
    assert corpus.near_duplicates and corpus.near_duplicates[0][:2] == ("a", "b")


def test_corpus_digest_changes_when_a_document_changes(tmp_path):
    make_corpus(tmp_path, {"a.txt": BODY})
    before = load_corpus(tmp_path).digest
    (tmp_path / "a.txt").write_text(BODY + "A new closing paragraph for this test.\n")
    assert load_corpus(tmp_path).digest != before


def test_per_document_cache_returns_the_same_document(tmp_path, monkeypatch):
    from pipeline import corpus

    root = tmp_path / "corpus"
    root.mkdir()
    make_corpus(root, {"a.txt": BODY})
    first = load_corpus(root, cache_dir=tmp_path / "cache")
    monkeypatch.setattr(corpus, "process", lambda *a: pytest.fail("a cached document was processed again"))
    second = load_corpus(root, cache_dir=tmp_path / "cache")
    assert first.documents == second.documents


def test_partial_date_labels_keep_their_precision():
    assert PartialDate.parse("2019-05").label() == "May 2019"
    assert PartialDate.parse("2024-03-19").label() == "19 Mar 2024"
    assert PartialDate(2019) < PartialDate(2019, 5) < PartialDate(2020)
    assert PartialDate.parse("2019-05").first_day() == dt.date(2019, 5, 1)
