"""Writing tables into an engine: create, append, delete a file's rows, replace.

ibis reads every engine alike, but writes differ: DuckDB takes Arrow tables directly,
PostgreSQL takes rows fastest through COPY (ibis inserts row by row), and Spark's tables
(Parquet files in its warehouse) cannot delete rows, so a delete there writes the table
again without them. `Store` hides that from `engine.build` and `engine.bulk`.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa

from warlens.engine import TABLES, schema, scheme_of

if TYPE_CHECKING:
    from ibis.backends import BaseBackend

#: Tables that hold the rows of articles whose id an earlier file already uses: kept (not
#: shown) so that when the earlier file goes, its namesake comes back without a parse.
SHADOW_PREFIX = "_shadow_"
#: The tables with one row per article item, keyed by (file, _doc): what a shadow holds.
ITEM_TABLES = ("articles", "events", "claims", "places")
#: The most memory DuckDB takes during a build (DuckDB's default is 80% of the machine's).
DUCKDB_MEMORY = "2GB"
#: Every table a build writes, the shadows included.
ALL_TABLES = (*TABLES, *(SHADOW_PREFIX + t for t in ITEM_TABLES))


def base_name(table: str) -> str:
    """The schema a table follows: a shadow table has its item table's columns."""
    return table.removeprefix(SHADOW_PREFIX)


def _arrow_type(engine_type: str) -> pa.DataType:
    return {schema.TEXT: pa.string(), schema.TIMESTAMP: pa.timestamp("us"),
            schema.FLOAT: pa.float64(), schema.INT: pa.int64(), schema.INT32: pa.int32(),
            schema.BOOL: pa.bool_()}[engine_type]


def arrow_schema(table: str) -> pa.Schema:
    """The Arrow schema of a stored table (public columns, then helpers)."""
    return pa.schema([(c, _arrow_type(t)) for c, t in schema.stored(base_name(table)).items()])


def conform(frame: pd.DataFrame, table: str) -> pa.Table:
    """A frame as an Arrow table with exactly the stored columns and types of `table`."""
    target = arrow_schema(table)
    columns = {}
    for field in target:
        values = frame[field.name] if field.name in frame else pd.Series(
            [None] * len(frame), dtype=object)
        if field.type == pa.string() and values.dtype == object:
            values = values.where(values.notna(), None)
        columns[field.name] = pa.array(values, type=field.type, from_pandas=True)
    return pa.Table.from_pydict(columns, schema=target)


class Store:
    """One engine, as a build writes to it."""

    def __init__(self, con: BaseBackend, url: str) -> None:
        self.con = con
        self.url = url
        self.backend = scheme_of(url)
        if self.backend == "duckdb":
            # a build's scratch tables spill to disk past this, rather than fill the memory
            self.sql(f"SET memory_limit = '{DUCKDB_MEMORY}'")

    def close(self) -> None:
        """Let go of the connection (Spark's session stays: others in the process use it)."""
        if self.backend != "pyspark":
            self.con.disconnect()

    # --- tables ---------------------------------------------------------------------------

    def exists(self, table: str) -> bool:
        """Whether `table` exists in the engine."""
        return table in self.con.list_tables()

    def ensure(self, tables: Sequence[str] = ALL_TABLES) -> None:
        """Create every missing table, empty, with its stored columns."""
        present = set(self.con.list_tables())
        for table in tables:
            if table not in present:
                if self.backend == "pyspark":
                    self._forget_orphan(table)
                self.con.create_table(table, schema=schema.ibis_schema(base_name(table)))

    def _forget_orphan(self, table: str) -> None:
        """Remove the files a table of an earlier Spark session left in the warehouse.

        Spark's local mode keeps its catalog in memory: the table's Parquet files outlive
        the session that wrote them, unreachable, and block a new table of that name. With
        a persistent catalog (a Hive metastore) the table is known and never comes here.
        """
        import shutil
        from urllib.parse import urlparse

        session = self.con._session
        warehouse = urlparse(session.conf.get("spark.sql.warehouse.dir")).path
        leftover = Path(warehouse) / table
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover)

    def outdated(self) -> dict[str, list[str]]:
        """Per table the store holds, the columns this warlens keeps that it lacks (a
        store an earlier version built): {} when every table is as this version makes it."""
        present = set(self.con.list_tables())
        lacking = {}
        for table in ALL_TABLES:
            if table in present:
                gone = schema.missing(base_name(table), self.con.table(table).columns)
                if gone:
                    lacking[table] = gone
        return lacking

    def drop_all(self) -> None:
        """Drop every table a build writes (a rebuild from nothing)."""
        present = set(self.con.list_tables())
        for table in ALL_TABLES:
            if table in present:
                self.drop(table)

    def drop(self, table: str) -> None:
        """Drop `table` if it exists.

        Not through ibis: with sqlglot 30, ibis 12's drop_table sends a bare "DROP TABLE".
        """
        if self.backend == "pyspark":
            self.con._session.sql(f"DROP TABLE IF EXISTS `{table}`")
        else:
            self.sql(f"DROP TABLE IF EXISTS {_quote(table)}")

    def count(self, table: str) -> int:
        """How many rows `table` holds."""
        return int(self.con.table(table).count().execute())

    # --- writing ------------------------------------------------------------------------

    def append(self, table: str, rows: pa.Table | pd.DataFrame) -> None:
        """Add rows (any frame with the table's columns) to `table`."""
        if isinstance(rows, pd.DataFrame):
            rows = conform(rows, table)
        if not rows.num_rows:
            return
        if self.backend == "duckdb":
            native = self.con.con
            name = f"_incoming_{uuid.uuid4().hex[:8]}"
            native.register(name, rows)
            try:
                cols = ", ".join(_quote(c) for c in rows.column_names)
                native.execute(f"INSERT INTO {_quote(table)} ({cols}) SELECT {cols} FROM {name}")  # noqa: S608
            finally:
                native.unregister(name)
        elif self.backend == "postgres":
            self._copy_postgres(table, rows)
        else:
            # From Arrow, not through ibis's insert: that goes by pandas and turns a
            # missing text into the string 'NaN'.
            session = self.con._session
            session.createDataFrame(rows).write.insertInto(table)

    def _copy_postgres(self, table: str, rows: pa.Table) -> None:
        """Rows into PostgreSQL through COPY, as CSV with \\N for a missing value."""
        frame = rows.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype(),
                                             pa.int32(): pd.Int32Dtype()}.get)
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False, header=False, na_rep="\\N",
                     quoting=csv.QUOTE_MINIMAL, date_format="%Y-%m-%d %H:%M:%S.%f")
        cols = ", ".join(_quote(c) for c in rows.column_names)
        native = self.con.con
        with native.cursor() as cursor, cursor.copy(
                f"COPY {_quote(table)} ({cols}) FROM STDIN (FORMAT csv, NULL '\\N')") as copy:
            copy.write(buffer.getvalue())
        native.commit()

    def replace(self, table: str, rows: pa.Table | pd.DataFrame) -> None:
        """`table`'s rows become `rows`."""
        self.delete_where(table, None)
        self.append(table, rows)

    def delete_where(self, table: str, files: Sequence[str] | None,
                     column: str | None = None, values: Sequence[str] | None = None) -> None:
        """Delete the rows of `files` (by the table's file column) from `table`; every row
        when `files` is None. `column`/`values` delete by another text column instead."""
        column = column or ("file" if base_name(table) == "problems" else
                            schema.PATH if table == "files" else "file")
        chosen = files if values is None else values
        if chosen is not None and not len(chosen):
            return
        if self.backend in ("duckdb", "postgres"):
            if chosen is None:
                self.sql(f"DELETE FROM {_quote(table)}")  # noqa: S608
                return
            keys = self._keys_table(list(chosen))
            try:
                where = f"{_quote(column)} IN (SELECT k FROM {keys})"  # noqa: S608
                self.sql(f"DELETE FROM {_quote(table)} WHERE {where}")  # noqa: S608
            finally:
                self.sql(f"DROP TABLE IF EXISTS {keys}")
            return
        # Spark: write the table again without the rows (its Parquet tables cannot delete)
        current = self.con.table(table)
        if chosen is None:
            kept = current.limit(0)
        else:
            import ibis

            gone = ibis.memtable(pd.DataFrame({"_k": list(chosen)}))
            kept = current.anti_join(gone, current[column] == gone["_k"])
        self.rewrite(table, kept)

    def rewrite(self, table: str, expr: object) -> None:
        """`table` becomes the rows of the ibis expression `expr` (which may read it)."""
        temporary = f"{table}__new_{uuid.uuid4().hex[:8]}"
        self.con.create_table(temporary, expr)
        self.drop(table)
        if self.backend == "pyspark":
            self.con._session.sql(f"ALTER TABLE `{temporary}` RENAME TO `{table}`")
        else:
            self.sql(f"ALTER TABLE {_quote(temporary)} RENAME TO {_quote(table)}")

    def rows_of(self, table: str, files: Sequence[str]) -> int:
        """How many rows of `table` come from `files` (by its file column)."""
        if not files:
            return 0
        keys = self._keys_table(list(files))
        try:
            counted = (f'SELECT count(*) AS n FROM {_quote(table)} '  # noqa: S608
                       f'WHERE "{schema.SRC}" IN (SELECT k FROM {keys})')
            return int(self.con.sql(counted).to_pandas()["n"].iloc[0])
        finally:
            self.sql(f"DROP TABLE IF EXISTS {keys}")

    def copy_again(self, copy: str, table: str, files: Sequence[str],
                   order: Sequence[str]) -> None:
        """`copy`'s rows of `files` (a copy of `table`, column for column) replaced by
        `table`'s rows of them as they are now, appended in `order` (DuckDB, PostgreSQL)."""
        if not files:
            return
        keys = self._keys_table(list(files))
        try:
            where = f'"{schema.SRC}" IN (SELECT k FROM {keys})'  # noqa: S608
            ordered = ", ".join(_quote(c) for c in order)
            self.sql(f"DELETE FROM {_quote(copy)} WHERE {where}")  # noqa: S608
            self.sql(f"INSERT INTO {_quote(copy)} SELECT * FROM {_quote(table)} "  # noqa: S608
                     f"WHERE {where} ORDER BY {ordered}")
        finally:
            self.sql(f"DROP TABLE IF EXISTS {keys}")

    def values_of(self, column: str, tables: Sequence[str], files: Sequence[str],
                  into: str) -> None:
        """Table `into`, made anew: the distinct values of `column` in the rows of `files`
        (by their file column) in any of `tables`."""
        keys = self._keys_table(list(files))
        try:
            rows = " UNION ".join(
                f'SELECT {_quote(column)} FROM {_quote(table)} '  # noqa: S608
                f'WHERE "{schema.SRC}" IN (SELECT k FROM {keys})' for table in tables)
            self.sql(f"DROP TABLE IF EXISTS {_quote(into)}")
            self.sql(f"CREATE TABLE {_quote(into)} AS {rows}")
        finally:
            self.sql(f"DROP TABLE IF EXISTS {keys}")

    def _keys_table(self, keys: list[str]) -> str:
        """A scratch table of text keys `k`, for a delete or a join by many values."""
        name = f"_keys_{uuid.uuid4().hex[:8]}"
        self.sql(f"CREATE TABLE {name} (k TEXT)")
        if self.backend == "duckdb":
            native = self.con.con
            incoming = pa.table({"k": pa.array(keys, type=pa.string())})
            native.register(f"{name}_in", incoming)
            native.execute(f"INSERT INTO {name} SELECT k FROM {name}_in")  # noqa: S608
            native.unregister(f"{name}_in")
        else:
            native = self.con.con
            with native.cursor() as cursor, cursor.copy(f"COPY {name} (k) FROM STDIN") as copy:
                for key in keys:
                    copy.write_row((key,))
            native.commit()
        return name

    def index(self, columns: Mapping[str, Sequence[str | Sequence[str]]] = schema.INDEXED
              ) -> None:
        """On PostgreSQL, an index on each of these columns (table -> columns) that has
        none, then fresh planner statistics; nothing on the other engines.

        Called at the end of every build: a table a build rewrote has lost its indexes,
        and the rest are kept up to date by PostgreSQL as rows come and go.
        """
        if self.backend != "postgres":
            return
        for table, names in columns.items():
            for column in names:
                together = (column,) if isinstance(column, str) else tuple(column)
                self.sql(f"CREATE INDEX IF NOT EXISTS "
                         f"{_quote('wl_' + table + '_' + '_'.join(together))} "
                         f"ON {_quote(table)} ({', '.join(_quote(c) for c in together)})")
        self.sql("ANALYZE")

    def sql(self, statement: str, params: Sequence[object] = ()) -> None:
        """Run one statement that returns nothing, committed; `params` fill its `?`s.

        Table and column names in statements are this package's own constants; values
        from data files only ever come in as `params`.
        """
        if self.backend == "duckdb":
            self.con.con.execute(statement, list(params))
        elif self.backend == "postgres":
            with self.con.con.cursor() as cursor:
                cursor.execute(statement.replace("?", "%s"), list(params) or None)
            self.con.con.commit()
        else:
            self.con.raw_sql(statement)


def _quote(name: str) -> str:
    """A column or table name quoted for SQL (`end` and `key` are keywords somewhere)."""
    return '"' + name.replace('"', '""') + '"'
