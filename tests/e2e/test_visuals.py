"""The timeline and the map read at a glance, on a laptop and on a phone.

Each test measures what a reader sees in Chromium (where plotly drew things, in pixels)
and fails on the defect a person would notice: a label covered or cut off, the story a
sliver, claims on top of each other, a click that selects nothing, a town off screen.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .conftest import wait_for_app
from .test_dashboard import PAGES, main, open_view, plotted_places, shoot, wait_for_map

SIZES = {"desktop": {"width": 1400, "height": 900}, "phone": {"width": 390, "height": 844}}
CAPTURE = "bakhmut-falls-2023-05-21/bakhmut-captured"
#: The story: the capture is two days; a reader must see it as a bar, not a sliver.
MIN_CAPTURE_PX = 40
#: Claim markers are 10 px wide: closer centres than this overlap.
MIN_CLAIM_GAP_PX = 10
BAKHMUT, KYIV = (37.9999, 48.5956), (30.5234, 50.4501)  # lon, lat

Screenshot = Callable[..., Path]


@pytest.fixture(params=list(SIZES))
def sized(request: pytest.FixtureRequest, page: Page) -> Iterator[tuple[str, Page]]:
    """The test's page at desktop or phone size."""
    page.set_viewport_size(SIZES[request.param])
    yield request.param, page


def chart(page: Page):
    return main(page).locator(".js-plotly-plot").first


# Rectangles (left, top, right, bottom) of what plotly drew, in page pixels.
_GEOMETRY = """gd => {
    const box = el => { const b = el.getBoundingClientRect();
                        return [b.left, b.top, b.right, b.bottom]; };
    const all = sel => [...gd.querySelectorAll(sel)].filter(e => {
        const b = e.getBoundingClientRect(); return b.width > 0 && b.height > 0; }).map(box);
    return {
        chart: box(gd),
        ticks: all('.xtick text, .ytick text'),
        xticks: all('.xtick text'),
        legend: all('.legend'),
        title: all('.gtitle'),
        annotations: all('.annotation'),
        modebar: all('.modebar'),
        legend_texts: [...gd.querySelectorAll('.legendtext')].map(e => e.textContent),
    };
}"""


def _overlap(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] - 1 and b[0] < a[2] - 1 and a[1] < b[3] - 1 and b[1] < a[3] - 1


def _inside(inner: list[float], outer: list[float]) -> bool:
    return (inner[0] >= outer[0] - 1 and inner[1] >= outer[1] - 1 and inner[2] <= outer[2] + 1
            and inner[3] <= outer[3] + 1)


def geometry(page: Page) -> dict:
    return chart(page).evaluate(_GEOMETRY)


def assert_labels_readable(page: Page) -> None:
    """Every axis label inside the chart and on screen, and nothing drawn over any."""
    shapes = geometry(page)
    width = page.viewport_size["width"]
    assert shapes["ticks"], "no axis labels drawn"
    for tick in shapes["ticks"]:
        assert _inside(tick, shapes["chart"]), f"axis label cut off: {tick} {shapes['chart']}"
        assert tick[0] >= 0 and tick[2] <= width, f"axis label off screen: {tick}"
        for kind in ("legend", "title", "annotations", "modebar"):
            for other in shapes[kind]:
                assert not _overlap(tick, other), f"the {kind} covers an axis label"
    for a, b in itertools.combinations(shapes["xticks"], 2):
        assert not _overlap(a, b), "date labels overlap each other"
    for kind in ("title", "annotations"):
        for thing in shapes[kind]:
            assert _inside(thing, shapes["chart"]), f"{kind} cut off: {thing}"
            for other in shapes["legend"] + shapes["modebar"]:
                assert not _overlap(thing, other), f"the {kind} is covered"


# Pixel positions of timeline items, from plotly's own axes (gd._fullLayout) and the
# points it computed (gd.calcdata): what a reader sees, not what the figure asked for.
_TIMELINE_ITEMS = """gd => {
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
    const out = {bars: {}, claims: [], view: [xa._offset, xa._offset + xa._length]};
    gd.calcdata.forEach(cd => {
        const tr = cd[0].trace;
        cd.forEach((pt, i) => {
            const row = tr.customdata && tr.customdata[i];
            const key = row && (Array.isArray(row) || ArrayBuffer.isView(row) ? row[0] : row);
            if (tr.type === 'bar') {
                out.bars[key] = [xa._offset + xa.c2p(pt.s0), xa._offset + xa.c2p(pt.s1)];
            } else if (tr.legendgroup === 'claims') {
                out.claims.push({key: key, x: xa._offset + xa.c2p(pt.x),
                                 y: ya._offset + ya.c2p(pt.y)});
            }
        });
    });
    return out;
}"""


def timeline_items(page: Page) -> dict:
    return chart(page).evaluate(_TIMELINE_ITEMS)


@pytest.mark.parametrize("path", ["/Timeline?place=Bakhmut", "/Timeline"])
def test_every_timeline_axis_label_is_readable(app_server: str, sized: tuple[str, Page],
                                               path: str) -> None:
    _, page = sized
    open_view(page, app_server + path)
    expect(chart(page)).to_be_visible()
    assert_labels_readable(page)


def test_the_bakhmut_timeline_opens_on_the_capture_of_the_city(
        app_server: str, sized: tuple[str, Page]) -> None:
    _, page = sized
    open_view(page, app_server + "/Timeline?place=Bakhmut")
    items = timeline_items(page)
    left, right = items["bars"][CAPTURE]
    assert right - left >= MIN_CAPTURE_PX, f"the capture is {right - left:.0f} px wide"
    lo, hi = items["view"]
    assert lo <= left and right <= hi, "the capture is outside the view"
    # "for months" is still drawn, as a range running off the view, not setting the scale.
    months = items["bars"]["bakhmut-falls-2023-05-21/battle-for-bakhmut"]
    assert months[0] < lo and months[1] > lo


def test_claims_about_one_event_never_cover_each_other(
        app_server: str, sized: tuple[str, Page]) -> None:
    _, page = sized
    open_view(page, app_server + "/Timeline?place=Bakhmut")
    claims = timeline_items(page)["claims"]
    assert len(claims) >= 3
    for a, b in itertools.combinations(claims, 2):
        gap = ((a["x"] - b["x"]) ** 2 + (a["y"] - b["y"]) ** 2) ** 0.5
        assert gap >= MIN_CLAIM_GAP_PX, f"{a['key']} covers {b['key']} ({gap:.0f} px apart)"


def test_the_timeline_caption_names_the_shapes_the_legend_shows(app_server: str,
                                                                page: Page) -> None:
    open_view(page, app_server + "/Timeline?place=Bakhmut")
    caption = main(page).get_by_test_id("stCaptionContainer").first.inner_text()
    (claims,) = [t for t in geometry(page)["legend_texts"] if t.startswith("Claims")]
    shapes = re.findall(r"([▲▼■●])\s*([a-z]+)", claims)  # "▲ asserts  ▼ denies ..."
    assert len(shapes) >= 3  # the Bakhmut view has claims of at least three stances
    for glyph, word in shapes:
        assert f"{glyph} {word}" in caption, f"the caption does not say {glyph} {word}"
    assert "Diamonds mark claims" not in caption


# --- map --------------------------------------------------------------------------------------

# Where MapLibre draws a coordinate, in page pixels (plotly's map: gd._fullLayout.map).
_PROJECT = """([gd, lon, lat]) => {
    const map = gd._fullLayout.map._subplot.map;
    const p = map.project([lon, lat]);
    const c = map.getCanvas().getBoundingClientRect();
    return [c.left + p.x, c.top + p.y, c.left, c.top, c.right, c.bottom];
}"""
# The map layers MapLibre drew at a pixel of its canvas.
_LAYERS_AT = """([gd, x, y]) => {
    const map = gd._fullLayout.map._subplot.map;
    const c = map.getCanvas().getBoundingClientRect();
    return map.queryRenderedFeatures([x - c.left, y - c.top]).map(f => f.layer.type);
}"""


def project(page: Page, lon_lat: tuple[float, float]) -> list[float]:
    handle = chart(page).element_handle()
    return page.evaluate(_PROJECT, [handle, *lon_lat])


def test_a_click_at_the_centre_of_a_town_filters_every_view_to_it(app_server: str,
                                                                   sized: tuple[str, Page]
                                                                   ) -> None:
    _, page = sized
    open_view(page, app_server + "/Map")
    wait_for_map(page)
    x, y, *_ = project(page, BAKHMUT)
    handle = chart(page).element_handle()
    # The town's own marks at its centre, over the land: no label lies under (or on) the dot.
    drawn = set(page.evaluate(_LAYERS_AT, [handle, x, y]))
    assert "circle" in drawn and "symbol" not in drawn, drawn
    page.mouse.click(x, y)
    expect(page).to_have_url(re.compile(r"[?&]place=Bakhmut(&|$)"), timeout=30_000)
    wait_for_app(page)
    wait_for_map(page)
    assert set(plotted_places(page)) == {"Bakhmut"}


def test_the_map_fits_bakhmut_and_kyiv_on_the_screen(app_server: str,
                                                     sized: tuple[str, Page]) -> None:
    _, page = sized
    open_view(page, app_server + "/Map")
    wait_for_map(page)
    width = page.viewport_size["width"]
    for name, where in (("Bakhmut", BAKHMUT), ("Kyiv", KYIV)):
        x, y, left, top, right, bottom = project(page, where)
        assert max(left, 0) + 10 <= x <= min(right, width) - 10, f"{name} is off the map"
        assert top + 10 <= y <= bottom - 10, f"{name} is off the map"


def test_the_bakhmut_mark_says_it_holds_several_types(app_server: str, page: Page) -> None:
    open_view(page, app_server + "/Map?place=Bakhmut")
    wait_for_map(page)
    traces = chart(page).evaluate(
        "gd => gd.data.map(t => ({name: t.name, hover: (t.customdata || []).flat().join(' ')}))")
    assert any(t["name"].startswith("Several types") for t in traces)
    hover = " ".join(t["hover"] for t in traces)
    assert "Change of territorial control" in hover and "Battle" in hover


# --- every page at both sizes -----------------------------------------------------------------

@pytest.mark.parametrize(("path", "name"), [(p, n) for p, n, _, _ in PAGES]
                         + [("/Timeline?place=Bakhmut", "timeline-bakhmut"),
                            ("/Map?place=Bakhmut", "map-bakhmut")],
                         ids=[n for _, n, _, _ in PAGES] + ["timeline-bakhmut", "map-bakhmut"])
def test_every_page_is_saved_at_both_sizes(app_server: str, sized: tuple[str, Page],
                                           screenshot: Screenshot, path: str,
                                           name: str) -> None:
    size, page = sized
    open_view(page, app_server + path)
    if main(page).locator("canvas.maplibregl-canvas").count():
        wait_for_map(page)
    elif main(page).locator(".js-plotly-plot").count():
        assert_labels_readable(page)
    shoot(page, screenshot, f"{name}-{size}")






# --- an ACLED set: namesakes, and more places than rows --------------------------------------

ACLED_NAMESAKES = Path(__file__).parents[1] / "fixtures" / "namesakes" / "acled-namesakes.csv"
MANY_PLACES = 60


def _many_places_csv(header: str) -> str:
    """An ACLED-shaped file with MANY_PLACES villages: "group by place" would be 60 rows."""
    lines = [header]
    for i in range(MANY_PLACES):
        for j in range(1 + (i < 5)):
            lines.append(
                f"UKR3{i:03d}{j},2023-04-{1 + (i + j) % 28:02d},2023,1,Political violence,Battles,"
                "Armed clash,Military Forces of Russia (2000-),,8,Military Forces of Ukraine "
                "(2019-),,1,18,,804,Europe,Ukraine,Donetsk,Pokrovskyi,Selydivska,"
                f"Selo {i:02d},{47.5 + i * 0.02:.4f},{37.0 + i * 0.03:.4f},1,Suspilne,National,"
                f"\"Fighting near Selo {i:02d}.\",0,,1681344000")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def acled_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server on an ACLED export with three Ivanivkas and sixty villages."""
    from .conftest import run_server

    folder = tmp_path_factory.mktemp("acled")
    text = ACLED_NAMESAKES.read_text(encoding="utf-8")
    (folder / "namesakes.csv").write_text(text, encoding="utf-8")
    (folder / "villages.csv").write_text(_many_places_csv(text.splitlines()[0]),
                                         encoding="utf-8")
    cache = tmp_path_factory.mktemp("acled-cache")
    with run_server(env={"WARLENS_DATA": str(folder), "WARLENS_CACHE_DIR": str(cache)}) as url:
        yield url


def test_the_place_filter_lists_each_ivanivka_by_its_oblast(acled_server: str,
                                                            page: Page) -> None:
    page.set_viewport_size(SIZES["desktop"])
    open_view(page, acled_server + "/Map")
    place = page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").filter(
        has_text="Place")
    place.locator("input").fill("Ivanivka")
    options = page.get_by_role("option")
    expect(options.filter(has_text="Ivanivka (Donetsk Oblast)")).to_have_count(1)
    expect(options.filter(has_text="Ivanivka (Kherson Oblast)")).to_have_count(1)
    expect(options.filter(has_text="Ivanivka (Luhansk Oblast)")).to_have_count(1)
    expect(options.filter(has_text=re.compile(r"^Ivanivka$"))).to_have_count(0)
    options.filter(has_text="Ivanivka (Donetsk Oblast)").click()
    expect(page).to_have_url(re.compile(r"place=Ivanivka\+%28Donetsk\+Oblast%29"),
                             timeout=30_000)
    wait_for_app(page)
    wait_for_map(page)
    assert set(plotted_places(page)) == {"Ivanivka (Donetsk Oblast)"}


def test_a_link_with_a_plain_unique_name_still_works_beside_namesakes(acled_server: str,
                                                                      page: Page) -> None:
    open_view(page, acled_server + "/Map?place=Bakhmut")
    wait_for_map(page)
    assert plotted_places(page) == ["Bakhmut"]
    expect(main(page).get_by_role("alert")).to_have_count(0)


def test_sixty_places_fold_into_readable_rows(acled_server: str,
                                              sized: tuple[str, Page]) -> None:
    _, page = sized
    open_view(page, acled_server + "/Timeline")
    expect(chart(page)).to_be_visible()
    shapes = geometry(page)
    rows = chart(page).evaluate("gd => [...gd.querySelectorAll('.ytick text')]"
                                ".map(e => e.textContent)")
    assert any(r.startswith("+ ") and "other places" in r for r in rows), rows
    assert len(rows) < MANY_PLACES / 2
    for a, b in itertools.combinations(chart(page).evaluate(
            "gd => [...gd.querySelectorAll('.ytick text')].map(e => {"
            " const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; })"),
            2):
        assert not _overlap(a, b), "row labels overlap"
    assert shapes["ticks"]
    assert_labels_readable(page)


@pytest.fixture(scope="module")
def counted_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The sixty villages with limits so low that the timeline and the map count them."""
    from .conftest import run_server

    folder = tmp_path_factory.mktemp("counted")
    header = ACLED_NAMESAKES.read_text(encoding="utf-8").splitlines()[0]
    (folder / "villages.csv").write_text(_many_places_csv(header), encoding="utf-8")
    cache = tmp_path_factory.mktemp("counted-cache")
    with run_server(env={"WARLENS_DATA": str(folder), "WARLENS_CACHE_DIR": str(cache),
                         "WARLENS_TIMELINE_BARS": "10", "WARLENS_MAP_PLACES": "10"}) as url:
        yield url


#: The longest title warlens writes (figures.TITLE_MAX_CHARS), as a map of an archive
#: would say it.
LONGEST_TITLE = "999,999,999 events at 99,999,999 places"


@pytest.mark.parametrize("path", ["/Timeline", "/Map"])
def test_a_counted_chart_keeps_its_title_on_a_phone_and_says_why_below(
        counted_server: str, sized: tuple[str, Page], path: str) -> None:
    """A long title ran off a phone's screen: the title is short, and the reason the chart
    counts events instead of drawing them is a caption under it, which wraps."""
    from warlens.figures import TITLE_MAX_CHARS

    size, page = sized
    open_view(page, counted_server + path)
    expect(chart(page)).to_be_visible()
    if path == "/Map":
        wait_for_map(page)
    width = page.viewport_size["width"]
    note = main(page).get_by_text(re.compile(r"^Aggregated: too many "))
    expect(note).to_be_visible()
    box = note.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, box
    assert len(LONGEST_TITLE) <= TITLE_MAX_CHARS
    for text in (None, LONGEST_TITLE):
        if text:  # the same chart, titled as an archive of millions would be
            chart(page).evaluate("(gd, t) => window.Plotly.relayout(gd, {'title.text': t})",
                                 text)
        shapes = geometry(page)
        assert len(shapes["title"]) == 1
        title = shapes["title"][0]
        assert _inside(title, shapes["chart"]) and title[2] <= width, (size, text, title)
        for other in shapes["modebar"] + shapes["legend"]:
            assert not _overlap(title, other), f"the title is covered ({size}, {text})"
