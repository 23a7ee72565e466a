"""How fast warlens is at 1,000, 10,000 and 100,000 articles: one command, every figure.

    python bench/run.py [--sizes 1000,10000,100000] [--out bench/out/results.json]

For each size it writes (once) a synthetic corpus with `warlens.synth`, then measures:

* bare parse: `yaml.load(..., Loader=yaml.CSafeLoader)` of the same files, one process,
  in this same run: the floor any YAML loader on this machine is compared against;
* cold load: `load_corpus` with an empty corpus cache (parse, validate, resolve places,
  write the cache), in a fresh process; wall time and its ratio to the bare parse, and
  CPU time (the process and its parsing workers);
* warm load: the same with the cache in place (nothing has changed);
* one-file change: one article edited, then a load (one file parsed again);
* peak RSS of the loading process (and, separately, of its workers), from getrusage;
* per page (overview, timeline, claims, map, article, problems): the median and p95 of
  a rerun after a filter change, driven through Streamlit's AppTest (the page's whole
  server-side run: query, figures, Arrow and protobuf serialisation); and the bytes the
  page sends, as the summed protobuf size of the page's elements after the last rerun
  (what its delta messages carry, without websocket framing); all pages in one fresh
  process, whose peak RSS is what a server holding the corpus needs;
* the pure Python part of the chart pages (query + figure + JSON) timed on its own.

Timing is wall-clock unless it says CPU; the machine may be shared, so CPU times are
given too. Results are printed as a table and written as JSON to --out.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "bench" / "out" / "results.json"
PAGES: dict[str, str | None] = {
    "overview": None,  # app.py itself
    "timeline": "pages/1_Timeline.py",
    "claims": "pages/2_Claims.py",
    "map": "pages/3_Map.py",
    "article": "pages/4_Article.py",
    "problems": "pages/5_Problems.py",
}
#: Countries picked in turn by the filter-change reruns (then five towns the filter offers).
FILTER_VALUES = ("Ukraine", "Syria", "Sudan", "Yemen", "Mali")


# --- child processes ---------------------------------------------------------------------------


def _child(code: str, env: dict[str, str]) -> dict[str, Any]:
    """Run `code` in a fresh interpreter; it prints one JSON object as its last line."""
    done = subprocess.run([sys.executable, "-c", code], env={**os.environ, **env},  # noqa: S603
                          capture_output=True, text=True, cwd=REPO, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"child failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


_LOAD = """
import json, resource, time
from pathlib import Path
from warlens import cache
from warlens.workspace import load_corpus
from warlens.gazetteer import get_gazetteer
if {server!r}:
    # As in the running app: the gazetteer is loaded (the map page needs it) and the
    # last load's tables are in memory.
    get_gazetteer()
    load_corpus({folder!r})
if {edit!r}:
    with Path({edit!r}).open("a", encoding="utf-8") as f:
        f.write(f"# bench edit {{time.time_ns()}}\\n")
wall, cpu = time.perf_counter(), time.process_time()
start = wall
corpus = load_corpus({folder!r})
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
cache.wait_for_writes()  # the cache is written in the background; part of a cold load
with_write = time.perf_counter() - start
me = resource.getrusage(resource.RUSAGE_SELF)
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
s = cache.last_stats
print(json.dumps({{"wall_s": wall, "wall_with_cache_write_s": with_write, "cpu_s": cpu,
    "workers_cpu_s": kids.ru_utime + kids.ru_stime,
    "rss_mb": me.ru_maxrss / 1024, "workers_rss_mb": kids.ru_maxrss / 1024,
    "parsed": s.parsed, "reused": s.reused, "hashed": s.hashed, "workers": s.workers,
    "written": s.written, "steps_s": s.seconds, "counts": corpus.counts(),
    "errors": corpus.n_errors, "warnings": corpus.n_warnings}}))
"""

_BARE = """
import json, time, yaml
from warlens.corpus import find_files
from pathlib import Path
files = find_files([Path({folder!r})])
data = [f.read_bytes() for f in files]
wall, cpu = time.perf_counter(), time.process_time()
for d in data:
    yaml.load(d, Loader=yaml.CSafeLoader)
print(json.dumps({{"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu,
                  "files": len(data), "bytes": sum(map(len, data))}}))
"""


def measure_loads(folder: Path, cache_dir: Path) -> dict[str, Any]:
    """Bare parse, cold, warm and one-file-change loads, each in a fresh process."""
    env = {"WARLENS_CACHE_DIR": str(cache_dir)}
    _child("from warlens.gazetteer import get_gazetteer; get_gazetteer(); print('{}')", env)
    shutil.rmtree(cache_dir / "corpus", ignore_errors=True)
    out: dict[str, Any] = {"bare_yaml": _child(_BARE.format(folder=str(folder)), env)}
    def load(edit: str = "", server: bool = False) -> dict[str, Any]:
        return _child(_LOAD.format(folder=str(folder), edit=edit, server=server), env)

    out["cold"] = load()
    out["warm"] = load()
    files = sorted(folder.rglob("*.yaml"))
    # A fresh process must load the gazetteer (about 1 s) to parse the one file; the
    # running app has it loaded already. Both are measured.
    out["one_file_changed"] = load(edit=str(files[len(files) // 2]))
    out["one_file_changed_in_app"] = load(edit=str(files[len(files) // 3]), server=True)
    out["warm_after_change"] = load()
    out["cold"]["ratio_to_bare"] = (out["cold"]["wall_with_cache_write_s"]
                                    / out["bare_yaml"]["wall_s"])
    out["cold"]["cpu_ratio_to_bare"] = ((out["cold"]["cpu_s"] + out["cold"]["workers_cpu_s"])
                                        / out["bare_yaml"]["cpu_s"])
    return out


# --- pages -------------------------------------------------------------------------------------


def _proto_bytes(node: Any, sizes: list[tuple[str, int]]) -> None:
    proto = getattr(node, "proto", None)
    if proto is not None and hasattr(proto, "ByteSize"):
        sizes.append((type(node).__name__, proto.ByteSize()))
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            _proto_bytes(child, sizes)


def _summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median_s": statistics.median(ordered), "p95_s": p95, "n": len(ordered),
            "min_s": ordered[0], "max_s": ordered[-1]}


def measure_pages(folder: Path, cache_dir: Path, reruns: int) -> dict[str, Any]:
    """Per page: reruns after a filter change (AppTest) and the bytes the page sends."""
    os.environ["WARLENS_DATA"] = str(folder)
    os.environ["WARLENS_CACHE_DIR"] = str(cache_dir)
    from streamlit.testing.v1 import AppTest

    from warlens.model import Col
    from warlens.workspace import load_corpus

    corpus = load_corpus(folder)  # warm: the cache the loads above wrote
    names = corpus.events[Col.PLACE_NAME]
    busiest = list(names[~names.isin(corpus.events[Col.COUNTRY_NAME].unique())]
                   .value_counts().index)
    del corpus, names
    results: dict[str, Any] = {}
    for name, path in PAGES.items():
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
        options = at.multiselect(key="f_place").options
        countries = [v for v in FILTER_VALUES if v in options] or list(options[:5])
        # The five busiest towns the filter offers: detailed views, with single bars and
        # places, where a country's view is counted.
        towns = [v for v in busiest if v in options][:5]
        series: dict[str, list[float]] = {}
        sent: dict[str, int] = {}
        for label, picks in (("towns", towns), ("countries", countries)):
            times = series[label] = []
            for i in range(reruns):
                at.multiselect(key="f_place").set_value([picks[i % len(picks)]])
                start = time.perf_counter()
                at.run()
                times.append(time.perf_counter() - start)
                sizes: list[tuple[str, int]] = []
                _proto_bytes(at._tree, sizes)
                sent[label] = max(sent.get(label, 0), sum(b for _, b in sizes))
        biggest = sorted(sizes, key=lambda s: -s[1])[:3]
        results[name] = {"first_run_s": first, "rerun": _summary(series["countries"]),
                         "rerun_towns": _summary(series["towns"]), "towns": towns,
                         "bytes_sent": sent["countries"], "bytes_sent_towns": sent["towns"],
                         "largest_elements": biggest,
                         "errors": [str(e.message)[:300] for e in at.exception]}
        # Also the unfiltered view: what a first visit sends.
        at.multiselect(key="f_place").set_value([])
        at.run()
        sizes = []
        _proto_bytes(at._tree, sizes)
        results[name]["bytes_sent_unfiltered"] = sum(b for _, b in sizes)
    return results


_PAGES = """
import json, resource, sys
from pathlib import Path
sys.path.insert(0, {bench!r})
import run
out = run.measure_pages(Path({folder!r}), Path({cache_dir!r}), {reruns!r})
out["server_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out, default=str))
"""


def measure_pages_apart(folder: Path, cache_dir: Path, reruns: int) -> dict[str, Any]:
    """`measure_pages` in a fresh process, with that process's peak RSS: what a server
    holding the corpus uses once every page has been drawn with several filters."""
    return _child(_PAGES.format(bench=str(Path(__file__).parent), folder=str(folder),
                                cache_dir=str(cache_dir), reruns=reruns), {})


def measure_pure(folder: Path, cache_dir: Path, reruns: int) -> dict[str, Any]:
    """The Python work of the chart pages without Streamlit: query, figure, JSON."""
    from warlens import figures, query
    from warlens.workspace import load_corpus

    os.environ["WARLENS_CACHE_DIR"] = str(cache_dir)  # the size's own cache, warm by now
    corpus = load_corpus(folder)
    vocab = query.vocabulary(corpus)
    picks = [v for v in FILTER_VALUES if v.casefold() in vocab.places] or ["Ukraine"]
    out: dict[str, Any] = {}
    steps: dict[str, list[float]] = {"query": [], "timeline": [], "map": [],
                                     "timeline_json": [], "map_json": []}
    sizes: dict[str, int] = {}
    for i in range(reruns):
        filters = query.Filters(places=(picks[i % len(picks)],))
        t = time.perf_counter()
        events = query.filter_events(corpus, filters)
        claims = query.filter_claims(corpus, filters)
        steps["query"].append(time.perf_counter() - t)
        t = time.perf_counter()
        articles = corpus.articles[corpus.articles["article"].isin(events["article"].unique())]
        timeline = figures.make_timeline(events, claims, articles)
        steps["timeline"].append(time.perf_counter() - t)
        t = time.perf_counter()
        sizes["timeline_json"] = len(timeline.to_json())
        steps["timeline_json"].append(time.perf_counter() - t)
        t = time.perf_counter()
        located = events.dropna(subset=["lat", "lon"])
        figure = figures.make_map(located, basemap_url="/app/static/countries-50m.geojson")
        steps["map"].append(time.perf_counter() - t)
        t = time.perf_counter()
        sizes["map_json"] = len(figure.to_json())
        steps["map_json"].append(time.perf_counter() - t)
    for step, times in steps.items():
        out[step] = _summary(times)
    out["json_bytes"] = sizes
    return out


# --- the run -----------------------------------------------------------------------------------


def ensure_corpus(folder: Path, size: int, seed: int) -> float | None:
    """Write the synthetic corpus unless a complete one is there; the seconds it took."""
    marker = folder / ".complete"
    if marker.exists() and marker.read_text(encoding="utf-8") == f"{size} {seed}":
        return None
    shutil.rmtree(folder, ignore_errors=True)
    from warlens import synth

    start = time.perf_counter()
    synth.write_corpus(folder, size, seed=seed)
    took = time.perf_counter() - start
    marker.write_text(f"{size} {seed}", encoding="utf-8")
    return took


def fmt_s(value: float | None) -> str:
    """Seconds, readable: 0.123 s -> '123 ms'."""
    if value is None:
        return "-"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def print_table(size: int, result: dict[str, Any]) -> None:
    """The figures of one size, as a plain-text table."""
    loads = result.get("loads", {})
    print(f"\n== {size:,} articles ==")
    if loads:
        bare, cold = loads["bare_yaml"], loads["cold"]
        print(f"bare yaml.load(CSafeLoader): {fmt_s(bare['wall_s'])} wall, "
              f"{fmt_s(bare['cpu_s'])} CPU ({bare['bytes'] / 1e6:.0f} MB)")
        print(f"cold load:  {fmt_s(cold['wall_with_cache_write_s'])} wall incl. cache write = "
              f"{cold['ratio_to_bare']:.2f}x bare (usable after {fmt_s(cold['wall_s'])}); "
              f"CPU {fmt_s(cold['cpu_s'] + cold['workers_cpu_s'])} = "
              f"{cold['cpu_ratio_to_bare']:.2f}x bare ({cold['workers']} processes); "
              f"errors {cold['errors']}")
        for key in ("warm", "one_file_changed", "one_file_changed_in_app", "warm_after_change"):
            r = loads[key]
            print(f"{key:23} {fmt_s(r['wall_s'])} wall, {fmt_s(r['cpu_s'])} CPU, "
                  f"parsed {r['parsed']}")
        print(f"peak RSS: cold {cold['rss_mb']:.0f} MB (workers {cold['workers_rss_mb']:.0f} MB),"
              f" warm {loads['warm']['rss_mb']:.0f} MB")
    pages = dict(result.get("pages", {}))
    if "server_rss_mb" in pages:
        print(f"peak RSS of the process that ran every page: {pages.pop('server_rss_mb'):.0f} MB")
    if pages:
        print(f"{'page':10} {'rerun median':>13} {'p95':>9} {'towns: median':>14} {'p95':>9}"
              f" {'most sent':>10} {'unfiltered':>11}")
        for name, r in pages.items():
            if "error" in r:
                print(f"{name:10} error: {r['error'][:80]}")
                continue
            most = max(r["bytes_sent"], r["bytes_sent_towns"], r["bytes_sent_unfiltered"])
            print(f"{name:10} {fmt_s(r['rerun']['median_s']):>13} {fmt_s(r['rerun']['p95_s']):>9}"
                  f" {fmt_s(r['rerun_towns']['median_s']):>14}"
                  f" {fmt_s(r['rerun_towns']['p95_s']):>9}"
                  f" {most / 1e3:>7.0f} kB {r['bytes_sent_unfiltered'] / 1e3:>8.0f} kB")
    pure = result.get("pure", {})
    if pure:
        print("pure python (median): " + ", ".join(
            f"{k} {fmt_s(v['median_s'])}" for k, v in pure.items() if isinstance(v, dict)
            and "median_s" in v))


def main(argv: list[str] | None = None) -> int:
    """Parse options, run every measurement, print and save the results."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000",
                        help="comma-separated corpus sizes (default 1000,10000,100000)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON results file")
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "out",
                        help="where corpora and caches go (default bench/out, gitignored)")
    parser.add_argument("--seed", type=int, default=1, help="synthetic corpus seed")
    parser.add_argument("--reruns", type=int, default=7, help="filter changes timed per page")
    parser.add_argument("--skip", default="", help="comma-separated: loads,pages,pure")
    args = parser.parse_args(argv)
    skip = {s for s in args.skip.split(",") if s}
    sizes = [int(s) for s in args.sizes.split(",") if s]
    results: dict[str, Any] = {}
    if args.out.exists():
        with contextlib.suppress(ValueError):
            results = json.loads(args.out.read_text(encoding="utf-8"))
    results["machine"] = {"python": platform.python_version(), "cpus": os.cpu_count(),
                          "load_average": os.getloadavg(), "platform": platform.platform()}
    for size in sizes:
        folder = args.work / "corpora" / f"synth-{size}"
        cache_dir = args.work / f"cache-{size}"
        result: dict[str, Any] = {"load_average_at_start": os.getloadavg()}
        result["synth_s"] = ensure_corpus(folder, size, args.seed)
        if "loads" not in skip:
            result["loads"] = measure_loads(folder, cache_dir)
        if "pages" not in skip:
            result["pages"] = measure_pages_apart(folder, cache_dir, args.reruns)
        if "pure" not in skip:
            result["pure"] = measure_pure(folder, cache_dir, args.reruns)
        result["load_average_at_end"] = os.getloadavg()
        results[str(size)] = {**results.get(str(size), {}), **result}
        print_table(size, results[str(size)])
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    this = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nbench process peak RSS {this:.0f} MB; results in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
