"""The map page: where things happened, drawn offline, with honest precision."""

from __future__ import annotations

import os
from dataclasses import replace

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from warlens import figures, query
from warlens.gazetteer import get_gazetteer
from warlens.model import Col
from warlens.ui import common
from warlens.ui.plot import app_url, chart, static_url
from warlens.ui.routes import OUTLINE_TILES_FILE, OUTLINES_ROUTE, STATIC
from warlens.ui.shell import View, display_control, share_box
from warlens.ui.stories import STORIES_PAGE

BASEMAP = "countries-50m.geojson"
#: Simpler outlines for a map that opens on a country or more (scripts/build_basemap.sh).
COARSE_BASEMAP = "countries-coarse.geojson"
# One font for every map text, whatever font stack MapLibre asks for: plotly names its own
# stack for text layers, and static/ holds Noto Sans alone. MapLibre requires the
# {fontstack} token, so it goes in a query string the static server ignores.
GLYPHS = "fonts/Noto Sans Regular/{range}.pbf?stack={fontstack}"
#: The live map's outlines as vector tiles, answered by the server (`server.OutlineTiles`).
OUTLINE_TILES = f"{OUTLINES_ROUTE}/{{z}}/{{x}}/{{y}}.pbf"
#: Set to a MapLibre style name (e.g. "open-street-map") to use online tiles instead.
TILES_ENV = "WARLENS_MAP_TILES"
#: What one mark on the map stands for.
STORY_KEY = ("One mark per story (a real-world event as every outlet reported it), at the "
             "place its reports name most, sized by its number of reports and coloured by "
             "its most frequent type. Click a story to compare its reports.")
LABEL_LIMIT = 40


def town_labels(events: pd.DataFrame) -> pd.DataFrame:
    """Names of the largest towns around the events, so the offline map orients a reader."""
    located = events.dropna(subset=[Col.LAT, Col.LON])
    if located.empty:
        return pd.DataFrame(columns=["name", "lat", "lon"])
    south, north = located[Col.LAT].min(), located[Col.LAT].max()
    west, east = located[Col.LON].min(), located[Col.LON].max()
    pad = max(0.6, (north - south) * 0.3, (east - west) * 0.3)
    towns = get_gazetteer().in_bbox(south - pad, west - pad, north + pad, east + pad,
                                    limit=LABEL_LIMIT)
    # The events' own places are labelled first, then the towns around them.
    own = (located[located[Col.PRECISION].isin(("exact", "settlement"))]
           .drop_duplicates(Col.PLACE_NAME)
           .rename(columns={Col.PLACE_NAME: "name", Col.LAT: "lat", Col.LON: "lon"}))
    named = set(own["name"])
    around = pd.DataFrame([{"name": t.name, "lat": t.lat, "lon": t.lon}
                           for t in towns if t.name not in named], columns=["name", "lat", "lon"])
    return pd.concat([own[["name", "lat", "lon"]], around], ignore_index=True)


def draw(view: View) -> None:
    """The map; selecting points filters every view to those places."""
    st.title("Map")
    marks = display_control(
        view, "marks", help="One mark per place, or one per story (a real-world event as "
                            "every outlet reported it), sized by its number of reports.")
    if marks == "stories":
        _draw_stories(view)
        return
    fig, missing = map_figure(view)
    st.caption(figures.MAP_KEY + " Select places (click, box or lasso) to filter every view.")
    if fig is None:
        st.info("No event in this view has a known location.")
    else:
        chosen = chart(fig, key="map_chart", modes=("points", "box", "lasso"), scroll_zoom=True)
        places = _selected_places(chosen, set(view.vocab.places.values()))
        if places and tuple(sorted(places)) != tuple(sorted(view.filters.places)):
            common.go(view, replace(view.filters.without_selection(),
                                    places=tuple(sorted(places))))
    if missing:
        st.caption(f"{missing:,} event(s) in view have no known location and are not on the map.")
    if view.filters.places:
        st.page_link(common.MAP_PAGE, label="Clear the place filter", icon=":material/close:",
                     query_params=view.link(replace(view.filters, places=())))
    common.draw_downloads(view, claims=False)
    share_box(view)


def map_figure(view: View) -> tuple[go.Figure | None, int]:
    """The map of the places in view and how many events in view have no location,
    built once per view for every session (and for the first view's sketch)."""
    tiles = os.environ.get(TILES_ENV) or None
    return common.built_once(view, "map", (view.limits.map_places, tiles, static_url("")),
                             lambda: _places_map(view, tiles))


def outline_file(fig: go.Figure) -> str:
    """The static/ GeoJSON of the country outlines this map opens on (a sketch draws it)."""
    layers = fig.layout.map.layers or ()
    sources = [str(layer.source) for layer in layers if isinstance(layer.source, str)]
    if any(s.endswith(COARSE_BASEMAP) for s in sources):
        return COARSE_BASEMAP
    if sources:
        return BASEMAP
    # Drawn from tiles: the file the same zoom would have opened on.
    zoom = fig.layout.map.zoom
    return COARSE_BASEMAP if zoom is not None and zoom < figures.COARSE_BELOW_ZOOM else BASEMAP


def _outline_tiles() -> str | None:
    """The outlines' tile URL template, when static/ holds their tiles."""
    return app_url(OUTLINE_TILES) if (STATIC / OUTLINE_TILES_FILE).is_file() else None


def _places_map(view: View, tiles: str | None) -> tuple[go.Figure | None, int]:
    """The map of the places in view (None: no event has a location), and how many
    events in view have no known location."""
    # Namesakes by their labels: two Ivanivkas are two dots, and a click picks one.
    located, missing = view.source.map_events(view.filters)
    if located.empty:
        return None, missing
    return figures.make_map(located, basemap_url=static_url(BASEMAP),
                            coarse_basemap_url=static_url(COARSE_BASEMAP),
                            labels=town_labels(located), max_points=view.limits.map_places,
                            tile_style=tiles, glyphs_url=static_url(GLYPHS),
                            outline_tiles=_outline_tiles()), missing


def story_map_figure(view: View) -> go.Figure | None:
    """The map of the stories in view (None: no story has a located event), one mark per
    story, built once per view for every session (and for the first view's sketch)."""
    tiles = os.environ.get(TILES_ENV) or None

    def build() -> go.Figure | None:
        points = view.source.story_points(view.filters)
        if points.empty:
            return None
        return figures.make_map(points, basemap_url=static_url(BASEMAP),
                                coarse_basemap_url=static_url(COARSE_BASEMAP),
                                max_points=view.limits.map_places, tile_style=tiles,
                                glyphs_url=static_url(GLYPHS), outline_tiles=_outline_tiles(),
                                units=(("report", "reports"), "of", ("story", "stories")))

    return common.built_once(view, "story map",
                             (view.limits.map_places, tiles, static_url("")), build)


def _draw_stories(view: View) -> None:
    """One mark per story in view, at the place its reports name most, sized by reports."""
    fig = story_map_figure(view)
    st.caption(STORY_KEY)
    if fig is None:
        st.info("No story in this view has a located event.")
    else:
        chosen = chart(fig, key="map_story_chart", scroll_zoom=True)
        picked = _selected_places(chosen, set(view.vocab[query.P_STORY].values()))
        if picked:  # a story's mark opens that story
            st.switch_page(STORIES_PAGE, query_params=view.link(replace(
                view.filters.without_selection(), stories=(picked[0],))))
    common.draw_downloads(view, claims=False)
    share_box(view)


def _selected_places(points: list[dict], known: set[str]) -> list[str]:
    names = []
    for point in points:
        data = point.get("customdata")
        name = data[0] if isinstance(data, list | tuple) and data else data
        if isinstance(name, str) and name in known and name not in names:
            names.append(name)
    return names
