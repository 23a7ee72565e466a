"""The summary tables a build makes answer as the tables they summarise do.

`engine.build.refresh_summaries` keeps the open view's counts, timeline and publication
dates, and the events counted per spot and type, so that the views a reader opens first
and the map of a place are read instead of worked out from every row. Here each test
corpus is written into a store, summarised, and every view is asked twice: through the
summaries, and through the tables alone. The answers must be equal, and equal to the
in-memory corpus's (the comparisons of test_queries.py, run again here on the summarised
store). A store changed after its summaries were made no longer reads them.
"""

from __future__ import annotations

import pandas as pd
import pytest
from test_queries import (  # noqa: F401 - the fixture and the tests, run on this module's store
    _each_view,
    corpus,
    test_the_map_counts_each_places_events_by_type,
    test_the_overview_counts_match_in_every_view,
    test_the_timeline_counts_dated_and_lists_undated_events,
)

import engines
from warlens import query
from warlens.engine import queries, schema
from warlens.engine.build import refresh_summaries
from warlens.engine.store import Store
from warlens.model import Col

pytestmark = engines.ENGINE_WARNINGS  # a build's writes list tables through ibis
_ARTICLE_COLUMNS = [Col.TITLE, Col.OUTLET, Col.PUBLISHED_START, Col.ARTICLE]
_SUMMARISED: set[int] = set()


@pytest.fixture
def tables(store_of, corpus, engine_name) -> queries.Tables:  # noqa: F811 - corpus: a fixture
    """The corpus in the engine under test, with the build's summaries made."""
    if engine_name == "spark":
        pytest.skip("Spark's test stores are temporary views: nothing to summarise into")
    con = store_of(corpus)
    if id(con) not in _SUMMARISED:
        refresh_summaries(Store(con, f"{engine_name}://"))
        _SUMMARISED.add(id(con))
    summarised = queries.Tables(con)
    assert summarised.summaries == frozenset(queries.SUMMARIES)
    return summarised


def _unsummarised(tables: queries.Tables) -> queries.Tables:
    plain = queries.Tables(tables.con)
    plain.summaries = frozenset()  # a cached_property: set, it is never worked out
    return plain


def test_every_view_reads_the_same_from_the_summaries_as_from_the_tables(corpus, tables):  # noqa: F811
    plain = _unsummarised(tables)
    for name, filters in _each_view(corpus):
        assert queries.view_counts(tables, filters) == queries.view_counts(plain, filters), name
        got, missing = queries.map_places(tables, filters)
        want, want_missing = queries.map_places(plain, filters)
        assert missing == want_missing, name
        others = [c for c in got.columns if c != Col.SUMMARY]
        pd.testing.assert_frame_equal(got[others], want[others], check_dtype=False, obj=name)
        # A place's hover names its type's first event there: the first file's; which
        # of that file's events is the engine's pick (both paths pick one of them).
        events = query.filter_events(corpus, filters)
        for row in got.to_dict("records"):
            at = events
            for column in queries.MAP_GROUP:
                value = row[column]
                at = at[at[column].isna() if pd.isna(value) else at[column] == value]
            first = at[at[Col.FILE] == at[Col.FILE].min()]
            assert row[Col.SUMMARY] in set(first[Col.SUMMARY]), name
        for ask in (queries.timeline_groups, queries.publication_dates,
                    queries.stories_in_view):
            pd.testing.assert_frame_equal(ask(tables, filters), ask(plain, filters),
                                          check_dtype=False, obj=name)
        assert queries.story_totals(tables, filters) == queries.story_totals(plain, filters)
        got_counts, got_heads = queries.story_heads(tables, filters, 3)
        want_counts, want_heads = queries.story_heads(plain, filters, 3)
        assert got_counts == want_counts, name
        for kind, want in want_heads.items():
            pd.testing.assert_frame_equal(got_heads[kind], want, check_dtype=False, obj=name)
            # each kind's own query, which asks for that kind alone
            pd.testing.assert_frame_equal(
                got_heads[kind], queries.stories_of(plain, filters, kind, 3).frame,
                check_dtype=False, obj=(name, kind))
        # the newest few; all of them in corpus order, with a column the summary leaves out
        for limit, columns in ((2, _ARTICLE_COLUMNS), (10_000, [*_ARTICLE_COLUMNS, Col.NOTES])):
            got_rows, want_rows = (queries.articles_in_view(t, filters, columns, limit)
                                   for t in (tables, plain))
            assert got_rows.total == want_rows.total, name
            pd.testing.assert_frame_equal(got_rows.frame, want_rows.frame, check_dtype=False,
                                          obj=name)
        # What the Overview's list of contested events, and the tables of events and
        # claims, say they leave out.
        for what in ("contested", "events", "claims"):
            counted = queries.summarised_count(tables, filters, what)
            if counted is not None:
                assert counted == queries.view_counts(plain, filters)[what], (name, what)
        # the timeline's undated events, the first of them as the page lists them
        listed = [Col.SUMMARY, Col.PLACE_NAME, Col.DATE_TEXT, Col.ARTICLE]
        for limit in (2, queries.SUMMARY_UNDATED_TOP):
            want_rows = queries.undated(plain, filters, listed, limit)
            got_rows = queries.undated(tables, filters, listed, limit, total=want_rows.total)
            pd.testing.assert_frame_equal(got_rows.frame, want_rows.frame, check_dtype=False,
                                          obj=name)
        for limit in (2, 10_000):  # the Article page's picker: the first in corpus order
            pd.testing.assert_frame_equal(queries.article_choices(tables, filters, limit),
                                          queries.article_choices(plain, filters, limit),
                                          check_dtype=False, obj=name)
        (got, got_n), (want, want_n) = (queries.contested_pairs(t, filters, None, 2)
                                        for t in (tables, plain))
        assert got_n == want_n, name
        pd.testing.assert_frame_equal(got, want, check_dtype=False, obj=name)


def test_a_view_of_one_place_or_country_is_read_from_its_summaries(corpus, tables):  # noqa: F811
    views = dict(_each_view(corpus))
    plain = _unsummarised(tables)
    for name in ("place", "country"):
        spelled = views[name].places[0]
        # typed in another case, the filter finds the store's spelling, and its rows
        typed = query.Filters(places=(spelled.upper(),))
        for filters in (views[name], typed):
            assert queries._summary_keys(tables, filters) == (spelled,), name
            assert queries.view_counts(tables, filters) == \
                queries.view_counts(plain, filters), name
            assert queries.view_counts(tables, filters)["events"] > 0, name
    # Any other view is worked out from the tables.
    place = views["place"].places[0]
    others = [views["mix"], views["dates"], query.Filters(places=("nowhere at all",))]
    if "place and its country" in views:
        others.append(views["place and its country"])
    for other in others:
        assert queries._summary_keys(tables, other) is None, other
    if "namesake" in views:
        assert queries._summary_keys(tables, views["namesake"]) is None
        assert queries._summary_keys(tables, query.Filters(
            places=(place, views["namesake"].places[0]))) is None


def test_a_view_of_several_places_is_read_from_their_summaries_unless_one_holds_another(
        corpus, tables):  # noqa: F811
    views = dict(_each_view(corpus))
    if "places" not in views:
        pytest.skip("one place only in this corpus")
    two = views["places"]
    keys = queries._summary_keys(tables, two)
    assert keys is not None and len(keys) == 2
    assert [k.casefold() for k in keys] == [p.casefold() for p in two.places]
    plain = _unsummarised(tables)
    counts = queries.view_counts(tables, two)
    assert counts == queries.view_counts(plain, two)
    # an article reporting both places is one article: fewer than the two views' sum
    alone = [queries.view_counts(tables, query.Filters(places=(p,))) for p in two.places]
    assert counts["events"] == sum(a["events"] for a in alone)
    assert counts["articles"] <= sum(a["articles"] for a in alone)
    if "place and its country" in views:  # the town's events are the country's too
        assert queries._summary_keys(tables, views["place and its country"]) is None


def test_a_view_of_several_countries_counts_its_articles_among_the_sets_they_are_in(
        corpus, tables):  # noqa: F811
    """Two countries: distinct articles and their publication dates from SUMMARY_SETS
    (the sets of countries articles are found under), the same as from the tables; a
    town is not in the sets, and a view with one counts in the names' articles."""
    views = dict(_each_view(corpus))
    if "countries" not in views:
        pytest.skip("one country only in this corpus")
    two = views["countries"]
    keys = queries._summary_keys(tables, two)
    assert keys is not None and set(keys) <= tables.set_names
    assert queries._in_sets(tables, keys, "cited") is not None
    plain = _unsummarised(tables)
    assert queries.view_counts(tables, two) == queries.view_counts(plain, two)
    pd.testing.assert_frame_equal(queries.publication_dates(tables, two),
                                  queries.publication_dates(plain, two), check_dtype=False)
    # an article of both countries is counted once
    alone = [queries.view_counts(tables, query.Filters(places=(c,))) for c in two.places]
    assert queries.view_counts(tables, two)["articles"] <= sum(a["articles"] for a in alone)
    countries = {str(c) for t in (corpus.events, corpus.claims)
                 for c in t[Col.COUNTRY_NAME].dropna() if c}
    assert tables.set_names == countries
    for name, view in views.items():  # a town's view counts in its names' articles
        keys = queries._summary_keys(tables, view)
        if keys is not None and keys != ("",):
            assert (queries._in_sets(tables, keys, "cited") is not None) == \
                (set(keys) <= countries), name


def test_a_store_changed_after_its_summaries_reads_none_of_them(corpus, tables):  # noqa: F811
    con = tables.con
    files = con.table("files").to_pandas()
    con.insert("files", files.head(1))  # one more file: another build stamp
    try:
        assert queries.Tables(con).summaries == frozenset()
    finally:
        con.insert("files", files, overwrite=True)
    assert queries.Tables(con).summaries == frozenset(queries.SUMMARIES)


def test_the_vocabulary_reads_the_same_from_the_names_summary(corpus, tables):  # noqa: F811
    plain = _unsummarised(tables)
    got, want = queries.vocabulary(tables), queries.vocabulary(plain)
    for param in (query.P_OUTLET, query.P_PLACE, query.P_ACTOR):
        assert dict(got.names[param]) == dict(want.names[param]), param
    assert got.choices == want.choices
    assert tables.namesakes == plain.namesakes
    # and the in-memory corpus's: every place name, country and actor it offers
    memory = query.vocabulary(corpus)
    for param in (query.P_OUTLET, query.P_PLACE, query.P_ACTOR):
        assert set(dict(got.names[param])) == set(dict(memory.names[param])), param


def test_postgresql_indexes_the_key_of_every_keyed_summary():
    keyed = {name for name, columns in schema.INDEXED.items() if columns == (queries.SUMMARY_KEY,)}
    assert keyed == set(queries.SUMMARIES_KEYED)


def test_the_sides_of_every_story_read_the_same_from_their_summary(corpus, tables):  # noqa: F811
    from warlens.source import MemorySource

    slugs = corpus.stories[Col.STORY].tolist()
    stances = ["asserts", "denies"]

    def sides(frame: pd.DataFrame) -> list[tuple[str, ...]]:
        return sorted(tuple(map(str, row)) for row in
                      frame[[Col.STORY, Col.STANCE, Col.OUTLET]].itertuples(index=False))

    got = queries.story_sides(tables, slugs, stances)
    assert sides(got) == sides(queries.story_sides(_unsummarised(tables), slugs, stances))
    assert sides(got) == sides(MemorySource(corpus).story_sides(slugs, stances))
    assert len(got) == len(got.drop_duplicates())


def test_a_views_newest_articles_are_kept_however_few_the_summary_keeps(
        corpus, tables, engine_name, monkeypatch):  # noqa: F811
    # Few kept per view, so that the newest days' cut-off decides which are ranked.
    plain = _unsummarised(tables)
    store = Store(tables.con, f"{engine_name}://")
    monkeypatch.setattr(queries, "SUMMARY_ARTICLES_TOP", 3)
    try:
        refresh_summaries(store)
        again = queries.Tables(tables.con)
        for name, filters in _each_view(corpus):
            for limit in (1, 3):
                got, want = (queries.articles_in_view(t, filters, _ARTICLE_COLUMNS, limit)
                             for t in (again, plain))
                pd.testing.assert_frame_equal(got.frame, want.frame, check_dtype=False,
                                              obj=f"{name}, {limit}")
    finally:
        monkeypatch.undo()
        refresh_summaries(store)


def test_contested_events_whose_claims_lie_under_two_places_are_paired_across_them(
        corpus, tables):  # noqa: F811
    """A view of two places reads each place's contested pairs from its summary, unless
    an event's asserting and denying claims are found under both (SUMMARY_SPLIT): that
    pair is neither place's alone, and the view is worked out from the tables."""
    plain = _unsummarised(tables)
    for a, b in sorted(tables.split):
        two = query.Filters(places=(a, b))
        (got, got_n), (want, want_n) = (queries.contested_pairs(t, two, None, 50)
                                        for t in (tables, plain))
        assert got_n == want_n, two
        pd.testing.assert_frame_equal(got, want, check_dtype=False, obj=str(two))
    views = dict(_each_view(corpus))
    if "places" in views and queries._summary_keys(tables, views["places"]):
        keys = queries._summary_keys(tables, views["places"])
        assert queries._pairs_apart(tables, keys) == (
            not any(set(pair) <= set(keys) for pair in tables.split))


def test_a_story_two_places_tell_is_listed_and_counted_once(corpus, tables):  # noqa: F811
    """The stories of two places are read from each place's summary, where a story both
    tell is a row under each: it is counted once, listed once, and the first few of
    each kind are the tables' own."""
    ev = corpus.events
    linked = ev[ev[Col.STORY].fillna("") != ""]
    told_by = linked.groupby(Col.STORY)[Col.PLACE_NAME].unique()
    nested = {(p, c) for p, c in zip(ev[Col.PLACE_NAME], ev[Col.COUNTRY_NAME], strict=True)}
    pairs = [(a, b) for names in told_by for a in names for b in names
             if isinstance(a, str) and isinstance(b, str) and a and b and a < b
             and (a, b) not in nested and (b, a) not in nested]
    if not pairs:
        pytest.skip("no story told in two places of this corpus")
    two = query.Filters(places=pairs[0])
    assert queries._summary_keys(tables, two) is not None
    plain = _unsummarised(tables)
    for limit in (1, 2, 50):
        got_counts, got_heads = queries.story_heads(tables, two, limit)
        want_counts, want_heads = queries.story_heads(plain, two, limit)
        assert got_counts == want_counts
        for kind, want in want_heads.items():
            assert got_heads[kind][Col.STORY].is_unique
            pd.testing.assert_frame_equal(got_heads[kind], want, check_dtype=False, obj=kind)
            pd.testing.assert_frame_equal(
                got_heads[kind], queries.stories_of(plain, two, kind, limit).frame,
                check_dtype=False, obj=kind)
    assert got_counts["all"] < sum(queries.story_totals(tables, query.Filters(places=(p,)))
                                   ["all"] for p in two.places)


def test_a_view_of_a_place_reads_the_events_and_claims_in_place_order_on_duckdb(
        corpus, tables, engine_name, monkeypatch):  # noqa: F811
    """DuckDB keeps the events and claims again in place order, which a view of places
    holding a small part of the events reads (it skips the other places' row groups);
    a broad view, any view not filtered by place, and a store whose summaries are out of
    date read the tables themselves."""
    if engine_name != "duckdb":
        pytest.skip("only DuckDB keeps the tables in place order")
    import ibis

    views = dict(_each_view(corpus))
    assert set(tables.placed) == {"events", "claims"}

    def reads_copy(name: str, table: str = "events") -> bool:
        return queries.PLACED[table] in ibis.to_sql(queries.where(tables, table, views[name]))

    monkeypatch.setattr(queries, "PLACED_BELOW", 1.0)  # every place is "a small part"
    for name in ("place", "mix"):
        assert reads_copy(name) and reads_copy(name, "claims"), name
    assert not reads_copy("dates")
    # and it holds the same rows: every view's, in corpus order, and its counts
    plain = _unsummarised(tables)
    for name, filters in views.items():
        for table in ("events", "claims"):
            got, want = (queries.rows(t, table, filters, [Col.KEY]).frame for t in (tables, plain))
            pd.testing.assert_frame_equal(got, want, obj=(name, table))
        assert queries.view_counts(tables, filters) == queries.view_counts(plain, filters)
        got, want = (queries.articles_in_view(t, filters, _ARTICLE_COLUMNS, 2).frame
                     for t in (tables, plain))
        pd.testing.assert_frame_equal(got, want, check_dtype=False, obj=name)
    monkeypatch.setattr(queries, "PLACED_BELOW", 0.0)  # every place is broad
    assert not reads_copy("place")  # a place alone: the tables themselves
    assert reads_copy("mix")  # a place with other filters: the copy, however broad
    assert _unsummarised(tables).placed == {}
