"""The dashboard on an engine shows a reader what it shows from memory.

Every page is opened headless (Streamlit's AppTest, as in tests/test_pages.py) twice for
the same link: once on the corpus in memory, once with `WARLENS_ENGINE` pointing at the
same corpus in DuckDB or PostgreSQL. What a reader sees in the main area must be the
same: titles, counts, captions, links, table rows, and the charts' marks.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import charts
from conftest import fresh_store
from engines import _why_not
from warlens import engine
from warlens.engine import ENV
from warlens.workspace import load_corpus

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data" / "articles"
CLAIMS, MAP, TIMELINE = "pages/2_Claims.py", "pages/3_Map.py", "pages/1_Timeline.py"
ARTICLE, STORIES, PROBLEMS = "pages/4_Article.py", "pages/7_Stories.py", "pages/5_Problems.py"
BAKHMUT = "bakhmut-falls-2023-05-21"
#: Links a reader opens: every page, open and filtered several ways.
LINKS: list[tuple[str, dict[str, list[str]]]] = [
    ("app.py", {}),
    ("app.py", {"place": ["Bakhmut"]}),
    ("app.py", {"contested": ["1"], "from": ["2023-01-01"]}),
    (TIMELINE, {}),
    (TIMELINE, {"actor": ["Wagner Group"]}),
    (TIMELINE, {"event": [f"{BAKHMUT}/bakhmut-capture-claim"]}),
    (CLAIMS, {}),
    (CLAIMS, {"stance": ["denies"]}),
    (CLAIMS, {"story": ["mariupol-capture-2022"]}),
    (CLAIMS, {"event": [f"{BAKHMUT}/bakhmut-capture-claim"]}),
    (MAP, {}),
    (MAP, {"q": ["drone"]}),
    (ARTICLE, {"article": [BAKHMUT]}),
    (ARTICLE, {"claim": [f"{BAKHMUT}/zelenskyy-denies-capture"]}),
    (STORIES, {}),
    (STORIES, {"story": ["mariupol-capture-2022"]}),
    (PROBLEMS, {}),
]


@pytest.fixture(scope="module", params=("duckdb", "postgres"))
def engine_name(request) -> str:
    """The engines a dashboard server reads (Spark serves builds of big event sets, and its
    queries are checked in test_queries.py): DuckDB, and PostgreSQL where it runs."""
    why = _why_not(request.param)
    if why:
        pytest.skip(why)
    return request.param


@pytest.fixture(scope="module")
def engine_store(engine_name: str, tmp_path_factory) -> str:
    """The bundled corpus in a fresh store on the engine under test: its URL."""
    from conftest import fill

    with fresh_store(engine_name, tmp_path_factory.mktemp("pages")) as url:
        con = engine.connect(url)
        fill(con, load_corpus(DATA, cache=False))
        con.disconnect()
        yield url


def _frame(value: pd.DataFrame) -> list[list[str]]:
    """A table as the text a reader sees in its cells."""
    def cell(v: object) -> str:
        if v is None or (not isinstance(v, list | tuple) and pd.isna(v)):
            return ""
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        if isinstance(v, pd.Timestamp):
            return v.isoformat()
        return str(v)
    return [[cell(v) for v in row] for row in value.astype(object).itertuples(index=False)]


def _marks(figure: dict) -> list[tuple]:
    """A chart's traces: name, and how many marks each draws."""
    return [(t.get("name"), t.get("type"), len(t.get("x") or t.get("lat") or []))
            for t in figure.get("data", [])]


def seen(at: AppTest) -> dict[str, list]:
    """What a reader sees in the main area of a page."""
    main = at.main
    return {
        "exception": [e.value for e in at.exception],
        "title": [t.value for t in main.title],
        "subheader": [s.value for s in main.subheader],
        "metric": [(m.label, m.value) for m in main.metric],
        "caption": [c.value for c in main.caption],
        "markdown": [m.value for m in main.markdown],
        "info": [i.value for i in main.info],
        "warning": [w.value for w in main.warning],
        "links": [(p.label, p.proto.query_string) for p in main.get("page_link")],
        "tables": [_frame(d.value) for d in main.dataframe],
        "charts": [_marks(figure) for figure in charts.figures(main)],
    }


def _open(monkeypatch: pytest.MonkeyPatch, page: str, params: dict, url: str | None
          ) -> AppTest:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("WARLENS_DATA", str(DATA))
    if url is None:
        monkeypatch.delenv(ENV, raising=False)
    else:
        monkeypatch.setenv(ENV, url)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if page != "app.py":
        at.switch_page(page)
    at.query_params.update(params)
    return at.run()


@pytest.mark.parametrize(("page", "params"), LINKS,
                         ids=[f"{p.split('/')[-1]}-{'&'.join(k for k in q) or 'open'}"
                              for p, q in LINKS])
def test_a_page_on_the_engine_shows_what_it_shows_from_memory(
        engine_store: str, monkeypatch: pytest.MonkeyPatch, page: str, params: dict) -> None:
    memory = seen(_open(monkeypatch, page, params, None))
    on_engine = seen(_open(monkeypatch, page, params, engine_store))
    assert not memory["exception"] and not on_engine["exception"], on_engine["exception"]
    for what in memory:
        assert on_engine[what] == memory[what], what


def test_the_overview_on_the_engine_counts_the_bundled_corpus(
        engine_store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _open(monkeypatch, "app.py", {}, engine_store)
    counts = {m.label: m.value for m in at.main.metric}
    assert (counts["Articles"], counts["Events"], counts["Claims"]) == ("21", "192", "235")


def test_a_crafted_link_is_checked_against_the_engine(
        engine_store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _open(monkeypatch, CLAIMS, {"article": ["no/such/article"], "event": ["nope"]},
               engine_store)
    notices = [w.value for w in at.warning]
    assert any("no such article" in n for n in notices), notices
    assert any("no such event" in n for n in notices), notices


def test_the_map_and_the_counted_timeline_get_a_row_per_count_not_per_event(
        engine_store: str) -> None:
    from warlens import figures
    from warlens.engine.source import engine_source
    from warlens.model import Col
    from warlens.query import Filters
    from warlens.source import MemorySource

    corpus = load_corpus(DATA, cache=False)
    events = corpus.events
    located = events.dropna(subset=[Col.LAT, Col.LON])
    places_and_types = located.groupby(
        [Col.LAT, Col.LON, Col.PLACE_NAME, Col.PRECISION, Col.TYPE], dropna=False).ngroups
    dated = events[events[Col.START].notna()
                   & (events[Col.DATE_PRECISION] != figures.UNDATED_PRECISION)]
    dates_and_types = dated.groupby([Col.TYPE, Col.START, Col.END, Col.DATE_PRECISION],
                                    dropna=False).ngroups
    assert places_and_types < len(located) and dates_and_types < len(dated)

    source = engine_source(engine_store)
    rows, missing = source.map_events(Filters())
    assert len(rows) == places_and_types
    assert int(rows[figures.COUNT].sum()) == len(located)
    assert missing == len(events) - len(located)
    for either in (source, MemorySource(corpus)):
        counted = either.timeline_counted(Filters())
        assert len(counted) == dates_and_types, either
        assert figures.count_dated(counted) == len(dated), either
