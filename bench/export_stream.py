"""A view's export streamed by a running server: bytes, time, and the server's memory.

    python bench/export_stream.py --store duckdb:///tmp/s1m.duckdb --place Syria

Starts `streamlit run app.py` on the store, waits for it, reads the server's resident
memory (VmRSS) and its peak so far (VmHWM), downloads the view's events CSV from the
export route (`warlens.ui.common.export_link`) while sampling the server's memory, and
prints what it got: a download of millions of rows should leave the server's memory
about where it was (it is streamed, never whole), whatever its size.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parents[1]


def load() -> str:
    """The load averages (1, 5, 15 minutes), printed beside each figure."""
    return "/".join(f"{v:.1f}" for v in os.getloadavg())


def _memory_mb(pid: int) -> dict[str, float]:
    """Resident memory now and at its peak, of a process and its children (MB)."""
    status = Path(f"/proc/{pid}/status").read_text()
    values = {line.split(":")[0]: int(line.split()[1]) for line in status.splitlines()
              if line.startswith(("VmRSS", "VmHWM"))}
    return {"rss_mb": values["VmRSS"] / 1024, "peak_mb": values["VmHWM"] / 1024}


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main(argv: list[str] | None = None) -> int:
    """Measure one streamed export and print it (JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", required=True, help="an engine URL holding a corpus")
    parser.add_argument("--place", action="append", default=[])
    parser.add_argument("--file", default="warlens-events.csv")
    args = parser.parse_args(argv)
    port = _port()
    env = {**os.environ, "WARLENS_ENGINE": args.store,
           "WARLENS_DATA": tempfile.mkdtemp(prefix="warlens-export-bench-")}
    server = subprocess.Popen(  # noqa: S603 - our own app
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.headless", "true", "--server.fileWatcherType", "none"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(base + "/_stcore/health", timeout=2).read()  # noqa: S310
                break
            except OSError:
                time.sleep(0.5)
        time.sleep(3)  # the warm-up loads the store's vocabulary
        before = _memory_mb(server.pid)
        query = urlencode({"place": args.place}, doseq=True)
        samples: list[float] = []
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                samples.append(_memory_mb(server.pid)["rss_mb"])
                time.sleep(0.2)

        watcher = threading.Thread(target=sample, daemon=True)
        watcher.start()
        started, size, first = time.perf_counter(), 0, None
        with urllib.request.urlopen(f"{base}/export/{args.file}?{query}",  # noqa: S310
                                    timeout=3600) as response:
            while piece := response.read(1 << 20):
                first = first or time.perf_counter() - started
                size += len(piece)
        seconds = time.perf_counter() - started
        done.set()
        watcher.join()
        after = _memory_mb(server.pid)
        result = {"store": args.store, "places": args.place, "file": args.file,
                  "megabytes": size / 1e6, "seconds": seconds, "first_byte_s": first,
                  "mb_per_s": size / 1e6 / seconds, "rss_before_mb": before["rss_mb"],
                  "rss_max_during_mb": max(samples, default=after["rss_mb"]),
                  "rss_after_mb": after["rss_mb"], "load": load()}
        print(json.dumps(result, indent=1))
    finally:
        server.terminate()
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
