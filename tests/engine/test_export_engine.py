"""A download from an engine is streamed a chunk at a time, and is the in-memory download.

Each test corpus is written into a store per engine (`store_of`); its events and claims
in view are exported through `EngineSource.export_chunks` in chunks of a few rows (so
every file is written in several pieces), and the bytes are compared with what the
in-memory export writes for the same view: the same rows, columns, credits (outlet,
licence, attribution), file names and dates.
"""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from test_queries import corpus_named, views

from warlens import export, query
from warlens.engine.queries import Tables
from warlens.engine.source import EngineSource
from warlens.source import Memo, memory_source

#: Rows per chunk: small, so that every export of a test corpus comes in several chunks.
CHUNK = 3
COLUMNS = {"events": export.EXPORT_EVENT_COLUMNS, "claims": export.EXPORT_CLAIM_COLUMNS}
SELECT = {"events": query.filter_events, "claims": query.filter_claims}
#: The views exported: the open one, and one of each kind of filter that changes rows.
VIEWS = ("open", "place", "country", "dates", "actor", "contested", "search")


class Borrowed(EngineSource):
    """An EngineSource over a connection the test module owns (never closed by it)."""

    def __init__(self, con: object, sources: tuple[str, ...]) -> None:
        self.tables, self.sources, self.memo = Tables(con), sources, Memo()


@pytest.mark.parametrize("name", ["bundled", "mixed", "stories"])
def test_a_streamed_export_is_the_in_memory_export(store_of, name):
    corpus = corpus_named(name)
    source = Borrowed(store_of(corpus), corpus.sources)
    for view, filters in views(corpus).items():
        if view not in VIEWS:
            continue
        for table, columns in COLUMNS.items():
            whole = export.credited(SELECT[table](corpus, filters), corpus.articles)
            timed, chunks = source.export_chunks(filters, table, rows=CHUNK)
            pieces = list(export.csv_chunks(chunks, columns, corpus.sources, timed))
            assert b"".join(pieces) == export.to_csv(whole, columns, corpus.sources), \
                (view, table)
            assert len(pieces) == max(1, -(-len(whole) // CHUNK)), (view, table)
        whole = export.credited(query.filter_events(corpus, filters), corpus.articles)
        _, chunks = source.export_chunks(filters, "events", rows=CHUNK)
        streamed = b"".join(export.geojson_chunks(chunks, export.EXPORT_EVENT_COLUMNS,
                                                  corpus.sources))
        assert streamed == export.geojson_bytes(whole, corpus.sources), view
        json.loads(streamed)  # a valid document, whatever the chunks


def test_every_row_keeps_its_articles_licence_and_attribution(store_of):
    corpus = corpus_named("bundled")
    source = Borrowed(store_of(corpus), corpus.sources)
    timed, chunks = source.export_chunks(query.Filters(), "claims", rows=CHUNK)
    data = export.spooled(export.csv_chunks(chunks, export.EXPORT_CLAIM_COLUMNS,
                                            corpus.sources, timed), memory=64)
    table = pd.read_csv(io.BytesIO(data.read()), encoding=export.CSV_ENCODING)
    heads = corpus.articles.set_index("article")
    assert len(table) == len(corpus.claims)
    for column in export.CREDIT_COLUMNS:
        want = table["article"].map(heads[column]).fillna("").astype(str)
        assert table[column].fillna("").astype(str).tolist() == want.tolist()


def test_the_in_memory_source_streams_the_same_file():
    corpus = corpus_named("bundled")
    filters = query.Filters()
    timed, chunks = memory_source(corpus).export_chunks(filters, "events", rows=CHUNK)
    whole = export.credited(corpus.events, corpus.articles)
    assert b"".join(export.csv_chunks(chunks, export.EXPORT_EVENT_COLUMNS, corpus.sources,
                                      timed)) == \
        export.to_csv(whole, export.EXPORT_EVENT_COLUMNS, corpus.sources)


@pytest.mark.parametrize("memory", [64, 1 << 20])
def test_a_spooled_download_is_a_file_streamlit_serves(memory):
    from streamlit.runtime.download_data_util import convert_data_to_bytes_and_infer_mime

    corpus = corpus_named("bundled")
    timed, chunks = memory_source(corpus).export_chunks(query.Filters(), "events", rows=CHUNK)
    data = export.spooled(export.csv_chunks(chunks, export.EXPORT_EVENT_COLUMNS,
                                            corpus.sources, timed), memory=memory)
    served, _ = convert_data_to_bytes_and_infer_mime(data, ValueError("not servable"))
    data.close()
    assert served == export.to_csv(export.credited(corpus.events, corpus.articles),
                                   export.EXPORT_EVENT_COLUMNS, corpus.sources)
