"""Every page draws in a real browser, reads right, fits a phone, and is saved to be looked at."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Dialog, Locator, Page, Request, expect

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
    if main(page).locator("canvas.maplibregl-canvas").count():
        wait_for_map(page)  # a resized map draws again
    return screenshot(name, page)


# MapLibre draws asynchronously after Streamlit is done: the canvas exists long before the
# base map is on it. This asks plotly's MapLibre map (plotly internals: gd._fullLayout.map)
# whether it has finished loading and has drawn country shapes (the offline style's
# "countries" layer, from the server's tiles) and at least one event point.
_MAP_DRAWN = """() => {
    const gd = document.querySelector('[data-testid="stMain"] .js-plotly-plot');
    const map = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot
        && gd._fullLayout.map._subplot.map;
    if (!map || !map.loaded()) return false;
    const drawn = map.queryRenderedFeatures().map(f => f.layer);
    const land = drawn.some(l => l.id === "countries" && l.type === "fill");
    const points = drawn.some(l => l.id.includes("trace-layer") && l.type === "circle");
    return land && points;
}"""


def wait_for_map(page: Page) -> None:
    """Wait until the map shows the bundled country shapes and the event points."""
    expect(main(page).locator("canvas.maplibregl-canvas")).to_be_visible()
    page.wait_for_function(_MAP_DRAWN, timeout=30_000)


def plotted_places(page: Page) -> list[str]:
    """The place names plotly was given as event points (customdata[0] of each point)."""
    return page.evaluate(
        """() => document.querySelector('[data-testid="stMain"] .js-plotly-plot').data
               .filter(t => t.type === "scattermap")
               .flatMap(t => (t.customdata || []).map(row => row[0]))
               .filter(Boolean)"""
    )


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
    expect(main(page).get_by_test_id("wlPlot").locator(".main-svg").first).to_be_visible()


def _claims(page: Page) -> None:
    expect(main(page).get_by_text("All claims (12)")).to_be_visible()


def _map(page: Page) -> None:
    wait_for_map(page)
    assert {"Bakhmut", "Kyiv", "Ukraine"} <= set(plotted_places(page))


def _article(page: Page) -> None:
    expect(main(page).get_by_text("Bakhmut is effectively in Russian hands")).to_be_visible()


def _problems(page: Page) -> None:
    expect(main(page).get_by_text("1 data file, all loaded without problems.")).to_be_visible()


def _annotate(page: Page) -> None:
    expect(main(page).get_by_text("nothing is saved or shared until you download it",
                                  exact=False)).to_be_visible()


# (path, screenshot name, title, what only that page shows on the bundled data)
PAGES: list[tuple[str, str, str, Callable[[Page], None]]] = [
    ("/", "overview", "warlens", _overview),
    ("/Timeline", "timeline", "Timeline", _timeline),
    ("/Claims", "claims", "Claims", _claims),
    ("/Map", "map", "Map", _map),
    ("/Article", "article", "Article", _article),
    ("/Problems", "problems", "Problems", _problems),
    ("/Annotate", "annotate", "Annotate", _annotate),
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


def test_the_map_draws_bakhmut_offline_as_the_first_request_of_a_fresh_server(
    fresh_server: Callable[..., str], page: Page
) -> None:
    base = fresh_server()
    requests: list[str] = []

    def record(request: Request) -> None:
        requests.append(request.url)

    page.on("request", record)
    # The country outlines: the vector tiles in view, from the server itself.
    with page.expect_response(lambda r: r.url.startswith(f"{base}/outlines/"),
                              timeout=60_000) as outline:
        open_view(page, f"{base}/Map?place=Bakhmut")
    assert outline.value.status == 200
    assert outline.value.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    expect(title(page)).to_have_text("Map")
    wait_for_map(page)
    assert set(plotted_places(page)) == {"Bakhmut"}  # its dot, and its inner dot of a 2nd type
    outside = [u for u in requests if not u.startswith((base + "/", "data:", "blob:"))]
    assert outside == [], f"the map page called out: {outside}"
    assert not [u for u in requests if u.endswith(".geojson")]  # nor the whole world


def test_under_a_base_path_the_map_draws_its_outline_tiles_from_that_path(
    fresh_server: Callable[..., str], page: Page
) -> None:
    base = fresh_server(base_path="warlens")
    tiles: list[tuple[str, int]] = []
    page.on("response", lambda r: "/outlines/" in r.url and tiles.append((r.url, r.status)))
    open_view(page, f"{base}/Map?place=Bakhmut")
    wait_for_map(page)  # the land drawn from the tiles
    assert tiles
    assert all(u.startswith(f"{base}/outlines/") and status == 200 for u, status in tiles)


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
    if name.startswith("map"):
        wait_for_map(page)
    wider = overflow(page)
    assert wider["document"] <= OVERFLOW_TOLERANCE_PX, wider
    assert wider["main"] <= OVERFLOW_TOLERANCE_PX, wider
    shoot(page, screenshot, name)
