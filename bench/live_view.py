"""A filtered view's live map and timeline in Chromium, for new visitors, on an engine's store.

    python bench/live_view.py --store duckdb:///path/acled-2000000.duckdb \
        [--link "/Map?place=Kharkiv" ...] [--visitors 8] [--against /path/to/other/checkout]

Starts `streamlit run app.py` on the store (an empty data folder: the engine holds the
corpus) and opens each link in a new Chromium context per visitor, as someone who was
sent the link does: nothing cached. Prints, for each link, when the first-view sketch
was seen and when the live page had drawn its chart (the map: MapLibre loaded, with
land and a marker drawn; the timeline: plotly's chart drawn and the script done), as
median and range over the visitors, how many took over 2 s, and the load averages.

With `--against`, a second server runs that checkout on the same store, and each
visitor opens the link on both, in turns (the order alternating): the two figures then
share the machine's load, which on a shared two-core machine moves any one figure by
tens of percent. The first visitor of each link on each server is not counted (the
server builds the view then). The target (issue 16): the map and the timeline of a
filtered view of 2 million ACLED rows drawn in under 2 s.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import statistics
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from first_view import CHROMIUM_ARGS, WARLENS_MAP_DRAWN, visit
from fresh_server import free_port, start_server, wait_answering

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("WARLENS_CHROMIUM", "/usr/bin/chromium")
LINKS = ("/Map?place=Kharkiv", "/Timeline?place=Kharkiv", "/Map?type=battle&place=Mariupol",
         "/Timeline?type=battle&place=Mariupol")
SKETCHED = "() => !!document.querySelector('#wl-first svg, #wl-first table')"
TIMELINE_DRAWN = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    const gd = document.querySelector('[data-testid="stMain"] .js-plotly-plot');
    return app && app.dataset.testScriptState === 'notRunning' && gd && gd._fullLayout
        && gd.querySelector('.main-svg') && !document.querySelector('[data-testid="stSkeleton"]');
}"""


@contextlib.contextmanager
def serving(repo: Path, store: str) -> Iterator[str]:
    """A server of checkout `repo` on `store`, answering; its base URL."""
    port = free_port()
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(repo / "src")], check=False)  # noqa: S603
    server = start_server(store, port, repo)
    try:
        wait_answering(port, server)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def _summary(seconds: list[float]) -> str:
    if not seconds:
        return "none"
    return (f"median {statistics.median(seconds):.2f} s ({min(seconds):.2f}-{max(seconds):.2f}), "
            f"{sum(s > 2.0 for s in seconds)} of {len(seconds)} over 2 s")


def main(argv: list[str] | None = None) -> int:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", required=True, help="an engine URL holding a corpus")
    parser.add_argument("--link", action="append", default=[], help=f"default: {LINKS}")
    parser.add_argument("--visitors", type=int, default=8, help="counted, per link and server")
    parser.add_argument("--against", type=Path, default=None,
                        help="another warlens checkout, served in turns with this one")
    args = parser.parse_args(argv)
    repos = {"this": REPO} | ({"against": args.against.resolve()} if args.against else {})
    with contextlib.ExitStack() as stack, sync_playwright() as p:
        bases = {name: stack.enter_context(serving(repo, args.store))
                 for name, repo in repos.items()}
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for link in args.link or LINKS:
            drawn = WARLENS_MAP_DRAWN if link.startswith("/Map") else TIMELINE_DRAWN
            seen: dict[str, list[float]] = {name: [] for name in bases}
            live: dict[str, list[float]] = {name: [] for name in bases}
            for base in bases.values():  # each server builds the view once
                visit(browser, base + link, drawn, SKETCHED)
            loads = [os.getloadavg()]
            for i in range(args.visitors):
                order = list(bases.items()) if i % 2 == 0 else list(bases.items())[::-1]
                for name, base in order:
                    took = visit(browser, base + link, drawn, SKETCHED)
                    seen[name].append(took["seen_s"])
                    live[name].append(took["s"])
                loads.append(os.getloadavg())
            for name in bases:
                print(f"{link} [{name}] sketch seen {_summary(seen[name])}; "
                      f"live page drawn {_summary(live[name])}", flush=True)
            low, high = min(one for one, _five, _fifteen in loads), max(
                one for one, _five, _fifteen in loads)
            print(f"{link}: load (1 min) {low:.1f}-{high:.1f}", flush=True)
        browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
