"""Every page draws in a real browser, reads right, fits a phone, and is saved to be looked at."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Dialog, Locator, Page, expect

from .conftest import wait_for_app

PHONE = {"width": 390, "height": 844}
# Sub-pixel rounding and a scrollbar's edge: anything more is content sticking out.
OVERFLOW_TOLERANCE_PX = 2
ZELENSKYY_QUOTE = "Zelenskyy denies claim Russia has taken control of Ukrainian city"

Screenshot = Callable[..., Path]


def main(page: Page) -> Locator:
    """The page body, without the sidebar."""
    return page.get_by_test_id("stMain")


def title(page: Page) -> Locator:
    """The page's own title (the sidebar has an h1 too)."""
    return main(page).locator("h1").first


def open_view(page: Page, url: str) -> None:
    """Open a view and wait until Streamlit has drawn all of it."""
    page.goto(url)
    wait_for_app(page)
    expect(main(page).get_by_test_id("stException")).to_have_count(0)


def shoot(page: Page, screenshot: Screenshot, name: str) -> Path:
    """Save the whole page: Streamlit scrolls inside its main panel, not the document,
    so the viewport is stretched to the panel's height first."""
    height = main(page).evaluate("el => el.scrollHeight")
    size = page.viewport_size or {"width": 1280, "height": 900}
    if height > size["height"]:
        page.set_viewport_size({"width": size["width"], "height": height})
        expect(main(page)).to_have_js_property("clientHeight", height)
    return screenshot(name, page)


def overflow(page: Page) -> dict[str, int]:
    """How far the document and the main panel are wider than the window, in px."""
    return page.evaluate(
        """() => {
            const main = document.querySelector('[data-testid="stMain"]');
            return {
                document: document.documentElement.scrollWidth - window.innerWidth,
                main: main.scrollWidth - main.clientWidth,
            };
        }"""
    )


def _overview(page: Page) -> None:
    events = main(page).get_by_test_id("stMetric").filter(has_text="Events").first
    expect(events.get_by_test_id("stMetricValue")).to_have_text("6")


def _timeline(page: Page) -> None:
    expect(main(page).get_by_test_id("stPlotlyChart").locator(".js-plotly-plot")).to_be_visible()


def _claims(page: Page) -> None:
    expect(main(page).get_by_text("All claims (12)")).to_be_visible()


def _map(page: Page) -> None:
    expect(main(page).locator("canvas.maplibregl-canvas")).to_be_visible()


def _article(page: Page) -> None:
    expect(main(page).get_by_text("Bakhmut is effectively in Russian hands")).to_be_visible()


def _problems(page: Page) -> None:
    expect(main(page).get_by_text("All 1 data files loaded without problems.")).to_be_visible()


# (path, screenshot name, title, what only that page shows on the bundled data)
PAGES: list[tuple[str, str, str, Callable[[Page], None]]] = [
    ("/", "overview", "warlens", _overview),
    ("/Timeline", "timeline", "Timeline", _timeline),
    ("/Claims", "claims", "Claims", _claims),
    ("/Map", "map", "Map", _map),
    ("/Article", "article", "Article", _article),
    ("/Problems", "problems", "Problems", _problems),
]


@pytest.mark.parametrize(("path", "name", "heading", "check"), PAGES,
                         ids=[name for _, name, _, _ in PAGES])
def test_every_page_draws_the_bundled_article_and_is_saved_as_a_screenshot(
    app_server: str, page: Page, screenshot: Screenshot, path: str, name: str, heading: str,
    check: Callable[[Page], None],
) -> None:
    open_view(page, app_server + path)
    expect(title(page)).to_have_text(heading)
    check(page)
    expect(main(page).get_by_role("alert")).to_have_count(0)  # warnings and errors
    shoot(page, screenshot, name)


def test_the_claims_page_shows_who_asserts_and_who_denies_the_capture_of_bakhmut(
    app_server: str, page: Page
) -> None:
    open_view(page, f"{app_server}/Claims?place=Bakhmut")
    columns = main(page).get_by_test_id("stColumn")
    asserts = columns.filter(has_text="Asserts")
    denies = columns.filter(has_text="Denies")
    expect(asserts).to_contain_text("Wagner Group")
    expect(asserts).to_contain_text("Russian government")
    expect(asserts).not_to_contain_text("Volodymyr Zelenskyy")
    expect(denies).to_contain_text("Volodymyr Zelenskyy")
    expect(denies).not_to_contain_text("Wagner Group")


def test_a_link_to_a_claim_shows_its_sentence_in_the_article(
    app_server: str, page: Page, screenshot: Screenshot
) -> None:
    open_view(page, f"{app_server}/Article?claim=bakhmut-falls-2023-05-21/zelenskyy-denies-capture")
    selected = main(page).get_by_test_id("stVerticalBlock").filter(
        has=page.get_by_text("Selected sentence", exact=True)).last
    expect(selected).to_contain_text(ZELENSKYY_QUOTE)
    shoot(page, screenshot, "article-claim")


def test_a_crafted_link_shows_a_notice_and_runs_nothing(app_server: str, page: Page) -> None:
    dialogs: list[str] = []

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    open_view(page, f"{app_server}/Claims?place=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E"
                    "&article=../../etc/passwd")
    notices = main(page).get_by_role("alert")
    expect(notices.filter(has_text="Ignored place='<img src=x onerror=alert(1)>'")).to_be_visible()
    expect(notices.filter(has_text="Ignored article='../../etc/passwd'")).to_be_visible()
    expect(main(page).get_by_text("All claims (12)")).to_be_visible()
    assert dialogs == []


@pytest.mark.parametrize(("path", "name", "heading"),
                         [("/Map?place=Bakhmut", "map-phone", "Map"),
                          ("/Claims?place=Bakhmut", "claims-phone", "Claims")],
                         ids=["Map", "Claims"])
def test_the_page_stays_usable_on_a_phone(
    app_server: str, page: Page, screenshot: Screenshot, path: str, name: str, heading: str
) -> None:
    page.set_viewport_size(PHONE)
    open_view(page, app_server + path)
    expect(title(page)).to_have_text(heading)
    expect(title(page)).to_be_in_viewport()
    wider = overflow(page)
    assert wider["document"] <= OVERFLOW_TOLERANCE_PX, wider
    assert wider["main"] <= OVERFLOW_TOLERANCE_PX, wider
    shoot(page, screenshot, name)
