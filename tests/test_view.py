"""What a page draws from: the columns it asks for, of exactly the rows the filters keep."""

from __future__ import annotations

from pathlib import Path

import pytest
from pandas.testing import assert_frame_equal

from warlens import query, synth
from warlens.corpus import Corpus
from warlens.model import Col
from warlens.query import Filters
from warlens.ui.shell import View
from warlens.workspace import load_corpus

COLUMNS = [Col.KEY, Col.PLACE_NAME, Col.START]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    folder = tmp_path_factory.mktemp("synthetic")
    synth.write_corpus(folder, 30, seed=5)
    return load_corpus(folder, cache=False)


def view_of(corpus: Corpus, filters: Filters) -> View:
    return View(corpus, query.vocabulary(corpus), filters, ())


def some_place(corpus: Corpus) -> str:
    return str(corpus.events[Col.COUNTRY_NAME].dropna().iloc[0])


@pytest.mark.parametrize("kind", ["open", "place", "place and type"])
def test_the_columns_a_page_asks_for_hold_the_rows_the_filters_keep(corpus: Corpus,
                                                                    kind: str) -> None:
    filters = {"open": Filters(),
               "place": Filters(places=(some_place(corpus),)),
               "place and type": Filters(places=(some_place(corpus),), types=("battle",))}[kind]
    view = view_of(corpus, filters)
    events = query.filter_events(corpus, filters)
    claims = query.filter_claims(corpus, filters)
    if kind != "open":
        assert 0 < len(events) < len(corpus.events)
    assert_frame_equal(view.events_of(COLUMNS), events[COLUMNS])
    assert_frame_equal(view.claims_of(COLUMNS), claims[COLUMNS])
    assert_frame_equal(view.events, events)
    assert_frame_equal(view.claims, claims)


def test_a_selection_does_not_change_the_rows_in_view(corpus: Corpus) -> None:
    filters = Filters(places=(some_place(corpus),))
    key = str(corpus.events[Col.KEY].iloc[0])
    plain = view_of(corpus, filters).events_of(COLUMNS)
    selected = view_of(corpus, Filters(places=filters.places, event=key)).events_of(COLUMNS)
    assert selected is plain  # remembered: a click on a chart does not filter again


def test_a_view_of_another_corpus_never_sees_this_ones_rows(corpus: Corpus,
                                                            tmp_path: Path) -> None:
    synth.write_corpus(tmp_path, 4, seed=9)
    other = load_corpus(tmp_path, cache=False)
    filters = Filters(places=(some_place(corpus),))
    view_of(corpus, filters).events_of(COLUMNS)
    assert_frame_equal(view_of(other, filters).events_of(COLUMNS),
                       query.filter_events(other, filters)[COLUMNS])
