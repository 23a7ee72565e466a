"""The server's additions to Streamlit's: what a browser gets before any script has run.

`middleware()` is handed to `st.App` (app.py). It puts these layers in front of Streamlit's
own ASGI app:

- `KeptFiles`: Streamlit's frontend files (JavaScript, CSS, fonts: 120-140 of them for a
  new visitor, 9.6 MB) and the app's static/ files are read and compressed once, then
  sent from memory. Streamlit reads every one from disk for every visitor and sends it
  uncompressed (it leaves compression to a proxy).
- `OutlineTiles`: the live map's country outlines, as the vector tiles in view, read from
  static/'s MBTiles file (scripts/build_outline_tiles.sh) once and sent from memory.
- `Downloads`: a view's CSV or GeoJSON export (`common.export_link`), streamed from the
  data folder's source as its rows are read: a download of millions of rows is never
  whole in memory (Streamlit's download button holds its file in memory to serve it).
- `FirstView`: the HTML page of a shared link to the Map or the Claims carries a sketch
  of that view (warlens/ui/sketches.py), so the reader sees the events or claims while the
  interactive page loads; the live page replaces it as soon as it has drawn its own.
  The figure and rows it sketches are the ones the page then draws, built once
  (`common.built_once`): the visitor's session finds them ready. Every page also names
  the frontend modules its first run loads (`PRELOADED`), so the browser fetches them
  while the script runs, and a page other than the Overview tells the frontend where the
  app is (`_AT_BASE`), so that it connects at once.

Neither layer changes what a page shows, and either steps aside on any doubt: a request
it does not know, a sketch that is not ready within SKETCH_BUDGET_S, an error (logged).
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import logging
import re
import sqlite3
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import anyio
from starlette.middleware import Middleware

from warlens.ui.routes import (
    DOWNLOADS,
    EXPORT_ROUTE,
    OUTLINE_TILES_FILE,
    OUTLINES_ROUTE,
    PLOTLY_BUNDLE,
    STATIC,
)

if TYPE_CHECKING:
    from warlens.sketch import Outlines

# Nothing else of warlens's own at import: the server answers before pandas and the
# engine are loaded (in the background by `lifespan`, or when a sketch is first drawn),
# a time the first visitor's browser spends loading Streamlit's frontend.

log = logging.getLogger("warlens.server")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: The longest a page's HTML waits for its sketch; past it the page goes without one
#: (the sketch is still made, for the page's own script to find).
SKETCH_BUDGET_S = 1.0
#: Bytes of compressed files kept in memory, at most (Streamlit's frontend is about 3 MB
#: compressed; the map outlines 0.4 MB).
KEPT_BYTES = 64 << 20
#: Files worth compressing, by content type.
_COMPRESSIBLE = ("text/", "application/javascript", "application/json",
                 "application/geo+json", "image/svg+xml", "application/manifest+json")
#: The pages a shared link is sketched for, by the last part of their URL.
SKETCHED = {"Map": "map", "Claims": "claims", "Timeline": "timeline", "Stories": "stories",
            "Article": "article"}
#: The app's pages (pages/), by the last part of their URL: their HTML connects at once.
PAGES = frozenset({*SKETCHED, "Problems", "Annotate"})
#: Seconds after the start when the map sketches' outlines are read, unless a map link
#: asks for them sooner: reading them (0.4 s of CPU) while the first visitor's page runs
#: made it that much later on two cores.
OUTLINES_AFTER_S = 6.0


@contextlib.asynccontextmanager
async def lifespan(_app: object) -> AsyncIterator[None]:
    """Load the data folder while the server starts (in the background, so the server
    answers at once): the first visitor's page and sketch then find it ready."""
    threading.Thread(target=_warm, daemon=True, name="warlens-warm").start()
    yield


def _warm() -> None:
    from warlens import query
    from warlens.limits import read_limits
    from warlens.ui import overview, shell
    from warlens.workspace import data_dir

    try:
        source = shell.workspace(str(data_dir())).source()
        source.vocabulary()
        # The page most links open first, for the open view: the first visitor's script
        # then finds its answers (and the page's modules) ready.
        overview.ask(source, query.Filters(), read_limits()[0])
    except Exception:  # the first page then loads it and shows why
        log.exception("warlens: loading the data folder at start failed")
    _preloads()


def middleware() -> list[Middleware]:
    """The layers `st.App` puts in front of Streamlit's own (outermost first)."""
    return [Middleware(KeptFiles), Middleware(OutlineTiles), Middleware(Downloads),
            Middleware(FirstView)]


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return ""


def _params(scope: Scope) -> dict[str, list[str]]:
    """A request's query parameters, every value as a list (as a page reads its URL)."""
    return parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)


def _accepts_gzip(scope: Scope) -> bool:
    return "gzip" in _header(scope, b"accept-encoding").lower()


async def _capture(app: ASGIApp, scope: Scope, receive: Receive) -> tuple[int, list, bytes]:
    """Run the app for this request and collect its whole response."""
    status, headers, body = 500, [], bytearray()

    async def send(message: Message) -> None:
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status, headers = message["status"], list(message.get("headers", ()))
        elif message["type"] == "http.response.body":
            body.extend(message.get("body", b""))

    await app(scope, receive, send)
    return status, headers, bytes(body)


async def _respond(send: Send, status: int, headers: list, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _with(headers: list, **values: str) -> list:
    """`headers` with these set (name_with_underscores -> name-with-dashes) and
    content-length recomputed by the caller's values."""
    names = {k.replace("_", "-").encode() for k in values}
    kept = [(k, v) for k, v in headers if k.lower() not in names]
    return kept + [(k.replace("_", "-").encode(), v.encode()) for k, v in values.items()]


def _without_encoding(scope: Scope) -> Scope:
    """The request as one that accepts no compression: the layer compresses itself."""
    return {**scope, "headers": [(k, v) for k, v in scope.get("headers", ())
                                 if k != b"accept-encoding"]}


@dataclass(frozen=True)
class _Kept:
    status: int
    headers: list
    body: bytes
    gzipped: bytes | None


class KeptFiles:
    """Streamlit's static files, compressed once and sent from memory."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._kept: dict[str, _Kept] = {}
        self._bytes = 0
        self._lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._wanted(scope):
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        kept = self._kept.get(path)
        if kept is None:
            status, headers, body = await _capture(self.app, _without_encoding(scope), receive)
            kept = await anyio.to_thread.run_sync(self._keep, path, status, headers, body)
        if kept.gzipped is not None and _accepts_gzip(scope):
            headers = _with(kept.headers, content_encoding="gzip", vary="Accept-Encoding",
                            content_length=str(len(kept.gzipped)))
            await _respond(send, kept.status, headers, kept.gzipped)
        else:
            headers = _with(kept.headers, content_length=str(len(kept.body)))
            await _respond(send, kept.status, headers, kept.body)

    @staticmethod
    def _wanted(scope: Scope) -> bool:
        """A plain GET of a static file: not a range, not a revalidation."""
        if scope["type"] != "http" or scope["method"] != "GET" or "/static/" not in scope["path"]:
            return False
        asked = {k for k, _ in scope.get("headers", ())}
        return not asked & {b"range", b"if-none-match", b"if-modified-since"}

    def _keep(self, path: str, status: int, headers: list, body: bytes) -> _Kept:
        content_type = next((v.decode("latin-1") for k, v in headers
                             if k.lower() == b"content-type"), "")
        gzipped = (gzip.compress(body, compresslevel=6, mtime=0)
                   if status == 200 and content_type.startswith(_COMPRESSIBLE)
                   and len(body) > 1024 else None)
        kept = _Kept(status, headers, body, gzipped)
        with self._lock:
            size = len(body) + len(gzipped or b"")
            if status == 200 and self._bytes + size <= KEPT_BYTES:
                self._kept[path] = kept
                self._bytes += size
        return kept


class OutlineTiles:
    """The live map's country outlines, one vector tile at a time (`{route}/Z/X/Y.pbf`).

    Read once from static/'s MBTiles file (0.7 MB, its tiles gzipped as the format keeps
    them), then sent from memory: gzipped to a browser that takes it, unpacked otherwise.
    A tile the file does not hold, within its zooms, is open sea: an empty tile, which
    MapLibre draws as nothing. Past the file's last zoom, a path that is not a tile's, or
    no file at all: 404 (the map is drawn without outlines, and the log says why).
    """

    def __init__(self, app: ASGIApp, path: Path = STATIC / OUTLINE_TILES_FILE) -> None:
        self.app = app
        self.path = path
        self._tiles: dict[tuple[int, int, int], bytes] | None = None
        self._max_zoom = -1
        self._reading = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        parts = self._parts(scope)
        if parts is None:
            await self.app(scope, receive, send)
            return
        tile = _tile(parts)
        # The file is read once, off the event loop; after that the tiles are in memory.
        tiles, max_zoom = ((self._tiles, self._max_zoom) if self._tiles is not None
                           else await anyio.to_thread.run_sync(self._read))
        if tile is None or tile[0] > max_zoom:
            await _respond(send, 404, [(b"content-type", b"text/plain; charset=utf-8"),
                                       (b"content-length", str(len(_NO_TILE)).encode())],
                           _NO_TILE)
            return
        body = tiles.get(tile, b"")
        headers = [(b"content-type", b"application/vnd.mapbox-vector-tile"),
                   (b"cache-control", b"public, max-age=3600"),
                   (b"x-content-type-options", b"nosniff"), (b"vary", b"Accept-Encoding")]
        if body and _accepts_gzip(scope):
            headers.append((b"content-encoding", b"gzip"))
        elif body:
            body = gzip.decompress(body)
        headers.append((b"content-length", str(len(body)).encode()))
        await _respond(send, 200, headers, b"" if scope["method"] == "HEAD" else body)

    @staticmethod
    def _parts(scope: Scope) -> list[str] | None:
        """The three parts after the route of a request for a tile; None for any other."""
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            return None
        parts = scope["path"].split("/")
        return parts[-3:] if len(parts) >= 4 and parts[-4] == OUTLINES_ROUTE else None

    def _read(self) -> tuple[dict[tuple[int, int, int], bytes], int]:
        """Every tile of the file by (z, x, y from the north), and its last zoom."""
        with self._reading:
            if self._tiles is None:
                try:
                    self._tiles, self._max_zoom = _read_mbtiles(self.path)
                except (OSError, sqlite3.Error, ValueError):
                    log.exception("warlens: no map outline tiles from %s", self.path)
                    self._tiles, self._max_zoom = {}, -1
            return self._tiles, self._max_zoom


_NO_TILE = b"No such outline tile."


def _tile(parts: list[str]) -> tuple[int, int, int] | None:
    """(z, x, y) of a tile's path parts ["Z", "X", "Y.pbf"]; None if they are not a tile's."""
    z, x, name = parts
    y, dot, ext = name.partition(".")
    if not dot or ext != "pbf" or not all(p.isascii() and p.isdigit() and len(p) <= 8
                                          for p in (z, x, y)):
        return None
    zoom, column, row = int(z), int(x), int(y)
    return (zoom, column, row) if column < 1 << zoom and row < 1 << zoom else None


def _read_mbtiles(path: Path) -> tuple[dict[tuple[int, int, int], bytes], int]:
    """The tiles of an MBTiles file by (z, x, y from the north), and its last zoom."""
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        meta = dict(db.execute("SELECT name, value FROM metadata"))
        if meta.get("format") != "pbf":
            raise ValueError(f"{path}: tiles of format {meta.get('format')!r}, not vector (pbf)")
        tiles = {(z, x, (1 << z) - 1 - row): bytes(data) for z, x, row, data in db.execute(
            "SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles")}
    finally:
        db.close()
    return tiles, int(meta.get("maxzoom", max((z for z, _x, _y in tiles), default=-1)))


class Downloads:
    """A view's export, streamed from the data folder's source as it is read."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        name = self._name(scope)
        if name is None:
            await self.app(scope, receive, send)
            return
        from starlette.responses import PlainTextResponse, StreamingResponse

        params = _params(scope)
        try:
            pieces, mime = await anyio.to_thread.run_sync(_export, name, params)
        except Exception:  # the reader gets a plain answer; the log gets the cause
            log.exception("warlens: no export %s for %s", name, params)
            response: Any = PlainTextResponse(
                "warlens could not make this export; the server's log says why.",
                status_code=500)
        else:
            # A sync iterator: Starlette reads it on a worker thread, a piece at a time,
            # and stops when the browser goes away.
            response = StreamingResponse(pieces, media_type=mime, headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})
        await response(scope, receive, send)

    @staticmethod
    def _name(scope: Scope) -> str | None:
        """The export a request asks for (its file name), or None for any other request."""
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            return None
        route, _, name = scope["path"].rstrip("/").rpartition("/")
        known = {n for _label, n, _mime, _table in DOWNLOADS}
        return name if route.rsplit("/", 1)[-1] == EXPORT_ROUTE and name in known else None


def _export(name: str, params: dict[str, list[str]]) -> tuple[Any, str]:
    """The pieces of export `name` of the view these parameters name, and its type."""
    from warlens import query
    from warlens.ui import common, shell
    from warlens.workspace import data_dir

    source = shell.workspace(str(data_dir())).source()
    filters, _notices = query.filters_from_params(params, source.vocabulary())
    mime = next(m for _label, n, m, _table in DOWNLOADS if n == name)
    return common.export_pieces(source, filters, name), mime


class FirstView:
    """A shared link's HTML page, with a sketch of its view drawn in."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._outlines: dict[str, Outlines] = {}
        self._reading = threading.Lock()
        later = threading.Timer(OUTLINES_AFTER_S, self._read_all)
        later.daemon = True
        later.start()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        page = self._page(scope)
        if page is None:
            await self.app(scope, receive, send)
            return
        kind = SKETCHED.get(page, "")
        params = _params(scope)
        drawn: list[str] = []
        if kind:
            with anyio.move_on_after(SKETCH_BUDGET_S):
                drawn.append(await anyio.to_thread.run_sync(self._sketch, kind, params,
                                                            abandon_on_cancel=True))
        # Always the whole page: a browser's cached copy would hold an older sketch.
        asked = _without_encoding(scope)
        asked["headers"] = [(k, v) for k, v in asked["headers"]
                            if k not in (b"if-none-match", b"if-modified-since")]
        status, headers, body = await _capture(self.app, asked, receive)
        headers = [(k, v) for k, v in headers if k.lower() not in (b"etag", b"last-modified")]
        if status == 200 and b"</head>" in body:
            head = ((_AT_BASE if page else b"") + _preloads()
                    + (_chart_head(kind) if kind in CHARTED else b""))
            body = body.replace(b"</head>", head + b"</head>", 1)
        if status == 200 and drawn and drawn[0] and b"<body>" in body:
            body = body.replace(b"<body>", b"<body>" + drawn[0].encode(), 1)
            # Streamlit's stylesheet need not hold up the sketch's first paint: the
            # sketch covers the page until the live view is drawn, long after it loads.
            body = body.replace(b'<link rel="stylesheet"',
                                b'<link rel="stylesheet" media="print" onload="this.media=\'all\'"')
        if _accepts_gzip(scope) and status == 200:
            body = gzip.compress(body, compresslevel=6)
            headers = _with(headers, content_encoding="gzip", vary="Accept-Encoding")
        await _respond(send, status, _with(headers, content_length=str(len(body))), body)

    @staticmethod
    def _page(scope: Scope) -> str | None:
        """The page asked for ("" for the Overview); None for anything but a page."""
        if scope["type"] != "http" or scope["method"] != "GET":
            return None
        if scope["path"].strip("/") == "":
            return ""
        page = scope["path"].rstrip("/").rsplit("/", 1)[-1]
        return page if page in PAGES else None

    def _sketch(self, kind: str, params: dict[str, list[str]]) -> str:
        """The sketch of this view, or "" (nothing to sketch, or it failed: logged)."""
        try:
            from warlens.ui import sketches

            return sketches.draw(kind, params, self._outline)
        except Exception:  # a sketch never costs the visitor the page
            log.exception("warlens: no first-view sketch for %s %s", kind, params)
            return ""

    def _outline(self, name: str) -> Outlines:
        """The country outlines of static/`name`, read once."""
        from warlens import sketch

        with self._reading:
            if name not in self._outlines:
                self._outlines[name] = sketch.Outlines.read(STATIC / name)
            return self._outlines[name]

    def _read_all(self) -> None:
        """Every outline a map sketch may draw on, read ahead of the links that ask."""
        from warlens.ui.mapview import BASEMAP, COARSE_BASEMAP

        for name in (COARSE_BASEMAP, BASEMAP):
            self._outline(name)


# A page's head tells Streamlit's frontend where the app is: the folder above the page.
# Without it the frontend first pings the page's own path (`/Map/_stcore/health`, a 404),
# and only after its 100 ms retry pause the app's: every link to a page but the Overview
# connected that much later. `window.__streamlit` is the frontend's own setting for a
# host page (its BACKEND_BASE_URL); one a host has set is left as it is. Worked out in
# the browser from the page's address, not written from the request's path.
_AT_BASE = (
    b"<script>if (!window.__streamlit) { const at = new URL(location.href);"
    b" at.search = ''; at.hash = ''; at.pathname = at.pathname.replace(/[/]+$/, '')"
    b".replace(/[^/]*$/, ''); window.__streamlit = {BACKEND_BASE_URL: at.href}; }</script>")

#: The pages whose view is a chart (ui/plot.py).
CHARTED = frozenset({"map", "timeline"})


@functools.cache
def _chart_head(kind: str) -> bytes:
    """A chart page's head: it fetches plotly.js at once, and runs it when the page's
    script has started. The browser then waits on the server, and plotly's 0.2 s of
    start-up is done before the chart is asked for (the chart element shares this load:
    ui/plot.js). A map's page then starts MapLibre's workers too (the bundle's
    `prewarmMap`, scripts/plotly/entry.js): 0.04-0.06 s less before its map is drawn."""
    bundle = PLOTLY_BUNDLE.encode()
    ready = b"if (window.Plotly.prewarmMap) window.Plotly.prewarmMap(); " if kind == "map" else b""
    return (
        b'<link rel="preload" as="script" href="./app/static/' + bundle + b'">'
        b"<script>(() => {"
        b"const src = new URL('./app/static/" + bundle + b"', document.baseURI).href;"
        b"const loads = (window.__warlensPlotly ??= {});"
        b"const start = () => { loads[src] ??= new Promise((resolve, reject) => {"
        b" const s = document.createElement('script'); s.src = src;"
        b" s.onload = () => { " + ready + b"resolve(window.Plotly); };"
        b" s.onerror = () => { delete loads[src]; reject(new Error('could not load ' + src)); };"
        b" document.head.appendChild(s); }); };"
        b"new MutationObserver((_, seen) => {"
        b" if (document.querySelector("
        b"'[data-testid=\"stApp\"][data-test-script-state=\"running\"]'))"
        b" { seen.disconnect(); start(); } })"
        b".observe(document.documentElement, {subtree: true, attributes: true, childList: true});"
        b"})();</script>")

#: The frontend's element modules the pages draw from their first run (the sidebar's
#: filters, links, metrics and tables). Streamlit loads each when its first element
#: arrives, after the script has started; named in the page's head, the browser fetches
#: and compiles them while the server runs the script.
PRELOADED = ("PageLink", "DateInput", "TextInput", "Checkbox", "Button", "FileUploader",
             "Metric", "DataFrame", "Multiselect", "ButtonGroup", "BidiComponent", "LinkButton")
#: A static import in Streamlit's built modules (`import{a as b}from"./X.js"`,
#: `import"./X.js"`); not a dynamic `import("./X.js")`, which loads only when asked.
_IMPORTED = re.compile(rb'(?:^|[;}])import(?:\{[^}]*\}from|\*as \w+ from|[\w$]+ from|)'
                       rb'"\./([\w.$-]+\.js)"')


@functools.cache
def _preloads() -> bytes:
    """`<link rel="modulepreload">` for PRELOADED and the modules they import, as
    Streamlit's own page names its first modules (none if this Streamlit has none)."""
    import streamlit

    static = Path(streamlit.__file__).parent / "static"
    js = static / "static" / "js"
    # What the page names already (its script and the modules it preloads) is not
    # named twice, nor followed: the main bundle's own imports are there.
    named = set(re.findall(r'\./static/js/([\w.$-]+\.js)', (static / "index.html").read_text()))
    wanted = [p.name for p in js.glob("*.js") if p.name.split(".", 1)[0] in PRELOADED]
    seen: set[str] = set()
    while wanted:
        name = wanted.pop()
        if name in seen or name in named or not (js / name).is_file():
            continue
        seen.add(name)
        wanted.extend(m.decode() for m in _IMPORTED.findall((js / name).read_bytes()))
    return b"".join(b'<link rel="modulepreload" crossorigin href="./static/js/'
                    + name.encode() + b'">' for name in sorted(seen))
