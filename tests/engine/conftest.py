"""A corpus in an engine, for the query and page tests: each engine, filled from a Corpus.

`fill(con, corpus)` writes a corpus's frames as the engine's tables, the way `warlens
build` lays them out (engine.TABLES, the corpus frames' columns), so a test compares the
engine's answers with the in-memory ones on the very same rows. PostgreSQL gets a
database of its own per test module (other suites use the shared test database).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: engines, seedcorpus

import engines
from engines import _why_not
from warlens import engine, stories
from warlens.corpus import Corpus
from warlens.model import Col

ENGINES = ("duckdb", "postgres", "spark")


def arrow(frame: pd.DataFrame) -> pa.Table:
    """A frame as Arrow, a column of no values typed as text (engines need a type)."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    fields = [pa.field(f.name, pa.string()) if pa.types.is_null(f.type) else f
              for f in table.schema]
    return table.cast(pa.schema(fields))


#: The stories table's column types, which an empty story table does not carry.
STORY_TYPES = {
    **dict.fromkeys([stories.N_ARTICLES, stories.N_OUTLETS, stories.N_EVENTS,
                     stories.N_CLAIMS, stories.ASSERTS, stories.DENIES, stories.DOUBTS],
                    "int64"),
    **dict.fromkeys([Col.START, Col.END, stories.FIRST_REPORT, stories.LAST_REPORT],
                    "datetime64[s]"),
    Col.CONTESTED: "bool",
}


def frames(corpus: Corpus) -> dict[str, pd.DataFrame]:
    """The engine tables of a corpus, by name (engine.TABLES)."""
    files = pd.DataFrame({"path": [f"file{i}" for i in range(corpus.files)]}, dtype="string")
    told = corpus.stories.astype({c: STORY_TYPES.get(c, "string")
                                  for c in corpus.stories.columns})
    return {"files": files, "articles": corpus.articles, "events": corpus.events,
            "claims": corpus.claims, "places": corpus.places, "problems": corpus.problems,
            "stories": told}


def fill(con, corpus: Corpus) -> None:
    """Write a corpus's tables into an engine connection, replacing what was there.

    Spark gets temporary views of Parquet files (its managed tables would be written to
    a warehouse folder in the working directory, and a frame handed to it through pandas
    turns missing text into "NaN").
    """
    import tempfile

    import pyarrow.parquet as pq

    spark = type(con).__module__.startswith("ibis.backends.pyspark")
    folder = Path(tempfile.mkdtemp(prefix="warlens-spark-")) if spark else None
    for name, frame in frames(corpus).items():
        assert name in engine.TABLES
        if folder is not None:
            path = folder / f"{name}.parquet"
            pq.write_table(arrow(frame), path)
            con._session.read.parquet(str(path)).createOrReplaceTempView(name)
        else:
            con.create_table(name, arrow(frame), overwrite=True)


@contextlib.contextmanager
def fresh_store(name: str, tmp: Path) -> Iterator[str]:
    """The URL of a fresh, empty store on engine `name`: `engines.fresh_store`, except on
    Spark, where the suite's stores are the session's temporary views (`fill`)."""
    if name == "spark":
        yield "pyspark://"  # local[*]; "pyspark://local[2]" trips urlsplit in scheme_of
        return
    with engines.fresh_store(name, tmp) as url:
        yield url


#: ibis and pyspark convert results with pandas options pandas 3 deprecates; not ours.
PANDAS_WARNINGS = ("ignore:The 'future.infer_string' option is deprecated"
                   ":pandas.errors.Pandas4Warning",
                   "ignore:The copy keyword is deprecated:pandas.errors.Pandas4Warning",
                   # py4j (Spark's bridge) leaves its sockets to the garbage collector.
                   "ignore::pytest.PytestUnraisableExceptionWarning",
                   "ignore::ResourceWarning")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Let every engine test convert results through ibis despite pandas' warning."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            for warning in PANDAS_WARNINGS:
                item.add_marker(pytest.mark.filterwarnings(warning))


def _disconnect(con) -> None:
    with contextlib.suppress(Exception):
        con.disconnect()


@pytest.fixture(scope="module", params=ENGINES)
def engine_name(request) -> str:
    """Each engine in turn, skipped with the reason where this machine lacks it."""
    why = _why_not(request.param)
    if why:
        pytest.skip(why)
    return request.param


@pytest.fixture(scope="module")
def store_of(engine_name: str, tmp_path_factory) -> Iterator[Callable[[Corpus], object]]:
    """`store_of(corpus)`: an ibis connection to a fresh store holding that corpus, made
    once per corpus and engine in a test module."""
    stack = contextlib.ExitStack()
    made: dict[int, object] = {}
    filled: list[int] = []

    def store(corpus: Corpus):
        if engine_name == "spark":  # one session, one set of views: the last corpus filled
            if not made:
                made[0] = engine.connect(stack.enter_context(
                    fresh_store(engine_name, tmp_path_factory.mktemp("e"))))
            if filled != [id(corpus)]:
                fill(made[0], corpus)
                filled[:] = [id(corpus)]
            return made[0]
        if id(corpus) not in made:
            url = stack.enter_context(fresh_store(engine_name, tmp_path_factory.mktemp("e")))
            con = engine.connect(url)
            stack.callback(_disconnect, con)
            fill(con, corpus)
            made[id(corpus)] = con
        return made[id(corpus)]

    with stack:
        yield store
