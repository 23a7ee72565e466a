"""The Annotate page, run headless with AppTest: paste, draft, see the tables, download."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from seedcorpus import SEED_FILE, seed_folder
from warlens.problems import WarlensError
from warlens.ui import annotate as annotate_ui
from warlens.yamlio import load_yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
BUNDLED = seed_folder()  # the seed article alone
GOLD_FILE = SEED_FILE
PAGE = "pages/6_Annotate.py"


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The Annotate page, opened through app.py on the bundled data."""
    monkeypatch.chdir(REPO_ROOT)
    monkeypatch.setenv("WARLENS_DATA", str(BUNDLED))
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=60)
    at.switch_page(PAGE)
    return at.run()


def _bakhmut_text() -> str:
    doc, _ = load_yaml(GOLD_FILE.read_bytes())
    return doc["text"]


def test_pasting_the_bakhmut_text_and_drafting_shows_tables_and_a_download(page: AppTest):
    assert not page.exception
    page.text_area(key=annotate_ui.K_TEXT).input(_bakhmut_text())
    page.date_input(key=annotate_ui.K_PUBLISHED).set_value(dt.date(2023, 5, 21))
    page.text_input(key=annotate_ui.K_OUTLET).input("Sky News")
    page.button(key=annotate_ui.K_DRAFT).click().run()
    assert not page.exception
    assert not page.error
    assert [s.value for s in page.subheader] == ["Events", "Claims", "Places", "Article file"]
    events, claims, places = (df.value for df in page.dataframe)
    assert "Bakhmut" in set(places["name"])
    assert "denies" in set(claims["stance"])
    assert "territorial_control" in set(events["type"])
    assert len(page.get("download_button")) == 1
    [code] = page.code
    assert "draft: true" in code.value
    assert "outlet: Sky News" in code.value


def test_the_draft_stays_in_the_session_across_reruns(page: AppTest):
    page.text_area(key=annotate_ui.K_TEXT).input("Russian forces shelled Kherson overnight.")
    page.button(key=annotate_ui.K_DRAFT).click().run()
    page.run()
    assert not page.exception
    assert "remote_violence" in set(page.dataframe[0].value["type"])


def test_drafting_nothing_says_why_instead_of_failing(page: AppTest):
    page.button(key=annotate_ui.K_DRAFT).click().run()
    assert not page.exception
    [error] = page.error
    assert "empty" in error.value


def test_an_upload_that_is_not_utf8_is_refused_with_a_clear_message():
    with pytest.raises(WarlensError, match="not UTF-8"):
        annotate_ui.read_upload(b"Kyiv \xff")
    with pytest.raises(WarlensError, match="limit"):
        annotate_ui.read_upload(b"x" * (annotate_ui.MAX_UPLOAD_BYTES + 1))
    assert annotate_ui.read_upload("\ufeffKyiv".encode()) == "Kyiv"
