"""The engines a test can run on: DuckDB always; PostgreSQL and Spark where this machine has them.

`scripts/test` starts Debian's PostgreSQL cluster when it is installed and exports
`WARLENS_TEST_POSTGRES` (a URL to a scratch database); Spark runs in local mode when Java
and pyspark are present. A missing one is skipped with a message that says what is missing.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import uuid

import pytest

from warlens import engine

POSTGRES_ENV = "WARLENS_TEST_POSTGRES"


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


def url_for(name: str, tmp_path) -> str:
    """A fresh, empty store on engine `name` (a new DuckDB file, a new Postgres schema-less
    database's tables prefixed per test are not needed: each test drops what it made)."""
    if name == "duckdb":
        return f"duckdb://{tmp_path / f'{uuid.uuid4().hex}.duckdb'}"
    if name == "postgres":
        return os.environ[POSTGRES_ENV]
    return "pyspark://local[2]"


ENGINES = ("duckdb", "postgres", "spark")


@pytest.fixture(params=ENGINES)
def engine_name(request) -> str:
    """Each engine in turn, skipped with the reason where this machine lacks it."""
    why = _why_not(request.param)
    if why:
        pytest.skip(why)
    return request.param


__all__ = ["ENGINES", "POSTGRES_ENV", "engine", "engine_name", "url_for"]
