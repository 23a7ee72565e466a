"""Tables -> plotly figures: the timeline and the map, as pure functions.

Nothing here knows Streamlit; every builder takes the query's tables and returns
a `go.Figure` that a page hands to the chart element (ui/plot.py). Three promises hold for
every figure:

* Honest dates and places. A day is drawn as a point, a vague date as a range
  with its words; an undated event is never faked onto a date (`undated` lists
  them for the page). A country-level place is drawn as a large translucent
  area, never as a pinpoint.
* Untrusted text is never HTML. Plotly renders a subset of HTML in hovers and
  labels, so every string that comes from the data passes through
  `escape_hover`.
* Offline by default. No figure refers to a CDN or tile server unless the
  caller passes one; the map draws country outlines from a GeoJSON file the
  app serves itself.

`customdata[0]` of every selectable point is the key a page maps a selection
back with: the event key (or claim key, or article id) on the timeline, the
place name on the map.
"""

from __future__ import annotations

import html
import math
import re
import textwrap
from collections.abc import Sequence
from functools import lru_cache
from typing import Literal

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from warlens.limits import Limits
from warlens.model import (
    EVENT_TYPE_COLOURS,
    EVENT_TYPE_LABELS,
    EVENT_TYPES,
    STANCE_SYMBOLS,
    STANCES,
    Col,
)

# --- text ------------------------------------------------------------------------------------

#: Characters of a quote (or any data text) shown in a hover.
HOVER_MAX = 300
#: Characters per hover line before wrapping, so a long quote does not span the screen.
HOVER_WIDTH = 72
#: Hover strings remembered across reruns (about 40 MB at most).
HOVER_MEMO = 200_000
#: Bidi embedding/override/isolate controls: they can make a hover read backwards.
_BIDI_RE = re.compile("[\u202a-\u202e\u2066-\u2069]")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]+")
_ELLIPSIS = "…"


def _plain(text: object, limit: int) -> str:
    """Text without bidi controls or line breaks, cut to `limit` characters."""
    if text is None or (isinstance(text, float) and math.isnan(text)) or text is pd.NA:
        return ""
    clean = _CONTROL_RE.sub(" ", _BIDI_RE.sub("", str(text))).strip()
    if len(clean) > limit:
        clean = clean[: max(limit - 1, 0)].rstrip() + _ELLIPSIS
    return clean


def _escape(text: str) -> str:
    # Plotly decodes numeric entities but not &quot;, so quotes become numeric ones.
    return html.escape(text, quote=False).replace('"', "&#34;").replace("'", "&#39;")


def escape_hover(text: object, limit: int = HOVER_MAX) -> str:
    """Data text made safe for a plotly hover or label.

    HTML-escaped (plotly renders <b>, <a href>, <br> ... from any string),
    cut to `limit` characters with an ellipsis, bidi overrides removed and
    control characters turned into spaces. None and NaN become "".
    """
    if isinstance(text, str):
        return _escaped_text(text, limit)
    return _escape(_plain(text, limit))


def _hover_block(text: object, limit: int = HOVER_MAX, width: int = HOVER_WIDTH) -> str:
    """Like `escape_hover`, wrapped onto several hover lines with <br>."""
    if isinstance(text, str):
        return _wrapped_text(text, limit, width)
    lines = textwrap.wrap(_plain(text, limit), width) or [""]
    return "<br>".join(_escape(line) for line in lines)


# Hover text is rebuilt for the same items on every rerun (a filter click redraws the
# chart); remembering it makes a rerun's figure several times faster. Pure functions of
# their arguments, so the memo can never be stale.
@lru_cache(maxsize=HOVER_MEMO)
def _escaped_text(text: str, limit: int) -> str:
    return _escape(_plain(text, limit))


@lru_cache(maxsize=HOVER_MEMO)
def _wrapped_text(text: str, limit: int, width: int) -> str:
    lines = textwrap.wrap(_plain(text, limit), width) or [""]
    return "<br>".join(_escape(line) for line in lines)


def _escape_all(values: pd.Series, limit: int = HOVER_MAX) -> list[str]:
    return [escape_hover(v, limit) for v in values]


# --- colours and symbols ------------------------------------------------------------------------

#: One fixed colour per event type (Okabe-Ito based, colour-blind safe), so a type
#: keeps its colour in every view, whatever the filters leave in.
TYPE_COLOURS: dict[str, str] = EVENT_TYPE_COLOURS  # model.EVENT_TYPE_TABLE
OTHER_TYPE = "other"
#: Claim marker symbol per stance (model.STANCE_TABLE).
CLAIM_COLOUR = "#333333"
CONTESTED_COLOUR = "#E3000F"
PUBLISHED_COLOUR = "#6B6B6B"
GRID_COLOUR = "#E6E6E6"
LAND_COLOUR = "#F3F1EC"
BORDER_COLOUR = "#9A9A9A"
LABEL_COLOUR = "#8A8A8A"
FONT = "Inter, system-ui, sans-serif"
TEXT_COLOUR = "#31333F"
#: Every figure's template, written out: the defaults a figure does not set itself. (An
#: app that imports Streamlit has Streamlit's template as plotly's default, whose colours
#: are placeholders only Streamlit's own chart element fills in.)
TEMPLATE = {"layout": {
    "font": {"color": TEXT_COLOUR},
    "colorway": ["#1F77B4", "#FF7F0E", "#2CA02C", "#D62728", "#9467BD", "#8C564B",
                 "#E377C2", "#7F7F7F", "#BCBD22", "#17BECF"],
    "xaxis": {"gridcolor": GRID_COLOUR, "zerolinecolor": GRID_COLOUR, "linecolor": GRID_COLOUR,
              "automargin": True},
    "yaxis": {"gridcolor": GRID_COLOUR, "zerolinecolor": GRID_COLOUR, "linecolor": GRID_COLOUR,
              "automargin": True},
}}

# --- timeline ------------------------------------------------------------------------------------

GroupBy = Literal["place", "article", "type", "story"]
DAY = pd.Timedelta(days=1)
MS_PER_DAY = 86_400_000
#: At most this many publication lines; more articles are markers on the "Published" row.
MAX_PUBLICATION_LINES = 20
#: Overlapping events in one group are spread over at most this many lanes.
MAX_LANES = 8
#: Aggregated bins tried in turn until there are at most MAX_BINS of them.
MAX_BINS = 600
_BINS: tuple[tuple[str, str], ...] = (("W-SUN", "week"), ("M", "month"), ("Y", "year"))
ROW_PX, MIN_HEIGHT, MAX_HEIGHT = 28, 300, 1400
#: At most this many rows; the groups with the fewest items share one last row, counted.
MAX_ROWS = 25
#: Height (in lane units) of one slot of claim markers above an event's bar.
CLAIM_SLOT = 0.5
#: Claims about one event get at most this many slots; more share the last, counted.
MAX_CLAIM_SLOTS = 6
#: Items this short (a day, a week) decide where the timeline opens; longer vague
#: ranges ("for months") are drawn whole but never set the scale.
FOCUS_SPAN = pd.Timedelta(days=7)
#: The share of those items the opening view holds, and its narrowest width.
FOCUS_SHARE, FOCUS_MIN = 0.8, pd.Timedelta(days=10)
#: Above this many points the overview strip (a second drawing of them) is left out.
OVERVIEW_MAX_POINTS = 400
#: Words a caption uses for each claim symbol, so caption and legend say the same.
STANCE_SHAPES: dict[str, str] = {
    "asserts": "▲ asserts", "denies": "▼ denies", "doubts": "✕ doubts",
    "estimates": "■ estimates", "assesses": "● assesses",
}
#: What the timeline page's caption says, in the legend's own shapes.
TIMELINE_KEY = ("Bars span what the text allows: a vague date is a pale bar across its whole "
                "range, an exact day a ◆ diamond. Claims sit just above what they are about, "
                "at the date they were made: " + ", ".join(STANCE_SHAPES.values())
                + " (outlined red when contested). Dashed lines and the Published row mark "
                  "publication.")
#: The caption's words when the timeline opens on part of the span.
TIMELINE_FOCUS_NOTE = ("It opens where most of the dated items are; the strip under the chart "
                       "shows the whole span (drag its handles, or double-click the chart).")
PUBLISHED_ROW = "Published"
NO_PLACE = "No place given"
NO_STORY = "Not linked to a story"
NO_EVENT_ROW = "Claims about no listed event"
UNDATED_PRECISION = "undated"


#: A pre-counted row's column: how many events the row stands for. `make_map`,
#: `make_timeline_counts` and `count_dated` sum it; a frame without it has one event a row,
#: so an engine can hand them its counts (a row per place and type, or per date and type)
#: instead of a row per event.
COUNT = "n"


def weights(rows: pd.DataFrame) -> np.ndarray:
    """How many events each row stands for: its COUNT, or 1 where the frame has none."""
    if COUNT in rows.columns:
        return rows[COUNT].to_numpy(dtype=np.int64)
    return np.ones(len(rows), dtype=np.int64)


def _undated_mask(events: pd.DataFrame) -> pd.Series:
    return events[Col.START].isna() | (events[Col.DATE_PRECISION] == UNDATED_PRECISION)


def undated(events: pd.DataFrame) -> pd.DataFrame:
    """Events without a date, which the timeline leaves out and the page lists apart."""
    return events[_undated_mask(events)]


def _dated(events: pd.DataFrame) -> pd.DataFrame:
    """Dated events, freshly indexed, with `end` filled (a missing end means a single day)."""
    dated = events[~_undated_mask(events)].reset_index(drop=True)
    dated[Col.END] = dated[Col.END].fillna(dated[Col.START])
    return dated


def _type_key(value: object) -> str:
    return value if isinstance(value, str) and value in EVENT_TYPES else OTHER_TYPE


def _type_keys(types: pd.Series) -> np.ndarray:
    """`_type_key` of every value at once."""
    known = types.isin(list(EVENT_TYPES)).to_numpy(dtype=bool, na_value=False)
    return np.where(known, types.to_numpy(dtype=object, na_value=None), OTHER_TYPE)


def _iso(values: pd.Series | pd.DatetimeIndex, unit: str = "s") -> np.ndarray:
    """Timestamps as ISO text (to the second, or the day with unit="D"), all at once."""
    return np.datetime_as_string(np.asarray(values, dtype="datetime64[s]"), unit=unit)


def _point_time(start: pd.Series, end: pd.Series) -> pd.Series:
    """Where a date sits as a point: the middle of its inclusive range of days."""
    return start + ((end + DAY) - start) / 2


def _group_labels(table: pd.DataFrame, group_by: GroupBy, titles: dict[str, str]) -> pd.Series:
    """The timeline row of each item, as escaped text."""
    if group_by == "place":
        raw = table[Col.PLACE_NAME].where(table[Col.PLACE_NAME].notna(), NO_PLACE)
    elif group_by == "article":
        raw = table[Col.ARTICLE].map(lambda a: titles.get(a, a))
    elif group_by == "story":
        raw = table[Col.STORY].where(table[Col.STORY].fillna("") != "", NO_STORY)
    else:
        raw = table[Col.TYPE].map(lambda t: EVENT_TYPE_LABELS[_type_key(t)])
    return pd.Series([escape_hover(v, 60) or NO_PLACE for v in raw], index=table.index,
                     dtype=object)


def _lanes(dated: pd.DataFrame) -> np.ndarray:
    """Each item's lane within its row (`_group`), items taken in table order."""
    codes = pd.factorize(dated["_group"])[0]
    order = np.argsort(codes, kind="stable")
    starts = dated[Col.START].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    ends = dated[Col.END].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    lanes = np.zeros(len(dated), dtype=np.int64)
    for rows in np.split(order, np.flatnonzero(np.diff(codes[order])) + 1):
        lanes[rows] = _assign_lanes(starts[rows].tolist(), ends[rows].tolist())
    return lanes


def _assign_lanes(starts: Sequence, ends: Sequence) -> list[int]:
    """Greedy interval packing: the first lane free by each item's start (ends inclusive)."""
    lane_ends: list = []
    lanes: list[int] = []
    for start, end in zip(starts, ends, strict=True):
        for lane, busy_until in enumerate(lane_ends):
            if busy_until < start:
                lane_ends[lane] = end
                lanes.append(lane)
                break
        else:
            if len(lane_ends) < MAX_LANES:
                lane_ends.append(end)
                lanes.append(len(lane_ends) - 1)
            else:  # too crowded: wrap round and let bars overlap translucently
                lane = len(lanes) % MAX_LANES
                lane_ends[lane] = max(lane_ends[lane], end)
                lanes.append(lane)
    return lanes


def _keys(table: pd.DataFrame) -> np.ndarray:
    """customdata of selectable timeline points: [key] per row."""
    return table[Col.KEY].astype(str).to_numpy(dtype=object).reshape(-1, 1)


# Each point's hover is one escaped string, not eight customdata fields for a template:
# plotly deep-copies a figure's data twice on its way to the browser and writes every
# field as JSON, so a 2,000-bar timeline spent more time on them than on everything else.
def _event_hovers(events: pd.DataFrame) -> list[str]:
    """Hover text of events: summary, date, place, actors, contested note, quote."""
    return [
        f"<b>{summary}</b><br>{date} · {place or NO_PLACE}<br>Actors: {actors}"
        f"{'<br><b>Contested</b>: asserted and denied' if contested else ''}"
        f"<br><i>“{quote}”</i>"
        for summary, date, place, actors, quote, contested in zip(
            _escape_all(events[Col.SUMMARY]), _escape_all(events[Col.DATE_LABEL], 80),
            _escape_all(events[Col.PLACE_NAME], 80), _escape_all(events[Col.ACTORS], 200),
            [_hover_block(q) for q in events[Col.QUOTE]],
            events[Col.CONTESTED].astype(object).eq(True), strict=True)]


def _claim_hovers(claims: pd.DataFrame, stance: str, contested: np.ndarray) -> list[str]:
    """Hover text of claims of one stance: claimant, claim, date, contested note, quote."""
    return [
        f"<b>{claimant}</b> {stance}:<br>{claim}<br>Said: {date}"
        f"{'<br><b>Contested</b>: another claimant says otherwise' if c else ''}"
        f"<br><i>“{quote}”</i>"
        for claimant, claim, date, quote, c in zip(
            _escape_all(claims[Col.CLAIMANT], 80), [_hover_block(c) for c in claims[Col.CLAIM]],
            _escape_all(claims[Col.DATE_LABEL], 80), [_hover_block(q) for q in claims[Col.QUOTE]],
            contested, strict=True)]


def _hover(extra: str) -> str:
    """A template showing a point's hover text, with `extra` (our own words) beside it."""
    return f"%{{hovertext}}<extra>{extra}</extra>"


PUBLISHED_HOVER = "Published %{customdata[2]}<br><b>%{customdata[1]}</b><extra></extra>"


class _Draft:
    """A figure being assembled as plain dicts: traces, layout, shapes and annotations.

    `figure()` hands them to plotly without its per-property validation, which cost
    most of a rerun's figure time (every value of every per-point array checked in
    Python). The tests validate every figure the builders make instead.
    """

    def __init__(self) -> None:
        self.traces: list[dict] = []
        self.layout: dict = {}
        self.shapes: list[dict] = []
        self.annotations: list[dict] = []

    def trace(self, kind: str, **props: object) -> None:
        """Add a trace; a property given as None is left unset, as plotly would."""
        self.traces.append({"type": kind, **{k: v for k, v in props.items() if v is not None}})

    def figure(self) -> go.Figure:
        layout = {"template": TEMPLATE, **self.layout,
                  **({"shapes": self.shapes} if self.shapes else {}),
                  **({"annotations": self.annotations} if self.annotations else {})}
        return go.Figure(data=self.traces, layout=layout, _validate=False)


#: The longest title a phone shows whole: at 390 px, less the page's padding and the
#: toolbar, about 40 characters fit at 15 px. What a title would say beyond it is the
#: figure's note (`note_of`), which the page shows under the chart, where text wraps.
TITLE_MAX_CHARS = 40

#: Room (px) on the right for plotly's toolbar, standing upright there so that it never
#: covers the title or the legend, on a phone either.
TOOLBAR_PX = 36


def _base_layout(fig: _Draft, title: str, height: int, uirevision: str,
                 note: str = "") -> None:
    """Title at the top of the figure, the legend at its very bottom: never over an axis.

    The title is short (TITLE_MAX_CHARS): plotly does not wrap it, and a long one ran off
    a phone's screen. The rest, `note`, rides in the layout's meta for the page to show.

    Both are placed against the figure ("container"), and plotly reserves their room on
    top of the axes' own margins, so however many rows the legend folds into on a narrow
    screen, it sits below the date labels (a legend against the plot covered them, and
    one above the plot covered the title). The toolbar stands upright in a right margin.
    """
    fig.layout.update(
        title={"text": title, "x": 0, "xanchor": "left", "xref": "container", "y": 1,
               "yref": "container", "yanchor": "top", "pad": {"t": 8}, "automargin": True,
               "font": {"size": 15}},
        height=height,
        margin={"l": 10, "r": TOOLBAR_PX, "t": 30, "b": 30},
        font={"family": FONT, "size": 12},
        plot_bgcolor="white",
        paper_bgcolor="white",
        hoverlabel={"align": "left", "bgcolor": "white", "font": {"size": 12}},
        legend={"orientation": "h", "yanchor": "bottom", "y": 0, "x": 0, "xanchor": "left",
                "yref": "container"},
        modebar={"orientation": "v"},
        uirevision=uirevision,
        dragmode="zoom",
    )
    if note:
        fig.layout["meta"] = {"note": note}


def note_of(fig: go.Figure) -> str:
    """What `fig` says beyond its short title, for the page to show under it ("" if none)."""
    meta = fig.layout.meta
    return str(meta.get("note", "")) if isinstance(meta, dict) else ""


def _padded_range(times: list[pd.Timestamp]) -> list[pd.Timestamp]:
    lo, hi = min(times), max(times)
    pad = max((hi - lo) * 0.03, pd.Timedelta(days=2))
    return [lo - pad, hi + pad]


def _iso_range(bounds: Sequence[pd.Timestamp]) -> list[str]:
    return [pd.Timestamp(t).isoformat() for t in bounds]


def focus_range(points: Sequence[pd.Timestamp]) -> list[pd.Timestamp] | None:
    """Where the timeline opens: the narrowest span holding FOCUS_SHARE of `points`.

    `points` are the short items (days, weeks, claims, publications). None when they
    are spread out anyway (the narrowest such span is over half of them all), so a
    corpus of many days opens on all of them and a story opens on its days.
    """
    values = np.sort(np.asarray(pd.DatetimeIndex(list(points)).dropna(), dtype="datetime64[ns]"))
    if not len(values):
        return None
    k = max(1, math.ceil(FOCUS_SHARE * len(values)))
    widths = values[k - 1:] - values[:len(values) - k + 1]
    i = int(np.argmin(widths))
    lo, hi = pd.Timestamp(values[i]), pd.Timestamp(values[i + k - 1])
    full = pd.Timestamp(values[-1]) - pd.Timestamp(values[0])
    if k < len(values) and (hi - lo) > full / 2:
        lo, hi = pd.Timestamp(values[0]), pd.Timestamp(values[-1])
    pad = max((hi - lo) * 0.1, pd.Timedelta(days=2))
    lo, hi = lo - pad, hi + pad
    if hi - lo < FOCUS_MIN:
        middle = lo + (hi - lo) / 2
        lo, hi = middle - FOCUS_MIN / 2, middle + FOCUS_MIN / 2
    return [lo, hi]


#: The article columns `make_timeline_counts` reads (with COUNT, if counted).
TIMELINE_PUBLICATION_COLUMNS = (Col.PUBLISHED_START, Col.PUBLISHED_END)


def _publications(articles: pd.DataFrame) -> pd.DataFrame:
    """Dated articles with the point their publication is drawn at."""
    pubs = articles[articles[Col.PUBLISHED_START].notna()].copy()
    end = pubs[Col.PUBLISHED_END].fillna(pubs[Col.PUBLISHED_START])
    pubs["_x"] = _point_time(pubs[Col.PUBLISHED_START], end)
    return pubs


def _add_publications(fig: _Draft, pubs: pd.DataFrame, y: float | None,
                      x_lo: pd.Timestamp, x_hi: pd.Timestamp) -> None:
    """Publication dates: a dashed line each when few, and a "Published" row of markers.

    Without the row (the counted timeline) a short word names each line, inside the
    plot, running away from the nearer edge of the view. The titles are in the hovers:
    a title on the chart was cut off at the edges, and covered the row labels on a phone.
    """
    if pubs.empty:
        return
    if COUNT in pubs.columns:  # counted dates (the counted timeline): a line per article
        if int(weights(pubs).sum()) > MAX_PUBLICATION_LINES:
            return
        pubs = pubs.loc[pubs.index.repeat(weights(pubs))]
    labels = pubs.get(Col.PUBLISHED_LABEL, pubs[Col.PUBLISHED_START].dt.strftime("%Y-%m-%d"))
    if len(pubs) <= MAX_PUBLICATION_LINES:
        middle = x_lo + (x_hi - x_lo) / 2
        for x in pubs["_x"]:
            fig.shapes.append({
                "type": "line", "xref": "x", "yref": "paper", "x0": x.isoformat(),
                "x1": x.isoformat(), "y0": 0, "y1": 1, "layer": "below",
                "line": {"color": PUBLISHED_COLOUR, "width": 1, "dash": "dash"}})
            if y is None:  # no Published row to say what the line is: a word beside it
                right = x > middle
                fig.annotations.append({
                    "x": x.isoformat(), "xref": "x", "y": 1, "yref": "paper", "yanchor": "top",
                    "text": "published", "showarrow": False,
                    "xanchor": "right" if right else "left", "xshift": -4 if right else 4,
                    "font": {"size": 10, "color": PUBLISHED_COLOUR}})
    if y is None:
        return
    fig.trace(
        "scatter", x=_iso(pubs["_x"]), y=[y] * len(pubs), mode="markers", name=PUBLISHED_ROW,
        showlegend=False,  # the row's own label says what it is
        marker={"symbol": "line-ns-open", "size": 14, "color": PUBLISHED_COLOUR,
                "line": {"width": 2, "color": PUBLISHED_COLOUR}},
        customdata=np.column_stack([
            pubs[Col.ARTICLE].astype(str).to_numpy(dtype=object),
            _escape_all(pubs[Col.TITLE], 200),
            _escape_all(labels.fillna(""), 80),
        ]),
        hovertemplate=PUBLISHED_HOVER,
    )


#: The columns `make_timeline` reads of the events, claims and articles.
TIMELINE_EVENT_COLUMNS = (Col.KEY, Col.ARTICLE, Col.SUMMARY, Col.TYPE, Col.START, Col.END,
                          Col.DATE_PRECISION, Col.DATE_LABEL, Col.PLACE_NAME, Col.ACTORS,
                          Col.QUOTE, Col.CONTESTED, Col.STORY)
TIMELINE_CLAIM_COLUMNS = (Col.KEY, Col.ARTICLE, Col.EVENT, Col.CLAIMANT, Col.STANCE, Col.CLAIM,
                          Col.START, Col.END, Col.DATE_LABEL, Col.QUOTE, Col.PLACE_NAME,
                          Col.CONTESTED, Col.STORY)
TIMELINE_ARTICLE_COLUMNS = (Col.ARTICLE, Col.TITLE, Col.PUBLISHED_START, Col.PUBLISHED_END,
                            Col.PUBLISHED_LABEL)
#: The event columns `make_timeline_counts` and `count_dated` read (with COUNT, if counted).
TIMELINE_COUNT_COLUMNS = (Col.ARTICLE, Col.TYPE, Col.START, Col.END, Col.DATE_PRECISION)
#: The `meta` of the traces that mark the middle of date ranges (they repeat the bars' items).
RANGE_TICK = "range-tick"


def count_dated(events: pd.DataFrame) -> int:
    """How many events the timeline would place on a date (rows weighed by COUNT)."""
    return int(weights(events)[~_undated_mask(events).to_numpy(dtype=bool)].sum())


def make_timeline(events: pd.DataFrame, claims: pd.DataFrame, articles: pd.DataFrame, *,
                  group_by: GroupBy = "place",
                  max_bars: int = Limits.timeline_bars) -> go.Figure:
    """A timeline of dated events, the claims about them and the articles' publication dates.

    One row per place, article, event type or story. An event dated to a day is a
    diamond; a vague date is a translucent bar across its whole range with its
    words ("the end of January") on it. Claims are marked at the date they were
    made, on their event's row, one symbol per stance, contested ones outlined
    red. Above `max_bars` dated events it shows `make_timeline_counts` instead.
    """
    if group_by not in ("place", "article", "type", "story"):
        raise ValueError(f"group_by must be place, article, type or story, not {group_by!r}")
    dated = _dated(events)
    pubs = _publications(articles)
    if len(dated) > max_bars:
        return _aggregated_timeline(dated, pubs)
    titles = {a: t for a, t in zip(articles[Col.ARTICLE], articles[Col.TITLE], strict=True)
              if isinstance(t, str)}
    fig = _Draft()
    dated = dated.sort_values([Col.START, Col.END, Col.KEY], ignore_index=True)
    dated["_group"] = _group_labels(dated, group_by, titles)

    # Claims go on their event's row (even when the event itself is undated).
    claims = claims[claims[Col.START].notna()].reset_index(drop=True)
    claims[Col.END] = claims[Col.END].fillna(claims[Col.START])
    claims["_x"] = _point_time(claims[Col.START], claims[Col.END])
    event_rows = _group_labels(events, group_by, titles)
    by_key = dict(zip(events[Col.KEY], event_rows, strict=True))
    own = _group_labels(claims, group_by, titles) if group_by != "type" else None
    claims["_group"] = [
        by_key.get(ev) or (own[i] if own is not None else NO_EVENT_ROW)
        for i, ev in zip(claims.index, claims[Col.EVENT], strict=True)
    ]

    _fold_rows(dated, claims, group_by)

    # Rows in order of their first date (the folded rest last); each row is as many lanes
    # tall as it needs, each lane as tall as the claims stacked above its bars.
    firsts = pd.concat([dated.groupby("_group")[Col.START].min(),
                        claims.groupby("_group")[Col.START].min()]).groupby(level=0).min()
    if group_by == "type":
        order = {EVENT_TYPE_LABELS[t]: i for i, t in enumerate(EVENT_TYPES)}
        groups = sorted(firsts.index, key=lambda g: (order.get(g, len(order)), g))
    else:
        groups = sorted(firsts.index, key=lambda g: (g.startswith(_REST_MARK), firsts[g], g))
    dated["_lane"] = _lanes(dated)
    claims["_slot"], claims["_anchor"] = _claim_slots(claims, dated)
    n_lanes = dated.groupby("_group")["_lane"].max().add(1)
    lane_of = dict(zip(dated[Col.KEY], zip(dated["_group"], dated["_lane"], strict=True),
                       strict=True))
    slots_needed: dict[tuple[str, int], int] = {}
    for anchor, slot, group in zip(claims["_anchor"], claims["_slot"], claims["_group"],
                                   strict=True):
        where = lane_of.get(anchor, (group, 0))
        slots_needed[where] = max(slots_needed.get(where, 0), slot + 1)
    offsets: dict[str, float] = {}
    lane_y: dict[tuple[str, int], float] = {}
    ticks: list[float] = []
    top = 0.0
    for group in groups:
        offsets[group] = top
        for lane in range(int(n_lanes.get(group, 1))):
            slots = slots_needed.get((group, lane), 0)
            lane_y[(group, lane)] = top + (0.3 + CLAIM_SLOT * slots if slots else 0.0)
            top = lane_y[(group, lane)] + 1
        ticks.append((lane_y[(group, 0)] + top - 1) / 2)
        top += 0.6
    dated["_y"] = [lane_y[(g, lane)] for g, lane in zip(dated["_group"], dated["_lane"],
                                                         strict=True)]
    lane_width = 0.7

    # Every per-point value computed once for all events, then picked by position for
    # each trace: slicing the table per type and per bar kind copied it a dozen times.
    is_day = (dated[Col.END] == dated[Col.START]).to_numpy()
    type_keys = _type_keys(dated[Col.TYPE])
    keys, hovers = _keys(dated), np.array(_event_hovers(dated), dtype=object)
    y = dated["_y"].to_numpy(float)
    starts_iso, middles_iso = _iso(dated[Col.START]), _iso(_point_time(dated[Col.START],
                                                                        dated[Col.END]))
    span_ms = (((dated[Col.END] + DAY) - dated[Col.START]) / pd.Timedelta(milliseconds=1)
               ).to_numpy(float)
    bar_text = (np.array(_escape_all(dated[Col.DATE_LABEL], 40), dtype=object)
                if len(dated) <= 300 else None)
    for type_key in EVENT_TYPES:
        of_type = type_keys == type_key
        ranges, days = np.flatnonzero(of_type & ~is_day), np.flatnonzero(of_type & is_day)
        colour, label = TYPE_COLOURS[type_key], EVENT_TYPE_LABELS[type_key]
        if len(ranges):
            fig.trace(
                "bar", orientation="h", base=starts_iso[ranges], x=span_ms[ranges],
                y=y[ranges], width=lane_width, name=label, legendgroup=type_key,
                marker={"color": colour, "opacity": 0.35,
                        "line": {"color": colour, "width": 1.5}},
                text=None if bar_text is None else bar_text[ranges],
                # At the end: a range that runs off the view to the left (the months before
                # a city fell) keeps its words in view.
                textposition="inside", insidetextanchor="end",
                textfont={"color": "#222222", "size": 10},
                customdata=keys[ranges], hovertext=hovers[ranges],
                hovertemplate=_hover(label),
            )
            # A tick at the middle of every range, so a short range on a long axis (the
            # two days of a city's fall beside a year of fighting) still shows and clicks.
            fig.trace(
                "scatter", x=middles_iso[ranges], y=y[ranges], mode="markers", name=label,
                legendgroup=type_key, showlegend=False, meta=RANGE_TICK,
                marker={"symbol": "line-ns-open", "size": 16, "color": colour,
                        "line": {"color": colour, "width": 3}},
                customdata=keys[ranges], hovertext=hovers[ranges],
                hovertemplate=_hover(label),
            )
        if len(days):
            fig.trace(
                "scatter", x=middles_iso[days], y=y[days], mode="markers",
                name=label, legendgroup=type_key, showlegend=len(ranges) == 0,
                marker={"symbol": "diamond", "size": 12, "color": colour,
                        "line": {"color": "white", "width": 1}},
                customdata=keys[days], hovertext=hovers[days], hovertemplate=_hover(label),
            )

    # Claims above their event, one slot per stance (and per claim of one stance on
    # one day), so an assertion and its denial never hide each other.
    event_y = dict(zip(dated[Col.KEY], dated["_y"], strict=True))
    claims["_y"] = [event_y.get(anchor, lane_y.get((g, 0), 0.0)) - 0.55 - CLAIM_SLOT * slot
                    for anchor, g, slot in zip(claims["_anchor"], claims["_group"],
                                               claims["_slot"], strict=True)]
    _count_claim_overflow(fig, claims)
    stances = claims[Col.STANCE].to_numpy(dtype=object)
    contested = claims[Col.CONTESTED].astype(object).eq(True).to_numpy()
    claim_keys, claim_x = _keys(claims), _iso(claims["_x"])
    claim_y = claims["_y"].to_numpy(float)
    # One legend entry for all claims, naming the shapes: on a phone four took four rows.
    present = [s for s in STANCES if (stances == s).any()]
    shapes = [STANCE_SHAPES[s] for s in present]
    claims_entry = ("Claims: " + "  ".join(shapes[:2])
                    + ("<br>" + "  ".join(shapes[2:]) if len(shapes) > 2 else ""))
    for stance in present:
        said = np.flatnonzero(stances == stance)
        hot = contested[said]
        fig.trace(
            "scatter", x=claim_x[said], y=claim_y[said], mode="markers",
            name=claims_entry, legendgroup="claims", showlegend=stance == present[0],
            marker={"symbol": STANCE_SYMBOLS[stance], "size": 10, "color": CLAIM_COLOUR,
                    "line": {"color": np.where(hot, CONTESTED_COLOUR, "white").astype(object),
                             "width": np.where(hot, 2.5, 1.0)}},
            customdata=claim_keys[said],
            hovertext=_claim_hovers(claims.iloc[said], stance, hot),
            hovertemplate=_hover("Claim"),
        )

    times = (list(dated[Col.START]) + list(dated[Col.END] + DAY) + list(claims["_x"])
             + list(pubs["_x"]))
    full = _padded_range(times) if times else None
    short = dated[(dated[Col.END] + DAY - dated[Col.START]) <= FOCUS_SPAN]
    view = focus_range([*_point_time(short[Col.START], short[Col.END]), *claims["_x"],
                        *pubs["_x"]]) if times else None
    if view is None or full is None or (view[0] <= full[0] and view[1] >= full[1]):
        view = full
    pub_y = -1.2 if len(pubs) else None
    if view is not None:
        _add_publications(fig, pubs, pub_y, view[0], view[1])
    if view is not None and view is not full:
        _note_rows_out_of_view(fig, dated, claims, dict(zip(groups, ticks, strict=True)), view)
    tickvals = ([pub_y] if pub_y is not None else []) + ticks
    ticktext = ([PUBLISHED_ROW] if pub_y is not None else []) + list(groups)
    # Lane separators as plain shapes (add_hline re-validated every shape already in the
    # figure: 100 groups took minutes, quadratic in the shapes).
    fig.shapes.extend(
        {"type": "line", "xref": "x domain", "x0": 0, "x1": 1, "yref": "y",
         "y0": offsets[group] - 0.8, "y1": offsets[group] - 0.8,
         "line": {"color": GRID_COLOUR, "width": 1}, "layer": "below"}
        for group in groups[1:])

    n_undated = len(events) - len(dated)
    title = f"{len(dated):,} dated event{'s' * (len(dated) != 1)}"
    note = (f"{n_undated:,} undated event{'s are' if n_undated != 1 else ' is'} listed "
            "below the chart." if n_undated else "")
    # Opened on part of the span: a strip under the axis shows all of it, and its
    # handles move the view (unless the points are too many to draw twice).
    overview = (view is not full and len(dated) + len(claims) <= OVERVIEW_MAX_POINTS)
    lanes_total = top + (1.5 if pub_y is not None else 0)
    height = int(min(MAX_HEIGHT, max(MIN_HEIGHT, 220 + ROW_PX * lanes_total
                                     + (70 if overview else 0))))
    _base_layout(fig, title, height, uirevision=f"timeline:{group_by}", note=note)
    fig.layout.update(
        barmode="overlay", uniformtext={"minsize": 9, "mode": "hide"},
        xaxis={"type": "date", "showgrid": True, "gridcolor": GRID_COLOUR,
               **({"range": _iso_range(view)} if view is not None else {}),
               **({"rangeslider": {"visible": True, "thickness": 0.1,
                                   "range": _iso_range(full)}} if overview else {})},
        yaxis={"tickvals": tickvals, "ticktext": ticktext, "autorange": "reversed",
               "showgrid": False, "zeroline": False, "fixedrange": overview})
    if not times:
        fig.annotations.append({"text": "No dated events in view", "showarrow": False,
                                "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5})
    return fig.figure()


def _note_rows_out_of_view(fig: _Draft, dated: pd.DataFrame, claims: pd.DataFrame,
                           row_y: dict[str, float], view: list[pd.Timestamp]) -> None:
    """A row with nothing in the opening view says, at the edge, where its items are."""
    spans = pd.concat([
        pd.DataFrame({"g": dated["_group"], "lo": dated[Col.START], "hi": dated[Col.END] + DAY}),
        pd.DataFrame({"g": claims["_group"], "lo": claims["_x"], "hi": claims["_x"]})])
    for group, rows in spans.groupby("g", sort=False):
        seen = (rows["hi"] >= view[0]) & (rows["lo"] <= view[1])
        if seen.any() or group not in row_y:
            continue
        earlier = int((rows["hi"] < view[0]).sum())
        later = len(rows) - earlier
        text = " · ".join([*([f"◀ {earlier:,} earlier"] if earlier else []),
                           *([f"{later:,} later ▶"] if later else [])])
        fig.annotations.append({
            "x": 0 if earlier else 1, "xref": "paper", "xanchor": "left" if earlier else "right",
            "y": row_y[group], "yref": "y", "text": text, "showarrow": False,
            "font": {"size": 10, "color": PUBLISHED_COLOUR}})


#: Starts the label of the row that holds the groups beyond MAX_ROWS.
_REST_MARK = "+ "
_GROUP_NOUNS = {"place": "places", "article": "articles", "type": "types", "story": "stories"}


def _fold_rows(dated: pd.DataFrame, claims: pd.DataFrame, group_by: GroupBy) -> None:
    """Above MAX_ROWS rows, the groups with the fewest items share one last row, counted."""
    counts = pd.concat([dated["_group"], claims["_group"]]).value_counts(sort=False)
    if len(counts) <= MAX_ROWS:
        return
    ranked = sorted(counts.index, key=lambda g: (-counts[g], g))
    rest = set(ranked[MAX_ROWS - 1:])
    label = (f"{_REST_MARK}{len(rest):,} other {_GROUP_NOUNS[group_by]} "
             f"({int(counts[list(rest)].sum()):,} items)")
    for table in (dated, claims):
        table["_group"] = table["_group"].where(~table["_group"].isin(rest), label)


def _count_claim_overflow(fig: _Draft, claims: pd.DataFrame) -> None:
    """Where more claims share an event's last slot than one, a count beside it says so."""
    last = claims[claims["_slot"] == MAX_CLAIM_SLOTS - 1]
    for (_, y), rows in last.groupby(["_anchor", "_y"], sort=False):
        if len(rows) > 1:
            fig.annotations.append({
                "x": rows["_x"].max().isoformat(), "xref": "x", "y": y, "yref": "y",
                "text": f"{len(rows):,} here", "showarrow": False, "xanchor": "left",
                "xshift": 8, "font": {"size": 10, "color": CLAIM_COLOUR}})


def _claim_slots(claims: pd.DataFrame, dated: pd.DataFrame) -> tuple[list[int], list[str]]:
    """Each claim's slot above what it is about (0 nearest the bar), and that item's key.

    Claims about one event get one slot per stance, in STANCES order, and claims of one
    stance said on the same day one slot each; past MAX_CLAIM_SLOTS they share the last.
    A claim about an undated or unlisted event hangs above its row ("row:<group>").
    """
    known = set(dated[Col.KEY])
    anchors = [ev if ev in known else f"row:{g}"
               for ev, g in zip(claims[Col.EVENT], claims["_group"], strict=True)]
    rank = {s: i for i, s in enumerate(STANCES)}
    days = claims["_x"].dt.floor("D")
    seen: dict[tuple, int] = {}
    pairs: list[tuple[int, int]] = []
    for anchor, stance, day in zip(anchors, claims[Col.STANCE], days, strict=True):
        k = seen.get((anchor, stance, day), 0)
        seen[(anchor, stance, day)] = k + 1
        pairs.append((rank.get(stance, len(rank)), k))
    slot_of: dict[str, dict[tuple[int, int], int]] = {}
    for anchor, pair in zip(anchors, pairs, strict=True):
        slot_of.setdefault(anchor, {})[pair] = 0
    for table in slot_of.values():
        for i, pair in enumerate(sorted(table)):
            table[pair] = min(i, MAX_CLAIM_SLOTS - 1)
    return [slot_of[a][p] for a, p in zip(anchors, pairs, strict=True)], anchors


def make_timeline_counts(events: pd.DataFrame, articles: pd.DataFrame) -> go.Figure:
    """Dated events counted per week (or month, or year) stacked by type, saying so in the
    title: what the timeline shows of more events than a browser can draw as bars.

    Reads only TIMELINE_COUNT_COLUMNS of the events and TIMELINE_PUBLICATION_COLUMNS of
    the articles, and COUNT of either when its rows are already counted (one row per type
    and dates, per publication dates, standing for COUNT events or articles): it draws
    the same.
    """
    return _aggregated_timeline(_dated(events), _publications(articles))


def _aggregated_timeline(dated: pd.DataFrame, pubs: pd.DataFrame) -> go.Figure:
    """Dated events counted per week (month, year when weeks are too many), stacked by type."""
    span_days = (dated[Col.END].max() - dated[Col.START].min()).days + 1
    freq, unit = _BINS[-1]
    for candidate, name in _BINS:
        if span_days / {"week": 7, "month": 30.4, "year": 365.25}[name] <= MAX_BINS:
            freq, unit = candidate, name
            break
    bins = dated[Col.START].dt.to_period(freq).dt.start_time
    types = _type_keys(dated[Col.TYPE])
    counts = (pd.DataFrame({"bin": bins.to_numpy(), "type": types, "n": weights(dated)})
              .groupby(["type", "bin"])["n"].sum())
    fig = _Draft()
    width_days = {"week": 7, "month": 30, "year": 365}[unit]
    for type_key in EVENT_TYPES:
        if type_key not in counts.index.get_level_values(0):
            continue
        per_bin = counts.loc[type_key]
        starts = pd.DatetimeIndex(per_bin.index)
        label = EVENT_TYPE_LABELS[type_key]
        fig.trace(
            "bar", x=_iso(starts), y=per_bin.to_numpy(int), name=label, legendgroup=type_key,
            offset=0, width=width_days * MS_PER_DAY * 0.9,
            marker={"color": TYPE_COLOURS[type_key]},
            customdata=np.column_stack([[type_key] * len(starts),
                                        _iso(starts, "D")]),
            hovertemplate=(f"{label}<br>{unit} of %{{customdata[1]}}: "
                           "<b>%{y:,}</b> events<extra></extra>"),
        )
    times = [dated[Col.START].min(), dated[Col.END].max() + DAY, *pubs["_x"]]
    _add_publications(fig, pubs, None, min(times), max(times))
    title = f"{int(weights(dated).sum()):,} dated events per {unit}"
    note = (f"Aggregated: too many events to draw one by one, so they are counted per {unit} "
            "of their start date. Zoom in or filter to see single events.")
    _base_layout(fig, title, 420, uirevision=f"timeline:aggregated:{unit}", note=note)
    fig.layout.update(
        barmode="stack", bargap=0,
        xaxis={"type": "date", "range": _iso_range(_padded_range(times)), "showgrid": True,
               "gridcolor": GRID_COLOUR},
        yaxis={"title": {"text": f"events per {unit}"}, "gridcolor": GRID_COLOUR,
               "rangemode": "tozero"})
    return fig.figure()


# --- map ---------------------------------------------------------------------------------------

#: The event columns `make_map` reads.
MAP_EVENT_COLUMNS = (Col.LAT, Col.LON, Col.PLACE_NAME, Col.PRECISION, Col.TYPE, Col.SUMMARY)
#: Places finer than this are points; coarser ones are areas (district, region, country).
POINT_PRECISIONS = ("exact", "settlement")
AREA_LABELS = {"district": "district-level location", "region": "region-level location",
               "country": "country-level location"}
#: Marker diameter (px) of an area place: the coarser, the larger, so it never reads as a pin.
AREA_SIZES = {"district": 34, "region": 46, "country": 62}
POINT_SIZE_MIN, POINT_SIZE_MAX = 8, 30
POINT_OPACITY, AREA_OPACITY = 0.9, 0.22
#: The most a view is zoomed in, by the finest precision shown (single point -> city zoom).
MAX_ZOOM = {"exact": 9.0, "settlement": 8.0, "district": 7.0, "region": 6.0, "country": 4.5}
PLACE_ORDER = {p: i for i, p in enumerate(MAX_ZOOM)}
#: The map's height, and the narrowest width it may be drawn at (a phone, less its
#: margins): the opening view fits the data into that, so it fits on any screen.
MAP_HEIGHT, MAP_WIDTH_GUESS = 640, 330
#: Room for the title above the map and the legend below it.
MAP_MARGIN_TOP, MAP_MARGIN_BOTTOM = 50, 110
#: Candidate cell sizes (degrees) for aggregation, finest first.
CELL_SIZES = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)
#: Aim for at most this many cells across the view, so cell markers stay apart.
CELLS_ACROSS = 60
CELL_SIZE_MIN, CELL_SIZE_MAX = 5, 18
N_SUMMARIES = 3
UNNAMED_PLACE = "Unnamed place"

MAP_HOVER = (
    "<b>%{customdata[1]}</b><br>%{customdata[2]}<br>%{customdata[3]}"
    "<br>%{customdata[4]}<extra>%{customdata[5]}</extra>"
)


def _mercator_y(lat: np.ndarray) -> np.ndarray:
    phi = np.radians(np.clip(lat, -85.0, 85.0))
    return np.degrees(np.log(np.tan(np.pi / 4 + phi / 2)))


def _view(lat: np.ndarray, lon: np.ndarray, precisions: Sequence[str]) -> tuple[dict, float]:
    """Centre and zoom that fit the points' bounding box, capped by the finest precision."""
    y = _mercator_y(lat)
    lon_lo, lon_hi, y_lo, y_hi = lon.min(), lon.max(), y.min(), y.max()
    centre_y = (y_lo + y_hi) / 2
    centre_lat = float(np.degrees(2 * np.arctan(np.exp(np.radians(centre_y))) - np.pi / 2))
    span_x = max((lon_hi - lon_lo) * 1.3, 1e-6)
    span_y = max((y_hi - y_lo) * 1.3, 1e-6)
    # MapLibre's world is 512 px wide at zoom 0.
    fit = min(math.log2(360 * MAP_WIDTH_GUESS / (512 * span_x)),
              math.log2(360 * (MAP_HEIGHT - MAP_MARGIN_TOP - MAP_MARGIN_BOTTOM - 20)
                        / (512 * span_y)))
    finest = min((PLACE_ORDER.get(p, len(PLACE_ORDER) - 1) for p in precisions),
                 default=len(PLACE_ORDER) - 1)
    cap = MAX_ZOOM[list(MAX_ZOOM)[finest]]
    zoom = round(max(0.5, min(fit, cap)), 2)
    return {"lat": centre_lat, "lon": float((lon_lo + lon_hi) / 2)}, zoom


def _places(located: pd.DataFrame) -> pd.DataFrame:
    """One row per place: where, how precise, how many events, its dominant type, summaries.

    A row stands for `weights` events; a place's summaries are those of its first rows.
    """
    frame = located.assign(
        _name=located[Col.PLACE_NAME].where(located[Col.PLACE_NAME].notna(), UNNAMED_PLACE),
        _prec=located[Col.PRECISION].where(located[Col.PRECISION].notna(), "settlement"),
        _type=_type_keys(located[Col.TYPE]),
        _w=weights(located),
    )
    keys = [Col.LAT, Col.LON, "_name", "_prec"]
    grouped = frame.groupby(keys, sort=False, dropna=False)
    places = grouped["_w"].sum().rename("n").reset_index()
    dominant = (frame.groupby([*keys, "_type"], sort=False)["_w"].sum().rename("k")
                .reset_index()
                .sort_values("k", ascending=False, kind="stable")
                .drop_duplicates(keys))
    places = places.merge(dominant[[*keys, "_type"]], on=keys, how="left")  # keeps the order
    # Every type at each place, most frequent first: [(type, count), ...].
    mix: dict[tuple, list[tuple[str, int]]] = {}
    ranked = (frame.groupby([*keys, "_type"], sort=False, dropna=False)["_w"].sum()
              .sort_values(ascending=False, kind="stable"))
    for (*where, type_key), k in ranked.items():
        mix.setdefault(tuple(where), []).append((type_key, int(k)))
    places["_types"] = [mix.get(tuple(row), []) for row in
                        places[keys].itertuples(index=False, name=None)]
    # The first summaries of each place, gathered in one pass (a per-group list
    # aggregation runs Python once per place).
    summaries: list[list[object]] = [[] for _ in range(len(places))]
    first = grouped.cumcount().to_numpy() < N_SUMMARIES
    for group, summary in zip(grouped.ngroup().to_numpy()[first],
                              frame[Col.SUMMARY].to_numpy(dtype=object)[first], strict=True):
        summaries[group].append(summary)
    places["_summaries"] = summaries
    return places


def _n_places(located: pd.DataFrame) -> int:
    """How many distinct places `_places` would draw, cheaply."""
    return len(located[[Col.LAT, Col.LON, Col.PLACE_NAME, Col.PRECISION]].drop_duplicates())


def _cells(located: pd.DataFrame, max_points: int) -> tuple[pd.DataFrame, float]:
    """Events counted in grid cells: the finest cell size leaving at most `max_points` cells
    (a row stands for `weights` events)."""
    types = pd.Series(_type_keys(located[Col.TYPE]), index=located.index)
    extent = max(np.ptp(located[Col.LAT].to_numpy()), np.ptp(located[Col.LON].to_numpy()))
    for size in CELL_SIZES:
        if size < extent / CELLS_ACROSS:  # finer than the markers could show apart
            continue
        lat = (located[Col.LAT] / size).round() * size
        lon = (located[Col.LON] / size).round() * size
        if pd.MultiIndex.from_arrays([lat, lon]).nunique() <= max_points or size == CELL_SIZES[-1]:
            break
    frame = pd.DataFrame({Col.LAT: lat, Col.LON: lon, "_type": types,
                          "_w": weights(located)})
    counts = (frame.groupby([Col.LAT, Col.LON, "_type"])["_w"].sum().rename("k")
              .reset_index())
    cells = counts.groupby([Col.LAT, Col.LON])["k"].sum().rename("n").reset_index()
    dominant = counts.sort_values("k", ascending=False, kind="stable").drop_duplicates(
        [Col.LAT, Col.LON])
    cells = cells.merge(dominant[[Col.LAT, Col.LON, "_type"]], on=[Col.LAT, Col.LON])
    cells["_name"] = [f"{size:g}° cell at {la:.2f}, {lo:.2f}"
                      for la, lo in zip(cells[Col.LAT], cells[Col.LON], strict=True)]
    cells["_prec"] = "settlement"
    cells["_summaries"] = [[] for _ in range(len(cells))]
    cells["_types"] = [[] for _ in range(len(cells))]
    return cells, size


def _point_sizes(n: pd.Series, lo: float = POINT_SIZE_MIN,
                 hi: float = POINT_SIZE_MAX) -> np.ndarray:
    """Marker diameters growing with the square root of the count (area ~ events)."""
    scale = np.sqrt(n.to_numpy(float) / max(float(n.max()), 1.0))
    return lo + (hi - lo) * scale


def _summaries_hover(summaries: list[object], n: int) -> str:
    # ASCII marks: plotly's JSON writes every other character as a six-byte escape, and
    # a country's map has a few thousand of these hovers.
    lines = ["- " + escape_hover(s, 100) for s in summaries]
    if n > len(summaries):
        lines.append(f"... and {n - len(summaries):,} more")
    return "<br>".join(lines)


#: Types a hover lists by count at a place of several; the rest are counted.
HOVER_TYPES = 2


def _types_label(types: list[tuple[str, int]], fallback: str) -> str:
    """"Battle" for one type; "Battle 2, Change of territorial control 1" for several."""
    if len(types) <= 1:
        return EVENT_TYPE_LABELS[fallback]
    shown = ", ".join(f"{EVENT_TYPE_LABELS[t]} {k:,}" for t, k in types[:HOVER_TYPES])
    rest = len(types) - HOVER_TYPES
    return shown + (f", {rest} more" if rest > 0 else "")


def _map_customdata(places: pd.DataFrame, aggregated: bool) -> np.ndarray:
    """[place name, shown name, precision note, event count (and types), summaries, type].

    Fields for a template rather than one hover string per place: plotly's JSON writes
    every "<" of a string as "\\u003c", so markup in the template costs nothing per place.
    """
    notes = []
    for prec in places["_prec"]:
        if aggregated:
            notes.append("aggregated grid cell")
        elif prec in AREA_LABELS:
            notes.append(f"{AREA_LABELS[prec]}: somewhere in this area, not at this point")
        else:
            notes.append(escape_hover(prec, 20))
    counts = [f"{n:,} event{'s' if n != 1 else ''}"
              + (f", {len(types)} types: {_types_label(types, t)}" if len(types) > 1 else "")
              for n, types, t in zip(places["n"], places["_types"], places["_type"],
                                     strict=True)]
    return np.column_stack([
        # Pages filter on customdata[0]; a grid cell is no place, so it carries "".
        [""] * len(places) if aggregated else [str(v) for v in places["_name"]],
        _escape_all(places["_name"], 80),
        notes,
        counts,
        [_summaries_hover(s, n) for s, n in zip(places["_summaries"], places["n"],
                                                strict=True)],
        [EVENT_TYPE_LABELS[t] + (" +" if len(types) > 1 else "") for t, types in
         zip(places["_type"], places["_types"], strict=True)],
    ]) if len(places) else np.empty((0, 6), dtype=object)


EMPTY_GEOJSON = {"type": "FeatureCollection", "features": []}
#: The font stack map labels ask the glyphs URL for (static/fonts/ holds its files).
LABEL_FONT = "Noto Sans Regular"


#: Event places named on the map (the busiest first); more would be clutter.
MAP_NAMED_PLACES = 40
#: The inner dot of a place with several types, as a share of the place's dot.
INNER_DOT = 0.45
#: An inner dot smaller than this (px) is not drawn: it could not be seen.
MIN_INNER_PX = 5.0
MIXED_NAME = "Several types (inner dot)"
#: What the map page's caption says, in the legend's own words.
MAP_KEY = ("Dots are towns or exact spots, sized by their number of events and coloured "
           "by their most frequent type; a dot with a smaller dot of another colour inside "
           "holds events of several types. Large pale discs are districts, regions or whole "
           "countries: somewhere in that area, never a pinpoint.")


#: Below this opening zoom (a country or more in view) the coarse outlines do.
COARSE_BELOW_ZOOM = 5.0
#: The outlines' vector tiles (`outline_tiles`): their one layer, and their last zoom
#: (scripts/build_outline_tiles.sh).
OUTLINE_LAYER = "countries"
OUTLINE_MAX_ZOOM = 5


def make_map(events: pd.DataFrame, *, basemap_url: str | None, labels: pd.DataFrame | None = None,
             max_points: int = Limits.map_places, tile_style: str | None = None,
             glyphs_url: str | None = None, coarse_basemap_url: str | None = None,
             outline_tiles: str | None = None,
             units: tuple[tuple[str, str], str, tuple[str, str]] = (
                 ("event", "events"), "at", ("place", "places")),
             ) -> go.Figure:
    """A map of events, one marker per place, sized by count and coloured by dominant type.

    `units` names what a row and a marker stand for, in the title: "52 events at 17
    places"; a map of stories has "52 reports of 17 stories".

    Offline by default: a white background and the country outlines of the
    GeoJSON at `basemap_url` (a URL the app serves, e.g. /app/static/...).
    `tile_style` (an online MapLibre style such as "open-street-map") replaces
    both. Settlements and exact places are solid dots; district, region and
    country places are large translucent discs, named as such in legend and
    hover. A place with events of several types gets an inner dot of its second
    type and says so in its hover. Events without coordinates are left out (the
    page says how many). Above `max_points` places, events are counted in grid
    cells instead.

    Names need font glyphs, which plotly's offline style would fetch from a CDN,
    so they are drawn only when `glyphs_url` (a MapLibre glyphs URL template the
    app serves) is given: an event place's name as text of its own marker, above
    it, and `labels` (name, lat, lon: nearby towns) as a map layer of text. Neither
    is a point of its own, so a click on a place always lands on its events.

    `coarse_basemap_url`, when given, replaces `basemap_url` for a view that opens
    below COARSE_BELOW_ZOOM: simpler outlines, a third of the bytes to fetch and draw.

    `outline_tiles` (a tile URL template, {z}/{x}/{y}, of the same outlines as vector tiles:
    one layer OUTLINE_LAYER, zooms 0 to OUTLINE_MAX_ZOOM) replaces both GeoJSON files in
    the offline style that `glyphs_url` makes: the browser then fetches and draws only the
    few tiles in view, where MapLibre parsed and cut the whole GeoJSON first.

    `events` may be counted already: a row with a COUNT stands for that many events at
    its place, of its type (an engine's counts per place and type), and draws as they
    would; a place's hover lists the summaries of its first rows.
    """
    located = events[events[Col.LAT].notna() & events[Col.LON].notna()].reset_index(drop=True)
    aggregated = _n_places(located) > max_points
    cell = None
    if aggregated:
        places, cell = _cells(located, max_points)
    elif len(located):
        places = _places(located)
    else:
        places = pd.DataFrame({Col.LAT: [], Col.LON: [], "_name": [], "_prec": [], "n": [],
                               "_type": [], "_summaries": [], "_types": []})
    fig = _Draft()
    is_area = places["_prec"].isin(list(AREA_LABELS)) & (not aggregated)
    sizes_range = (CELL_SIZE_MIN, CELL_SIZE_MAX) if aggregated else (POINT_SIZE_MIN,
                                                                     POINT_SIZE_MAX)
    point_sizes = _point_sizes(places["n"], *sizes_range) if len(places) else np.empty(0)
    customdata = _map_customdata(places, aggregated)
    as_text = glyphs_url is not None and not tile_style
    names = np.full(len(places), "", dtype=object)
    if as_text and not aggregated and len(places):
        # Drawn by MapLibre as glyphs, never parsed as HTML: escaping would show "&#39;"
        # in Homyel' and every Ukrainian name with an apostrophe.
        busiest = np.argsort(-places["n"].to_numpy(), kind="stable")[:MAP_NAMED_PLACES]
        for i in busiest:
            if not is_area.iloc[i]:
                names[i] = _plain(places["_name"].iloc[i], 60)

    for area in (True, False):  # areas first, so dots are drawn on top
        for type_key in EVENT_TYPES:
            mask = (is_area == area) & (places["_type"] == type_key)
            if not mask.any():
                continue
            rows = places[mask]
            idx = np.flatnonzero(mask.to_numpy())
            label = EVENT_TYPE_LABELS[type_key]
            if area:
                sizes = [max(AREA_SIZES[p], s * 1.6) for p, s in zip(rows["_prec"],
                                                                   point_sizes[idx], strict=True)]
                name, opacity = f"{label} (an area)", AREA_OPACITY
            else:
                sizes, name, opacity = point_sizes[idx], label, POINT_OPACITY
            text = names[idx] if as_text and not area and any(names[idx]) else None
            fig.trace(
                "scattermap", lat=rows[Col.LAT].to_numpy(float), lon=rows[Col.LON].to_numpy(float),
                # The name is this marker's own text, which plotly sets above the marker
                # by its size: it never sits under a dot, and it is not a point to click.
                mode="markers+text" if text is not None else "markers", name=name,
                legendgroup=type_key, text=text, textposition="top center",
                textfont={"color": "#444444", "size": 12, "family": LABEL_FONT},
                marker={"size": np.asarray(sizes, float), "color": TYPE_COLOURS[type_key],
                        "opacity": opacity, "symbol": "circle"},
                customdata=customdata[idx], hovertemplate=MAP_HOVER,
            )
    # The second type as a dot inside the first: the mark says "several types", where the
    # dot is large enough to hold one that can be seen. Its points carry the place's name
    # alone (the hover is the outer dot's, which lists the types), so a click on it still
    # selects the place, for few bytes.
    second = np.array([t[1][0] if len(t) > 1 else "" for t in places["_types"]], dtype=object)
    inner = (second != "") & ~is_area.to_numpy() & (point_sizes * INNER_DOT >= MIN_INNER_PX)
    for n_trace, type_key in enumerate(t for t in EVENT_TYPES if (inner & (second == t)).any()):
        idx = np.flatnonzero(inner & (second == type_key))
        rows = places.iloc[idx]
        fig.trace(
            "scattermap", lat=rows[Col.LAT].to_numpy(float), lon=rows[Col.LON].to_numpy(float),
            mode="markers", name=MIXED_NAME, legendgroup="mixed", showlegend=n_trace == 0,
            hoverinfo="skip", customdata=customdata[idx, :1],
            marker={"size": point_sizes[idx] * INNER_DOT, "opacity": 1.0, "symbol": "circle",
                    "color": TYPE_COLOURS[type_key]},
        )

    if len(places):
        centre, zoom = _view(places[Col.LAT].to_numpy(float), places[Col.LON].to_numpy(float),
                             list(places["_prec"]))
    else:
        centre, zoom = {"lat": 20.0, "lon": 0.0}, 1.0
    style: str | dict = "white-bg"
    layers: list[dict] = []
    tiled = as_text and outline_tiles is not None
    if tile_style:
        style = tile_style
    elif basemap_url and not tiled:
        source = (coarse_basemap_url if coarse_basemap_url and zoom < COARSE_BELOW_ZOOM
                  else basemap_url)
        # One layer, land and borders: two layers fetched and parsed the file twice.
        layers = [{"sourcetype": "geojson", "source": source, "type": "fill",
                   "color": LAND_COLOUR, "fill": {"outlinecolor": BORDER_COLOUR},
                   "below": "traces"}]
    if as_text:
        style = {"version": 8, "glyphs": glyphs_url, "sources": {},
                 "layers": [{"id": "background", "type": "background",
                             "paint": {"background-color": "#FFFFFF"}}]}
        if tiled:
            # Past OUTLINE_MAX_ZOOM MapLibre draws the last zoom's tiles larger.
            style["sources"]["outlines"] = {"type": "vector", "tiles": [outline_tiles],
                                            "minzoom": 0, "maxzoom": OUTLINE_MAX_ZOOM}
            style["layers"].append({"id": "countries", "type": "fill", "source": "outlines",
                                    "source-layer": OUTLINE_LAYER,
                                    "paint": {"fill-color": LAND_COLOUR,
                                              "fill-outline-color": BORDER_COLOUR}})
        else:
            # `sources` must not be empty: plotly drops an empty one, and MapLibre then
            # rejects the style on every redraw ("Map error.").
            style["sources"]["none"] = {"type": "geojson", "data": EMPTY_GEOJSON}
        if labels is not None and len(labels):
            layers.append(_town_layer(labels, set(places["_name"])))

    n_events = int(places["n"].sum()) if len(places) else 0
    (row, rows_), between, (mark, marks) = units
    if aggregated:
        title = f"{n_events:,} {rows_} in {len(places):,} cells"
        note = (f"Aggregated: too many {marks} to draw one by one, so {rows_} are counted in "
                f"cells of {cell:g}°. Zoom in or filter to see single {marks}.")
    else:
        title = (f"{n_events:,} {row if n_events == 1 else rows_} {between} {len(places):,} "
                 f"{mark if len(places) == 1 else marks}")
        note = ""
    # Same data, same view id: a rerun keeps the reader's pan and zoom; new data re-centres.
    _base_layout(fig, title, MAP_HEIGHT,
                 uirevision=f"map:{centre['lat']:.3f},{centre['lon']:.3f},{zoom}", note=note)
    fig.layout.update(
        map={"style": style, "center": centre, "zoom": zoom, "layers": layers},
        margin={"l": 0, "r": TOOLBAR_PX, "t": MAP_MARGIN_TOP, "b": MAP_MARGIN_BOTTOM},
        # Below the map, not over it: with several types and precisions it covers the data.
        legend={"y": -0.01, "yanchor": "top", "x": 0, "orientation": "h", "yref": "paper"},
    )
    if not len(places):
        fig.annotations.append({"text": "No events with coordinates in view",
                                "showarrow": False, "xref": "paper", "yref": "paper",
                                "x": 0.5, "y": 0.5})
    return fig.figure()


#: At most this many names in the towns layer (the caller's first): more is clutter.
TOWN_LABELS_MAX = 100


def _town_layer(labels: pd.DataFrame, named: set[str]) -> dict:
    """Nearby towns as a MapLibre text layer: seen, never hovered or clicked."""
    features = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [float(lo), float(la)]},
         "properties": {"name": _plain(n, 60)}}
        for n, la, lo in zip(labels["name"], labels["lat"], labels["lon"], strict=True)
        if n not in named and la == la and lo == lo][:TOWN_LABELS_MAX]
    return {"sourcetype": "geojson", "type": "symbol", "below": "traces",
            "source": {"type": "FeatureCollection", "features": features},
            "symbol": {"text": "{name}", "icon": "", "placement": "point",
                       "textfont": {"size": 11, "color": LABEL_COLOUR, "family": LABEL_FONT},
                       "textposition": "middle center"},
            "name": "Nearby towns"}
