"""UCDP GED CSV -> native articles: date ranges and place precision kept, bad rows named."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from imported import day, event
from warlens.corpus import Corpus
from warlens.formats import detect, ucdp
from warlens.workspace import load_corpus

FIXTURES = Path(__file__).parent / "fixtures" / "ucdp"
ACLED_FILE = Path(__file__).parent / "fixtures" / "acled" / "acled-ukraine-2023.csv"


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return load_corpus(FIXTURES)




def test_every_row_with_an_id_lands_as_an_event_keeping_its_good_values(corpus):
    assert sorted(corpus.events["article"]) == [
        "ucdp-900001", "ucdp-900002", "ucdp-900003", "ucdp-900004", "ucdp-900005",
        "ucdp-900006", "ucdp-900007", "ucdp-900008",
    ]
    # a bad longitude leaves the event off the map; a date_end before date_start leaves
    # the event on its date_start
    assert set(corpus.events.loc[corpus.events["lat"].isna(), "article"]) == {"ucdp-900006"}
    backwards = event(corpus, "ucdp-900005")
    assert (backwards["start"], backwards["end"]) == (day("2023-06-10"), day("2023-06-10"))
    bakhmut = event(corpus, "ucdp-900001")
    assert (bakhmut["lat"], bakhmut["lon"]) == (48.5956, 38.0003)
    assert bakhmut["place_name"] == "Bakhmut town"


def test_every_bad_record_is_listed_with_its_file_line_and_field(corpus):
    found = {(Path(p.file).name, p.line, p.field, p.severity)
             for p in corpus.problems.itertuples()}
    assert found == {
        ("ged-ukraine-sudan.csv", 6, "date_end", "warning"),
        ("ged-ukraine-sudan.csv", 7, "longitude", "warning"),
        ("ged-ukraine-sudan.csv", 7, "places[0].name", "warning"),
    }


def test_the_date_range_is_kept_as_ucdp_gives_it(corpus):
    bucha = event(corpus, "ucdp-900002")
    assert (bucha["start"], bucha["end"]) == (day("2022-03-01"), day("2022-03-07"))
    sudan = event(corpus, "ucdp-900004")
    assert (sudan["start"], sudan["end"]) == (day("2023-06-01"), day("2023-07-15"))
    exact = event(corpus, "ucdp-900001")
    assert (exact["start"], exact["end"]) == (day("2023-05-12"), day("2023-05-12"))


def test_dates_written_with_a_time_of_day_are_read(corpus):
    river = event(corpus, "ucdp-900008")
    assert (river["start"], river["end"]) == (day("2022-04-14"), day("2022-04-14"))


def test_the_date_precision_is_carried_in_a_tag(corpus):
    assert "date_prec: 3 (within a week)" in event(corpus, "ucdp-900002")["tags"]
    assert "date_prec: 5 (within more than a month)" in event(corpus, "ucdp-900004")["tags"]


@pytest.mark.parametrize(("article", "precision"), [
    ("ucdp-900001", "exact"),       # where_prec 1
    ("ucdp-900002", "settlement"),  # 2: within 25 km
    ("ucdp-900003", "region"),      # 4: first-order admin
    ("ucdp-900004", "country"),     # 6
    ("ucdp-900007", "region"),      # 7: international waters
    ("ucdp-900008", "region"),      # 5: a river
])
def test_where_prec_says_how_exactly_the_place_is_known(corpus, article, precision):
    assert event(corpus, article)["precision"] == precision


def test_a_place_in_international_waters_claims_no_country(corpus):
    moskva = event(corpus, "ucdp-900007")
    assert pd.isna(moskva["country"])
    assert event(corpus, "ucdp-900004")["country"] == "SD"


def test_violence_types_sides_and_death_estimates_are_carried_over(corpus):
    bucha = event(corpus, "ucdp-900002")
    assert bucha["type"] == "violence_against_civilians"
    assert bucha["actors"] == "Government of Russia (Soviet Union); Civilians"
    assert (bucha["casualties_low"], bucha["casualties_high"]) == (15, 20)
    assert bucha["casualties_text"] == "UCDP best estimate 17 (low 15, high 20)"
    assert event(corpus, "ucdp-900004")["type"] == "battle"  # non-state conflict


def test_the_text_is_the_sources_headlines_and_references(corpus):
    bakhmut = event(corpus, "ucdp-900001")
    assert bakhmut["quote"].startswith("Fighting continues in Bakhmut;")
    assert "Kyiv Independent,2023-05-12" in bakhmut["quote"]
    assert "source: Ukrinform" in bakhmut["tags"]
    article = corpus.articles.set_index("article").loc["ucdp-900001"]
    assert article["published_start"] == day("2023-05-12")  # the earliest source date


def test_a_row_without_source_text_gets_a_generated_text_that_says_so(corpus):
    sudan = event(corpus, "ucdp-900004")
    assert sudan["quote"] == ("UCDP records an event involving RSF - SAF-aligned militia at "
                              "Sudan between 2023-06-01 and 2023-07-15, with a best estimate "
                              "of 8 deaths.")
    article = corpus.articles.set_index("article").loc["ucdp-900004"]
    assert "generated" in article["notes"]
    assert article["published_inferred"]


def test_a_multi_line_headline_keeps_later_rows_on_their_own_lines(corpus):
    assert event(corpus, "ucdp-900007")["line"] == 8
    assert event(corpus, "ucdp-900008")["line"] == 11


def test_a_missing_required_column_is_named_and_nothing_is_imported(tmp_path):
    path = tmp_path / "ged.csv"
    path.write_text("id,side_a,where_prec,latitude,longitude\n1,A,1,1.0,2.0\n",
                    encoding="utf-8")
    imported = ucdp.read(path, "ged.csv")
    assert imported.docs == []
    assert [(p.line, p.field) for p in imported.problems] == [(1, "date_start")]


def test_ucdp_files_are_recognised_by_their_header(tmp_path):
    assert detect(FIXTURES / "ged-ukraine-sudan.csv") == "ucdp"
    assert not ucdp.detect(ACLED_FILE)
