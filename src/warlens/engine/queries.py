"""The pages' queries, written once in ibis: every engine answers them the same way.

A page never reads a whole table from an engine: each function here returns a small
pandas frame (or a count) with the columns the in-memory path gives, so `figures` and the
pages draw it unchanged. What a view keeps is the filters' predicates, each declared
beside its pandas mask in `warlens.query.FILTERS` (`FilterSpec.events_where` /
`claims_where`), so a new filter is still one entry.

Rows come in the corpus's own order (file, then line), so "the first 1,000 claims" are
the same claims in memory and in every engine. A capped table says how many rows there
were (`Rows.total`): nothing is dropped silently.
"""

from __future__ import annotations

import contextlib
import functools
import operator
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

import pandas as pd

from warlens import figures, query, stories
from warlens.engine import schema
from warlens.model import EVENT_TYPES, PROBLEM_COLUMNS, STANCES, Col
from warlens.query import TIMELINE_GROUP, Rows

if TYPE_CHECKING:
    import ibis.expr.types as ir
    from ibis.backends import BaseBackend

#: The corpus's row order in every table that has one.
ORDER = (Col.FILE, Col.LINE)
#: How many names a lazy vocabulary fetches at a time when a widget lists them.
NAMES_PAGE = 1_000


class Tables:
    """The corpus's tables in one engine, as ibis expressions; built once per connection."""

    def __init__(self, con: BaseBackend) -> None:
        self.con = con
        self._lock = threading.Lock()
        self._spellings: dict[tuple[str, str], dict[str, list[str]]] = {}

    def __repr__(self) -> str:
        return f"Tables({type(self.con).__module__.split('.')[-1]})"

    @cached_property
    def articles(self) -> ir.Table:
        """The articles table."""
        return self.con.table("articles")

    @cached_property
    def events(self) -> ir.Table:
        """The events table."""
        return self.con.table("events")

    @cached_property
    def claims(self) -> ir.Table:
        """The claims table."""
        return self.con.table("claims")

    @cached_property
    def places(self) -> ir.Table:
        """The places table (one row per place an article names)."""
        return self.con.table("places")

    @cached_property
    def problems(self) -> ir.Table:
        """The problems found in the data files."""
        return self.con.table("problems")

    @cached_property
    def stories(self) -> ir.Table:
        """One row per story (`warlens.stories.STORY_COLUMNS`)."""
        return self.con.table("stories")

    def spellings(self, table: str, column: str, wanted: Iterable[str]) -> list[str]:
        """Every spelling in `table.column` of these names, matched by casefold.

        A filter then compares the column with exact values (`IN (...)`), which an engine
        answers from its dictionary of distinct values, instead of lowering every row.
        Built from the column's distinct values once (place and country names are few).
        """
        key = (table, column)
        with self._lock:
            known = self._spellings.get(key)
        if known is None:
            known = {}
            for value in _distinct(_table(self, table)[column]):
                known.setdefault(value.casefold(), []).append(value)
            with self._lock:
                self._spellings[key] = known
        return sorted({v for w in wanted for v in known.get(w.casefold(), ())})

    @cached_property
    def summaries(self) -> frozenset[str]:
        """The summary tables a build left (`SUMMARIES`) that answer for the store as it
        is: none when the store changed since they were made (the stamp they keep is not
        the store's), or when they were never made (a store filled by other means)."""
        try:  # (not list_tables: ibis reads DuckDB's catalogue through a deprecated call)
            for name in SUMMARIES:
                self.con.table(name)
        except Exception:  # whatever the engine raises for a missing table
            return frozenset()
        kept = self.con.table(SUMMARY_OPEN).select(*_STAMP).to_pandas()
        if len(kept) != 1 or tuple(str(kept[c].iloc[0]) for c in _STAMP) != \
                _padded(build_stamp(self)):
            return frozenset()
        return frozenset(SUMMARIES)

    @cached_property
    def _events_of(self) -> dict[str, int]:
        """How many events each summarised name holds (casefolded; "" all of them)."""
        counts = self.con.table(SUMMARY_COUNTS).select(SUMMARY_KEY, "events").to_pandas()
        held: dict[str, int] = {}
        for key, n in zip(counts[SUMMARY_KEY], counts["events"], strict=True):
            name = str(key).casefold()
            held[name] = held.get(name, 0) + _whole(n)
        return held

    def placed_for(self, filters: query.Filters) -> dict[str, ir.Table]:
        """The tables in place order for a view filtered by place, when the store keeps
        them, and the view has another filter or its places hold a small part of the
        events (PLACED_BELOW; a namesake's label, which no summary keys, counts as
        small); else none."""
        places = filters.places
        if not self.placed or not places:
            return {}
        if filters.without_selection() != query.Filters(places=places):
            return self.placed
        held = self._events_of
        share = sum(held.get(p.casefold(), 0) for p in places) / max(held.get("", 0), 1)
        return self.placed if share <= PLACED_BELOW else {}

    @cached_property
    def placed(self) -> dict[str, ir.Table]:
        """The events and claims in place order (PLACED; DuckDB only), when the summaries
        made with them answer for the store; else none."""
        if not self.summaries or self.con.name != "duckdb":
            return {}
        try:
            return {name: self.con.table(copy) for name, copy in PLACED.items()}
        except Exception:  # a store summarised before they were made
            return {}

    @cached_property
    def names(self) -> pd.DataFrame:
        """The store's short vocabularies (`names_frame`): read from the names summary
        that every build leaves, else worked out from the tables (seconds on
        PostgreSQL at 100,000 articles: four tables' distinct values and the namesakes)."""
        with self._lock:  # built once even when two sessions open together
            if SUMMARY_NAMES in self.summaries:
                return self.con.table(SUMMARY_NAMES).to_pandas()
            return names_frame(self)

    def names_of(self, kind: str) -> list[str]:
        """The names of one kind (NAME_KINDS but "namesake"), in the order kept."""
        names = self.names
        return [str(v) for v in names.loc[names[NAME_KIND] == kind, NAME]]

    @cached_property
    def within(self) -> frozenset[tuple[str, str]]:
        """The (place name, country name) pairs of SUMMARY_WITHIN: rows under both names."""
        if SUMMARY_WITHIN not in self.summaries:
            return frozenset()
        kept = self.con.table(SUMMARY_WITHIN).to_pandas()
        return frozenset(zip(kept[Col.PLACE_NAME].astype(str),
                             kept[Col.COUNTRY_NAME].astype(str), strict=True))

    @cached_property
    def split(self) -> frozenset[tuple[str, str]]:
        """The pairs of names of SUMMARY_SPLIT: an event's sided claims under both."""
        if SUMMARY_SPLIT not in self.summaries:
            return frozenset()
        kept = self.con.table(SUMMARY_SPLIT).to_pandas()
        return frozenset(zip(kept["_a"].astype(str), kept["_b"].astype(str), strict=True))

    @cached_property
    def set_names(self) -> frozenset[str]:
        """The names SUMMARY_SETS covers (the country names; none holding a SET_MARK)."""
        if SUMMARY_SETS not in self.summaries:
            return frozenset()
        t = self.con.table(SUMMARY_SETS)
        kept = t.filter(t._by == "name").select("_names").to_pandas()["_names"].astype(str)
        return frozenset(n[1:-1] for n in kept if SET_MARK not in n[1:-1])

    @cached_property
    def namesakes(self) -> dict[tuple[str, float, float], str]:
        """(casefolded name, lat, lon rounded to 0.01) -> "Ivanivka (Donetsk Oblast)".

        The same labels `query.namesake_labels` gives in memory, worked out from the
        distinct spots of the places table (one row each, its first in corpus order), so
        the engine never sends every place row.
        """
        names = self.names
        kept = names[names[NAME_KIND] == "namesake"]
        return {(str(r[NAME]), float(r[Col.LAT]), float(r[Col.LON])): str(r[NAME_LABEL])
                for r in kept.to_dict("records")}


def _table(tables: Tables, name: str) -> ir.Table:
    return getattr(tables, name)


def _namesake_spots(tables: Tables) -> dict[tuple[str, float, float], str]:
    import ibis

    p = tables.places
    located = p.filter(p[Col.LAT].notnull() & p[Col.PLACE_NAME].notnull()).mutate(
        _name=p[Col.PLACE_NAME].lower(), _lat=p[Col.LAT].round(2), _lon=p[Col.LON].round(2))
    # Only names found at two spots or more can have namesakes: found by grouping, so
    # the rows of every other name are never ranked.
    spots = located.select("_name", "_lat", "_lon").distinct()
    multi = spots.group_by("_name").aggregate(_n=spots.count()).filter(lambda t: t._n > 1)
    candidates = located.semi_join(multi, "_name")
    ranked = candidates.mutate(_spot_rank=ibis.row_number().over(
        group_by=[candidates._name, candidates._lat, candidates._lon],
        order_by=[candidates[c] for c in ORDER]))
    rows = (ranked.filter(ranked._spot_rank == 0)
            .select(Col.PLACE_NAME, Col.LAT, Col.LON, Col.ADMIN1, Col.COUNTRY, *ORDER)
            .order_by(list(ORDER)).to_pandas())
    if rows.empty:
        return {}
    rows[Col.KEY] = [f"spot{i}" for i in range(len(rows))]
    labels = query._namesakes(rows)
    return {(str(r[Col.PLACE_NAME]).casefold(), round(float(r[Col.LAT]), 2),
             round(float(r[Col.LON]), 2)): labels[r[Col.KEY]]
            for r in rows.to_dict("records") if r[Col.KEY] in labels}


# --- summaries ------------------------------------------------------------------------------

#: Summary tables `engine.build.refresh_summaries` makes after every build, so that the
#: views a reader opens first, and the map of any place, are read rather than worked out
#: from millions of rows: the open view's counts (one row, with the build stamp they are
#: true for), its timeline counts and publication dates, and the events counted per spot
#: (place name, country, coordinates), precision and type.
SUMMARY_OPEN, SUMMARY_TIMELINE, SUMMARY_PUBLICATIONS, SUMMARY_SPOTS, SUMMARY_NAMES = (
    "_summary_open", "_summary_timeline", "_summary_publications", "_summary_spots",
    "_summary_names")
SUMMARY_COUNTS, SUMMARY_STORIES, SUMMARY_PAIRS, SUMMARY_ARTICLES, SUMMARY_SIDES = (
    "_summary_counts", "_summary_stories", "_summary_pairs", "_summary_articles",
    "_summary_sides")
#: Every (name, article) of the one-place views, with the article's events and claims
#: there (`_events`, `_claims`) and its publication dates: what the counts and the newest
#: articles of each name are worked out from, and what a view of several places counts
#: its distinct articles, and their publication dates, in.
SUMMARY_CITED = "_summary_cited"
#: Each (place name, country name) pair, the place not named as its country, that an
#: event or claim is found under: its rows sit under both names, so a view of both is
#: not the sum of their summaries (`_nested`).
SUMMARY_WITHIN = "_summary_within"
#: The first undated events of each view (SUMMARY_UNDATED_TOP, corpus order), with the
#: columns the timeline lists them by (UNDATED_KEPT): a town's first undated events were
#: a scan of every event's file and line for a top-N sort (100-190 ms at 1M).
SUMMARY_UNDATED = "_summary_undated"
SUMMARY_UNDATED_TOP = 1_000
UNDATED_KEPT = (Col.KEY, Col.SUMMARY, Col.PLACE_NAME, Col.DATE_TEXT, Col.ARTICLE, Col.FILE,
                Col.LINE)
#: Each two names (`_a` < `_b`) a contested event's asserting and denying claims are found
#: under: a view of both may pair claims neither name's summary pairs (`_pairs_apart`).
SUMMARY_SPLIT = "_summary_split"
#: Each set of country names an article is found under (`_names`, each name between two
#: SET_MARKs), by its events and claims (`_by` "cited") or its events alone ("events"),
#: with its publication dates and how many articles (`n`) share both; and a row per
#: country name it covers (`_by` "name", n 0). A view of several countries counts its
#: distinct articles, and their publication dates, in a few thousand rows: among two
#: countries' 1.7M (name, article) rows at 1M articles it took 113 ms. Articles cite few
#: countries each, so the sets are few; towns are left to SUMMARY_CITED, whose rows per
#: town are few.
SUMMARY_SETS = "_summary_sets"
SET_MARK = "\x1f"
SUMMARIES = (SUMMARY_CITED, SUMMARY_WITHIN, SUMMARY_UNDATED, SUMMARY_SPLIT, SUMMARY_SETS,
             SUMMARY_COUNTS,
             SUMMARY_STORIES, SUMMARY_PAIRS, SUMMARY_ARTICLES, SUMMARY_SIDES, SUMMARY_TIMELINE,
             SUMMARY_PUBLICATIONS, SUMMARY_SPOTS, SUMMARY_NAMES, SUMMARY_OPEN)
#: Which view a row of a keyed summary (counts, timeline, publication dates, stories)
#: answers for: "" the open view; else the one place or country name a view is filtered
#: by, as the store spells it. A place is the filter readers reach for first, and at a
#: million articles one country is most of them: its view is read, not worked out.
SUMMARY_KEY = "_key"
#: The keyed summaries (`engine.schema.INDEXED` indexes their key on PostgreSQL).
SUMMARIES_KEYED = (SUMMARY_CITED, SUMMARY_UNDATED, SUMMARY_COUNTS, SUMMARY_STORIES, SUMMARY_PAIRS,
                   SUMMARY_ARTICLES, SUMMARY_TIMELINE, SUMMARY_PUBLICATIONS)
#: The article columns the articles summary leaves out: long texts no list shows.
_NOT_SUMMARISED = frozenset({Col.TEXT, Col.NOTES})
#: How many articles of each view the articles summary keeps, the newest first: the
#: Overview's list (`limits.table_rows`, 1,000 unless a deployment sets more; a longer
#: list is worked out from the tables).
SUMMARY_ARTICLES_TOP = 1_000
#: The names summary's columns: what kind of name (NAME_KINDS), the name, and for a
#: namesake its spot and label.
NAME_KIND, NAME, NAME_LABEL = "kind", "name", "label"
NAMES_SCHEMA = {NAME_KIND: "string", NAME: "string", Col.LAT: "float64",
                Col.LON: "float64", NAME_LABEL: "string"}
#: The short vocabularies the names summary keeps: the places table's place and country
#: names, the namesakes' spots and labels, every actor and claimant, every outlet.
NAME_KINDS = ("place", "country", "namesake", "actor", "outlet")
#: The build stamp a summary is true for (`build_stamp`: files, bytes, modification times).
_STAMP = ("_stamp_files", "_stamp_bytes", "_stamp_mtimes")
#: What the spots summary counts events by: the map's place and type, and the country a
#: place filter may name.
SPOT_GROUP = (Col.LAT, Col.LON, Col.PLACE_NAME, Col.PRECISION, Col.TYPE, Col.COUNTRY_NAME)


#: Which way of summarising made a summary: raised when what a summary holds changes
#: (2: places counted by name and spot; 3: the names summary; 4: the views of one place
#: or country, keyed; 5: each name's articles and the names nested in others kept, for
#: views of several places; 6: the sets of countries articles are found under; 7: the
#: events and claims in place order, on DuckDB), so that a store summarised by older code
#: is answered live until its next build.
SUMMARY_VERSION = 7
#: The events and claims tables again, in place order (`PLACE_ORDER`), which a view
#: filtered by place reads on DuckDB (`Tables.placed`): DuckDB then skips the row groups
#: of every other place. The tables themselves stay in the order they were written (a
#: file's rows together), which look-ups by article need for the same skipping. Made
#: with the summaries, so they are as old as the stamp those keep.
PLACED = {"events": "_placed_events", "claims": "_placed_claims"}
PLACE_ORDER = (Col.COUNTRY_NAME, Col.PLACE_NAME, Col.FILE, Col.LINE)
#: Up to what part of all events a view's places may hold for it to read the tables in
#: place order when it is filtered by place alone. Such a broad view (a country is a
#: fifth of the synthetic corpus) is answered by the summaries but for its first rows in
#: corpus order, which the tables themselves give sooner: their rows lie in file order,
#: so DuckDB skips most row groups (the first claims of two countries at 1M articles:
#: 33-43 ms in file order, 77 ms in place order). A place with another filter reads the
#: copy however broad (a country's events of one type: the Overview 394-423 ms from the
#: tables, 267-292 from the copy).
PLACED_BELOW = 0.05


def _padded(stamp: tuple[int, ...]) -> tuple[str, ...]:
    """A build stamp as the summaries keep it: as text (a sum of modification times in
    nanoseconds outgrows a 64-bit whole number), three values whatever the store, the
    first marked with SUMMARY_VERSION."""
    files, *rest = (str(v) for v in (*stamp, 0, 0, 0)[:len(_STAMP)])
    return (f"v{SUMMARY_VERSION}:{files}", *rest)


def summary_stages(tables: Tables, *, placed: bool = True) -> dict[str, ir.Table]:
    """The summaries other summaries are made from (`summary_expressions` reads them), as
    the queries that make them: made first. Each name's articles (SUMMARY_CITED): two
    summaries count from it (grouping 16M rows by name and article took 10 s at 1M), and
    a view of several places counts its articles in it. With `placed` False, not the
    place-ordered copies (a build that changed few rows patches them)."""
    placed = ({copy: _table(tables, name).order_by(list(PLACE_ORDER))
               for name, copy in PLACED.items()}
              if placed and tables.con.name == "duckdb" else {})
    # DuckDB reads a key's row groups alone
    return {SUMMARY_CITED: cited_rows(tables).order_by(SUMMARY_KEY), **placed}


def cited_rows(tables: Tables, articles: ir.Table | None = None) -> ir.Table:
    """SUMMARY_CITED's rows: each name's articles, with their events and claims there and
    their publication dates. Of the articles in table `articles` (column Col.ARTICLE)
    alone, when given: a row depends on its article's rows only, so an edit's articles
    are made again on their own (`build._patch_cited`)."""
    key = SUMMARY_KEY

    def only(t: ir.Table) -> ir.Table:
        return t if articles is None else t.semi_join(articles, Col.ARTICLE)

    cited = (_by_name(only(tables.events), [Col.ARTICLE]).mutate(_e=1, _c=0)
             .union(_by_name(only(tables.claims), [Col.ARTICLE]).mutate(_e=0, _c=1),
                    distinct=False))
    grouped = cited.group_by([key, Col.ARTICLE]).aggregate(_events=cited._e.sum(),
                                                           _claims=cited._c.sum())
    # with the article's publication dates, which the timeline counts a view's articles by
    a = only(tables.articles).select(Col.ARTICLE, *figures.TIMELINE_PUBLICATION_COLUMNS)
    return grouped.left_join(a, Col.ARTICLE).select(
        key, Col.ARTICLE, "_events", "_claims", *figures.TIMELINE_PUBLICATION_COLUMNS)


def summary_expressions(tables: Tables) -> dict[str, ir.Table]:
    """Each summary table as the query that makes it (run by a build on the store, once
    the `summary_stages` are made)."""
    import ibis

    stamp = _padded(build_stamp(tables))
    opened = query.Filters()
    counts = _view_counts_expr(tables, opened).mutate(
        **{c: ibis.literal(v, type="string") for c, v in zip(_STAMP, stamp, strict=True)})
    e = tables.events
    spots = e.group_by(list(SPOT_GROUP)).aggregate(**{
        figures.COUNT: e.count(), Col.SUMMARY: e[Col.SUMMARY].argmin(e[Col.FILE]),
        "_file": e[Col.FILE].min()})
    # The open view's counts last: they carry the stamp, so a refresh stopped half-way
    # leaves summaries that are not read.
    return {SUMMARY_COUNTS: _counts_by_name(tables),
            SUMMARY_STORIES: _stories_by_name(tables),
            SUMMARY_ARTICLES: _newest_by_name(tables), SUMMARY_SIDES: _sides_expr(tables),
            SUMMARY_PAIRS: _keyed(_first_pairs(_sided(tables.claims)),
                                  _first_pairs(_sided(_by_name(tables.claims, _PAIRED)),
                                               SUMMARY_KEY)),
            SUMMARY_TIMELINE: _keyed(_timeline_groups_expr(tables, opened),
                                     _timeline_by_name(tables)),
            SUMMARY_PUBLICATIONS: _keyed(_publication_dates_expr(tables, opened),
                                         _publications_by_name(tables)),
            SUMMARY_SPOTS: spots, SUMMARY_NAMES: summary_names(tables),
            SUMMARY_WITHIN: _within_expr(tables), SUMMARY_UNDATED: _undated_by_name(tables),
            SUMMARY_SPLIT: _split_expr(tables), SUMMARY_SETS: _sets_expr(tables),
            SUMMARY_OPEN: counts}


def made_by_this_code(con: BaseBackend) -> bool:
    """Whether the store holds every summary, and the open view's counts, which a refresh
    writes last, were written by this code (SUMMARY_VERSION): the summaries were made
    whole by it, whatever build stamp they are true for."""
    try:  # (not list_tables, as in `Tables.summaries`)
        for name in SUMMARIES:
            con.table(name)
    except Exception:  # whatever the engine raises for a missing table
        return False
    kept = con.table(SUMMARY_OPEN).select(_STAMP[0]).to_pandas()
    return len(kept) == 1 and str(kept.iloc[0, 0]).startswith(f"v{SUMMARY_VERSION}:")


def restamped_open(tables: Tables) -> ir.Table:
    """SUMMARY_OPEN as it is, with the store's build stamp as it is now
    (`build.restamp_summaries`: a build that changed no row)."""
    import ibis

    stamp = _padded(build_stamp(tables))
    return tables.con.table(SUMMARY_OPEN).mutate(
        **{c: ibis.literal(v, type="string") for c, v in zip(_STAMP, stamp, strict=True)})


def _sets_expr(tables: Tables) -> ir.Table:
    """SUMMARY_SETS, from SUMMARY_CITED (a summary stage)."""
    import ibis

    e, c = tables.events, tables.claims
    names = (e.select(_name=e[Col.COUNTRY_NAME])
             .union(c.select(_name=c[Col.COUNTRY_NAME]), distinct=True))
    names = names.filter(names._name.notnull() & (names._name != ""))
    cited = tables.con.table(SUMMARY_CITED)
    countries = cited.semi_join(names, cited[SUMMARY_KEY] == names._name)
    dates = list(figures.TIMELINE_PUBLICATION_COLUMNS)

    def sets(rows: ir.Table, by: str) -> ir.Table:
        # collected, then sorted (Spark orders no string aggregate)
        per = rows.group_by([Col.ARTICLE, *dates]).aggregate(_names=rows[SUMMARY_KEY].collect())
        per = per.mutate(_names=SET_MARK + per._names.sort().join(SET_MARK) + SET_MARK)
        return per.group_by(["_names", *dates]).aggregate(n=per.count()).select(
            "_names", *dates, n=lambda t: t.n.cast("int64"), _by=ibis.literal(by))
    marks = names.select(
        _names=SET_MARK + names._name + SET_MARK,
        **{d: ibis.null().cast(cited[d].type()) for d in dates},
        n=ibis.literal(0, type="int64"), _by=ibis.literal("name"))
    return (sets(countries, "cited")
            .union(sets(countries.filter(countries._events > 0), "events"), distinct=False)
            .union(marks, distinct=False))


def _in_sets(tables: Tables, keys: Sequence[str], by: str) -> ir.Table | None:
    """SUMMARY_SETS's rows (`by` "cited" or "events") holding any of these names, when
    the summary covers every one of them (country names); None otherwise."""
    if SUMMARY_SETS not in tables.summaries or not set(keys) <= tables.set_names:
        return None
    t = tables.con.table(SUMMARY_SETS)
    hit = functools.reduce(operator.or_, [t._names.contains(SET_MARK + k + SET_MARK)
                                          for k in keys])
    return t.filter((t._by == by) & hit)


def _split_expr(tables: Tables) -> ir.Table:
    """SUMMARY_SPLIT: the names a contested event's sided claims are found under, two by
    two."""
    sided = _by_name(_sided(tables.claims), [Col.EVENT]).distinct()
    other = sided.view().select(_event=Col.EVENT, _b=SUMMARY_KEY)
    both = sided.join(other, [sided[Col.EVENT] == other._event,
                              sided[SUMMARY_KEY] < other._b])
    return both.select(_a=both[SUMMARY_KEY], _b=both._b).distinct()


def _undated_of(events: ir.Table) -> ir.Table:
    """The undated events of these (what the timeline lists apart)."""
    return events.filter(events[Col.START].isnull()
                         | (events[Col.DATE_PRECISION].fill_null("") == "undated"))


def _undated_by_name(tables: Tables) -> ir.Table:
    """SUMMARY_UNDATED: the first SUMMARY_UNDATED_TOP undated events of the open view
    (key "") and of each one-place view, in corpus order."""
    import ibis

    undated = _undated_of(tables.events)
    kept = list(UNDATED_KEPT)
    opened = undated.select(**{SUMMARY_KEY: ibis.literal("", type="string")},
                            **{c: undated[c] for c in kept})
    both = opened.union(_by_name(undated, kept), distinct=False)
    ranked = both.mutate(_n=ibis.row_number().over(group_by=both[SUMMARY_KEY],
                                                    order_by=[both[c] for c in ORDER]))
    return (ranked.filter(ranked._n < SUMMARY_UNDATED_TOP).drop("_n")
            .order_by([SUMMARY_KEY, *ORDER]))


def _within_expr(tables: Tables) -> ir.Table:
    """SUMMARY_WITHIN: the (place, country) names a row of events or claims is found under
    both (`_by_name`)."""
    def nested(t: ir.Table) -> ir.Table:
        place, country = t[Col.PLACE_NAME], t[Col.COUNTRY_NAME]
        return t.filter(place.notnull() & (place != "") & country.notnull()
                        & (country != "") & (place != country)).select(
            **{Col.PLACE_NAME: place, Col.COUNTRY_NAME: country})
    return nested(tables.events).union(nested(tables.claims), distinct=True)


def _by_name(t: ir.Table, columns: Sequence[str]) -> ir.Table:
    """These columns of each row of an events or claims table, once under every name a
    one-place view finds the row by (SUMMARY_KEY): its place's name, and its country's
    when that is another name (a view of Ukraine holds Bakhmut's events; `_places_where`)."""
    place, country = t[Col.PLACE_NAME], t[Col.COUNTRY_NAME]
    by_place = t.filter(place.notnull() & (place != "")).select(
        **{SUMMARY_KEY: place}, **{c: t[c] for c in columns})
    by_country = t.filter(country.notnull() & (country != "")
                          & (place.isnull() | (place != country))).select(
        **{SUMMARY_KEY: country}, **{c: t[c] for c in columns})
    return by_place.union(by_country, distinct=False)


def _keyed(opened: ir.Table, by_name: ir.Table) -> ir.Table:
    """The open view's rows (key "") and the one-place views' rows in one table, in
    key order (DuckDB then reads one key's row groups alone)."""
    import ibis

    columns = [c for c in by_name.columns if c != SUMMARY_KEY]
    opened = opened.select(**{SUMMARY_KEY: ibis.literal("", type="string")},
                           **{c: opened[c] for c in columns})
    both = opened.union(by_name.select(SUMMARY_KEY, *columns), distinct=False)
    return both.order_by(SUMMARY_KEY)


def _counts_by_name(tables: Tables) -> ir.Table:
    """`_view_counts_expr` for every one-place view at once, a row per name, and the
    open view's ("")."""
    key = SUMMARY_KEY
    e = _by_name(tables.events, [Col.ARTICLE, Col.CONTESTED, *query.PLACE_SPOT])
    c = _by_name(tables.claims, [Col.ARTICLE])
    events = e.group_by(key).aggregate(
        events=e.count(), contested=e[Col.CONTESTED].fill_null(False).ifelse(1, 0).sum())
    named = e.filter(e[Col.PLACE_NAME].notnull() & (e[Col.PLACE_NAME] != ""))
    spots = named.select(key, *query.PLACE_SPOT).distinct()
    places = spots.group_by(key).aggregate(places=spots.count())
    claims = c.group_by(key).aggregate(claims=c.count())
    # Every event and claim names its article, so each name has a row here.
    cited = tables.con.table(SUMMARY_CITED)
    articles = cited.group_by(key).aggregate(articles=cited.count())
    joined = articles
    for part in (events, places, claims):
        joined = joined.left_join(part, key).select(
            key, *[n for n in joined.columns if n != key],
            *[part[n] for n in part.columns if n != key])
    whole = {n: joined[n].fill_null(0).cast("int64") for n in
             ("events", "contested", "places", "claims", "articles")}
    return _keyed(_view_counts_expr(tables, query.Filters()),
                  joined.select(key, **whole))


def _timeline_by_name(tables: Tables) -> ir.Table:
    e = _by_name(tables.events, list(TIMELINE_GROUP))
    return e.group_by([SUMMARY_KEY, *TIMELINE_GROUP]).aggregate(**{figures.COUNT: e.count()})


def _publications_by_name(tables: Tables) -> ir.Table:
    cited = _by_name(tables.events, [Col.ARTICLE]).distinct()
    a = tables.articles
    dated = a.filter(a[Col.PUBLISHED_START].notnull()).select(
        Col.ARTICLE, *figures.TIMELINE_PUBLICATION_COLUMNS)
    both = cited.join(dated, Col.ARTICLE)
    return both.group_by([SUMMARY_KEY, *figures.TIMELINE_PUBLICATION_COLUMNS]).aggregate(
        **{figures.COUNT: both.count()})


def _newest_by_name(tables: Tables) -> ir.Table:
    """The newest SUMMARY_ARTICLES_TOP articles of each one-place view, and of the open
    view (every article, cited or not), each with its rank in `articles_in_view`'s
    order (`_rank`, from 0) and how many events and claims it has in that view."""
    import ibis

    key = SUMMARY_KEY
    named = tables.con.table(SUMMARY_CITED)
    e, c = tables.events, tables.claims
    per = (e.select(Col.ARTICLE, _e=ibis.literal(1), _c=ibis.literal(0))
           .union(c.select(Col.ARTICLE, _e=ibis.literal(0), _c=ibis.literal(1)),
                  distinct=False))
    per = per.group_by(Col.ARTICLE).aggregate(_events=per._e.sum(), _claims=per._c.sum())
    a = tables.articles
    # Ranked on the three columns of the order alone (sorting every article's title and
    # address with it took 20 s at 2M ACLED rows), the rest joined to the few kept.
    order = a.select(Col.ARTICLE, Col.PUBLISHED_START, Col.FILE)
    opened = order.left_join(per, Col.ARTICLE).select(
        **{key: ibis.literal("", type="string")}, **{c: order[c] for c in order.columns},
        _events=per._events.fill_null(0), _claims=per._claims.fill_null(0))
    both = opened.union(named.join(order, Col.ARTICLE).select(*opened.columns),
                        distinct=False)
    # Only the newest days that hold SUMMARY_ARTICLES_TOP of a view's articles are ranked
    # (as `_newest_prefix` probes): a view with fewer dated articles keeps every row.
    days = both.group_by([key, Col.PUBLISHED_START]).aggregate(_n=both.count())
    days = days.mutate(_newer=days._n.sum().over(ibis.window(
        group_by=days[key], order_by=ibis.desc(days[Col.PUBLISHED_START]), rows=(None, 0))))
    since = days.filter(days._newer >= SUMMARY_ARTICLES_TOP).group_by(key).aggregate(
        _since=days[Col.PUBLISHED_START].max())
    both = both.left_join(since, key).filter(
        lambda t: t._since.isnull() | (t[Col.PUBLISHED_START] >= t._since)).select(
        *opened.columns)
    ranked = both.mutate(_rank=ibis.row_number().over(
        group_by=both[key], order_by=[ibis.desc(both[Col.PUBLISHED_START]),
                                      both[Col.FILE], both[Col.ARTICLE]]))
    kept = ranked.filter(ranked._rank < SUMMARY_ARTICLES_TOP).select(
        key, "_rank", "_events", "_claims", Col.ARTICLE)
    shown = a.select(*[c for c in a.columns if c not in _NOT_SUMMARISED])
    return (kept.join(shown, Col.ARTICLE)
            .select(key, "_rank", "_events", "_claims", *shown.columns)
            .order_by([key, "_rank"]))


def _stories_by_name(tables: Tables) -> ir.Table:
    """The stories each one-place view holds, every column of each (`_stories_linked`
    then reads a view's stories from here alone, in the pages' order)."""
    e = _by_name(tables.events, [Col.STORY])
    told = e.filter(e[Col.STORY].notnull() & (e[Col.STORY] != "")).distinct()
    s = tables.stories.select(*stories.STORY_COLUMNS)
    return told.join(s, Col.STORY).select(SUMMARY_KEY, *stories.STORY_COLUMNS).order_by(
        SUMMARY_KEY)


def _summary_keys(tables: Tables, filters: query.Filters) -> tuple[str, ...] | None:
    """The keys (SUMMARY_KEY) whose summaries together answer for this view: ("",) for
    the open view, a name for each place or country of a view filtered by place alone.

    None for any other view, a name spelled two ways in the store, a namesake's label,
    a store without summaries, and places one of which holds another's rows (a town and
    its country: the town's events are under both names, and would count twice).
    """
    if SUMMARY_OPEN not in tables.summaries:
        return None
    if filters == query.Filters():
        return ("",)
    if not filters.places or filters != query.Filters(places=filters.places):
        return None
    keys: list[str] = []
    for place in filters.places:
        wanted = place.casefold()
        if any(label.casefold() == wanted for label in tables.namesakes.values()):
            return None
        spelled = {s for table in ("events", "claims")
                   for column in (Col.PLACE_NAME, Col.COUNTRY_NAME)
                   for s in tables.spellings(table, column, [wanted])}
        if len(spelled) != 1:
            return None
        keys.append(spelled.pop())
    unique = tuple(dict.fromkeys(keys))
    return None if _nested(tables, unique) else unique


def _nested(tables: Tables, keys: Sequence[str]) -> bool:
    """Whether a row of events or claims is under two of these keys (a place and the
    country it is in, SUMMARY_WITHIN)."""
    if len(keys) < 2:
        return False
    named = set(keys)
    return any(place in named and country in named for place, country in tables.within)


def _summary(tables: Tables, name: str, key: str | Sequence[str]) -> ir.Table:
    """A keyed summary's rows for one view (a key), or for each of several (keys: the key
    kept, to be added up by it), without the key for one."""
    t = tables.con.table(name)
    if isinstance(key, str):
        return t.filter(t[SUMMARY_KEY] == key).drop(SUMMARY_KEY)
    return t.filter(t[SUMMARY_KEY].isin(list(key)))


class _Spots:
    """The spots summary where a place filter looks for the events table: the filter's
    own predicate (`query.FILTERS`) then reads it, with the store's spellings."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables
        self.events = tables.con.table(SUMMARY_SPOTS)

    def spellings(self, table: str, column: str, wanted: Iterable[str]) -> list[str]:
        return self.tables.spellings(table, column, wanted)

    @property
    def namesakes(self) -> dict[tuple[str, float, float], str]:
        return self.tables.namesakes


def _spots_in_view(tables: Tables, filters: query.Filters) -> ir.Table | None:
    """The spots summary's rows in a view that filters by place alone (or not at all);
    None for any other view, or a store without summaries."""
    if SUMMARY_SPOTS not in tables.summaries or \
            filters != query.Filters(places=filters.places):
        return None
    spots = _Spots(tables)
    if not filters.places:
        return spots.events
    spec = next(s for s in query.FILTERS if s.field == "places")
    return spots.events.filter(spec.events_where(spots, filters.places))


# --- filters --------------------------------------------------------------------------------


class _Placed:
    """The tables as a view filtered by place reads them: the events and claims in place
    order (`Tables.placed`), everything else as it is. The filters' predicates are built
    on its tables, so they name the copies' columns."""

    def __init__(self, tables: Tables, placed: dict[str, ir.Table]) -> None:
        self.tables = tables
        self.events, self.claims = placed["events"], placed["claims"]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.tables, name)


def where(tables: Tables, name: str, filters: query.Filters) -> ir.Table:
    """Table `name` ("events" or "claims") restricted to the view: every filter's predicate.
    A view of a few places reads the table in place order where the store keeps it
    (`Tables.placed_for`; the Overview of a town's season at 1M articles: 347-371 ms
    to 209-214)."""
    placed = tables.placed_for(filters)
    source: Any = _Placed(tables, placed) if placed else tables
    table = _table(source, name)
    predicates = []
    for spec in query.FILTERS:
        build = getattr(spec, f"{name}_where")
        value = getattr(filters, spec.field)
        if build is not None and value not in (None, (), "", False):
            predicates.append(build(source, value))
    return table.filter(*predicates) if predicates else table


def count(expr: ir.Table) -> int:
    """How many rows an expression holds."""
    return int(expr.count().to_pyarrow().as_py())


def rows(tables: Tables, name: str, filters: query.Filters, columns: Sequence[str],
         limit: int | None = None, total: int | None = None) -> Rows:
    """These columns of the first `limit` rows (all when None) of a table in view, in
    corpus order, with how many rows the view holds (`total` when the caller knows it)."""
    table = where(tables, name, filters)
    head = table.order_by(list(ORDER)).select(*columns)
    if limit is not None:
        head = head.limit(limit)
    frame = head.to_pandas()
    if limit is None or len(frame) < limit:
        total = len(frame)
    elif total is None:
        total = count(table)
    return Rows(frame, total)


def by_key(tables: Tables, name: str, key: str, columns: Sequence[str] | None = None
           ) -> pd.Series | None:
    """The row of table `name` with this key (an event or a claim), or None."""
    table = _table(tables, name)
    hit = table.filter(table[Col.KEY] == key)
    if columns is not None:
        hit = hit.select(*columns)
    frame = hit.limit(1).to_pandas()
    return None if frame.empty else frame.iloc[0]


# --- counts ---------------------------------------------------------------------------------


def headline_counts(tables: Tables) -> dict[str, int]:
    """`Corpus.counts()`: the corpus's headline numbers, from the engine."""
    a, e, c, p, s = (tables.articles, tables.events, tables.claims, tables.places,
                     tables.stories)
    drafts = sum(int(t[Col.DRAFT].sum().fill_null(0).to_pyarrow().as_py() or 0)
                 for t in (a, e, c, p))
    return {
        "articles": count(a),
        "outlets": int(a[Col.OUTLET].nunique().to_pyarrow().as_py()),
        "events": count(e),
        "claims": count(c),
        "places": count(p),
        "contested": count(e.filter(e[Col.CONTESTED])),
        "stories": count(s),
        "stories_multi_outlet": count(s.filter(s[stories.N_OUTLETS] >= 2)),
        "stories_contested": count(s.filter(s[Col.CONTESTED])),
        "drafts": drafts,
    }


def _open_articles(tables: Tables, filters: query.Filters) -> ir.Table | None:
    """The articles in an open view (no filter, or articles named), every one of them
    whether it reports anything or not, as in memory; None for any other view."""
    a = tables.articles
    if filters.without_selection() in (query.Filters(),
                                       query.Filters(articles=filters.articles)):
        return a.filter(a[Col.ARTICLE].isin(filters.articles)) if filters.articles else a
    return None


def _articles_shown(tables: Tables, filters: query.Filters) -> ir.Table:
    """The rows of the articles table a view shows: in an open view every article (named),
    else those with an event or claim in view."""
    opened = _open_articles(tables, filters)
    if opened is not None:
        return opened
    events = where(tables, "events", filters).select(Col.ARTICLE)
    claims = where(tables, "claims", filters).select(Col.ARTICLE)
    # A semi-join takes each article once: the ids are not made distinct first (that
    # would be a second hash of a million strings).
    return tables.articles.semi_join(events.union(claims, distinct=False), Col.ARTICLE)


def _whole(value: object) -> int:
    """A count from an aggregate: an empty view's SUM is NULL (NaN once in pandas) on
    some engines, and means none."""
    return 0 if pd.isna(value) else int(value)


def _view_counts_expr(tables: Tables, filters: query.Filters) -> ir.Table:
    """One row: the articles, events, claims, places and contested events in view.

    The events are read once for their three figures (places counted as distinct spots,
    `query.PLACE_SPOT`, in the same pass), and the articles are the distinct ids the
    view's events and claims cite. Two places at 1,000,000 articles: 385 -> 232 ms for
    two towns, 898 -> 622 ms for two countries, against a scan of the events for each
    figure and a semi-join with the articles."""
    import ibis

    events = where(tables, "events", filters)
    claims = where(tables, "claims", filters)
    place = events[Col.PLACE_NAME]
    spot = ibis.struct({c: events[c] for c in query.PLACE_SPOT})
    # The events and the claims in view, each read once: one column of rows of both,
    # whose figures are worked out together (the articles are the ids either cites).
    # Asked apart, the events and claims were each read twice (a town's season at 1M
    # articles: 88 ms against 50).
    both = events.select(
        _event=ibis.literal(1), _contested=events[Col.CONTESTED].fill_null(False).ifelse(1, 0),
        _spot=(place.notnull() & (place != "")).ifelse(spot, ibis.null()),
        _article=events[Col.ARTICLE],
    ).union(claims.select(
        _event=ibis.literal(0), _contested=ibis.literal(0),
        # no spot, of the events' type (a typed null is not portable: PostgreSQL has no
        # STRUCT to cast to)
        _spot=ibis.literal(False).ifelse(
            ibis.struct({c: claims[c] for c in query.PLACE_SPOT}), ibis.null()),
        _article=claims[Col.ARTICLE],
    ), distinct=False)
    opened = _open_articles(tables, filters)
    counted = both.aggregate(
        events=both._event.sum().fill_null(0), contested=both._contested.sum().fill_null(0),
        places=both._spot.nunique(), claims=(1 - both._event).sum().fill_null(0),
        **({} if opened is not None else {"articles": both._article.nunique()}))
    if opened is not None:
        return counted.cross_join(opened.aggregate(articles=opened.count()))
    return counted


def view_counts(tables: Tables, filters: query.Filters, shared_stories: int | None = None
                ) -> dict[str, int]:
    """What the Overview counts in a view: articles, events, claims, places, contested
    events, and stories in view told by two outlets or more.

    One query for the events', claims' and articles' figures (each an aggregate of its
    own scan, sent together; the open view's are read from its summary), one for the
    stories (`story_totals`) unless the caller knows how many are told by two outlets or
    more (`shared_stories`).
    """
    keys = _summary_keys(tables, filters)
    if keys is None:
        expr = _view_counts_expr(tables, filters)
    elif len(keys) == 1:
        expr = _summary(tables, SUMMARY_COUNTS, keys[0])
    else:
        expr = _counts_of_keys(tables, keys)
    got = expr.to_pandas()
    got = got.iloc[0] if len(got) else pd.Series(0, index=got.columns)
    return {
        "articles": _whole(got["articles"]),
        "events": _whole(got["events"]),
        "claims": _whole(got["claims"]),
        "places": _whole(got["places"]),
        "contested": _whole(got["contested"]),
        "shared_stories": (story_totals(tables, filters)["multi"] if shared_stories is None
                           else shared_stories),
    }


def summarised_count(tables: Tables, filters: query.Filters, what: str) -> int | None:
    """How many events, claims or contested events (`what`) a view holds, read from the
    summaries (None when they do not answer for the view): what a table of the view's
    first rows says it leaves out, without counting the rows again (the claims of two
    countries at 1M articles: 35 ms)."""
    keys = _summary_keys(tables, filters)
    if keys is None:
        return None
    counts = _summary(tables, SUMMARY_COUNTS, keys)
    got = counts.aggregate(n=counts[what].sum()).to_pandas()
    return _whole(got["n"].iloc[0]) if len(got) else 0


def _counts_of_keys(tables: Tables, keys: Sequence[str]) -> ir.Table:
    """`_view_counts_expr` of a view of several places none of which holds another's
    rows (`_summary_keys`): their events, claims, places and contested events added up,
    and the distinct articles among their articles (an article may report both)."""
    counts = _summary(tables, SUMMARY_COUNTS, keys)
    added = counts.aggregate(**{n: counts[n].sum() for n in
                                ("events", "contested", "places", "claims")})
    sets = _in_sets(tables, keys, "cited")
    if sets is not None:  # countries: the articles of every set holding one of them
        return added.cross_join(sets.aggregate(articles=sets.n.sum().fill_null(0)))
    cited = _summary(tables, SUMMARY_CITED, keys)
    return added.cross_join(cited.aggregate(articles=cited[Col.ARTICLE].nunique()))


#: How many candidates a prefix probe starts with, per row wanted, and how much it grows
#: by when the prefix held too few rows in view.
PROBE_START, PROBE_GROWTH = 4, 8
#: How many times a probe's prefix the articles must outnumber for a probe to pay.
PROBE_WORTH = 20
#: A probe sized by a view's known share of articles pays while its first prefix is at
#: most this part of all articles; past it the view is asked whole (a country at 100,000
#: articles: 50,000 probed in 94 ms, against 50 ms asked whole; at 1,000,000: 78 ms
#: probed, 236 ms whole).
PROBE_PART = 0.25


def _probe_size(limit: int, share: float) -> int:
    """The first prefix a probe for `limit` rows takes, when `share` of all articles is in
    view: twice what the share needs, and at least PROBE_START times `limit`."""
    return max(PROBE_START * limit, int(2 * limit / max(share, 1e-9)))


def _counted(tables: Tables, filters: query.Filters, candidates: ir.Table,
             order: Sequence[str | Any], limit: int, *, cited_only: bool = True,
             every: bool = False) -> pd.DataFrame:
    """The first `limit` of `candidates` (rows of the articles table) in `order` that have
    an event or claim in view (any, in an open view: not `cited_only`), with how many
    each has ("_events", "_claims"; missing for none): one scan of each table, joined
    with the candidates' ids (an inner join: DuckDB then skips the row groups outside
    the ids' range), unless the candidates are `every` article (then the rows in view
    are counted by article alone, not joined with a million ids first)."""
    ids = candidates.select(_a=candidates[Col.ARTICLE])
    per = {}
    for name, column in (("events", "_events"), ("claims", "_claims")):
        t = where(tables, name, filters).select(Col.ARTICLE)
        t = t.select(_a=t[Col.ARTICLE]) if every else t.join(ids, t[Col.ARTICLE] == ids._a)
        per[name] = t.group_by("_a").aggregate(**{column: t.count()})
    joined = (candidates.left_join(per["events"], candidates[Col.ARTICLE] == per["events"]._a)
              .drop("_a"))
    joined = joined.left_join(per["claims"], joined[Col.ARTICLE] == per["claims"]._a).drop("_a")
    in_view = (joined.filter(joined._events.notnull() | joined._claims.notnull())
               if cited_only else joined)
    return in_view.order_by(list(order)).limit(limit).to_pandas()


def _newest_prefix(tables: Tables, size: int) -> ir.Table | None:
    """The articles published on the newest days that hold `size` articles or more (all
    of a day's, so the prefix ends between two days); None when that is every article."""
    a = tables.articles
    dated = a.filter(a[Col.PUBLISHED_START].notnull())
    days = dated.group_by(Col.PUBLISHED_START).aggregate(_n=dated.count()).to_pandas()
    if days.empty:
        return None
    days = days.sort_values(Col.PUBLISHED_START, ascending=False)
    reached = days["_n"].cumsum().to_numpy() >= size
    if not reached.any():
        return None
    since = days[Col.PUBLISHED_START].iloc[int(reached.argmax())]
    return a.filter(a[Col.PUBLISHED_START] >= since)


def _first_files_prefix(tables: Tables, size: int) -> ir.Table | None:
    """The articles of the first files (corpus order) holding `size` articles or more (all
    of a file's, so the prefix ends between two files); None when that is every article."""
    a = tables.articles
    # the first `size` names, the last of them kept (not LIMIT 1 OFFSET: ibis's Spark
    # backend returns a column more than it asked for)
    first = a.select(Col.FILE).order_by(Col.FILE).limit(size).to_pandas()
    if len(first) < size or pd.isna(first[Col.FILE].iloc[-1]):
        return None
    return a.filter(a[Col.FILE] <= first[Col.FILE].iloc[-1])


#: The two orders articles are probed in: newest first, and corpus order.
NEWEST, CORPUS_ORDER = "newest", "corpus"


def _first_in_view(tables: Tables, filters: query.Filters, kind: str,
                   columns: Sequence[str], limit: int, share: float, *,
                   cited_only: bool = True, whole: bool = False) -> pd.DataFrame:
    """The first `limit` articles (newest first, or in corpus order: `kind`) with an event
    or claim in view, and how many each has, found without working out every article in
    view: the articles are taken a prefix at a time (the newest days, or the first
    files), and only the prefix's events and claims are looked at. A prefix that holds
    `limit` articles in view holds the first `limit` of them; one that holds fewer is
    made longer (by the share it found in view, at most `PROBE_GROWTH` times). `share`,
    the part of all articles that is in view (a guess is fine), sizes the first prefix.
    `whole`: no prefix, every article at once (for a view a prefix would miss).
    """
    import ibis

    a = tables.articles
    order = ([ibis.desc(Col.PUBLISHED_START), Col.FILE, Col.ARTICLE] if kind == NEWEST
             else [Col.FILE, Col.ARTICLE])
    prefix_of = _newest_prefix if kind == NEWEST else _first_files_prefix
    keep = list(dict.fromkeys([*columns, Col.ARTICLE, Col.PUBLISHED_START, Col.FILE]))
    size = _probe_size(limit, share)
    while True:
        prefix = None if whole else prefix_of(tables, size)
        frame = _counted(tables, filters, (a if prefix is None else prefix).select(*keep),
                         order, limit, cited_only=cited_only,
                         every=prefix is None and cited_only)
        if len(frame) >= limit or prefix is None:
            return frame
        # Long enough for the share of articles in view this prefix had, with a margin.
        grown = 2 * limit * size / len(frame) if len(frame) else size * PROBE_GROWTH
        size = int(min(max(grown, 2 * size), size * PROBE_GROWTH))


def _newest_read(tables: Tables, keys: Sequence[str], columns: Sequence[str], limit: int,
                 total: int) -> pd.DataFrame:
    """`articles_in_view`'s rows read from the articles summary: the first `limit` in
    rank; all of them in corpus order when the view holds no more than `limit`.

    For several keys (places none of which holds another's rows) an article's events
    and claims in view are its counts under each added up, and the view's first `limit`
    are all among the keys' lists (each key's first SUMMARY_ARTICLES_TOP): an article's
    rank under a key is never below its rank in the view."""
    if len(keys) == 1:
        top = (_summary(tables, SUMMARY_ARTICLES, keys[0]).order_by("_rank").limit(limit)
               .to_pandas())
    else:
        import ibis

        kept = _summary(tables, SUMMARY_ARTICLES, keys)
        per = kept.group_by(Col.ARTICLE).aggregate(_n_events=kept._events.sum(),
                                                   _n_claims=kept._claims.sum())
        heads = kept.drop(SUMMARY_KEY, "_rank", "_events", "_claims").distinct()
        both = heads.join(per, Col.ARTICLE)
        top = (both.order_by([ibis.desc(Col.PUBLISHED_START), Col.FILE, Col.ARTICLE])
               .limit(limit).to_pandas()
               .rename(columns={"_n_events": "_events", "_n_claims": "_claims"}))
        top["_rank"] = range(len(top))
    if total <= limit:
        top = top.sort_values([Col.FILE, "_rank"], kind="stable")
    missing = [c for c in columns if c not in top.columns]
    if not missing:
        return top
    # a column the summary leaves out (an article's text or notes): looked up by id
    heads = articles_by_id(tables, top[Col.ARTICLE], [Col.ARTICLE, *missing])
    return top.merge(heads, on=Col.ARTICLE, how="left")


def _with_counts(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """`_counted`'s rows as the pages read them: the columns asked for, "events", "claims"."""
    wanted = list(dict.fromkeys([*columns, Col.ARTICLE]))
    out = frame[wanted].reset_index(drop=True)
    out["events"] = frame["_events"].fillna(0).to_numpy()
    out["claims"] = frame["_claims"].fillna(0).to_numpy()
    return out


def articles_in_view(tables: Tables, filters: query.Filters, columns: Sequence[str],
                     limit: int, total: int | None = None) -> Rows:
    """The view's articles, the `limit` most recently published, with how many events and
    claims in view each reports (columns "events" and "claims").

    `total`, how many articles the view holds, when the caller knows it already
    (`view_counts`' "articles"). When there are more than `limit`, the newest are found
    by probing the articles newest first (`_first_in_view`): a view of a million articles
    is never joined whole with the articles table.
    """
    a = tables.articles
    shown = _articles_shown(tables, filters)
    if total is None:
        total = count(shown)
    keys = _summary_keys(tables, filters)
    if keys is not None and limit <= SUMMARY_ARTICLES_TOP:
        return Rows(_with_counts(_newest_read(tables, keys, columns, limit, total), columns),
                    total)
    cited_only = _open_articles(tables, filters) is None
    if total > limit:
        # Events up to a date are mostly reported before the newest articles were
        # published: a probe newest first would grow several times and still read the
        # tables whole (a country's events of one season at 1M articles: 910 ms probed,
        # 300 ms asked whole; a country's events of any date: 130 probed, 310 whole).
        frame = _first_in_view(tables, filters, NEWEST, columns, limit,
                               share=total / max(count(a), 1), cited_only=cited_only,
                               whole=filters.date_to is not None)
    else:  # few: all of them, in corpus order
        frame = _counted(tables, filters, shown, [Col.FILE], limit, cited_only=cited_only)
    return Rows(_with_counts(frame, columns), total)


# --- vocabularies ---------------------------------------------------------------------------


class Names(Mapping[str, str]):
    """A "names" filter's vocabulary in an engine: casefolded name -> name, looked up one at
    a time (a million article ids never cross to the app), listed a page at a time."""

    def __init__(self, tables: Tables, table: str, column: str) -> None:
        self.tables, self.table, self.column = tables, table, column
        self._hits: dict[str, str | None] = {}

    def _col(self) -> ir.Column:
        return _table(self.tables, self.table)[self.column]

    def get(self, folded: object, default: Any = None) -> Any:
        if not isinstance(folded, str):
            return default
        if folded not in self._hits:
            t = _table(self.tables, self.table)
            col = t[self.column]
            hit = t.filter(col.lower() == folded.lower()).select(col.name("v")).order_by("v")
            frame = hit.limit(1).to_pandas()
            self._hits[folded] = None if frame.empty else str(frame["v"].iloc[0])
        hit = self._hits[folded]
        return default if hit is None else hit

    def __getitem__(self, folded: str) -> str:
        hit = self.get(folded)
        if hit is None:
            raise KeyError(folded)
        return hit

    def __contains__(self, folded: object) -> bool:
        return self.get(folded) is not None

    @cached_property
    def _size(self) -> int:
        return int(self._col().nunique().to_pyarrow().as_py() or 0)

    def __len__(self) -> int:
        return self._size

    def _page(self, offset: int) -> list[str]:
        col = self._col()
        distinct = (_table(self.tables, self.table).filter(col.notnull() & (col != ""))
                    .select(col.name("v")).distinct().order_by("v"))
        return [str(v) for v in distinct.limit(NAMES_PAGE, offset=offset).to_pandas()["v"]]

    @cached_property
    def _first_page(self) -> list[str]:
        # What a widget lists on every rerun: sorting a million distinct ids once, not
        # per rerun (about 100 ms at a million articles).
        return self._page(0)

    def values(self) -> Iterator[str]:  # type: ignore[override]
        """Every name, sorted, fetched a page at a time (a widget takes the first few)."""
        page, offset = self._first_page, 0
        while True:
            yield from page
            if len(page) < NAMES_PAGE:
                return
            offset += NAMES_PAGE
            page = self._page(offset)

    def __iter__(self) -> Iterator[str]:
        return (v.casefold() for v in self.values())


class Keys:
    """The event or claim keys of an engine, as a set a link's `event=`/`claim=` is checked
    against (one look-up per value, never the whole column)."""

    def __init__(self, tables: Tables, table: str) -> None:
        self.tables, self.table = tables, table

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and by_key(self.tables, self.table, key, [Col.KEY]) \
            is not None


def _distinct(expr: ir.Column) -> list[str]:
    frame = expr.name("v").as_table().distinct().to_pandas()
    return [str(v) for v in frame["v"] if isinstance(v, str) and v]


def names_frame(tables: Tables) -> pd.DataFrame:
    """The store's short vocabularies as rows of NAMES_SCHEMA, worked out from its tables:
    what the names summary keeps (`summary_names`) and the vocabulary reads."""
    p, e, c = tables.places, tables.events, tables.claims
    actors = {a for joined in _distinct(e[Col.ACTORS]) for a in joined.split("; ") if a}
    plain = {"place": _distinct(p[Col.PLACE_NAME]), "country": _distinct(p[Col.COUNTRY_NAME]),
             "actor": sorted(actors | set(_distinct(c[Col.CLAIMANT]))),
             "outlet": _distinct(tables.articles[Col.OUTLET])}
    rows = [{NAME_KIND: kind, NAME: name} for kind, names in plain.items() for name in names]
    rows += [{NAME_KIND: "namesake", NAME: name, Col.LAT: lat, Col.LON: lon, NAME_LABEL: label}
             for (name, lat, lon), label in _namesake_spots(tables).items()]
    frame = pd.DataFrame(rows, columns=list(NAMES_SCHEMA))
    return frame.astype({k: "string" if v == "string" else v for k, v in NAMES_SCHEMA.items()})


def summary_names(tables: Tables) -> ir.Table:
    """The names summary, made from the tables as they are now (`names_frame`)."""
    import ibis

    return ibis.memtable(names_frame(tables), schema=NAMES_SCHEMA)


def place_names(tables: Tables) -> tuple[list[str], list[str]]:
    """(every name the Place filter accepts, what it lists): as `query._place_names` and
    `query._place_choices` in memory."""
    names = tables.names_of("place")
    countries = tables.names_of("country")
    labels = sorted(set(tables.namesakes.values()))
    ambiguous = {name for name, _, _ in tables.namesakes}
    offered = [n for n in names if n.casefold() not in ambiguous]
    return [*names, *labels, *countries], [*offered, *labels, *countries]


def actor_names(tables: Tables) -> list[str]:
    """Every actor any event names, and every claimant."""
    return tables.names_of("actor")


def vocabulary(tables: Tables) -> query.Vocabulary:
    """The engine's vocabulary: the short lists (outlets, places, actors) fetched now, the
    long ones (articles, stories, event and claim keys) looked up as links name them."""
    folded = query._folded
    place_all, place_offered = place_names(tables)
    names: dict[str, Mapping[str, str]] = {
        query.P_ARTICLE: Names(tables, "articles", Col.ARTICLE),
        query.P_OUTLET: folded(tables.names_of("outlet")),
        query.P_STORY: Names(tables, "stories", Col.STORY),
        query.P_PLACE: folded(place_all),
        query.P_TYPE: {str(v).casefold(): str(v) for v in EVENT_TYPES},
        query.P_ACTOR: folded(actor_names(tables)),
        query.P_STANCE: {str(v).casefold(): str(v) for v in STANCES},
    }
    return query.Vocabulary(names=names, events=Keys(tables, "events"),  # type: ignore[arg-type]
                            claims=Keys(tables, "claims"),  # type: ignore[arg-type]
                            choices={query.P_PLACE: tuple(folded(place_offered).values())})


# --- the map, the timeline ------------------------------------------------------------------

#: The columns of `map_places`: a place, its precision, one event type and how many.
MAP_GROUP = (Col.LAT, Col.LON, Col.PLACE_NAME, Col.PRECISION, Col.TYPE)
#: A place: the columns `map_places` orders its rows by.
MAP_PLACE = (Col.LAT, Col.LON, Col.PLACE_NAME, Col.PRECISION)


def map_places(tables: Tables, filters: query.Filters) -> tuple[pd.DataFrame, int]:
    """Located events in view counted per place and type, and how many events in view
    are not located (one scan for both). The rows are MAP_GROUP, the summary
    of the type's first event there (Col.SUMMARY) and how many (figures.COUNT), which
    `figures.make_map` draws as it would draw the events. Places come in the order of
    their first file, a place's rows together, its types in the order of their first
    file, so its hover lists the first summary of each of its first types."""
    spots = _spots_in_view(tables, filters)
    if spots is not None:  # the spots summary, counted again without the country
        counts = spots.group_by(list(MAP_GROUP)).aggregate(**{
            figures.COUNT: spots[figures.COUNT].sum(),
            Col.SUMMARY: spots[Col.SUMMARY].argmin(spots["_file"]),
            "_file": spots["_file"].min()}).to_pandas()
    else:
        events = where(tables, "events", filters)
        counts = events.group_by(list(MAP_GROUP)).aggregate(**{
            figures.COUNT: events.count(),
            Col.SUMMARY: events[Col.SUMMARY].argmin(events[Col.FILE]),
            "_file": events[Col.FILE].min()}).to_pandas()
    placed = counts[Col.LAT].notna().to_numpy() & counts[Col.LON].notna().to_numpy()
    missing = int(counts.loc[~placed, figures.COUNT].sum())
    counts = counts[placed].copy()
    # Places in the order of their first file (as the events are in memory), each
    # place's rows together.
    counts["_first"] = counts.groupby(list(MAP_PLACE), dropna=False)["_file"].transform("min")
    counts = counts.sort_values(["_first", *MAP_PLACE, "_file", Col.TYPE], kind="stable",
                                na_position="last", ignore_index=True)
    return counts[[*MAP_GROUP, Col.SUMMARY, figures.COUNT]], missing


def timeline_dated(tables: Tables, filters: query.Filters) -> int:
    """How many events in view the timeline would place on a date (figures.count_dated)."""
    events = where(tables, "events", filters)
    return count(events.filter(events[Col.START].notnull()
                               & (events[Col.DATE_PRECISION].fill_null("") != "undated")))


#: What the counted timeline counts dated events by.


def timeline_groups(tables: Tables, filters: query.Filters) -> pd.DataFrame:
    """Every event in view counted per (type, start, end, precision), undated ones too:
    rows of TIMELINE_GROUP with their count (figures.COUNT), in one scan. The counted
    timeline draws the dated rows (`dated_rows`); the rest say how many are undated."""
    keys = _summary_keys(tables, filters)
    if keys is None:
        expr = _timeline_groups_expr(tables, filters)
    elif len(keys) == 1:
        expr = _summary(tables, SUMMARY_TIMELINE, keys[0])
    else:  # several places none of which holds another's events: their counts added up
        kept = _summary(tables, SUMMARY_TIMELINE, keys)
        expr = kept.group_by(list(TIMELINE_GROUP)).aggregate(
            **{figures.COUNT: kept[figures.COUNT].sum()})
    return expr.to_pandas().sort_values(list(TIMELINE_GROUP), kind="stable",
                                        na_position="last", ignore_index=True)


def _timeline_groups_expr(tables: Tables, filters: query.Filters) -> ir.Table:
    events = where(tables, "events", filters)
    return events.group_by(list(TIMELINE_GROUP)).aggregate(**{figures.COUNT: events.count()})


def dated_rows(groups: pd.DataFrame) -> pd.Series:
    """Which rows of `timeline_groups` are dated (the timeline can place them)."""
    return (groups[Col.START].notna()
            & (groups[Col.DATE_PRECISION].fillna("") != figures.UNDATED_PRECISION))


def timeline_counts(tables: Tables, filters: query.Filters) -> pd.DataFrame:
    """Dated events in view counted per (type, start, end, precision): what the counted
    timeline draws, in rows of TIMELINE_GROUP with their count (figures.COUNT)."""
    groups = timeline_groups(tables, filters)
    return groups[dated_rows(groups).to_numpy()].reset_index(drop=True)


def undated(tables: Tables, filters: query.Filters, columns: Sequence[str], limit: int,
            total: int | None = None) -> Rows:
    """The first `limit` undated events in view (figures.undated), and how many in all
    (`total` when the caller knows it: `timeline_groups`)."""
    keys = _summary_keys(tables, filters)
    if (keys is not None and total is not None and limit <= SUMMARY_UNDATED_TOP
            and set(columns) <= set(UNDATED_KEPT)):  # each place's first, merged
        kept = _summary(tables, SUMMARY_UNDATED, keys)
        frame = kept.order_by(list(ORDER)).select(*columns).limit(limit).to_pandas()
        return Rows(frame, total)
    table = _undated_of(where(tables, "events", filters))
    frame = table.order_by(list(ORDER)).select(*columns).limit(limit).to_pandas()
    if total is None:
        total = len(frame) if len(frame) < limit else count(table)
    return Rows(frame, total)


#: How many times the picker's length the first files it probes hold, on DuckDB, for a
#: view the summaries do not answer: one holding an eighth of the articles or more
#: finds its first in them. Twice the length missed a country's events of one type at
#: 1M articles (30% of the articles: 180 of the 300 in 600), which then paid for the
#: probe and the whole view (191-200 ms; 59-63 ms found).
PICKER_PROBE = 8


def article_choices(tables: Tables, filters: query.Filters, limit: int) -> pd.DataFrame:
    """The first `limit` articles (corpus order) with an event or claim in view: their id
    and title, for the Article page's picker.

    Where the articles are many, the first files are probed first (one prefix, as
    `_first_in_view` probes): in a broad view they hold the `limit` articles, and the
    view's articles are never all worked out. A narrow view is then asked of every
    article at once. When the summaries say how many articles a view holds (a view of
    one place), the probe is sized by that share, and a view too narrow for it, or a
    corpus too small for it to pay (PROBE_PART), skips it."""
    a = tables.articles
    size = 2 * limit  # small: in a narrow view the probe is wasted, so it must be cheap
    keys = _summary_keys(tables, filters)
    placed = bool(keys) and keys != ("",)
    # A probe pays on DuckDB, which skips the row groups outside its ids; PostgreSQL reads
    # a view's rows of the names' articles by their index sooner than it joins a probe
    # (100,000 articles, a country: 81-92 ms asked whole, 131-390 ms probed; on DuckDB at
    # 1,000,000: 52-68 ms probed, 91-235 ms whole).
    n = 0 if placed and tables.con.name != "duckdb" else count(a)
    if placed and n:  # how many articles the view holds is read: probe?
        held = (_summary(tables, SUMMARY_COUNTS, keys[0]) if len(keys) == 1
                else _counts_of_keys(tables, keys)).select("articles").to_pandas()
        share = (_whole(held["articles"].iloc[0]) if len(held) else 0) / max(n, 1)
        # A prefix of `size` holds enough of them, and the probe's prefix is a small
        # part of all articles.
        if share * size >= limit and _probe_size(limit, share) <= PROBE_PART * n:
            got = _first_in_view(tables, filters, CORPUS_ORDER, [Col.TITLE], limit, share)
            return got[[Col.ARTICLE, Col.TITLE]].reset_index(drop=True)
        n = 0  # ask the view whole
    # Not summarised: a longer first files on DuckDB (PICKER_PROBE), where the probe
    # costs about the same whatever its length.
    size = PICKER_PROBE * limit if tables.con.name == "duckdb" else size
    if n > PROBE_WORTH * size:
        prefix = _first_files_prefix(tables, size)
        if prefix is not None:
            got = _counted(tables, filters, prefix.select(Col.ARTICLE, Col.TITLE, Col.FILE),
                           [Col.FILE, Col.ARTICLE], limit)
            if len(got) >= limit:
                return got[[Col.ARTICLE, Col.TITLE]].reset_index(drop=True)
    if placed:  # the view's articles are its places' (each name's kept)
        cited = _summary(tables, SUMMARY_CITED, keys).select(Col.ARTICLE)
        shown = a.semi_join(cited, Col.ARTICLE)
    else:
        shown = _articles_shown(tables, filters)
    return (shown.order_by([Col.FILE, Col.ARTICLE]).select(Col.ARTICLE, Col.TITLE)
            .limit(limit).to_pandas())


#: Up to how many values a look-up writes into its query (`IN (...)`); more are sent as a
#: table of their own and joined: ibis and the engine's parser take about 0.1 ms for
#: each value written out (190 ms for a page of 1,000 articles, against 20 ms joined).
IDS_INLINE = 64


def _with_ids(table: ir.Table, column: str, ids: Sequence[str]) -> ir.Table:
    """The rows of `table` whose `column` is one of `ids`."""
    import ibis

    if len(ids) <= IDS_INLINE:
        return table.filter(table[column].isin(list(ids)))
    wanted = ibis.memtable({"_id": list(ids)}, schema={"_id": "string"})
    return table.semi_join(wanted, table[column] == wanted._id)


def articles_by_id(tables: Tables, ids: Iterable[str], columns: Sequence[str]) -> pd.DataFrame:
    """These columns of the articles with these ids (a page's few), in corpus order."""
    a = tables.articles
    wanted = sorted({str(i) for i in ids if isinstance(i, str)})
    if not wanted:
        return pd.DataFrame(columns=list(columns))
    return (_with_ids(a, Col.ARTICLE, wanted).order_by([Col.FILE]).select(*columns)
            .to_pandas())


def publication_dates(tables: Tables, filters: query.Filters) -> pd.DataFrame:
    """The articles an event in view cites, counted per publication dates: rows of
    figures.TIMELINE_PUBLICATION_COLUMNS with how many (figures.COUNT)."""
    keys = _summary_keys(tables, filters)
    if keys is None:
        expr = _publication_dates_expr(tables, filters)
    elif len(keys) == 1:
        expr = _summary(tables, SUMMARY_PUBLICATIONS, keys[0])
    elif (sets := _in_sets(tables, keys, "events")) is not None:  # countries
        dated = sets.filter(sets[Col.PUBLISHED_START].notnull())
        expr = dated.group_by(list(figures.TIMELINE_PUBLICATION_COLUMNS)).aggregate(
            **{figures.COUNT: dated.n.sum()})
    else:  # the articles an event of any of the places cites, each once
        cited = _summary(tables, SUMMARY_CITED, keys)
        expr = _dated_counts(cited.filter(cited._events > 0).select(
            Col.ARTICLE, *figures.TIMELINE_PUBLICATION_COLUMNS).distinct())
    return expr.to_pandas().sort_values(list(figures.TIMELINE_PUBLICATION_COLUMNS), kind="stable",
                               na_position="last", ignore_index=True)


def _publication_dates_expr(tables: Tables, filters: query.Filters) -> ir.Table:
    ids = where(tables, "events", filters).select(Col.ARTICLE)  # a semi-join: no distinct
    return _dated_counts(tables.articles.semi_join(ids, Col.ARTICLE))


def _dated_counts(articles: ir.Table) -> ir.Table:
    """These articles counted per publication dates (figures.TIMELINE_PUBLICATION_COLUMNS),
    the undated left out."""
    dated = articles.filter(articles[Col.PUBLISHED_START].notnull())
    return dated.group_by(list(figures.TIMELINE_PUBLICATION_COLUMNS)).aggregate(
        **{figures.COUNT: dated.count()})


def publications(tables: Tables, filters: query.Filters, columns: Sequence[str]
                 ) -> pd.DataFrame:
    """These columns of every article an event in view cites (the timeline's grey row)."""
    ids = where(tables, "events", filters).select(Col.ARTICLE)  # a semi-join: no distinct
    a = tables.articles
    return a.semi_join(ids, Col.ARTICLE).order_by([Col.FILE]).select(*columns).to_pandas()


# --- claims, stories, articles, problems ----------------------------------------------------


#: The claim columns a contested pair is found by.
_PAIRED = (Col.EVENT, Col.CLAIMANT, Col.STANCE, Col.CONTESTED, Col.FILE, Col.LINE)


def _sided(claims: ir.Table) -> ir.Table:
    """The asserting and denying claims about contested events."""
    return claims.filter(claims[Col.CONTESTED] & claims[Col.STANCE].isin(["asserts",
                                                                          "denies"]))


def _first_pairs(sided: ir.Table, *by: str) -> ir.Table:
    """Each event (per `by`) one claimant asserts and another denies among these claims,
    with its first asserting claim in such a pair (`_file`, `_line`): the order the
    Claims page lists contested events in, as pandas' merge keeps them."""
    a = sided.filter(sided[Col.STANCE] == "asserts").select(*by, *_PAIRED)
    d = sided.filter(sided[Col.STANCE] == "denies").select(*by, Col.EVENT, Col.CLAIMANT)
    pairs = a.join(d, [*(a[k] == d[k] for k in by), a[Col.EVENT] == d[Col.EVENT],
                       a[Col.CLAIMANT] != d[Col.CLAIMANT]])
    return pairs.group_by([*(a[k].name(k) for k in by), a[Col.EVENT].name(Col.EVENT)]
                          ).aggregate(_file=a[Col.FILE].min(), _line=a[Col.LINE].min())


def contested_pairs(tables: Tables, filters: query.Filters, event: str | None,
                    limit_events: int) -> tuple[pd.DataFrame, int]:
    """`query.contested_pairs` of the claims in view (about `event` when given), for the
    first `limit_events` contested events in corpus order; and how many there are."""
    claims = where(tables, "claims", filters)
    keys = None if event else _summary_keys(tables, filters)
    if keys is not None and len(keys) == 1:
        firsts = _summary(tables, SUMMARY_PAIRS, keys[0])
    elif keys is not None and _pairs_apart(tables, keys):
        # each event's sided claims under one of the places: its pairs are that name's
        firsts = _summary(tables, SUMMARY_PAIRS, keys).drop(SUMMARY_KEY)
    else:
        if event:
            claims = claims.filter(claims[Col.EVENT] == event)
        firsts = _first_pairs(_sided(claims))
    # How many, and the first ones, in one query
    total = firsts.aggregate(_total=firsts.count())
    shown = (firsts.order_by(["_file", "_line"]).limit(limit_events).cross_join(total)
             .order_by(["_file", "_line"]).to_pandas())
    if shown.empty:
        return query.contested_pairs(pd.DataFrame(columns=list(query.PAIR_COLUMNS))), 0
    n_events = int(shown["_total"].iloc[0])
    keep = shown[Col.EVENT].tolist()
    sided = _sided(claims)
    rows = (sided.filter(sided[Col.EVENT].isin(keep))
            .order_by([*ORDER]).select(*query.PAIR_COLUMNS).to_pandas())
    rows[Col.CONTESTED] = rows[Col.CONTESTED].astype(bool)
    return query.contested_pairs(rows), n_events


def _pairs_apart(tables: Tables, keys: Sequence[str]) -> bool:
    """Whether no contested event has sided claims under two of these names
    (SUMMARY_SPLIT): the view's pairs are then the pairs each name's summary holds."""
    named = set(keys)
    return not any(a in named and b in named for a, b in tables.split)


def _linked_slugs(tables: Tables, filters: query.Filters) -> list[str]:
    """The slugs of the stories the events in view are linked to, each once."""
    events = where(tables, "events", filters)
    linked = events.filter(events[Col.STORY].notnull() & (events[Col.STORY] != ""))
    return linked.select(Col.STORY).distinct()[Col.STORY].to_pandas().tolist()


def _stories_linked(tables: Tables, filters: query.Filters) -> ir.Table:
    if filters.without_selection().is_empty:
        return tables.stories  # every story has an event, and all are in view
    keys = _summary_keys(tables, filters)
    if keys is not None and len(keys) == 1 and keys[0]:
        return _summary(tables, SUMMARY_STORIES, keys[0])
    if keys is not None and len(keys) > 1:  # the stories any of the places tells, once each
        told = _summary(tables, SUMMARY_STORIES, keys).select(Col.STORY)
        return tables.stories.semi_join(told, Col.STORY)  # (a distinct of every column: 3x)
    events = where(tables, "events", filters)
    linked = events.filter(events[Col.STORY].notnull() & (events[Col.STORY] != "")).select(
        Col.STORY)  # a semi-join takes each story once: no distinct first
    return tables.stories.semi_join(linked, Col.STORY)


def stories_in_view(tables: Tables, filters: query.Filters) -> pd.DataFrame:
    """The stories that have an event in view (`Corpus.stories` rows), by slug."""
    return (_stories_linked(tables, filters).order_by(Col.STORY)
            .select(*stories.STORY_COLUMNS).to_pandas())


#: Which stories a page lists: all, those told by two outlets or more, contested ones.
STORY_KINDS = {"all": None, "multi": lambda t: t[stories.N_OUTLETS] >= 2,
               "contested": lambda t: t[Col.CONTESTED]}


def story_totals(tables: Tables, filters: query.Filters) -> dict[str, int]:
    """How many stories in view there are of each kind (STORY_KINDS): one query."""
    told = _stories_linked(tables, filters)
    got = told.aggregate(**_story_counters(told)).to_pandas().iloc[0]
    return {kind: _whole(got[kind]) for kind in STORY_KINDS}


def _story_counters(told: ir.Table) -> dict[str, Any]:
    return {kind: (told.count() if test is None
                   else test(told).fill_null(False).ifelse(1, 0).sum())
            for kind, test in STORY_KINDS.items()}


def _story_order() -> list[Any]:
    """The pages' order of stories: contested first, then by outlets, then earliest."""
    import ibis

    return [ibis.desc(Col.CONTESTED), ibis.desc(stories.N_OUTLETS), Col.START, Col.STORY]


def story_heads(tables: Tables, filters: query.Filters, limit: int
                ) -> tuple[dict[str, int], dict[str, pd.DataFrame]]:
    """How many stories in view there are of each kind, and the first `limit` of each
    (`stories_of`'s order), in two queries: the stories in view are worked out once for
    the Overview's, the Claims page's and the Stories page's lists and counts."""
    import ibis

    keys = _summary_keys(tables, filters)
    several = keys is not None and len(keys) > 1 and all(keys)
    if several:
        # Each place's own stories, as summarised: a story several of them tell is a row
        # under each. The union of the stories, joined back to the stories table, read
        # 145,000 rows three times for two countries at 1M articles (100 ms); these are
        # counted once by story, and the first of each kind are among the first
        # `limit` rows per place.
        told = _summary(tables, SUMMARY_STORIES, keys)
        # (the same under every place: any row's, and `arbitrary` is not portable)
        once = told.group_by(Col.STORY).aggregate(
            **{stories.N_OUTLETS: told[stories.N_OUTLETS].max(),
               Col.CONTESTED: told[Col.CONTESTED].any()})
        got = once.aggregate(**_story_counters(once)).to_pandas().iloc[0]
    else:
        told = _stories_linked(tables, filters)
        if (keys is None and not filters.without_selection().is_empty
                and tables.con.name == "duckdb"):
            # A view the summaries do not answer for: its events are read once, for the
            # slugs they link, and the stories table is read for them twice (a country's
            # events of one type at 1M articles: 150 -> 91 ms). Not on a server, where
            # the slugs (170,000 in a broad view) would be sent back as a table.
            told = _with_ids(tables.stories, Col.STORY, _linked_slugs(tables, filters))
        got = told.aggregate(**_story_counters(told)).to_pandas().iloc[0]
    counts = {kind: _whole(got[kind]) for kind in STORY_KINDS}
    # The first of each kind in one query, the counts in another: joined into one, the
    # query took ibis a quarter of a second to build the first time in a process.
    # Contested stories come first in the pages' order, so the first contested ones are
    # among the first of all; and when every story is told by two outlets or more, the
    # first of those are the first of all. A kind is asked for only when it is not.
    asked = {"all": None}
    if counts["multi"] != counts["all"]:
        asked["multi"] = STORY_KINDS["multi"]
    parts = None
    for kind, test in asked.items():
        kept = told if test is None else told.filter(test(told))
        part = (kept.order_by(_story_order()).limit(limit * (len(keys) if several else 1))
                .select(*stories.STORY_COLUMNS, _kind=ibis.literal(kind)))
        parts = part if parts is None else parts.union(part, distinct=False)
    both = parts.to_pandas() if limit else None
    if both is not None:
        first = both[both["_kind"] == "all"]
        both = pd.concat([first.assign(_kind="contested")[first[Col.CONTESTED].fillna(False)
                                                          .astype(bool)],
                          *([] if "multi" in asked else [first.assign(_kind="multi")]),
                          both], ignore_index=True)
    heads = {}
    for kind in STORY_KINDS:
        rows = (both[both["_kind"] == kind] if both is not None
                else pd.DataFrame(columns=list(stories.STORY_COLUMNS)))
        if len(rows):
            # the order again: a union keeps no order
            rows = rows.sort_values([Col.CONTESTED, stories.N_OUTLETS, Col.START, Col.STORY],
                                    ascending=[False, False, True, True], kind="stable",
                                    na_position="last")
        heads[kind] = (rows[list(stories.STORY_COLUMNS)].drop_duplicates(Col.STORY)
                       .head(limit).reset_index(drop=True))
    return counts, heads


def stories_of(tables: Tables, filters: query.Filters, kind: str, limit: int | None,
               total: int | None = None) -> Rows:
    """The first `limit` stories in view of a kind (STORY_KINDS), contested first, then
    those most outlets told, then the earliest (the pages' order); and how many (`total`
    when the caller knows it: `story_totals`)."""
    told = _stories_linked(tables, filters)
    if STORY_KINDS[kind] is not None:
        told = told.filter(STORY_KINDS[kind](told))
    if total is None:
        total = count(told)
    if limit == 0:
        return Rows(pd.DataFrame(columns=stories.STORY_COLUMNS), total)
    ordered = told.order_by(_story_order()).select(*stories.STORY_COLUMNS)
    frame = (ordered if limit is None else ordered.limit(limit)).to_pandas()
    return Rows(frame, total)


def story(tables: Tables, slug: str) -> tuple[pd.Series | None, pd.DataFrame, pd.DataFrame]:
    """One story: its row, its reports (`stories.reports`) and claims (`story_claims`)."""
    s = tables.stories
    row = s.filter(s[Col.STORY] == slug).select(*stories.STORY_COLUMNS).limit(1).to_pandas()
    e, c = tables.events, tables.claims
    events = e.filter(e[Col.STORY] == slug).order_by(list(ORDER)).to_pandas()
    claims = c.filter(c[Col.STORY] == slug).order_by(list(ORDER)).to_pandas()
    ids = set(events[Col.ARTICLE]) | set(claims[Col.ARTICLE])
    heads = articles_by_id(tables, ids, [Col.ARTICLE, Col.TITLE, Col.OUTLET,
                                         Col.PUBLISHED_START, Col.PUBLISHED_LABEL,
                                         Col.LICENSE, Col.ATTRIBUTION, Col.URL])
    return (None if row.empty else row.iloc[0], stories.reports(heads, events, slug),
            stories.story_claims(claims, heads, slug))


def story_sides(tables: Tables, slugs: Sequence[str], stances: Sequence[str]
                ) -> pd.DataFrame:
    """The outlets whose articles claim these stances in these stories: (story, stance,
    outlet) rows, each once. Read from the sides summary that every build leaves (a few
    rows per story), else from the claims."""
    if SUMMARY_OPEN in tables.summaries:
        t = tables.con.table(SUMMARY_SIDES)
        return (t.filter(t[Col.STORY].isin(list(slugs)) & t[Col.STANCE].isin(list(stances)))
                .select(*_SIDES).to_pandas())
    c = tables.claims
    sided = (c.filter(c[Col.STORY].isin(list(slugs)) & c[Col.STANCE].isin(list(stances)))
             .select(Col.STORY, Col.STANCE, Col.ARTICLE).to_pandas())
    # The outlets of these few articles looked up by id: a join would hash every article.
    heads = articles_by_id(tables, sided[Col.ARTICLE], [Col.ARTICLE, Col.OUTLET])
    outlets = dict(zip(heads[Col.ARTICLE], heads[Col.OUTLET], strict=True))
    sided[Col.OUTLET] = sided[Col.ARTICLE].map(outlets)
    return sided[list(_SIDES)].drop_duplicates(ignore_index=True)


#: What `story_sides` answers with: who (outlet) takes which stance in which story.
_SIDES = (Col.STORY, Col.STANCE, Col.OUTLET)


def _sides_expr(tables: Tables) -> ir.Table:
    """Every story's (story, stance, outlet) once: the sides summary."""
    c, a = tables.claims, tables.articles
    told = c.filter(c[Col.STORY].notnull() & (c[Col.STORY] != "")).select(
        Col.STORY, Col.STANCE, Col.ARTICLE)
    return (told.join(a.select(Col.ARTICLE, Col.OUTLET), Col.ARTICLE).select(*_SIDES)
            .distinct().order_by(Col.STORY))


def article(tables: Tables, article_id: str) -> dict[str, pd.DataFrame]:
    """One article with its events, claims and places: {"articles", "events", "claims",
    "places"} frames, each in corpus order."""
    out = {}
    for name in ("articles", "events", "claims", "places"):
        t = _table(tables, name)
        kept = t.filter(t[Col.ARTICLE] == article_id)
        order = [Col.FILE] if name == "articles" else list(ORDER)
        out[name] = kept.order_by(order).to_pandas()
    return out


def claims_about(tables: Tables, event_key: str, columns: Sequence[str]) -> pd.DataFrame:
    """These columns of the claims about one event, in corpus order."""
    c = tables.claims
    return (c.filter(c[Col.EVENT] == event_key).order_by(list(ORDER)).select(*columns)
            .to_pandas())


def problems(tables: Tables, limit: int) -> tuple[Rows, int]:
    """The first `limit` problems (file, line order) and how many of them are errors."""
    p = tables.problems
    frame = p.order_by(["file", "line"]).select(*PROBLEM_COLUMNS).limit(limit).to_pandas()
    total = count(p)
    errors = count(p.filter(p["severity"] == "error"))
    return Rows(frame, total), errors


def problem_summary(tables: Tables) -> dict[str, int]:
    """How many problems, errors and files with a problem."""
    p = tables.problems
    return {"problems": count(p), "errors": count(p.filter(p["severity"] == "error")),
            "files": int(p["file"].nunique().to_pyarrow().as_py() or 0)}


def build_stamp(tables: Tables) -> tuple[int, ...]:
    """What changes whenever a build changes the store: how many files it holds, their
    bytes and their modification times summed (one small query on the files table; a
    store filled by other means than `warlens build` may keep only the paths)."""
    f = tables.con.table("files")
    # Summed as decimals: nanosecond modification times of a few files outgrow a 64-bit
    # sum, which Spark refuses (DuckDB and PostgreSQL widen it themselves).
    sums = {name: f[name].cast("decimal(38, 0)").sum() for name in (schema.SIZE,
                                                                      schema.MTIME_NS)
            if name in f.columns}
    got = f.aggregate(n=f.count(), **sums).to_pandas().iloc[0]
    return tuple(_whole(got[name]) for name in ("n", *sums))


def outdated(tables: Tables) -> dict[str, list[str]]:
    """Per item table, the public columns this warlens reads that the store lacks (a
    store an earlier version built, which `warlens build` makes again): {} if none."""
    lacking = {}
    for name in ("articles", "events", "claims", "places"):
        gone = schema.missing(name, getattr(tables, name).columns, helpers=False)
        if gone:
            lacking[name] = gone
    return lacking


def file_count(tables: Tables) -> int:
    """How many data files the build read."""
    return count(tables.con.table("files"))


# --- downloads ------------------------------------------------------------------------------


def timed_columns(tables: Tables, name: str, filters: query.Filters) -> frozenset[str]:
    """The date columns of table `name` that hold a time of day somewhere in view (one
    query): `export.csv_chunks` writes those in full and the others as days."""
    t = where(tables, name, filters)
    dates = [c for c, dtype in t.schema().items() if dtype.is_timestamp()
             and not c.startswith("_")]
    if not dates:
        return frozenset()
    got = t.aggregate(**{c: (t[c] != t[c].truncate("D")).fill_null(False).ifelse(1, 0).max()
                         for c in dates}).to_pandas().iloc[0]
    return frozenset(c for c in dates if _whole(got[c]))


#: How the engine's columns become pandas in a download: whole numbers and flags with
#: missing values stay whole numbers and flags (as in memory), not floats and objects.
_EXPORT_TYPES = {"int64": pd.Int64Dtype(), "int32": pd.Int32Dtype()}


def export_batches(tables: Tables, name: str, filters: query.Filters,
                   columns: Sequence[str], rows: int) -> Iterator[pd.DataFrame]:
    """These columns of the rows in view of table `name`, with their article's credits
    (`export.CREDIT_COLUMNS`) joined in the engine, in corpus order, `rows` at a time."""
    import pyarrow as pa

    from warlens import export

    t = where(tables, name, filters)
    a = tables.articles
    heads = a.select(_credit=a[Col.ARTICLE], **{c: a[c] for c in export.CREDIT_COLUMNS})
    joined = t.left_join(heads, t[Col.ARTICLE] == heads._credit)
    expr = joined.order_by(list(ORDER)).select(*columns, *export.CREDIT_COLUMNS)
    mapper = {pa.int64(): _EXPORT_TYPES["int64"], pa.int32(): _EXPORT_TYPES["int32"]}
    with _batches(tables, expr, rows) as reader:
        for batch in reader:
            if batch.num_rows:
                yield batch.to_pandas(types_mapper=mapper.get)


@contextlib.contextmanager
def _batches(tables: Tables, expr: ir.Table, rows: int) -> Iterator[Iterable[Any]]:
    """The rows of `expr` as Arrow record batches of `rows`, read as they are consumed.

    DuckDB's on a cursor of its own: a result pending on the shared connection would be
    dropped by the next query another session sends through it. PostgreSQL's through a
    server-side cursor (ibis's own).
    """
    if tables.con.name == "duckdb":
        cursor = tables.con.con.cursor()
        try:
            yield cursor.execute(tables.con.compile(expr)).to_arrow_reader(rows)
        finally:
            cursor.close()
        return
    # (Spark's backend holds a session, not a `con`.)
    dedicated = getattr(getattr(tables.con, "con", None), "dedicated", None)
    if dedicated is None:  # Spark, or a connection made outside `engine_source`
        reader = expr.to_pyarrow_batches(chunk_size=rows)
        try:
            yield reader
        finally:
            reader.close()
        return
    # PostgreSQL: a server-side cursor holds its connection's transaction open while the
    # download goes out (minutes), and the pieces are read on whichever worker thread is
    # free: a connection of its own, closed when done.
    con = dedicated()
    try:
        backend = type(tables.con).from_connection(con)
        reader = backend.to_pyarrow_batches(expr, chunk_size=rows)
        try:
            yield reader
        finally:
            reader.close()
    finally:
        con.close()
