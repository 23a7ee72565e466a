"""Date expressions become honest ranges, or an error that names the text."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warlens.dates import UNDATED, When, parse_published, parse_when
from warlens.problems import WarlensError

PUBLISHED = date(2023, 5, 21)  # a Sunday: the Bakhmut article
DASH = "\u2013"


def span(value: object, published: date | None = PUBLISHED) -> tuple[date | None, date | None]:
    when = parse_when(value, published)
    return when.start, when.end


# --- the Bakhmut article, published 2023-05-21 -----------------------------------------

def test_the_end_of_january_is_the_last_eleven_days_of_january_before_publication():
    when = parse_when("the end of January", PUBLISHED)
    assert (when.start, when.end) == (date(2023, 1, 21), date(2023, 1, 31))
    assert when.precision == "range"
    assert when.text == "the end of January"


def test_the_last_few_weeks_ends_on_the_published_day_and_reaches_back_six_weeks():
    assert span("the last few weeks") == (date(2023, 4, 9), date(2023, 5, 21))


def test_a_written_out_day_is_that_day():
    when = parse_when("20 May 2023", PUBLISHED)
    assert (when.start, when.end, when.precision) == (date(2023, 5, 20), date(2023, 5, 20), "day")


def test_a_month_and_year_cover_the_whole_month():
    when = parse_when("February 2022", PUBLISHED)
    assert (when.start, when.end, when.precision) == (date(2022, 2, 1), date(2022, 2, 28), "month")


def test_undated_keeps_its_words_and_has_no_days():
    when = parse_when("undated", PUBLISHED)
    assert when.is_undated
    assert (when.start, when.end, when.precision, when.text) == (None, None, "undated", "undated")


# --- absolute forms ------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("value", "start", "end", "precision"),
    [
        ("2023-05-20", date(2023, 5, 20), date(2023, 5, 20), "day"),
        ("2023-05-20T14:30:00Z", date(2023, 5, 20), date(2023, 5, 20), "day"),
        ("2023-05", date(2023, 5, 1), date(2023, 5, 31), "month"),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29), "month"),
        ("2023", date(2023, 1, 1), date(2023, 12, 31), "year"),
        (2023, date(2023, 1, 1), date(2023, 12, 31), "year"),
        ("2023-W20", date(2023, 5, 15), date(2023, 5, 21), "week"),
        ("2023-01-01/2023-02-15", date(2023, 1, 1), date(2023, 2, 15), "range"),
        (date(2023, 5, 20), date(2023, 5, 20), date(2023, 5, 20), "day"),
        (datetime(2023, 5, 20, 9, 0), date(2023, 5, 20), date(2023, 5, 20), "day"),
        ("20th May 2023", date(2023, 5, 20), date(2023, 5, 20), "day"),
        ("the 20th of May 2023", date(2023, 5, 20), date(2023, 5, 20), "day"),
        ("May 20, 2023", date(2023, 5, 20), date(2023, 5, 20), "day"),
        ("Sept. 3rd 2022", date(2022, 9, 3), date(2022, 9, 3), "day"),
        ("in May 2023", date(2023, 5, 1), date(2023, 5, 31), "month"),
        ("DEC 2022", date(2022, 12, 1), date(2022, 12, 31), "month"),
        ("spring 2023", date(2023, 3, 1), date(2023, 5, 31), "season"),
        ("autumn of 2022", date(2022, 9, 1), date(2022, 11, 30), "season"),
        ("winter 2022/23", date(2022, 12, 1), date(2023, 2, 28), "season"),
        ("early 2023", date(2023, 1, 1), date(2023, 4, 30), "range"),
        ("the end of 2022", date(2022, 9, 1), date(2022, 12, 31), "range"),
        ("about 2023-05-20", date(2023, 5, 20), date(2023, 5, 20), "day"),
        ("c. 2022", date(2022, 1, 1), date(2022, 12, 31), "year"),
    ],
)
def test_absolute_forms_give_the_days_they_name(value, start, end, precision):
    when = parse_when(value)
    assert (when.start, when.end, when.precision) == (start, end, precision)


@pytest.mark.parametrize(
    ("value", "start", "end"),
    [
        ("the start of March 2023", date(2023, 3, 1), date(2023, 3, 10)),
        ("beginning of March 2023", date(2023, 3, 1), date(2023, 3, 10)),
        ("early March 2023", date(2023, 3, 1), date(2023, 3, 10)),
        ("the middle of March 2023", date(2023, 3, 11), date(2023, 3, 20)),
        ("mid-March 2023", date(2023, 3, 11), date(2023, 3, 20)),
        ("late March 2023", date(2023, 3, 21), date(2023, 3, 31)),
        ("end of February 2024", date(2024, 2, 21), date(2024, 2, 29)),
    ],
)
def test_the_thirds_of_a_month_are_the_first_ten_days_the_next_ten_and_the_rest(
    value, start, end,
):
    when = parse_when(value)
    assert (when.start, when.end, when.precision) == (start, end, "range")


def test_forms_are_case_insensitive():
    assert span("THE END OF JANUARY") == span("the end of january")


# --- forms without a year resolve to the most recent one on or before publication -------

@pytest.mark.parametrize(
    ("value", "start", "end"),
    [
        ("January", date(2023, 1, 1), date(2023, 1, 31)),
        ("May", date(2023, 5, 1), date(2023, 5, 31)),
        ("June", date(2022, 6, 1), date(2022, 6, 30)),
        ("20 May", date(2023, 5, 20), date(2023, 5, 20)),
        ("May 25", date(2022, 5, 25), date(2022, 5, 25)),
        ("29 February", date(2020, 2, 29), date(2020, 2, 29)),
        ("late December", date(2022, 12, 21), date(2022, 12, 31)),
        ("winter", date(2022, 12, 1), date(2023, 2, 28)),
    ],
)
def test_a_missing_year_is_the_latest_that_began_by_publication(value, start, end):
    assert span(value) == (start, end)


# --- relative to the published day ------------------------------------------------------------

@pytest.mark.parametrize(
    ("value", "start", "end", "precision"),
    [
        ("today", date(2023, 5, 21), date(2023, 5, 21), "day"),
        ("yesterday", date(2023, 5, 20), date(2023, 5, 20), "day"),
        ("the day before yesterday", date(2023, 5, 19), date(2023, 5, 19), "day"),
        ("overnight", date(2023, 5, 20), date(2023, 5, 21), "range"),
        ("Saturday", date(2023, 5, 20), date(2023, 5, 20), "day"),
        ("on Saturday", date(2023, 5, 20), date(2023, 5, 20), "day"),
        ("last Saturday", date(2023, 5, 20), date(2023, 5, 20), "day"),
        ("Sunday", date(2023, 5, 14), date(2023, 5, 14), "day"),
        ("Monday", date(2023, 5, 15), date(2023, 5, 15), "day"),
        ("last week", date(2023, 5, 8), date(2023, 5, 21), "range"),
        ("this week", date(2023, 5, 15), date(2023, 5, 21), "range"),
        ("last month", date(2023, 4, 1), date(2023, 5, 21), "range"),
        ("this month", date(2023, 5, 1), date(2023, 5, 21), "range"),
        ("last year", date(2022, 1, 1), date(2023, 5, 21), "range"),
        ("this year", date(2023, 1, 1), date(2023, 5, 21), "range"),
        ("the last few days", date(2023, 5, 14), date(2023, 5, 21), "range"),
        ("in recent days", date(2023, 5, 14), date(2023, 5, 21), "range"),
        ("the past few weeks", date(2023, 4, 9), date(2023, 5, 21), "range"),
        ("recent weeks", date(2023, 4, 9), date(2023, 5, 21), "range"),
        ("the last few months", date(2022, 11, 21), date(2023, 5, 21), "range"),
        ("the past couple of weeks", date(2023, 4, 30), date(2023, 5, 21), "range"),
        ("the past 24 hours", date(2023, 5, 20), date(2023, 5, 21), "range"),
        ("the last two weeks", date(2023, 5, 7), date(2023, 5, 21), "range"),
        ("the past 3 months", date(2023, 2, 21), date(2023, 5, 21), "range"),
        ("for days", date(2023, 5, 7), date(2023, 5, 21), "range"),
        ("for weeks", date(2023, 2, 26), date(2023, 5, 21), "range"),
        ("for months", date(2022, 5, 21), date(2023, 5, 21), "range"),
        ("months of fighting", date(2022, 5, 21), date(2023, 5, 21), "range"),
        ("since February 2022", date(2022, 2, 1), date(2023, 5, 21), "range"),
        ("since 2023-05-01", date(2023, 5, 1), date(2023, 5, 21), "range"),
        ("since January", date(2023, 1, 1), date(2023, 5, 21), "range"),
    ],
)
def test_relative_phrases_resolve_against_the_published_day(value, start, end, precision):
    when = parse_when(value, PUBLISHED)
    assert (when.start, when.end, when.precision) == (start, end, precision)
    assert when.text == value


def test_a_weekday_never_means_the_published_day_itself():
    assert span("Sunday", date(2023, 5, 21)) == (date(2023, 5, 14), date(2023, 5, 14))


def test_a_span_of_months_keeps_to_real_month_ends():
    assert span("the last few months", date(2023, 8, 31))[0] == date(2023, 2, 28)


@pytest.mark.parametrize(
    "value", ["undated", "Unknown", "looming", "future", "in the future", "", "  "],
)
def test_words_for_no_date_give_an_undated_when_that_keeps_the_words(value):
    when = parse_when(value, PUBLISHED)
    assert when.is_undated
    assert when.text == value.strip()


def test_a_missing_value_is_undated():
    assert parse_when(None) == UNDATED


# --- ranges and inferred dates from YAML mappings ---------------------------------------------

def test_a_range_runs_from_the_first_day_of_from_to_the_last_day_of_to():
    when = parse_when({"from": "the end of January", "to": "2023-03"}, PUBLISHED)
    assert (when.start, when.end, when.precision) == (date(2023, 1, 21), date(2023, 3, 31), "range")
    assert when.text == "the end of January to 2023-03"


def test_a_range_without_to_runs_to_the_published_day():
    assert span({"from": "2023-05-01"}) == (date(2023, 5, 1), date(2023, 5, 21))


def test_an_inferred_date_is_marked_inferred():
    when = parse_when({"date": "2023-05-20", "inferred": True})
    assert (when.start, when.inferred) == (date(2023, 5, 20), True)
    assert parse_when({"value": "May 2023", "inferred": True}).inferred


def test_published_accepts_an_inferred_date():
    when = parse_published({"date": "2023-05-21", "inferred": True})
    assert (when.start, when.end, when.inferred) == (PUBLISHED, PUBLISHED, True)


def test_published_reads_the_absolute_forms():
    assert parse_published("2023-05-21").start == PUBLISHED
    assert parse_published(date(2023, 5, 21)).start == PUBLISHED
    assert parse_published("May 2023").precision == "month"


# --- errors name what they did not understand ------------------------------------------------

def test_an_unknown_phrase_is_named_in_the_error_with_the_forms_that_work():
    with pytest.raises(WarlensError) as caught:
        parse_when("sometime soonish", PUBLISHED)
    assert "unknown date expression 'sometime soonish'" in caught.value.message
    assert "2023-05-20" in caught.value.message


def test_a_day_that_does_not_exist_is_our_error_not_a_value_error():
    with pytest.raises(WarlensError, match="no such day '2024-02-30'"):
        parse_when("2024-02-30")


@pytest.mark.parametrize("value", ["2023-13", "31 April 2023", "30 February", "2023-W54"])
def test_other_impossible_dates_are_refused(value):
    with pytest.raises(WarlensError, match="no such"):
        parse_when(value, PUBLISHED)


def test_a_range_whose_from_is_after_its_to_is_refused():
    with pytest.raises(WarlensError, match="ends before it starts"):
        parse_when({"from": "2023-05", "to": "2023-04-30"})


def test_since_a_day_after_publication_is_refused():
    with pytest.raises(WarlensError, match="starts after the published date"):
        parse_when("since June 2024", PUBLISHED)


@pytest.mark.parametrize("value", ["the end of January", "the last few weeks", "yesterday", "May"])
def test_a_phrase_that_needs_a_base_date_says_so_when_there_is_none(value):
    with pytest.raises(WarlensError, match="needs the article's published date"):
        parse_when(value)


def test_a_published_date_cannot_itself_be_relative():
    with pytest.raises(WarlensError, match="'yesterday' is relative"):
        parse_published("yesterday")


def test_a_bare_winter_year_is_refused_as_ambiguous():
    with pytest.raises(WarlensError, match="winter 2022/23 or winter 2023/24"):
        parse_when("winter 2023")


def test_a_slashed_date_is_refused_because_day_and_month_order_is_unknown():
    with pytest.raises(WarlensError, match="ambiguous date '05/06/2023'"):
        parse_when("05/06/2023")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"from": "2023-01", "until": "2023-02"}, "unknown key 'until'"),
        ({"to": "2023-02"}, "needs from:"),
        ({"date": "2023-05-20", "from": "2023-05-01"}, "not both"),
        ({"date": "2023-05-20", "inferred": "yes"}, "'inferred' must be true or false"),
        ({"from": "undated", "to": "2023-02"}, "cannot be undated"),
        (True, "cannot be true"),
        (2023.5, "not float"),
        (12, "year 12 is out of range"),
        ("x" * 500, "too long"),
    ],
)
def test_malformed_values_are_refused_with_a_reason(value, message):
    with pytest.raises(WarlensError, match=message):
        parse_when(value, PUBLISHED)


# --- labels --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("value", "label"),
    [
        ("2023-05-20", "20 May 2023"),
        ("20 May 2023", "20 May 2023"),
        ("2023-05", "May 2023"),
        ("February 2022", "February 2022"),
        ("2023", "2023"),
        ("the end of January", f"21{DASH}31 Jan 2023 (the end of January)"),
        ("spring 2023", f"Mar{DASH}May 2023 (spring 2023)"),
        ("winter 2022/23", f"Dec 2022 {DASH} Feb 2023 (winter 2022/23)"),
        ("the last few weeks", f"9 Apr {DASH} 21 May 2023 (the last few weeks)"),
        ("yesterday", "20 May 2023 (yesterday)"),
        ({"from": "2021-12-30", "to": "2022-01-02"}, f"30 Dec 2021 {DASH} 2 Jan 2022"),
        ({"from": "2021", "to": "2022"}, f"2021{DASH}2022"),
        ({"date": "2023-05-20", "inferred": True}, "20 May 2023 (inferred)"),
        ("undated", "undated"),
        ("looming", "undated (looming)"),
        (None, "undated"),
    ],
)
def test_labels_read_as_a_person_would_write_them(value, label):
    assert parse_when(value, PUBLISHED).label() == label


# --- overlaps ------------------------------------------------------------------------------

def test_a_range_overlaps_a_filter_that_shares_any_day_with_it():
    end_of_january = parse_when("the end of January", PUBLISHED)
    assert end_of_january.overlaps(date(2023, 1, 31), date(2023, 2, 28))
    assert end_of_january.overlaps(date(2023, 1, 1), date(2023, 1, 21))
    assert not end_of_january.overlaps(date(2023, 2, 1), date(2023, 2, 28))
    assert not end_of_january.overlaps(date(2022, 1, 1), date(2023, 1, 20))


def test_an_open_side_of_a_filter_lets_everything_through_on_that_side():
    day = parse_when("2023-05-20")
    assert day.overlaps(None, date(2023, 5, 20))
    assert day.overlaps(date(2023, 5, 20), None)
    assert not day.overlaps(date(2023, 5, 21), None)
    assert day.overlaps(None, None)


def test_undated_passes_only_an_unbounded_filter():
    assert UNDATED.overlaps(None, None)
    assert not UNDATED.overlaps(date(2023, 1, 1), None)
    assert not UNDATED.overlaps(None, date(2023, 1, 1))


# --- the When record itself ----------------------------------------------------------------------

def test_a_when_cannot_be_built_inside_out():
    with pytest.raises(ValueError, match="before start"):
        When(date(2023, 5, 2), date(2023, 5, 1), "range", "")
    with pytest.raises(ValueError, match="undated"):
        When(None, date(2023, 5, 1), "day", "")


def test_a_when_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        parse_when("2023").text = "2024"  # type: ignore[misc]


# --- never anything but a When or our error --------------------------------------------------

_WORDS = [
    "the", "end", "of", "early", "mid", "late", "start", "since", "last", "past", "few",
    "recent", "for", "weeks", "days", "months", "years", "hours", "couple", "january", "feb",
    "may", "sept", "spring", "winter", "saturday", "yesterday", "this", "week", "about",
    "c.", "20th", "29", "31", "0", "2023", "0001", "9999", "2023-05", "2024-02-30",
    "2023-w53", "/", "-", ",", "of fighting", "undated", "overnight", "2022/23",
]


@settings(max_examples=400, database=None)
@given(
    text=st.one_of(
        st.text(max_size=60),
        st.lists(st.sampled_from(_WORDS), max_size=6).map(" ".join),
    ),
    published=st.one_of(st.none(), st.dates()),
)
def test_any_text_gives_an_ordered_when_or_our_error(text, published):
    try:
        when = parse_when(text, published)
    except WarlensError as error:
        assert error.message
        return
    assert isinstance(when, When)
    if not when.is_undated:
        assert when.start is not None and when.end is not None
        assert when.start <= when.end
