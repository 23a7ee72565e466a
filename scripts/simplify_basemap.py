"""Simplifies the offline base map to what a zoom needs (Douglas-Peucker), rings kept closed.

    python scripts/simplify_basemap.py SOURCE.geojson OUT.geojson TOLERANCE_DEG DECIMALS

scripts/build_basemap.sh runs it twice on Natural Earth 1:50m: 0.02° (about 2 km, under
a few pixels at the city zoom the map opens at for one place) with 3 decimals for
static/countries-50m.geojson, and 0.1° with 2 decimals for static/countries-coarse.geojson,
which the map loads when it opens on a country or more (zoom below 5). A polygon whose outer
ring collapses is dropped with its holes. A ring that crosses the antimeridian (Chukotka,
Wrangel Island, Fiji: Natural Earth writes -180 beside 179.9) is made continuous first,
its longitudes past 180 where it goes on eastward: MapLibre and the page's sketch draw the
edge between -180 and 179.9 straight across the world otherwise. Output is compact JSON.
"""

import json
import sys
from pathlib import Path

import numpy as np


def dp(points: np.ndarray, tol: float) -> np.ndarray:
    """The points Douglas-Peucker keeps of a polyline at tolerance `tol` (degrees)."""
    keep = np.zeros(len(points), bool)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        a, b = stack.pop()
        if b <= a + 1:
            continue
        seg, rel = points[b] - points[a], points[a + 1:b] - points[a]
        norm = np.hypot(*seg)
        d = (np.abs(seg[0] * rel[:, 1] - seg[1] * rel[:, 0]) / norm if norm > 0
             else np.hypot(rel[:, 0], rel[:, 1]))
        i = int(np.argmax(d))
        if d[i] > tol:
            keep[a + 1 + i] = True
            stack += [(a, a + 1 + i), (a + 1 + i, b)]
    return points[keep]

def continuous(pts: np.ndarray) -> np.ndarray:
    """The ring with no edge longer than half the world in longitude: each point moved by
    a whole turn to lie within 180 degrees of the one before, then the ring moved back by
    a turn if most of it lies past 180. A ring round a pole (Antarctica), which would not
    close so, is left as it is."""
    jumps = np.diff(pts[:, 0])
    turns = np.concatenate([[0.0], np.cumsum(-np.round(jumps / 360.0))])
    if not turns.any() or turns[-1] != 0:
        return pts
    out = pts.copy()
    out[:, 0] += 360.0 * turns
    if out[:, 0].mean() > 180.0:
        out[:, 0] -= 360.0
    elif out[:, 0].mean() < -180.0:
        out[:, 0] += 360.0
    return out


def ring(r: list, tol: float, digits: int) -> list | None:
    """A ring simplified and rounded, closed, or None when it collapses below 4 points."""
    pts = continuous(np.asarray(r, float))
    if len(pts) > 4:
        # split a closed ring in two halves so the start/end point is not the only anchor
        mid = len(pts) // 2
        pts = np.vstack([dp(pts[:mid + 1], tol)[:-1], dp(pts[mid:], tol)])
    out = []
    for x, y in np.round(pts, digits).tolist():
        if not out or out[-1] != [x, y]:
            out.append([x, y])
    if out[0] != out[-1]:
        out.append(out[0])
    return out if len(out) >= 4 else None

def main(src: str, dst: str, tol: float, digits: int) -> None:
    """Simplify every feature of `src` into `dst`."""
    data = json.loads(Path(src).read_text(encoding="utf-8"))
    feats = []
    for f in data["features"]:
        g = f["geometry"]
        polys = g["coordinates"] if g["type"] == "MultiPolygon" else [g["coordinates"]]
        out = []
        for poly in polys:
            rings = [ring(r, tol, digits) for r in poly]
            if rings[0] is None:
                continue
            out.append([rings[0]] + [r for r in rings[1:] if r])
        if out:
            feats.append({"type": "Feature", **({"id": f["id"]} if "id" in f else {}),
                          "properties": f["properties"],
                          "geometry": {"type": "MultiPolygon", "coordinates": out}})
    text = json.dumps({"type": "FeatureCollection", "features": feats}, separators=(",", ":"))
    Path(dst).write_text(text, encoding="utf-8")
    print(dst, len(text), len(feats))

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]))
