"""The Stories page in Chromium on a fresh server with the bundled corpus: the Mariupol story
as the Kremlin, the White House and the President of Ukraine reported it."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, Page, expect

from seedcorpus import BUNDLED

from .conftest import wait_for_app

pytestmark = pytest.mark.e2e
MARIUPOL = "/Stories?story=mariupol-capture-2022"
REPORT_HEAD = re.compile(r"^[^·\n]+, published (\d+ \w+ \d{4})[^:\n]*: ")
SIZES = {"desktop": {"width": 1400, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def bundled_server() -> str:
    from .conftest import run_server

    with run_server(env={"WARLENS_DATA": str(BUNDLED)}) as url:
        yield url


def _dispute_rows(page: Page):
    """The rows under "The dispute": one assertion beside one denial each. (They come
    first in the page; the stance columns further down hold every claim.)"""
    expect(page.get_by_role("heading", name="The dispute")).to_be_visible()
    return page.get_by_test_id("stHorizontalBlock").filter(
        has_text=" denies:").filter(has_text=" asserts:")


def _report_days(page: Page) -> list[str]:
    """The publication days of the reports, in the order the page lists them."""
    texts = page.get_by_test_id("stMarkdown").all_inner_texts()
    return [m[1] for t in texts if (m := REPORT_HEAD.match(t))]


@pytest.mark.parametrize("size", SIZES)
def test_the_mariupol_story_sets_the_kremlin_assertion_beside_zelenskyys_denial(
        browser: Browser, bundled_server: str, size: str,
        screenshot: Callable[..., object]) -> None:
    context = browser.new_context(viewport=SIZES[size])
    page = context.new_page()
    try:
        page.goto(bundled_server + MARIUPOL)
        wait_for_app(page)
        box = _dispute_rows(page).filter(has_text="Kremlin").first
        expect(box).to_contain_text("Sergei Shoigu asserts")
        expect(box).to_contain_text("Volodymyr Zelenskyy denies")
        expect(box).to_contain_text("A city that continues to resist Russia.")
        sides = box.get_by_test_id("stColumn")
        assert sides.count() == 2
        left, right = (sides.nth(i).bounding_box() for i in range(2))
        if size == "desktop":  # side by side: same row, assertion on the left
            assert abs(left["y"] - right["y"]) < 5 and left["x"] < right["x"]
        else:  # a phone stacks them, the denial straight under the assertion
            assert right["y"] > left["y"] and right["y"] - (left["y"] + left["height"]) < 80
        # The reports, in the order they were published: 20 April first, 26 April last.
        published = _report_days(page)
        assert len(published) == 6
        assert published[0] == "20 April 2022" and published[-1] == "26 April 2022"
        assert published.count("21 April 2022") >= 3
        screenshot(f"stories-mariupol-{size}", page=page)
    finally:
        context.close()


def test_a_story_link_opens_the_story_and_its_sentence_link_the_article(
        page: Page, bundled_server: str) -> None:
    page.goto(bundled_server + MARIUPOL)
    wait_for_app(page)
    row = _dispute_rows(page).filter(has_text="Zelenskyy").first
    row.get_by_test_id("stColumn").last.get_by_role("link", name="The sentence").click()
    expect(page).to_have_url(re.compile(r"/Article\?.*claim="))
    wait_for_app(page)
    expect(page.get_by_test_id("stMain")).to_contain_text(
        "Text: Source: President of Ukraine, president.gov.ua, CC BY 4.0")


@pytest.mark.parametrize("path", ["/", "/Claims"])
def test_no_link_to_a_story_or_an_event_is_cut_off_on_a_phone(browser, bundled_server: str,
                                                              path: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1)
    page = context.new_page()
    page.goto(bundled_server + path)
    page.get_by_role("link", name="mariupol-capture-2022").wait_for(timeout=60_000)
    cut = page.evaluate("""() => [...document.querySelectorAll(
            '[data-testid="stMain"] [data-testid="stPageLink-NavLink"]')].filter(a => {
        const label = a.querySelector('p');
        return a.getBoundingClientRect().right > innerWidth
            || (label && label.scrollWidth > label.clientWidth + 1);
    }).map(a => a.textContent)""")
    context.close()
    assert cut == []
