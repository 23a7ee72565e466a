"""The engines a test can run on: DuckDB always; PostgreSQL and Spark where this machine has them.

`scripts/test` starts Debian's PostgreSQL cluster when it is installed and exports
`WARLENS_TEST_POSTGRES` (a URL to a scratch database); Spark runs in local mode when Java
and pyspark are present. A missing one is skipped with a message that says what is missing.

Each test gets a store of its own (`fresh_store`): a new DuckDB file, a new PostgreSQL
database (dropped afterwards), or Spark's one session with every warlens table dropped;
so no test sees another's rows. Spark starts once per test run, with its warehouse in a
temporary folder and few shuffle partitions (a local session needs no more).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from warlens import engine

POSTGRES_ENV = "WARLENS_TEST_POSTGRES"
ENGINES = ("duckdb", "postgres", "spark")
#: ibis converts results with a pandas option pandas 3 deprecates; not ours to fix.
IBIS_PANDAS_WARNING = ("ignore:The 'future.infer_string' option is deprecated"
                       ":pandas.errors.Pandas4Warning")
#: ibis 12 reads DuckDB results with a method DuckDB 1.5 deprecates; not ours to fix.
IBIS_DUCKDB_WARNING = "ignore:fetch_arrow_table\\(\\) is deprecated:DeprecationWarning"
#: py4j (Spark's bridge to Java) leaves its sockets to the garbage collector.
PY4J_SOCKET_WARNINGS = (
    "ignore:unclosed <socket.socket:ResourceWarning",
    "ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning",
)
#: pyspark 4.0 converts results with a keyword pandas 3 deprecates.
PYSPARK_PANDAS_WARNING = ("ignore:The copy keyword is deprecated"
                          ":pandas.errors.Pandas4Warning")
#: Marks for a test module that reads engine results through ibis.
ENGINE_WARNINGS = [pytest.mark.filterwarnings(w) for w in (
    IBIS_PANDAS_WARNING, IBIS_DUCKDB_WARNING, PYSPARK_PANDAS_WARNING, *PY4J_SOCKET_WARNINGS)]
#: The Spark URL tests use: local mode, two cores (this machine kind has two).
SPARK_URL = "pyspark://local[2]"


def _why_not(name: str) -> str | None:
    """Why an engine cannot run here, or None when it can."""
    if name == "postgres":
        if not os.environ.get(POSTGRES_ENV):
            return (f"PostgreSQL: {POSTGRES_ENV} is not set (scripts/test sets it after "
                    "starting Debian's postgresql cluster)")
        if importlib.util.find_spec("psycopg") is None:
            return "PostgreSQL: psycopg is not installed (pip install -e '.[postgres]')"
    if name == "spark":
        if shutil.which("java") is None:
            return "Spark: no java on PATH (Spark local mode needs Java 17)"
        if importlib.util.find_spec("pyspark") is None:
            return "Spark: pyspark is not installed (pip install -e '.[spark]')"
    return None


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database beside the test database, dropped afterwards: its URL."""
    import psycopg

    base = os.environ[POSTGRES_ENV]
    name = f"warlens_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(base, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_SPARK_HOME: list[Path] = []


def spark_session(scratch: Path) -> None:
    """Start the one Spark session of this test run (engine.connect then reuses it)."""
    from pyspark.sql import SparkSession

    if not _SPARK_HOME:
        _SPARK_HOME.append(scratch)
    home = _SPARK_HOME[0]
    (SparkSession.builder.master("local[2]").appName("warlens-tests")
     .config("spark.sql.warehouse.dir", str(home / "warehouse"))
     .config("spark.sql.shuffle.partitions", "2")
     .config("spark.default.parallelism", "2")
     .config("spark.sql.session.timeZone", "UTC")
     .config("spark.ui.enabled", "false")
     .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={home}")
     .getOrCreate()).sparkContext.setLogLevel("ERROR")


@contextlib.contextmanager
def fresh_store(name: str, tmp: Path) -> Iterator[str]:
    """The URL of a fresh, empty store on engine `name`; `tmp` is the test's own folder."""
    if name == "duckdb":
        yield f"duckdb://{tmp / f'{uuid.uuid4().hex}.duckdb'}"
    elif name == "postgres":
        with postgres_database() as url:
            yield url
    else:
        from warlens.engine.store import Store

        spark_session(tmp)
        Store(engine.connect(SPARK_URL), SPARK_URL).drop_all()
        yield SPARK_URL


def url_for(name: str, tmp_path: Path) -> str:
    """A store URL on engine `name` (DuckDB: a new file; others: the shared one).

    Prefer `fresh_store`, which gives PostgreSQL a database of its own."""
    if name == "duckdb":
        return f"duckdb://{tmp_path / f'{uuid.uuid4().hex}.duckdb'}"
    if name == "postgres":
        return os.environ[POSTGRES_ENV]
    return SPARK_URL


#: The columns each table's rows are sorted by before two tables are compared.
SORT_KEYS = {"articles": ["article", "file"], "events": ["key", "file"],
             "claims": ["key", "file"], "places": ["key", "file"],
             "problems": ["file", "line", "field", "message"], "stories": ["story"]}


def table(url: str, name: str) -> pd.DataFrame:
    """Every row of one engine table."""
    con = engine.connect(url)
    try:
        return con.table(name).to_pandas()
    finally:
        if not url.startswith("pyspark"):
            con.disconnect()


def comparable(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Table `name`'s public columns with one type per kind of value, sorted by its keys:
    an engine's rows and the in-memory corpus's side by side."""
    from warlens.engine import schema

    out = frame[list(schema.columns(name))].copy()
    for col, kind in schema.columns(name).items():
        values = out[col]
        if kind == schema.TIMESTAMP:
            out[col] = pd.to_datetime(values).astype("datetime64[s]")
        elif kind == schema.INT:
            out[col] = values.astype("Int64")
        elif kind == schema.BOOL:
            out[col] = values.astype(bool)
        elif kind == schema.FLOAT:
            out[col] = values.astype("float64")
        else:
            out[col] = values.astype(object).where(values.notna(), None)
    return out.sort_values(SORT_KEYS[name], kind="stable",
                           na_position="first").reset_index(drop=True)


@pytest.fixture(params=ENGINES)
def engine_name(request) -> str:
    """Each engine in turn, skipped with the reason where this machine lacks it."""
    why = _why_not(request.param)
    if why:
        pytest.skip(why)
    return request.param


@pytest.fixture
def engine_url(engine_name: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty store on each engine in turn (see `fresh_store`)."""
    with fresh_store(engine_name, tmp_path) as url:
        yield url


__all__ = ["ENGINES", "ENGINE_WARNINGS", "IBIS_PANDAS_WARNING", "POSTGRES_ENV", "comparable",
           "engine", "engine_name", "engine_url", "fresh_store", "postgres_database", "url_for"]
