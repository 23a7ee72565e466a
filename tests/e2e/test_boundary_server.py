"""A data folder whose links lead outside it, served by the real app in Chromium.

The folder holds a good article, a brat .ann whose .txt is a symbolic link to a file
outside the folder, and a YAML article that is itself such a link. No page may show
anything of the outside files (issue 13, hole 1); the Problems page names both links.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .conftest import run_server, wait_for_app

ROOT = Path(__file__).resolve().parents[2]
SECRET = "WARLENS_E2E_SECRET_7f3a"
PAGES = ["/", "/Timeline", "/Claims", "/Map", "/Problems",
         "/Article?article=bakhmut-falls-2023-05-21",
         # where the outside files would be shown, had they been read
         "/Article?article=brat-leak", "/Article?article=stolen"]


@pytest.fixture(scope="module")
def leaky_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = tmp_path_factory.mktemp("leaky")
    outside, data = base / "outside", base / "data"
    outside.mkdir()
    data.mkdir()
    (outside / "environ").write_text(f"HOME=/root\n{SECRET}=1\n", encoding="utf-8")
    (outside / "article.yaml").write_text(
        f"id: stolen\ntitle: {SECRET}\noutlet: X\npublished: 2023-05-01\ntext: {SECRET}\n",
        encoding="utf-8")
    shutil.copy(ROOT / "data" / "articles" / "bakhmut-falls-2023-05-21.yaml", data)
    shutil.copy(ROOT / "tests" / "fixtures" / "brat" / "bakhmut-shelling.ann", data / "leak.ann")
    (data / "leak.txt").symlink_to(outside / "environ")
    (data / "stolen.yaml").symlink_to(outside / "article.yaml")
    with run_server(env={"WARLENS_DATA": str(data),
                         "WARLENS_CACHE_DIR": str(base / "cache")}) as url:
        yield url


@pytest.mark.parametrize("path", PAGES, ids=[p.strip("/").replace("?article=", "-") or
                                            "overview" for p in PAGES])
def test_nothing_of_a_file_outside_the_folder_reaches_any_page(leaky_server: str, page: Page,
                                                               path: str) -> None:
    page.goto(leaky_server + path)
    wait_for_app(page)
    assert not page.get_by_test_id("stException").count()
    assert SECRET not in page.content()


def test_the_problems_page_names_each_link_that_leaves_the_folder(leaky_server: str,
                                                                  page: Page) -> None:
    page.goto(leaky_server + "/Problems")
    wait_for_app(page)
    main = page.get_by_test_id("stMain")
    expect(main).to_contain_text("leak.ann")
    expect(main).to_contain_text("stolen.yaml")
    expect(main).to_contain_text("leading outside the data folder")
