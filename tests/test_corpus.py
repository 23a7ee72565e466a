"""A folder -> Corpus: good articles load beside bad ones; contested is derived, not typed."""

from __future__ import annotations

import datetime
import math
import re
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warlens import model
from warlens.article import read_article_file
from warlens.corpus import Corpus, build_corpus, derive_contested
from warlens.workspace import load_corpus

ROOT = Path(__file__).parents[1]
BAKHMUT = ROOT / "data" / "articles" / "bakhmut-falls-2023-05-21.yaml"
FIXTURES = Path(__file__).parent / "fixtures"


def fold(text: str) -> str:
    """Text as a quote is compared: quote marks, dashes and whitespace made uniform."""
    text = re.sub("[\u2018\u2019]", "'", text)
    text = re.sub("[\u201c\u201d]", '"', text)
    text = re.sub("[\u2013\u2014]", "-", text)
    return re.sub(r"\s+", " ", text).strip()


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance, to say "near" the way a map reader would."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371 * math.asin(math.sqrt(a))


# --- the Bakhmut article ------------------------------------------------------------------


@pytest.fixture(scope="module")
def bakhmut() -> Corpus:
    return load_corpus(BAKHMUT)


def event(corpus: Corpus, event_id: str) -> pd.Series:
    [row] = corpus.events[corpus.events[model.Col.ID] == event_id].to_dict("records")
    return pd.Series(row)


def test_the_bakhmut_article_loads_whole_without_a_single_problem(bakhmut):
    assert bakhmut.counts() == {"articles": 1, "outlets": 1, "events": 6, "claims": 12,
                                "places": 3, "contested": 1, "stories": 1,
                                "stories_multi_outlet": 0, "stories_contested": 1, "drafts": 0}
    assert bakhmut.problems.empty
    assert bakhmut.files == 1


def test_every_bakhmut_event_and_claim_span_slices_the_text_to_its_quote(bakhmut):
    text = bakhmut.articles.loc[0, model.Col.TEXT]
    rows = pd.concat([bakhmut.events, bakhmut.claims])
    assert len(rows) == 18
    for row in rows.itertuples():
        assert fold(text[row.span_start:row.span_end]) == fold(row.quote), row.key


def test_bakhmut_resolves_to_the_city_in_donetsk_oblast(bakhmut):
    [place] = bakhmut.places[bakhmut.places[model.Col.ID] == "bakhmut"].itertuples()
    assert distance_km(place.lat, place.lon, 48.594, 37.999) < 3
    assert (place.country, place.resolved_by) == ("UA", "gazetteer")


def test_the_contested_event_is_the_capture_wagner_and_moscow_assert_and_zelenskyy_denies(
        bakhmut):
    contested = bakhmut.events[bakhmut.events[model.Col.CONTESTED]]
    assert list(contested[model.Col.ID]) == ["bakhmut-captured"]
    sides = bakhmut.claims[bakhmut.claims[model.Col.CONTESTED]]
    assert sorted(zip(sides[model.Col.STANCE], sides[model.Col.CLAIMANT], strict=True)) == [
        ("asserts", "Russian government"), ("asserts", "Wagner Group"),
        ("denies", "Volodymyr Zelenskyy")]
    assert event(bakhmut, "bakhmut-captured")[model.Col.N_CLAIMS] == 6


def test_the_end_of_january_is_the_21st_to_the_31st(bakhmut):
    visit = event(bakhmut, "reporter-visit")
    assert visit[model.Col.START].date() == datetime.date(2023, 1, 21)
    assert visit[model.Col.END].date() == datetime.date(2023, 1, 31)
    assert visit[model.Col.DATE_TEXT] == "the end of January"


def test_the_looming_counter_offensive_is_undated(bakhmut):
    counter = event(bakhmut, "counter-offensive")
    assert pd.isna(counter[model.Col.START]) and pd.isna(counter[model.Col.END])
    assert counter[model.Col.DATE_PRECISION] == "undated"


def test_the_bakhmut_article_is_published_on_21_may_2023_by_inference(bakhmut):
    article = bakhmut.articles.iloc[0]
    assert article[model.Col.PUBLISHED_START].date() == datetime.date(2023, 5, 21)
    assert article[model.Col.PUBLISHED_END].date() == datetime.date(2023, 5, 21)
    assert article[model.Col.PUBLISHED_INFERRED]


# --- a bad file never hides the good ones ----------------------------------------------------


def test_the_mixed_folder_loads_exactly_the_good_articles(monkeypatch):
    monkeypatch.chdir(FIXTURES)
    corpus = load_corpus("mixed")
    assert sorted(corpus.articles[model.Col.ARTICLE]) == [
        "avdiivka-withdrawal-2024-02-17", "kherson-liberated-2022-11-11",
        "kyiv-drone-attack-2023-05-28"]
    assert corpus.counts() == {"articles": 3, "outlets": 1, "events": 5, "claims": 5,
                               "places": 5, "contested": 1, "stories": 0,
                               "stories_multi_outlet": 0, "stories_contested": 0, "drafts": 0}
    assert corpus.files == 6  # the README beside the articles is not read


def test_the_mixed_folder_lists_exactly_the_bad_files_problems(monkeypatch):
    monkeypatch.chdir(FIXTURES)
    problems = load_corpus("mixed").problems
    assert list(problems.itertuples(index=False, name=None)) == [
        ("mixed/broken-syntax.yaml", 7, "(file)",
         "YAML syntax error: found unexpected end of stream (while scanning a quoted scalar "
         "that starts on line 3); a quote or bracket is never closed", "error"),
        ("mixed/latin1-title.yaml", 3, "(file)",
         "the file is not valid UTF-8: byte 0xE9 at byte offset 79 (invalid continuation byte)",
         "error"),
        ("mixed/missing-outlet.yaml", 1, "outlet", "is required but missing", "error"),
    ]


def test_every_bad_fixture_together_still_loads_the_good_ones(monkeypatch):
    monkeypatch.chdir(FIXTURES)
    corpus = load_corpus(["bad", "mixed"])
    assert {"avdiivka-withdrawal-2024-02-17", "bad-bom-utf8-ok"} <= set(
        corpus.articles[model.Col.ARTICLE])
    assert set(corpus.problems["file"].str.split("/").str[0]) == {"bad", "mixed"}
    assert corpus.problems["line"].notna().all()


def test_a_folder_that_does_not_exist_is_a_problem_not_a_crash(tmp_path):
    corpus = load_corpus(tmp_path / "nowhere")
    assert corpus.counts()["articles"] == 0
    [problem] = corpus.problems.to_dict("records")
    assert problem["message"] == "no such file or folder"
    assert problem["file"].endswith("nowhere")


def test_an_empty_corpus_still_has_typed_tables(tmp_path):
    corpus = load_corpus(tmp_path)
    assert list(corpus.events.columns) == model.EVENT_COLUMNS
    assert list(corpus.problems.columns) == model.PROBLEM_COLUMNS
    assert str(corpus.problems["line"].dtype) == "Int64"
    assert set(corpus.counts().values()) == {0}


def test_a_duplicate_article_id_across_two_files_names_both_files(tmp_path, monkeypatch):
    kyiv = (FIXTURES / "mixed" / "kyiv-drone-attack-2023-05-28.yaml").read_bytes()
    (tmp_path / "kyiv-a.yaml").write_bytes(kyiv)
    (tmp_path / "kyiv-b.yaml").write_bytes(kyiv.replace(b"Example Wire", b"Other Wire"))
    monkeypatch.chdir(tmp_path)
    corpus = load_corpus(".")
    assert list(corpus.articles[model.Col.OUTLET]) == ["Example Wire"]
    [problem] = corpus.problems.to_dict("records")
    id_line = kyiv.decode().splitlines().index("id: kyiv-drone-attack-2023-05-28") + 1
    assert (problem["file"], problem["line"], problem["field"]) == ("kyiv-b.yaml", id_line, "id")
    assert problem["message"] == ("article id 'kyiv-drone-attack-2023-05-28' is already used "
                                  "by kyiv-a.yaml; this file was not loaded")


# --- contested is derived ---------------------------------------------------------------------

TEXT = "Russia says its forces took Robotyne. Ukraine's army says its troops still hold it."


def corpus_of(*claims: tuple[str, str]) -> Corpus:
    """A one-article corpus whose claims, given as (claimant, stance), are about one event."""
    items = "".join(textwrap.dedent(f"""\
          - id: claim-{n}
            claimant: {claimant}
            stance: {stance}
            claim: Robotyne changed hands.
            about: robotyne-taken
            quote: Russia says its forces took Robotyne.
        """) for n, (claimant, stance) in enumerate(claims))
    data = textwrap.dedent("""\
        id: robotyne-2023-08-30
        title: Both sides claim Robotyne
        outlet: Example Wire
        published: 2023-08-30
        text: "{text}"
        events:
          - id: robotyne-taken
            summary: Robotyne changes hands
            type: territorial_control
            when: 2023-08
            quote: Russia says its forces took Robotyne.
          - id: quiet-day
            summary: Nothing is claimed about this event
            type: other
            when: 2023-08-30
            quote: Ukraine's army says its troops still hold it.
        claims:
        """).format(text=TEXT) + textwrap.indent(items, "  ")
    result = read_article_file(data.encode(), "robotyne.yaml")
    assert result.problems == []
    return build_corpus([result])


def contested_events(corpus: Corpus) -> list[str]:
    return list(corpus.events.loc[corpus.events[model.Col.CONTESTED], model.Col.ID])


def test_an_event_one_claimant_asserts_and_another_denies_is_contested():
    corpus = corpus_of(("Russian defence ministry", "asserts"), ("Ukrainian army", "denies"),
                       ("the reporter", "assesses"))
    assert contested_events(corpus) == ["robotyne-taken"]
    assert corpus.counts()["contested"] == 1
    assert list(corpus.claims[model.Col.CONTESTED]) == [True, True, False]


def test_a_claimant_who_asserts_and_denies_the_same_event_does_not_contest_it():
    corpus = corpus_of(("Russian defence ministry", "asserts"),
                       ("Russian defence ministry", "denies"))
    assert contested_events(corpus) == []
    assert not corpus.claims[model.Col.CONTESTED].any()


def test_an_estimate_against_a_denial_does_not_make_an_event_contested():
    corpus = corpus_of(("an analyst", "estimates"), ("Ukrainian army", "denies"),
                       ("the reporter", "assesses"))
    assert contested_events(corpus) == []


def test_two_claimants_asserting_the_same_event_agree_and_do_not_contest_it():
    corpus = corpus_of(("Russian defence ministry", "asserts"), ("Wagner Group", "asserts"))
    assert contested_events(corpus) == []


def test_each_event_counts_the_claims_about_it():
    corpus = corpus_of(("Russian defence ministry", "asserts"), ("Ukrainian army", "denies"))
    counts = dict(zip(corpus.events[model.Col.ID], corpus.events[model.Col.N_CLAIMS],
                      strict=True))
    assert counts == {"robotyne-taken": 2, "quiet-day": 0}


STANCES = ("asserts", "denies", "assesses", "estimates")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["e0", "e1", "e2", None]),
                          st.sampled_from(["Kyiv", "Moscow", "Wagner"]),
                          st.sampled_from(STANCES)), max_size=12))
def test_contested_is_exactly_one_claimant_asserting_what_another_denies(claims) -> None:
    events = pd.DataFrame({model.Col.KEY: pd.Series(["e0", "e1", "e2", "e3"], dtype="str")})
    table = pd.DataFrame(claims, columns=[model.Col.EVENT, model.Col.CLAIMANT, model.Col.STANCE])
    table = table.astype({model.Col.CLAIMANT: "str", model.Col.STANCE: "str"})
    marked_events, marked_claims = derive_contested(events, table)

    def contested(event: str) -> bool:
        asserting = {who for e, who, stance in claims if e == event and stance == "asserts"}
        denying = {who for e, who, stance in claims if e == event and stance == "denies"}
        return any(a != d for a in asserting for d in denying)

    assert list(marked_events[model.Col.CONTESTED]) == [contested(e) for e in events[model.Col.KEY]]
    assert list(marked_events[model.Col.N_CLAIMS]) == [
        sum(e == event for e, _, _ in claims) for event in events[model.Col.KEY]]
    assert list(marked_claims[model.Col.CONTESTED]) == [
        e is not None and contested(e) and stance in ("asserts", "denies")
        for e, _, stance in claims]
