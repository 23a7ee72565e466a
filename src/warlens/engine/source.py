"""The Source of a corpus that lives in an engine: every page's question as a query.

`EngineSource(con)` answers what `warlens.source.Source` asks with the ibis queries of
`warlens.engine.queries`; only the rows and columns a page draws cross to the app, and
each answer is remembered per filters in a bounded memo (the engine is read-only while
the app serves it; `warlens build` writes a new state, and a restart picks it up).
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Any

import pandas as pd

from warlens import figures, stories
from warlens.engine import queries
from warlens.engine.queries import Tables
from warlens.model import Col
from warlens.query import Filters, Rows, Vocabulary
from warlens.source import EXPORT_CHUNK, Memo

#: How many stories of each kind one query lists with the counts (the Overview and the
#: Claims page list 20).
STORY_HEADS = 20


def _disconnect(con: object) -> None:
    with contextlib.suppress(Exception):
        con.disconnect()  # type: ignore[attr-defined]


def _open(filters: Filters) -> Filters:
    return filters.without_selection()


class EngineSource:
    """A Source over an engine connection (DuckDB, PostgreSQL, Spark) through ibis."""

    def __init__(self, con: object, sources: tuple[str, ...] = ()) -> None:
        self.tables = Tables(con)
        self.sources = sources
        self.memo = Memo()
        # Closed with the source: a server drops a Workspace when its data folder changes.
        weakref.finalize(self, _disconnect, con)

    def __repr__(self) -> str:
        return f"EngineSource({self.tables!r})"

    def _memo(self, *key: object, build) -> object:
        return self.memo.get(key, build)

    def stamp(self) -> tuple[int, ...]:
        """The store's build stamp now (never remembered: it says when to forget)."""
        return queries.build_stamp(self.tables)

    @property
    def files(self) -> int:
        """How many data files the build read."""
        return self._memo("files", build=lambda: queries.file_count(self.tables))

    def vocabulary(self) -> Vocabulary:
        """The short vocabularies now, the long ones looked up when named."""
        return self._memo("vocabulary", build=lambda: queries.vocabulary(self.tables))

    def counts(self, filters: Filters) -> dict[str, int]:
        """The Overview's numbers for this view."""
        return self._memo("counts", _open(filters), build=lambda: queries.view_counts(
            self.tables, _open(filters), self._story_heads(filters)[0]["multi"]))

    def events(self, filters: Filters, columns: Sequence[str] | None,
               limit: int | None = None) -> Rows:
        """These columns (None: all) of the first `limit` events in view."""
        columns = self._columns("events", columns)

        def build() -> Rows:
            total = None
            if filters.contested and limit is not None:
                # the contested events of a view the summaries answer for: counted there
                # (a country's at 100,000 articles on PostgreSQL: a 200-250 ms count)
                total = queries.summarised_count(
                    self.tables, _open(replace(filters, contested=False)), "contested")
            elif limit is not None:
                total = queries.summarised_count(self.tables, _open(filters), "events")
            return queries.rows(self.tables, "events", _open(filters), columns, limit, total)
        return self._memo("events", _open(filters), tuple(columns), limit, build=build)

    def _columns(self, table: str, columns: Sequence[str] | None) -> list[str]:
        """The columns asked for; None is every public column (not a build's helpers)."""
        if columns is not None:
            return list(columns)
        return [c for c in getattr(self.tables, table).columns if not c.startswith("_")]

    def claims(self, filters: Filters, columns: Sequence[str] | None,
               limit: int | None = None, about: str | None = None) -> Rows:
        """These columns of the first `limit` claims in view (about one event, if given)."""
        columns = self._columns("claims", columns)

        def build() -> Rows:
            if not about:
                total = (queries.summarised_count(self.tables, _open(filters), "claims")
                         if limit is not None else None)
                return queries.rows(self.tables, "claims", _open(filters), columns, limit,
                                    total)
            claims = queries.where(self.tables, "claims", _open(filters))
            about_it = claims.filter(claims[Col.EVENT] == about)
            head = about_it.order_by(list(queries.ORDER)).select(*columns)
            frame = (head if limit is None else head.limit(limit)).to_pandas()
            return Rows(frame, queries.count(about_it))
        return self._memo("claims", _open(filters), tuple(columns), limit, about, build=build)

    def item(self, table: str, key: str) -> pd.Series | None:
        """One event or claim by its key."""
        return self._memo("item", table, key,
                          build=lambda: queries.by_key(self.tables, table, key))

    def claims_about(self, event_key: str, columns: Sequence[str]) -> pd.DataFrame:
        """The claims about one event."""
        return self._memo("about", event_key, tuple(columns), build=lambda:
                          queries.claims_about(self.tables, event_key, columns))

    def articles(self, filters: Filters, columns: Sequence[str], limit: int) -> Rows:
        """The articles in view with their events and claims in view counted."""
        return self._memo("articles", _open(filters), tuple(columns), limit, build=lambda:
                          queries.articles_in_view(self.tables, _open(filters), columns, limit,
                                                   self.counts(filters)["articles"]))

    def article_choices(self, filters: Filters, limit: int) -> dict[str, str]:
        """Id -> title of the first articles with an event or claim in view."""
        def build() -> dict[str, str]:
            heads = queries.article_choices(self.tables, _open(filters), limit)
            return dict(zip(heads[Col.ARTICLE], heads[Col.TITLE], strict=True))
        return self._memo("choices", _open(filters), limit, build=build)

    def article_titles(self, ids: Iterable[str]) -> dict[str, str]:
        """Article id -> title, for these ids."""
        wanted = tuple(sorted({str(i) for i in ids}))
        def build() -> dict[str, str]:
            heads = queries.articles_by_id(self.tables, wanted, [Col.ARTICLE, Col.TITLE])
            return dict(zip(heads[Col.ARTICLE], heads[Col.TITLE], strict=True))
        return self._memo("titles", wanted, build=build)

    def article(self, article_id: str) -> dict[str, pd.DataFrame]:
        """One article with its events, claims and places."""
        return self._memo("article", article_id,
                          build=lambda: queries.article(self.tables, article_id))

    def _label(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Namesakes' place names as their labels (the spot of each row)."""
        labels = self.tables.namesakes
        if not labels or frame.empty:
            return frame
        spots = zip(frame[Col.PLACE_NAME].astype(object), frame[Col.LAT], frame[Col.LON],
                    strict=True)
        named = [labels.get((str(n).casefold(), round(float(la), 2), round(float(lo), 2)))
                 if isinstance(n, str) and pd.notna(la) and pd.notna(lo) else None
                 for n, la, lo in spots]
        named = pd.Series(named, index=frame.index, dtype=object)
        return frame.assign(**{Col.PLACE_NAME: named.where(named.notna(),
                                                           frame[Col.PLACE_NAME])})

    def map_events(self, filters: Filters) -> tuple[pd.DataFrame, int]:
        """Located events in view counted per place and type in the engine (a row each,
        with its count, as `figures.make_map` draws them), namesakes by their labels; and
        how many events in view are not located."""
        def build() -> tuple[pd.DataFrame, int]:
            located, missing = queries.map_places(self.tables, _open(filters))
            return self._label(located), missing
        return self._memo("map", _open(filters), build=build)

    def story_points(self, filters: Filters) -> pd.DataFrame:
        """One mark per story in view (its linked, located events only)."""
        def build() -> pd.DataFrame:
            events = queries.where(self.tables, "events", _open(filters))
            linked = events.filter(events[Col.STORY].notnull() & (events[Col.STORY] != "")
                                   & events[Col.LAT].notnull() & events[Col.LON].notnull())
            rows = (linked.order_by(list(queries.ORDER))
                    .select(*figures.MAP_EVENT_COLUMNS, Col.STORY, Col.ARTICLE).to_pandas())
            heads = queries.articles_by_id(self.tables, rows[Col.ARTICLE].unique(),
                                           [Col.ARTICLE, Col.OUTLET])
            return stories.story_points(rows, heads)
        return self._memo("story_points", _open(filters), build=build)

    def timeline_dated(self, filters: Filters) -> int:
        """How many events in view are dated: the sum of the counted timeline's counts
        (one query, remembered, serves both)."""
        return figures.count_dated(self.timeline_counted(filters))

    def timeline_counted(self, filters: Filters) -> pd.DataFrame:
        """Dated events counted per type and dates in the engine: a row each, with its
        count, as `figures.make_timeline_counts` draws them."""
        def build() -> pd.DataFrame:
            groups = self._timeline_groups(filters)
            return groups[queries.dated_rows(groups).to_numpy()].reset_index(drop=True)
        return self._memo("counted", _open(filters), build=build)

    def _timeline_groups(self, filters: Filters) -> pd.DataFrame:
        """Every event in view counted per type and dates, undated ones too (one scan
        serves the counted timeline and the count of undated events)."""
        return self._memo("timeline_groups", _open(filters), build=lambda:
                          queries.timeline_groups(self.tables, _open(filters)))

    def timeline_rows(self, filters: Filters) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(events, claims) in view for make_timeline, namesakes labelled."""
        def build() -> tuple[pd.DataFrame, pd.DataFrame]:
            events = self.events(filters, (*figures.TIMELINE_EVENT_COLUMNS, Col.PLACE)).frame
            claims = self.claims(filters, (*figures.TIMELINE_CLAIM_COLUMNS, Col.PLACE)).frame
            return self._label(events), self._label(claims)
        return self._memo("timeline", _open(filters), build=build)

    def publication_dates(self, filters: Filters) -> pd.DataFrame:
        """The articles the events in view come from, counted per publication dates."""
        return self._memo("publication_dates", _open(filters), build=lambda:
                          queries.publication_dates(self.tables, _open(filters)))

    def publications(self, filters: Filters, columns: Sequence[str]) -> pd.DataFrame:
        """The articles the events in view come from."""
        return self._memo("publications", _open(filters), tuple(columns), build=lambda:
                          queries.publications(self.tables, _open(filters), columns))

    def undated(self, filters: Filters, columns: Sequence[str], limit: int) -> Rows:
        """The first undated events in view."""
        def build() -> Rows:
            groups = self._timeline_groups(filters)
            total = int(groups.loc[~queries.dated_rows(groups).to_numpy(), figures.COUNT].sum())
            return queries.undated(self.tables, _open(filters), columns, limit, total)
        return self._memo("undated", _open(filters), tuple(columns), limit, build=build)

    def contested_pairs(self, filters: Filters, event: str | None,
                        limit_events: int) -> tuple[pd.DataFrame, int]:
        """Contested pairs of the first contested events in view."""
        return self._memo("pairs", _open(filters), event, limit_events, build=lambda:
                          queries.contested_pairs(self.tables, _open(filters), event,
                                                  limit_events))

    def stories(self, filters: Filters, kind: str = "all", limit: int | None = None) -> Rows:
        """The first stories in view of a kind, in the pages' order, and how many."""
        totals, heads = self._story_heads(filters)
        if limit == 0:
            return Rows(pd.DataFrame(columns=stories.STORY_COLUMNS), totals[kind])
        if limit is not None and limit <= STORY_HEADS:
            return Rows(heads[kind].head(limit), totals[kind])
        return self._memo("stories", _open(filters), kind, limit, build=lambda:
                          queries.stories_of(self.tables, _open(filters), kind, limit,
                                             totals[kind]))

    def _story_heads(self, filters: Filters) -> tuple[dict[str, int], dict[str, pd.DataFrame]]:
        """How many stories in view of each kind, and the first STORY_HEADS of each: one
        query serves the Overview, the Claims page and the Stories page's counts."""
        return self._memo("story_heads", _open(filters), build=lambda:
                          queries.story_heads(self.tables, _open(filters), STORY_HEADS))

    def story(self, slug: str) -> tuple[pd.Series | None, pd.DataFrame, pd.DataFrame]:
        """One story's row, reports and claims."""
        return self._memo("story", slug, build=lambda: queries.story(self.tables, slug))

    def story_sides(self, slugs: Sequence[str], stances: Sequence[str]) -> pd.DataFrame:
        """Who takes which stance in these stories: (story, stance, outlet) rows."""
        return self._memo("sides", tuple(slugs), tuple(stances), build=lambda:
                          queries.story_sides(self.tables, slugs, stances))

    def problems(self, severities: Sequence[str], limit: int) -> Rows:
        """The first problems of these severities."""
        def build() -> Rows:
            p = self.tables.problems
            kept = p.filter(p["severity"].isin(list(severities)))
            frame = (kept.order_by(["file", "line"]).select(*queries.PROBLEM_COLUMNS)
                     .limit(limit).to_pandas())
            return Rows(frame, queries.count(kept))
        return self._memo("problems", tuple(severities), limit, build=build)

    def problem_counts(self) -> dict[str, int]:
        """How many problems, errors, and files with a problem."""
        return self._memo("problem_counts",
                          build=lambda: queries.problem_summary(self.tables))

    def export_rows(self, filters: Filters, table: str) -> pd.DataFrame:
        """Every row in view, credited (built only when a download is clicked)."""
        from warlens import export

        rows = queries.where(self.tables, table, _open(filters)).order_by(
            list(queries.ORDER)).to_pandas()
        heads = queries.articles_by_id(self.tables, rows[Col.ARTICLE].dropna().unique(),
                                       [Col.ARTICLE, *export.CREDIT_COLUMNS])
        return export.credited(rows, heads)

    def export_chunks(self, filters: Filters, table: str, rows: int = EXPORT_CHUNK
                      ) -> tuple[frozenset[str], Iterator[pd.DataFrame]]:
        """The rows in view, credited by a join in the engine, streamed `rows` at a time
        in corpus order: a download of millions of rows never holds them all."""
        columns = self._columns(table, None)
        return (queries.timed_columns(self.tables, table, _open(filters)),
                queries.export_batches(self.tables, table, _open(filters), columns, rows))


class ThreadConnections:
    """An engine connection as ibis sees it (`Backend.con`), with a connection of its own
    for each thread that uses it.

    One connection runs one query at a time. On DuckDB a second thread's query drops the
    first one's pending result ("Attempting to execute an unsuccessful or closed pending
    query result"); on PostgreSQL two threads' transactions nest on the one connection
    ("transaction commit at the wrong nesting level"). A server's sessions, and its
    first-view sketches, each run on a thread of their own: two visitors at once met
    these. So each thread gets a connection of its own, made by `make` (a DuckDB cursor:
    microseconds; a PostgreSQL connection: milliseconds, so those are kept `pooled` when
    their thread ends, up to POOL_IDLE, and given to the next thread).
    """

    def __init__(self, base: Any, make: Callable[[], Any], *, pooled: bool) -> None:
        self._base, self._make, self._pooled = base, make, pooled
        self._local = threading.local()
        self._idle: list[Any] = []
        self._lock = threading.Lock()

    def _current(self) -> Any:
        held = getattr(self._local, "held", None)
        if held is None:
            with self._lock:
                con = self._idle.pop() if self._idle else None
            held = _Held(con if con is not None else self._make())
            # Given back when the thread ends (its locals go, and `held` with them).
            weakref.finalize(held, self._give_back, held.con)
            self._local.held = held
        return held.con

    def _give_back(self, con: Any) -> None:
        idle = getattr(getattr(con, "info", None), "transaction_status", None)
        reusable = self._pooled and not con.closed and idle == _PG_IDLE
        with self._lock:
            if reusable and len(self._idle) < POOL_IDLE:
                self._idle.append(con)
                return
        with contextlib.suppress(Exception):
            con.close()

    def dedicated(self) -> Any:
        """A connection no other thread uses, for one long read (a streamed download):
        the caller closes it."""
        return self._make()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._current(), name)

    def close(self) -> None:
        """Close the idle connections and the first one (DuckDB: every cursor with it)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for con in idle:
            with contextlib.suppress(Exception):
                con.close()
        self._base.close()


class _Held:
    """A thread's connection, held in its thread-local storage."""

    def __init__(self, con: Any) -> None:
        self.con = con


#: PostgreSQL connections kept for the next thread, at most, per app process.
POOL_IDLE = 8
#: psycopg's "no transaction open" status (psycopg.pq.TransactionStatus.IDLE).
_PG_IDLE = 0


def _duckdb_cursors(con: Any) -> ThreadConnections:
    def make() -> Any:
        cursor = con.cursor()
        for statement in _CURSOR_SETTINGS:
            cursor.execute(statement)
        return cursor
    return ThreadConnections(con, make, pooled=False)


def _postgres_connections(con: Any) -> ThreadConnections:
    """More connections like `con` (ibis's own), each set up as ibis sets up its own
    (`ibis.backends.postgres.Backend._post_connect`)."""
    def make() -> Any:
        import psycopg
        from ibis.backends.postgres import NatDumper

        fresh = psycopg.connect(**con.info.get_parameters(), password=con.info.password,
                                autocommit=con.autocommit)
        fresh.adapters.register_dumper(type(pd.NaT), NatDumper)
        with fresh.cursor() as cursor, fresh.transaction():
            cursor.execute("SET TIMEZONE = UTC")
        return fresh
    return ThreadConnections(con, make, pooled=True)


#: The settings ibis gives its DuckDB connection that hold for that connection alone, not
#: for its cursors (ibis.backends.duckdb.Backend._post_connect).
_CURSOR_SETTINGS = ("SET TimeZone = 'UTC'", "SET python_enable_replacements = false")


#: What an embedded DuckDB may hold in memory while the app serves it (DuckDB's own
#: default is 80% of the machine's RAM, which a 2 GB server cannot give it).
DUCKDB_MEMORY_ENV, DUCKDB_MEMORY = "WARLENS_DUCKDB_MEMORY", "512MB"


def engine_source(url: str, sources: tuple[str, ...] = ()) -> EngineSource:
    """An EngineSource for an engine URL (`warlens.engine.connect`); an embedded DuckDB
    is opened read-only and held to DUCKDB_MEMORY (or $WARLENS_DUCKDB_MEMORY)."""
    import os

    from warlens import engine

    scheme = engine.scheme_of(url)
    if scheme != "duckdb":
        con = engine.connect(url)
        if scheme == "postgres":
            con.con = _postgres_connections(con.con)
        return _current(EngineSource(con, sources), url)
    import ibis

    # Read-only: several app processes can then serve one file, and none can change it.
    path = url.split("://", 1)[1]
    if not path or path == ":memory:" or not os.path.exists(path):  # noqa: PTH110
        raise engine.EngineError(f"no DuckDB store at {path or '(none)'}: run `warlens "
                                 "build` first")
    con = ibis.duckdb.connect(path, read_only=True)
    limit = os.environ.get(DUCKDB_MEMORY_ENV) or DUCKDB_MEMORY
    if not limit.replace(" ", "").rstrip("KMGTkmgtiBb").replace(".", "").isdigit():
        raise engine.EngineError(f"{DUCKDB_MEMORY_ENV}={limit!r}: use a size like 512MB")
    con.raw_sql(f"SET memory_limit = '{limit}'")
    con.con = _duckdb_cursors(con.con)
    return _current(EngineSource(con, sources), url)


def _current(source: EngineSource, url: str) -> EngineSource:
    """`source`, if its tables hold every column this warlens reads; else EngineError
    saying to build the store again (a build makes an earlier version's store anew)."""
    from warlens import engine

    lacking = queries.outdated(source.tables)
    if lacking:
        table, columns = next(iter(lacking.items()))
        scheme = engine.scheme_of(url)
        # A server's URL may hold a password: only a DuckDB file is named.
        where = url.split("://", 1)[1] if scheme == "duckdb" else f"the {scheme} store"
        raise engine.EngineError(
            f"{where} was made by an earlier warlens (its {table} table has no "
            f"{', '.join(columns)}): run `warlens build` again, which makes it anew")
    return source

