"""Links carry the view: cold deep links, the URL following filters, Back, nav, sharing."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from .conftest import VIEWPORT, wait_for_app

ZELENSKYY = "Volodymyr Zelenskyy"


def main(page: Page) -> Locator:
    """The page body, without the sidebar."""
    return page.get_by_test_id("stMain")


def place_filter(page: Page) -> Locator:
    """The Place multiselect in the sidebar."""
    return page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").filter(
        has_text="Place")


def place_tags(page: Page) -> Locator:
    """The places chosen in the Place multiselect, one element each."""
    return place_filter(page).locator("[data-tag]")


def choose(page: Page, multiselect: Locator, option: str) -> None:
    """Pick an option in a multiselect the way a person does, and close its menu.

    A rerun that lands while the menu opens redraws the widget and closes the menu, so
    the menu is opened again (at most three times) until the option shows.
    """
    target = page.get_by_role("option", name=option, exact=True)
    for _ in range(3):
        multiselect.get_by_role("combobox").click()
        try:
            target.wait_for(state="visible", timeout=10_000)
            break
        except PlaywrightTimeoutError:
            page.keyboard.press("Escape")
    target.click()
    page.keyboard.press("Escape")


def nav_link(page: Page, label: str) -> Locator:
    """A page link of the sidebar nav."""
    return page.get_by_test_id("stSidebar").get_by_test_id("stPageLink-NavLink").filter(
        has_text=re.compile(rf"{label}$"))


def claims_in_table(page: Page) -> Locator:
    """The cells of the All claims table in view (from the grid's hidden accessible table)."""
    return main(page).get_by_test_id("stDataFrame").last.locator('td[role="gridcell"]')


def url(base: str, path: str, query: str = "") -> re.Pattern[str]:
    """The exact URL of a view, as a pattern expect(page).to_have_url() accepts."""
    return re.compile(re.escape(f"{base}{path}" + (f"?{query}" if query else "")) + "$")


# --- a cold server: every page as the very first request ------------------------------

# (path, title, something only that page shows for place=Bakhmut)
FIRST_REQUESTS = [
    ("/", "warlens", "Contested events"),
    ("/Timeline", "Timeline", "Group by"),
    ("/Claims", "Claims", ZELENSKYY),
    ("/Article", "Article", "Bakhmut is effectively in Russian hands"),
    ("/Problems", "Problems", "1 data file, all loaded without problems."),
    ("/Annotate", "Annotate", "nothing is saved or shared until you download it"),
]
# The Map's first request is tested with the map itself, in test_dashboard.py.


@pytest.mark.parametrize(("path", "title", "content"), FIRST_REQUESTS,
                         ids=[p.strip("/") or "Overview" for p, _, _ in FIRST_REQUESTS])
def test_a_deep_link_opens_its_page_filtered_as_the_first_request_of_a_fresh_server(
    fresh_server: Callable[..., str], page: Page, path: str, title: str, content: str
) -> None:
    base = fresh_server()
    page.goto(f"{base}{path}?place=Bakhmut")
    wait_for_app(page)
    expect(main(page).locator("h1").first).to_have_text(title)
    expect(main(page).get_by_text(content).first).to_be_visible()
    expect(place_tags(page)).to_have_text(["Bakhmut"])
    expect(page).to_have_url(url(base, path, "place=Bakhmut"))


@pytest.mark.parametrize("base_path", ["", "warlens"], ids=["at the root", "under a path"])
def test_a_deep_link_connects_to_the_app_at_once_not_first_to_its_page_s_path(
    fresh_server: Callable[..., str], page: Page, base_path: str
) -> None:
    # Left to itself, Streamlit's frontend opened at /Map pings /Map/_stcore/health first
    # (a 404, and a console error) and the app's own path only after a 100 ms pause.
    base = fresh_server(base_path=base_path)
    asked: list[str] = []
    page.on("request", lambda r: asked.append(urlsplit(r.url).path))
    page.goto(f"{base}/Claims?place=Bakhmut")
    wait_for_app(page)
    expect(place_tags(page)).to_have_text(["Bakhmut"])
    app = urlsplit(base).path
    assert f"{app}/_stcore/health" in asked
    assert not [p for p in asked if "/Claims/" in p], asked
    # A nav click and a reload still land on the page, under the same path.
    nav_link(page, "Timeline").click()
    expect(page).to_have_url(url(base, "/Timeline", "place=Bakhmut"))
    page.reload()
    wait_for_app(page)
    expect(main(page).locator("h1").first).to_have_text("Timeline")
    assert not [p for p in asked if "/Claims/" in p or "/Timeline/" in p], asked


# --- one shared server: the URL follows the view -----------------------------------------


def test_choosing_a_place_writes_it_into_the_url(app_server: str, page: Page) -> None:
    page.goto(f"{app_server}/Claims?place=Bakhmut")
    wait_for_app(page)
    choose(page, place_filter(page), "Kyiv")
    expect(page).to_have_url(url(app_server, "/Claims", "place=Bakhmut&place=Kyiv"))
    expect(place_tags(page)).to_have_text(["Bakhmut", "Kyiv"])


def test_back_restores_the_view_before_a_filter_change(app_server: str, page: Page) -> None:
    page.goto(f"{app_server}/Claims?place=Bakhmut")
    wait_for_app(page)
    expect(main(page).get_by_text("All claims (10)")).to_be_visible()
    choose(page, place_filter(page), "Kyiv")
    expect(page).to_have_url(url(app_server, "/Claims", "place=Bakhmut&place=Kyiv"))
    page.go_back()
    expect(page).to_have_url(url(app_server, "/Claims", "place=Bakhmut"))
    expect(place_tags(page)).to_have_text(["Bakhmut"])
    expect(main(page).get_by_text("All claims (10)")).to_be_visible()


def test_a_nav_click_keeps_the_filters_of_the_link_opened(app_server: str, page: Page) -> None:
    page.goto(f"{app_server}/?place=Bakhmut")
    wait_for_app(page)
    nav_link(page, "Claims").click()
    expect(main(page).locator("h1").first).to_have_text("Claims")
    expect(page).to_have_url(url(app_server, "/Claims", "place=Bakhmut"))
    expect(place_tags(page)).to_have_text(["Bakhmut"])
    expect(main(page).get_by_text("All claims (10)")).to_be_visible()


def test_a_nav_click_keeps_a_place_just_chosen(app_server: str, page: Page) -> None:
    page.goto(f"{app_server}/")
    wait_for_app(page)
    choose(page, place_filter(page), "Bakhmut")
    expect(page).to_have_url(url(app_server, "/", "place=Bakhmut"))
    nav_link(page, "Claims").click()
    expect(main(page).locator("h1").first).to_have_text("Claims")
    expect(page).to_have_url(url(app_server, "/Claims", "place=Bakhmut"))
    expect(place_tags(page)).to_have_text(["Bakhmut"])


def test_a_shared_link_opened_in_a_second_browser_shows_the_same_claims(
    app_server: str, page: Page, browser: Browser
) -> None:
    page.goto(f"{app_server}/Claims?place=Bakhmut")
    wait_for_app(page)
    stance = page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").filter(
        has_text="Stance")
    choose(page, stance, "denies")
    expect(page).to_have_url(url(app_server, "/Claims", "place=Bakhmut&stance=denies"))
    expect(main(page).get_by_text("All claims (1)")).to_be_visible()
    # The grid's hidden cells lag behind its drawing: wait for the old rows to go.
    expect(claims_in_table(page).filter(has_text="Wagner Group")).to_have_count(0)
    expect(claims_in_table(page)).to_contain_text([ZELENSKYY, "denies"])
    # The link a person copies is the one in the page's share box.
    share_box = main(page).get_by_role("textbox", name="Link to this view")
    expect(share_box).to_have_value(page.url)
    shared, seen = share_box.input_value(), claims_in_table(page).all_inner_texts()

    context = browser.new_context(viewport=VIEWPORT)
    try:
        other = context.new_page()
        other.goto(shared)
        wait_for_app(other)
        expect(main(other).get_by_text("All claims (1)")).to_be_visible()
        expect(claims_in_table(other)).to_have_text(seen)
        expect(other).to_have_url(shared)
        expect(main(other).get_by_role("textbox", name="Link to this view")).to_have_value(shared)
    finally:
        context.close()


# --- how a page is shown is part of its link --------------------------------------------


def segment(page: Page, label: str) -> Locator:
    """A button of a page's segmented control (the timeline's Group by, the map's Marks)."""
    return main(page).get_by_test_id("stButtonGroup").locator("button").filter(
        has_text=re.compile(rf"^{re.escape(label)}$"))


def chosen_segment(page: Page) -> Locator:
    """The chosen button of the page's segmented control."""
    return main(page).get_by_test_id("stButtonGroup").locator("[data-selected]")


def test_the_timeline_s_grouping_is_held_in_its_link(app_server: str, page: Page) -> None:
    page.goto(f"{app_server}/Timeline?place=Bakhmut&group=type")
    wait_for_app(page)
    expect(chosen_segment(page)).to_have_text("Event type")
    segment(page, "Article").click()
    expect(page).to_have_url(url(app_server, "/Timeline", "place=Bakhmut&group=article"))
    expect(chosen_segment(page)).to_have_text("Article")
    share_box = main(page).get_by_role("textbox", name="Link to this view")
    expect(share_box).to_have_value(page.url)
    # A nav click away and back keeps it; so does a reload.
    nav_link(page, "Claims").click()
    expect(page).to_have_url(url(app_server, "/Claims", "place=Bakhmut&group=article"))
    nav_link(page, "Timeline").click()
    expect(main(page).locator("h1").first).to_have_text("Timeline")
    expect(chosen_segment(page)).to_have_text("Article")
    # Clicking the chosen option again keeps it chosen rather than choosing none.
    segment(page, "Article").click()
    page.reload()
    wait_for_app(page)
    expect(chosen_segment(page)).to_have_text("Article")
    expect(page).to_have_url(url(app_server, "/Timeline", "place=Bakhmut&group=article"))
