"""The engine query suite answers as the in-memory corpus does, on every engine.

Each corpus (the bundled data, and fixtures with stories and namesakes) is written into a
fresh store per engine; every query is then asked for a spread of views (place, country,
namesake, article, dates, actor, story, outlet, search text, contested, type, stance,
drafts, and a mix) and compared with what the pages compute in memory: the same rows in
the same order, the same counts.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from warlens import figures, query, stories
from warlens.corpus import Corpus
from warlens.engine import queries
from warlens.model import Col
from warlens.query import Filters
from warlens.source import memory_source
from warlens.workspace import load_corpus

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
CORPORA = {
    "bundled": ROOT / "data" / "articles",
    "stories": FIXTURES / "stories",
    "namesakes": FIXTURES / "namesakes",
    "mixed": FIXTURES / "mixed",
    "split": FIXTURES / "split",
}
_LOADED: dict[str, Corpus] = {}


def corpus_named(name: str) -> Corpus:
    """A test corpus, loaded once per run."""
    if name not in _LOADED:
        _LOADED[name] = load_corpus(CORPORA[name], cache=False)
    return _LOADED[name]


@pytest.fixture(params=sorted(CORPORA))
def corpus(request) -> Corpus:
    """Each test corpus in turn."""
    return corpus_named(request.param)


@pytest.fixture
def tables(store_of, corpus: Corpus) -> queries.Tables:
    """The corpus, in the engine under test."""
    return queries.Tables(store_of(corpus))


def _first(values: pd.Series) -> str | None:
    kept = [v for v in values.dropna() if isinstance(v, str) and v]
    return kept[0] if kept else None


def views(corpus: Corpus) -> dict[str, Filters]:
    """A spread of views over this corpus, each restricting something it holds."""
    ev, cl, arts = corpus.events, corpus.claims, corpus.articles
    out = {"open": Filters()}
    place = ev[Col.PLACE_NAME].value_counts()
    if len(place):
        out["place"] = Filters(places=(place.index[0],))
    if _first(ev[Col.COUNTRY_NAME]):
        out["country"] = Filters(places=(_first(ev[Col.COUNTRY_NAME]),))
    labels = query.namesake_labels(corpus)
    if labels:
        out["namesake"] = Filters(places=(sorted(labels.values())[0],))
    out["article"] = Filters(articles=(arts[Col.ARTICLE].iloc[-1],))
    starts = ev[Col.START].dropna().sort_values()
    if len(starts):
        mid = starts.iloc[len(starts) // 2].date()
        out["dates"] = Filters(date_from=mid, date_to=mid + dt.timedelta(days=60))
        out["from"] = Filters(date_from=mid)
    actors = sorted(query.actor_names(ev))
    if actors:
        out["actor"] = Filters(actors=(actors[0].upper(),))
    if _first(cl[Col.CLAIMANT]):
        out["claimant"] = Filters(actors=(_first(cl[Col.CLAIMANT]),))
    if _first(ev[Col.STORY]):
        out["story"] = Filters(stories=(_first(ev[Col.STORY]),))
    out["outlet"] = Filters(outlets=(arts[Col.OUTLET].iloc[0],))
    word = next((w for w in str(_first(ev[Col.SUMMARY]) or "").split() if len(w) > 4), "")
    if word:
        out["search"] = Filters(search=word.upper())
    out["contested"] = Filters(contested=True)
    if _first(ev[Col.TYPE]):
        out["type"] = Filters(types=(_first(ev[Col.TYPE]),))
    out["stance"] = Filters(stances=("denies",))
    out["drafts"] = Filters(hide_drafts=True)
    if len(place) and len(starts):
        out["mix"] = Filters(places=(place.index[0],), contested=True,
                             date_from=starts.iloc[0].date())
    # Several places: two towns (their events apart), a town with its own country (the
    # town's events in both), two countries.
    nested = {(p, c) for t in (ev, cl)
              for p, c in zip(t[Col.PLACE_NAME], t[Col.COUNTRY_NAME], strict=True)}
    apart = [(a, b) for a in place.index for b in place.index
             if a != b and (a, b) not in nested and (b, a) not in nested]
    if apart:
        out["places"] = Filters(places=(apart[0][0], apart[0][1].upper()))
    if len(place) >= 2:
        home = ev.loc[ev[Col.PLACE_NAME] == place.index[0], Col.COUNTRY_NAME]
        if _first(home) and _first(home) != place.index[0]:
            out["place and its country"] = Filters(places=(_first(home), place.index[0]))
    countries = [c for c in ev[Col.COUNTRY_NAME].value_counts().index if c]
    if len(countries) >= 2:
        out["countries"] = Filters(places=tuple(countries[:2]))
    return out


def _each_view(corpus: Corpus):
    return views(corpus).items()


def test_every_filter_keeps_the_same_events_and_claims_in_the_same_order(corpus, tables):
    for name, filters in _each_view(corpus):
        for table, memory in (("events", query.filter_events), ("claims", query.filter_claims)):
            engine_keys = queries.rows(tables, table, filters, [Col.KEY]).frame[Col.KEY]
            assert engine_keys.tolist() == memory(corpus, filters)[Col.KEY].tolist(), \
                (name, table)


def test_a_capped_table_says_how_many_rows_the_view_holds(corpus, tables):
    claims = corpus.claims
    got = queries.rows(tables, "claims", Filters(), [Col.KEY, Col.CLAIM], limit=5)
    assert got.total == len(claims)
    assert got.frame[Col.KEY].tolist() == claims[Col.KEY].head(5).tolist()
    assert got.capped == (len(claims) > 5)


def test_headline_counts_match_the_corpus(corpus, tables):
    assert queries.headline_counts(tables) == corpus.counts()


def _memory_view_counts(corpus: Corpus, filters: Filters) -> dict[str, int]:
    """What the Overview counted in memory before the engine existed."""
    events = query.filter_events(corpus, filters)
    claims = query.filter_claims(corpus, filters)
    if filters.without_selection() in (Filters(), Filters(articles=filters.articles)):
        arts = corpus.articles
        if filters.articles:
            arts = arts[arts[Col.ARTICLE].isin(filters.articles)]
    else:
        arts = query.articles_of(corpus, pd.concat([events[[Col.ARTICLE]],
                                                    claims[[Col.ARTICLE]]]), [Col.ARTICLE])
    told = corpus.stories[corpus.stories[Col.STORY].isin(events[Col.STORY].dropna())]
    return {"articles": len(arts), "events": len(events), "claims": len(claims),
            "places": query.count_places(events),
            "contested": int(events[Col.CONTESTED].sum()),
            "shared_stories": int((told[stories.N_OUTLETS] >= 2).sum())}


def test_the_overview_counts_match_in_every_view(corpus, tables):
    for name, filters in _each_view(corpus):
        assert queries.view_counts(tables, filters) == _memory_view_counts(corpus, filters), name


def test_the_articles_table_counts_each_articles_events_and_claims(corpus, tables):
    for name, filters in _each_view(corpus):
        got = queries.articles_in_view(tables, filters, [Col.TITLE, Col.ARTICLE], limit=1000)
        events = query.filter_events(corpus, filters)[Col.ARTICLE].value_counts()
        claims = query.filter_claims(corpus, filters)[Col.ARTICLE].value_counts()
        assert got.total == _memory_view_counts(corpus, filters)["articles"], name
        for row in got.frame.itertuples(index=False):
            article = getattr(row, Col.ARTICLE)
            assert (row.events, row.claims) == (events.get(article, 0), claims.get(article, 0))


def test_the_newest_articles_in_view_are_the_newest_that_report_something_in_it(
        corpus, tables):
    """The Overview's newest articles, whether probed newest first or (a view up to a
    date, whose articles are mostly not the newest) asked of every article at once."""
    arts = corpus.articles.sort_values([Col.PUBLISHED_START, Col.FILE, Col.ARTICLE],
                                       ascending=[False, True, True], na_position="last",
                                       kind="stable")
    for name, filters in _each_view(corpus):
        if queries._open_articles(tables, filters) is not None:
            continue  # every article, reporting anything or not
        cited = (set(query.filter_events(corpus, filters)[Col.ARTICLE])
                 | set(query.filter_claims(corpus, filters)[Col.ARTICLE]))
        for limit in (1, 2):
            # all of them in corpus order when they are no more than the limit
            order = arts if len(cited) > limit else corpus.articles
            want = [a for a in order[Col.ARTICLE] if a in cited][:limit]
            got = queries.articles_in_view(tables, filters, [Col.ARTICLE], limit)
            assert got.frame[Col.ARTICLE].tolist() == want, (name, limit)


def test_the_vocabulary_accepts_what_the_corpus_holds(corpus, tables):
    memory = query.vocabulary(corpus)
    engine_vocab = queries.vocabulary(tables)
    for param in (query.P_OUTLET, query.P_PLACE, query.P_ACTOR, query.P_TYPE, query.P_STANCE):
        assert dict(engine_vocab[param]) == dict(memory[param]), param
    assert engine_vocab.place_choices == memory.place_choices
    for param in (query.P_ARTICLE, query.P_STORY):
        names = memory[param]
        for folded, name in list(names.items())[:5]:
            assert engine_vocab[param].get(folded) == name
            assert engine_vocab[param].get(folded.upper()) == name
        assert engine_vocab[param].get("no such name, surely") is None
        assert len(engine_vocab[param]) == len(names)
        assert list(engine_vocab[param].values())[:3] == list(names.values())[:3]
    key = corpus.events[Col.KEY].iloc[0]
    assert key in engine_vocab.events and "nope/nothing" not in engine_vocab.events


def test_a_link_reads_the_same_view_from_either(corpus, tables):
    memory, engine_vocab = query.vocabulary(corpus), queries.vocabulary(tables)
    for filters in views(corpus).values():
        params = {**filters.to_params(), "article": ["No/such/article"]}
        assert query.filters_from_params(params, engine_vocab) == \
            query.filters_from_params(params, memory)


def test_the_map_counts_each_places_events_by_type(corpus, tables):
    for name, filters in _each_view(corpus):
        events = query.filter_events(corpus, filters)
        located = events.dropna(subset=[Col.LAT, Col.LON])
        want = (located.groupby([Col.PLACE_NAME, Col.TYPE], dropna=False).size()
                .rename("n").reset_index().sort_values([Col.PLACE_NAME, Col.TYPE])
                .reset_index(drop=True))
        got, missing = queries.map_places(tables, filters)
        assert missing == len(events) - len(located), name
        got = (got.groupby([Col.PLACE_NAME, Col.TYPE], dropna=False)["n"].sum().reset_index()
               .sort_values([Col.PLACE_NAME, Col.TYPE]).reset_index(drop=True))
        assert got.to_dict("records") == want.to_dict("records"), name
        counted, _ = queries.map_places(tables, filters)
        assert int(counted[figures.COUNT].sum()) == len(located)
        assert figures._n_places(counted) == figures._n_places(located)


def test_the_timeline_counts_dated_and_lists_undated_events(corpus, tables):
    for name, filters in _each_view(corpus):
        events = query.filter_events(corpus, filters)
        assert queries.timeline_dated(tables, filters) == figures.count_dated(events), name
        assert int(queries.timeline_counts(tables, filters)["n"].sum()) == \
            figures.count_dated(events)
        undated = queries.undated(tables, filters, [Col.KEY], limit=3)
        assert undated.total == len(figures.undated(events))
        assert undated.frame[Col.KEY].tolist() == \
            figures.undated(events)[Col.KEY].head(3).tolist()


def _plain(frame: pd.DataFrame) -> list[dict]:
    return [{k: (None if v is None or (isinstance(v, float) and pd.isna(v)) else v)
             for k, v in row.items()} for row in frame.astype(object).to_dict("records")]


def test_contested_pairs_are_the_same_pairs(corpus, tables):
    for name, filters in _each_view(corpus):
        want = query.contested_pairs(query.filter_claims(corpus, filters))
        got, n_events = queries.contested_pairs(tables, filters, None, limit_events=1000)
        assert n_events == want[Col.EVENT].nunique(), name
        cols = [f"{Col.KEY}_asserts", f"{Col.KEY}_denies", Col.EVENT]
        assert _plain(got[cols].sort_values(cols)) == _plain(want[cols].sort_values(cols)), name


def test_the_stories_in_view_are_the_same(corpus, tables):
    for name, filters in _each_view(corpus):
        events = query.filter_events(corpus, filters)
        want = corpus.stories[corpus.stories[Col.STORY].isin(events[Col.STORY].dropna())]
        got = queries.stories_in_view(tables, filters)
        assert got[Col.STORY].tolist() == want[Col.STORY].tolist(), name
        assert got[stories.N_OUTLETS].tolist() == want[stories.N_OUTLETS].tolist()


def test_the_story_lists_and_counts_of_one_query_are_the_pages_lists(corpus, tables):
    source = memory_source(corpus)
    for name, filters in _each_view(corpus):
        totals, heads = queries.story_heads(tables, filters, limit=2)
        for kind in queries.STORY_KINDS:
            want = source.stories(filters, kind, 2)
            assert totals[kind] == want.total, (name, kind)
            assert heads[kind][Col.STORY].tolist() == want.frame[Col.STORY].tolist(), \
                (name, kind)


def test_one_story_has_the_same_reports_and_claims(corpus, tables):
    for slug in corpus.stories[Col.STORY].head(3):
        row, reports, claims = queries.story(tables, slug)
        assert row is not None and row[Col.STORY] == slug
        assert reports[Col.KEY].tolist() == stories.reports(
            corpus.articles, corpus.events, slug)[Col.KEY].tolist()
        assert claims[Col.KEY].tolist() == stories.story_claims(
            corpus.claims, corpus.articles, slug)[Col.KEY].tolist()


def test_one_article_comes_with_its_events_claims_and_places(corpus, tables):
    article_id = corpus.articles[Col.ARTICLE].iloc[0]
    got = queries.article(tables, article_id)
    assert got["articles"][Col.TITLE].tolist() == corpus.articles.loc[
        corpus.articles[Col.ARTICLE] == article_id, Col.TITLE].tolist()
    for name in ("events", "claims", "places"):
        table = getattr(corpus, name)
        assert got[name][Col.KEY].tolist() == \
            table.loc[table[Col.ARTICLE] == article_id, Col.KEY].tolist(), name


def test_problems_are_counted_and_capped(corpus, tables):
    got, errors = queries.problems(tables, limit=2)
    assert got.total == len(corpus.problems)
    assert errors == corpus.n_errors
    assert len(got.frame) == min(2, len(corpus.problems))


def test_articles_are_looked_up_by_id_however_many_ids_are_asked(corpus, tables, monkeypatch):
    arts = corpus.articles
    ids = arts[Col.ARTICLE].tolist()
    titles = dict(zip(arts[Col.ARTICLE], arts[Col.TITLE], strict=True))
    for inline in (len(ids) + 1, 1):  # written into the query; sent as a table and joined
        monkeypatch.setattr(queries, "IDS_INLINE", inline)
        got = queries.articles_by_id(tables, [*ids, "no-such-article"], [Col.ARTICLE, Col.TITLE])
        assert dict(zip(got[Col.ARTICLE], got[Col.TITLE], strict=True)) == titles, inline


@pytest.mark.parametrize("probe", [1, 8])
def test_the_article_picker_lists_the_first_articles_in_view_however_it_probes(
        corpus, tables, monkeypatch, probe):
    """The Article page's picker: the first articles in corpus order that report
    something in view, whether the first files are probed (made to pay here however
    small the corpus) and hold them, or miss and the view is asked whole."""
    monkeypatch.setattr(queries, "PROBE_WORTH", 0)
    monkeypatch.setattr(queries, "PICKER_PROBE", probe)
    arts = corpus.articles.sort_values([Col.FILE, Col.ARTICLE], kind="stable")
    for name, filters in _each_view(corpus):
        if queries._open_articles(tables, filters) is not None:  # every one (named)
            shown = set(filters.articles or arts[Col.ARTICLE])
        else:
            shown = (set(query.filter_events(corpus, filters)[Col.ARTICLE])
                     | set(query.filter_claims(corpus, filters)[Col.ARTICLE]))
        for limit in (1, 3):
            want = [a for a in arts[Col.ARTICLE] if a in shown][:limit]
            got = queries.article_choices(tables, filters, limit)
            assert got[Col.ARTICLE].tolist() == want, (name, limit)
