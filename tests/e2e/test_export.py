"""A view's export in Chromium: the page's button downloads the view on screen, streamed
by the server from its own address (the seed article, on the session's server)."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import Browser

from .conftest import wait_for_app

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(("path", "button", "key"), [
    ("/Map?place=Bakhmut", "Events CSV", "key"),
    ("/Claims?place=Bakhmut&stance=denies", "Claims CSV", "claimant"),
])
def test_the_export_button_downloads_the_view_on_screen(
        browser: Browser, app_server: str, path: str, button: str, key: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844},
                                  accept_downloads=True)
    page = context.new_page()
    try:
        page.goto(app_server + path)
        wait_for_app(page)
        link = page.get_by_role("link", name=button)
        link.scroll_into_view_if_needed()
        with page.expect_download() as info:
            link.click()
        download = info.value
        assert download.suggested_filename.startswith("warlens-")
        with open(download.path(), encoding="utf-8-sig") as data:  # noqa: PTH123
            rows = list(csv.DictReader(io.StringIO(data.read())))
    finally:
        context.close()
    assert rows and all(r[key] for r in rows)
    if "stance=denies" in path:  # the view's filters, not the whole corpus
        assert {r["stance"] for r in rows} == {"denies"}
    else:
        assert {r["place_name"] for r in rows} == {"Bakhmut"}
