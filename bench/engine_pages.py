"""The dashboard on an engine: rerun time per page, server memory, and the first page.

    python bench/engine_pages.py --store duckdb:///tmp/s100k.duckdb [--label "DuckDB 100k"]
    python bench/engine_pages.py --store duckdb:///tmp/s1m.duckdb --reruns 10
    python bench/engine_pages.py --store postgres://... --first-page

Stores come from bench/engine_synth.py (DuckDB; copy its tables to PostgreSQL with
`--copy-to URL`). For each page (overview, timeline, claims, map, article, problems,
stories) it opens the page through Streamlit's AppTest in one process, as bench/run.py
does, then reruns it after a place-filter change (countries, the busiest towns, then two
towns and two countries at once; with `--views combined`, a town in a season, a country's
events of one type, a town's contested events), and prints the median and p95 of those
reruns with the load average when they were taken (the machine is shared: a loaded
machine makes every figure slower). It ends with the process's peak RSS: what a server
that drew every page used. `--first-page` times a freshly started process drawing the
Overview (imports included).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PAGES: dict[str, str | None] = {
    "overview": None, "timeline": "pages/1_Timeline.py", "claims": "pages/2_Claims.py",
    "map": "pages/3_Map.py", "article": "pages/4_Article.py",
    "problems": "pages/5_Problems.py", "stories": "pages/7_Stories.py",
}
COUNTRIES = ("Ukraine", "Syria", "Sudan", "Yemen", "Mali")
TOWNS = ("Kyiv", "Kharkiv", "Aleppo", "Khartoum", "Bamako")
#: The place filters each page is rerun with, in turn: one country, one town, and a
#: reader's next click, a second place beside the first.
FILTERS: dict[str, tuple[tuple[str, ...], ...]] = {
    "countries": tuple((c,) for c in COUNTRIES),
    "towns": tuple((t,) for t in TOWNS),
    "two towns": tuple(zip(TOWNS, TOWNS[2:] + TOWNS[:2], strict=True)),
    "two countries": tuple(zip(COUNTRIES, COUNTRIES[1:] + COUNTRIES[:1], strict=True)),
}
#: Views that narrow a place further, with `--views combined`: a town in a season (three
#: months, moving on by one each rerun), a country's events of one type, and a town's
#: contested events only.
_SEASONS = tuple((dt.date(2023, 1 + m, 1), dt.date(2023, 4 + m, 1)) for m in range(5))
_TYPES = ("battle", "remote_violence", "protest", "territorial_control", "other")
COMBINED: dict[str, tuple[dict[str, Any], ...]] = {
    "town, season": tuple({"f_place": [t], "f_from": a, "f_to": b}
                          for t, (a, b) in zip(TOWNS, _SEASONS, strict=True)),
    "country, type": tuple({"f_place": [c], "f_type": [k]}
                           for c, k in zip(COUNTRIES, _TYPES, strict=True)),
    "town, contested": tuple({"f_place": [t], "f_contested": True} for t in TOWNS),
}
#: Every widget a view sets, and its value when a view leaves it alone.
_CLEAR: dict[str, Any] = {"f_place": [], "f_from": None, "f_to": None, "f_type": [],
                          "f_contested": False}
VIEWS = {"places": {label: tuple({"f_place": list(p)} for p in picks)
                    for label, picks in FILTERS.items()},
         "combined": COMBINED}


def _set(at: Any, view: dict[str, Any]) -> None:
    """Set the sidebar's widgets to this view (those it leaves alone to their default)."""
    for key, default in _CLEAR.items():
        value = view.get(key, default)
        widget = (at.date_input(key=key) if key in ("f_from", "f_to") else
                  at.toggle(key=key) if key == "f_contested" else at.multiselect(key=key))
        if widget.value != value and not (value in (None, []) and not widget.value):
            widget.set_value(value)


def load() -> str:
    """The load averages (1, 5 and 15 minutes: `os.getloadavg()`), printed beside each
    figure: the machine is shared, and a loaded machine makes every figure slower."""
    return "/".join(f"{v:.1f}" for v in os.getloadavg())


def _summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median_ms": 1000 * statistics.median(ordered), "p95_ms": 1000 * p95,
            "n": len(ordered)}


def _env(store: str) -> None:
    empty = Path(tempfile.mkdtemp(prefix="warlens-engine-bench-"))
    os.environ["WARLENS_DATA"] = str(empty)  # nothing to walk: the engine holds the corpus
    os.environ["WARLENS_ENGINE"] = store


#: What a source remembers for the store as a whole (not per view): kept between reruns.
STORE_WIDE = frozenset({"vocabulary", "files"})


def _forgetting() -> Any:
    """Every source memo made from now on, so that each timed rerun can forget the views
    before it: a rerun then costs what a view nobody opened yet costs (with reruns
    cycling through five places, half of them would otherwise be memo hits)."""
    import weakref

    from warlens import source

    memos: weakref.WeakSet = weakref.WeakSet()
    made = source.Memo.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        made(self, *args, **kwargs)
        memos.add(self)

    source.Memo.__init__ = init  # type: ignore[method-assign]

    def forget() -> None:
        for memo in list(memos):
            with memo._lock:
                for key in [k for k in memo._cache if k[0] not in STORE_WIDE]:
                    memo._cache.pop(key, None)
    return forget


def measure_pages(store: str, reruns: int, pages: list[str] | None = None,
                  views: str = "places") -> dict[str, Any]:
    """Per page: the first draw and reruns after a place-filter change, each a view not
    drawn before (the memo of earlier views is emptied first), with load."""
    _env(store)
    os.chdir(REPO)
    from streamlit.testing.v1 import AppTest

    forget = _forgetting()

    results: dict[str, Any] = {}
    for name, path in PAGES.items():
        if pages and name not in pages:
            continue
        at = AppTest.from_file(str(REPO / "app.py"), default_timeout=900)
        start = time.perf_counter()
        at.run()
        if path is not None:
            at.switch_page(path)
            at.run()
        first = time.perf_counter() - start
        if at.exception:
            results[name] = {"error": str(at.exception[0].message)[:500]}
            continue
        row: dict[str, Any] = {"first_s": first, "load_first": load()}
        kinds = VIEWS[views]
        for label, picks in kinds.items():
            times: list[float] = []
            for i in range(reruns):
                _set(at, picks[i % len(picks)])
                forget()
                start = time.perf_counter()
                at.run()
                times.append(time.perf_counter() - start)
                if at.exception:
                    row["error"] = str(at.exception[0].message)[:500]
                    break
            row[label] = {**_summary(times), "load": load()}
        # The open view again, after the filtered ones (what a reset costs).
        _set(at, {})
        forget()
        start = time.perf_counter()
        at.run()
        row["open_again_ms"] = 1000 * (time.perf_counter() - start)
        results[name] = row
        print(f"  {name:9} first {first:6.2f} s (load {row['load_first']})   " + "   ".join(
            f"{label} median {row[label]['median_ms']:6.0f} ms p95 "
            f"{row[label]['p95_ms']:6.0f} (load {row[label]['load']})"
            for label in kinds if label in row), file=sys.stderr, flush=True)
    results["server_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results["load_end"] = load()
    return results


_FIRST = """
import time, os, sys
started = time.perf_counter()
os.chdir({repo!r})
from streamlit.testing.v1 import AppTest
at = AppTest.from_file({app!r}, default_timeout=900)
at.run()
import json, resource
print(json.dumps({{"first_page_s": time.perf_counter() - started,
                   "errors": [str(e.message)[:300] for e in at.exception],
                   "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def first_page(store: str) -> dict[str, Any]:
    """A freshly started process (imports included) drawing the Overview: seconds."""
    env = dict(os.environ)
    empty = tempfile.mkdtemp(prefix="warlens-engine-bench-")
    env.update(WARLENS_DATA=empty, WARLENS_ENGINE=store)
    started = time.perf_counter()
    code = _FIRST.format(repo=str(REPO), app=str(REPO / "app.py"))
    out = subprocess.run([sys.executable, "-c", code],  # noqa: S603 - our own code
                         env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if out.returncode:
        return {"error": out.stderr[-1000:]}
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return {**result, "process_wall_s": wall, "load": load()}


def copy_to(source: str, target: str) -> float:
    """Copy every table of a DuckDB store into a PostgreSQL database (COPY, as CSV), or
    through ibis into another engine: seconds."""
    import psycopg

    from warlens import engine

    start = time.perf_counter()
    import ibis

    src = ibis.duckdb.connect(source.split("://", 1)[1], read_only=True)
    dst = engine.connect(target)
    for name in engine.TABLES:
        table = src.table(name)
        dst.create_table(name, schema=table.schema(), overwrite=True)
        if engine.scheme_of(target) != "postgres":
            dst.insert(name, table.to_pyarrow())
            continue
        with tempfile.NamedTemporaryFile(suffix=".csv") as csv:
            src.raw_sql(f"COPY {name} TO '{csv.name}' (HEADER, FORMAT csv)")
            with psycopg.connect(target) as pg, pg.cursor() as cur, \
                    cur.copy(f'COPY "{name}" FROM STDIN (FORMAT csv, HEADER)') as copy, \
                    open(csv.name, "rb") as data:  # noqa: PTH123
                while chunk := data.read(1 << 20):
                    copy.write(chunk)
        print(f"  copied {name} ({time.perf_counter() - start:.0f} s)", file=sys.stderr)
    if engine.scheme_of(target) == "postgres":  # what `warlens build` ends with
        from warlens.engine.build import refresh_summaries
        from warlens.engine.store import Store

        copied = Store(dst, target)
        refresh_summaries(copied)
        copied.index()
    return time.perf_counter() - start


def spark_views(source: str, folder: Path) -> float:
    """Spark local in this process, its temporary views the tables of a DuckDB store (via
    Parquet files in `folder`): seconds. Use --store pyspark:// with it."""
    import ibis
    from pyspark.sql import SparkSession

    from warlens import engine

    start = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    src = ibis.duckdb.connect(source.split("://", 1)[1], read_only=True)
    engine.connect("pyspark://")  # the session the app will get, with its settings
    session = SparkSession.builder.getOrCreate()
    for name in engine.TABLES:
        path = folder / f"{name}.parquet"
        if not path.exists():
            src.raw_sql(f"COPY {name} TO '{path}' (FORMAT parquet)")
        session.read.parquet(str(path)).createOrReplaceTempView(name)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    """Measure the pages on one store and print them (JSON with --out)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", required=True, help="an engine URL holding a corpus")
    parser.add_argument("--label", default="")
    parser.add_argument("--reruns", type=int, default=10)
    parser.add_argument("--pages", nargs="*", choices=list(PAGES),
                        help="only these pages (default: every one)")
    parser.add_argument("--views", choices=list(VIEWS), default="places",
                        help="places: one and two places; combined: a place with a date "
                             "range, a type or contested-only")
    parser.add_argument("--first-page", action="store_true")
    parser.add_argument("--no-pages", action="store_true")
    parser.add_argument("--copy-to", help="copy the store's tables here first, and use it")
    parser.add_argument("--spark-from", help="a DuckDB store to serve through Spark local")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    store = args.store
    result: dict[str, Any] = {"label": args.label or store, "load_start": load()}
    if args.copy_to:
        result["copy_s"] = copy_to(store, args.copy_to)
        store = args.copy_to
        print(f"copied in {result['copy_s']:.1f} s (load {load()})", file=sys.stderr)
    if args.spark_from:
        folder = Path(tempfile.gettempdir()) / "warlens-spark-parquet" / Path(
            args.spark_from).stem
        result["spark_views_s"] = spark_views(args.spark_from, folder)
        store = "pyspark://"
    if args.first_page:
        result["first_page"] = first_page(store)
        print(f"first page of a fresh process: {result['first_page']}", file=sys.stderr)
    if not args.no_pages:
        result["pages"] = measure_pages(store, args.reruns, args.pages, args.views)
        print(f"server peak RSS {result['pages']['server_rss_mb']:.0f} MB "
              f"(load {result['pages']['load_end']})", file=sys.stderr)
    text = json.dumps(result, indent=1, default=str)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
