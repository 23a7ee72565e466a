"""The corpus in a real query engine: DuckDB by default, PostgreSQL or Spark when asked.

The in-memory corpus (`warlens.corpus.Corpus`, pandas frames) serves a folder up to about
100,000 articles on one machine. Past that, or when several app processes must share one
store, the same tables live in an engine and pages ask it only for the rows and columns
they draw. Every engine is reached through ibis, so each query is written once.

Which engine, by URL (`WARLENS_ENGINE` or `--engine`):
- ``duckdb://PATH`` (default ``duckdb://<data folder>/.warlens/warlens.duckdb``): embedded,
  zero set-up, Parquet-backed columnar storage; one machine.
- ``postgres://USER:PASSWORD@HOST:PORT/DB``: a shared store many app replicas read.
- ``pyspark://local[N]`` (or ``pyspark://`` for ``local[*]``): Spark, for the event sets that
  outgrow one machine; tests run it in local mode.

The tables (`TABLES`) have the columns of the assembled corpus frames, one row each, named
as in `warlens.model.Col`: ``articles``, ``events``, ``claims``, ``places``, ``problems``,
``stories``, plus ``files`` (one row per source file: its path inside the data folder and
its content digest, for incremental builds).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # ibis is imported only when an engine is used: the app starts without it
    from ibis.backends import BaseBackend

#: The environment variable that picks an engine for the app and the CLI.
ENV = "WARLENS_ENGINE"

#: The tables an engine holds, in the order a build writes them.
TABLES = ("files", "articles", "events", "claims", "places", "problems", "stories")

#: URL schemes warlens knows, and the ibis backend behind each.
SCHEMES = {"duckdb": "duckdb", "postgres": "postgres", "postgresql": "postgres",
           "pyspark": "pyspark", "spark": "pyspark"}


class EngineError(ValueError):
    """An engine URL that cannot be used, said in one line."""


def default_url(folder: Path | str) -> str:
    """The embedded DuckDB file kept beside a data folder's other caches."""
    return f"duckdb://{Path(folder).resolve() / '.warlens' / 'warlens.duckdb'}"


def engine_url(folder: Path | str | None = None, url: str | None = None) -> str | None:
    """The engine URL asked for: `url`, else `WARLENS_ENGINE`; None means in memory."""
    chosen = url or os.environ.get(ENV) or None
    if chosen == "duckdb" and folder is not None:
        return default_url(folder)
    return chosen


def scheme_of(url: str) -> str:
    """The ibis backend name for an engine URL, or EngineError naming what is known."""
    # Not urlsplit: it reads "local[2]" as a bracketed IPv6 host and raises.
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in SCHEMES:
        known = ", ".join(sorted({f"{s}://" for s in SCHEMES}))
        raise EngineError(f"unknown engine {url.split('://')[0]!r}: use one of {known}")
    return SCHEMES[scheme]


def connect(url: str) -> BaseBackend:
    """An ibis connection for an engine URL (see the module doc for the forms)."""
    import ibis

    backend = scheme_of(url)
    if backend == "duckdb":
        path = url.split("://", 1)[1] or ":memory:"
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return ibis.duckdb.connect(path)
    if backend == "postgres":
        return ibis.connect(url.replace("postgresql://", "postgres://", 1))
    master = url.split("://", 1)[1] or "local[*]"
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master(master).appName("warlens")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.ui.enabled", "false").getOrCreate())
    return ibis.pyspark.connect(session)
