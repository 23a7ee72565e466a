"""The Claims page on a phone: who made each claim can be read without scrolling sideways."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from .conftest import wait_for_app

PHONE = {"width": 390, "height": 844}
ZELENSKYY = "Volodymyr Zelenskyy"
#: The grid draws text 8 px in from each edge of its cell.
CELL_PADDING_PX = 8
#: A row of pixels inside the grid's header (the header is 35 px tall).
HEADER_ROW_Y = 17

TEXT_WIDTH = """([name, selector]) => {
    const context = document.createElement("canvas").getContext("2d");
    const family = getComputedStyle(document.querySelector(selector)).fontFamily;
    context.font = `14px ${family}`;
    return context.measureText(name).width;
}"""


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, device_scale_factor=1)
    yield context.new_page()
    context.close()


def column_edges(grid_png: bytes) -> list[int]:
    """x of every column border in the grid's header, from its left edge to its right.

    The table is drawn on a canvas, so its columns are read from the picture: the header's
    column borders are drawn in the grid's border colour, the colour of its left edge.
    """
    image = Image.open(io.BytesIO(grid_png)).convert("RGB")
    border = image.getpixel((0, HEADER_ROW_Y))
    return [x for x in range(image.width) if image.getpixel((x, HEADER_ROW_Y)) == border]


def test_the_claimant_column_fits_a_name_on_a_phone(app_server: str, phone: Page) -> None:
    phone.goto(f"{app_server}/Claims?place=Bakhmut")
    wait_for_app(phone)
    grid = phone.get_by_test_id("stMain").get_by_test_id("stDataFrame").last
    expect(grid.locator('td[role="gridcell"]').filter(has_text=ZELENSKYY).first).to_be_attached()
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box

    # Borders: the grid's left edge, the selection column's, the claimant column's, ...
    edges = column_edges(grid.screenshot())
    _, claimant_left, claimant_right, *_ = edges
    name_px = phone.evaluate(TEXT_WIDTH, [ZELENSKYY, '[data-testid="stDataFrame"]'])
    assert claimant_right - claimant_left >= name_px + 2 * CELL_PADDING_PX, (edges, name_px)
    # The stance beside it is on screen too: who said it and how, at a glance.
    assert box["x"] + edges[4] <= PHONE["width"], edges
