"""A view drawn with no JavaScript: the first paint of a shared link.

Streamlit's page draws nothing until its frontend has loaded, connected and run the
page's script, and a chart waits for plotly's code on top of that: 2-3 s for a new
visitor, where the reader of a shared link wants the answer at once. The server
(`warlens.ui.server`) therefore puts a sketch of the view into the HTML page itself:
the map's marks over the country outlines, or the first rows of the claims table, made
from the very figure and rows the page will draw. It gives way to the live page as soon
as that has drawn its own.

Everything from the data is escaped here (`html.escape`): a name or a claim is text in
the sketch, never markup. Nothing in this module imports streamlit.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

#: The sketch's map window (px): as wide as a wide screen, as high as the live map's plot
#: area. It is centred and cut to the screen's width, as MapLibre shows more of the
#: world on a wider screen at the same zoom.
MAP_WINDOW = (1600, 480)
#: MapLibre's world is 512 px wide at zoom 0.
WORLD_PX = 512
#: A country outline's points closer than this (px) to the last one kept are dropped.
OUTLINE_STEP_PX = 1.5
#: Rows of the claims table a sketch shows; the live table has them all.
TABLE_ROWS = 40
#: The longest text a table cell shows.
CELL_CHARS = 180

#: What removes the sketch: the live view's own drawing (per page), or the page's script
#: having finished without one (an empty view, a notice, an error) for a moment.
READY = {
    "map": '[data-testid="stMain"] .js-plotly-plot .main-svg',
    "claims": '[data-testid="stMain"] [data-testid="stDataFrame"] canvas',
    "timeline": '[data-testid="stMain"] .js-plotly-plot .main-svg',
    # A story is text: drawn once its first quoted sentence is.
    "stories": '[data-testid="stMain"] blockquote',
    # An article: once its text (the columns that hold it) is drawn.
    "article": ('[data-testid="stMain"] [data-testid="stColumn"] '
                '[data-testid="stMarkdownContainer"] p'),
}
_IDLE_MS = 2500

_STYLE = """
#wl-first{position:fixed;inset:0;z-index:1000000;background:#fff;overflow:auto;display:flex;
font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#31333f}
#wl-first .wl-side{flex:0 0 244px;background:#f0f2f6;padding:4.6rem 1.5rem 1rem;font-size:.95rem}
#wl-first .wl-side b{display:block;font-size:1.6rem;margin-bottom:1rem}
#wl-first .wl-side dt{color:#808495;font-size:.85rem;margin-top:.8rem}
#wl-first .wl-side dd{margin:.1rem 0 0}
#wl-first .wl-in{flex:1 1 auto;min-width:0;max-width:1400px;padding:5.6rem 5rem 2rem}
#wl-first h1{font-size:2.75rem;font-weight:700;margin:0 0 1rem;line-height:1.2}
#wl-first h3{font-size:1.5rem;font-weight:600;margin:1.2rem 0 .5rem}
#wl-first .wl-note{color:#808495;font-size:.9rem;margin:.2rem 0 .8rem}
#wl-first svg{display:block;width:100%;height:480px}
#wl-first .wl-wide svg,#wl-first .wl-narrow svg{width:auto;height:auto;max-width:100%}
#wl-first .wl-narrow{display:none}
#wl-first table{border-collapse:collapse;font-size:.875rem;width:100%}
#wl-first th,#wl-first td{border-bottom:1px solid #e6e9ef;padding:.3rem .5rem;text-align:left;
vertical-align:top}
#wl-first th{color:#808495;font-weight:400}
#wl-first .wl-pair{display:grid;grid-template-columns:1fr 1fr;gap:1rem;border:1px solid #e6e9ef;
border-radius:.5rem;padding:.8rem 1rem;margin:.6rem 0}
#wl-first .wl-pair h4{grid-column:1/-1;margin:0;font-size:1rem}
#wl-first .wl-pair p{margin:.2rem 0;font-size:.95rem}
#wl-first blockquote{margin:.3rem 0;padding-left:.8rem;border-left:3px solid #e6e9ef;color:#555}
#wl-first .wl-card{border:1px solid #e6e9ef;border-radius:.5rem;padding:.6rem 1rem;margin:.5rem 0}
@media (max-width:640px){#wl-first .wl-pair{grid-template-columns:1fr}}
#wl-first .wl-text{max-width:46rem;line-height:1.6}
#wl-first mark{border-radius:.2rem;padding:0 .1rem}
#wl-first mark.event{background:#ffe8cc}#wl-first mark.claim{background:#dbeafe}
#wl-first mark.place{background:none;color:#15803d}
#wl-first mark.focus{background:#fecaca}
#wl-first .wl-legend{display:flex;flex-wrap:wrap;gap:.3rem 1rem;font-size:.85rem;margin:.4rem 0}
#wl-first .wl-key{display:inline-block;width:.7rem;height:.7rem;border-radius:50%;
margin-right:.3rem;vertical-align:-.05rem}
@media (max-width:640px){#wl-first .wl-side{display:none}
#wl-first .wl-in{padding:4.5rem 1rem 1rem}#wl-first h1{font-size:2.2rem}
#wl-first svg{height:420px}#wl-first .wl-wide{display:none}
#wl-first .wl-narrow{display:block}}
"""

# Removes the sketch once the live view is drawn, or once the page's script has been
# idle for a moment without drawing one. Tokens replaced: READY, IDLE.
_SCRIPT = """
(() => {
  const sketch = document.getElementById("wl-first");
  if (!sketch) return;
  let idleSince = 0;
  const done = () => {
    if (document.querySelector(READY)) return true;
    const app = document.querySelector('[data-testid="stApp"]');
    const idle = app && app.getAttribute("data-test-script-state") === "notRunning"
      && document.querySelector('[data-testid="stMain"] h1');
    if (!idle) { idleSince = 0; return false; }
    idleSince = idleSince || performance.now();
    return performance.now() - idleSince > IDLE;
  };
  const check = () => { if (done()) { sketch.remove(); } else { setTimeout(check, 100); } };
  new MutationObserver((_, seen) => { if (done()) { seen.disconnect(); sketch.remove(); } })
    .observe(document.documentElement, {childList: true, subtree: true, attributes: true});
  check();
})();
"""


def text(value: object, limit: int = CELL_CHARS) -> str:
    """A value from the data as HTML text: clipped, escaped, never markup."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    value = str(value)
    if len(value) > limit:
        value = value[: limit - 1] + "…"
    return html.escape(value, quote=True)


def page(kind: str, title: str, filters: Mapping[str, str], body: str) -> str:
    """The sketch as a block for the top of the HTML page: a full-window panel laid out as
    the live page is (its sidebar shows the filters in force), which the live page
    replaces. `title` and `filters` (label -> value) are plain text, escaped here;
    `body` is markup made by this module."""
    script = (_SCRIPT.replace("READY", json.dumps(READY.get(kind, "[data-wl-none]")))
              .replace("IDLE", str(_IDLE_MS)))
    shown = "".join(f"<dt>{text(label, 40)}</dt><dd>{text(value, 200)}</dd>"
                    for label, value in filters.items()) or "<dt>Filters</dt><dd>none</dd>"
    return (f'<style>{_STYLE}</style><div id="wl-first" role="status" aria-busy="true">'
            f'<div class="wl-side"><b>warlens</b><dl>{shown}</dl></div>'
            f'<div class="wl-in"><h1>{text(title, 80)}</h1>'
            '<p class="wl-note">Opening the interactive view…</p>'
            f"{body}</div></div><script>{script}</script>")


# --- the map ---------------------------------------------------------------------------

def _mercator(lon: np.ndarray, lat: np.ndarray, zoom: float) -> tuple[np.ndarray, np.ndarray]:
    """Web Mercator pixels at `zoom`, as MapLibre places them."""
    size = WORLD_PX * 2.0 ** zoom
    phi = np.radians(np.clip(lat, -85.0511, 85.0511))
    x = (np.asarray(lon, float) + 180.0) / 360.0 * size
    y = (1.0 - np.log(np.tan(np.pi / 4 + phi / 2)) / np.pi) / 2.0 * size
    return x, y


@dataclass(frozen=True)
class Outlines:
    """Country outlines (a GeoJSON file's polygons), each ring with its bounding box."""

    rings: tuple[np.ndarray, ...]  # each (n, 2): lon, lat
    boxes: np.ndarray  # (rings, 4): west, south, east, north

    @classmethod
    def read(cls, path: Path) -> Outlines:
        """The outlines of a GeoJSON FeatureCollection of (Multi)Polygons."""
        rings: list[np.ndarray] = []
        for feature in json.loads(path.read_text(encoding="utf-8"))["features"]:
            geometry = feature.get("geometry") or {}
            polygons = (geometry.get("coordinates") or []) if geometry.get(
                "type") == "MultiPolygon" else [geometry.get("coordinates") or []]
            for polygon in polygons:
                rings.extend(np.asarray(ring, float)[:, :2] for ring in polygon if len(ring) > 2)
        boxes = np.array([[r[:, 0].min(), r[:, 1].min(), r[:, 0].max(), r[:, 1].max()]
                          for r in rings]).reshape(-1, 4)
        return cls(tuple(rings), boxes)

    def path(self, centre: tuple[float, float], zoom: float,
             window: tuple[int, int] = MAP_WINDOW) -> str:
        """SVG path data of the rings inside the window around `centre` (lon, lat), in
        pixels from the centre, thinned to what the zoom can show."""
        cx, cy = _mercator(np.array([centre[0]]), np.array([centre[1]]), zoom)
        half_w, half_h = window[0] / 2, window[1] / 2
        # The window in degrees, to skip rings outside it without projecting them.
        size = WORLD_PX * 2.0 ** zoom
        west = (cx[0] - half_w) / size * 360 - 180
        east = (cx[0] + half_w) / size * 360 - 180
        lat_of = lambda y: math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / size))))  # noqa: E731
        north, south = lat_of(cy[0] - half_h), lat_of(cy[0] + half_h)
        near = ((self.boxes[:, 2] >= west) & (self.boxes[:, 0] <= east)
                & (self.boxes[:, 3] >= south) & (self.boxes[:, 1] <= north))
        parts: list[str] = []
        for i in np.flatnonzero(near):
            ring = self.rings[i]
            x, y = _mercator(ring[:, 0], ring[:, 1], zoom)
            x, y = np.round((x - cx[0]) / OUTLINE_STEP_PX), np.round((y - cy[0]) / OUTLINE_STEP_PX)
            keep = np.ones(len(x), bool)
            keep[1:] = (np.diff(x) != 0) | (np.diff(y) != 0)
            x, y = x[keep] * OUTLINE_STEP_PX, y[keep] * OUTLINE_STEP_PX
            if len(x) < 3:
                continue
            points = " ".join(f"{a:.1f} {b:.1f}" for a, b in zip(x, y, strict=True))
            parts.append(f"M{points}Z")
        return "".join(parts)


def _values(value: object, n: int) -> list:
    """A trace property as n values (plotly allows one value for all points)."""
    if value is None:
        return [None] * n
    if isinstance(value, str) or not isinstance(value, Iterable):
        return [value] * n
    return list(value)


def map_svg(figure: object, outlines: Outlines) -> str:
    """The map figure `figures.make_map` made, drawn as SVG: outlines, then each trace's
    marks in plotly's order (areas under dots, inner dots on top), and its names above."""
    layout = figure.layout.map  # type: ignore[attr-defined]
    centre = (float(layout.center.lon), float(layout.center.lat))
    zoom = float(layout.zoom)
    cx, cy = _mercator(np.array([centre[0]]), np.array([centre[1]]), zoom)
    width, height = MAP_WINDOW
    marks: list[str] = []
    names: list[tuple[float, float, str, int, str]] = []  # x, y, name, size, colour
    for trace in figure.data:  # type: ignore[attr-defined]
        if trace.type != "scattermap" or trace.lat is None or not len(trace.lat):
            continue
        x, y = _mercator(np.asarray(trace.lon, float), np.asarray(trace.lat, float), zoom)
        x, y = x - cx[0], y - cy[0]
        n = len(x)
        marker = trace.marker
        sizes = _values(marker.size if marker.size is not None else 8, n)
        colours = _values(marker.color or "#888888", n)
        opacity = float(marker.opacity) if isinstance(marker.opacity, (int, float)) else 1.0
        labels = _values(trace.text if trace.mode and "text" in trace.mode else None, n)
        for a, b, size, colour, label in zip(x, y, sizes, colours, labels, strict=True):
            if not (np.isfinite(a) and np.isfinite(b)):
                continue
            r = float(size or 8) / 2
            marks.append(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="{r:.1f}" '
                         f'fill="{text(colour, 30)}" fill-opacity="{opacity:.2f}"/>')
            if label:
                names.append((float(a), float(b - r - 4), str(label), 12, "#444444"))
    land, border = "#F3F1EC", "#9A9A9A"
    for layer in layout.layers or ():
        if layer.type == "fill":
            land = layer.color or land
            border = (layer.fill.outlinecolor if layer.fill is not None else None) or border
        elif layer.type == "symbol" and isinstance(layer.source, dict):
            names.extend(_town_names(layer.source, zoom, (cx[0], cy[0])))
    path = outlines.path(centre, zoom)
    return (f'<svg viewBox="{-width / 2:.0f} {-height / 2:.0f} {width} {height}" '
            'preserveAspectRatio="xMidYMid slice" role="img" aria-label="Map of the events">'
            f'<path d="{path}" fill="{text(land, 30)}" stroke="{text(border, 30)}" '
            f'stroke-width="0.8"/>{"".join(marks)}<g '
            'text-anchor="middle" paint-order="stroke" stroke="#fff" stroke-width="3">'
            f'{_labels(names)}</g></svg>')


def _town_names(collection: Mapping, zoom: float, origin: tuple[float, float]
                ) -> list[tuple[float, float, str, int, str]]:
    """The nearby towns of a map's label layer, in grey, centred on their places."""
    out = []
    for feature in collection.get("features", ()):
        lon, lat = feature["geometry"]["coordinates"][:2]
        x, y = _mercator(np.array([lon]), np.array([lat]), zoom)
        name = str((feature.get("properties") or {}).get("name") or "")
        out.append((float(x[0] - origin[0]), float(y[0] - origin[1] + 4), name, 11, "#8A8A8A"))
    return out


def _labels(names: Sequence[tuple[float, float, str, int, str]]) -> str:
    """Names in order of importance, each left out where it would overlap one already
    placed (as MapLibre leaves out colliding labels)."""
    placed: list[tuple[float, float, float, float]] = []
    out = []
    for x, y, name, size, colour in names:
        half = 0.3 * size * len(name) + 2
        box = (x - half, y - size, x + half, y + 3)
        if not name or any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3]
                           for b in placed):
            continue
        placed.append(box)
        out.append(f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" '
                   f'fill="{text(colour, 30)}">{text(name, 60)}</text>')
    return "".join(out)


def legend(figure: object) -> str:
    """The figure's legend entries as a row of coloured keys."""
    seen: dict[str, str] = {}
    for trace in figure.data:  # type: ignore[attr-defined]
        if trace.showlegend is False or not trace.name or trace.name in seen:
            continue
        colour = trace.marker.color if trace.marker is not None else None
        # Legend names are the figure's own text; a line break in one is a space here.
        name = re.sub(r"<br\s*/?>", " ", str(trace.name))
        seen[name] = colour if isinstance(colour, str) else "#888888"
    keys = "".join(f'<span><span class="wl-key" style="background:{text(c, 30)}"></span>'
                   f"{text(name, 100)}</span>" for name, c in seen.items())
    return f'<div class="wl-legend">{keys}</div>' if keys else ""


# --- the timeline ----------------------------------------------------------------------

#: The timeline sketch's sizes (px): a wide screen's and a phone's; CSS shows one.
TIMELINE_WIDTHS = {"wl-wide": 1100, "wl-narrow": 350}
_TICK_STEPS = (("D", 1), ("2D", 2), ("7D", 7), ("14D", 14), ("MS", 30), ("2MS", 61),
               ("3MS", 91), ("6MS", 182), ("YS", 365), ("2YS", 730), ("5YS", 1826),
               ("10YS", 3652))
_MARKERS = {
    "circle": '<circle cx="{x}" cy="{y}" r="{r}"{style}/>',
    "square": '<rect x="{x0}" y="{y0}" width="{d}" height="{d}"{style}/>',
    "triangle-up": '<path d="M{x} {y0}L{x1} {y1}L{x0} {y1}Z"{style}/>',
    "triangle-down": '<path d="M{x0} {y0}L{x1} {y0}L{x} {y1}Z"{style}/>',
    "x": '<path d="M{x0} {y0}L{x1} {y1}M{x1} {y0}L{x0} {y1}" stroke="{colour}" '
         'stroke-width="2.5"/>',
    "line-ns-open": '<path d="M{x} {y0}L{x} {y1}" stroke="{colour}" stroke-width="2"/>',
}


def _times(values: object) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.to_datetime(pd.Series(list(values)), errors="coerce"))


def _date_ticks(lo: pd.Timestamp, hi: pd.Timestamp, width: float) -> list[tuple[pd.Timestamp, str]]:
    """Round dates across [lo, hi], at most one per 90 px, labelled to their step."""
    days = max((hi - lo).total_seconds() / 86400, 1e-3)
    most = max(2, int(width // 90))
    freq, step = next(((f, d) for f, d in _TICK_STEPS if days / d <= most), _TICK_STEPS[-1])
    ticks = pd.date_range(lo.ceil("D"), hi, freq=freq)
    if step < 30:
        fmt = "%d %b"
    elif step < 365:
        fmt = "%b %Y"
    else:
        fmt = "%Y"
    out = [(t, t.strftime(fmt).lstrip("0")) for t in ticks]
    if out and step < 30:  # the year, once
        out[0] = (out[0][0], out[0][0].strftime("%d %b %Y").lstrip("0"))
    return out


def timeline_svg(figure: object, width: int, height: int | None = None) -> str:
    """A timeline figure of `figures` (event bars by row, claim and publication marks,
    or counts stacked per period) drawn as SVG `width` px wide, over the figure's own
    opening date range: a bar that runs past it is cut at the edge, as on the live chart."""
    layout = figure.layout  # type: ignore[attr-defined]
    traces = list(figure.data)  # type: ignore[attr-defined]
    counted = layout.barmode == "stack"
    # The live chart's plot height: its rows get the same room.
    height = height or max(200, int(layout.height or 420) - 110)
    # Rows (their labels) on the left, unless the chart counts.
    ticks = list(zip(layout.yaxis.tickvals or (), layout.yaxis.ticktext or (), strict=False))
    left = 8 if counted else min(12 + 6.5 * max((len(str(t)) for _v, t in ticks), default=0),
                                 width * 0.32)
    right, top, bottom = 8, 8, 26
    plot_w, plot_h = width - left - right, height - top - bottom
    lo, hi = _date_range(layout, traces)
    span = max((hi - lo).total_seconds(), 1.0)

    def x_of(t: pd.Timestamp) -> float:
        return left + (t - lo).total_seconds() / span * plot_w

    y_lo, y_hi, reverse = _value_range(traces, counted)

    def y_of(v: float) -> float:
        share = (v - y_lo) / max(y_hi - y_lo, 1e-9)
        return top + (share if reverse else 1 - share) * plot_h

    out = [f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
           'role="img" aria-label="Timeline of the events">'
           f'<defs><clipPath id="wl-plot-{width}"><rect x="{left:.0f}" y="0" '
           f'width="{plot_w:.0f}" height="{height}"/></clipPath></defs>']
    for t, label in _date_ticks(lo, hi, plot_w):  # the date axis, and its grid
        x = x_of(t)
        out.append(f'<path d="M{x:.1f} {top}V{top + plot_h}" stroke="#E6E6E6"/>'
                   f'<text x="{x:.1f}" y="{height - 8}" font-size="11" fill="#555" '
                   f'text-anchor="middle">{text(label, 20)}</text>')
    for value, label in ticks:  # the rows
        out.append(f'<text x="{left - 6:.0f}" y="{y_of(float(value)) + 4:.1f}" font-size="11" '
                   f'fill="#444" text-anchor="end">{text(label, 40)}</text>')
    out.append(f'<g clip-path="url(#wl-plot-{width})">')
    for shape in layout.shapes or ():
        if shape.type == "line" and shape.xref == "x":
            x = x_of(pd.Timestamp(shape.x0))
            out.append(f'<path d="M{x:.1f} {top}V{top + plot_h}" stroke="#6B6B6B" '
                       'stroke-dasharray="4 3"/>')
    stacked: dict[pd.Timestamp, float] = {}
    for tr in traces:
        if tr.type == "bar":
            out.extend(_bars(tr, x_of, y_of, stacked, counted))
        elif tr.type == "scatter" and tr.x is not None:
            out.extend(_marks(tr, x_of, y_of))
    out.append("</g></svg>")
    return "".join(out)


def _date_range(layout: object, traces: list) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The dates the chart opens on: its own range, else every trace's."""
    if layout.xaxis.range:  # type: ignore[attr-defined]
        lo, hi = (pd.Timestamp(v) for v in layout.xaxis.range)  # type: ignore[attr-defined]
        return lo, hi
    stamps = [t for tr in traces for t in _times(tr.x if tr.type == "scatter" else
                                                (tr.base if tr.base is not None else tr.x))]
    return min(stamps), max(stamps)


def _value_range(traces: list, counted: bool) -> tuple[float, float, bool]:
    """(lowest, highest, upside down): the stacked counts from zero, or the rows top down."""
    if counted:
        totals: dict[pd.Timestamp, float] = {}
        for tr in traces:
            if tr.type == "bar":
                for t, n in zip(_times(tr.x), tr.y, strict=True):
                    totals[t] = totals.get(t, 0) + float(n)
        return 0.0, max(totals.values(), default=1.0) * 1.08, False
    ys = [float(v) for tr in traces for v in (tr.y if tr.y is not None else ())]
    return min(ys, default=0) - 0.8, max(ys, default=1) + 0.8, True


def _bars(trace: object, x_of, y_of, stacked: dict, counted: bool) -> list[str]:
    colour = text(trace.marker.color, 30)  # type: ignore[attr-defined]
    out = []
    if counted:  # a period's count, stacked on the types before it
        width_s = float(trace.width or 0) / 1000  # type: ignore[attr-defined]
        for t, n in zip(_times(trace.x), trace.y, strict=True):  # type: ignore[attr-defined]
            below = stacked.get(t, 0.0)
            stacked[t] = below + float(n)
            x0, x1 = x_of(t), x_of(t + pd.Timedelta(seconds=width_s))
            y0, y1 = y_of(stacked[t]), y_of(below)
            out.append(f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{max(x1 - x0, 1):.1f}" '
                       f'height="{max(y1 - y0, 0.5):.1f}" fill="{colour}"/>')
        return out
    opacity = trace.marker.opacity if isinstance(trace.marker.opacity, (int, float)) else 1  # type: ignore[attr-defined]
    half = float(trace.width or 0.8) / 2  # type: ignore[attr-defined]
    for start, length, y in zip(_times(trace.base), trace.x, trace.y, strict=True):  # type: ignore[attr-defined]
        x0 = x_of(start)
        x1 = x_of(start + pd.Timedelta(milliseconds=float(length)))
        y0, y1 = sorted((y_of(float(y) - half), y_of(float(y) + half)))
        out.append(f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{max(x1 - x0, 2):.1f}" '
                   f'height="{y1 - y0:.1f}" fill="{colour}" fill-opacity="{opacity:.2f}" '
                   f'stroke="{colour}" stroke-width="1.5"/>')
    return out


def _marks(trace: object, x_of, y_of) -> list[str]:
    marker = trace.marker  # type: ignore[attr-defined]
    colour = text(marker.color if isinstance(marker.color, str) else "#333333", 30)
    shape = _MARKERS.get(str(marker.symbol or "circle"), _MARKERS["circle"])
    r = float(marker.size or 8) / 2
    out = []
    for t, y in zip(_times(trace.x), trace.y, strict=True):  # type: ignore[attr-defined]
        if pd.isna(t):
            continue
        x, yy = x_of(t), y_of(float(y))
        out.append(shape.format(x=f"{x:.1f}", y=f"{yy:.1f}", r=f"{r:.1f}", d=f"{2 * r:.1f}",
                                x0=f"{x - r:.1f}", x1=f"{x + r:.1f}", y0=f"{yy - r:.1f}",
                                y1=f"{yy + r:.1f}", colour=colour,
                                style=f' fill="{colour}" stroke="#fff"'))
    return out


def timeline(figure: object) -> str:
    """The timeline sketch at a wide screen's width and a phone's (CSS shows one)."""
    return "".join(f'<div class="{cls}">{timeline_svg(figure, w)}</div>'
                   for cls, w in TIMELINE_WIDTHS.items())


# --- tables ----------------------------------------------------------------------------

def table(rows: pd.DataFrame, columns: Mapping[str, str], total: int,
          limit: int = TABLE_ROWS, narrow: Sequence[str] | None = None) -> str:
    """The first `limit` rows as an HTML table under `columns`' labels, and how many
    there are in all. On a narrow screen only the `narrow` columns show (all if None)."""
    shown = rows.head(limit)
    keep = set(columns if narrow is None else narrow)
    wide = [' class="wl-wide"' if col not in keep else "" for col in columns]
    head = "".join(f"<th{w}>{text(label, 40)}</th>"
                   for label, w in zip(columns.values(), wide, strict=True))
    body = "".join(
        "<tr>" + "".join(f"<td{w}>{_cell(value)}</td>"
                         for value, w in zip(record, wide, strict=True)) + "</tr>"
        for record in shown[list(columns)].itertuples(index=False, name=None))
    more = (f'<p class="wl-note">The first {len(shown):,} of {total:,}.</p>'
            if total > len(shown) else "")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"


def _cell(value: object) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else ""
    return text(value)


def said(claimant: object, stance: object, claim: object, outlet: object, published: object,
         quote: object, credit: str) -> str:
    """One claim as a report has it: who, how, what; where and when it was published; the
    sentence it comes from, with the text's attribution and licence."""
    return (f"<p><b>{text(claimant, 80)}</b> <i>{text(stance, 20)}</i>: {text(claim)}</p>"
            f'<p class="wl-note">{text(outlet, 80)} · published {text(published, 40)}</p>'
            f"<blockquote>{text(quote, 400)}</blockquote>"
            + (f'<p class="wl-note">{text(credit, 300)}</p>' if credit else ""))


def marked_text(segments: Sequence[tuple[str, str | None]]) -> str:
    """An article's text in paragraphs, its marked runs (event, claim, place, focus) as
    <mark> elements; every character of the text escaped."""
    paragraphs: list[list[str]] = [[]]
    for segment, kind in segments:
        if segment == "\n":
            paragraphs.append([])
        elif kind and segment.strip():
            paragraphs[-1].append(f'<mark class="{text(kind, 10)}">{text(segment, 10**7)}</mark>')
        else:
            paragraphs[-1].append(text(segment, 10**7))
    return ('<div class="wl-text">'
            + "".join(f"<p>{''.join(p)}</p>" for p in paragraphs if "".join(p).strip())
            + "</div>")


def in_force(params: Mapping[str, Sequence[str]], labels: Mapping[str, str]) -> dict[str, str]:
    """The link's filters as label -> values ("Place" -> "Bakhmut")."""
    return {labels.get(name, name): ", ".join(values)
            for name, values in params.items() if values and name in labels}


def pairs(groups: Sequence[tuple[str, Sequence[tuple[str, str]], Sequence[tuple[str, str]]]]
          ) -> str:
    """Contested events side by side: (event, [(claimant, claim) asserting], [... denying])."""
    out = []
    for event, asserting, denying in groups:
        sides = "".join(
            f"<div><p><b>{label}</b></p>"
            + "".join(f"<p>{text(who, 80)}: {text(claim)}</p>" for who, claim in side)
            + "</div>" for label, side in (("Asserts", asserting), ("Denies", denying)))
        out.append(f'<div class="wl-pair"><h4>{text(event)}</h4>{sides}</div>')
    return "".join(out)
