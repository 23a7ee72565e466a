"""`warlens build`: a data folder compiled into an engine, changed files only.

The build reads the folder the way the app does (`corpus.list_files`, the per-file
parse of `cache.parse_files`, the boundary: nothing outside the folder is read, a link
leading out is a problem) and keeps one row per source file in the ``files`` table: its
path inside the folder, size, mtime and content digest. A rebuild stats every file,
hashes only those whose size and mtime changed, parses only new and changed files,
deletes the rows of changed and removed files, and inserts the new rows, a chunk of
files at a time so that memory stays bounded however big the folder is.

What spans files is worked out in the engine after every change, never by pulling the
tables into memory:

- an article id already used by an earlier file (in the app's file order): the later
  article's rows move to ``_shadow_*`` tables and a problem names both files; when the
  earlier file goes, its namesake moves back without a parse;
- the stories table, aggregated by the engine (one row per story comes back, to be
  labelled with its date range as the app labels it).

Which events and claims are contested, and how many claims an event has, is decided per
article while a chunk is parsed, with the app's own function: a claim can only be about
an event of its own article (its ``event`` key is the article's id and the event's), so
no other file can change it, and the engine never holds two live copies of one article.

Big event datasets (an ACLED or UCDP CSV of many rows) are loaded by `engine.bulk`
instead of being parsed row by row in Python.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from warlens import boundary, formats, stories
from warlens import cache as store_cache
from warlens import corpus as _corpus
from warlens.dates import span_label
from warlens.engine import EngineError, connect, default_url, engine_url, schema
from warlens.engine.schema import DOC, ID_LINE, KIND, SRC
from warlens.engine.store import ITEM_TABLES, SHADOW_PREFIX, Store
from warlens.model import Col
from warlens.problems import ERROR, WARNING, Problem

if TYPE_CHECKING:
    from warlens.engine import queries

#: Files parsed and written to the engine at a time: bounds the build's memory.
CHUNK_FILES = 5000
#: A dataset CSV (ACLED, UCDP, GDELT) at least this big is loaded in bulk by the engine;
#: a smaller one is parsed like any file, so its rows are exactly the app's.
BULK_MIN_BYTES = 20_000_000
#: The table name of each shadow table.
SHADOWS = {name: SHADOW_PREFIX + name for name in ITEM_TABLES}
#: What the duplicate-id problem says, as `corpus.assemble` says it.
DUPLICATE_MESSAGE = "article id '{article}' is already used by {first}; this file was not loaded"


@dataclass
class BuildReport:
    """What a build did: files parsed, unchanged, removed; rows; problems; seconds."""

    url: str
    parsed: int = 0
    unchanged: int = 0
    removed: int = 0
    bulk: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    errors: int = 0
    warnings: int = 0
    seconds: float = 0.0
    #: Why the store was started again from nothing, when it was made by an earlier
    #: version (its tables lack columns this one keeps); "" otherwise.
    restarted: str = ""
    #: Whether the stories, summaries and indexes were kept as they were: no row changed
    #: (every file unchanged, or touched with the same bytes), and they held for the store.
    kept_summaries: bool = False

    def summary(self) -> str:
        """One line: what was read, what the engine now holds, and how long it took."""
        c = self.counts
        bulk = f", {self.bulk} loaded in bulk" if self.bulk else ""
        restarted = f"{self.restarted}; " if self.restarted else ""
        kept = " (no row changed: summaries kept)" if self.kept_summaries else ""
        return (f"{restarted}{self.parsed} files parsed, {self.unchanged} unchanged, "
                f"{self.removed} removed{bulk}{kept}; {c.get('articles', 0)} articles, "
                f"{c.get('events', 0)} events, {c.get('claims', 0)} claims, "
                f"{c.get('places', 0)} places, {c.get('stories', 0)} stories; "
                f"{self.errors} errors, {self.warnings} warnings in {self.seconds:.1f} s")


@dataclass(frozen=True)
class _Found:
    """The files of the folder as found now: paths inside it, and how each is read."""

    keys: list[str]
    paths: list[str]
    displays: list[str]
    sizes: np.ndarray
    mtimes: np.ndarray
    bulk: np.ndarray  # loaded by engine.bulk rather than parsed
    problems: list[Problem]


def build(folder: Path | str, url: str | None = None, *, chunk_files: int = CHUNK_FILES,
          bulk_min_bytes: int = BULK_MIN_BYTES, fresh: bool = False,
          bulk: Sequence[Path | str] = ()) -> BuildReport:
    """Compile data folder `folder` into the engine at `url` (default: `WARLENS_ENGINE`,
    else the DuckDB file under the folder's .warlens/); only changed files are parsed.

    Dataset CSVs of `bulk_min_bytes` or more, and those named in `bulk` (files inside the
    folder), are loaded in bulk (`engine.bulk`). `fresh` drops what the engine holds
    first. Returns what happened (`BuildReport`); BulkError for a `bulk` file that is not
    an event dataset inside the folder.
    """
    started = time.perf_counter()
    root = Path(folder).resolve()
    url = engine_url(root, url) or default_url(root)
    report = BuildReport(url)
    store = Store(_connect_to_write(url), url)
    try:
        _build_into(store, root, report, chunk_files, bulk_min_bytes, fresh, bulk)
    finally:
        store.close()
    report.seconds = time.perf_counter() - started
    return report


def _connect_to_write(url: str) -> object:
    """A connection a build may write through; EngineError in one line when another
    process holds the DuckDB file (DuckDB takes one writing process at a time)."""
    try:
        return connect(url)
    except Exception as exc:
        if "Could not set lock on file" not in str(exc):
            raise
        raise EngineError(f"{url.split('://', 1)[1]} is open in another process (an app "
                          "reading it?): stop it, or build into another file and point the "
                          "app there") from None


def _build_into(store: Store, root: Path, report: BuildReport, chunk_files: int,
                bulk_min_bytes: int, fresh: bool, named: Sequence[Path | str]) -> None:
    """`build`'s work, on an open store."""
    from warlens.engine import bulk as bulk_load

    forced = {bulk_load.inside_folder(p, root) for p in named}
    lacking = {} if fresh else store.outdated()
    if lacking:
        table, columns = next(iter(lacking.items()))
        report.restarted = (f"rebuilt from nothing: the store was made by an earlier warlens "
                            f"(its {table} table has no {', '.join(columns)})")
    if fresh or lacking:
        store.drop_all()
    store.ensure()
    found = _find(root, bulk_min_bytes, forced)
    old = store.con.table("files").to_pandas().set_index(schema.PATH)

    # Which files keep their rows: same size and mtime, or same bytes after a touch.
    index = pd.Index(old.index)
    at = index.get_indexer(found.paths)
    known = at >= 0
    row = np.where(known, at, 0)
    old_size = old[schema.SIZE].to_numpy(dtype=np.int64)[row] if len(old) else row
    old_mtime = old[schema.MTIME_NS].to_numpy(dtype=np.int64)[row] if len(old) else row
    old_digest = old[schema.DIGEST].to_numpy(dtype=object)[row] if len(old) else row
    same_size = known & (old_size == found.sizes)
    keep = same_size & (old_mtime == found.mtimes)
    digests = np.where(keep, old_digest, None).astype(object)
    for i in np.flatnonzero(same_size & ~keep):
        with contextlib.suppress(OSError):
            # A dataset loaded in bulk is read a block at a time: an 850 MB export was
            # over the cap of one read, so a touched one was loaded again (48 s at 2M rows).
            digest = (bulk_load.file_digest(boundary.contained(found.keys[i], root))
                      if found.bulk[i] else store_cache.file_digest(boundary.read_bytes(
                          found.keys[i], boundary.CAPS["dataset"], root)))
            if digest == old_digest[i]:
                keep[i], digests[i] = True, digest
    gone = sorted(set(old.index) - set(found.paths))
    # new files too: rows a bulk load began before it was stopped are not kept twice
    stale = [found.paths[i] for i in np.flatnonzero(~keep)]
    for table in (*ITEM_TABLES, *SHADOWS.values(), "problems"):
        if store.count(table):  # a first build has nothing to delete (Spark rewrites to)
            store.delete_where(table, None, column=SRC, values=[*gone, *stale])
    report.removed, report.unchanged = len(gone), int(keep.sum())
    # Not a row changes: what is made from the rows (stories, summaries, indexes) still
    # holds if it held before. Asked now, while the files table has the stamp they keep.
    from warlens.engine import queries

    summarised = not (fresh or lacking) and bool(queries.Tables(store.con).summaries)
    rows_kept = summarised and not gone and bool(keep.all())

    rows = np.where(keep, old[schema.ROWS].to_numpy(dtype=np.int64)[row]
                    if len(old) else 0, 0)
    to_parse = [i for i in np.flatnonzero(~keep) if not found.bulk[i]]
    for start in range(0, len(to_parse), chunk_files):
        part = to_parse[start:start + chunk_files]
        for i, digest, n in zip(part, *_parse_into(store, found, part, root), strict=True):
            digests[i], rows[i] = digest, n
    report.parsed = len(to_parse)
    for i in np.flatnonzero(~keep & found.bulk):
        loaded = bulk_load.load_file(store, found.keys[i], found.paths[i], found.displays[i],
                                     root=root)
        digests[i], rows[i] = loaded.digest, loaded.rows
        report.bulk += 1

    files = pd.DataFrame({
        schema.PATH: found.paths, schema.SIZE: found.sizes, schema.MTIME_NS: found.mtimes,
        schema.DIGEST: digests, schema.ORDER: np.arange(len(found.paths), dtype=np.int64),
        schema.MODE: np.where(found.bulk, schema.BULK, schema.PARSED), schema.ROWS: rows})
    store.replace("files", files)
    store.delete_where("problems", None, column=KIND, values=[schema.KIND_WALK])
    store.append("problems", _problem_rows(found.problems, "", schema.KIND_WALK))
    if rows_kept:
        # Only the stamp moves (a touched file keeps its rows, under a new time): 72 s
        # of summaries at a million articles are not made again for nothing.
        restamp_summaries(store)
        report.kept_summaries = True
    else:
        moved = resolve_duplicates(store)
        write_stories(store)
        # The files whose rows came, went or moved: when they are few, the copies of the
        # tables in place order (which held for the rows before) are patched for them.
        refresh_summaries(store, changed=sorted({*gone, *stale, *moved}) if summarised
                          else None)
        store.index()
    _finish(store, report)


def _find(root: Path, bulk_min_bytes: int, forced: set[str]) -> _Found:
    """The folder's files as the app finds them, named by their path inside the folder."""
    with contextlib.chdir(root):  # names shown relative to the folder, whoever builds it
        listing = _corpus.list_files([Path()])
    prefix = str(root).rstrip(os.sep) + os.sep
    paths = [k[len(prefix):] if k.startswith(prefix) else k for k in listing.keys]
    sizes = np.full(len(paths), -1, dtype=np.int64)
    mtimes = np.full(len(paths), -1, dtype=np.int64)
    bulk = np.zeros(len(paths), dtype=bool)
    for i, key in enumerate(listing.keys):
        try:
            st = os.stat(key)  # noqa: PTH116
            size, mtime = st.st_size, st.st_mtime_ns
            if not key.lower().endswith(_corpus.NATIVE_SUFFIXES):
                # an imported file also depends on the files its reader reads beside it
                for other in formats.companions(Path(key), str(root)):
                    other_st = other.stat()
                    size, mtime = size + other_st.st_size, max(mtime, other_st.st_mtime_ns)
                if (size >= bulk_min_bytes or paths[i] in forced) and \
                        key.lower().endswith(".csv"):
                    from warlens.engine.bulk import bulk_format

                    bulk[i] = bulk_format(Path(key), root) is not None
            sizes[i], mtimes[i] = size, mtime
        except OSError:
            pass
    # A shared store names no path of the machine that built it: a link leading out is
    # named by the link's path inside the folder.
    problems = [replace(p, file=p.file[len(prefix):]) if p.file.startswith(prefix) else p
                for p in listing.problems]
    return _Found(listing.keys, paths, listing.displays, sizes, mtimes, bulk, problems)


def _parse_into(store: Store, found: _Found, part: Sequence[int], root: Path
                ) -> tuple[list[str], list[int]]:
    """Parse files `part` (indexes into `found`) and append their rows; returns their
    content digests and how many articles each held."""
    with contextlib.chdir(root):
        tables, digests, _ = store_cache.parse_files(
            [(found.keys[i], found.displays[i], str(root)) for i in part])
    src = np.asarray([found.paths[i] for i in part], dtype=object)
    events, claims = tables["events"], tables["claims"]
    contested_events, contested_claims = _contested(events, claims)
    tables["events"] = events.assign(**{Col.CONTESTED: contested_events[Col.CONTESTED],
                                        Col.N_CLAIMS: contested_events[Col.N_CLAIMS]})
    tables["claims"] = claims.assign(**{Col.CONTESTED: contested_claims[Col.CONTESTED]})
    for name in ITEM_TABLES:
        frame = tables[name]
        frame[SRC] = src[frame[_corpus.FILE].to_numpy()] if len(frame) else []
        if name == "articles":
            frame[ID_LINE] = frame[_corpus.ID_LINE]
        store.append(name, frame)
    problems = tables["problems"]
    problems[SRC] = src[problems[_corpus.FILE].to_numpy()] if len(problems) else []
    problems[KIND] = schema.KIND_FILE
    store.append("problems", problems)
    per_file = np.bincount(tables["articles"][_corpus.FILE].to_numpy(), minlength=len(part))
    return list(digests), per_file.tolist()


def _contested(events: pd.DataFrame, claims: pd.DataFrame
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`corpus.derive_contested` on each article of a chunk apart: two copies of one
    article id (in two files, or two documents of one) never count each other's claims."""
    def scoped(frame: pd.DataFrame, column: str) -> pd.Series:
        tag = (frame[_corpus.FILE].astype(str) + ":" + frame[_corpus.DOC].astype(str) + "|")
        return tag + frame[column].astype(object).where(frame[column].notna(), "")

    event_keys = scoped(events, Col.KEY) if len(events) else events[Col.KEY]
    about = (scoped(claims, Col.EVENT).where(claims[Col.EVENT].notna(), None)
             if len(claims) else claims[Col.EVENT])
    return _corpus.derive_contested(events.assign(**{Col.KEY: event_keys}),
                                    claims.assign(**{Col.EVENT: about}))


def _problem_rows(problems: Sequence[Problem], src: str, kind: str) -> pd.DataFrame:
    """Problems as rows of the problems table, each tagged with its file and kind."""
    frame = pd.DataFrame([p.to_dict() for p in problems], columns=["file", "line", "field",
                                                                 "message", "severity"])
    frame["line"] = frame["line"].astype("Int64")
    return frame.assign(**{SRC: src, KIND: kind})


# --- across files ------------------------------------------------------------------------------


def resolve_duplicates(store: Store) -> set[str]:
    """Show the first article of each id (in file order) and shadow the later ones, with a
    problem naming both files; only ids used twice, or shadowed before, are looked at.
    Returns the files whose rows moved (into a shadow table or out of it)."""
    import ibis

    con = store.con
    columns = [Col.ARTICLE, Col.FILE, SRC, DOC, ID_LINE]
    shown = con.table("articles").select(*columns).mutate(_shadowed=ibis.literal(False))
    hidden = con.table(SHADOWS["articles"]).select(*columns).mutate(
        _shadowed=ibis.literal(True))
    both = shown.union(hidden, distinct=False)
    counts = both.group_by(Col.ARTICLE).aggregate(
        _n=both.count(), _hidden=both._shadowed.sum())
    involved = counts.filter((counts._n > 1) | (counts._hidden > 0)).select(Col.ARTICLE)
    files = con.table("files").select(schema.PATH, schema.ORDER)
    rows = (both.semi_join(involved, Col.ARTICLE)
            .left_join(files, both[SRC] == files[schema.PATH])
            .select(*columns, "_shadowed", schema.ORDER)).to_pandas()
    store.delete_where("problems", None, column=KIND, values=[schema.KIND_DUPLICATE])
    if rows.empty:
        return set()
    rows = rows.sort_values([Col.ARTICLE, schema.ORDER, DOC], kind="stable")
    later = rows[Col.ARTICLE].duplicated(keep="first").to_numpy()
    first_file = rows.drop_duplicates(Col.ARTICLE).set_index(Col.ARTICLE)[Col.FILE]
    to_hide = rows.loc[later & ~rows["_shadowed"].to_numpy(dtype=bool), [SRC, DOC]]
    to_show = rows.loc[~later & rows["_shadowed"].to_numpy(dtype=bool), [SRC, DOC]]
    for name, shadow in SHADOWS.items():
        _move(store, name, shadow, to_hide)
        _move(store, shadow, name, to_show)
    losers = rows.loc[later]
    problems = pd.DataFrame({
        "file": losers[Col.FILE].to_numpy(), "line": losers[ID_LINE].astype("Int64").to_numpy(),
        "field": "id",
        "message": [DUPLICATE_MESSAGE.format(article=a, first=first_file[a])
                    for a in losers[Col.ARTICLE]],
        "severity": ERROR, SRC: losers[SRC].to_numpy(), KIND: schema.KIND_DUPLICATE})
    store.append("problems", problems)
    return {str(f) for f in (*to_hide[SRC], *to_show[SRC])}


def _move(store: Store, source: str, target: str, keys: pd.DataFrame) -> None:
    """Move the rows of (file, article-in-file) pairs `keys` from `source` to `target`."""
    if keys.empty:
        return
    import ibis

    con = store.con
    wanted = ibis.memtable(keys.astype({DOC: "int32"}).reset_index(drop=True))
    table = con.table(source)
    picked = table.semi_join(wanted, [SRC, DOC])
    store.append(target, picked.to_pyarrow())
    store.rewrite(source, table.anti_join(wanted, [SRC, DOC])) if store.backend == "pyspark" \
        else _delete_pairs(store, source, keys)


def _delete_pairs(store: Store, table: str, keys: pd.DataFrame) -> None:
    """Delete the rows of (source file, document) pairs from `table` (DuckDB, PostgreSQL)."""
    for src, docs in keys.groupby(SRC)[DOC]:
        listed = ", ".join(str(int(d)) for d in docs)
        store.sql(f'DELETE FROM "{table}" WHERE "{SRC}" = ? AND "{DOC}" IN ({listed})',  # noqa: S608
                  [str(src)])


def write_stories(store: Store) -> None:
    """The stories table, aggregated by the engine from the events, articles and claims
    shown (`stories.story_table` says what each column means)."""
    con = store.con
    events = con.table("events")
    linked = events.filter(events[Col.STORY].notnull() & (events[Col.STORY] != ""))
    heads = con.table("articles").select(
        _a=Col.ARTICLE, _outlet=Col.OUTLET, _published=Col.PUBLISHED_START)
    joined = linked.left_join(heads, linked[Col.ARTICLE] == heads._a)
    by_story = joined.group_by(Col.STORY).aggregate(**{
        Col.START: joined[Col.START].min(), Col.END: joined[Col.END].max(),
        stories.PLACES: joined[Col.PLACE_NAME].collect(distinct=True),
        stories.N_ARTICLES: joined[Col.ARTICLE].nunique(),
        stories.N_OUTLETS: joined._outlet.nunique(),
        stories.OUTLETS: joined._outlet.collect(distinct=True),
        stories.N_EVENTS: joined.count(),
        stories.FIRST_REPORT: joined._published.min(),
        stories.LAST_REPORT: joined._published.max(),
    })
    claims = con.table("claims")
    told = claims.filter(claims[Col.STORY].notnull() & (claims[Col.STORY] != ""))
    stance = told[Col.STANCE]
    sided = stance.isin(("asserts", "denies"))
    said = told.group_by(Col.STORY).aggregate(**{
        "_claims": told.count(),
        "_asserts": (stance == "asserts").sum(),
        "_denies": (stance == "denies").sum(),
        "_doubts": (stance == "doubts").sum(),
        "_claimants": told[Col.CLAIMANT].nunique(where=sided),
    })
    table = by_story.left_join(said, by_story[Col.STORY] == said[Col.STORY]).to_pandas()
    table = table.sort_values(Col.STORY, kind="stable").reset_index(drop=True)
    for column, source in ((stories.N_CLAIMS, "_claims"), (stories.ASSERTS, "_asserts"),
                           (stories.DENIES, "_denies"), (stories.DOUBTS, "_doubts")):
        table[column] = table[source].fillna(0).astype("int64")
    claimants = table["_claimants"].fillna(0).astype("int64")
    table[Col.CONTESTED] = ((table[stories.ASSERTS] > 0) & (table[stories.DENIES] > 0)
                            & (claimants >= 2))
    for column in (stories.PLACES, stories.OUTLETS):
        table[column] = [_joined(values) for values in table[column]]
    for column in (Col.START, Col.END, stories.FIRST_REPORT, stories.LAST_REPORT):
        table[column] = pd.to_datetime(table[column])
    table[Col.DATE_LABEL] = [
        span_label(s.date(), e.date()) if pd.notna(s) and pd.notna(e) else "undated"
        for s, e in zip(table[Col.START], table[Col.END], strict=True)]
    store.replace("stories", table[stories.STORY_COLUMNS])


def refresh_summaries(store: Store, changed: Sequence[str] | None = None) -> None:
    """Make the summary tables again from the tables as they are now
    (`engine.queries.SUMMARIES`): the open view's counts, timeline and publication dates,
    and the events counted per spot and type (what the map of any place reads). Each
    keeps the build stamp it is true for, and the app reads none that another stamp made.

    Every build that changes rows calls this last; a load that writes the tables outside
    `build` (a bulk load run on its own) calls it when done. It reads every row once
    (seconds at millions of events): the counts of distinct places and articles cannot be
    patched file by file, so they are made whole. Two can be (DuckDB): `changed`, the
    files whose rows changed since the summaries were last true, when they hold at most
    PATCH_PLACED_BELOW of the events and of the claims, has its rows made again at the
    end of the copies of the events and claims in place order (`queries.PLACED`), and
    its articles' rows made again in each name's articles (`queries.SUMMARY_CITED`),
    from which the counts are then made whole (a file edited at 1M articles: the
    summaries take 17-19 s instead of 67). A larger change, or summaries that a refresh
    stopped half-way or older code made, makes every summary whole.
    """
    from warlens.engine import queries

    tables = queries.Tables(store.con)
    small = changed is not None and _small_change(store, changed)
    if store.exists(queries.SUMMARY_OPEN):  # a refresh stopped half-way leaves none read
        store.drop(queries.SUMMARY_OPEN)
    try:
        if small:
            # The edit's articles, as the copies held them (before) and the tables hold
            # them now: what the cited summary is made again for.
            store.values_of(Col.ARTICLE, ["events", "claims", *queries.PLACED.values()],
                            changed, _PATCHED_ARTICLES)
            for table, copy in queries.PLACED.items():
                store.copy_again(copy, table, changed, queries.PLACE_ORDER)
        stages = queries.summary_stages(tables, placed=not small)
        if small and _patch_cited(store, tables):
            del stages[queries.SUMMARY_CITED]
        for name, expr in stages.items():
            _make(store, name, expr)
    finally:
        if store.exists(_PATCHED_ARTICLES):
            store.drop(_PATCHED_ARTICLES)
    for name, expr in queries.summary_expressions(tables).items():  # read the stages
        _make(store, name, expr)


#: Up to what part of the events (and of the claims) the rows of a build's changed files
#: may be for the place-ordered copies to be patched rather than made whole. Patched rows
#: go after the rest, out of place order: DuckDB reads those few row groups for every
#: place, so a large change is sorted in again.
PATCH_PLACED_BELOW = 0.05


#: The scratch table of the articles a small change touched (`refresh_summaries`).
_PATCHED_ARTICLES = "_patched_articles"


def _small_change(store: Store, changed: Sequence[str]) -> bool:
    """Whether the rows of `changed` files are few enough to patch the summaries made
    from the last build's rows: on DuckDB, with the place-ordered copies, and with the
    open view's counts, which a whole refresh by this code writes last."""
    from warlens.engine import queries

    if store.backend != "duckdb" or not all(store.exists(c) for c in queries.PLACED.values()):
        return False
    if not queries.made_by_this_code(store.con):
        return False
    for table, copy in queries.PLACED.items():
        most = max(store.rows_of(table, changed), store.rows_of(copy, changed))
        if most > PATCH_PLACED_BELOW * max(store.count(table), 1):
            return False
    return True


def _patch_cited(store: Store, tables: queries.Tables) -> bool:
    """SUMMARY_CITED made true again for the articles in _PATCHED_ARTICLES alone (a row
    depends on its article's rows only: `queries.cited_rows`); False (nothing done) when
    the summary is not there or was laid out by other code."""
    from warlens.engine import queries

    name = queries.SUMMARY_CITED
    if not store.exists(name):
        return False
    again = queries.cited_rows(tables, store.con.table(_PATCHED_ARTICLES))
    if list(store.con.table(name).schema().items()) != list(again.schema().items()):
        return False
    store.sql(f'DELETE FROM "{name}" WHERE "{Col.ARTICLE}" IN '  # noqa: S608
              f'(SELECT "{Col.ARTICLE}" FROM "{_PATCHED_ARTICLES}")')
    store.con.insert(name, again)
    return True


def restamp_summaries(store: Store) -> None:
    """The summaries, true for the store's rows, marked as true for its files as they are
    now: for a build that changed no row, though the files' times moved."""
    from warlens.engine import queries

    _make(store, queries.SUMMARY_OPEN, queries.restamped_open(queries.Tables(store.con)))


def _make(store: Store, name: str, expr: object) -> None:
    """Table `name` made again from this query."""
    if store.exists(name):
        store.rewrite(name, expr)
    else:
        store.con.create_table(name, expr)


def _joined(values: object) -> str:
    """A story's distinct names, sorted and joined as `stories.story_table` joins them."""
    if values is None or (isinstance(values, float) and np.isnan(values)):
        return ""
    return "; ".join(sorted({str(v) for v in values if v is not None and str(v)}))


def _finish(store: Store, report: BuildReport) -> None:
    """Count the rows and list every problem, as `warlens validate` does."""
    for name in ("articles", "events", "claims", "places", "stories"):
        report.counts[name] = store.count(name)
    problems = store.con.table("problems")
    walk_first = (problems[KIND] != schema.KIND_WALK).ifelse(1, 0)
    ordered = problems.order_by([walk_first, problems["file"], problems["line"],
                                 problems["field"]]).to_pandas()
    for p in ordered.itertuples(index=False):
        report.problems.append(str(Problem(p.file, None if pd.isna(p.line) else int(p.line),
                                           p.field, p.message, p.severity)))
    report.errors = int((ordered["severity"] == ERROR).sum())
    report.warnings = int((ordered["severity"] == WARNING).sum())


__all__ = ["BULK_MIN_BYTES", "CHUNK_FILES", "BuildReport", "build", "refresh_summaries",
           "resolve_duplicates", "restamp_summaries", "write_stories"]
