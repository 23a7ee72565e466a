"""Several visitors at once on one embedded DuckDB store.

A server's sessions (and its first-view sketches) ask one EngineSource from their own
threads. DuckDB's Python connection runs one query at a time: a second thread's query
drops the first one's pending result. Every thread must get its answers, the same as
asked alone.
"""

from __future__ import annotations

import concurrent.futures
from pathlib import Path

import pytest

from conftest import fill, fresh_store
from warlens import engine
from warlens.engine.source import engine_source
from warlens.query import Filters
from warlens.workspace import load_corpus

DATA = Path(__file__).resolve().parents[2] / "data" / "articles"
PLACES = ("Bakhmut", "Mariupol", "Kyiv", "Ukraine", "Kharkiv", "Avdiivka")


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> str:
    with fresh_store("duckdb", tmp_path_factory.mktemp("concurrent")) as url:
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
