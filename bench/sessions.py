"""Server CPU per new visitor, and how many new visitors a second one server serves.

    python bench/sessions.py [--size 0|10000] [--visitors 12] [--rates 0.5,1,2,3]
                             [--proxy] [--repo CHECKOUT]

--size 0 (the default) serves the bundled corpus (data/articles); --size N the synthetic
corpus `bench/run.py --sizes N` wrote. One Streamlit server is started (in its own
process group) and warmed by one visit, which loads the corpus. Then:

1. CPU per fresh session: --visitors new browser contexts (empty cache, new session)
   open shared links one after another (the map, the claims and the timeline of the
   busiest town, in turn), each until its page is drawn; the server process's CPU time
   (utime + stime from /proc) before and after, divided by the visitors. Target: at most
   100 ms per fresh session. Then the same from one browser whose cache is warm (new
   tabs: new sessions), which leaves out serving Streamlit's own frontend files.
2. Visitors a second: for each rate in --rates, --visitors new visitors arrive at that
   rate (asyncio, one Chromium); each one's first view is timed from navigation start to
   the view seen (the sketch the server draws into the HTML page, warlens/sketch.py) and
   to the live page drawn. Prints both medians, and the largest rate whose median stays
   under 2 s, for each.

--proxy puts nginx in front, configured from deploy/nginx-*.conf as the hosting guide
ships them (bench/proxy.py): it compresses and keeps Streamlit's frontend files, so the
server sends each once. The proxy's own CPU is printed beside the server's.

The browser runs on the same machine and competes with the server for its cores: the
rates are a floor for a server with the machine to itself. Prints the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote_plus

from playwright.async_api import Browser, BrowserContext, async_playwright

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
from browser import CHROMIUM, _free_port  # noqa: E402
from first_view import (  # noqa: E402
    CHROMIUM_ARGS,
    PAINTED,
    TIMEOUT_MS,
    VIEWPORT,
    WARLENS_MAP_DRAWN,
    WARLENS_MAP_SKETCHED,
    WARLENS_TABLE_DRAWN,
    WARLENS_TABLE_SKETCHED,
    start_warlens,
    stop,
)
from proxy import nginx_pids, start_nginx, stop_nginx  # noqa: E402

#: A page other than the map is drawn when its script has run and nothing is loading.
APP_IDLE = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app && app.dataset.testScriptState === 'notRunning'
        && app.dataset.testConnectionState === 'CONNECTED'
        && !document.querySelector('[data-testid="stSkeleton"]')
        && !!document.querySelector('[data-testid="stMain"] h1');
}"""
WARLENS_TIMELINE_SKETCHED = "() => !!document.querySelector('#wl-first svg rect')"
TARGET_CPU_S, TARGET_MEDIAN_S = 0.100, 2.0
#: Seconds of quiet in which the server's CPU with nobody there is measured.
IDLE_S = 10


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, in seconds (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Meter:
    """CPU seconds of the server and, when there is one, of the proxy's processes."""

    def __init__(self, server: int, proxy: list[int]) -> None:
        self.server, self.proxy = server, proxy

    def read(self) -> tuple[float, float]:
        # nginx's cache loader exits after a minute, having done next to nothing.
        alive = [p for p in self.proxy if Path(f"/proc/{p}").exists()]
        return cpu_seconds(self.server), sum(cpu_seconds(p) for p in alive)

    def since(self, before: tuple[float, float]) -> tuple[float, float]:
        now = self.read()
        return now[0] - before[0], now[1] - before[1]


async def visit(browser: Browser | BrowserContext, url: str, drawn: str,
                sketched: str) -> tuple[float, float]:
    """A new visitor opens `url`; seconds until the view is seen (the sketch in the HTML
    page, or the page itself when there is none) and until the live page has drawn it.

    Given a browser, the visitor is new (a fresh context: empty cache); given a context,
    a returning one (a new tab, so a new session, with the browser's cache warm).
    """
    fresh = isinstance(browser, Browser)
    context = await browser.new_context(viewport=VIEWPORT) if fresh else browser
    page = await context.new_page()
    try:
        start = time.perf_counter()
        await page.goto(url, wait_until="commit", timeout=TIMEOUT_MS)
        await page.wait_for_function(f"() => ({sketched})() || ({drawn})()",
                                     timeout=TIMEOUT_MS, polling="raf")
        await page.evaluate(PAINTED)
        seen = time.perf_counter() - start
        await page.wait_for_function(drawn, timeout=TIMEOUT_MS, polling=50)
        await page.evaluate(PAINTED)
        return seen, time.perf_counter() - start
    finally:
        await (context.close() if fresh else page.close())


def _medians(times: list[tuple[float, float]]) -> tuple[float, float]:
    return (statistics.median(t[0] for t in times), statistics.median(t[1] for t in times))


async def run(base: str, place: str, meter: Meter, visitors: int, rates: list[float]) -> dict:
    q = quote_plus(place)
    links = [(f"{base}/Map?place={q}", WARLENS_MAP_DRAWN, WARLENS_MAP_SKETCHED),
             (f"{base}/Claims?place={q}", WARLENS_TABLE_DRAWN, WARLENS_TABLE_SKETCHED),
             (f"{base}/Timeline?place={q}", APP_IDLE, WARLENS_TIMELINE_SKETCHED)]
    out: dict = {}
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for link in links:  # warm: the corpus is loaded, every page imported once
            await visit(browser, *link)
        # What the server spends with nobody there (the data folder's watch walks every file
        # now and then: at 10,000 articles that is not nothing), to tell it apart.
        before, started = meter.read(), time.perf_counter()
        await asyncio.sleep(IDLE_S)
        idle_rate = meter.since(before)[0] / (time.perf_counter() - started)
        out["idle_cpu_per_s"] = idle_rate
        print(f"server CPU with no visitor: {idle_rate * 1000:.0f} ms a second")
        before, started = meter.read(), time.perf_counter()
        times = [await visit(browser, *links[i % len(links)]) for i in range(visitors)]
        idle = idle_rate * (time.perf_counter() - started) / visitors
        per_session, per_proxy = (cpu / visitors for cpu in meter.since(before))
        seen, live = _medians(times)
        out["sequential"] = {"cpu_per_session_s": per_session, "proxy_cpu_per_session_s":
                             per_proxy, "idle_share_s": idle, "median_seen_s": seen,
                             "median_first_view_s": live, "times": times}
        print(f"server CPU per fresh session: {per_session * 1000:.0f} ms, of which "
              f"{idle * 1000:.0f} ms is what it spends with nobody there "
              f"(target <= {TARGET_CPU_S * 1000:.0f} ms)"
              + (f"; proxy {per_proxy * 1000:.0f} ms" if meter.proxy else "")
              + f"; one at a time: view seen median {seen:.2f} s, live page {live:.2f} s")
        # A server process runs Python on one core at a time: what its CPU alone allows.
        out["server_bound_rate"] = 1 / max(per_session - idle, 1e-3)
        print(f"the server's CPU alone would allow {out['server_bound_rate']:.1f} new "
              "visitors a second (1 / CPU per session, less the idle part)")
        # The same with the browser's cache warm: the session's own cost, without serving
        # Streamlit's frontend files (7-10 MB, uncompressed by Streamlit's design).
        returning = await browser.new_context(viewport=VIEWPORT)
        await visit(returning, *links[0])
        before = meter.read()
        times = [await visit(returning, *links[i % len(links)]) for i in range(visitors)]
        per_warm = meter.since(before)[0] / visitors
        await returning.close()
        seen, live = _medians(times)
        out["returning"] = {"cpu_per_session_s": per_warm, "median_seen_s": seen,
                            "median_first_view_s": live, "times": times}
        print(f"server CPU per new session of a returning browser (files cached): "
              f"{per_warm * 1000:.0f} ms; seen median {seen:.2f} s, live {live:.2f} s")
        out["rates"] = {}
        for rate in rates:
            before = meter.read()

            async def arrive(i: int, rate: float = rate) -> float:
                await asyncio.sleep(i / rate)
                return await visit(browser, *links[i % len(links)])

            started = time.perf_counter()
            times = await asyncio.gather(*(arrive(i) for i in range(visitors)))
            wall = time.perf_counter() - started
            cpu = meter.since(before)[0]
            seen, live = _medians(times)
            out["rates"][str(rate)] = {"median_seen_s": seen, "median_s": live,
                                       "max_s": max(t[1] for t in times), "times": times,
                                       "server_cpu_s": cpu, "wall_s": wall}
            print(f"{rate:4.1f} new visitors/s: view seen median {seen:.2f} s, live page "
                  f"median {live:.2f} s (max {max(t[1] for t in times):.2f} s); "
                  f"server CPU {cpu:.1f} s over {wall:.1f} s")
        await browser.close()
    for key, what in (("median_seen_s", "view seen"), ("median_s", "live page")):
        ok = [float(r) for r, v in out["rates"].items() if v[key] < TARGET_MEDIAN_S]
        out[f"max_rate_under_2s_{key}"] = max(ok) if ok else 0.0
        print(f"largest rate tried with the median {what} under {TARGET_MEDIAN_S:.0f} s: "
              + (f"{max(ok)} new visitors/s" if ok else "none"))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=0, help="0: the bundled corpus")
    parser.add_argument("--visitors", type=int, default=12)
    parser.add_argument("--rates", default="0.5,1,2,3")
    parser.add_argument("--place", default=None, help="default: Bakhmut, or the busiest town")
    parser.add_argument("--label", default="now")
    parser.add_argument("--repo", type=Path, default=REPO)
    parser.add_argument("--proxy", action="store_true",
                        help="nginx in front, as deploy/ configures it (bench/proxy.py)")
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "out")
    args = parser.parse_args(argv)
    if args.size:
        data = args.work / "corpora" / f"synth-{args.size}"
        cache = args.work / f"cache-{args.size}"
        db = args.work / f"datasette-{args.size}.db"
        if args.place is None:
            from first_view import build_sqlite, busiest_town

            if not db.exists():
                build_sqlite(data, cache, db)
            args.place = busiest_town(db)
    else:
        data, cache = REPO / "data" / "articles", args.work / "cache-bundled"
    place = args.place or "Bakhmut"
    port = _free_port()
    load_start = os.getloadavg()
    server = start_warlens(args.repo.resolve(), data, cache, port)
    nginx = None
    try:
        base, meter = f"http://127.0.0.1:{port}", Meter(server.pid, [])
        if args.proxy:
            nginx_port = _free_port()
            nginx = start_nginx(port, nginx_port, args.work / "nginx")
            base, meter = f"http://127.0.0.1:{nginx_port}", Meter(server.pid, nginx_pids(nginx))
        result = asyncio.run(run(base, place, meter, args.visitors,
                                 [float(r) for r in args.rates.split(",") if r]))
    finally:
        if nginx is not None:
            stop_nginx(nginx)
        stop(server)
    result.update(place=place, proxy=args.proxy, load_average=[load_start, os.getloadavg()])
    print(f"load average {load_start} -> {os.getloadavg()}")
    out = args.work / "results.json"
    results = {}
    if out.exists():
        with contextlib.suppress(ValueError):
            results = json.loads(out.read_text(encoding="utf-8"))
    results.setdefault(str(args.size or "bundled"), {}).setdefault("sessions", {})[
        args.label] = result
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
