"""What is built once for every session: one view's figure is never drawn for another view."""

from __future__ import annotations

import pytest

from warlens import query, synth
from warlens.corpus import Corpus
from warlens.model import Col
from warlens.query import Filters
from warlens.ui import common
from warlens.ui.shell import View
from warlens.workspace import load_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    folder = tmp_path_factory.mktemp("synthetic")
    synth.write_corpus(folder, 30, seed=5)
    return load_corpus(folder, cache=False)


def view_of(corpus: Corpus, filters: Filters) -> View:
    return View(corpus, query.vocabulary(corpus), filters, ())


def places(corpus: Corpus) -> list[str]:
    return list(corpus.events[Col.COUNTRY_NAME].dropna().unique()[:2])


def events_drawn(view: View, options: object = ()) -> frozenset[str]:
    """The event keys of the view, built through the shared memo as a page builds a figure."""
    return common.built_once(view, "events", options, lambda: frozenset(
        view.events_of([Col.KEY])[Col.KEY]))


def test_two_views_get_their_own_figures_and_a_view_seen_again_reuses_its_own(
        corpus: Corpus) -> None:
    first, second = (Filters(places=(place,)) for place in places(corpus))
    drawn_first = events_drawn(view_of(corpus, first))
    drawn_second = events_drawn(view_of(corpus, second))
    assert drawn_first == frozenset(query.filter_events(corpus, first)[Col.KEY])
    assert drawn_second == frozenset(query.filter_events(corpus, second)[Col.KEY])
    assert drawn_first != drawn_second
    # Another session opening the first link, with an event selected: the same figure.
    key = next(iter(drawn_first))
    again = events_drawn(view_of(corpus, Filters(places=first.places, event=key)))
    assert again is drawn_first


def test_a_figure_built_with_other_options_is_built_again(corpus: Corpus) -> None:
    filters = Filters(places=(places(corpus)[0],))
    built: list[str] = []

    def build(option: str) -> str:
        return common.built_once(view_of(corpus, filters), "options", option,
                                    lambda: built.append(option) or option)

    assert [build("place"), build("article"), build("place")] == ["place", "article", "place"]
    assert built == ["place", "article"]
