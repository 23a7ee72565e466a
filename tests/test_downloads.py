"""A view's export, streamed by the server from its own address.

The Map, Timeline and Claims pages link to it; what a reader downloads must be the view
they see, every row credited, and it must leave the server as it is read (a download of
millions of rows is never whole in memory).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import csv
import io
import json

import pandas as pd
import pytest

from warlens import export
from warlens.model import Col
from warlens.query import Filters
from warlens.ui import common, server
from warlens.ui.shell import workspace
from warlens.workspace import data_dir


class Streamlit:
    """Stands for Streamlit's own app: what a request it gets is answered with."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def __call__(self, scope, receive, send) -> None:
        self.calls.append(scope["path"])
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/html")]})
        await send({"type": "http.response.body", "body": b"<html>"})


def _get(app, path: str, query: bytes = b"") -> tuple[int, dict, list[bytes]]:
    """The status, headers and body pieces (one per message) of a GET."""
    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"},
             "http_version": "1.1", "method": "GET", "path": path, "query_string": query,
             "headers": []}
    sent: list[dict] = []

    async def receive():
        await asyncio.sleep(30)  # the browser stays
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # a loop of its own
        pool.submit(asyncio.run, app(scope, receive, send)).result()
    headers = {k.decode(): v.decode() for k, v in sent[0]["headers"]}
    return sent[0]["status"], headers, [m.get("body", b"") for m in sent[1:]]


def _shown(place: str, table: str):
    """What the page's own source holds in view for this place (credited rows)."""
    source = workspace(str(data_dir())).source()
    return source, source.export_rows(Filters(places=(place,)), table)


def test_the_events_csv_is_the_view_on_screen_credited_row_by_row() -> None:
    status, headers, pieces = _get(server.Downloads(Streamlit()),
                                   "/Map/export/warlens-events.csv", b"place=Bakhmut")
    assert status == 200
    assert headers["content-disposition"] == 'attachment; filename="warlens-events.csv"'
    assert headers["content-type"].startswith("text/csv")
    assert headers["x-content-type-options"] == "nosniff"
    body = b"".join(pieces)
    source, rows = _shown("Bakhmut", "events")
    # The same bytes the in-memory export writes for these rows.
    assert body == export.to_csv(rows, export.EXPORT_EVENT_COLUMNS, source.sources)
    read = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(read) == len(rows) > 0
    assert {r[Col.PLACE_NAME] for r in read} >= {"Bakhmut"}
    # Each row carries its article's credit (the seed article, the project's own, has none).
    articles = source.corpus.articles.set_index(Col.ARTICLE)
    for r in read:
        credit = articles.loc[r[Col.ARTICLE], Col.ATTRIBUTION]
        assert r[Col.ATTRIBUTION] == ("" if pd.isna(credit) else credit)
    assert any("The White House" in r[Col.ATTRIBUTION] for r in read)
    assert all(not r[Col.FILE].startswith("/") for r in read)  # no server paths leave


def test_the_claims_csv_and_the_geojson_come_from_the_same_route() -> None:
    downloads = server.Downloads(Streamlit())
    _s, _h, pieces = _get(downloads, "/export/warlens-claims.csv", b"place=Bakhmut")
    source, claims = _shown("Bakhmut", "claims")
    assert b"".join(pieces) == export.to_csv(claims, export.EXPORT_CLAIM_COLUMNS,
                                             source.sources)
    status, headers, pieces = _get(downloads, "/Timeline/export/warlens-events.geojson",
                                   b"place=Bakhmut")
    assert status == 200 and headers["content-type"].startswith("application/geo+json")
    collection = json.loads(b"".join(pieces))
    _source, events = _shown("Bakhmut", "events")
    located = events[Col.LAT].notna().sum()
    assert len(collection["features"]) == located > 0


def test_an_export_leaves_as_it_is_read(monkeypatch) -> None:
    made: list[int] = []

    def pieces(_source, _filters, _name):
        for i in range(3):
            made.append(i)
            yield f"piece {i}\n".encode()

    monkeypatch.setattr(common, "export_pieces", pieces)
    _s, _h, sent = _get(server.Downloads(Streamlit()), "/export/warlens-events.csv")
    assert [p for p in sent if p] == [b"piece 0\n", b"piece 1\n", b"piece 2\n"]


def test_other_requests_go_to_streamlit() -> None:
    inner = Streamlit()
    downloads = server.Downloads(inner)
    for path in ("/Map", "/export/passwd", "/export", "/static/export/warlens-events.csv.map"):
        status, _h, _b = _get(downloads, path)
        assert status == 200
    assert inner.calls == ["/Map", "/export/passwd", "/export",
                           "/static/export/warlens-events.csv.map"]


def test_a_failing_export_answers_plainly_and_logs_why(monkeypatch, caplog) -> None:
    def broken(*_args):
        raise RuntimeError("engine gone")

    monkeypatch.setattr(server, "_export", broken)
    status, headers, pieces = _get(server.Downloads(Streamlit()), "/export/warlens-claims.csv")
    assert status == 500 and headers["content-type"].startswith("text/plain")
    assert b"could not make this export" in b"".join(pieces)
    assert "engine gone" in caplog.text


@pytest.mark.parametrize("filters", [Filters(), Filters(places=("Bakhmut",), types=("battle",))])
def test_the_pages_link_to_their_views_export(filters) -> None:
    link = common.export_link(filters, "warlens-events.csv")
    assert link.startswith("export/warlens-events.csv")
    # The link names the view and nothing else: the route parses it as the page does.
    from urllib.parse import parse_qs, urlsplit

    from warlens import query

    vocab = workspace(str(data_dir())).source().vocabulary()
    parsed, notices = query.filters_from_params(parse_qs(urlsplit(link).query), vocab)
    assert parsed == filters.without_selection() and not notices
