"""brat standoff: a .ann beside its .txt becomes a native article."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from warlens.article import read_article_doc
from warlens.formats import detect
from warlens.formats.brat import is_brat, read_brat
from warlens.gazetteer import get_gazetteer
from warlens.workspace import load_corpus
from warlens.yamlio import dump_yaml, load_yaml

FIXTURES = Path(__file__).parent / "fixtures" / "brat"
ANN = FIXTURES / "bakhmut-shelling.ann"
ARTICLE = "brat-bakhmut-shelling"


def ann_line(prefix: str) -> int:
    """The 1-based line of the .ann line starting with `prefix`."""
    for n, line in enumerate(ANN.read_text(encoding="utf-8").split("\n"), 1):
        if line.startswith(prefix):
            return n
    raise AssertionError(prefix)


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(FIXTURES)


def test_an_ann_file_is_recognised_and_one_without_its_txt_is_reported(tmp_path):
    lone = tmp_path / "lone.ann"
    lone.write_text("T1\tLocation 0 4\tKyiv\n", encoding="utf-8")
    assert is_brat(ANN)
    assert detect(ANN) == "brat"
    assert not is_brat(FIXTURES / "bakhmut-shelling.txt")
    corpus = load_corpus(tmp_path, cache=False)
    assert len(corpus.articles) == 0
    [problem] = corpus.problems.itertuples()
    assert (problem.file.endswith("lone.ann"), problem.severity) == (True, "error")
    assert "has no lone.txt beside it" in problem.message


def test_the_fixture_uses_the_geonames_id_the_gazetteer_has_for_bakhmut():
    assert get_gazetteer().lookup("Bakhmut").geonames == 713174
    assert "GeoNames:713174" in ANN.read_text(encoding="utf-8")


def test_events_land_on_the_map_at_bakhmut_with_their_dates_and_lines(corpus):
    events = corpus.events.set_index("key")
    shelling = events.loc[f"{ARTICLE}/remote-violence-1"]
    assert shelling["place_name"] == "Bakhmut"
    assert shelling["lat"] == pytest.approx(48.59, abs=0.05)
    assert shelling["lon"] == pytest.approx(38.0, abs=0.05)
    assert shelling["actors"] == "Russian forces"
    assert shelling["line"] == ann_line("E1\t")
    battle = events.loc[f"{ARTICLE}/battle-2"]
    assert (battle["type"], str(battle["start"].date())) == ("battle", "2023-05-20")
    assert battle["lat"] == pytest.approx(48.59, abs=0.05)


def test_the_geonames_normalisation_becomes_the_places_geonames_id(corpus):
    place = corpus.places.set_index("key").loc[f"{ARTICLE}/bakhmut"]
    assert place["geonames"] == 713174
    assert place["resolved_by"] == "gazetteer"


def test_a_discontinuous_span_keeps_both_its_pieces(corpus):
    battle = corpus.events.set_index("key").loc[f"{ARTICLE}/battle-2"]
    assert battle["actors"] == "Wagner troops"


def test_relations_give_claimants_and_a_negation_attribute_makes_a_denial(corpus):
    claims = corpus.claims[corpus.claims["article"] == ARTICLE].set_index("claimant")
    assert claims.loc["The regional governor", "stance"] == "asserts"
    assert claims.loc["The regional governor", "verdict"] == "confirmed"
    assert claims.loc["Russia's defence ministry", "stance"] == "denies"
    assert claims.loc["Ukrainian officials", "event"] == f"{ARTICLE}/remote-violence-1"
    assert bool(corpus.events.set_index("key").loc[f"{ARTICLE}/remote-violence-1",
                                                    "contested"])


def test_notes_and_other_references_are_kept_in_the_articles_notes(corpus):
    notes = corpus.articles.set_index("article").loc[ARTICLE, "notes"]
    assert "overnight into Monday, per the original report" in notes
    assert "Wikidata:Q180935" in notes


def test_each_broken_line_is_a_problem_naming_the_file_and_its_line(corpus):
    errors = corpus.problems[corpus.problems["severity"] == "error"]
    assert set(errors["line"]) == {ann_line("T14\t"), ann_line("this line"), ann_line("E3\t")}
    assert all(str(f).endswith("bakhmut-shelling.ann") for f in errors["file"])
    kyiv = errors[errors["line"] == ann_line("T14\t")]["message"].iloc[0]
    assert "Kyiv" in kyiv


def test_the_missing_publication_date_is_left_undated_not_taken_from_the_clock(corpus):
    article = corpus.articles.set_index("article").loc[ARTICLE]
    assert pd.isna(article["published_start"])
    said = corpus.problems[corpus.problems["message"].str.contains(
        "no title, outlet or publication")]
    assert len(said) == 1 and "left undated" in said["message"].iloc[0]


def test_a_date_in_the_file_name_is_taken_as_the_inferred_publication_date(tmp_path):
    shutil.copy(ANN, tmp_path / "report-2023-05-22.ann")
    shutil.copy(FIXTURES / "bakhmut-shelling.txt", tmp_path / "report-2023-05-22.txt")
    article = load_corpus(tmp_path, cache=False).articles.iloc[0]
    assert str(article["published_start"].date()) == "2023-05-22"
    assert bool(article["published_inferred"])


def test_a_txt_given_crlf_line_ends_after_annotation_is_repaired(tmp_path):
    text = (FIXTURES / "bakhmut-shelling.txt").read_text(encoding="utf-8")
    (tmp_path / "crlf.txt").write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    shutil.copy(ANN, tmp_path / "crlf.ann")
    corpus = load_corpus(tmp_path)
    battle = corpus.events[corpus.events["type"] == "battle"].iloc[0]
    assert battle["place_name"] == "Bakhmut"
    assert battle["actors"] == "Wagner troops"
    assert "\r" not in corpus.articles["text"].iloc[0]


def test_a_span_whose_text_is_not_at_its_offsets_is_reported_with_its_line(tmp_path):
    (tmp_path / "a.txt").write_text("Shelling hit Kherson today.\n", encoding="utf-8")
    (tmp_path / "a.ann").write_text("T1\tShelling 0 8\tShelling\nT2\tLocation 13 20\tKharkiv\n",
                                    encoding="utf-8")
    imported = read_brat(tmp_path / "a.ann", "a.ann")
    bad = [p for p in imported.problems if p.severity == "error"]
    assert [(p.file, p.line, p.field) for p in bad] == [("a.ann", 2, "T2")]
    assert "Kherson" in bad[0].message and "Kharkiv" in bad[0].message
    assert [e["type"] for e in imported.docs[0][0]["events"]] == ["remote_violence"]


def test_the_imported_document_is_a_complete_native_article():
    doc, _ = read_brat(ANN, "bakhmut-shelling.ann").docs[0]
    again, lines = load_yaml(dump_yaml(doc))
    rows, problems = read_article_doc(again, "again.yaml", lines)
    assert rows is not None
    assert [p for p in problems if p.severity == "error"] == []
    assert len(rows.events) == 2 and len(rows.claims) == 3
