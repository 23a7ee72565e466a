"""DuckDB database file against Parquet files read through views, on one build.

    python bench/engine_storage.py bench/out/engines/synth-10000.duckdb

Copies the build, writes each table as a Parquet file, then times (wall and CPU
milliseconds, medians) the queries behind the timeline, map, claims and article pages
on both layouts, and what one changed file costs each: a delete and an insert in the
database file, the table written again as Parquet. docs/engines.md gives the figures.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

TABLES = ("articles", "events", "claims", "places", "problems", "stories", "files")
QUERIES = {
    "timeline: events by month of one type":
        "SELECT date_trunc('month', start) m, count(*) FROM events WHERE type = 'battle' "
        "GROUP BY m ORDER BY m",
    "map: events per place in half a year":
        "SELECT place_name, avg(lat), avg(lon), count(*) FROM events WHERE start >= "
        "'2022-06-01' AND start < '2023-01-01' GROUP BY place_name",
    "claims: contested, by claimant":
        "SELECT claimant, count(*) FROM claims WHERE contested GROUP BY claimant "
        "ORDER BY 2 DESC LIMIT 20",
    "one article's events":
        "SELECT * FROM events WHERE article = (SELECT article FROM articles LIMIT 1 "
        "OFFSET 5000)",
}


def clock(step: Callable[[], object], runs: int = 1) -> tuple[int, int]:
    """Median wall and CPU milliseconds of `runs` calls of `step`."""
    wall, cpu = [], []
    for _ in range(runs):
        w, c = time.perf_counter(), time.process_time()
        step()
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return round(statistics.median(wall) * 1000), round(statistics.median(cpu) * 1000)


def main(argv: list[str]) -> int:
    """Measure one build given by its DuckDB file; print a line per figure."""
    source = Path(argv[0])
    work = Path(tempfile.mkdtemp(prefix="warlens-storage-"))
    try:
        copy, parquet = work / "copy.duckdb", work / "parquet"
        shutil.copyfile(source, copy)
        parquet.mkdir()
        db = duckdb.connect(str(copy))
        print(f"load average {os.getloadavg()[0]:.1f}; (wall ms, CPU ms)")
        print("write every table as Parquet:", clock(lambda: [
            db.execute(f"COPY {t} TO '{parquet}/{t}.parquet' (FORMAT parquet)")
            for t in TABLES]))
        size = sum((parquet / f"{t}.parquet").stat().st_size for t in TABLES)
        print(f"size: DuckDB file {copy.stat().st_size / 1e6:.0f} MB, Parquet {size / 1e6:.0f} MB")
        views = duckdb.connect()
        for t in TABLES:
            views.execute(f"CREATE VIEW {t} AS SELECT * FROM read_parquet('{parquet}/{t}.parquet')")  # noqa: S608
        for name, query in QUERIES.items():
            print(f"{name}: DuckDB file {clock(lambda q=query: db.execute(q).fetchall(), 7)}, "
                  f"Parquet {clock(lambda q=query: views.execute(q).fetchall(), 7)}")
        src = db.execute("SELECT _src FROM events LIMIT 1").fetchone()[0]

        def in_place() -> None:
            db.execute("CREATE TEMP TABLE fresh AS SELECT * FROM events WHERE _src = ?", [src])
            db.execute("DELETE FROM events WHERE _src = ?", [src])
            db.execute("INSERT INTO events SELECT * FROM fresh")
            db.execute("DROP TABLE fresh")

        def rewritten() -> None:
            target = parquet / "events.new.parquet"
            views.execute(f"COPY (SELECT * FROM events WHERE _src <> ? UNION ALL SELECT * "  # noqa: S608
                          f"FROM events WHERE _src = ?) TO '{target}' (FORMAT parquet)",
                          [src, src])
            target.replace(parquet / "events.parquet")

        print(f"one changed file's events: DuckDB file {clock(in_place, 3)}, "
              f"Parquet {clock(rewritten, 3)}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
