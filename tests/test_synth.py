"""Synthetic corpora: valid, deterministic, realistic in shape, and unmistakably synthetic."""

from __future__ import annotations

from pathlib import Path

import pytest

from warlens import synth
from warlens.cli import main
from warlens.corpus import Corpus
from warlens.workspace import load_corpus
from warlens.yamlio import load_yaml

N = 40


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("synth")
    synth.write_corpus(folder, N, seed=11)
    return folder


@pytest.fixture(scope="module")
def loaded(written: Path) -> Corpus:
    return load_corpus(written, cache=False)


def test_every_file_validates_without_errors_or_warnings(loaded: Corpus) -> None:
    assert loaded.n_errors == 0, loaded.problems.head().to_dict("records")
    assert loaded.n_warnings == 0, loaded.problems.head().to_dict("records")
    assert len(loaded.articles) == N


def test_articles_have_the_shape_of_real_ones(written: Path, loaded: Corpus) -> None:
    assert len(loaded.events) == 5 * N
    assert len(loaded.claims) == 6 * N
    assert len(loaded.places) == 4 * N
    text_lengths = loaded.articles["text"].str.len()
    assert text_lengths.between(2000, 2400).all()


def test_places_resolve_with_mixed_precision(loaded: Corpus) -> None:
    places = loaded.places
    assert places["lat"].notna().all()
    assert set(places["resolved_by"]) == {"gazetteer", "file"}
    assert {"country", "exact", "settlement"} <= set(places["precision"])
    assert set(places["country"]) <= set(synth.COUNTRIES)


def test_dates_span_years_and_precisions(loaded: Corpus) -> None:
    events = loaded.events
    assert {"day", "month", "range", "undated"} <= set(events["date_precision"])
    assert "the end of" in " ".join(events["date_text"].dropna())
    years = loaded.articles["published_start"].dt.year
    assert years.nunique() >= 2


def test_some_events_are_contested(loaded: Corpus) -> None:
    assert loaded.events["contested"].any()
    assert loaded.claims.loc[loaded.claims["contested"], "stance"].isin(
        ["asserts", "denies"]).all()


def test_every_record_says_it_is_synthetic(loaded: Corpus) -> None:
    assert (loaded.articles["tags"] == synth.TAG).all()
    assert loaded.articles["notes"].str.startswith("SYNTHETIC").all()
    assert loaded.events["tags"].str.contains(synth.TAG).all()


def test_quotes_are_copied_verbatim_from_the_text(written: Path) -> None:
    for path in sorted(written.rglob("*.yaml"))[:10]:
        doc, _ = load_yaml(path.read_bytes())
        for item in doc["events"] + doc["claims"]:
            assert item["quote"] in doc["text"]


def test_the_same_seed_writes_the_same_files(tmp_path: Path, written: Path) -> None:
    again = tmp_path / "again"
    synth.write_corpus(again, N, seed=11)
    first = sorted(p.relative_to(written) for p in written.rglob("*.yaml"))
    assert first == sorted(p.relative_to(again) for p in again.rglob("*.yaml"))
    for rel in first:
        assert (written / rel).read_bytes() == (again / rel).read_bytes()
    assert synth.make_article(3, seed=12) != synth.make_article(3, seed=11)


def test_parallel_writing_gives_the_same_files(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(synth, "PARALLEL_MIN_ARTICLES", 1)
    monkeypatch.setattr(synth, "ARTICLES_PER_FOLDER", 5)
    synth.write_corpus(tmp_path / "parallel", 12, seed=5, workers=2)
    synth.write_corpus(tmp_path / "serial", 12, seed=5, workers=1)
    parallel = sorted((tmp_path / "parallel").rglob("*.yaml"))
    assert len(parallel) == 12
    for path in parallel:
        twin = tmp_path / "serial" / path.relative_to(tmp_path / "parallel")
        assert path.read_bytes() == twin.read_bytes()


def test_the_synth_command_writes_the_files(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["synth", "--articles", "3", "--seed", "2", "-o", str(tmp_path / "out")]) == 0
    assert len(list((tmp_path / "out").rglob("*.yaml"))) == 3
    assert "wrote 3 synthetic articles" in capsys.readouterr().err


def test_the_synth_command_refuses_a_negative_count(tmp_path: Path) -> None:
    assert main(["synth", "--articles", "-1", "-o", str(tmp_path)]) == 2


def test_some_events_report_a_shared_story_from_several_articles(loaded: Corpus) -> None:
    stories = loaded.events[loaded.events["story"] != ""]
    assert 0.25 * N <= len(stories) <= 0.75 * N  # about STORY_SHARE of the articles
    per_story = stories.groupby("story")
    assert (per_story["article"].nunique() >= 2).any()
    # Every report of a story sits in its town and inside its days (a month may spill over).
    for slug, reports in per_story:
        window, index = (int(x) for x in str(slug).rsplit("-", 2)[1:])
        truth = synth.make_story(window, index, 11)
        assert reports["place_name"].str.contains(truth.town.name, regex=False).all()
        assert (reports["start"].dt.date <= truth.end).all()
        assert (reports["end"].dt.date >= truth.start).all()


def test_the_reports_of_a_story_come_from_different_outlets(loaded: Corpus) -> None:
    events = loaded.events[loaded.events["story"] != ""].merge(
        loaded.articles[["article", "outlet"]], on="article")
    per_story = events.groupby("story").agg(n=("outlet", "size"), outlets=("outlet", "nunique"))
    few = per_story[per_story["n"] <= len(synth.OUTLETS)]
    assert len(few) and (few["outlets"] == few["n"]).all()
