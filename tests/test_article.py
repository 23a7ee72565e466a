"""One article file -> rows and problems: every mistake named at its line and field."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import NamedTuple

import pytest

from warlens.article import ArticleRows, FileResult, read_article_file
from warlens.corpus import read_file
from warlens.yamlio import MAX_BYTES

BAD = Path(__file__).parent / "fixtures" / "bad"


class Expected(NamedTuple):
    """A problem as a person reads it: its line, its field, and a phrase of its message."""

    line: int | None
    field: str
    phrase: str


def place_dropped(line: int, place_line: int) -> Expected:
    """The problem of an event whose place was dropped for a problem of its own."""
    return Expected(line, "events[0].place",
                    f"refers to place 'kherson' (line {place_line}), which was not loaded")


def event_dropped(line: int, event_line: int) -> Expected:
    """The problem of a claim whose event was dropped for a problem of its own."""
    return Expected(line, "claims[0].about",
                    f"refers to event 'market-shelling' (line {event_line}), which was not loaded")


def case(name: str, *problems: Expected):  # -> a pytest ParameterSet
    return pytest.param(name, list(problems), id=name.removesuffix(".yaml"))


FILE = "(file)"
BAD_CASES = [
    # syntax
    case("syntax-unclosed-quote.yaml",
         Expected(7, FILE, "a quoted scalar that starts on line 3); "
                           "a quote or bracket is never closed")),
    case("syntax-unclosed-bracket.yaml",
         Expected(6, FILE, "a [ list ] is not closed or lacks a comma")),
    case("syntax-colon-in-plain-value.yaml",
         Expected(9, FILE, "a value that contains ': ' must be quoted")),
    case("syntax-tab-indent.yaml", Expected(8, FILE, "indent with spaces, never tabs")),
    case("syntax-bad-indentation.yaml",
         Expected(10, FILE, "items of a list must all start with '- ' at the same indentation")),
    case("syntax-backslash-escape.yaml",
         Expected(6, FILE, "inside double quotes a backslash starts an escape")),
    # structure
    case("structure-top-level-list.yaml",
         Expected(1, FILE, "an article file must be a mapping of keys (id, title, text, ...), "
                           "not a list")),
    case("structure-top-level-text.yaml", Expected(1, FILE, "must be a mapping of keys")),
    case("structure-events-not-a-list.yaml",
         Expected(14, "events", "must be a list of events, not a mapping")),
    case("structure-event-not-a-mapping.yaml",
         Expected(22, "events[1]", "each entry of events must be a mapping, not text")),
    case("structure-missing-text.yaml", Expected(1, "text", "is required but missing")),
    case("empty-file.yaml", Expected(1, FILE, "the file is empty")),
    case("empty-comments-only.yaml", Expected(1, FILE, "the file is empty")),
    case("two-documents.yaml", Expected(7, FILE, "a second YAML document ('---')")),
    case("duplicate-key.yaml",
         Expected(6, "title", 'duplicate key "title": it is already used on line 3')),
    case("duplicate-event-id.yaml",
         Expected(22, "events[1].id", "id 'market-shelling' is used twice in this article "
                                      "(first on line 15)")),
    # YAML 1.1 traps that are errors in our format
    case("yaml11-sexagesimal-when.yaml",
         Expected(18, "events[0].when", "unknown date expression '1:20'"), event_dropped(27, 15)),
    case("yaml11-number-as-title.yaml",
         Expected(3, "title", "YAML read the unquoted 2023 as a number; put it in quotes")),
    # values out of range or outside a vocabulary
    case("range-lat-out-of-range.yaml",
         Expected(14, "places[0].lat", "less than or equal to 90"),
         place_dropped(21, 11), event_dropped(29, 17)),
    case("range-lat-without-lon.yaml",
         Expected(11, "places[0]", "give both lat and lon, or neither"),
         place_dropped(20, 11), event_dropped(28, 16)),
    case("range-negative-casualties.yaml",
         Expected(22, "events[0].casualties.low", "greater than or equal to 0"),
         event_dropped(28, 15)),
    case("range-casualties-low-above-high.yaml",
         Expected(22, "events[0].casualties", "low (4) is above high (2)")),
    case("range-text-too-long-line.yaml",
         Expected(16, "events[0].summary", "at most 2000 characters"), event_dropped(27, 15)),
    case("bad-stance.yaml",
         Expected(25, "claims[0].stance", "'asserts', 'denies', 'doubts', 'estimates' or "
                                          "'assesses' (got 'claims')")),
    case("bad-type.yaml",
         Expected(17, "events[0].type", "'remote_violence'"), event_dropped(27, 15)),
    case("bad-verdict.yaml",
         Expected(29, "claims[0].verdict", "'disputed' or 'false' (got true)")),
    case("bad-precision.yaml",
         Expected(14, "places[0].precision", "'region' or 'country' (got 'city')"),
         place_dropped(20, 11), event_dropped(28, 16)),
    case("bad-country-code.yaml",
         Expected(13, "places[0].country", "two-letter ISO 3166 country code in capitals, "
                                           "such as UA (got 'Ukraine')"),
         place_dropped(19, 11), event_dropped(27, 15)),
    case("bad-slug-id.yaml",
         Expected(15, "events[0].id", "must be a slug: lower-case letters, digits, '-' and '_'")),
    case("bad-url-javascript.yaml", Expected(6, "url", "must be an http:// or https:// address")),
    case("bad-source-url.yaml",
         Expected(22, "events[0].sources", "must be an http:// or https:// address"),
         event_dropped(28, 15)),
    case("date-unknown-phrase.yaml",
         Expected(18, "events[0].when", "unknown date expression 'shortly after the thaw'; "
                                        "write an ISO date"),
         event_dropped(27, 15)),
    case("date-feb-30.yaml",
         Expected(18, "events[0].when", "no such day '2023-02-30'"), event_dropped(27, 15)),
    case("date-range-backwards.yaml",
         Expected(18, "events[0].when", "ends before it starts"), event_dropped(27, 15)),
    case("date-ambiguous-slashes.yaml",
         Expected(18, "events[0].when", "day and month order differ between countries"),
         event_dropped(27, 15)),
    case("date-published-relative.yaml",
         Expected(5, "published", "'yesterday' is relative; a published date must be absolute")),
    # hostile input
    case("hostile-alias-bomb.yaml",
         Expected(7, "a", "anchors and aliases (&name, *name) are not allowed: found anchor &a")),
    case("hostile-merge-key.yaml",
         Expected(8, "events[0]", "anchors and aliases (&name, *name) are not allowed")),
    case("hostile-python-tag.yaml",
         Expected(6, "notes", "explicit tags (!name, !!type) are not allowed: "
                              "found !!python/object/apply:os.system")),
    case("hostile-custom-tag.yaml",
         Expected(6, "text", "explicit tags (!name, !!type) are not allowed: found !include")),
    # Deeper than libyaml's own limit (1,000), which stops it while scanning ahead of the
    # values: the field is where the nesting starts.
    case("hostile-deep-nesting.yaml",
         Expected(7, "tags[0]", "nested more than 40 levels deep")),
    case("hostile-huge-integer.yaml",
         Expected(10, "places[0].geonames", "the number has 5,000 digits, too many to read")),
    # encoding
    case("encoding-latin1.yaml",
         Expected(6, FILE, "the file is not valid UTF-8: byte 0xE9 at byte offset 204")),
    case("encoding-utf16.yaml", Expected(1, FILE, "it looks like UTF-16, save it as UTF-8")),
    case("encoding-nul-byte.yaml",
         Expected(6, FILE, "character U+0000 at byte 218 is not allowed in YAML")),
    # unknown keys
    case("unknown-key-qoute.yaml",
         Expected(15, "events[0].quote", "is required but missing"),
         Expected(21, "events[0].qoute", "unknown key 'qoute' (did you mean 'quote'?)")),
    case("unknown-key-autor.yaml",
         Expected(6, "autor", "unknown key 'autor' (did you mean 'author'?)")),
    case("unknown-key-lng.yaml",
         Expected(15, "places[0].lng", "unknown key 'lng' (did you mean 'lon'?)"),
         place_dropped(21, 11), event_dropped(29, 17)),
    # references
    case("ref-claim-about-missing-event.yaml",
         Expected(27, "claims[0].about", "refers to event 'market-shellng', which is not defined "
                                         "in this article (did you mean 'market-shelling'?)")),
    case("ref-claim-about-dropped-event.yaml",
         Expected(18, "events[0].when", "no such day '2023-02-30'"), event_dropped(27, 15)),
    case("ref-event-place-missing.yaml",
         Expected(19, "events[0].place", "refers to place 'kherson-market', which is not defined "
                                         "in this article (did you mean 'kherson'?)")),
    case("ref-claim-place-missing.yaml",
         Expected(29, "claims[0].place", "refers to place 'mykolaiv', which is not defined in "
                                         "this article; this article's places: kherson")),
    case("quote-not-in-text.yaml",
         Expected(21, "events[0].quote", "quote not found in the article's text: "
                                         "'Russian guns shelled central Kherson on Saturday'")),
]
#: Files in bad/ that hold a trap our format reads the way the writer meant: no problems.
GOOD_CASES = [
    "bom-utf8-ok.yaml",
    "yaml11-norway-no-ok.yaml",
    "yaml11-title-no-ok.yaml",
    "yaml11-octal-casualties-ok.yaml",
    "yaml11-date-summary-ok.yaml",
    "verdict-false-unquoted-ok.yaml",
]


def read(name: str) -> FileResult:
    return read_article_file((BAD / name).read_bytes(), name)


def only_article(result: FileResult) -> ArticleRows:
    assert result.problems == []
    assert len(result.articles) == 1
    return result.articles[0]


def test_every_file_in_the_bad_folder_has_an_expectation():
    expected = {p.values[0] for p in BAD_CASES} | set(GOOD_CASES)
    assert {p.name for p in BAD.iterdir()} == expected
    assert len(BAD_CASES) >= 30


@pytest.mark.parametrize(("name", "expected"), BAD_CASES)
def test_a_bad_file_is_reported_at_its_line_and_field(name, expected):
    problems = read(name).problems
    assert [(p.file, p.line, p.field) for p in problems] == [
        (name, e.line, e.field) for e in expected]
    for problem, e in zip(problems, expected, strict=True):
        assert e.phrase in problem.message
        assert problem.severity == "error"
        assert str(problem).startswith(f"{name}:{e.line}: {e.field}: ")


def test_a_file_too_big_is_refused_before_it_is_parsed(tmp_path):
    path = tmp_path / "size-too-big.yaml"
    head = b"id: size-too-big\ntitle: Big\noutlet: Example Wire\npublished: 2023-05-20\n"
    path.write_bytes(head + b"text: |-\n" + b"  Shelling continued.\n" * (MAX_BYTES // 20))
    result = read_file(path, "size-too-big.yaml")
    assert result.articles == []
    [problem] = result.problems
    assert (problem.file, problem.line, problem.field) == ("size-too-big.yaml", None, "(file)")
    assert "over the limit of 5,000,000 bytes" in problem.message
    assert str(problem).startswith("size-too-big.yaml: (file): the file is ")


def test_a_utf8_byte_order_mark_is_accepted():
    rows = only_article(read("bom-utf8-ok.yaml"))
    assert rows.article["article"] == "bad-bom-utf8-ok"
    assert rows.article["title"] == "Shelling hits central Kherson"


def test_country_no_is_norway_not_false():
    rows = only_article(read("yaml11-norway-no-ok.yaml"))
    oslo = next(p for p in rows.places if p["id"] == "oslo")
    assert oslo["country"] == "NO"
    assert oslo["country_name"] == "Norway"
    assert oslo["lat"] == pytest.approx(59.91, abs=0.1)


def test_plain_no_off_and_yes_stay_text_where_text_is_wanted():
    article = only_article(read("yaml11-title-no-ok.yaml")).article
    assert article["title"] == "NO"
    assert article["author"] == "off"
    assert article["tags"] == "yes; no; on"


def test_a_leading_zero_does_not_make_a_number_octal():
    [event] = only_article(read("yaml11-octal-casualties-ok.yaml")).events
    assert (event["casualties_low"], event["casualties_high"]) == (10, 12)


def test_an_unquoted_date_where_text_is_wanted_stays_the_text_as_written():
    [event] = only_article(read("yaml11-date-summary-ok.yaml")).events
    assert event["summary"] == "2023-05-20"


def test_an_unquoted_false_verdict_is_the_verdict_false():
    [claim] = only_article(read("verdict-false-unquoted-ok.yaml")).claims
    assert claim["verdict"] == "false"


def test_a_python_tag_builds_nothing():
    result = read("hostile-python-tag.yaml")
    assert result.articles == []
    assert "pwned" not in str(result.problems)


ARTICLE = textwrap.dedent("""\
    id: avdiivka-test
    title: Fighting around Avdiivka
    outlet: Example Wire
    published: 2024-02-17
    text: |-
      Russian forces attacked Avdiivka from three sides on Thursday.
      A strike hit the coke plant overnight.
      Ukraine's army said it repelled the assault.
    places:
      - id: avdiivka
        name: Avdiivka
        country: UA
    events:
      - id: three-sided-attack
        summary: Russian attack on Avdiivka from three sides
        type: battle
        when: Thursday
        place: avdiivka
        quote: Russian forces attacked Avdiivka from three sides on Thursday.
      - id: coke-plant-strike
        summary: Strike on the Avdiivka coke plant
        type: remote_violence
        when: the night of the big storm
        place: avdiivka
        quote: A strike hit the coke plant overnight.
      - id: assault-repelled
        summary: Ukraine says it repelled the assault
        type: battle
        when: 2024-02-16
        place: avdiivka
        quote: Ukraine's army said it repelled the assault.
    claims:
      - id: army-repelled
        claimant: Ukrainian army
        stance: asserts
        claim: The assault was repelled.
        about: assault-repelled
        quote: Ukraine's army said it repelled the assault.
      - id: plant-hit
        claimant: the reporter
        stance: asserts
        claim: A strike hit the coke plant.
        about: coke-plant-strike
        quote: A strike hit the coke plant overnight.
    """)


def line_of(text: str, needle: str) -> int:
    """The 1-based line of `text` that holds `needle`."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


BAD_WHEN = line_of(ARTICLE, "the night of the big storm")


def test_a_bad_event_drops_only_that_event_and_the_rest_of_the_article_loads():
    result = read_article_file(ARTICLE.encode(), "avdiivka.yaml")
    [article] = result.articles
    assert article.article["title"] == "Fighting around Avdiivka"
    assert [p["id"] for p in article.places] == ["avdiivka"]
    assert [e["id"] for e in article.events] == ["three-sided-attack", "assault-repelled"]
    assert [c["id"] for c in article.claims] == ["army-repelled"]
    assert str(result.problems[0]) == (
        f"avdiivka.yaml:{BAD_WHEN}: events[1].when: "
        "unknown date expression 'the night of the big storm'; "
        "write an ISO date (2023-05-20), a month (2023-05), a year, a range {from:, to:}, "
        'or a phrase such as "the end of January"')


def test_a_claim_about_a_dropped_event_is_reported_as_a_broken_reference():
    result = read_article_file(ARTICLE.encode(), "avdiivka.yaml")
    assert [(p.line, p.field) for p in result.problems] == [
        (BAD_WHEN, "events[1].when"), (line_of(ARTICLE, "about: coke-plant-strike"),
                                       "claims[1].about")]
    event_line = line_of(ARTICLE, "- id: coke-plant-strike")
    assert result.problems[1].message == (
        f"refers to event 'coke-plant-strike' (line {event_line}), which was not loaded "
        "because of its own problem; fix that one first")


def test_rows_carry_the_line_of_their_record_and_the_span_of_their_quote():
    [article] = read_article_file(ARTICLE.encode(), "avdiivka.yaml").articles
    text = article.article["text"]
    first = article.events[0]
    assert (first["file"], first["line"]) == ("avdiivka.yaml",
                                              line_of(ARTICLE, "- id: three-sided-attack"))
    assert text[first["span_start"]:first["span_end"]] == first["quote"]
    assert article.claims[0]["line"] == line_of(ARTICLE, "- id: army-repelled")


def test_a_claim_without_a_place_takes_the_place_of_its_event():
    [article] = read_article_file(ARTICLE.encode(), "avdiivka.yaml").articles
    [claim] = article.claims
    assert claim["event"] == "avdiivka-test/assault-repelled"
    assert claim["place"] == "avdiivka-test/avdiivka"
    assert claim["place_name"] == "Avdiivka"


def test_a_claim_carries_its_events_summary_and_type():
    """What the Claims table shows beside a claim, and what the type filter reads."""
    [article] = read_article_file(ARTICLE.encode(), "avdiivka.yaml").articles
    [claim] = article.claims
    [event] = [e for e in article.events if e["key"] == claim["event"]]
    assert (claim["event_summary"], claim["event_type"]) == (event["summary"], event["type"])


def test_a_relative_date_resolves_against_the_published_day():
    [article] = read_article_file(ARTICLE.encode(), "avdiivka.yaml").articles
    thursday = article.events[0]
    assert str(thursday["start"]) == str(thursday["end"]) == "2024-02-15"
    assert thursday["date_text"] == "Thursday"


def test_a_place_unknown_to_the_gazetteer_loads_with_a_warning_and_no_coordinates():
    data = ARTICLE.replace("name: Avdiivka", "name: Zzyzx Outpost").encode()
    result = read_article_file(data, "avdiivka.yaml")
    warning = result.problems[0]
    assert (warning.line, warning.field, warning.severity) == (
        line_of(ARTICLE, "name: Avdiivka"), "places[0].name", "warning")
    assert "'Zzyzx Outpost' is not in the gazetteer and has no lat/lon" in warning.message
    [place] = result.articles[0].places
    assert (place["lat"], place["lon"], place["resolved_by"]) == (None, None, "none")
