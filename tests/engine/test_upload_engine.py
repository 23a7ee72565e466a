"""Opening a file on a server whose articles are in an engine: the file is shown on its own.

The shared store takes nothing from a visitor, so the session's pages read the opened file
alone, say so, and go back to the store when it is closed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import fill, fresh_store
from warlens import engine
from warlens.engine import ENV
from warlens.ui import upload
from warlens.workspace import load_corpus

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data" / "articles"
MINE = b"""id: my-draft
title: "A draft of my own"
outlet: My desk
published: 2023-05-22
language: en
text: |
  Ukrainian forces shelled Russian positions near Klishchiivka on 22 May.
events:
  - id: shelling
    type: explosion_remote_violence
    summary: Ukrainian shelling near Klishchiivka
    quote: "Ukrainian forces shelled Russian positions near Klishchiivka"
    date: 22 May 2023
    place: Klishchiivka
"""


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> str:
    with fresh_store("duckdb", tmp_path_factory.mktemp("upload")) as url:
        con = engine.connect(url)
        fill(con, load_corpus(DATA, cache=False))
        con.disconnect()
        yield url


def _overview(monkeypatch: pytest.MonkeyPatch, url: str, opened: bytes | None) -> AppTest:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv(ENV, url)
    monkeypatch.setenv("WARLENS_DATA", str(DATA))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if opened is not None:
        at.session_state[upload._UPLOADED] = upload.read_upload("mine.yaml", opened)
    return at.run()


def _articles(at: AppTest) -> int:
    return int(next(m.value for m in at.main.metric if m.label == "Articles").replace(",", ""))


def test_a_file_opened_on_an_engine_is_shown_on_its_own_and_said_so(
        store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    shared = _overview(monkeypatch, store, None)
    assert not shared.exception and _articles(shared) == 21
    assert shared.sidebar.get("file_uploader"), "the sidebar offers to open a file"
    mine = _overview(monkeypatch, store, MINE)
    assert not mine.exception, mine.exception
    assert _articles(mine) == 1
    assert any("on its own" in i.value for i in mine.main.info)
    assert "A draft of my own" in str(mine.main.dataframe[0].value.to_dict())
