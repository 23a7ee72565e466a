"""TimeMap exports -> native articles: sources linked, filters as tags, gaps stated."""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path

import pandas as pd
import pytest

from imported import event
from warlens.corpus import Corpus
from warlens.formats import detect, timemap
from warlens.workspace import load_corpus

FIXTURES = Path(__file__).parent / "fixtures" / "timemap"
EVENTS = FIXTURES / "export_events.json"


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return load_corpus(FIXTURES)



def test_every_event_lands_keeping_its_good_values(corpus):
    assert sorted(corpus.events["article"]) == ["timemap-1", "timemap-2", "timemap-3",
                                                "timemap-4", "timemap-5", "timemap-6"]
    assert pd.isna(event(corpus, "timemap-5")["start"])      # its date 13/45/2022 left out
    assert event(corpus, "timemap-6")["lat"] != 95  # its latitude 95 left out: placed by name
    bucha = event(corpus, "timemap-1")
    assert bucha["start"] == pd.Timestamp(datetime.date(2022, 3, 4))  # M/D/YYYY, no zeros
    assert (bucha["lat"], bucha["lon"]) == (50.5432, 30.2122)
    assert bucha["quote"].startswith("Residents of Bucha reported")


def test_every_bad_record_is_listed_with_its_file_line_and_field(corpus):
    found = {(Path(p.file).name, p.line, p.field, p.severity)
             for p in corpus.problems.itertuples()}
    assert found == {
        ("export_events.json", 46, "date", "warning"),
        ("export_events.json", 57, "latitude", "warning"),
        ("export_events.json", 13, "sources", "warning"),      # a local file path dropped
        ("export_events.json", 35, "sources", "warning"),      # an unknown source id
        ("export_events.json", 35, "associations", "warning"),  # an unknown association
        ("export_events.json", 35, "places[0].name", "warning"),  # not in the gazetteer
    }


def test_only_web_addresses_become_event_sources(corpus):
    kherson = event(corpus, "timemap-2")
    assert kherson["sources"] == ("https://example.org/mod/kherson-statement "
                                  "https://example.org/photos/kherson-square")
    assert "source: Photo from the central square" in kherson["tags"]


def test_associations_become_tags_and_name_the_event_type(corpus):
    bucha = event(corpus, "timemap-1")
    assert bucha["type"] == "violence_against_civilians"
    assert "Type/Violence against civilians" in bucha["tags"]
    assert "narrative: Bucha, March 2022" in bucha["tags"]
    assert "time: 10:00" in bucha["tags"]
    assert event(corpus, "timemap-2")["type"] == "territorial_control"
    assert event(corpus, "timemap-3")["type"] == "remote_violence"  # "Remote violence" filter


def test_a_dateless_event_without_coordinates_is_undated_and_placed_by_the_gazetteer(corpus):
    kyiv = event(corpus, "timemap-3")
    assert kyiv["date_precision"] == "undated"
    assert pd.isna(kyiv["start"])
    assert kyiv["country"] == "UA"
    assert 50 < kyiv["lat"] < 51
    article = corpus.articles.set_index("article").loc["timemap-3"]
    assert "no date" in article["notes"]


def test_an_unknown_place_without_coordinates_stays_off_the_map(corpus):
    assert pd.isna(event(corpus, "timemap-4")["lat"])


def test_the_folder_and_its_events_file_read_the_same(tmp_path):
    by_folder = timemap.read(FIXTURES, str(FIXTURES))
    by_file = timemap.read(EVENTS, str(EVENTS))
    assert [d for d, _ in by_folder.docs] == [d for d, _ in by_file.docs]
    assert by_folder.problems == by_file.problems


def test_events_alone_import_without_their_sources_and_associations(tmp_path):
    shutil.copy(EVENTS, tmp_path / "export_events.json")
    imported = timemap.read(tmp_path / "export_events.json", "export_events.json")
    assert len(imported.docs) == 6
    assert all(d["events"][0]["type"] == "other" for d, _ in imported.docs)
    assert all("sources" not in d["events"][0] for d, _ in imported.docs)


def test_a_broken_sources_file_is_named_at_its_line_and_the_events_still_import(tmp_path):
    shutil.copy(EVENTS, tmp_path / "export_events.json")
    (tmp_path / "export_sources.json").write_text('{\n  "s1": {"id": "s1",}\n}\n',
                                                  encoding="utf-8")
    imported = timemap.read(tmp_path, str(tmp_path))
    assert len(imported.docs) == 6
    broken = [p for p in imported.problems if p.file.endswith("export_sources.json")]
    assert [(p.line, p.field) for p in broken] == [(2, "(file)")]


def test_timemap_exports_are_recognised_by_the_events_file_name():
    assert detect(EVENTS) == "timemap"
    assert not timemap.detect(FIXTURES / "export_sources.json")
