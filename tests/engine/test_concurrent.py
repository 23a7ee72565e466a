"""Several visitors at once on one store (DuckDB, PostgreSQL).

A server's sessions (and its first-view sketches) ask one EngineSource from their own
threads. One connection runs one query at a time: on DuckDB a second thread's query
drops the first one's pending result, on PostgreSQL their transactions nest. Every
thread must get its answers, the same as asked alone, and a download streamed on worker
threads must not disturb them.
"""

from __future__ import annotations

import concurrent.futures
from pathlib import Path

import pytest

from conftest import fill, fresh_store
from engines import _why_not
from warlens import engine
from warlens.engine.source import engine_source
from warlens.query import Filters
from warlens.workspace import load_corpus

DATA = Path(__file__).resolve().parents[2] / "data" / "articles"
PLACES = ("Bakhmut", "Mariupol", "Kyiv", "Ukraine", "Kharkiv", "Avdiivka")


@pytest.fixture(scope="module", params=("duckdb", "postgres"))
def store(request, tmp_path_factory) -> str:
    if (why := _why_not(request.param)) is not None:
        pytest.skip(why)
    with fresh_store(request.param, tmp_path_factory.mktemp("concurrent")) as url:
        con = engine.connect(url)
        fill(con, load_corpus(DATA, cache=False))
        con.disconnect()
        yield url


def _ask(source, place: str) -> tuple:
    filters = Filters(places=(place,))
    counts = source.counts(filters)
    groups = source.timeline_counted(filters)
    pairs, n = source.contested_pairs(filters, None, 20)
    return counts["events"], counts["claims"], len(groups), len(pairs), n


def test_visitors_at_once_each_get_their_answers(store: str) -> None:
    alone = {p: _ask(engine_source(store), p) for p in PLACES}
    source = engine_source(store)  # one source, as a server holds, asked by many threads
    asks = [p for _ in range(6) for p in PLACES]

    def one(place: str) -> tuple:
        source.memo = type(source.memo)()  # each ask reaches the engine
        return place, _ask(source, place)

    with concurrent.futures.ThreadPoolExecutor(len(PLACES)) as pool:
        got = list(pool.map(one, asks))
    assert all(answer == alone[place] for place, answer in got)


def test_a_download_streaming_beside_visitors_disturbs_no_one(store: str) -> None:
    source = engine_source(store)
    alone = {p: _ask(engine_source(store), p) for p in PLACES}
    _timed, chunks = source.export_chunks(Filters(), "events", rows=3)
    first = next(chunks)  # the download has begun: its cursor is open

    def one(place: str) -> tuple:
        source.memo = type(source.memo)()
        return place, _ask(source, place)

    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        got = list(pool.map(one, PLACES))
        rest = list(pool.submit(list, chunks).result())  # the rest, on a worker thread
    assert all(answer == alone[place] for place, answer in got)
    total = len(first) + sum(len(c) for c in rest)
    assert total == source.counts(Filters())["events"]
