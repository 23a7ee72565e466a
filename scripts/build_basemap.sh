#!/usr/bin/env bash
# Builds static/countries-50m.geojson and static/countries-coarse.geojson, the offline base
# maps the dashboard's maps draw on (the coarse one when the map opens on a country or more).
#
# What:    Natural Earth 1:50m admin-0 countries, as a GeoJSON FeatureCollection (RFC 7946,
#          [lon, lat]), one feature per country with its ISO 3166 numeric code as `id` and
#          `properties.name`. Coordinates are rounded to 3 decimals (~100 m, far finer than
#          the 1:50m source) to keep the file small; points that rounding makes identical
#          are merged and rings that collapse are dropped.
# From:    npm world-atlas@2.0.2 (countries-50m.json, TopoJSON) converted with
#          npm topojson-client@3.1.0 (`feature`). Both packages are ISC-licensed tooling.
# Licence: the map data is Natural Earth's, in the public domain (naturalearthdata.com).
# Why:     the dashboard must draw maps with no network (see REFERENCE.md: plotly's default
#          map styles fetch tiles from CDNs). Streamlit serves the file at
#          /app/static/countries-50m.geojson when server.enableStaticServing is true.
#
# Usage:   bash scripts/build_basemap.sh      (needs node and npm; run from anywhere)
# The npm work happens in a temporary folder outside the repo; only the GeoJSON is written.
set -euo pipefail

WORLD_ATLAS_VERSION=2.0.2
TOPOJSON_CLIENT_VERSION=3.1.0

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$repo_root/static/countries-50m.geojson"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
npm init -y >/dev/null
npm install --silent --no-audit --no-fund --save-exact \
    "world-atlas@$WORLD_ATLAS_VERSION" "topojson-client@$TOPOJSON_CLIENT_VERSION"

cat >convert.js <<'JS'
const fs = require("fs");
const { feature } = require("topojson-client");

const topology = JSON.parse(
  fs.readFileSync(require.resolve("world-atlas/countries-50m.json"), "utf8"),
);
const round = (x) => Math.round(x * 1000) / 1000;

// Round a ring, merge points that became equal, keep it closed; null if it collapsed.
function ring(points) {
  const out = [];
  for (const [lon, lat] of points) {
    const p = [round(lon), round(lat)];
    const last = out[out.length - 1];
    if (!last || last[0] !== p[0] || last[1] !== p[1]) out.push(p);
  }
  const [first, last] = [out[0], out[out.length - 1]];
  if (first[0] !== last[0] || first[1] !== last[1]) out.push([first[0], first[1]]);
  return out.length >= 4 ? out : null;
}

// A polygon whose outer ring collapsed is dropped along with its holes.
function polygon(rings) {
  const [outer, ...holes] = rings.map(ring);
  return outer ? [outer, ...holes.filter(Boolean)] : null;
}

function geometry(g) {
  if (g === null) return null;
  if (g.type === "Polygon") {
    const p = polygon(g.coordinates);
    return p ? { type: "Polygon", coordinates: p } : null;
  }
  if (g.type === "MultiPolygon") {
    const ps = g.coordinates.map(polygon).filter(Boolean);
    return ps.length ? { type: "MultiPolygon", coordinates: ps } : null;
  }
  throw new Error(`unexpected geometry type ${g.type}`);
}

const countries = feature(topology, topology.objects.countries);
const features = countries.features
  .map((f) => ({
    type: "Feature",
    ...(f.id === undefined ? {} : { id: f.id }),
    properties: { name: f.properties.name },
    geometry: geometry(f.geometry),
  }))
  .filter((f) => f.geometry !== null);

process.stdout.write(JSON.stringify({ type: "FeatureCollection", features }));
JS

node convert.js >"$work/countries-50m-full.geojson"
# Simplified to what the map's zoom needs (the full 1:50m file was 1.67 MB, fetched by
# every new visitor): 0.02 deg for city zoom, and a coarse file for country zoom and wider.
python3 "$repo_root/scripts/simplify_basemap.py" "$work/countries-50m-full.geojson" "$out" 0.02 3
python3 "$repo_root/scripts/simplify_basemap.py" "$work/countries-50m-full.geojson" \
    "$repo_root/static/countries-coarse.geojson" 0.1 2
# The live map draws the outlines from vector tiles cut from the 1:50m file.
bash "$repo_root/scripts/build_outline_tiles.sh"
