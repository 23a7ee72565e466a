"""The dashboard opens in a real browser."""

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from .conftest import wait_for_app


def test_the_home_page_opens_as_the_first_request_of_a_fresh_server(
    fresh_server: Callable[..., str], page: Page, screenshot: Callable[..., Path]
) -> None:
    page.goto(fresh_server() + "/")
    wait_for_app(page)
    expect(page.get_by_text("warlens").first).to_be_visible()
    screenshot("home")
