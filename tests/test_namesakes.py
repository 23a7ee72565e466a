"""Places that share a name are told apart wherever a place is chosen or shown."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from warlens import query
from warlens.corpus import Corpus
from warlens.model import Col
from warlens.workspace import load_corpus

FIXTURE = Path(__file__).parent / "fixtures" / "namesakes" / "acled-namesakes.csv"
LABELS = ("Ivanivka (Donetsk Oblast)", "Ivanivka (Kherson Oblast)", "Ivanivka (Luhansk Oblast)")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    folder = tmp_path_factory.mktemp("namesakes")
    shutil.copy(FIXTURE, folder)
    return load_corpus(folder, cache=False)


def _events(corpus: Corpus, place: str) -> list[str]:
    vocab = query.vocabulary(corpus)
    filters, notices = query.filters_from_params({"place": [place]}, vocab)
    assert notices == []
    return sorted(query.filter_events(corpus, filters)[Col.ARTICLE])


def test_the_place_filter_offers_each_ivanivka_by_its_oblast(corpus: Corpus) -> None:
    choices = query.vocabulary(corpus).place_choices
    assert set(LABELS) <= set(choices)
    assert "Ivanivka" not in choices  # one name for three towns would merge them
    assert "Bakhmut" in choices  # a unique name stays plain


def test_a_namesake_label_selects_that_town_alone(corpus: Corpus) -> None:
    assert _events(corpus, "Ivanivka (Donetsk Oblast)") == ["acled-ukr200001", "acled-ukr200002"]
    assert _events(corpus, "ivanivka (kherson oblast)") == ["acled-ukr200003"]


def test_links_with_plain_names_keep_working(corpus: Corpus) -> None:
    assert _events(corpus, "Bakhmut") == ["acled-ukr200005"]
    assert len(_events(corpus, "Ivanivka")) == 4  # an old link: every Ivanivka, as before


def test_pages_show_namesakes_by_their_labels(corpus: Corpus) -> None:
    shown = query.label_places(corpus, corpus.events)
    assert set(shown[Col.PLACE_NAME]) == {*LABELS, "Bakhmut"}
