"""Finding a hand-copied quote in an article's text, and pointing into the original."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warlens.spans import FoldedText, find_quote

TEXT = (
    "Kherson\u2019s governor said two people were killed.\n"
    "Moscow called the report \u201cfake news\u201d \u2014 and  denied   everything.\n"
    "The strike hit the market at 09:40\u00a0local time."
)


def fold(text: str) -> str:
    """What the finder compares: quote marks, dashes and whitespace made uniform."""
    text = re.sub("[\u2018\u2019\u201a\u201b\u2032\u02bc]", "'", text)
    text = re.sub("[\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb]", '"', text)
    text = re.sub("[\u2010-\u2015\u2212]", "-", text)
    return re.sub(r"\s+", " ", text).strip()


def test_a_quote_copied_exactly_is_found_at_its_position():
    quote = "two people were killed."
    start = TEXT.index(quote)
    assert find_quote(TEXT, quote) == (start, start + len(quote))


def test_a_straight_apostrophe_matches_a_curly_one_in_the_text():
    span = find_quote(TEXT, "Kherson's governor said")
    assert span is not None
    assert TEXT[span[0]:span[1]] == "Kherson\u2019s governor said"


def test_curly_quotes_in_the_quote_match_straight_ones_in_the_text():
    text = 'He called it "fake news" on Sunday.'
    span = find_quote(text, "called it \u201cfake news\u201d on")
    assert span is not None
    assert text[span[0]:span[1]] == 'called it "fake news" on'


@pytest.mark.parametrize("dash", ["-", "\u2013", "\u2014", "\u2212", "\u2010"],
                         ids=["hyphen-minus", "en-dash", "em-dash", "minus-sign", "hyphen"])
def test_any_dash_in_the_quote_matches_the_em_dash_in_the_text(dash):
    span = find_quote(TEXT, f'"fake news" {dash} and denied')
    assert span is not None
    assert TEXT[span[0]:span[1]] == "\u201cfake news\u201d \u2014 and  denied"


def test_a_quote_wrapped_over_lines_matches_runs_of_spaces_in_the_text():
    quote = "Moscow called the report\n    \u201cfake news\u201d \u2014 and denied everything."
    span = find_quote(TEXT, quote)
    assert span is not None
    assert TEXT[span[0]:span[1]] == (
        "Moscow called the report \u201cfake news\u201d \u2014 and  denied   everything.")


def test_a_line_break_in_the_text_matches_a_space_in_the_quote():
    span = find_quote(TEXT, "killed. Moscow called")
    assert span is not None
    assert TEXT[span[0]:span[1]] == "killed.\nMoscow called"


def test_a_non_breaking_space_in_the_text_matches_a_plain_space():
    span = find_quote(TEXT, "09:40 local time.")
    assert span == (TEXT.index("09:40"), len(TEXT))


def test_spaces_around_the_quote_are_not_part_of_the_span():
    span = find_quote(TEXT, "   two people were killed.\n")
    start = TEXT.index("two people")
    assert span == (start, start + len("two people were killed."))


def test_the_span_counts_code_points_of_the_original_text_not_of_the_folded_one():
    text = "\u201cWe\u2019re   here,\u201d  he said \u2014 twice.  Then: \u201cwe stay.\u201d"
    span = find_quote(text, '"we stay."')
    assert span == (text.index("\u201cwe stay"), len(text))


def test_a_paraphrase_is_not_found():
    assert find_quote(TEXT, "Kherson's governor said two civilians died.") is None


def test_letter_case_is_not_forgiven():
    assert find_quote(TEXT, "KHERSON's governor said") is None


@pytest.mark.parametrize("quote", ["", "   ", "\n\t"], ids=["empty", "spaces", "newline-tab"])
def test_an_empty_quote_is_never_found(quote):
    assert find_quote(TEXT, quote) is None


def test_the_first_occurrence_wins_when_a_quote_appears_twice():
    text = "Shelling continued. Later, shelling continued. Shelling continued."
    assert find_quote(text, "Shelling continued.") == (0, 19)


def test_one_folded_text_answers_many_quotes_like_find_quote_does():
    folded = FoldedText(TEXT)
    for quote in ("governor said", '"fake news" - and', "09:40 local", "not there"):
        assert folded.find(quote) == find_quote(TEXT, quote)


_ALPHABET = st.sampled_from([
    *"ab xy.,\n\t'\"-",
    "\u2019", "\u201c", "\u201d", "\u2014", "\u2013", "\u00a0", "\u2028", "\u0435", "\U0001f525",
])


@given(st.lists(_ALPHABET, min_size=1, max_size=60).map("".join), st.data())
def test_any_piece_of_the_text_is_found_and_its_span_folds_to_the_quote(text, data):
    i = data.draw(st.integers(0, len(text)))
    j = data.draw(st.integers(i, len(text)))
    quote = text[i:j]
    span = find_quote(text, quote)
    if not fold(quote):
        assert span is None
        return
    assert span is not None
    start, end = span
    assert 0 <= start < end <= len(text)
    assert fold(text[start:end]) == fold(quote)
