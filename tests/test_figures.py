"""The timeline and the map, checked for what a reader would notice."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from warlens import figures
from warlens.figures import (
    COUNT,
    HOVER_MAX,
    RANGE_TICK,
    TITLE_MAX_CHARS,
    TYPE_COLOURS,
    count_dated,
    escape_hover,
    make_map,
    make_timeline,
    make_timeline_counts,
    note_of,
    undated,
)
from warlens.model import ARTICLE_COLUMNS, CLAIM_COLUMNS, EVENT_COLUMNS, Col
from warlens.ui.plot import BUNDLE

BAKHMUT = (48.5956, 37.9999)
ARTICLE = "bakhmut-falls"


def _event(id_: str, start: str | None, end: str | None, date_precision: str,
           **extra) -> dict:
    row = {c: None for c in EVENT_COLUMNS}
    row.update({
        Col.KEY: f"{ARTICLE}/{id_}", Col.ARTICLE: ARTICLE, Col.ID: id_,
        Col.SUMMARY: f"Summary of {id_}", Col.TYPE: "battle",
        Col.START: start, Col.END: end, Col.DATE_PRECISION: date_precision,
        Col.DATE_LABEL: extra.pop("label", start or "undated"),
        Col.PLACE_NAME: "Bakhmut", Col.LAT: BAKHMUT[0], Col.LON: BAKHMUT[1],
        Col.PRECISION: "settlement", Col.ACTORS: "Wagner Group; Ukrainian armed forces",
        Col.QUOTE: f"The sentence about {id_}.", Col.CONTESTED: False, Col.N_CLAIMS: 0,
        Col.DRAFT: False,
    })
    row.update(extra)
    return row


def _events(*rows: dict) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows), columns=EVENT_COLUMNS)
    for col in (Col.START, Col.END):
        frame[col] = pd.to_datetime(frame[col])
    for col in (Col.LAT, Col.LON):
        frame[col] = frame[col].astype("float64")
    frame[Col.CONTESTED] = frame[Col.CONTESTED].astype(bool)
    return frame


def _claims(*rows: dict) -> pd.DataFrame:
    full = []
    for extra in rows:
        row = {c: None for c in CLAIM_COLUMNS}
        row.update({Col.ARTICLE: ARTICLE, Col.CLAIMANT: "Wagner Group", Col.STANCE: "asserts",
                    Col.CLAIM: "Wagner forces have captured Bakhmut.",
                    Col.QUOTE: "for all the fanfare", Col.CONTESTED: False})
        row.update(extra)
        full.append(row)
    frame = pd.DataFrame(full, columns=CLAIM_COLUMNS)
    for col in (Col.START, Col.END):
        frame[col] = pd.to_datetime(frame[col])
    frame[Col.CONTESTED] = frame[Col.CONTESTED].astype(bool)
    return frame


def _articles(*published: str) -> pd.DataFrame:
    rows = []
    for i, day in enumerate(published):
        row = {c: None for c in ARTICLE_COLUMNS}
        row.update({Col.ARTICLE: f"{ARTICLE}-{i}" if i else ARTICLE,
                    Col.TITLE: f"Bakhmut is effectively in Russian hands {i}",
                    Col.PUBLISHED_START: day, Col.PUBLISHED_END: day,
                    Col.PUBLISHED_LABEL: day})
        rows.append(row)
    frame = pd.DataFrame(rows, columns=ARTICLE_COLUMNS)
    for col in (Col.PUBLISHED_START, Col.PUBLISHED_END):
        frame[col] = pd.to_datetime(frame[col])
    return frame


NO_CLAIMS = _claims()
NO_ARTICLES = _articles()


def _drawn(fig: go.Figure) -> list:
    """The figure's traces, less the ticks that repeat each range bar's items."""
    return [t for t in fig.data if t.meta != RANGE_TICK]


def _traces_with(fig: go.Figure, key: str) -> list:
    return [t for t in _drawn(fig) if t.customdata is not None
            and key in [row[0] for row in t.customdata]]


def _row(trace, key: str) -> int:
    return [row[0] for row in trace.customdata].index(key)


def _as_time(value) -> pd.Timestamp:
    return pd.Timestamp(value)


def _synthetic(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2022-02-24") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    frame = pd.DataFrame({c: None for c in EVENT_COLUMNS}, index=range(n))
    frame[Col.KEY] = [f"synthetic/e{i}" for i in range(n)]
    frame[Col.ARTICLE] = "synthetic"
    frame[Col.SUMMARY] = "An event"
    frame[Col.TYPE] = rng.choice(list(TYPE_COLOURS), n)
    frame[Col.START] = start
    frame[Col.END] = start + pd.to_timedelta(rng.integers(0, 30, n), unit="D")
    frame[Col.DATE_PRECISION] = "range"
    frame[Col.DATE_LABEL] = "some weeks"
    frame[Col.LAT] = rng.uniform(44.0, 52.0, n).round(3)
    frame[Col.LON] = rng.uniform(22.0, 40.0, n).round(3)
    frame[Col.PLACE_NAME] = [f"Village {i % 50_000}" for i in range(n)]
    frame[Col.PRECISION] = "settlement"
    frame[Col.QUOTE] = "A sentence."
    frame[Col.CONTESTED] = False
    return frame


# --- text ----------------------------------------------------------------------------------------


def test_hover_text_of_a_script_summary_is_escaped():
    events = _events(_event("x", "2023-05-20", "2023-05-20", "day",
                            summary="<script>alert(1)</script>"))
    fig = make_timeline(events, NO_CLAIMS, NO_ARTICLES)
    (point,) = _traces_with(fig, f"{ARTICLE}/x")
    assert point.hovertext[0].startswith("<b>&lt;script&gt;alert(1)&lt;/script&gt;</b>")
    assert "<script>" not in fig.to_json()


def test_escaped_hover_is_cut_short_and_loses_bidi_overrides():
    text = "\u202eevil\u2066 " + "x" * 1000
    shown = escape_hover(text)
    assert len(shown) == HOVER_MAX
    assert shown.endswith("…")
    assert not any(ch in shown for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2069")
    assert escape_hover(None) == escape_hover(float("nan")) == ""
    # plotly decodes numeric entities but shows &quot; literally
    assert escape_hover('say "no"') == "say &#34;no&#34;"


# --- timeline -----------------------------------------------------------------------------------


def test_a_vague_date_becomes_a_bar_spanning_its_range():
    events = _events(_event("end-jan", "2023-01-21", "2023-01-31", "range",
                            label="the end of January"))
    fig = make_timeline(events, NO_CLAIMS, NO_ARTICLES)
    (bar,) = _traces_with(fig, f"{ARTICLE}/end-jan")
    assert bar.type == "bar" and bar.orientation == "h"
    (tick,) = [t for t in fig.data if t.meta == RANGE_TICK]
    assert _as_time(tick.x[0]).normalize() == pd.Timestamp("2023-01-26")
    i = _row(bar, f"{ARTICLE}/end-jan")
    assert _as_time(bar.base[i]) == pd.Timestamp("2023-01-21")
    assert bar.x[i] == pytest.approx(11 * 86_400_000)  # 21..31 inclusive is eleven days
    assert bar.marker.opacity < 1
    assert "the end of January" in bar.text[i]


def test_a_day_is_a_point_not_a_sliver():
    events = _events(_event("captured", "2023-05-20", "2023-05-20", "day"))
    fig = make_timeline(events, NO_CLAIMS, NO_ARTICLES)
    (point,) = _traces_with(fig, f"{ARTICLE}/captured")
    assert point.type == "scatter" and point.mode == "markers"
    assert point.marker.symbol == "diamond"
    assert _as_time(point.x[0]).normalize() == pd.Timestamp("2023-05-20")
    assert not [t for t in _drawn(fig) if t.type == "bar"]


def test_undated_events_are_not_on_the_timeline_but_in_undated():
    events = _events(_event("dated", "2023-05-20", "2023-05-20", "day"),
                     _event("looming", None, None, "undated", label="undated"))
    fig = make_timeline(events, NO_CLAIMS, NO_ARTICLES)
    assert not _traces_with(fig, f"{ARTICLE}/looming")
    assert list(undated(events)[Col.KEY]) == [f"{ARTICLE}/looming"]
    assert fig.layout.title.text == "1 dated event"
    assert note_of(fig) == "1 undated event is listed below the chart."


def test_claims_appear_at_their_claim_date_on_their_events_row():
    events = _events(_event("captured", "2023-05-20", "2023-05-21", "range"))
    claims = _claims(
        {Col.KEY: f"{ARTICLE}/wagner", Col.EVENT: f"{ARTICLE}/captured",
         Col.START: "2023-05-20", Col.END: "2023-05-20", Col.DATE_LABEL: "2023-05-20"},
        {Col.KEY: f"{ARTICLE}/zelenskyy", Col.EVENT: f"{ARTICLE}/captured",
         Col.STANCE: "denies", Col.CLAIMANT: "Volodymyr Zelenskyy", Col.CONTESTED: True,
         Col.START: "2023-05-21", Col.END: "2023-05-21", Col.DATE_LABEL: "2023-05-21"},
    )
    fig = make_timeline(events, claims, NO_ARTICLES)
    (bar,) = _traces_with(fig, f"{ARTICLE}/captured")
    (asserts,) = _traces_with(fig, f"{ARTICLE}/wagner")
    (denies,) = _traces_with(fig, f"{ARTICLE}/zelenskyy")
    assert _as_time(asserts.x[0]).normalize() == pd.Timestamp("2023-05-20")
    assert _as_time(denies.x[0]).normalize() == pd.Timestamp("2023-05-21")
    assert asserts.marker.symbol != denies.marker.symbol
    # Just above their event's bar (the y axis is reversed), on slots of their own.
    assert 0 < bar.y[0] - asserts.y[0] < 1.2 and 0 < bar.y[0] - denies.y[0] < 1.2
    assert asserts.y[0] != denies.y[0]
    assert denies.marker.line.color[0] != asserts.marker.line.color[0]  # contested: red


def test_the_publication_date_is_marked():
    events = _events(_event("captured", "2023-05-20", "2023-05-20", "day"))
    fig = make_timeline(events, NO_CLAIMS, _articles("2023-05-21"))
    lines = [s for s in fig.layout.shapes if s.yref == "paper"]
    assert len(lines) == 1
    assert _as_time(lines[0].x0).normalize() == pd.Timestamp("2023-05-21")
    (row,) = _traces_with(fig, ARTICLE)  # on the Published row, with its title in the hover
    assert row.name == "Published" and "Bakhmut" in row.customdata[0][1]


def test_many_articles_are_markers_not_a_forest_of_lines():
    days = [str(d.date()) for d in pd.date_range("2023-01-01", periods=60)]
    events = _events(_event("captured", "2023-05-20", "2023-05-20", "day"))
    fig = make_timeline(events, NO_CLAIMS, _articles(*days))
    assert not [s for s in fig.layout.shapes if s.yref == "paper"]
    published = [t for t in _drawn(fig) if t.name == "Published"]
    assert len(published[0].x) == 60


def test_a_type_keeps_its_colour_whatever_else_is_in_view():
    alone = _events(_event("a", "2023-05-20", "2023-05-20", "day", type="protest"))
    mixed = _events(_event("b", "2023-05-20", "2023-05-20", "day", type="battle"),
                    _event("a", "2023-05-20", "2023-05-20", "day", type="protest"))
    colour_alone = _traces_with(make_timeline(alone, NO_CLAIMS, NO_ARTICLES),
                                f"{ARTICLE}/a")[0].marker.color
    colour_mixed = _traces_with(make_timeline(mixed, NO_CLAIMS, NO_ARTICLES),
                                f"{ARTICLE}/a")[0].marker.color
    assert colour_alone == colour_mixed == TYPE_COLOURS["protest"]


def test_aggregation_kicks_in_above_max_bars():
    events = _synthetic(300)
    fig = make_timeline(events, NO_CLAIMS, NO_ARTICLES, max_bars=100)
    assert fig.layout.title.text.startswith("300 dated events per ")
    assert note_of(fig).startswith("Aggregated: ")
    assert fig.layout.barmode == "stack"
    assert sum(sum(t.y) for t in _drawn(fig)) == 300


def test_timeline_json_stays_small_for_100k_events():
    events = _synthetic(100_000)
    fig = make_timeline(events, NO_CLAIMS, NO_ARTICLES)
    assert "Aggregated" in note_of(fig)
    assert len(fig.to_json()) < 2_000_000


@pytest.mark.parametrize("group_by", ["place", "article", "type"])
def test_every_grouping_draws_each_dated_event_once(group_by):
    events = _events(_event("a", "2023-05-20", "2023-05-20", "day"),
                     _event("b", "2023-01-21", "2023-01-31", "range", place_name="Kyiv"))
    fig = make_timeline(events, NO_CLAIMS, NO_ARTICLES, group_by=group_by)
    keys = [row[0] for t in _drawn(fig) for row in t.customdata]
    assert sorted(keys) == [f"{ARTICLE}/a", f"{ARTICLE}/b"]


# --- map ---------------------------------------------------------------------------------------

BASEMAP = "/app/static/countries-50m.geojson"


def test_the_map_centres_on_bakhmut_at_city_zoom():
    events = _events(_event("captured", "2023-05-20", "2023-05-20", "day"))
    fig = make_map(events, basemap_url=BASEMAP)
    assert fig.layout.map.center.lat == pytest.approx(BAKHMUT[0], abs=0.05)
    assert fig.layout.map.center.lon == pytest.approx(BAKHMUT[1], abs=0.05)
    assert 7 <= fig.layout.map.zoom <= 10


def test_a_country_only_map_opens_at_country_zoom():
    events = _events(_event("cf", None, None, "undated", place_name="Ukraine",
                            lat=49.0, lon=32.0, precision="country"))
    fig = make_map(events, basemap_url=BASEMAP)
    assert 3.5 <= fig.layout.map.zoom <= 5.5


def test_a_country_level_place_is_not_drawn_as_a_pinpoint():
    events = _events(_event("town", "2023-05-20", "2023-05-20", "day"),
                     _event("country", None, None, "undated", place_name="Ukraine",
                            lat=49.0, lon=32.0, precision="country"))
    fig = make_map(events, basemap_url=BASEMAP)
    (town,) = [t for t in _drawn(fig)
               if t.customdata is not None and t.customdata[0][0] == "Bakhmut"]
    (country,) = [t for t in _drawn(fig)
                  if t.customdata is not None and t.customdata[0][0] == "Ukraine"]
    assert country.marker.opacity < town.marker.opacity
    assert min(country.marker.size) > max(town.marker.size)
    assert "country-level location" in country.customdata[0][2]
    assert country.name != town.name


def test_the_offline_map_refers_to_no_web_address():
    events = _events(_event("captured", "2023-05-20", "2023-05-20", "day"))
    labels = pd.DataFrame({"name": ["Soledar"], "lat": [48.68], "lon": [38.09]})
    fig = make_map(events, basemap_url=BASEMAP, labels=labels)
    dumped = fig.to_json()
    assert "http" not in dumped
    assert {layer.source for layer in fig.layout.map.layers} == {BASEMAP}
    assert fig.layout.map.style == "white-bg"


def test_an_online_style_replaces_the_offline_base_layer():
    events = _events(_event("captured", "2023-05-20", "2023-05-20", "day"))
    fig = make_map(events, basemap_url=BASEMAP, tile_style="open-street-map")
    assert fig.layout.map.style == "open-street-map"
    assert not fig.layout.map.layers


GLYPHS = "/app/static/fonts/{fontstack}/{range}.pbf"


def _town_layer(fig: go.Figure):
    (layer,) = [layer for layer in fig.layout.map.layers if layer.type == "symbol"]
    return layer


def test_town_labels_are_a_text_layer_never_a_point_to_click():
    events = _events(_event("captured", "2023-05-20", "2023-05-20", "day"))
    labels = pd.DataFrame({"name": ["<b>Soledar</b>", "Bakhmut"], "lat": [48.68, BAKHMUT[0]],
                           "lon": [38.09, BAKHMUT[1]]})
    fig = make_map(events, basemap_url=BASEMAP, labels=labels, glyphs_url=GLYPHS)
    # Every trace is an event place: nothing else can take a click.
    assert all(row[0] == "Bakhmut" for t in _drawn(fig) for row in t.customdata)
    layer = _town_layer(fig)
    # Glyphs on the map, as written; the event place is named by its own marker instead.
    assert [f["properties"]["name"] for f in layer.source["features"]] == ["<b>Soledar</b>"]
    (dot,) = _drawn(fig)
    assert "text" in dot.mode and dot.text == ("Bakhmut",) and dot.textposition == "top center"
    assert "http" not in fig.to_json()


def test_a_town_with_an_apostrophe_is_labelled_as_written():
    events = _events(_event("captured", "2023-05-20", "2023-05-20", "day"))
    labels = pd.DataFrame({"name": ["Homyel'"], "lat": [52.43], "lon": [30.98]})
    glyphs = make_map(events, basemap_url=BASEMAP, labels=labels, glyphs_url=GLYPHS)
    assert _town_layer(glyphs).source["features"][0]["properties"]["name"] == "Homyel'"
    tiles = make_map(events, basemap_url=BASEMAP, labels=labels, tile_style="open-street-map")
    assert not tiles.layout.map.layers  # online tiles name their own towns


def test_a_place_with_events_of_several_types_says_so_in_its_mark_and_hover():
    events = _events(
        _event("captured", "2023-05-20", "2023-05-21", "range", type="territorial_control"),
        _event("months", "2022-05-01", "2023-05-20", "range"),
        _event("weeks", "2023-04-20", "2023-05-20", "range"),
    )
    fig = make_map(events, basemap_url=BASEMAP)
    (outer,) = [t for t in _drawn(fig) if t.name == "Battle"]
    (inner,) = [t for t in _drawn(fig) if t.name.startswith("Several types")]
    assert inner.marker.color == TYPE_COLOURS["territorial_control"]
    assert inner.marker.size[0] < outer.marker.size[0]
    assert inner.customdata[0][0] == "Bakhmut"  # a click on it selects the place
    hover = " ".join(outer.customdata[0])
    assert "Battle 2" in hover and "Change of territorial control 1" in hover


def test_events_without_coordinates_are_left_off_the_map():
    events = _events(_event("here", "2023-05-20", "2023-05-20", "day"),
                     _event("nowhere", "2023-05-20", "2023-05-20", "day",
                            lat=None, lon=None, place_name=None))
    fig = make_map(events, basemap_url=BASEMAP)
    assert "1 event at 1 place" in fig.layout.title.text


def test_map_hover_text_is_escaped():
    events = _events(_event("x", "2023-05-20", "2023-05-20", "day",
                            summary="<script>alert(1)</script>",
                            place_name="<img src=x onerror=alert(1)>"))
    fig = make_map(events, basemap_url=BASEMAP)
    (_, shown, _, _, summaries, _) = _drawn(fig)[0].customdata[0]
    assert shown == "&lt;img src=x onerror=alert(1)&gt;"
    assert "&lt;script&gt;" in summaries
    assert "<script>" not in fig.to_json()


def test_map_aggregates_to_grid_cells_above_max_points():
    events = _synthetic(3000)
    fig = make_map(events, basemap_url=BASEMAP, max_points=200)
    assert fig.layout.title.text.startswith("3,000 events in ")
    assert note_of(fig).startswith("Aggregated: ")
    n_markers = sum(len(t.lat) for t in _drawn(fig))
    assert n_markers <= 200
    assert sum(int(row[3].split()[0].replace(",", "")) for t in _drawn(fig)
               for row in t.customdata) == 3000


def test_titles_of_an_archive_of_millions_fit_on_a_phone():
    """The counted timeline and map of 12 million events: the title stays short, the rest
    is the note a page shows under the chart (a long title ran off a phone's screen)."""
    counted = _synthetic(20_000)
    counted[COUNT] = 600
    timeline = make_timeline_counts(counted, NO_ARTICLES)
    grid = make_map(counted, basemap_url=BASEMAP, max_points=200)
    some_undated = _synthetic(400)
    some_undated.loc[100:, [Col.START, Col.END]] = pd.NaT
    some_undated.loc[100:, Col.DATE_PRECISION] = "undated"
    plain = make_timeline(some_undated, NO_CLAIMS, NO_ARTICLES)
    for fig in (timeline, grid, plain):
        assert len(fig.layout.title.text) <= TITLE_MAX_CHARS, fig.layout.title.text
    assert timeline.layout.title.text.startswith("12,000,000 dated events per ")
    assert grid.layout.title.text.startswith("12,000,000 events in ")
    assert "counted per " in note_of(timeline) and "cells of " in note_of(grid)
    assert plain.layout.title.text == "100 dated events"
    assert note_of(plain) == "300 undated events are listed below the chart."


def test_map_json_stays_small_for_100k_events():
    fig = make_map(_synthetic(100_000), basemap_url=BASEMAP)
    assert "Aggregated" in note_of(fig)
    assert len(fig.to_json()) < 2_000_000


def test_tables_stitched_together_with_repeated_row_labels_still_draw():
    first = _events(_event("a", "2023-05-20", "2023-05-20", "day"))
    second = _events(_event("b", "2023-05-20", "2023-05-22", "range"))
    events = pd.concat([first, second])  # both rows are labelled 0
    claims = pd.concat([
        _claims({Col.KEY: f"{ARTICLE}/c1", Col.EVENT: f"{ARTICLE}/a",
                 Col.START: "2023-05-20", Col.END: "2023-05-20"}),
        _claims({Col.KEY: f"{ARTICLE}/c2", Col.EVENT: f"{ARTICLE}/b",
                 Col.START: "2023-05-21", Col.END: "2023-05-21"}),
    ])
    fig = make_timeline(events, claims, NO_ARTICLES)
    keys = sorted(row[0] for t in _drawn(fig) for row in t.customdata)
    assert keys == [f"{ARTICLE}/{k}" for k in ("a", "b", "c1", "c2")]
    assert make_map(events, basemap_url=BASEMAP, max_points=0).data


def _builds_a_valid_figure(fig: go.Figure) -> None:
    """Plotly's own validation accepts the figure and draws it the same way.

    The builders skip plotly's per-property checks for speed; a misspelt property would
    otherwise reach the browser as a chart that silently lacks it.
    """
    checked = go.Figure(fig.to_dict())  # validates every property, raises on a bad one
    assert _paths(checked.to_dict()) == _paths(fig.to_dict())  # and drops none
    assert len(checked.data) == len(fig.data)
    # The browser draws with a plotly.js of a few trace types (scripts/plotly/entry.js):
    # another type would be a chart that stays blank.
    assert {trace.type for trace in fig.data} <= BROWSER_TRACES


#: The trace types in the browser's plotly.js build (scatter is in plotly's core).
BROWSER_TRACES = {"scatter"} | set(re.findall(
    r"require\('plotly\.js/lib/(\w+)'\)",
    (Path(__file__).parents[1] / "scripts" / "plotly" / "entry.js").read_text())) - {"core"}


def test_the_browser_plotly_build_is_the_version_plotly_writes_figures_for():
    from plotly.offline import get_plotlyjs_version

    bundle = Path(__file__).parents[1] / "static" / BUNDLE
    with bundle.open(encoding="utf-8") as f:
        head = f.read(200)
    assert f"plotly.js v{get_plotlyjs_version()} " in head
    assert f"-{get_plotlyjs_version()}." in BUNDLE  # a new version is a new file name
    assert {"scatter", "bar", "scattermap"} == BROWSER_TRACES


def _paths(tree: object, prefix: str = "") -> set[str]:
    """Every property path of a figure dict (list items share their list's path)."""
    if isinstance(tree, dict):
        return {f"{prefix}.{k}" for k in tree} | {
            p for k, v in tree.items() for p in _paths(v, f"{prefix}.{k}")}
    if isinstance(tree, list | tuple) and tree and isinstance(tree[0], dict):
        return {p for item in tree for p in _paths(item, f"{prefix}[]")}
    return set()


@pytest.mark.parametrize("max_bars", [2000, 1])
def test_every_timeline_is_a_figure_plotly_accepts(max_bars):
    events = _events(_event("a", "2023-05-20", "2023-05-20", "day"),
                     _event("b", "2023-01-21", "2023-01-31", "range", place_name="Kyiv"),
                     _event("c", None, None, "undated"))
    claims = _claims({Col.KEY: f"{ARTICLE}/c1", Col.EVENT: f"{ARTICLE}/a",
                      Col.START: "2023-05-20", Col.END: "2023-05-20", Col.CONTESTED: True})
    _builds_a_valid_figure(make_timeline(events, claims, _articles("2023-05-21"),
                                         max_bars=max_bars))
    _builds_a_valid_figure(make_timeline(events.iloc[2:], NO_CLAIMS, NO_ARTICLES))


@pytest.mark.parametrize("max_points", [5000, 1])
def test_every_map_is_a_figure_plotly_accepts(max_points):
    events = _synthetic(50)
    labels = pd.DataFrame({"name": ["Kramatorsk"], "lat": [48.7], "lon": [37.6]})
    _builds_a_valid_figure(make_map(events, basemap_url=BASEMAP, labels=labels,
                                    max_points=max_points, glyphs_url="/g/{fontstack}/{range}"))
    _builds_a_valid_figure(make_map(events.iloc[:0], basemap_url=BASEMAP))


def test_overlapping_events_of_a_place_get_lanes_of_their_own_and_a_later_one_reuses_the_first():
    events = _events(
        _event("a", "2023-05-01", "2023-05-10", "range"),
        _event("b", "2023-05-05", "2023-05-12", "range"),   # overlaps a: a lane of its own
        _event("c", "2023-05-11", "2023-05-20", "range"),   # after a ends: a's lane again
        _event("d", "2023-05-06", "2023-05-08", "range", **{Col.PLACE_NAME: "Kyiv"}),
    )
    fig = make_timeline(events, NO_CLAIMS, NO_ARTICLES)
    y = {}
    for trace in _drawn(fig):
        for row, value in zip(trace.customdata, trace.y, strict=True):
            y[row[0].split("/")[-1]] = value
    assert y["a"] != y["b"]
    assert y["c"] == y["a"]
    assert abs(y["a"] - y["b"]) == 1  # the lanes of one row sit next to each other
    assert y["d"] not in (y["a"], y["b"])  # another place, another row


def test_many_places_fold_into_the_busiest_rows_and_one_counted_rest():
    from warlens.figures import MAX_ROWS

    events = _events(*[
        _event(f"e{i}-{j}", "2023-05-01", "2023-05-01", "day", **{Col.PLACE_NAME: f"Town {i}"})
        for i in range(60) for j in range(1 + (i < 10))])
    fig = make_timeline(events, NO_CLAIMS, NO_ARTICLES)
    rows = list(fig.layout.yaxis.ticktext)
    assert len(rows) == MAX_ROWS
    assert {f"Town {i}" for i in range(10)} <= set(rows)  # the busiest keep their own rows
    assert rows[-1] == f"+ {60 - MAX_ROWS + 1} other places ({60 - MAX_ROWS + 1} items)"


def test_a_story_opens_on_its_days_and_the_months_before_run_off_the_view():
    events = _events(
        _event("captured", "2023-05-20", "2023-05-21", "range"),
        _event("months", "2022-05-21", "2023-05-21", "range", label="for months"),
        _event("invasion", "2022-02-01", "2022-02-28", "month", **{Col.PLACE_NAME: "Kyiv"}),
    )
    fig = make_timeline(events, NO_CLAIMS, _articles("2023-05-21"))
    lo, hi = (_as_time(t) for t in fig.layout.xaxis.range)
    assert lo <= pd.Timestamp("2023-05-20") and hi >= pd.Timestamp("2023-05-22")
    assert hi - lo <= pd.Timedelta(days=14)  # two days of fourteen, not of five hundred
    assert fig.layout.xaxis.rangeslider.visible  # the whole span, under the chart
    assert any("earlier" in a.text for a in fig.layout.annotations)  # the invasion's row


def test_claims_of_several_stances_about_one_event_each_get_a_place():
    events = _events(_event("captured", "2023-05-20", "2023-05-21", "range"))
    claims = _claims(*[
        {Col.KEY: f"{ARTICLE}/c{i}", Col.EVENT: f"{ARTICLE}/captured", Col.STANCE: stance,
         Col.START: "2023-05-21", Col.END: "2023-05-21", Col.DATE_LABEL: "2023-05-21"}
        for i, stance in enumerate(["asserts", "asserts", "denies", "estimates", "assesses"])])
    fig = make_timeline(events, claims, NO_ARTICLES)
    points = {(t.x[i], t.y[i]) for t in fig.data if t.legendgroup == "claims"
              for i in range(len(t.x))}
    assert len(points) == 5


def test_a_map_of_countries_fetches_the_coarse_outlines_and_a_town_the_finer_ones():
    kyiv = _event("kyiv", "2022-02-24", "2022-02-24", "day",
                  **{Col.PLACE_NAME: "Kyiv", Col.LAT: 50.45, Col.LON: 30.52})
    far = _event("khartoum", "2023-04-15", "2023-04-15", "day",
                 **{Col.PLACE_NAME: "Khartoum", Col.LAT: 15.5, Col.LON: 32.56})
    town = make_map(_events(kyiv), basemap_url=BASEMAP, coarse_basemap_url="/coarse")
    world = make_map(_events(kyiv, far), basemap_url=BASEMAP, coarse_basemap_url="/coarse")
    assert [layer.source for layer in town.layout.map.layers] == [BASEMAP]
    assert [layer.source for layer in world.layout.map.layers] == ["/coarse"]


def test_outline_tiles_replace_both_outline_files_in_the_offline_style():
    kyiv = _event("kyiv", "2022-02-24", "2022-02-24", "day",
                  **{Col.PLACE_NAME: "Kyiv", Col.LAT: 50.45, Col.LON: 30.52})
    tiles = "/outlines/{z}/{x}/{y}.pbf"
    fig = make_map(_events(kyiv), basemap_url=BASEMAP, coarse_basemap_url="/coarse",
                   glyphs_url="/fonts/{fontstack}/{range}.pbf", outline_tiles=tiles)
    style = fig.layout.map.style
    # Nothing fetches a GeoJSON file: the outlines are the style's own tiles.
    assert not [layer for layer in fig.layout.map.layers if isinstance(layer.source, str)]
    assert style["sources"] == {"outlines": {"type": "vector", "tiles": [tiles], "minzoom": 0,
                                             "maxzoom": figures.OUTLINE_MAX_ZOOM}}
    land = next(layer for layer in style["layers"] if layer.get("source") == "outlines")
    assert land["type"] == "fill" and land["source-layer"] == figures.OUTLINE_LAYER
    assert land["paint"] == {"fill-color": figures.LAND_COLOUR,
                             "fill-outline-color": figures.BORDER_COLOUR}
    # Under the events: the style's layers are drawn before plotly's traces.
    assert [layer["id"] for layer in style["layers"]] == ["background", "countries"]
    # An online style has its own land; a map without glyphs keeps the GeoJSON layer.
    online = make_map(_events(kyiv), basemap_url=BASEMAP, outline_tiles=tiles,
                      glyphs_url="/g", tile_style="open-street-map")
    assert online.layout.map.style == "open-street-map"
    plain = make_map(_events(kyiv), basemap_url=BASEMAP, outline_tiles=tiles)
    assert [layer.source for layer in plain.layout.map.layers] == [BASEMAP]


# --- counted rows (what an engine hands the figures) --------------------------------------------


def _per_place_and_type(events: pd.DataFrame) -> pd.DataFrame:
    """The events as an engine counts them for the map: a row per place and type, in the
    order of each's first event, with that event's summary and how many (COUNT)."""
    group = [Col.LAT, Col.LON, Col.PLACE_NAME, Col.PRECISION, Col.TYPE]
    counted = events.groupby(group, sort=False, dropna=False).agg(
        **{Col.SUMMARY: (Col.SUMMARY, "first"), COUNT: (Col.KEY, "size")}).reset_index()
    # A place's rows together, in the order of its first event, as the engine sends them.
    first = counted.groupby(group[:-1], sort=False).ngroup()
    return counted.iloc[np.argsort(first.to_numpy(), kind="stable")].reset_index(drop=True)


def _villages(n: int, places: int = 30, seed: int = 1) -> pd.DataFrame:
    """`n` events at a few villages and two regions, of mixed types."""
    events = _synthetic(n, seed)
    rng = np.random.default_rng(seed)
    at = rng.integers(0, places, n)
    events[Col.PLACE_NAME] = [f"Village {i}" for i in at]
    events[Col.LAT] = 47.0 + at * 0.1
    events[Col.LON] = 30.0 + at * 0.2
    events[Col.PRECISION] = np.where(at < 2, "region", "settlement")
    # The busiest village holds one type only, so its place keeps its first summaries.
    events.loc[at == places - 1, Col.TYPE] = "battle"
    events[Col.SUMMARY] = [f"Event {i} happened" for i in range(n)]
    return events


def _marks_of(fig: go.Figure) -> list[tuple]:
    """What a reader sees of a map but the listed summaries: each trace's name, places,
    sizes, colour, names, and every hover field but the summaries (customdata[4])."""
    return [(t.name, t.legendgroup, tuple(t.lat), tuple(t.lon), tuple(np.round(t.marker.size, 6)),
             t.marker.color, t.marker.opacity, None if t.text is None else tuple(t.text),
             tuple(tuple(row[:4]) + tuple(row[5:]) for row in t.customdata))
            for t in fig.data]


@pytest.mark.parametrize("max_points", [5000, 10])
def test_a_map_of_counted_rows_draws_the_marks_of_its_events(max_points):
    events = _villages(2000)
    counted = _per_place_and_type(events)
    assert len(counted) < len(events) / 5
    kwargs = {"basemap_url": BASEMAP, "max_points": max_points,
              "glyphs_url": "/g/{fontstack}/{range}"}
    by_event, by_count = make_map(events, **kwargs), make_map(counted, **kwargs)
    assert _marks_of(by_count) == _marks_of(by_event)
    assert by_count.layout.title.text == by_event.layout.title.text
    assert "2,000 events" in by_count.layout.title.text
    assert by_count.layout.map.center == by_event.layout.map.center
    assert by_count.layout.map.zoom == by_event.layout.map.zoom


def test_a_counted_place_lists_its_first_rows_summaries_and_counts_the_rest():
    events = _villages(2000)
    busiest = events[Col.PLACE_NAME].value_counts()
    one_type = events[events[Col.PLACE_NAME] == "Village 29"]
    fig = make_map(_per_place_and_type(events), basemap_url=BASEMAP)
    (hover,) = [row[4] for t in fig.data for row in t.customdata
                if row[0] == "Village 29" and len(row) > 4]
    first = one_type[Col.SUMMARY].iloc[0]
    assert hover == f"- {first}<br>... and {busiest['Village 29'] - 1:,} more"


def test_a_counted_timeline_draws_the_bars_of_its_events():
    events = _synthetic(5000)
    events.loc[:99, Col.DATE_PRECISION] = "undated"
    group = [Col.TYPE, Col.START, Col.END, Col.DATE_PRECISION]
    counted = events.groupby(group, dropna=False).size().rename(COUNT).reset_index()
    assert len(counted) < len(events)
    assert count_dated(counted) == count_dated(events) == 4900
    by_event = make_timeline_counts(events, NO_ARTICLES)
    by_count = make_timeline_counts(counted, NO_ARTICLES)
    assert by_count.to_json() == by_event.to_json()
    assert "4,900 dated events" in by_count.layout.title.text


@pytest.mark.parametrize("n_articles", [12, 400])
def test_counted_publication_dates_draw_what_their_articles_draw(n_articles):
    events = _synthetic(3000)
    days = pd.Timestamp("2021-12-01") + pd.to_timedelta(np.arange(n_articles) % 9 * 200,
                                                         unit="D")
    articles = _articles(*days.strftime("%Y-%m-%d"))
    counted = (articles.groupby([Col.PUBLISHED_START, Col.PUBLISHED_END]).size()
               .rename(COUNT).reset_index())
    assert len(counted) == 9
    by_article = make_timeline_counts(events, articles)
    by_count = make_timeline_counts(events, counted)

    def drawn(fig: go.Figure) -> tuple:  # the lines in any order: they are all alike
        return (fig.data, sorted(s.to_plotly_json().__repr__() for s in fig.layout.shapes),
                sorted(a.to_plotly_json().__repr__() for a in fig.layout.annotations),
                fig.layout.xaxis.range, fig.layout.title.text)
    assert drawn(by_count) == drawn(by_article)
    lines = [s for s in by_count.layout.shapes if s.line.dash == "dash"]
    assert len(lines) == (n_articles if n_articles <= 20 else 0)
    assert by_count.layout.xaxis.range[0] < "2021-12-02"  # the first publication is in view
