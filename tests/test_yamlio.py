"""Strict YAML reading: plain values, a line for every path, a clear error for every trap."""

from __future__ import annotations

import math
import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warlens.problems import WarlensError
from warlens.yamlio import MAX_DEPTH, field_name, line_of, load_yaml

ARTICLE = textwrap.dedent("""\
    # an article file
    title: Shelling in Kherson
    published: 2023-05-20
    events:
      - when: early May
        place: Kherson
        quote: >-
          Two districts
          were hit.
      - when: 2023-05-21
        actors: [Russian forces,
                 local officials]
    claims: []
    """)


def error_of(data: str | bytes, **limits: int) -> WarlensError:
    """The WarlensError that loading `data` raises (failing the test if none is)."""
    with pytest.raises(WarlensError) as info:
        load_yaml(data, **limits)
    return info.value


def assert_plain(value: object) -> None:
    """Fail unless `value` is built only from dict, list, str, int, float, bool and None."""
    if isinstance(value, dict):
        for key, item in value.items():
            assert type(key) is str
            assert_plain(item)
    elif isinstance(value, list):
        for item in value:
            assert_plain(item)
    else:
        assert value is None or type(value) in (str, int, float, bool)


# What loads, and where


def test_an_article_loads_as_plain_python_values() -> None:
    data, _ = load_yaml(ARTICLE)
    assert data == {
        "title": "Shelling in Kherson",
        "published": "2023-05-20",
        "events": [
            {"when": "early May", "place": "Kherson", "quote": "Two districts were hit."},
            {"when": "2023-05-21", "actors": ["Russian forces", "local officials"]},
        ],
        "claims": [],
    }
    assert_plain(data)


def test_the_line_map_gives_the_line_of_every_nested_key_and_list_item() -> None:
    _, lines = load_yaml(ARTICLE)
    assert lines == {
        (): 1,
        ("title",): 2,
        ("published",): 3,
        ("events",): 4,
        ("events", 0): 5,
        ("events", 0, "when"): 5,
        ("events", 0, "place"): 6,
        ("events", 0, "quote"): 7,
        ("events", 1): 10,
        ("events", 1, "when"): 10,
        ("events", 1, "actors"): 11,
        ("events", 1, "actors", 0): 11,
        ("events", 1, "actors", 1): 12,
        ("claims",): 13,
    }


def test_bytes_and_text_give_the_same_result() -> None:
    assert load_yaml(ARTICLE.encode()) == load_yaml(ARTICLE)


def test_a_utf8_byte_order_mark_is_dropped_from_bytes_and_from_text() -> None:
    assert load_yaml(b"\xef\xbb\xbftitle: Izium\n") == ({"title": "Izium"}, {(): 1, ("title",): 1})
    assert load_yaml("\ufefftitle: Izium\n")[0] == {"title": "Izium"}


def test_explicit_document_markers_around_one_document_are_fine() -> None:
    assert load_yaml("---\ntitle: x\n...\n") == ({"title": "x"}, {(): 1, ("title",): 2})


# Typing of plain scalars: YAML 1.2 core schema


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("~", None), ("null", None), ("Null", None), ("NULL", None), ("", None),
        ("true", True), ("True", True), ("TRUE", True),
        ("false", False), ("False", False), ("FALSE", False),
        ("0", 0), ("-17", -17), ("+3", 3), ("010", 10), ("0x1F", 31), ("0o17", 15),
        ("1.5", 1.5), ("-.5", -0.5), ("5.", 5.0), ("1e3", 1000.0), ("-2.5E-2", -0.025),
        (".inf", math.inf), ("-.Inf", -math.inf), ("+.INF", math.inf),
    ],
)
def test_plain_scalars_are_typed_by_the_yaml_1_2_core_schema(text: str, expected: object) -> None:
    value = load_yaml(f"value: {text}\n")[0]["value"]
    assert value == expected
    assert type(value) is type(expected)


def test_nan_is_read_as_a_float_nan() -> None:
    assert math.isnan(load_yaml("value: .nan\n")[0]["value"])


@pytest.mark.parametrize(
    "text",
    ["NO", "no", "off", "On", "yes", "Y", "1:20", "2023-05-20", "2024-02-30",
     "2023-05-20T10:00:00Z", "1_000", "-0x1F", "0b101", "0o18", "nulls", ".5.5", "= x", "<<"],
)
def test_yaml_1_1_booleans_sexagesimals_dates_and_lookalikes_stay_text(text: str) -> None:
    assert load_yaml(f"value: {text}\n")[0] == {"value": text}


def test_an_impossible_date_stays_text_instead_of_crashing() -> None:
    assert load_yaml("published: 2024-02-30\n")[0] == {"published": "2024-02-30"}


@pytest.mark.parametrize("text", ["'true'", '"10"', "'null'", "''", '"1e3"', "|\n  010"])
def test_quoted_and_block_scalars_are_always_text(text: str) -> None:
    assert type(load_yaml(f"value: {text}\n")[0]["value"]) is str


def test_an_integer_too_long_for_python_is_refused_with_its_line() -> None:
    error = error_of("a: 1\nb: " + "9" * 5000 + "\n")
    assert (error.line, error.field) == (2, "b")
    assert "5,000 digits" in error.message
    assert "quote it" in error.message


# Syntax


def test_a_syntax_error_gives_the_line_and_a_readable_reason() -> None:
    error = error_of("title: ok\nquote: He said: go\n")
    assert error.line == 2
    assert error.message.startswith("YAML syntax error: mapping values are not allowed")
    assert "must be quoted" in error.message


def test_an_unclosed_quote_says_where_the_quoted_text_started() -> None:
    error = error_of('title: ok\nquote: "He said\nsource: x\n')
    assert error.line == 4
    assert "end of stream" in error.message
    assert "starts on line 2" in error.message
    assert "never closed" in error.message


def test_a_tab_used_for_indentation_is_explained() -> None:
    error = error_of("events:\n\t- a\n")
    assert error.line == 2
    assert "tabs" in error.message


def test_a_bad_indentation_names_the_offending_line() -> None:
    error = error_of("events:\n  - when: x\n place: y\n")
    assert error.line == 3
    assert "did not find expected key" in error.message
    assert "indentation" in error.message


# Anchors, aliases, tags


def test_an_anchor_is_refused_at_its_line() -> None:
    error = error_of("title: x\nplace: &p Kherson\n")
    assert (error.line, error.field) == (2, "place")
    assert error.message == (
        "anchors and aliases (&name, *name) are not allowed: found anchor &p")


def test_an_alias_is_refused_at_its_line_even_without_its_anchor() -> None:
    error = error_of("title: x\nevents:\n  - *first\n")
    assert (error.line, error.field) == (3, "events[0]")
    assert "found alias *first" in error.message


def test_an_alias_bomb_fails_at_the_first_anchor_without_expanding() -> None:
    bomb = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]\n"
        for i in range(8)
    )
    error = error_of(bomb)
    assert error.line == 1
    assert "anchors and aliases" in error.message


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("!!python/object/apply:os.system ['ls']", "!!python/object/apply:os.system"),
        ("!!str 10", "!!str"),
        ("!foo bar", "!foo"),
        ("! bar", "found !;"),
        ("!!map {a: 1}", "!!map"),
        ("!<tag:example.com,2000:x> y", "tag:example.com,2000:x"),
    ],
)
def test_an_explicit_tag_is_refused_and_named(text: str, shown: str) -> None:
    error = error_of(f"title: x\nvalue: {text}\n")
    assert (error.line, error.field) == (2, "value")
    assert "explicit tags" in error.message
    assert shown in error.message


def test_directives_are_refused() -> None:
    error = error_of("%YAML 1.1\n---\ntitle: x\n")
    assert error.line == 1
    assert "directives" in error.message


# Keys


def test_a_duplicate_key_names_the_key_and_the_line_of_the_first_one() -> None:
    error = error_of("title: a\nevents:\n  - place: x\n    when: y\n    place: z\n")
    assert (error.line, error.field) == (5, "events[0].place")
    assert error.message == 'duplicate key "place": it is already used on line 3 of this mapping'


def test_a_duplicate_key_in_a_flow_mapping_is_refused() -> None:
    error = error_of("title: a\nspan: {start: 1, start: 2}\n")
    assert error.line == 2
    assert 'duplicate key "start"' in error.message


def test_the_same_key_in_two_different_mappings_is_fine() -> None:
    assert load_yaml("- place: x\n- place: y\n")[0] == [{"place": "x"}, {"place": "y"}]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("1: x", "the key 1 is read as a number"),
        ("null: x", "the key null is read as null"),
        ("true: x", "the key true is read as a true/false value"),
        ("2.5: x", "the key 2.5 is read as a number"),
        ("? [a]\n: x", "must be text, not a list"),
        ("? {a: 1}\n: x", "must be text, not a mapping"),
        ("?\n: x", "a mapping key is empty"),
    ],
)
def test_a_mapping_key_that_is_not_text_is_refused(text: str, words: str) -> None:
    error = error_of(f"title: t\n{text}\n")
    assert error.line == 2
    assert words in error.message


def test_a_quoted_number_or_word_is_a_valid_key() -> None:
    assert load_yaml("'1': a\n\"null\": b\nNO: c\n")[0] == {"1": "a", "null": "b", "NO": "c"}


# Nesting, size, encoding, documents


def test_nesting_at_the_limit_loads_and_one_level_more_is_refused_with_its_line() -> None:
    at_limit = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert load_yaml(at_limit)[0] is not None
    error = error_of("a:\n  b:\n    c: [[x]]\n", max_depth=4)
    assert (error.line, error.field) == (3, "a.b.c[0]")
    assert "nested more than 4 levels" in error.message


def test_five_thousand_nested_brackets_are_refused_not_crashed() -> None:
    error = error_of("[" * 5000 + "]" * 5000)
    assert error.line == 1
    assert f"more than {MAX_DEPTH} levels" in error.message


def test_nesting_that_would_crash_libyamls_composer_is_refused() -> None:
    # yaml.compose(..., Loader=CSafeLoader) segfaults the interpreter on this input.
    error = error_of("x:\n" + "[" * 100_000 + "]" * 100_000)
    assert error.line == 2


def test_deep_block_indentation_is_refused_too() -> None:
    text = "".join("  " * level + f"k{level}:\n" for level in range(60)) + "  " * 60 + "v\n"
    error = error_of(text)
    assert error.line == MAX_DEPTH + 1


def test_a_file_over_the_size_cap_is_refused_without_a_line() -> None:
    error = error_of(b"title: " + b"x" * 100, max_bytes=50)
    assert error.line is None
    assert error.message == "the file is 107 bytes, over the limit of 50 bytes"


def test_the_size_cap_counts_utf8_bytes_of_text() -> None:
    error = error_of("t: " + "é" * 30, max_bytes=50)
    assert "63 bytes" in error.message


def test_invalid_utf8_names_the_byte_offset_and_its_line() -> None:
    error = error_of(b"title: ok\nplace: Kh\xe9rson\n")
    assert error.line == 2
    assert error.message.startswith("the file is not valid UTF-8: byte 0xE9 at byte offset 19")


def test_a_utf16_file_is_recognised_as_such() -> None:
    error = error_of("title: x\n".encode("utf-16"))
    assert error.line == 1
    assert "looks like UTF-16" in error.message


def test_text_with_an_unpaired_surrogate_is_refused() -> None:
    error = error_of("a: 1\nb: \ud800\n")
    assert error.line == 2
    assert "surrogate" in error.message


def test_a_control_character_is_refused_with_its_line() -> None:
    error = error_of("title: ok\nplace: é\x07\n")
    assert error.line == 2
    assert "U+0007" in error.message
    assert "control characters are not allowed" in error.message


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", b"\xef\xbb\xbf"])
def test_an_empty_file_is_refused(text: str | bytes) -> None:
    error = error_of(text)
    assert error.line == 1
    assert error.message == "the file is empty"


def test_a_second_document_is_refused_at_its_line() -> None:
    error = error_of("title: a\n---\ntitle: b\n")
    assert (error.line, error.field) == (2, "(file)")
    assert "second YAML document" in error.message


# Paths and lines for reporting


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ((), "(file)"),
        (("title",), "title"),
        (("events", 2, "quote"), "events[2].quote"),
        ((0, "place"), "[0].place"),
        (("meta", "a.b"), 'meta["a.b"]'),
        (("meta", ""), 'meta[""]'),
        (("source-url",), "source-url"),
    ],
)
def test_field_name_writes_a_path_as_a_person_reads_it(path: tuple, name: str) -> None:
    assert field_name(path) == name


def test_line_of_falls_back_to_the_nearest_recorded_ancestor() -> None:
    _, lines = load_yaml(ARTICLE)
    assert line_of(lines, ("events", 1, "actors", 1)) == 12
    assert line_of(lines, ("events", 1, "missing_field")) == 10
    assert line_of(lines, ("events", 1, "function-after[check()]", 0)) == 10
    assert line_of(lines, ("nowhere",)) == 1
    assert line_of({}, ("nowhere",)) is None


# Nothing but WarlensError, ever

YAMLISH = st.text(alphabet=st.sampled_from(list(":-[]{},&*!|>?#%@`'\"\\~. \t\n\r0aZé\x00\ufeff")),
                  max_size=80)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=200), YAMLISH, st.binary(max_size=200)))
def test_any_input_either_loads_plain_values_or_raises_warlens_error(data: str | bytes) -> None:
    try:
        value, lines = load_yaml(data)
    except WarlensError as error:
        assert error.message
        assert error.line is None or error.line >= 1
        assert error.field
        return
    assert_plain(value)
    assert lines[()] == 1
    assert all(line >= 1 for line in lines.values())


def test_nesting_past_our_limit_but_within_libyamls_names_the_level_it_passed() -> None:
    error = error_of("tags: " + "[" * 100 + "]" * 100)
    assert error.message == f"the data is nested more than {MAX_DEPTH} levels deep"
    assert error.field == "tags" + "[0]" * (MAX_DEPTH - 1)
