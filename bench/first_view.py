"""First view of a shared link: warlens beside Datasette + datasette-cluster-map, same events.

    python bench/first_view.py [--size 10000] [--rounds 5] [--place NAME] [--proxy]

Needs the corpus `bench/run.py --sizes N` wrote, and `datasette` with
`datasette-cluster-map` installed in the same environment (they are bench tools, not
warlens dependencies: `pip install datasette datasette-cluster-map`).

It loads the corpus's events and claims into SQLite (bench/out/datasette-<size>.db, with
an index on place_name, as a Datasette user would set it up), starts both servers, and
then, in one headless Chromium, opens four links in turn, each in a fresh browser
context (a new visitor: empty cache), for --rounds rounds:

* warlens  /Map?place=P      until the sketch of the view in its HTML shows the event
  points ("seen"), and until MapLibre has drawn the land and the points ("live");
* Datasette /db/events?place_name=P   until the cluster map shows its markers;
* warlens  /Claims?place=P   until the sketch shows claim rows ("seen"), and until the
  script has run and the claims table is drawn ("live");
* Datasette /db/claims?place_name=P&_facet=stance&_facet=claimant   until its table rows
  are there.

--proxy puts warlens behind nginx configured from deploy/ as the hosting guide ships it
(bench/proxy.py: Streamlit's files compressed and kept); Datasette is served directly.

Each time is from navigation start to that state plus two painted frames. Beside it:
Chromium's own counters for the page (CDP Performance.getMetrics: ScriptDuration,
TaskDuration) and the bytes it fetched. Prints the medians and the ratios warlens /
Datasette (target at most 1.0) for the view seen and for the live page, with the load
average; adds them to results.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote_plus

from playwright.sync_api import Browser, Page, sync_playwright

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
from browser import CHROMIUM, _free_port  # noqa: E402

CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--use-gl=swiftshader",
                 "--disable-dev-shm-usage", "--disable-background-networking", "--no-first-run"]
TIMEOUT_MS = 120_000
VIEWPORT = {"width": 1400, "height": 900}
PAINTED = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"

# What "drawn" means for each page.
WARLENS_MAP_DRAWN = """() => {
    const gd = document.querySelector('[data-testid="stMain"] .js-plotly-plot');
    const map = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot
        && gd._fullLayout.map._subplot.map;
    if (!map || !map.loaded()) return false;
    const drawn = map.queryRenderedFeatures().map(f => f.layer);
    return drawn.some(l => l.type === "fill") && drawn.some(l => l.type === "circle");
}"""
DATASETTE_MAP_DRAWN = ("() => document.querySelectorAll("
                       "'.leaflet-marker-icon, .marker-cluster').length > 0")
WARLENS_TABLE_DRAWN = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app && app.dataset.testScriptState === 'notRunning'
        && !document.querySelector('[data-testid="stSkeleton"]')
        && !!document.querySelector('[data-testid="stDataFrame"] canvas');
}"""
DATASETTE_TABLE_DRAWN = ("() => document.querySelectorAll("
                         "'table.rows-and-columns tbody tr').length > 0")
#: The first view's sketch in the HTML page (warlens/sketch.py): marks or rows painted.
WARLENS_MAP_SKETCHED = "() => !!document.querySelector('#wl-first svg circle')"
WARLENS_TABLE_SKETCHED = "() => !!document.querySelector('#wl-first table tbody tr')"
BYTES = """() => performance.getEntriesByType('navigation').concat(
    performance.getEntriesByType('resource')).reduce((n, e) => n + (e.transferSize || 0), 0)"""


# --- the same events in SQLite ---------------------------------------------------------------


def build_sqlite(folder: Path, cache_dir: Path, db: Path) -> tuple[int, int]:
    """The corpus's events and claims as two tables, indexed on place_name."""
    os.environ["WARLENS_CACHE_DIR"] = str(cache_dir)
    from warlens.model import Col
    from warlens.workspace import load_corpus

    corpus = load_corpus(folder)
    db.unlink(missing_ok=True)
    con = sqlite3.connect(db)
    events = corpus.events
    con.execute("CREATE TABLE events (key TEXT PRIMARY KEY, article TEXT, summary TEXT, "
                "type TEXT, start TEXT, end TEXT, date TEXT, place_name TEXT, latitude REAL, "
                "longitude REAL, precision TEXT, country TEXT, actors TEXT, contested INTEGER)")
    con.executemany("INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", zip(
        events[Col.KEY], events[Col.ARTICLE], events[Col.SUMMARY], events[Col.TYPE],
        events[Col.START].astype(str), events[Col.END].astype(str), events[Col.DATE_LABEL],
        events[Col.PLACE_NAME], events[Col.LAT].astype(float), events[Col.LON].astype(float),
        events[Col.PRECISION], events[Col.COUNTRY_NAME], events[Col.ACTORS],
        events[Col.CONTESTED].astype(int), strict=True))
    claims = corpus.claims
    con.execute("CREATE TABLE claims (key TEXT PRIMARY KEY, article TEXT, claimant TEXT, "
                "stance TEXT, claim TEXT, event TEXT, event_summary TEXT, place_name TEXT, "
                "date TEXT, verdict TEXT, contested INTEGER)")
    con.executemany("INSERT INTO claims VALUES (?,?,?,?,?,?,?,?,?,?,?)", zip(
        claims[Col.KEY], claims[Col.ARTICLE], claims[Col.CLAIMANT], claims[Col.STANCE],
        claims[Col.CLAIM], claims[Col.EVENT], claims[Col.EVENT_SUMMARY], claims[Col.PLACE_NAME],
        claims[Col.DATE_LABEL], claims[Col.VERDICT], claims[Col.CONTESTED].astype(int),
        strict=True))
    con.execute("CREATE INDEX events_place ON events(place_name)")
    con.execute("CREATE INDEX claims_place ON claims(place_name)")
    con.commit()
    con.close()
    return len(events), len(claims)


def busiest_town(db: Path) -> str:
    """The settlement with the most events: a filtered view with real work in it."""
    with contextlib.closing(sqlite3.connect(db)) as con:
        return con.execute(
            "SELECT place_name FROM events WHERE precision IN ('settlement', 'exact') "
            "GROUP BY place_name ORDER BY count(*) DESC LIMIT 1").fetchone()[0]


def start_warlens(repo: Path, data: Path, cache_dir: Path, port: int) -> subprocess.Popen[bytes]:
    """`streamlit run app.py` of the checkout `repo` (its own src/ first on the path)."""
    env = {**os.environ, "WARLENS_DATA": str(data), "WARLENS_CACHE_DIR": str(cache_dir),
           "PYTHONPATH": str(repo / "src")}
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.headless", "true", "--server.fileWatcherType", "none"],
        cwd=repo, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    _wait(f"http://127.0.0.1:{port}/_stcore/health")
    return proc


def _wait(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 - http://127.0.0.1 only
            if answer.status == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"no answer at {url}")


def start_datasette(db: Path, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "datasette", "serve", str(db), "--port", str(port),
         "--host", "127.0.0.1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    _wait(f"http://127.0.0.1:{port}/-/versions.json")
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)


# --- one visit -------------------------------------------------------------------------------


def visit(browser: Browser, url: str, drawn: str, sketched: str | None = None
          ) -> dict[str, float]:
    """A new visitor opens `url`: seconds until its view is seen (`sketched`: warlens's
    sketch of it, or the page itself when there is none) and until the live page has
    `drawn` it, Chromium's counters, bytes fetched."""
    context = browser.new_context(viewport=VIEWPORT)
    page: Page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Performance.enable")
    start = time.perf_counter()
    page.goto(url, wait_until="commit", timeout=TIMEOUT_MS)
    seen = None
    if sketched:
        page.wait_for_function(f"() => ({sketched})() || ({drawn})()", timeout=TIMEOUT_MS,
                               polling="raf")
        page.evaluate(PAINTED)
        seen = time.perf_counter() - start
    page.wait_for_function(drawn, timeout=TIMEOUT_MS, polling=50)
    page.evaluate(PAINTED)
    took = time.perf_counter() - start
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    fetched = page.evaluate(BYTES)
    context.close()
    return {"seen_s": took if seen is None else seen, "s": took,
            "script_s": metrics.get("ScriptDuration", 0.0),
            "task_s": metrics.get("TaskDuration", 0.0), "bytes": fetched}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--place", default=None, help="default: the busiest town")
    parser.add_argument("--label", default="now", help="name of this run in results.json")
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "out")
    parser.add_argument("--repo", type=Path, default=REPO,
                        help="the warlens checkout to serve (to compare before and after)")
    parser.add_argument("--proxy", action="store_true",
                        help="warlens behind nginx, as deploy/ configures it (bench/proxy.py)")
    args = parser.parse_args(argv)
    folder = args.work / "corpora" / f"synth-{args.size}"
    if not folder.exists():
        print(f"no corpus at {folder}: run `python bench/run.py --sizes {args.size}` first")
        return 2
    cache_dir = args.work / f"cache-{args.size}"
    db = args.work / f"datasette-{args.size}.db"
    if not db.exists():
        n_events, n_claims = build_sqlite(folder, cache_dir, db)
        print(f"SQLite: {n_events:,} events, {n_claims:,} claims -> {db}")
    place = args.place or busiest_town(db)
    q = quote_plus(place)
    wl_port, ds_port = _free_port(), _free_port()
    warlens = start_warlens(args.repo.resolve(), folder, cache_dir, wl_port)
    datasette = start_datasette(db, ds_port)
    nginx = None
    if args.proxy:
        from proxy import start_nginx

        nginx_port = _free_port()
        nginx = start_nginx(wl_port, nginx_port, args.work / "nginx")
        wl_port = nginx_port
    wl, ds = f"http://127.0.0.1:{wl_port}", f"http://127.0.0.1:{ds_port}/{db.stem}"
    links = {
        "warlens map": (f"{wl}/Map?place={q}", WARLENS_MAP_DRAWN, WARLENS_MAP_SKETCHED),
        "datasette map": (f"{ds}/events?place_name={q}", DATASETTE_MAP_DRAWN, None),
        "warlens claims": (f"{wl}/Claims?place={q}", WARLENS_TABLE_DRAWN,
                           WARLENS_TABLE_SKETCHED),
        "datasette claims": (f"{ds}/claims?place_name={q}&_facet=stance&_facet=claimant",
                             DATASETTE_TABLE_DRAWN, None),
    }
    seen: dict[str, list[dict[str, float]]] = {name: [] for name in links}
    load_start = os.getloadavg()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for url, drawn, sketched in links.values():  # warm both servers
                visit(browser, url, drawn, sketched)
            for i in range(args.rounds):
                for name, (url, drawn, sketched) in links.items():
                    seen[name].append(visit(browser, url, drawn, sketched))
                print(f"round {i + 1}: " + ", ".join(
                    f"{name} {seen[name][-1]['seen_s']:.2f}/{seen[name][-1]['s']:.2f} s"
                    for name in links))
            browser.close()
    finally:
        if nginx is not None:
            from proxy import stop_nginx

            stop_nginx(nginx)
        stop(warlens)
        stop(datasette)
    med = {name: {k: statistics.median(v[k] for v in runs) for k in runs[0]}
           for name, runs in seen.items()}
    print(f"\nFirst view of a link filtered to {place!r}, {args.size:,} articles"
          + (", warlens behind nginx" if args.proxy else "") + ", "
          f"median of {args.rounds} fresh visitors (load average {load_start} -> "
          f"{os.getloadavg()}):")
    print(f"{'':18} {'seen':>8} {'live':>8} {'JS (CDP)':>9} {'all tasks':>10} {'fetched':>10}")
    for name, m in med.items():
        print(f"{name:18} {m['seen_s']:7.2f}s {m['s']:7.2f}s {m['script_s']:8.2f}s "
              f"{m['task_s']:9.2f}s {m['bytes'] / 1e6:8.2f} MB")
    ratios = {"map": med["warlens map"]["seen_s"] / med["datasette map"]["s"],
              "claims": med["warlens claims"]["seen_s"] / med["datasette claims"]["s"],
              "map live": med["warlens map"]["s"] / med["datasette map"]["s"],
              "claims live": med["warlens claims"]["s"] / med["datasette claims"]["s"]}
    print(f"ratio warlens / Datasette, view seen (the sketch): map {ratios['map']:.2f}, "
          f"claims {ratios['claims']:.2f} (target <= 1.0)")
    print(f"ratio warlens / Datasette, live page drawn: map {ratios['map live']:.2f}, "
          f"claims {ratios['claims live']:.2f}")
    out = args.work / "results.json"
    results = {}
    if out.exists():
        with contextlib.suppress(ValueError):
            results = json.loads(out.read_text(encoding="utf-8"))
    results.setdefault(str(args.size), {}).setdefault("first_view", {})[args.label] = {
        "place": place, "proxy": args.proxy, "median": med, "ratios": ratios, "runs": seen,
        "load_average": [load_start, os.getloadavg()]}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
