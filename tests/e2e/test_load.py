"""Many people at once on one server: each sees their own view, uploads stay private.

Twelve browser contexts (twelve people) open twelve different filter links on one
loopback server at the same moment; each must see exactly its own Claims table, counted
by the library on the same files. Then all change a filter at once. The times from
navigation to a drawn page and of the rerun are printed as p50/p95 (no timing is
asserted: the machine is shared). Then half the people vanish mid-rerun, and the server
must still be healthy and serve a newcomer.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from seedcorpus import seed_folder
from warlens.query import filter_claims, filters_from_params, vocabulary
from warlens.workspace import load_corpus

from .conftest import CHROMIUM_ARGS, VIEWPORT, wait_for_app

REPO_ROOT = Path(__file__).resolve().parents[2]
BUNDLED = seed_folder()  # the seed article: the views below are written for it
HOSTILE = REPO_ROOT / "tests" / "fixtures" / "hostile" / "injection.yaml"
#: The links the people open: places, stances, types, claimants, flags and an article.
LINKS: list[dict[str, list[str]]] = [
    {"place": ["Bakhmut"]}, {"place": ["Kyiv"]}, {"place": ["Ukraine"]},
    {"stance": ["asserts"]}, {"stance": ["denies"]}, {"stance": ["estimates"]},
    {"type": ["battle"]}, {"type": ["territorial_control"]},
    {"actor": ["Volodymyr Zelenskyy"]}, {"contested": ["1"]}, {"article": ["injection"]},
    {"place": ["Bakhmut"], "stance": ["denies"]},
]
READY_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const h = [...document.querySelectorAll('[data-testid="stMain"] h3')]
    .map(e => e.textContent).find(t => t.startsWith('All claims ('));
  return app && app.dataset.testConnectionState === 'CONNECTED'
    && app.dataset.testScriptState === 'notRunning'
    && !document.querySelector('[data-testid="stStatusWidget"]')
    && !document.querySelector('[data-testid="stSkeleton"]') ? (h || null) : null;
}"""
#: What a page that is not ready shows instead, for the failure message.
STATE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const h = [...document.querySelectorAll('[data-testid="stMain"] h3')].map(e => e.textContent);
  return {state: app && app.dataset.testScriptState,
          connection: app && app.dataset.testConnectionState,
          status: !!document.querySelector('[data-testid="stStatusWidget"]'),
          skeletons: document.querySelectorAll('[data-testid="stSkeleton"]').length,
          headings: h,
          error: (document.querySelector('[data-testid="stException"]') || {}).textContent};
}"""
BUDGET_S = 150
#: Each person has their own browser in the foreground: no throttling of background windows.
CROWD_ARGS = [*CHROMIUM_ARGS, "--disable-background-timer-throttling",
              "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows"]
CONTESTED = re.compile(r"contested=1")


@pytest.fixture
def crowd(browser: Browser) -> Iterator[Browser]:
    """A second Chromium for the crowd, launched with background throttling off."""
    crowd_browser = browser.browser_type.launch(
        executable_path=os.environ.get("WARLENS_CHROMIUM", "/usr/bin/chromium"), args=CROWD_ARGS)
    yield crowd_browser
    crowd_browser.close()


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the values lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def expected_heading(folder: Path, params: dict[str, list[str]]) -> str:
    """The Claims page heading the library says this link must show."""
    corpus = load_corpus(folder, cache=False)
    filters, _ = filters_from_params(params, vocabulary(corpus))
    return f"All claims ({len(filter_claims(corpus, filters))})"


def wait_all(pages: list[Page], wanted: list[str], started: list[float]) -> list[float]:
    """Poll every page round-robin until each shows its wanted heading; seconds each took."""
    took: list[float | None] = [None] * len(pages)
    deadline = time.monotonic() + BUDGET_S
    while None in took and time.monotonic() < deadline:
        for i, page in enumerate(pages):
            if took[i] is None and page.evaluate(READY_JS) == wanted[i]:
                took[i] = time.monotonic() - started[i]
        pages[0].wait_for_timeout(50)
    late = [i for i, t in enumerate(took) if t is None]
    shown = [(pages[i].url, pages[i].evaluate(READY_JS), pages[i].evaluate(STATE_JS))
             for i in late]
    assert not late, f"links {[LINKS[i] for i in late]} showed {shown}, not their own view"
    return [t for t in took if t is not None]


def toggle_contested(page: Page) -> None:
    """Flip the sidebar's "Contested only" toggle, as a person would, and see it take.

    A click landing while the page is still swapping in lazily loaded widgets can be
    lost; a person would click again, and so does this.
    """
    page.bring_to_front()
    # Widgets still loading their code are swapped in later, detaching what was clicked.
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=60_000)
    wanted_on = "contested=1" not in page.url
    for _ in range(3):
        try:
            page.get_by_test_id("stSidebar").get_by_text("Contested only").click(
                timeout=10_000)
            if wanted_on:
                expect(page).to_have_url(CONTESTED, timeout=10_000)
            else:
                expect(page).not_to_have_url(CONTESTED, timeout=10_000)
            return
        except (AssertionError, PlaywrightTimeout):
            continue
    raise AssertionError(f"the Contested only toggle did not take on {page.url}")


def health(base: str) -> bytes:
    """The server's health answer."""
    with urllib.request.urlopen(f"{base}/_stcore/health", timeout=10) as response:
        return response.read()


def test_twelve_people_each_see_their_own_view_and_the_server_survives_half_leaving(
    crowd: Browser, fresh_server: Callable[..., str], tmp_path: Path,
) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    for source in [*BUNDLED.glob("*.yaml"), HOSTILE]:
        shutil.copy(source, folder / source.name)
    base = fresh_server(env={"WARLENS_DATA": str(folder),
                             "WARLENS_CACHE_DIR": str(tmp_path / "cache")})
    wanted = [expected_heading(folder, link) for link in LINKS]
    assert len(set(wanted)) >= 5, wanted  # the views differ, so a leak would show
    toggled = [{**link, "contested": [] if link.get("contested") else ["1"]} for link in LINKS]
    wanted_after = [expected_heading(folder, {k: v for k, v in link.items() if v})
                    for link in toggled]
    # Warm the corpus cache once, as the first visitor of a real server does.
    with urllib.request.urlopen(f"{base}/Claims", timeout=30):
        pass

    contexts: list[BrowserContext] = [crowd.new_context(viewport=VIEWPORT) for _ in LINKS]
    pages = [c.new_page() for c in contexts]
    try:
        started = []
        for page, link in zip(pages, LINKS, strict=True):
            started.append(time.monotonic())
            page.goto(f"{base}/Claims?{urlencode(link, doseq=True)}", wait_until="commit")
        ready = wait_all(pages, wanted, started)

        started = []
        for page in pages:
            started.append(time.monotonic())
            toggle_contested(page)
        rerun = wait_all(pages, wanted_after, started)
        print(f"\n{len(pages)} sessions at once, navigation to drawn page: "
              f"p50 {statistics.median(ready):.2f} s, p95 {percentile(ready, 0.95):.2f} s; "
              f"rerun after a filter change: p50 {statistics.median(rerun):.2f} s, "
              f"p95 {percentile(rerun, 0.95):.2f} s")

        # Half the people leave abruptly, some in the middle of a rerun.
        for page in pages[::2]:
            toggle_contested(page)
        for context in contexts[::2]:
            context.close()
        assert health(base) == b"ok"
        stayed = pages[1::2]
        for page, want in zip(stayed, wanted_after[1::2], strict=True):
            expect(page.get_by_test_id("stMain")).to_contain_text(want)
        newcomer = crowd.new_context(viewport=VIEWPORT)
        contexts.append(newcomer)
        page = newcomer.new_page()
        page.goto(f"{base}/Claims?place=Kyiv")
        wait_for_app(page)
        expect(page.get_by_test_id("stMain")).to_contain_text(wanted[1])
        assert health(base) == b"ok"
    finally:
        for context in contexts:
            context.close()


UPLOAD_TITLE = "Uploaded in one tab only"
UPLOAD = f"""\
id: private-upload
title: {UPLOAD_TITLE}
outlet: Test
published: 2024-03-01
text: |-
  Shelling hit Kharkiv on Monday. The governor denied it.
places:
  - id: kharkiv
    name: Kharkiv
    lat: 49.99
    lon: 36.23
claims:
  - id: denial
    claimant: The governor
    stance: denies
    claim: There was shelling
    place: kharkiv
    quote: The governor denied it.
"""


def title_cells(page: Page) -> Locator:
    """Cells of the page's tables that show the uploaded article's title."""
    cells = page.get_by_test_id("stMain").get_by_test_id("stDataFrame").locator("td")
    return cells.filter(has_text=UPLOAD_TITLE)


def metric(page: Page, label: str) -> int:
    """One of the Overview's counters, as shown."""
    shown = page.get_by_test_id("stMetric").filter(has_text=label)
    return int(shown.get_by_test_id("stMetricValue").inner_text())


@pytest.mark.parametrize("suffix", [".yaml"])
def test_a_file_uploaded_in_one_browser_is_seen_there_and_not_in_another_open_at_once(
    app_server: str, browser: Browser, tmp_path: Path, suffix: str,
) -> None:
    upload = tmp_path / f"private{suffix}"
    upload.write_text(UPLOAD, encoding="utf-8")
    mine, theirs = (browser.new_context(viewport=VIEWPORT) for _ in range(2))
    try:
        me, them = mine.new_page(), theirs.new_page()
        for page in (me, them):
            page.goto(app_server)
            wait_for_app(page)
        articles, claims = metric(them, "Articles"), metric(them, "Claims")
        me.bring_to_front()
        sidebar = me.get_by_test_id("stSidebar")
        sidebar.get_by_text("Open a file").click()
        sidebar.locator('input[type="file"]').set_input_files(str(upload))
        expect(title_cells(me)).to_have_count(1, timeout=30_000)
        assert (metric(me, "Articles"), metric(me, "Claims")) == (articles + 1, claims + 1)
        expect(sidebar).to_contain_text("private.yaml: 1 article(s) loaded")

        # The other person, working at the same time, reruns and never sees it.
        toggle_contested(them)
        wait_for_app(them)
        assert metric(them, "Articles") == articles
        expect(title_cells(them)).to_have_count(0)
        expect(them.get_by_test_id("stDataFrame").locator("td").first).to_be_attached()
        them.goto(f"{app_server}/Claims?actor=The%20governor")
        wait_for_app(them)
        expect(them.get_by_test_id("stMain")).to_contain_text("no such actor or claimant")

        # The uploader keeps it on another page of the same tab.
        me.bring_to_front()
        me.get_by_test_id("stSidebar").get_by_test_id("stPageLink-NavLink").filter(
            has_text="Claims").click()
        expect(me.get_by_test_id("stMain")).to_contain_text(f"All claims ({claims + 1})")
    finally:
        mine.close()
        theirs.close()
