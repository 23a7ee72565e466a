"""Hosting: the shipped config listens on this machine only, and README says what a proxy adds."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", README, re.S | re.M)
    assert match, f"README has no section '{title}'"
    return match.group(1)


def test_the_shipped_config_listens_on_localhost() -> None:
    config = tomllib.loads((REPO_ROOT / ".streamlit" / "config.toml").read_text("utf-8"))
    assert config["server"].get("address") in ("localhost", "127.0.0.1")


def _outside_address() -> str | None:
    """An IPv4 address of this machine other than loopback, if it has one."""
    for target in ("10.255.255.255", "192.0.2.255", "198.51.100.1"):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.connect((target, 9))  # UDP: no packet is sent, this only picks a route
            except OSError:
                continue
            address = probe.getsockname()[0]
        if not address.startswith("127.") and address != "0.0.0.0":
            return address
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def _server_as_shipped(port: int) -> Iterator[subprocess.Popen[bytes]]:
    """`streamlit run app.py` from the repo root (scripts/dashboard's command), config as is."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.fileWatcherType", "none"],
        cwd=REPO_ROOT, env={**os.environ, "WARLENS_DATA": str(REPO_ROOT / "data" / "articles")},
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    try:
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)


def test_the_dashboard_answers_on_loopback_and_not_on_the_machines_other_address() -> None:
    outside = _outside_address()
    if outside is None:
        pytest.skip("this machine has no address but loopback")
    port = _free_port()
    with _server_as_shipped(port) as proc:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, "the server exited"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health",
                                            timeout=2) as answer:
                    assert answer.read() == b"ok"
                    break
            except OSError:
                assert time.monotonic() < deadline, "no answer on loopback"
                time.sleep(0.2)
        with socket.socket() as sock, pytest.raises(OSError):
            sock.settimeout(2)
            sock.connect((outside, port))


def test_readme_says_which_headers_the_proxy_adds_and_keeps_metrics_private() -> None:
    hosting = _section("Sharing a link and hosting") + _section("Security")
    headers = set(re.findall(r"add_header (\S+)", hosting))
    assert {"X-Frame-Options", "Content-Security-Policy", "X-Content-Type-Options",
            "Referrer-Policy", "Strict-Transport-Security"} <= headers, headers
    assert "frame-ancestors 'none'" in hosting
    assert re.search(r"location = /_stcore/metrics \{\s*return 404;", hosting)
    assert "--server.address 0.0.0.0" in hosting  # how to listen elsewhere
