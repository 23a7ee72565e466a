"""The column names and engine types of every table an engine holds.

Derived from the in-memory corpus, not written a second time: the public columns of
``articles``, ``events``, ``claims``, ``places`` and ``problems`` are `warlens.model`'s
column lists with the types `corpus` gives them (dates as timestamps, nullable whole
numbers as int64, flags as booleans, everything else text); ``stories`` has
`warlens.stories.STORY_COLUMNS`. Each table may also hold helper columns, named with a
leading underscore, that a build needs and a page never draws (`HELPERS`). A row's
``file`` is its file's path inside the data folder, the same whatever folder the build
ran from.

Both sides of the engine import this: `engine.build` creates the tables from it and the
queries read columns by these names.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING

from warlens import model, stories
from warlens.model import Col

if TYPE_CHECKING:
    import ibis.expr.schema as sch

#: Engine type names (ibis dtype strings) used below.
TEXT, TIMESTAMP, FLOAT, INT, INT32, BOOL = ("string", "timestamp", "float64", "int64",
                                            "int32", "boolean")

#: The `files` table: one row per source file the build read.
PATH, SIZE, MTIME_NS, DIGEST, ORDER, MODE, ROWS = ("path", "size", "mtime_ns", "digest",
                                                   "ord", "mode", "rows")
#: How a file's rows got in: parsed like the app parses it, or loaded in bulk (a big CSV).
PARSED, BULK = "parsed", "bulk"
FILES_COLUMNS: dict[str, str] = {PATH: TEXT, SIZE: INT, MTIME_NS: INT, DIGEST: TEXT,
                                 ORDER: INT, MODE: TEXT, ROWS: INT}

#: Helper columns: which article of its file a row belongs to (an imported file may hold
#: several), the line of an article's id (for the duplicate-id problem), and where a
#: problem comes from (a file's own parse, the folder walk, or the check across files).
#: Every row also keeps the path of its source file inside the data folder (`SRC`, the
#: files table's `path`): ``file`` is the name shown, which for a link is its target's.
DOC, ID_LINE, KIND, SRC = "_doc", "_id_line", "_kind", "_src"
KIND_FILE, KIND_WALK, KIND_DUPLICATE = "file", "walk", "duplicate"
HELPERS: dict[str, dict[str, str]] = {
    "articles": {SRC: TEXT, DOC: INT32, ID_LINE: INT},
    "events": {SRC: TEXT, DOC: INT32},
    "claims": {SRC: TEXT, DOC: INT32},
    "places": {SRC: TEXT, DOC: INT32},
    "problems": {SRC: TEXT, KIND: TEXT},
    "stories": {},
    "files": {},
}

#: The columns a page looks rows up by or filters on, per table: an item by its key, an
#: article's rows, a story's, the claims about an event, the place filter's names, the
#: newest articles, the first files, and a view's first rows in corpus order (a tuple:
#: one index on those columns together). A PostgreSQL store indexes them (`Store.index`):
#: without, each look-up reads the whole table. DuckDB and Spark skip what they need not
#: read by their files' own statistics (zone maps, Parquet row groups) and keep none.
INDEXED: dict[str, tuple[str | tuple[str, ...], ...]] = {
    "articles": (Col.ARTICLE, Col.PUBLISHED_START, Col.FILE),
    # (file, line): the corpus order, which PostgreSQL then walks for a view's first rows
    "events": (Col.KEY, Col.ARTICLE, Col.STORY, Col.PLACE_NAME, Col.COUNTRY_NAME,
               (Col.FILE, Col.LINE)),
    "claims": (Col.KEY, Col.ARTICLE, Col.EVENT, Col.STORY, Col.PLACE_NAME,
               Col.COUNTRY_NAME, Col.CLAIMANT, (Col.FILE, Col.LINE)),
    "places": (Col.ARTICLE,),
    "stories": (Col.STORY,),
    # the keyed summaries (`engine.queries.SUMMARIES_KEYED`): a view reads one key's rows
    **{summary: ("_key",) for summary in ("_summary_cited", "_summary_undated",
                                          "_summary_counts",
                                          "_summary_stories",
                                          "_summary_pairs", "_summary_articles",
                                          "_summary_timeline",
                                          "_summary_publications")},
}

_MODEL_COLUMNS = {
    "articles": model.ARTICLE_COLUMNS,
    "events": model.EVENT_COLUMNS,
    "claims": model.CLAIM_COLUMNS,
    "places": model.PLACE_COLUMNS,
    "problems": model.PROBLEM_COLUMNS,
}
_STORY_TYPES = {
    Col.STORY: TEXT, Col.START: TIMESTAMP, Col.END: TIMESTAMP, Col.DATE_LABEL: TEXT,
    stories.PLACES: TEXT, stories.N_ARTICLES: INT, stories.N_OUTLETS: INT,
    stories.OUTLETS: TEXT, stories.N_EVENTS: INT, stories.N_CLAIMS: INT,
    stories.ASSERTS: INT, stories.DENIES: INT, stories.DOUBTS: INT, Col.CONTESTED: BOOL,
    stories.FIRST_REPORT: TIMESTAMP, stories.LAST_REPORT: TIMESTAMP,
}


def _engine_type(dtype: object) -> str:
    """The engine type of a pandas column type as `corpus` builds it."""
    kind = getattr(dtype, "kind", "O")
    if str(dtype) == "Int64" or kind in "iu":
        return INT
    return {"M": TIMESTAMP, "f": FLOAT, "b": BOOL}.get(kind, TEXT)


@cache
def columns(name: str) -> dict[str, str]:
    """The public columns of table `name`, in order, with their engine type names."""
    if name == "stories":
        return {c: _STORY_TYPES[c] for c in stories.STORY_COLUMNS}
    if name == "files":
        return dict(FILES_COLUMNS)
    from warlens.corpus import empty_tables

    frame = empty_tables()[name]
    return {c: _engine_type(frame[c].dtype) for c in _MODEL_COLUMNS[name]}


def stored(name: str) -> dict[str, str]:
    """Every column an engine keeps for table `name`: the public ones, then the helpers."""
    return {**columns(name), **HELPERS[name]}


def missing(name: str, held: Sequence[str], *, helpers: bool = True) -> list[str]:
    """The columns of table `name` this warlens keeps (with the helpers unless told not
    to) that a store's table holding `held` lacks: the table was made by an earlier
    version, and its rows cannot answer every query."""
    present = set(held)
    return [c for c in (stored(name) if helpers else columns(name)) if c not in present]


def ibis_schema(name: str, *, helpers: bool = True) -> sch.Schema:
    """Table `name`'s columns as an ibis schema (with the helpers unless told not to)."""
    import ibis

    return ibis.schema(stored(name) if helpers else columns(name))


__all__ = ["BULK", "DOC", "HELPERS", "ID_LINE", "KIND", "PARSED", "SRC", "columns", "ibis_schema",
           "missing", "stored"]
