"""`warlens build` measured: build time, incremental rebuild, peak memory, rows.

    python bench/engine_build.py acled [--rows 2000000]
    python bench/engine_build.py ucdp [--rows 1000000]
    python bench/engine_build.py gdelt [--rows 1000000]
    python bench/engine_build.py corpus [--articles 100000] [--engines duckdb,postgres,spark]
    python bench/engine_build.py scale [--articles 100000] [--times 10]

`acled` writes a synthetic ACLED-shaped CSV (`acled_csv`) and loads it into a fresh DuckDB
with `warlens build --events`; `ucdp` and `gdelt` do the same with a synthetic UCDP GED
CSV (`ucdp_csv`) and a GDELT 2.0 events export (`gdelt_export`). `corpus` builds a
synthetic YAML corpus (`warlens synth`, written once under bench/out/corpora/ as
bench/run.py writes them) into each engine, cold, then again after one file changed.
`scale` takes the DuckDB build of a corpus, copies its rows `--times` times over under new
ids (the columnar path: rows arrive as tables, not as YAML files) and times what a rebuild
does at that size: the checks across files, the stories, one changed file. Each
measurement runs in a child process whose peak RSS (and its parse workers') is printed
beside the wall time, the CPU time (its own and its workers') and the load average: this
machine is shared, and under load the CPU time says more than the wall time. PostgreSQL's
URL comes from WARLENS_TEST_POSTGRES (scripts/test sets it).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
#: ACLED's columns, in the order of its exports.
ACLED_COLUMNS = [
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type",
    "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2",
    "inter2", "interaction", "civilian_targeting", "iso", "region", "country", "admin1",
    "admin2", "admin3", "location", "latitude", "longitude", "geo_precision", "source",
    "source_scale", "notes", "fatalities", "tags", "timestamp",
]
_TYPES = [("Battles", "Armed clash", "Political violence"),
          ("Explosions/Remote violence", "Shelling/artillery/missile attack",
           "Political violence"),
          ("Violence against civilians", "Attack", "Political violence"),
          ("Protests", "Peaceful protest", "Demonstrations"),
          ("Riots", "Violent demonstration", "Demonstrations"),
          ("Strategic developments", "Looting/property destruction", "Strategic developments")]
_PLACES = [("Kharkiv", "Kharkivska", 49.9935, 36.2304),
           ("Bakhmut", "Donetska", 48.5953, 38.0),
           ("Kherson", "Khersonska", 46.6354, 32.6169),
           ("Mariupol", "Donetska", 47.0971, 37.5434),
           ("Sumy", "Sumska", 50.9077, 34.7981), ("Odesa", "Odeska", 46.4825, 30.7233),
           ("Zaporizhzhia", "Zaporizka", 47.8388, 35.1396),
           ("Izium", "Kharkivska", 49.2128, 37.2566)]
_ACTORS = ["Military Forces of Russia (2000-)", "Military Forces of Ukraine (2019-)",
           "Wagner Group", "Civilians (Ukraine)", "Protesters (Ukraine)",
           "Police Forces of Ukraine"]


def acled_csv(path: Path, rows: int, seed: int = 1) -> Path:
    """Write a synthetic ACLED-shaped CSV of `rows` events (once: kept if complete)."""
    marker = path.with_suffix(".complete")
    if path.exists() and marker.exists() and marker.read_text() == f"{rows} {seed}":
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(ACLED_COLUMNS)
        for n in range(rows):
            kind, sub, disorder = _TYPES[n % len(_TYPES)]
            town, oblast, lat, lon = _PLACES[rng.randrange(len(_PLACES))]
            day = 738000 + rng.randrange(900)  # a day in 2021-2024, as an ordinal
            date = time.strftime("%Y-%m-%d", time.gmtime((day - 719163) * 86400))
            a1, a2 = rng.sample(_ACTORS, 2)
            dead = rng.choice((0, 0, 0, 1, 2, 5, 12))
            out.writerow([
                f"UKR{n + 1}", date, date[:4], rng.choice((1, 1, 1, 2, 3)), disorder, kind, sub,
                a1, "", 1, a2, "", 2, 12, "", 804, "Europe", "Ukraine", oblast, f"{town} raion",
                "", town, f"{lat + rng.uniform(-0.05, 0.05):.4f}",
                f"{lon + rng.uniform(-0.05, 0.05):.4f}", rng.choice((1, 1, 2)),
                "Ukrinform; Suspilne", "National",
                f"On {date}, {a1} and {a2} clashed near {town} ({oblast}); {dead} reported "
                f"fatalities. Event number {n + 1} of the synthetic set.",
                dead, "", 1700000000])
    marker.write_text(f"{rows} {seed}")
    return path


#: UCDP GED's columns (the ones `formats.ucdp` reads and a few it passes by).
UCDP_COLUMNS = [
    "id", "relid", "year", "active_year", "code_status", "type_of_violence", "conflict_name",
    "dyad_name", "side_a", "side_b", "number_of_sources", "source_article", "source_office",
    "source_date", "source_headline", "source_original", "where_prec", "where_coordinates",
    "where_description", "adm_1", "adm_2", "latitude", "longitude", "country", "region",
    "event_clarity", "date_prec", "date_start", "date_end", "deaths_a", "deaths_b",
    "deaths_civilians", "deaths_unknown", "best", "high", "low",
]
_SIDES = [("Government of Russia (Soviet Union)", "Government of Ukraine", 1),
          ("Government of Russia (Soviet Union)", "Civilians", 3),
          ("RSF", "SAF-aligned militia", 2)]


def _day(rng: random.Random) -> str:
    """A day in 2021-2024, ISO."""
    day = 738000 + rng.randrange(900)
    return time.strftime("%Y-%m-%d", time.gmtime((day - 719163) * 86400))


def _complete(path: Path, rows: int, seed: int) -> bool:
    marker = path.with_suffix(".complete")
    return path.exists() and marker.exists() and marker.read_text() == f"{rows} {seed}"


def ucdp_csv(path: Path, rows: int, seed: int = 1) -> Path:
    """Write a synthetic UCDP GED-shaped CSV of `rows` events (once: kept if complete)."""
    if _complete(path, rows, seed):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(UCDP_COLUMNS)
        for n in range(rows):
            side_a, side_b, violence = _SIDES[n % len(_SIDES)]
            town, oblast, lat, lon = _PLACES[rng.randrange(len(_PLACES))]
            start = _day(rng)
            prec = rng.choice((1, 1, 1, 2, 3, 4, 6))
            best = rng.choice((0, 1, 2, 5, 12))
            located = prec != 6
            out.writerow([
                900000 + n, f"UKR-{start[:4]}-{violence}-{n}", start[:4], 1, "Clear", violence,
                "Russia - Ukraine", f"{side_a} - {side_b}", side_a, side_b, 1,
                f"Ukrinform,{start},Fighting near {town}", "Ukrinform", start,
                f"Fighting near {town} (report {n + 1})", "Ukrainian military", prec,
                f"{town} town" if located else "Ukraine", town if located else "Ukraine",
                f"{oblast} oblast", f"{town} raion",
                f"{lat + rng.uniform(-0.05, 0.05):.4f}" if located else "49.0",
                f"{lon + rng.uniform(-0.05, 0.05):.4f}" if located else "32.0",
                "Ukraine", "Europe", rng.choice((1, 1, 2)), rng.choice((1, 1, 1, 2, 4)), start,
                start, best, 0, 0, 0, best, best + rng.choice((0, 2, 5)), best])
    path.with_suffix(".complete").write_text(f"{rows} {seed}")
    return path


#: (CAMEO event code, ActionGeo_Type, FIPS country, place, lat, lon) of the synthetic rows.
_GDELT_EVENTS = [("190", "4", "UP", "Bakhmut, Donets'k, Ukraine", 48.5956, 38.0003),
                 ("195", "4", "UP", "Odesa, Odes'ka Oblast', Ukraine", 46.4775, 30.7326),
                 ("141", "1", "UP", "Ukraine", 49.0, 32.0),
                 ("043", "5", "UP", "Kyyiv, Misto, Ukraine", 50.4333, 30.5167),
                 ("1832", "4", "UP", "Kramatorsk, Donets'k, Ukraine", 48.7233, 37.5556),
                 ("202", "4", "SU", "Omdurman, Khartoum, Sudan", 15.6445, 32.4777)]


def gdelt_export(path: Path, rows: int, seed: int = 1) -> Path:
    """Write a synthetic GDELT 2.0 events export of `rows` events: 61 tab-separated
    columns, no header (once: kept if complete)."""
    from warlens.formats.gdelt import LAYOUTS

    if _complete(path, rows, seed):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = LAYOUTS[61][1]
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
    with path.open("w", encoding="utf-8") as handle:
        for n in range(rows):
            code, kind, fips, place, lat, lon = _GDELT_EVENTS[rng.randrange(len(_GDELT_EVENTS))]
            day = _day(rng).replace("-", "")
            a1, a2 = rng.sample([("RUS", "RUSSIA"), ("UKR", "UKRAINE"), ("UKRMIL", "UKRAINIAN "
                                 "MILITARY"), ("SDNREB", "RAPID SUPPORT FORCES")], 2)
            cells = dict.fromkeys(columns, "")
            cells.update({
                "GLOBALEVENTID": str(1100000000 + n), "SQLDATE": day, "MonthYear": day[:6],
                "Year": day[:4], "FractionDate": day[:4] + ".5", "Actor1Code": a1[0],
                "Actor1Name": a1[1], "Actor2Code": a2[0], "Actor2Name": a2[1],
                "IsRootEvent": "1", "EventCode": code, "EventBaseCode": code[:3],
                "EventRootCode": code[:2], "QuadClass": "4", "GoldsteinScale": "-10.0",
                "NumMentions": str(rng.randrange(1, 40)), "NumSources": "1",
                "NumArticles": "4", "AvgTone": f"{rng.uniform(-9, 2):.2f}",
                "ActionGeo_Type": kind, "ActionGeo_FullName": place,
                "ActionGeo_CountryCode": fips, "ActionGeo_ADM1Code": fips,
                "ActionGeo_Lat": f"{lat:.4f}", "ActionGeo_Long": f"{lon:.4f}",
                "ActionGeo_FeatureID": "-1036528", "DATEADDED": day + "120000",
                "SOURCEURL": f"https://www.example.org/news/{day}/report-{n}"})
            handle.write("\t".join(cells[c] for c in columns) + "\n")
    path.with_suffix(".complete").write_text(f"{rows} {seed}")
    return path


def load_average() -> str:
    """The 1-minute load average, as printed beside each figure."""
    return f"{os.getloadavg()[0]:.2f}"


def child(code: str) -> dict:
    """Run `code` in a fresh interpreter; it prints one JSON line, given back with the peak
    RSS of the child and of its own children (parse workers), in MB."""
    wrapper = (f"import json, resource, time\n{code}\n"
               "self_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
               "kids_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
               "cpu = sum(getattr(resource.getrusage(w), f) for w in (resource.RUSAGE_SELF, "
               "resource.RUSAGE_CHILDREN) for f in ('ru_utime', 'ru_stime'))\n"
               "result.update(rss_mb=round(self_rss), workers_rss_mb=round(kids_rss), "
               "cpu_s=round(cpu, 1))\n"
               "print('RESULT ' + json.dumps(result))\n")
    load = load_average()
    done = subprocess.run([sys.executable, "-c", wrapper],  # noqa: S603 - our own code
                          capture_output=True, text=True, check=False)
    lines = [x for x in done.stdout.splitlines() if x.startswith("RESULT ")]
    if done.returncode or not lines:
        raise SystemExit(f"measurement failed:\n{done.stderr[-3000:]}")
    result = json.loads(lines[-1][len("RESULT "):])
    result["load_before"], result["load_after"] = load, load_average()
    return result


def _build_code(folder: Path, url: str, fresh: bool) -> str:
    return (f"from pathlib import Path\nfrom warlens.engine.build import build\n"
            f"start = time.perf_counter()\n"
            f"r = build({str(folder)!r}, {url!r}, fresh={fresh})\n"
            f"result = dict(seconds=round(time.perf_counter() - start, 1), parsed=r.parsed,"
            f" unchanged=r.unchanged, counts=r.counts, errors=r.errors)\n")


def row(label: str, result: dict) -> None:
    """One printed line of figures."""
    counts = result.get("counts", {})
    rows = ", ".join(f"{v:,} {k}" for k, v in counts.items())
    print(f"{label:<44} {result['seconds']:>8.1f} s (CPU {result['cpu_s']:,.0f} s)  "
          f"RSS {result['rss_mb']:>6,} MB "
          f"(workers {result['workers_rss_mb']:,} MB)  load {result['load_before']}->"
          f"{result['load_after']}  {rows}", flush=True)


def bench_acled(rows: int) -> None:
    """The 2M-row ACLED load into DuckDB."""
    folder = OUT / "acled"
    start = time.perf_counter()
    csv_path = acled_csv(folder / f"acled-{rows}.csv", rows)
    print(f"ACLED CSV of {rows:,} rows: {csv_path.stat().st_size / 1e6:,.0f} MB "
          f"(written in {time.perf_counter() - start:.0f} s)", flush=True)
    store = OUT / "engines" / f"acled-{rows}.duckdb"
    store.parent.mkdir(parents=True, exist_ok=True)
    store.unlink(missing_ok=True)
    url = f"duckdb://{store}"
    code = (f"from warlens.engine.build import build\n"
            f"start = time.perf_counter()\n"
            f"r = build({str(folder)!r}, {url!r}, fresh=True, bulk=[{str(csv_path)!r}])\n"
            f"result = dict(seconds=round(time.perf_counter() - start, 1), counts=r.counts,"
            f" errors=r.errors, warnings=r.warnings)\n")
    row(f"ACLED {rows:,} rows -> DuckDB (--events)", child(code))


def bench_dataset(name: str, rows: int) -> None:
    """A synthetic UCDP GED CSV or GDELT export of `rows` events loaded into DuckDB."""
    folder = OUT / name / str(rows)  # one file a folder: the build reads the whole folder
    start = time.perf_counter()
    write, file = {"ucdp": (ucdp_csv, f"ged-{rows}.csv"),
                   "gdelt": (gdelt_export, f"{rows}.export.CSV")}[name]
    path = write(folder / file, rows)
    print(f"{name} file of {rows:,} rows: {path.stat().st_size / 1e6:,.0f} MB "
          f"(written in {time.perf_counter() - start:.0f} s)", flush=True)
    store = OUT / "engines" / f"{name}-{rows}.duckdb"
    store.parent.mkdir(parents=True, exist_ok=True)
    store.unlink(missing_ok=True)
    url = f"duckdb://{store}"
    code = (f"from warlens.engine.build import build\n"
            f"start = time.perf_counter()\n"
            f"r = build({str(folder)!r}, {url!r}, fresh=True, bulk=[{str(path)!r}])\n"
            f"result = dict(seconds=round(time.perf_counter() - start, 1), counts=r.counts,"
            f" errors=r.errors, warnings=r.warnings)\n")
    row(f"{name} {rows:,} rows -> DuckDB (--events)", child(code))


def ensure_corpus(articles: int) -> Path:
    """The synthetic corpus of `articles` (bench/run.py's, written once)."""
    sys.path.insert(0, str(HERE))
    from run import ensure_corpus as write  # bench/run.py

    folder = OUT / "corpora" / f"synth-{articles}"
    took = write(folder, articles, 1)
    if took is not None:
        print(f"synthetic corpus of {articles:,} articles written in {took:.0f} s", flush=True)
    return folder


def _one_edit(folder: Path) -> None:
    """Change one article's title, as a person editing one file would."""
    path = next(iter(sorted(folder.rglob("*.yaml"))))
    text = path.read_text(encoding="utf-8")
    marker = "title: "
    at = text.index(marker) + len(marker)
    path.write_text(text[:at] + "Edited " + text[at:], encoding="utf-8")


def bench_corpus(articles: int, engines: list[str]) -> None:
    """Cold build and one-edit rebuild of a synthetic corpus on each engine."""
    folder = ensure_corpus(articles)
    for name in engines:
        if name == "duckdb":
            store = OUT / "engines" / f"synth-{articles}.duckdb"
            store.parent.mkdir(parents=True, exist_ok=True)
            store.unlink(missing_ok=True)
            url = f"duckdb://{store}"
        elif name == "postgres":
            url = os.environ.get("WARLENS_TEST_POSTGRES", "")
            if not url:
                print("postgres: WARLENS_TEST_POSTGRES is not set; skipped")
                continue
        else:
            url = "pyspark://local[2]"
        if name == "spark":
            # local mode keeps its catalog in memory: the rebuild runs in the same session
            both = child(_build_code(folder, url, True) + (
                "cold = result\n"
                "import sys\n"
                f"sys.path.insert(0, {str(HERE)!r})\n"
                "from engine_build import _one_edit\n"
                f"_one_edit(Path({str(folder)!r}))\n" + _build_code(folder, url, False)
                + "result['cold'] = cold\n"))
            cold = {**both, **both.pop("cold")}
            row(f"{name}: {articles:,} articles, cold", cold)
            row(f"{name}: {articles:,} articles, one file edited (same session)", both)
            continue
        row(f"{name}: {articles:,} articles, cold", child(_build_code(folder, url, True)))
        _one_edit(folder)
        row(f"{name}: {articles:,} articles, one file edited", child(
            _build_code(folder, url, False)))


def copy_rows(store: str, times: int) -> None:
    """Every item row of a DuckDB build copied `times - 1` more times under new ids and
    files (`x<k>-` before each id, `x<k>/` before each path), as a columnar load would."""
    import duckdb

    from warlens.engine import schema

    renamed = {"article": "'x{k}-' || ", "key": "'x{k}-' || ", "event": "'x{k}-' || ",
               "_src": "'x{k}/' || ", "file": "'x{k}/' || "}
    db = duckdb.connect(store)
    for table in ("articles", "events", "claims", "places"):
        for k in range(1, times):
            picked = ", ".join(renamed.get(c, "").format(k=k) + f'"{c}"'
                               for c in schema.stored(table))
            db.execute(f"INSERT INTO {table} SELECT {picked} FROM {table} "  # noqa: S608
                       "WHERE NOT starts_with(_src, 'x')")
    db.execute("INSERT INTO files SELECT 'x' || CAST(k AS VARCHAR) || '/' || path, size, "  # noqa: S608
               "mtime_ns, digest, ord + k * 10000000, mode, rows FROM files, "
               f"range(1, {int(times)}) t(k) WHERE NOT starts_with(path, 'x')")
    db.close()


def bench_scale(articles: int, times: int) -> None:
    """The DuckDB build of a corpus, its rows copied `times` over: a rebuild at that size."""
    base = OUT / "engines" / f"synth-{articles}.duckdb"
    if not base.exists():
        raise SystemExit(f"run `corpus --articles {articles} --engines duckdb` first")
    store = OUT / "engines" / f"scaled-{articles * times}.duckdb"
    shutil.copyfile(base, store)
    url = f"duckdb://{store}"
    code = (f"import sys\nsys.path.insert(0, {str(HERE)!r})\n"
            f"from engine_build import copy_rows\n"
            f"start = time.perf_counter()\n"
            f"copy_rows({str(store)!r}, {times})\n"
            f"result = dict(seconds=round(time.perf_counter() - start, 1))\n")
    row(f"DuckDB: rows copied to {articles * times:,} articles", child(code))
    # the copies' files are not in the folder: a rebuild would remove them; so the checks
    # across files and the stories are timed on their own, then one parsed file's update
    code = (f"from warlens.engine import connect\n"
            f"from warlens.engine.store import Store\n"
            f"from warlens.engine.build import resolve_duplicates, write_stories, _finish, "
            f"BuildReport\n"
            f"s = Store(connect({url!r}), {url!r})\n"
            f"start = time.perf_counter()\n"
            f"resolve_duplicates(s); write_stories(s)\n"
            f"r = BuildReport({url!r}); _finish(s, r); s.close()\n"
            f"result = dict(seconds=round(time.perf_counter() - start, 1), counts=r.counts)\n")
    row(f"DuckDB {articles * times:,} articles: across-file checks + stories", child(code))


def main(argv: list[str] | None = None) -> int:
    """Run the chosen measurement and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    acled = sub.add_parser("acled", help="the bulk ACLED load into DuckDB")
    acled.add_argument("--rows", type=int, default=2_000_000)
    for name in ("ucdp", "gdelt"):
        dataset = sub.add_parser(name, help=f"the bulk {name.upper()} load into DuckDB")
        dataset.add_argument("--rows", type=int, default=1_000_000)
    corpus = sub.add_parser("corpus", help="cold and incremental builds of a YAML corpus")
    corpus.add_argument("--articles", type=int, default=100_000)
    corpus.add_argument("--engines", default="duckdb,postgres,spark")
    scale = sub.add_parser("scale", help="a DuckDB build's rows copied N times over")
    scale.add_argument("--articles", type=int, default=100_000)
    scale.add_argument("--times", type=int, default=10)
    args = parser.parse_args(argv)
    print(f"{os.cpu_count()} cores; load average {load_average()} at the start", flush=True)
    if args.what == "acled":
        bench_acled(args.rows)
    elif args.what in ("ucdp", "gdelt"):
        bench_dataset(args.what, args.rows)
    elif args.what == "corpus":
        bench_corpus(args.articles, args.engines.split(","))
    else:
        bench_scale(args.articles, args.times)
    return 0


if __name__ == "__main__":
    sys.exit(main())
