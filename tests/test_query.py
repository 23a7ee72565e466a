"""Filters x Corpus -> tables, on the bundled data: what a filter lets through."""

from __future__ import annotations

import dataclasses

import pytest

from seedcorpus import seed_folder
from warlens import query
from warlens.model import Col
from warlens.workspace import load_corpus

BUNDLED = seed_folder()  # the seed article alone


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(BUNDLED, cache=False)


def test_a_place_filter_matches_the_place_or_its_country_whatever_the_case(corpus):
    bakhmut = query.filter_events(corpus, query.Filters(places=("bakhmut",)))
    ukraine = query.filter_events(corpus, query.Filters(places=("UKRAINE",)))
    assert len(bakhmut) and set(bakhmut[Col.PLACE_NAME]) == {"Bakhmut"}
    assert set(bakhmut[Col.KEY]) < set(ukraine[Col.KEY])
    assert query.filter_claims(corpus, query.Filters(places=("Bakhmut",)))[
        Col.PLACE_NAME].eq("Bakhmut").all()


def test_a_place_not_in_the_corpus_lets_nothing_through(corpus):
    assert query.filter_events(corpus, query.Filters(places=("Atlantis",))).empty


def test_the_same_filters_on_another_corpus_give_that_corpus_rows(corpus):
    """What is remembered of one corpus (its place codes) is never used for another."""
    fewer = load_corpus(BUNDLED, cache=False)
    filters = query.Filters(places=("Bakhmut",))
    assert len(query.filter_events(corpus, filters)) == len(query.filter_events(fewer, filters))
    emptied = dataclasses.replace(fewer, events=fewer.events.iloc[:0])
    assert query.filter_events(emptied, filters).empty


def test_articles_of_lists_each_cited_article_once_with_the_columns_asked(corpus):
    events = query.filter_events(corpus, query.Filters(places=("Bakhmut",)))
    articles = query.articles_of(corpus, events, (Col.ARTICLE, Col.TITLE))
    assert list(articles.columns) == [Col.ARTICLE, Col.TITLE]
    assert sorted(articles[Col.ARTICLE]) == sorted(events[Col.ARTICLE].unique())


# --- how a page shows its view -----------------------------------------------------------


def test_a_link_without_display_options_shows_the_defaults_and_writes_none() -> None:
    display, notices = query.display_from_params({})
    assert display == {"group": "place", "marks": "places"} and notices == []
    assert query.display_to_params(display) == {}


def test_a_link_s_display_options_are_read_and_written_back_alike() -> None:
    display, notices = query.display_from_params({"group": ["Story"], "marks": "stories"})
    assert display == {"group": "story", "marks": "stories"} and notices == []
    assert query.display_to_params(display) == {"group": ["story"], "marks": ["stories"]}


def test_a_wrong_display_option_is_named_and_the_default_shown() -> None:
    display, notices = query.display_from_params({"group": ["colour", "story"]})
    assert display["group"] == "place"
    assert notices == ["The link gave 'group' 2 times; the first was used.",
                       "Ignored group='colour' from the link: use group=place, "
                       "group=article, group=type, group=story."]


def test_display_options_are_not_unknown_parameters_of_a_view() -> None:
    corpus = load_corpus(seed_folder())
    filters, notices = query.filters_from_params({"group": "story", "marks": "stories"},
                                                 query.vocabulary(corpus))
    assert filters == query.Filters() and notices == []
