"""A shared link's first view in Chromium: the sketch is seen before the page has loaded,
shows the same place, and gives way to the live page, which then works as before."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import wait_for_app

DESKTOP, PHONE = {"width": 1400, "height": 900}, {"width": 390, "height": 844}
SKETCH = "#wl-first"
STREAMLIT_MAIN = '[data-testid="stMain"] h1'


@pytest.fixture(params=[DESKTOP, PHONE], ids=["desktop", "phone"])
def visitor(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport=request.param, device_scale_factor=1)
    yield context.new_page()
    context.close()


def _painted_before_streamlit(page: Page, url: str, selector: str) -> dict:
    """Open `url` fresh; report whether `selector` (in the sketch) was on screen in the
    first frame that showed anything, before Streamlit drew its page.

    The link has had a visitor before (a shared link's usual case): on a server that has
    never drawn the view, the sketch is left out when it is not ready within the server's
    budget (tested in tests/test_sketch.py)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # until the server has the sketch ready
        with urllib.request.urlopen(url, timeout=60) as response:
            if b'id="wl-first"' in response.read():
                break
        time.sleep(0.5)
    page.goto(url, wait_until="commit")
    return page.evaluate("""([selector, main]) => new Promise(done => {
        const look = () => {
            const mark = document.querySelector(selector);
            if (mark || document.querySelector(main)) {
                const box = mark && mark.getBoundingClientRect();
                done({sketch: !!mark, streamlit: !!document.querySelector(main),
                      x: box && box.x + box.width / 2, y: box && box.y + box.height / 2,
                      w: innerWidth, h: innerHeight});
            } else requestAnimationFrame(look);
        };
        look();
    })""", [selector, STREAMLIT_MAIN])


def test_a_map_link_shows_its_place_before_the_page_has_loaded(visitor: Page,
                                                               app_server: str) -> None:
    seen = _painted_before_streamlit(visitor, f"{app_server}/Map?place=Bakhmut",
                                     f"{SKETCH} svg circle")
    assert seen["sketch"] and not seen["streamlit"], seen
    # Bakhmut's dot is on screen, at both sizes.
    assert 0 < seen["x"] < seen["w"] and 0 < seen["y"] < seen["h"]
    expect(visitor.locator(f"{SKETCH} svg text", has_text="Bakhmut").first).to_be_visible()
    # Then the live map replaces it: no second copy of the view stays in the page.
    visitor.wait_for_selector('[data-testid="stMain"] .js-plotly-plot .main-svg',
                              timeout=60_000)
    expect(visitor.locator(SKETCH)).to_have_count(0, timeout=5_000)
    wait_for_app(visitor)


def test_a_claims_link_shows_the_contested_claims_side_by_side_first(visitor: Page,
                                                                     app_server: str) -> None:
    seen = _painted_before_streamlit(visitor, f"{app_server}/Claims?place=Bakhmut",
                                     f"{SKETCH} .wl-pair")
    assert seen["sketch"] and not seen["streamlit"], seen
    pair = visitor.locator(f"{SKETCH} .wl-pair").first
    expect(pair).to_contain_text("Asserts")
    expect(pair).to_contain_text("Denies")
    expect(pair).to_contain_text("Volodymyr Zelenskyy")
    visitor.wait_for_selector('[data-testid="stDataFrame"]', timeout=60_000)
    expect(visitor.locator(SKETCH)).to_have_count(0, timeout=10_000)


def test_a_view_without_a_chart_still_lets_the_live_page_through(page: Page,
                                                                 app_server: str) -> None:
    # Nothing is located in this view: the live page shows a notice, no chart; the
    # sketch (if any) must not stay over it.
    page.goto(f"{app_server}/Map?q=no-such-words-anywhere")
    wait_for_app(page)
    expect(page.locator(SKETCH)).to_have_count(0, timeout=10_000)
    expect(page.get_by_text("No event in this view has a known location")).to_be_visible()


def test_streamlit_files_arrive_compressed(page: Page, app_server: str) -> None:
    sent: list[tuple[str, str, int]] = []
    page.on("response", lambda r: sent.append(
        (r.url, r.headers.get("content-encoding", ""), int(r.headers.get("content-length", 0))))
        if "/static/js/" in r.url and r.url.endswith(".js") else None)
    page.goto(f"{app_server}/Map?place=Bakhmut")
    wait_for_app(page)
    # Every script but the smallest (under 1 kB, not worth it) comes compressed.
    assert len(sent) > 20
    assert [url for url, encoding, size in sent if encoding != "gzip" and size > 1024] == []


def test_a_timeline_link_shows_when_it_happened_before_the_page_has_loaded(
        visitor: Page, app_server: str) -> None:
    seen = _painted_before_streamlit(visitor, f"{app_server}/Timeline?place=Bakhmut",
                                     f"{SKETCH} svg rect")
    assert seen["sketch"] and not seen["streamlit"], seen
    # One of the two drawings (wide screen, phone) is shown, and it fits the screen.
    shown = visitor.locator(f"{SKETCH} svg:visible")
    expect(shown).to_have_count(1)
    box = shown.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= seen["w"] + 1
    visitor.wait_for_selector('[data-testid="stMain"] .js-plotly-plot .main-svg',
                              timeout=60_000)
    expect(visitor.locator(SKETCH)).to_have_count(0, timeout=5_000)


def test_a_story_link_shows_the_dispute_before_the_page_has_loaded(visitor: Page,
                                                                   app_server: str) -> None:
    seen = _painted_before_streamlit(
        visitor, f"{app_server}/Stories?story=bakhmut-fall-2023", f"{SKETCH} .wl-pair")
    assert seen["sketch"] and not seen["streamlit"], seen
    expect(visitor.locator(f"{SKETCH} .wl-pair").first).to_contain_text("denies")
    visitor.wait_for_selector('[data-testid="stMain"] blockquote', timeout=60_000)
    expect(visitor.locator(SKETCH)).to_have_count(0, timeout=5_000)


def test_a_link_to_a_sentence_shows_it_marked_before_the_page_has_loaded(
        visitor: Page, app_server: str) -> None:
    url = f"{app_server}/Article?claim=bakhmut-falls-2023-05-21%2Fzelenskyy-denies-capture"
    seen = _painted_before_streamlit(visitor, url, f"{SKETCH} mark.focus")
    assert seen["sketch"] and not seen["streamlit"], seen
    expect(visitor.locator(f"{SKETCH} .wl-card mark.focus")).to_contain_text("Zelenskyy")
    wait_for_app(visitor)
    expect(visitor.locator(SKETCH)).to_have_count(0, timeout=5_000)
