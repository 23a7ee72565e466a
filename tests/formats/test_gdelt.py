"""GDELT events exports read in memory: one article per event, GDELT's codes honestly mapped.

The fixtures in tests/fixtures/gdelt are synthetic: a GDELT 2.0 export (61 tab-separated
columns, no header) with bad rows on purpose, and a GDELT 1.0 daily file (58 columns).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from warlens import formats
from warlens.formats import gdelt
from warlens.model import Col
from warlens.workspace import load_corpus

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "gdelt"
V2 = FIXTURES / "20230512120000.export.CSV"
V1 = FIXTURES / "20130415.export.CSV"


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(FIXTURES, cache=False)


def _event(corpus, event_id: str):
    return corpus.events.set_index(Col.ID).loc[event_id]


def test_both_layouts_are_recognised_as_gdelt_and_nothing_else_claims_them(tmp_path):
    assert formats.detect(V2) == "gdelt"
    assert formats.detect(V1) == "gdelt"
    other = tmp_path / "notes.csv"
    other.write_text("a\tb\tc\n1\t2\t3\n", encoding="utf-8")
    assert formats.detect(other) is None


def test_every_row_with_an_id_given_once_lands_as_an_event(corpus):
    ids = set(corpus.events[Col.ID])
    assert {"e-1101000001", "e-1101000012", "e-250000001", "e-250000003"} <= ids
    assert len(ids) == 13  # 12 rows in the 2.0 file, one repeated and one without an id
    assert set(corpus.articles[Col.OUTLET]) == {"GDELT"}


@pytest.mark.parametrize(("event_id", "event_type"), [
    ("e-1101000001", "battle"),  # 190 use conventional military force
    ("e-1101000002", "remote_violence"),  # 195 employ aerial weapons
    ("e-1101000003", "protest"),  # 141 demonstrate or rally
    ("e-1101000005", "remote_violence"),  # 1832 car bombing
    ("e-1101000009", "riot"),  # 1451 protest violently
    ("e-1101000010", "violence_against_civilians"),  # 202 mass killings
    ("e-1101000012", "territorial_control"),  # 192 occupy territory
    ("e-1101000004", "other"),  # 043 consult: no type of ours
])
def test_cameo_codes_become_event_types_where_they_map(corpus, event_id, event_type):
    assert _event(corpus, event_id)[Col.TYPE] == event_type


def test_an_event_of_no_type_of_ours_keeps_its_cameo_label(corpus):
    event = _event(corpus, "e-1101000004")
    assert "CAMEO: 04 (Consult)" in event[Col.TAGS]
    assert "EventCode: 043" in event[Col.TAGS]
    assert event[Col.SUMMARY].startswith("Consult in Kyyiv")


@pytest.mark.parametrize(("event_id", "precision"), [
    ("e-1101000003", "country"),  # ActionGeo_Type 1: Georgia as a whole
    ("e-1101000004", "region"),  # 5: a first-order division
    ("e-1101000009", "region"),  # 2: a US state
    ("e-1101000001", "settlement"),  # 4: a city
    ("e-250000003", "settlement"),  # 3: a US city (1.0 layout)
])
def test_the_geographic_type_says_how_exactly_the_place_is_known(corpus, event_id, precision):
    assert _event(corpus, event_id)[Col.PRECISION] == precision


def test_fips_country_codes_become_iso_codes(corpus):
    # GDELT writes FIPS 10-4: GG is Georgia (ISO GE), UP is Ukraine (ISO UA)
    assert _event(corpus, "e-1101000003")[Col.COUNTRY] == "GE"
    assert _event(corpus, "e-1101000001")[Col.COUNTRY] == "UA"
    assert _event(corpus, "e-250000001")[Col.COUNTRY] == "SY"


def test_the_day_is_sqldate_and_the_published_date_the_day_gdelt_added_it(corpus):
    event = _event(corpus, "e-1101000002")
    assert event[Col.DATE_LABEL] == "11 May 2023"
    article = corpus.articles.set_index(Col.ARTICLE).loc["gdelt-1101000002"]
    assert article[Col.PUBLISHED_START].date().isoformat() == "2023-05-12"
    assert bool(article[Col.PUBLISHED_INFERRED])
    assert "DATEADDED" in article[Col.NOTES]


def test_the_source_url_is_kept_as_the_articles_address_and_never_as_markup(corpus):
    articles = corpus.articles.set_index(Col.ARTICLE)
    assert articles.loc["gdelt-1101000001", Col.URL] == (
        "https://www.example.org/news/2023/05/12/fighting-continues-in-bakhmut")
    # a source that is not a web address is kept as text in the tags, not as a link
    assert pd.isna(articles.loc["gdelt-1101000011", Col.URL])
    event = _event(corpus, "e-1101000011")
    assert "source: <b>Interfax</b> [click](javascript:alert(1))" in event[Col.TAGS]
    assert pd.isna(articles.loc["gdelt-250000002", Col.URL])  # 1.0: "BBC Monitoring"


def test_actors_are_the_two_actor_names(corpus):
    assert _event(corpus, "e-1101000001")[Col.ACTORS] == "RUSSIA; UKRAINE"
    assert _event(corpus, "e-1101000012")[Col.ACTORS] == "RUSSIA"  # named once


def test_every_bad_record_is_listed_with_its_file_line_and_field(corpus):
    said = {(Path(p.file).name, p.line, p.field) for p in corpus.problems.itertuples()}
    name = V2.name
    assert {(name, 4, "DATEADDED"), (name, 5, "ActionGeo_Lat"), (name, 6, "GLOBALEVENTID"),
            (name, 7, "GLOBALEVENTID"), (name, 8, "SQLDATE"), (name, 8, "EventRootCode"),
            (name, 8, "ActionGeo_CountryCode"), (name, 12, "ActionGeo_Type")} <= said
    # the row with a bad latitude keeps its place by name
    assert _event(corpus, "e-1101000005")[Col.PLACE_NAME] == "Kramatorsk, Donets'k, Ukraine"


def test_a_row_with_another_number_of_cells_is_skipped_and_said(tmp_path):
    lines = V2.read_text(encoding="utf-8").splitlines()
    lines[2] = "\t".join(lines[2].split("\t")[:60])
    shutil.copyfile(V2, tmp_path / "x.export.CSV")
    (tmp_path / "x.export.CSV").write_text("\n".join(lines) + "\n", encoding="utf-8")

    read = gdelt.read(tmp_path / "x.export.CSV", "x.export.CSV")

    assert any(p.line == 3 and p.field == "(row)" and "has 60 cells" in p.message
               for p in read.problems)
    assert len(read.docs) == 9  # ten good rows, one now short
