"""What the pages link to that the server answers itself, not Streamlit (`server.Downloads`).

Apart from the pages and the server, with nothing of warlens's to import: the server reads
it before pandas and the data are loaded, and the pages link to it.
"""

from pathlib import Path

#: The app's static/ folder: the plotly.js build, the map outlines, the map fonts.
STATIC = Path(__file__).resolve().parents[3] / "static"

#: The export buttons: label, file name, MIME type, and which table each writes.
DOWNLOADS = (
    ("Events CSV", "warlens-events.csv", "text/csv", "events"),
    ("Events GeoJSON", "warlens-events.geojson", "application/geo+json", "events"),
    ("Claims CSV", "warlens-claims.csv", "text/csv", "claims"),
)
#: Where the server streams a view's export (`server.Downloads`): the app's address, then
#: this, then the file's name, then the view's parameters.
EXPORT_ROUTE = "export"
#: The plotly.js the charts draw with, in static/ (scripts/build_plotly.sh). Its name holds
#: plotly.js's version: a browser or a proxy keeping static/ files an hour never pairs a
#: new figure with an older plotly.js.
PLOTLY_BUNDLE = "plotly-warlens-4.1.1.min.js"
#: Where the server answers the live map's country outlines as vector tiles
#: (`server.OutlineTiles`): the app's address, then this, then Z/X/Y.pbf.
OUTLINES_ROUTE = "outlines"
#: The file in static/ they are read from (scripts/build_outline_tiles.sh).
OUTLINE_TILES_FILE = "countries-50m.mbtiles"
