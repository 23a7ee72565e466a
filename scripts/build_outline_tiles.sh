#!/usr/bin/env bash
# Builds static/countries-50m.mbtiles from static/countries-50m.geojson: the country
# outlines the dashboard's live map draws, as vector tiles (Mapbox Vector Tile, zoom 0-5,
# one layer "countries" with each country's name) in an MBTiles 1.3 file (SQLite).
#
# Why:     the map fetched and parsed the whole 0.87 MB GeoJSON for every new visitor, and
#          MapLibre's worker cut it into tiles before drawing anything: 0.2 s of a map's
#          0.7 s in Chromium on this machine kind. Tiles cut once, ahead, are fetched a few
#          at a time (1-30 KB each) for the part of the world in view; the server answers
#          them from this file (warlens/ui/server.py, `OutlineTiles`). Past zoom 5 MapLibre
#          draws zoom 5's tiles larger: the 1:50m outlines hold no finer detail.
# How:     cut by the libraries MapLibre itself cuts a GeoJSON source with
#          (npm @maplibre/geojson-vt, serialised by @maplibre/vt-pbf, both ISC-licensed
#          tooling), so the tiles hold what the map drew before; packed by
#          scripts/pack_mbtiles.py. Deterministic: the same input gives the same file.
# Licence: the outlines are Natural Earth's, in the public domain (naturalearthdata.com).
#
# Usage:   bash scripts/build_outline_tiles.sh   (needs node and npm; run from anywhere).
# scripts/build_basemap.sh runs it after making the GeoJSON. The npm work happens in a
# temporary folder outside the repo; only the .mbtiles file is written.
set -euo pipefail

GEOJSON_VT_VERSION=6.3.3
VT_PBF_VERSION=4.3.3
MAX_ZOOM=5

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$repo_root/static/countries-50m.geojson"
out="$repo_root/static/countries-50m.mbtiles"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
npm init -y >/dev/null
npm install --silent --no-audit --no-fund --save-exact \
    "@maplibre/geojson-vt@$GEOJSON_VT_VERSION" "@maplibre/vt-pbf@$VT_PBF_VERSION"

cat >tiles.mjs <<'JS'
import fs from "fs";
import path from "path";
import { GeoJSONVT } from "@maplibre/geojson-vt";
import { fromGeojsonVt } from "@maplibre/vt-pbf";

const [src, out, maxZoom] = process.argv.slice(2);
const data = JSON.parse(fs.readFileSync(src, "utf8"));
// MapLibre's own settings for a GeoJSON source, but for the extent (4096, the MVT
// default) and the buffer, in the same share of a tile.
const index = new GeoJSONVT(data, {
  maxZoom: +maxZoom, indexMaxZoom: +maxZoom, indexMaxPoints: 0,
  tolerance: 3, extent: 4096, buffer: 64,
});
for (let z = 0; z <= +maxZoom; z++) {
  for (let x = 0; x < 2 ** z; x++) {
    for (let y = 0; y < 2 ** z; y++) {
      const tile = index.getTile(z, x, y);
      if (!tile || !tile.features.length) continue; // open sea: the server answers it empty
      const bytes = fromGeojsonVt({ countries: tile }, { version: 2, extent: 4096 });
      fs.mkdirSync(path.join(out, `${z}`, `${x}`), { recursive: true });
      fs.writeFileSync(path.join(out, `${z}`, `${x}`, `${y}.pbf`), bytes);
    }
  }
}
JS

node tiles.mjs "$src" "$work/tiles" "$MAX_ZOOM"
python3 "$repo_root/scripts/pack_mbtiles.py" "$work/tiles" "$out" \
    --name "Country outlines" --layer countries --fields name \
    --attribution "Natural Earth (public domain)" \
    --description "Natural Earth 1:50m admin-0 countries, from static/countries-50m.geojson"
echo "wrote $out"
