"""A synthetic corpus of any size written straight into DuckDB, for the engine benchmarks.

    python bench/engine_synth.py --articles 1000000 --out /tmp/warlens-1m.duckdb

`warlens synth` writes one YAML file per article; a million of them take hours to write
and build. This makes tables of the same shape in DuckDB's own SQL (generate_series), in
a minute or two: the towns, countries, outlets, actors and event types of `warlens.synth`,
dates over three years in mixed precision (days, months, ranges, undated), contested
events (one claimant asserts, another denies), and shared stories (half the articles
report one of a few stories of their neighbours). Each table has the columns and types of
the in-memory corpus frames (engine.TABLES); every article says it is synthetic.

Per article: EVENTS events (10 by default: 1M articles = 10M events, as issue 16 asks),
CLAIMS claims and PLACES places. Last come the summary tables every `warlens build` makes
(`engine.build.refresh_summaries`); `--summarise-only URL` makes them for an older store.
"""

# ruff: noqa: S608 - every statement is built from this module's own constants and numbers

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from warlens import synth
from warlens.model import Col
from warlens.stories import STORY_COLUMNS

EVENTS, CLAIMS, PLACES = 10, 6, 4
COUNTRY_NAMES = {"UA": "Ukraine", "SY": "Syria", "SD": "Sudan", "YE": "Yemen", "ML": "Mali"}
STANCES = ("asserts", "denies", "doubts", "estimates")
END = 'st."end"'


def _types() -> dict[str, dict[str, str]]:
    """Each engine table's columns and SQL types, as the in-memory corpus has them."""
    from warlens.workspace import load_corpus

    corpus = load_corpus(Path(__file__).resolve().parents[1] / "data" / "articles",
                         cache=False)

    def sql(dtype: object) -> str:
        kind = getattr(dtype, "kind", "O")
        if str(dtype) == "Int64" or kind in "iu":
            return "BIGINT"
        return {"M": "TIMESTAMP", "f": "DOUBLE", "b": "BOOLEAN"}.get(kind, "VARCHAR")

    out = {name: {c: sql(t) for c, t in getattr(corpus, name).dtypes.items()}
           for name in ("articles", "events", "claims", "places")}
    out["problems"] = {"file": "VARCHAR", "line": "BIGINT", "field": "VARCHAR",
                       "message": "VARCHAR", "severity": "VARCHAR"}
    return out


def _select(columns: dict[str, str], exprs: dict[str, str]) -> str:
    """A SELECT list giving every column its type: its expression, or NULL."""
    return ",\n  ".join(f"CAST({exprs.get(c, 'NULL')} AS {t}) AS \"{c}\""
                        for c, t in columns.items())


def _towns_frame() -> pd.DataFrame:
    rows = []
    for code, towns in synth.town_pool().items():
        for town in towns:
            rows.append({"code": code, "country_name": COUNTRY_NAMES[code], "name": town.name,
                         "lat": town.lat, "lon": town.lon})
    frame = pd.DataFrame(rows)
    frame["t"] = range(len(frame))
    return frame


def write(con, articles: int, events: int = EVENTS, claims: int = CLAIMS,
          places: int = PLACES) -> dict[str, float]:
    """Fill a DuckDB connection (duckdb.connect) with a synthetic corpus; seconds per table."""
    types = _types()
    towns = _towns_frame()
    con.register("towns_df", towns)
    con.execute("CREATE OR REPLACE TABLE towns AS SELECT * FROM towns_df")
    n_towns = len(towns)
    outlets = "[" + ", ".join(f"'{o}'" for o in synth.OUTLETS) + "]"
    etypes = "[" + ", ".join(f"'{t}'" for t in synth.EVENT_TYPES) + "]"
    actors = "[" + ", ".join("'" + a.replace("'", "''") + "'"
                             for acts in synth.ACTORS.values() for a in acts) + "]"
    n_actors = sum(len(a) for a in synth.ACTORS.values())
    timings: dict[str, float] = {}

    def make(name: str, sql: str) -> None:
        start = time.perf_counter()
        con.execute(f"CREATE OR REPLACE TABLE {name} AS {sql}")
        timings[name] = time.perf_counter() - start

    # One row per article, with its town and publication day, kept for the other tables.
    make("_art", f"""
      SELECT i, 'synth-' || lpad(CAST(i AS VARCHAR), 7, '0') AS article,
             hash(i, 1) % {n_towns} AS t, DATE '2022-01-01' + CAST(hash(i, 2) % 1095 AS INT)
             AS day, {outlets}[1 + CAST(i % 5 AS INT)] AS outlet,
             'synth/' || lpad(CAST(i // 1000 AS VARCHAR), 4, '0') || '/synth-'
             || lpad(CAST(i AS VARCHAR), 7, '0') || '.yaml' AS file
      FROM range({articles}) r(i)""")
    make("articles", f"""SELECT {_select(types['articles'], {
        Col.ARTICLE: "article", Col.TITLE: "'Synthetic report ' || i || ' from ' || tw.name",
        Col.OUTLET: "outlet", Col.URL: "'https://example.org/synth/' || i",
        Col.PUBLISHED_START: "day", Col.PUBLISHED_END: "day",
        Col.PUBLISHED_LABEL: "strftime(day, '%-d %B %Y')", Col.PUBLISHED_INFERRED: "false",
        Col.LANGUAGE: "'en'",
        Col.TEXT: "'SYNTHETIC. Fighting was reported near ' || tw.name || '. ' || "
                  "repeat('Nothing in this text was reported by anyone. ', 8)",
        Col.NOTES: "'SYNTHETIC: engine_synth article ' || i", Col.TAGS: "'synthetic'",
        Col.LICENSE: "'CC0'", Col.ATTRIBUTION: "'warlens synth'", Col.FILE: "file",
        Col.DRAFT: "false"})}
      FROM _art JOIN towns tw ON tw.t = _art.t""")
    # An event's town: the article's for the first two, then its neighbours'.
    make("_ev", f"""
      SELECT a.i, a.article, a.file, a.day, j,
             CASE WHEN j < 2 THEN a.t ELSE hash(a.i, j, 3) % {n_towns} END AS t,
             hash(a.i, j, 4) % 10 AS dk, {etypes}[1 + CAST(hash(a.i, j, 5) % 6 AS INT)] AS type,
             (a.i + 2 * j + 1) % 3 = 0 AND j < {claims // 2} AS contested,
             CASE WHEN j = 0 AND a.i % 2 = 0
                  THEN 'story-' || (a.i // 10) || '-' || (hash(a.i, 6) % 2) END AS story,
             hash(a.i, j, 7) % {n_actors} AS actor
      FROM _art a CROSS JOIN range({events}) e(j)""")
    start_expr = ("CASE WHEN dk < 6 THEN day - CAST(dk AS INT) WHEN dk < 8 THEN "
                  "date_trunc('month', day) WHEN dk < 9 THEN day - 10 END")
    end_expr = ("CASE WHEN dk < 6 THEN day - CAST(dk AS INT) WHEN dk < 8 THEN "
                "last_day(day) WHEN dk < 9 THEN day - 3 END")
    make("events", f"""SELECT {_select(types['events'], {
        Col.KEY: "article || '/e' || j", Col.ARTICLE: "article", Col.ID: "'e' || j",
        Col.SUMMARY: "replace(type, '_', ' ') || ' in ' || tw.name",
        Col.TYPE: "type", Col.START: start_expr, Col.END: end_expr,
        Col.DATE_PRECISION: "CASE WHEN dk < 6 THEN 'day' WHEN dk < 8 THEN 'month' "
                            "WHEN dk < 9 THEN 'range' ELSE 'undated' END",
        Col.DATE_LABEL: f"CASE WHEN dk < 9 THEN strftime({start_expr}, '%-d %B %Y') "
                        "ELSE 'undated' END",
        Col.DATE_TEXT: "CASE WHEN dk < 9 THEN 'on that day' END",
        Col.PLACE: "article || '/p' || (j % 4)", Col.PLACE_NAME: "tw.name",
        Col.LAT: "tw.lat", Col.LON: "tw.lon",
        Col.PRECISION: "CASE WHEN j = 9 THEN 'country' ELSE 'settlement' END",
        Col.COUNTRY: "tw.code", Col.COUNTRY_NAME: "tw.country_name",
        Col.ACTORS: f"{actors}[1 + CAST(actor AS INT)] || '; ' || "
                    f"{actors}[1 + CAST((actor + 1) % {n_actors} AS INT)]",
        Col.QUOTE: "'Fighting was reported near ' || tw.name || '.'",
        Col.SPAN_START: "10", Col.SPAN_END: "40", Col.TAGS: "'synthetic'",
        Col.CONTESTED: "contested", Col.N_CLAIMS: f"CASE WHEN j < {claims // 2} THEN 2 ELSE 0 END",
        Col.STORY: "story", Col.FILE: "file", Col.LINE: "20 + 12 * j", Col.DRAFT: "false"})}
      FROM _ev JOIN towns tw ON tw.t = _ev.t""")
    # Claims come in pairs about events 0, 1, 2: the first asserts, the second denies
    # (where the event is contested) or doubts.
    make("claims", f"""SELECT {_select(types['claims'], {
        Col.KEY: "e.article || '/c' || c", Col.ARTICLE: "e.article", Col.ID: "'c' || c",
        Col.CLAIMANT: f"{actors}[1 + CAST((e.actor + c % 2) % {n_actors} AS INT)]",
        Col.STANCE: "CASE WHEN c % 2 = 0 THEN 'asserts' WHEN e.contested THEN 'denies' "
                    "ELSE 'doubts' END",
        Col.CLAIM: "'The ' || replace(e.type, '_', ' ') || ' in ' || tw.name || ' happened'",
        Col.EVENT: "e.article || '/e' || e.j",
        Col.EVENT_SUMMARY: "replace(e.type, '_', ' ') || ' in ' || tw.name",
        Col.EVENT_TYPE: "e.type",
        Col.PLACE: "e.article || '/p' || (e.j % 4)", Col.PLACE_NAME: "tw.name",
        Col.LAT: "tw.lat", Col.LON: "tw.lon", Col.PRECISION: "'settlement'",
        Col.COUNTRY: "tw.code", Col.COUNTRY_NAME: "tw.country_name",
        Col.START: "e.day", Col.END: "e.day", Col.DATE_PRECISION: "'day'",
        Col.DATE_LABEL: "strftime(e.day, '%-d %B %Y')",
        Col.QUOTE: "'Officials said the ' || replace(e.type, '_', ' ') || ' happened.'",
        Col.SPAN_START: "50", Col.SPAN_END: "90", Col.VERDICT: "'unverified'",
        Col.CONTESTED: "e.contested", Col.STORY: "e.story", Col.FILE: "e.file",
        Col.LINE: "200 + 8 * c", Col.DRAFT: "false"})}
      FROM _ev e CROSS JOIN range({claims}) k(c) JOIN towns tw ON tw.t = e.t
      WHERE e.j = c // 2""")
    make("places", f"""SELECT {_select(types['places'], {
        Col.KEY: "a.article || '/p' || p", Col.ARTICLE: "a.article", Col.ID: "'p' || p",
        Col.PLACE_NAME: "tw.name", Col.LAT: "tw.lat", Col.LON: "tw.lon",
        Col.PRECISION: "'settlement'", Col.COUNTRY: "tw.code",
        Col.COUNTRY_NAME: "tw.country_name", Col.RESOLVED_BY: "'gazetteer'",
        Col.FILE: "a.file", Col.LINE: "120 + 6 * p", Col.DRAFT: "false"})}
      FROM _art a CROSS JOIN range({places}) q(p)
      JOIN towns tw ON tw.t = CASE WHEN p = 0 THEN a.t ELSE hash(a.i, p, 3) % {n_towns} END""")
    story_types = {c: "VARCHAR" for c in STORY_COLUMNS}
    story_types.update(dict.fromkeys(["start", "end", "first_report", "last_report"],
                                     "TIMESTAMP"))
    story_types.update(dict.fromkeys(["n_articles", "n_outlets", "n_events", "n_claims",
                                      "asserts", "denies", "doubts"], "BIGINT"))
    story_types["contested"] = "BOOLEAN"
    make("stories", f"""
      WITH ev AS (SELECT e.story, e.article, e.start, e."end", e.place_name, a.outlet,
                         a.published_start FROM events e JOIN articles a USING (article)
                  WHERE e.story IS NOT NULL),
           cl AS (SELECT story, count(*) AS n_claims,
                         count(*) FILTER (stance = 'asserts') AS asserts,
                         count(*) FILTER (stance = 'denies') AS denies,
                         count(*) FILTER (stance = 'doubts') AS doubts
                  FROM claims WHERE story IS NOT NULL GROUP BY story),
           st AS (SELECT story, min(start) AS start, max("end") AS "end",
                         string_agg(DISTINCT place_name, '; ' ORDER BY place_name) AS places,
                         count(DISTINCT article) AS n_articles,
                         count(DISTINCT outlet) AS n_outlets,
                         string_agg(DISTINCT outlet, '; ' ORDER BY outlet) AS outlets,
                         count(*) AS n_events, min(published_start) AS first_report,
                         max(published_start) AS last_report FROM ev GROUP BY story)
      SELECT {_select(story_types, {
          "story": "st.story", "start": "st.start", "end": END,
          "date_label": "CASE WHEN st.start IS NULL THEN 'undated' ELSE "
                        "strftime(st.start, '%-d %B %Y') END",
          "places": "st.places", "n_articles": "st.n_articles", "n_outlets": "st.n_outlets",
          "outlets": "st.outlets", "n_events": "st.n_events",
          "n_claims": "coalesce(cl.n_claims, 0)", "asserts": "coalesce(cl.asserts, 0)",
          "denies": "coalesce(cl.denies, 0)", "doubts": "coalesce(cl.doubts, 0)",
          "contested": "coalesce(cl.asserts, 0) > 0 AND coalesce(cl.denies, 0) > 0",
          "first_report": "st.first_report", "last_report": "st.last_report"})}
      FROM st LEFT JOIN cl USING (story) ORDER BY st.story""")
    make("problems", f"SELECT {_select(types['problems'], {})} WHERE false")
    make("files", "SELECT file AS path FROM _art")
    for scratch in ("_art", "_ev", "towns"):
        con.execute(f"DROP TABLE {scratch}")
    con.execute("CHECKPOINT")
    return timings


def make_store(path: Path, articles: int, **counts: int) -> dict[str, float]:
    """Write a DuckDB file at `path` holding a synthetic corpus (replacing one there)."""
    import duckdb

    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    try:
        timings = write(con, articles, **counts)
    finally:
        con.close()
    start = time.perf_counter()
    summarise(f"duckdb://{path}")
    timings["summaries"] = time.perf_counter() - start
    return timings


def summarise(url: str) -> None:
    """Make the summary tables a build makes (`engine.build.refresh_summaries`)."""
    from warlens.engine import connect
    from warlens.engine.build import refresh_summaries
    from warlens.engine.store import Store

    store = Store(connect(url), url)
    try:
        refresh_summaries(store)
        store.sql("CHECKPOINT")
    finally:
        store.close()


def main(argv: list[str] | None = None) -> int:
    """Write a synthetic DuckDB store and say how long each table took."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--summarise-only", metavar="URL",
                        help="make a store's summary tables, nothing else")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    if args.summarise_only:
        summarise(args.summarise_only)
        print(f"summaries  {time.perf_counter() - start:7.1f} s -> {args.summarise_only}")
        return 0
    if args.out is None:
        parser.error("--out is required")
    timings = make_store(args.out, args.articles)
    for name, seconds in timings.items():
        print(f"{name:10} {seconds:7.1f} s")
    print(f"total      {time.perf_counter() - start:7.1f} s -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
