"""A freshly started server's first page in Chromium, from the moment the process starts.

    python bench/fresh_server.py --store duckdb:///tmp/s100k.duckdb \
        [--link /] [--link "/Map?place=Ukraine"]

For each link: starts `streamlit run app.py` on the store (an empty data folder: the
engine holds the corpus), polls until the server answers, opens the link in a new
headless Chromium page, and prints, counted from the process start: when the server
answered, when the view was first seen (the server's sketch, or the live page's heading),
and when the page was drawn (its script done, the sketch gone, no skeleton left); with
the load average. The target is the page drawn in under 3 s at 100,000 articles.

warlens's modules are compiled first, as `scripts/dashboard` compiles them when it sets up:
the figure is a server's start, not a first install's.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("WARLENS_CHROMIUM", "/usr/bin/chromium")
SEEN = ("() => document.querySelector('#wl-first svg, #wl-first table') || "
        "document.querySelector('[data-testid=\"stMain\"] h1')")
DRAWN = ("() => { const a = document.querySelector('[data-testid=\"stApp\"]'); "
         "return a && a.dataset.testScriptState === 'notRunning' && "
         "document.querySelector('[data-testid=\"stMain\"] h1') && "
         "!document.getElementById('wl-first') && "
         "!document.querySelector('[data-testid=\"stSkeleton\"]'); }")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(store: str, port: int, repo: Path = REPO) -> subprocess.Popen:
    """`streamlit run app.py` of the checkout `repo` on `store`, with an empty data folder
    (the engine holds the corpus), in a process group of its own."""
    env = {**os.environ, "WARLENS_ENGINE": store, "PYTHONPATH": str(repo / "src"),
           "WARLENS_DATA": tempfile.mkdtemp(prefix="warlens-fresh-")}
    return subprocess.Popen(  # noqa: S603 - our own app
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.headless", "true", "--server.fileWatcherType", "none"],
        cwd=repo, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)


def wait_answering(port: int, server: subprocess.Popen, timeout_s: float = 120) -> None:
    """Poll the server's health until it answers; SystemExit if it ends or never does."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1).read()
            return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server on port {port} did not answer") from None
            time.sleep(0.05)


def first_page(browser: object, store: str, link: str) -> dict[str, object]:
    """Seconds from a server's start to its answer, the view seen, the page drawn."""
    port = free_port()
    context = browser.new_context(viewport={"width": 1400, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    started = time.perf_counter()
    server = start_server(store, port)
    try:
        wait_answering(port, server)
        answered = time.perf_counter() - started
        page.goto(f"http://127.0.0.1:{port}{link}", wait_until="commit")
        page.wait_for_function(SEEN, timeout=120_000, polling="raf")
        seen = time.perf_counter() - started
        sketched = page.evaluate("() => !!document.getElementById('wl-first')")
        page.wait_for_function(DRAWN, timeout=120_000, polling=50)
        drawn = time.perf_counter() - started
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        context.close()
    return {"link": link, "answered_s": round(answered, 2), "seen_s": round(seen, 2),
            "seen_as": "sketch" if sketched else "live page", "drawn_s": round(drawn, 2),
            "load": "/".join(f"{v:.1f}" for v in os.getloadavg())}


def main(argv: list[str] | None = None) -> int:
    """Measure each link on a fresh server and print one JSON line each."""
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", required=True, help="an engine URL holding a corpus")
    parser.add_argument("--link", action="append", default=[])
    args = parser.parse_args(argv)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "src")], check=True)  # noqa: S603
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless=new", "--no-sandbox", "--use-gl=swiftshader",
            "--disable-background-networking"])
        for link in args.link or ["/"]:
            print(json.dumps(first_page(browser, args.store, link)), flush=True)
        browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
