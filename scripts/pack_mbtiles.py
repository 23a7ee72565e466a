"""Packs a folder of vector tiles (Z/X/Y.pbf) into one MBTiles 1.3 file (SQLite).

    python scripts/pack_mbtiles.py TILES_DIR OUT.mbtiles --name NAME --layer LAYER
        [--fields F ...] [--attribution TEXT] [--description TEXT]

scripts/build_outline_tiles.sh runs it on the country outlines it cuts. Each tile is
stored gzip-compressed, as the MBTiles spec asks of vector tiles, at its TMS row (y counted
from the south). The file is written anew, rows in tile order and no timestamps in the
compressed bytes: the same tiles give the same file.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sqlite3
from pathlib import Path


def tiles_in(folder: Path) -> list[tuple[int, int, int, Path]]:
    """(z, x, y, file) of every Z/X/Y.pbf under `folder`, in tile order (y from the north)."""
    found = []
    for file in folder.glob("*/*/*.pbf"):
        z, x, y = int(file.parent.parent.name), int(file.parent.name), int(file.stem)
        found.append((z, x, y, file))
    return sorted(found)


def pack(folder: Path, out: Path, *, name: str, layer: str, fields: list[str],
         attribution: str = "", description: str = "") -> int:
    """Write `out` from the tiles under `folder`; the number of tiles written."""
    tiles = tiles_in(folder)
    if not tiles:
        raise SystemExit(f"{folder}: no Z/X/Y.pbf tiles")
    zooms = [z for z, _x, _y, _f in tiles]
    out.unlink(missing_ok=True)
    db = sqlite3.connect(out)
    with db:
        db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        db.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, "
                   "tile_row INTEGER, tile_data BLOB)")
        db.execute("CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row)")
        vector_layers = [{"id": layer, "fields": {f: "String" for f in fields},
                          "minzoom": min(zooms), "maxzoom": max(zooms)}]
        metadata = {"name": name, "format": "pbf", "type": "baselayer", "version": "1",
                    "minzoom": str(min(zooms)), "maxzoom": str(max(zooms)),
                    "bounds": "-180,-85.05113,180,85.05113", "center": "0,0,0",
                    "attribution": attribution, "description": description,
                    "json": json.dumps({"vector_layers": vector_layers})}
        db.executemany("INSERT INTO metadata VALUES (?, ?)", sorted(metadata.items()))
        db.executemany(
            "INSERT INTO tiles VALUES (?, ?, ?, ?)",
            ((z, x, (1 << z) - 1 - y, gzip.compress(f.read_bytes(), compresslevel=9, mtime=0))
             for z, x, y, f in tiles))
    db.execute("VACUUM")
    db.close()
    return len(tiles)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--name", required=True)
    parser.add_argument("--layer", required=True, help="the tiles' one layer")
    parser.add_argument("--fields", nargs="*", default=[], help="its text properties")
    parser.add_argument("--attribution", default="")
    parser.add_argument("--description", default="")
    args = parser.parse_args(argv)
    n = pack(args.folder, args.out, name=args.name, layer=args.layer, fields=args.fields,
             attribution=args.attribution, description=args.description)
    print(f"{args.out}: {n} tiles")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
