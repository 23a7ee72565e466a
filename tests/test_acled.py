"""ACLED CSV -> native articles: events on the map and timeline, every bad row named."""

from __future__ import annotations

from pathlib import Path

import pytest

from imported import day, event
from warlens.corpus import Corpus
from warlens.formats import acled, detect
from warlens.workspace import load_corpus

FIXTURES = Path(__file__).parent / "fixtures" / "acled"
UCDP_FILE = Path(__file__).parent / "fixtures" / "ucdp" / "ged-ukraine-sudan.csv"


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return load_corpus(FIXTURES)




def test_every_row_with_an_id_lands_as_an_event_keeping_its_good_values(corpus):
    assert sorted(corpus.events["article"]) == sorted([
        "acled-ukr100001", "acled-ukr100002", "acled-ukr100003", "acled-ukr100004",
        "acled-ukr100005", "acled-ukr100006", "acled-ukr100007", "acled-ukr1", "acled-ukr2",
        "acled-ukr3", "acled-ukr200001", "acled-ukr200002", "acled-ukr300001",
    ])
    # a bad date leaves its event undated; a bad latitude (149.9935) is left out and the
    # place kept by its name, which the gazetteer places
    undated = set(corpus.events.loc[corpus.events["start"].isna(), "article"])
    assert undated == {"acled-ukr100004", "acled-ukr3"}
    kharkiv = event(corpus, "acled-ukr100005")
    assert kharkiv["place_name"] == "Kharkiv" and kharkiv["start"] == day("2023-05-20")
    assert kharkiv["lat"] == pytest.approx(49.98, abs=0.05)
    bakhmut = event(corpus, "acled-ukr100001")
    assert (bakhmut["lat"], bakhmut["lon"]) == (48.5956, 38.0003)
    assert bakhmut["place_name"] == "Bakhmut"


def test_every_bad_record_is_listed_with_its_file_line_and_field(corpus):
    found = {(Path(p.file).name, p.line, p.field, p.severity)
             for p in corpus.problems.itertuples()}
    assert found == {
        ("acled-ukraine-2023.csv", 7, "event_date", "warning"),
        ("acled-ukraine-2023.csv", 8, "latitude", "warning"),
        ("acled-old-style.csv", 4, "event_date", "warning"),
        ("acled-semicolon.csv", 4, "(row)", "error"),
        ("acled-no-event-type.csv", 1, "event_type", "error"),
        ("acled-cp1252.csv", 2, "(file)", "warning"),
    }
    messages = " ".join(corpus.problems["message"])
    assert "'2023-02-30' is not a calendar day" in messages
    assert "149.9935 is out of range" in messages


def test_time_precision_becomes_an_honest_date_range(corpus):
    exact = event(corpus, "acled-ukr100001")
    assert (exact["start"], exact["end"]) == (day("2023-05-12"), day("2023-05-12"))
    week = event(corpus, "acled-ukr100002")
    assert (week["start"], week["end"]) == (day("2023-05-14"), day("2023-05-20"))
    month = event(corpus, "acled-ukr100003")
    assert (month["start"], month["end"]) == (day("2023-05-01"), day("2023-05-31"))
    assert month["date_precision"] == "month"


def test_geo_precision_says_how_exactly_the_place_is_known(corpus):
    assert event(corpus, "acled-ukr100001")["precision"] == "settlement"
    assert event(corpus, "acled-ukr100002")["precision"] == "district"
    assert event(corpus, "acled-ukr100003")["precision"] == "region"


def test_a_quoted_multi_line_note_is_kept_whole_and_later_rows_keep_their_own_lines(corpus):
    shelling = event(corpus, "acled-ukr100002")
    assert shelling["quote"].count("\n") == 2
    assert '"two people"' in shelling["quote"]
    assert event(corpus, "acled-ukr100002")["line"] == 3
    assert event(corpus, "acled-ukr100003")["line"] == 6  # after the three-line note


def test_old_upper_case_files_with_day_first_dates_and_old_event_types_are_read(corpus):
    ilovaisk = event(corpus, "acled-ukr1")
    assert ilovaisk["start"] == day("2014-08-24")
    assert ilovaisk["type"] == "battle"
    assert "Donbas Battalion" in ilovaisk["actors"]  # ALLY_ACTOR_1, the old assoc_actor_1
    mariupol = event(corpus, "acled-ukr2")
    assert (mariupol["start"], mariupol["end"]) == (day("2014-09-01"), day("2014-09-30"))
    assert mariupol["type"] == "remote_violence"


def test_a_semicolon_file_with_a_bom_named_months_and_decimal_commas_is_read(corpus):
    lviv = event(corpus, "acled-ukr200001")
    assert lviv["start"] == day("2023-05-12")
    assert (lviv["lat"], lviv["lon"]) == (49.8397, 24.0297)
    assert lviv["type"] == "protest"
    assert "prisoners of war; no injuries" in lviv["quote"]
    assert event(corpus, "acled-ukr200002")["type"] == "riot"


def test_event_types_follow_acled_and_territorial_sub_events(corpus):
    assert event(corpus, "acled-ukr100006")["type"] == "territorial_control"
    assert event(corpus, "acled-ukr100007")["type"] == "violence_against_civilians"
    assert event(corpus, "acled-ukr100003")["type"] == "strategic_development"


def test_actors_fatalities_and_source_names_are_carried_over(corpus):
    clash = event(corpus, "acled-ukr100001")
    assert clash["actors"] == ("Military Forces of Russia (2000-); Wagner Group; "
                               "Military Forces of Ukraine (2019-)")
    assert "source: Ukrainska Pravda" in clash["tags"]
    assert "source: Kyiv Independent" in clash["tags"]
    assert clash["sources"] == ""  # ACLED's sources are names, not links
    odesa = event(corpus, "acled-ukr100007")
    assert (odesa["casualties_low"], odesa["casualties_high"]) == (3, 3)
    assert odesa["casualties_text"] == "ACLED fatalities"


def test_the_country_comes_from_the_iso_number_or_else_the_country_name(corpus):
    assert event(corpus, "acled-ukr100001")["country"] == "UA"  # iso 804
    assert event(corpus, "acled-ukr100006")["country"] == "UA"  # no iso: by name
    assert event(corpus, "acled-ukr200002")["country"] == "RU"


def test_a_row_without_notes_gets_a_generated_text_that_says_so(corpus):
    kupiansk = event(corpus, "acled-ukr100006")
    assert kupiansk["quote"].startswith("ACLED records an event of type "
                                        "Government regains territory at Kupiansk")
    article = corpus.articles.set_index("article").loc["acled-ukr100006"]
    assert "generated" in article["notes"]


def test_a_windows_1252_file_is_read_with_its_accents_and_a_warning(corpus):
    assert "caf\u00e9 \u00abKorzo\u00bb" in event(corpus, "acled-ukr300001")["quote"]


def test_a_tab_delimited_file_is_read(tmp_path):
    path = tmp_path / "tabs.csv"
    path.write_text("event_id_cnty\tevent_date\tevent_type\tlocation\tlatitude\tlongitude\t"
                    "notes\nSYR9\t2019-03-02\tRiots\tIdlib\t35.93\t36.63\tA riot in Idlib.\n",
                    encoding="utf-8")
    imported = acled.read(path, "tabs.csv")
    assert imported.problems == []
    [(doc, lines)] = imported.docs
    assert doc["id"] == "acled-syr9"
    assert doc["places"][0]["lat"] == 35.93
    assert lines == {(): 2}


def test_a_repeated_event_id_is_reported_at_its_second_row(tmp_path):
    path = tmp_path / "twice.csv"
    row = "UKR5,2023-01-01,Battles,Bakhmut,48.59,38.0,Clashes.\n"
    path.write_text("event_id_cnty,event_date,event_type,location,latitude,longitude,notes\n"
                    + row + row, encoding="utf-8")
    imported = acled.read(path, "twice.csv")
    assert len(imported.docs) == 1
    [problem] = imported.problems
    assert (problem.line, problem.field) == (3, "event_id_cnty")
    assert "already imported from line 2" in problem.message


def test_acled_files_are_recognised_by_their_header_and_nothing_else(tmp_path):
    assert detect(FIXTURES / "acled-old-style.csv") == "acled"
    assert not acled.detect(UCDP_FILE)
    other = tmp_path / "notes.txt"
    other.write_text("event_id_cnty,event_date\n", encoding="utf-8")
    assert not acled.detect(other)
