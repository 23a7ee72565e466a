"""Fixtures that drive warlens in a real Chromium, in the shape of Streamlit's own e2e suite.

Every test in this folder is marked `e2e`, so `pytest -m "not e2e"` skips them all.

- `app_server`: the base URL of one Streamlit server shared by the whole session.
- `fresh_server()`: starts a new server for this test alone, for tests that must be the very
  first request a server sees (deep links on a cold server behave differently).
- `browser`, `page`: Debian's Chromium through Playwright; `page` fails the test on any
  console error or uncaught page error, except a blocked outside request.
- `screenshot(name)`: saves test-output/screenshots/<name>.png for a person to look at.
- `wait_for_app(page)`: returns once Streamlit has drawn the page and finished running.

Environment: WARLENS_CHROMIUM (default /usr/bin/chromium) picks the browser; WARLENS_DATA
(default the repo's data/articles) is the folder the app reads.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Error, Page, expect, sync_playwright

from seedcorpus import seed_folder

REPO_ROOT = Path(__file__).resolve().parents[2]
E2E_DIR = Path(__file__).resolve().parent
SCREENSHOT_DIR = REPO_ROOT / "test-output" / "screenshots"

HEALTH_TIMEOUT_S = 60
# A fresh server's first run fills the corpus cache; allow for a slow CI machine.
APP_TIMEOUT_MS = 60_000
VIEWPORT = {"width": 1280, "height": 900}

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",  # the tests run as root in containers, where the sandbox cannot start
    "--disable-gpu",
    "--disable-dev-shm-usage",  # /dev/shm is tiny in containers; Chromium crashes on big pages
    # No calls home: there is no network here, and a test must not depend on one.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]

# Chromium's own word for a request that never reached a server (no network, no DNS).
_BLOCKED_NETWORK = re.compile(r"net::ERR_[A-Z_]+")
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}

_PAGE_ERRORS = pytest.StashKey[list[str]]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test under tests/e2e as `e2e`."""
    for item in items:
        if E2E_DIR in item.path.parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Fail a test whose page logged errors, as a failure of the test rather than of teardown.

    Checked right after the test body, so errors from servers shutting down afterwards
    (a closed websocket) are not blamed on the test.
    """
    result = yield
    errors = item.stash.get(_PAGE_ERRORS, [])
    if errors:
        pytest.fail("the page logged errors:\n" + "\n".join(f"  {e}" for e in errors))
    return result


# --- servers ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_env(extra: Mapping[str, str] | None) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("WARLENS_DATA", str(seed_folder()))
    env.update(extra or {})
    return env


def _log_tail(log: IO[bytes], limit: int = 4000) -> str:
    log.flush()
    log.seek(0)
    return log.read().decode("utf-8", "replace")[-limit:]


def _wait_for_health(url: str, proc: subprocess.Popen[bytes], log: IO[bytes]) -> None:
    """Poll /_stcore/health until it answers "ok"; fail early if the server died."""
    deadline = time.monotonic() + HEALTH_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"streamlit exited with {proc.returncode} before it was healthy:\n" + _log_tail(log)
            )
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)  # polling a port that is not open yet: nothing to wait on instead
    raise RuntimeError(
        f"streamlit was not healthy at {url} after {HEALTH_TIMEOUT_S} s:\n" + _log_tail(log)
    )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server and anything it started: its whole process group."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@contextlib.contextmanager
def run_server(
    script: str | os.PathLike[str] = "app.py",
    *,
    cwd: str | os.PathLike[str] = REPO_ROOT,
    env: Mapping[str, str] | None = None,
    base_path: str = "",
) -> Iterator[str]:
    """Run `streamlit run script` on a free port and yield its base URL until the block ends.

    cwd is the repo root by default so .streamlit/config.toml and static/ apply as in use.
    `base_path` serves the app under that path, as behind a proxy (server.baseUrlPath);
    the URL yielded ends with it.
    """
    port = _free_port()
    url = f"http://127.0.0.1:{port}" + (f"/{base_path.strip('/')}" if base_path else "")
    command = [
        sys.executable, "-m", "streamlit", "run", str(script),
        "--server.port", str(port),
        "--server.headless", "true",
        # Edits to the checkout while a test runs must not pop up "File change. Rerun".
        "--server.fileWatcherType", "none",
        *(["--server.baseUrlPath", base_path.strip("/")] if base_path else []),
    ]  # fmt: skip
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            command,
            cwd=cwd,
            env=_server_env(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so _stop reaches every child
        )
        try:
            _wait_for_health(url, proc, log)
            yield url
        finally:
            _stop(proc)


@pytest.fixture(scope="session")
def app_server() -> Iterator[str]:
    """Base URL ("http://127.0.0.1:PORT") of a warlens server shared by the session."""
    with run_server() as url:
        yield url


@pytest.fixture
def fresh_server() -> Iterator[Callable[..., str]]:
    """Factory: `fresh_server()` starts a new server and returns its base URL.

    For tests that must be the first request a server sees. Takes run_server's arguments
    (script, cwd=, env=, base_path=). Every server it started stops when the test ends.
    """
    with contextlib.ExitStack() as servers:

        def start(*args: object, **kwargs: object) -> str:
            return servers.enter_context(run_server(*args, **kwargs))  # type: ignore[arg-type]

        yield start


# --- browser ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, with every call home switched off."""
    executable = os.environ.get("WARLENS_CHROMIUM", "/usr/bin/chromium")
    if not Path(executable).exists():
        pytest.fail(f"no Chromium at {executable}; scripts/test installs Debian's package")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _is_blocked_network(text: str, url: str) -> bool:
    """A failed request to somewhere other than our own server: the network is off here."""
    host = urlsplit(url).hostname or ""
    return bool(_BLOCKED_NETWORK.search(text)) and host not in _LOOPBACK_HOSTS


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A new 1280x900 page in its own context; console errors fail the test."""
    errors: list[str] = []
    request.node.stash[_PAGE_ERRORS] = errors

    def on_console(message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        url = message.location.get("url", "")
        if not _is_blocked_network(message.text, url):
            errors.append(f"console: {message.text} ({url})")

    def on_page_error(error: Error) -> None:
        if not _is_blocked_network(error.message, ""):
            errors.append(f"pageerror: {error.name}: {error.message}")

    context = browser.new_context(viewport=VIEWPORT)
    new_page = context.new_page()
    new_page.on("console", on_console)
    new_page.on("pageerror", on_page_error)
    yield new_page
    context.close()


def wait_for_app(page: Page, timeout: float = APP_TIMEOUT_MS) -> None:
    """Wait until Streamlit is connected, has run the script, and has drawn every element.

    Use after page.goto. After a click, assert on what the click should change with
    expect(...) instead: straight after it the page still reads "not running".
    """
    app = page.locator('[data-testid="stApp"]')
    expect(app).to_be_visible(timeout=timeout)
    expect(app).to_have_attribute("data-test-connection-state", "CONNECTED", timeout=timeout)
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=timeout)
    expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(0, timeout=timeout)
    # Widgets load their code lazily and show grey skeletons until then, after the run ends.
    expect(page.locator('[data-testid="stSkeleton"]')).to_have_count(0, timeout=timeout)
    # A chart (warlens/ui/plot.py) draws once plotly.js has loaded, after the run too.
    expect(page.locator('[data-testid="stBidiComponentRegular"]:not(:has(.main-svg))')
           ).to_have_count(0, timeout=timeout)


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Callable[..., Path]:
    """`screenshot(name, page=None)` saves test-output/screenshots/<name>.png, full page.

    Shoots the test's own `page` unless another is given.
    """

    def take(name: str, page: Page | None = None) -> Path:
        if not re.fullmatch(r"[\w.-]+", name):
            raise ValueError(f"screenshot name must be a plain file name: {name!r}")
        target = page if page is not None else request.getfixturevalue("page")
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOT_DIR / f"{name}.png"
        target.screenshot(path=path, full_page=True)
        return path

    return take
