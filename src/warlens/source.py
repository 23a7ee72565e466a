"""Where a page's tables come from: the in-memory corpus, or an engine, behind one protocol.

A page asks a `Source` for what it draws, by filters: counts, the rows of a capped table,
a map's places, one article. `MemorySource` answers from a loaded `Corpus` with the
vectorised pandas of `warlens.query`; `warlens.engine.source.EngineSource` answers the
same questions with `warlens.engine.queries`, reading only those rows from DuckDB,
PostgreSQL or Spark. The Workspace picks one per data folder (engine when
`WARLENS_ENGINE` is set); pages never know which.

Every answer is a small pandas frame with the columns the figures and pages read, so
`warlens.figures` draws either unchanged. A capped answer is a `Rows`, which says how
many rows there were: nothing is dropped silently.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Protocol

import cachetools
import numpy as np
import pandas as pd

from warlens import figures, query, stories
from warlens.corpus import Corpus
from warlens.model import Col
from warlens.query import TIMELINE_GROUP, Filters, Rows, Vocabulary

#: Rows a download reads at a time: an engine's export never holds every row in view.
EXPORT_CHUNK = 50_000


class Source(Protocol):
    """What every page may ask of a corpus, wherever its tables live."""

    #: How many data files were read; the folders they came from (for export paths).
    files: int
    sources: tuple[str, ...]
    #: Answers kept per question and filters, for every session (figures included: a
    #: widely shared link brings many new sessions to one view).
    memo: Memo

    def vocabulary(self) -> Vocabulary:
        """What a link or a widget may name (built lazily where that is costly)."""

    def counts(self, filters: Filters) -> dict[str, int]:
        """The Overview's numbers: articles, events, claims, places, contested,
        shared_stories (stories in view told by two outlets or more)."""

    def events(self, filters: Filters, columns: Sequence[str] | None,
               limit: int | None = None) -> Rows:
        """These columns (None: all) of the first `limit` events in view (None: every
        one), in corpus order."""

    def claims(self, filters: Filters, columns: Sequence[str] | None,
               limit: int | None = None, about: str | None = None) -> Rows:
        """These columns (None: all) of the first `limit` claims in view (about one
        event, if given)."""

    def item(self, table: str, key: str) -> pd.Series | None:
        """One event or claim (table "events" or "claims") by its key, every column."""

    def claims_about(self, event_key: str, columns: Sequence[str]) -> pd.DataFrame:
        """The claims about one event, whatever the filters."""

    def articles(self, filters: Filters, columns: Sequence[str], limit: int) -> Rows:
        """The articles in view (the most recently published `limit` when more), with how
        many events and claims in view each reports ("events", "claims")."""

    def article_choices(self, filters: Filters, limit: int) -> dict[str, str]:
        """Id -> title of the first `limit` articles with an event or claim in view."""

    def article_titles(self, ids: Iterable[str]) -> dict[str, str]:
        """Article id -> title, for these ids."""

    def article(self, article_id: str) -> dict[str, pd.DataFrame]:
        """One article ("articles": its row) with its "events", "claims" and "places"."""

    def map_events(self, filters: Filters) -> tuple[pd.DataFrame, int]:
        """Located events in view as `figures.make_map` reads them (namesakes by their
        labels), and how many events in view have no location. Rows may be counted
        (`figures.COUNT`: an engine's one row per place and type): never one per event
        where there are millions."""

    def story_points(self, filters: Filters) -> pd.DataFrame:
        """`stories.story_points` of the view: one mark per story on the map."""

    def timeline_dated(self, filters: Filters) -> int:
        """How many events in view have a date the timeline can place."""

    def timeline_counted(self, filters: Filters) -> pd.DataFrame:
        """Dated events in view counted per type and dates (`figures.COUNT`), for
        `make_timeline_counts`: a row per count, never one per event."""

    def timeline_rows(self, filters: Filters) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(events, claims) in view as `make_timeline` reads them, namesakes labelled."""

    def publication_dates(self, filters: Filters) -> pd.DataFrame:
        """The articles the events in view come from, counted per publication dates
        (`figures.TIMELINE_PUBLICATION_COLUMNS` and `figures.COUNT`), for
        `make_timeline_counts`: a row per date, never one per article."""

    def publications(self, filters: Filters, columns: Sequence[str]) -> pd.DataFrame:
        """These columns of the articles the events in view come from."""

    def undated(self, filters: Filters, columns: Sequence[str], limit: int) -> Rows:
        """The first `limit` undated events in view."""

    def contested_pairs(self, filters: Filters, event: str | None,
                        limit_events: int) -> tuple[pd.DataFrame, int]:
        """`query.contested_pairs` for the first `limit_events` contested events in view,
        and how many contested events the view holds."""

    def stories(self, filters: Filters, kind: str = "all", limit: int | None = None) -> Rows:
        """The first `limit` stories with an event in view (`Corpus.stories` rows) of a
        kind ("all", "multi": told by two outlets or more, "contested"), contested first,
        then by outlets and date (STORY_ORDER); and how many there are."""

    def story(self, slug: str) -> tuple[pd.Series | None, pd.DataFrame, pd.DataFrame]:
        """One story's row, reports and claims (`stories.reports`, `story_claims`)."""

    def story_sides(self, slugs: Sequence[str], stances: Sequence[str]) -> pd.DataFrame:
        """The outlets whose articles claim these stances in these stories: (story,
        stance, outlet) rows, each once."""

    def problems(self, severities: Sequence[str], limit: int) -> Rows:
        """The first `limit` problems of these severities (file, line order)."""

    def problem_counts(self) -> dict[str, int]:
        """How many problems, errors, and files with a problem."""

    def export_rows(self, filters: Filters, table: str) -> pd.DataFrame:
        """Every row in view of "events" or "claims", credited (for a download)."""

    def export_chunks(self, filters: Filters, table: str, rows: int = EXPORT_CHUNK
                      ) -> tuple[frozenset[str], Iterator[pd.DataFrame]]:
        """Every row in view of "events" or "claims", credited, `rows` at a time, in
        corpus order; and which date columns hold a time of day somewhere in view
        (`export.csv_chunks` needs to know before the first chunk)."""


#: How the pages order stories: contested first, then told by the most outlets, earliest.
STORY_ORDER = (Col.CONTESTED, stories.N_OUTLETS, Col.START)
STORY_ASCENDING = [False, False, True]
#: Answers remembered per source: the last few filter sets' counts and tables.
MEMO_SIZE = 64


class Memo:
    """A bounded, thread-safe memo of a source's answers, keyed by question and filters.

    One build per key at a time: the visitors of a shared link who arrive together (and
    the server's sketch of it) wait for the first one's answer rather than each build it.
    """

    def __init__(self, size: int = MEMO_SIZE) -> None:
        self._cache: cachetools.LRUCache = cachetools.LRUCache(size)
        self._lock = threading.Lock()
        self._building: dict[tuple, threading.Lock] = {}

    def get(self, key: tuple, build: Callable[[], Any]) -> Any:
        """`build()`, remembered under `key`."""
        with self._lock:
            hit = self._cache.get(key, self)
            if hit is not self:
                return hit
            building = self._building.setdefault(key, threading.Lock())
        with building:
            with self._lock:
                hit = self._cache.get(key, self)
            if hit is not self:
                return hit
            try:
                value = build()
                with self._lock, contextlib.suppress(ValueError):
                    self._cache[key] = value
            finally:
                with self._lock:
                    self._building.pop(key, None)
        return value


def _open(filters: Filters) -> Filters:
    return filters.without_selection()


class MemorySource:
    """A Source over a loaded Corpus: the pandas path every page used before engines."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self.files = corpus.files
        self.sources = corpus.sources
        self.memo = Memo()

    def __repr__(self) -> str:
        return f"MemorySource({len(self.corpus.articles)} articles)"

    # the tables in view, through the shared masks
    def _mask(self, table: str, filters: Filters) -> np.ndarray:
        masker = query.event_mask if table == "events" else query.claim_mask
        return self.memo.get(("mask", table, _open(filters)),
                             lambda: masker(self.corpus, _open(filters)))

    def _in_view(self, table: str, filters: Filters, columns: Sequence[str] | None
                 ) -> pd.DataFrame:
        full = getattr(self.corpus, table)
        mask = self._mask(table, filters)
        cols = list(full.columns) if columns is None else list(columns)
        if mask.all():
            return full if columns is None else full[cols]
        return self.memo.get(("rows", table, _open(filters), tuple(cols)),
                             lambda: full.loc[mask, cols])

    def vocabulary(self) -> Vocabulary:
        """The corpus's vocabulary, built once per corpus."""
        return query.vocabulary_of(self.corpus)

    def counts(self, filters: Filters) -> dict[str, int]:
        """The Overview's numbers for this view."""
        def build() -> dict[str, int]:
            events = self._in_view("events", filters, [*query.PLACE_SPOT, Col.CONTESTED])
            told = self.stories(filters, "multi", 0)
            return {"articles": len(self._article_frame(filters, [Col.ARTICLE])),
                    "events": len(events),
                    "claims": int(self._mask("claims", filters).sum()),
                    "places": query.count_places(events),
                    "contested": int(events[Col.CONTESTED].sum()),
                    "shared_stories": told.total}
        return self.memo.get(("counts", _open(filters)), build)

    def events(self, filters: Filters, columns: Sequence[str] | None,
               limit: int | None = None) -> Rows:
        """These columns of the events in view."""
        rows = self._in_view("events", filters, columns)
        return Rows(rows if limit is None else rows.head(limit), len(rows))

    def claims(self, filters: Filters, columns: Sequence[str] | None,
               limit: int | None = None, about: str | None = None) -> Rows:
        """These columns of the claims in view (about one event, if given)."""
        if not about:
            rows = self._in_view("claims", filters, columns)
        else:
            rows = self._in_view("claims", filters, None)
            rows = rows.loc[rows[Col.EVENT] == about, list(columns or rows.columns)]
        return Rows(rows if limit is None else rows.head(limit), len(rows))

    def item(self, table: str, key: str) -> pd.Series | None:
        """One event or claim by its key."""
        frame = getattr(self.corpus, table)
        hit = frame[frame[Col.KEY] == key]
        return None if hit.empty else hit.iloc[0]

    def claims_about(self, event_key: str, columns: Sequence[str]) -> pd.DataFrame:
        """The claims about one event."""
        claims = self.corpus.claims
        return claims.loc[claims[Col.EVENT] == event_key, list(columns)]

    def _article_frame(self, filters: Filters, columns: Sequence[str]) -> pd.DataFrame:
        corpus = self.corpus
        if _open(filters) in (Filters(), Filters(articles=filters.articles)):
            arts = corpus.articles[list(columns)] if Col.ARTICLE in columns else \
                corpus.articles[[*columns, Col.ARTICLE]]
            if filters.articles:
                arts = arts[corpus.articles[Col.ARTICLE].isin(filters.articles)]
            return arts
        cited = pd.concat([self._in_view("events", filters, [Col.ARTICLE]),
                           self._in_view("claims", filters, [Col.ARTICLE])])
        return query.articles_of(corpus, cited, list(dict.fromkeys([*columns, Col.ARTICLE])))

    def articles(self, filters: Filters, columns: Sequence[str], limit: int) -> Rows:
        """The articles in view, with their events and claims in view counted."""
        arts = self._article_frame(filters, list(dict.fromkeys([*columns, Col.ARTICLE,
                                                                Col.PUBLISHED_START])))
        total = len(arts)
        if total > limit:
            arts = arts.nlargest(limit, Col.PUBLISHED_START)
        table = arts[list(dict.fromkeys([*columns, Col.ARTICLE]))].copy()
        events = self._in_view("events", filters, [Col.ARTICLE])[Col.ARTICLE]
        claims = self._in_view("claims", filters, [Col.ARTICLE])[Col.ARTICLE]
        table["events"] = table[Col.ARTICLE].map(events.value_counts()).fillna(0)
        table["claims"] = table[Col.ARTICLE].map(claims.value_counts()).fillna(0)
        return Rows(table, total)

    def article_choices(self, filters: Filters, limit: int) -> dict[str, str]:
        """Id -> title of the articles with an event or claim in view, in order of appearance."""
        ids = dict.fromkeys(
            [*self._in_view("events", filters, [Col.ARTICLE])[Col.ARTICLE].unique().tolist(),
             *self._in_view("claims", filters, [Col.ARTICLE])[Col.ARTICLE].unique().tolist()])
        return self.article_titles(list(ids)[:limit])

    def article_titles(self, ids: Iterable[str]) -> dict[str, str]:
        """Article id -> title."""
        titles = query.article_titles(self.corpus)
        return {i: titles[i] for i in ids if i in titles}

    def article(self, article_id: str) -> dict[str, pd.DataFrame]:
        """One article with its events, claims and places."""
        corpus = self.corpus
        return {name: getattr(corpus, name)[getattr(corpus, name)[Col.ARTICLE] == article_id]
                for name in ("articles", "events", "claims", "places")}

    def map_events(self, filters: Filters) -> tuple[pd.DataFrame, int]:
        """Located events in view, namesakes by their labels; and how many are not located."""
        events = query.label_places(self.corpus, self._in_view(
            "events", filters, (*figures.MAP_EVENT_COLUMNS, Col.PLACE)))
        located = events.dropna(subset=[Col.LAT, Col.LON])
        return located, len(events) - len(located)

    def story_points(self, filters: Filters) -> pd.DataFrame:
        """One mark per story in view."""
        events = self._in_view("events", filters,
                               (*figures.MAP_EVENT_COLUMNS, Col.STORY, Col.ARTICLE))
        return stories.story_points(events, self.corpus.articles)

    def timeline_dated(self, filters: Filters) -> int:
        """How many events in view are dated."""
        return figures.count_dated(self._in_view("events", filters,
                                                 figures.TIMELINE_COUNT_COLUMNS))

    def timeline_counted(self, filters: Filters) -> pd.DataFrame:
        """Dated events in view counted per type and dates, as the engine counts them."""
        def build() -> pd.DataFrame:
            events = self._in_view("events", filters, TIMELINE_GROUP)
            dated = events[events[Col.START].notna()
                           & (events[Col.DATE_PRECISION] != figures.UNDATED_PRECISION)]
            return (dated.groupby(list(TIMELINE_GROUP), dropna=False, sort=True).size()
                    .rename(figures.COUNT).reset_index())
        return self.memo.get(("counted", _open(filters)), build)

    def timeline_rows(self, filters: Filters) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(events, claims) in view for `make_timeline`, namesakes labelled."""
        events = self._in_view("events", filters, (*figures.TIMELINE_EVENT_COLUMNS, Col.PLACE))
        claims = self._in_view("claims", filters, (*figures.TIMELINE_CLAIM_COLUMNS, Col.PLACE))
        return (query.label_places(self.corpus, events),
                query.label_places(self.corpus, claims))

    def publication_dates(self, filters: Filters) -> pd.DataFrame:
        """The articles the events in view come from, counted per publication dates."""
        def build() -> pd.DataFrame:
            pubs = self.publications(filters, figures.TIMELINE_PUBLICATION_COLUMNS)
            pubs = pubs[pubs[Col.PUBLISHED_START].notna()]
            return (pubs.groupby(list(figures.TIMELINE_PUBLICATION_COLUMNS), dropna=False)
                    .size().rename(figures.COUNT).reset_index())
        return self.memo.get(("publication_dates", _open(filters)), build)

    def publications(self, filters: Filters, columns: Sequence[str]) -> pd.DataFrame:
        """The articles the events in view come from."""
        return query.articles_of(self.corpus, self._in_view("events", filters, [Col.ARTICLE]),
                                 columns)

    def undated(self, filters: Filters, columns: Sequence[str], limit: int) -> Rows:
        """The first undated events in view."""
        counted = self._in_view("events", filters, figures.TIMELINE_COUNT_COLUMNS)
        rows = figures.undated(counted)
        # The filtered rows keep the corpus's row labels: only the rows listed are copied.
        return Rows(self.corpus.events.loc[rows.index[:limit], list(columns)], len(rows))

    def contested_pairs(self, filters: Filters, event: str | None,
                        limit_events: int) -> tuple[pd.DataFrame, int]:
        """Contested pairs of the claims in view, for the first events."""
        claims = self._in_view("claims", filters, query.PAIR_COLUMNS)
        if event:
            claims = claims[claims[Col.EVENT] == event]
        pairs = query.contested_pairs(claims)
        events = pairs[Col.EVENT].unique()
        return pairs[pairs[Col.EVENT].isin(events[:limit_events])], len(events)

    def stories(self, filters: Filters, kind: str = "all", limit: int | None = None) -> Rows:
        """The corpus's stories that have an event in view, of a kind, in the pages' order."""
        def build() -> pd.DataFrame:
            linked = self._in_view("events", filters, [Col.STORY])[Col.STORY]
            told = self.corpus.stories
            told = told[told[Col.STORY].isin(linked[linked != ""].unique())]
            if kind == "multi":
                told = told[told[stories.N_OUTLETS] >= 2]
            elif kind == "contested":  # an empty story table's column is not boolean
                told = told[told[Col.CONTESTED].to_numpy(dtype=bool)]
            return told.sort_values(list(STORY_ORDER), ascending=STORY_ASCENDING,
                                    kind="stable")
        told = self.memo.get(("stories", _open(filters), kind), build)
        return Rows(told if limit is None else told.head(limit), len(told))

    def story(self, slug: str) -> tuple[pd.Series | None, pd.DataFrame, pd.DataFrame]:
        """One story's row, reports and claims."""
        corpus = self.corpus
        row = corpus.stories[corpus.stories[Col.STORY] == slug]
        return (None if row.empty else row.iloc[0],
                stories.reports(corpus.articles, corpus.events, slug),
                stories.story_claims(corpus.claims, corpus.articles, slug))

    def story_sides(self, slugs: Sequence[str], stances: Sequence[str]) -> pd.DataFrame:
        """Who takes which stance in these stories: (story, stance, outlet) rows."""
        claims = self.corpus.claims
        sided = claims.loc[claims[Col.STORY].isin(list(slugs))
                           & claims[Col.STANCE].isin(list(stances)),
                           [Col.STORY, Col.STANCE, Col.ARTICLE]]
        outlets = self.corpus.articles.set_index(Col.ARTICLE)[Col.OUTLET]
        sided = sided.assign(**{Col.OUTLET: sided[Col.ARTICLE].map(outlets)})
        return sided[[Col.STORY, Col.STANCE, Col.OUTLET]].drop_duplicates(ignore_index=True)

    def problems(self, severities: Sequence[str], limit: int) -> Rows:
        """The problems of these severities."""
        problems = self.corpus.problems
        shown = problems[problems["severity"].isin(list(severities))]
        return Rows(shown.head(limit), len(shown))

    def problem_counts(self) -> dict[str, int]:
        """How many problems, errors, and files with a problem."""
        problems = self.corpus.problems
        return {"problems": len(problems), "errors": self.corpus.n_errors,
                "files": int(problems["file"].nunique())}

    def export_rows(self, filters: Filters, table: str) -> pd.DataFrame:
        """Every row in view, credited with its article's outlet and licence."""
        from warlens import export

        return export.credited(self._in_view(table, filters, None), self.corpus.articles)

    def export_chunks(self, filters: Filters, table: str, rows: int = EXPORT_CHUNK
                      ) -> tuple[frozenset[str], Iterator[pd.DataFrame]]:
        """The rows in view, credited, a chunk at a time (they are in memory already)."""
        from warlens import export

        full = self._in_view(table, filters, None)

        def chunks() -> Iterator[pd.DataFrame]:
            for start in range(0, max(len(full), 1), rows):
                yield export.credited(full.iloc[start:start + rows], self.corpus.articles)
        return export.timed_columns(full), chunks()


def memory_source(corpus: Corpus) -> MemorySource:
    """The one MemorySource of a corpus (its memo lives as long as the corpus)."""
    return query.derived(corpus, "source", lambda: MemorySource(corpus))
