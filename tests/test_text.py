"""Text normalisation helpers: squashing whitespace, match keys, spotting binary files."""
from __future__ import annotations

import pytest

from pipeline.text import looks_binary, match_key, squash, squashed_keys


def test_squash_leaves_text_with_single_spaces_as_it_is():
    assert squash("Astana, 2019: “talks” – done.") == "Astana, 2019: “talks” – done."


@pytest.mark.parametrize("text", [" a b", "a b ", "a  b", "a\tb", "a\nb", "a\xa0b", "a\u2028b", "a\u3000b", "a\x1cb"])
def test_squash_collapses_every_kind_of_whitespace(text):
    assert squash(text) == "a b"


def test_squashed_keys_are_the_match_keys_casefolded_each_text_apart():
    texts = ["Kazakhstan’s “Multi-Vector” Policy", "STRASSE – Straße", "x"]
    assert squashed_keys(texts) == [match_key(t).casefold() for t in texts] == [
        "kazakhstan's \"multi-vector\" policy", "strasse - strasse", "x"]


def test_no_texts_have_no_squashed_keys():
    assert squashed_keys([]) == []


@pytest.mark.parametrize("odd", ["\ue000", "\x01", "\U000e0080"])  # private use, a control, unassigned
def test_text_with_many_unprintable_characters_looks_binary(odd):
    assert looks_binary(("Some text here, “quoted”. " + odd * 3) * 50)


def test_text_with_tabs_newlines_and_typographic_quotes_is_not_binary():
    assert not looks_binary("Some\ttext here,\r\n“quoted” – and Кремль.\n" * 50)
