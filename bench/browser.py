"""Filter click to chart drawn, in a real headless Chromium, on the 10,000-article corpus.

    python bench/browser.py [--size 10000] [--page Timeline] [--clicks 5]

Starts a Streamlit server on the synthetic corpus `bench/run.py` wrote
(bench/out/corpora/synth-<size>, with its cache bench/out/cache-<size>), opens the
page in Debian's Chromium through Playwright, and then, several times: resets the
filters, picks one place in the sidebar's Place filter, and measures from the key
press that picks it to the moment the chart shows the new view (its title, which
counts the events in view, has changed) and the browser has painted two frames
since. Prints every click and the median, and adds them to bench/out/results.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("WARLENS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--no-first-run"]
PLACES = ("Syria", "Sudan", "Yemen", "Mali", "Ukraine")
TIMEOUT_MS = 300_000
#: The chart's title, or "" while there is no chart.
_TITLE_JS = ("() => { const gd = document.querySelector('.js-plotly-plot');"
             " return gd && gd.layout && gd.layout.title ? String(gd.layout.title.text) : ''; }")
#: Resolves after two animation frames: the new chart has been painted.
_PAINTED_JS = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(data: Path, cache_dir: Path, port: int) -> subprocess.Popen[bytes]:
    """Streamlit on `data`, in its own process group; returns once it answers /health."""
    env = {**os.environ, "WARLENS_DATA": str(data), "WARLENS_CACHE_DIR": str(cache_dir)}
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.headless", "true", "--server.fileWatcherType", "none"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        health = f"http://127.0.0.1:{port}/_stcore/health"
        with contextlib.suppress(OSError), urllib.request.urlopen(health, timeout=2) as answer:
            if answer.read() == b"ok":
                return proc
        time.sleep(0.2)
    stop_server(proc)
    raise RuntimeError("streamlit did not become healthy")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server's process group (it was started in its own session)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)


def wait_idle(page: Page) -> None:
    """Streamlit connected, not running, no skeletons left."""
    app = page.locator('[data-testid="stApp"]')
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=TIMEOUT_MS)
    expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(0, timeout=TIMEOUT_MS)
    expect(page.locator('[data-testid="stSkeleton"]')).to_have_count(0, timeout=TIMEOUT_MS)


def click_to_chart(page: Page, place: str) -> float:
    """Seconds from picking `place` in the Place filter to the new chart painted."""
    before = page.evaluate(_TITLE_JS)
    box = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Place")
    box.locator("input").click()
    box.locator("input").fill(place)
    option = page.get_by_role("option", name=place, exact=True)
    expect(option).to_be_visible(timeout=TIMEOUT_MS)
    start = time.perf_counter()
    page.keyboard.press("Enter")
    page.wait_for_function(f"(before) => ({_TITLE_JS})() !== before", arg=before,
                           timeout=TIMEOUT_MS, polling="raf")
    page.evaluate(_PAINTED_JS)
    took = time.perf_counter() - start
    page.keyboard.press("Escape")
    return took


def main(argv: list[str] | None = None) -> int:
    """Run the clicks, print them, add them to the results file."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--page", default="Timeline", help="page URL name (default Timeline)")
    parser.add_argument("--clicks", type=int, default=5)
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "out")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "results.json")
    args = parser.parse_args(argv)
    data = args.work / "corpora" / f"synth-{args.size}"
    if not data.exists():
        print(f"no corpus at {data}: run `python bench/run.py --sizes {args.size}` first")
        return 2
    port = _free_port()
    server = start_server(data, args.work / f"cache-{args.size}", port)
    times: list[float] = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            start = time.perf_counter()
            page.goto(f"http://127.0.0.1:{port}/{args.page}", timeout=TIMEOUT_MS)
            page.wait_for_function(f"() => ({_TITLE_JS})() !== ''", timeout=TIMEOUT_MS)
            wait_idle(page)
            first = time.perf_counter() - start
            print(f"first page drawn (server loads the corpus): {first:.2f} s")
            for i in range(args.clicks):
                reset = page.get_by_role("button", name="Reset filters")
                if i:
                    reset.click()
                    wait_idle(page)
                took = click_to_chart(page, PLACES[i % len(PLACES)])
                wait_idle(page)
                times.append(took)
                print(f"click {i + 1} ({PLACES[i % len(PLACES)]}): {took:.2f} s")
            browser.close()
    finally:
        stop_server(server)
    result = {"page": args.page, "clicks_s": times, "median_s": statistics.median(times),
              "first_page_s": first, "load_average": os.getloadavg()}
    print(f"median filter click to chart drawn: {result['median_s']:.2f} s")
    results = {}
    if args.out.exists():
        with contextlib.suppress(ValueError):
            results = json.loads(args.out.read_text(encoding="utf-8"))
    results.setdefault(str(args.size), {})["browser"] = result
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
