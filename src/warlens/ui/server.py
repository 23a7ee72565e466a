"""The server's additions to Streamlit's: what a browser gets before any script has run.

`middleware()` is handed to `st.App` (app.py). It puts two layers in front of Streamlit's
own ASGI app:

- `KeptFiles`: Streamlit's frontend files (JavaScript, CSS, fonts: 120-140 of them for a
  new visitor, 9.6 MB) and the app's static/ files are read and compressed once, then
  sent from memory. Streamlit reads every one from disk for every visitor and sends it
  uncompressed (it leaves compression to a proxy).
- `Downloads`: a view's CSV or GeoJSON export (`common.export_link`), streamed from the
  data folder's source as its rows are read: a download of millions of rows is never
  whole in memory (Streamlit's download button holds its file in memory to serve it).
- `FirstView`: the HTML page of a shared link to the Map or the Claims carries a sketch
  of that view (warlens/sketch.py), so the reader sees the events or claims while the
  interactive page loads; the live page replaces it as soon as it has drawn its own.
  The figure and rows it sketches are the ones the page then draws, built once
  (`common.built_once`): the visitor's session finds them ready. The Overview's page
  and the sketched ones also name the frontend modules their first run loads
  (`PRELOADED`), so the browser fetches them while the script runs.

Neither layer changes what a page shows, and either steps aside on any doubt: a request
it does not know, a sketch that is not ready within SKETCH_BUDGET_S, an error (logged).
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import logging
import re
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import anyio
from starlette.middleware import Middleware

from warlens import query, sketch, text
from warlens.limits import read_limits
from warlens.model import Col

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
#: Contested events a Claims sketch sets side by side.
CONTESTED_SKETCHED = 3
#: Reports a story's sketch lists (the live page lists them all).
STORY_REPORTS_SKETCHED = 12
STATIC = Path(__file__).resolve().parents[3] / "static"


@contextlib.asynccontextmanager
async def lifespan(_app: object) -> AsyncIterator[None]:
    """Load the data folder while the server starts (in the background, so the server
    answers at once): the first visitor's page and sketch then find it ready."""
    threading.Thread(target=_warm, daemon=True, name="warlens-warm").start()
    yield


def _warm() -> None:
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


def middleware() -> list[Middleware]:
    """The layers `st.App` puts in front of Streamlit's own (outermost first)."""
    return [Middleware(KeptFiles), Middleware(Downloads), Middleware(FirstView)]


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
        from warlens.ui.common import DOWNLOADS, EXPORT_ROUTE

        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            return None
        route, _, name = scope["path"].rstrip("/").rpartition("/")
        known = {n for _label, n, _mime, _table in DOWNLOADS}
        return name if route.rsplit("/", 1)[-1] == EXPORT_ROUTE and name in known else None


def _export(name: str, params: dict[str, list[str]]) -> tuple[Any, str]:
    """The pieces of export `name` of the view these parameters name, and its type."""
    from warlens.ui import common, shell
    from warlens.workspace import data_dir

    source = shell.workspace(str(data_dir())).source()
    filters, _notices = query.filters_from_params(params, source.vocabulary())
    mime = next(m for _label, n, m, _table in common.DOWNLOADS if n == name)
    return common.export_pieces(source, filters, name), mime


class FirstView:
    """A shared link's HTML page, with a sketch of its view drawn in."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._outlines: dict[str, sketch.Outlines] = {}
        self._reading = threading.Lock()
        # Read while the server starts, not in the first visitor's time budget.
        threading.Thread(target=self._read_all, daemon=True, name="warlens-outlines").start()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = self._kind(scope)
        if kind is None:
            await self.app(scope, receive, send)
            return
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
            body = body.replace(b"</head>", _preloads() + b"</head>", 1)
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
    def _kind(scope: Scope) -> str | None:
        """The sketch a page's HTML gets ("" for the Overview: none); None for anything
        but a page."""
        if scope["type"] != "http" or scope["method"] != "GET":
            return None
        if scope["path"].strip("/") == "":
            return ""
        return SKETCHED.get(scope["path"].rstrip("/").rsplit("/", 1)[-1])

    def _sketch(self, kind: str, params: dict[str, list[str]]) -> str:
        """The sketch of this view, or "" (nothing to sketch, or it failed: logged)."""
        try:
            return _draw(kind, params, self._outline)
        except Exception:  # a sketch never costs the visitor the page
            log.exception("warlens: no first-view sketch for %s %s", kind, params)
            return ""

    def _outline(self, name: str) -> sketch.Outlines:
        with self._reading:
            if name not in self._outlines:
                self._outlines[name] = sketch.Outlines.read(STATIC / name)
            return self._outlines[name]

    def _read_all(self) -> None:
        from warlens.ui.mapview import BASEMAP, COARSE_BASEMAP

        _preloads()
        for name in (COARSE_BASEMAP, BASEMAP):
            self._outline(name)


#: The frontend's element modules the pages draw from their first run (the sidebar's
#: filters, links, metrics and tables). Streamlit loads each when its first element
#: arrives, after the script has started; named in the page's head, the browser fetches
#: and compiles them while the server runs the script.
PRELOADED = ("PageLink", "DateInput", "TextInput", "Checkbox", "Button", "FileUploader",
             "Metric", "DataFrame")
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


def _draw(kind: str, params: dict[str, list[str]],
          outlines: Callable[[str], sketch.Outlines]) -> str:
    from warlens.ui import common, shell
    from warlens.workspace import data_dir

    source = shell.workspace(str(data_dir())).source()
    vocab = source.vocabulary()
    filters, _notices = query.filters_from_params(params, vocab)
    view = shell.View(getattr(source, "corpus", None), vocab, filters, (),
                      read_limits()[0], source)
    # Drawn once per view, like the figures it is drawn from: the source's memo forgets
    # it with them when the data changes.
    return common.built_once(view, f"sketch:{kind}", (filters.event, filters.claim),
                             lambda: _sketch_of(kind, view, outlines))


def _sketch_of(kind: str, view: object, outlines: Callable[[str], sketch.Outlines]) -> str:
    """The sketch of `view` on page `kind` ("" when the page would draw nothing)."""
    labels = {spec.param: spec.label or spec.param for spec in query.FILTERS
              if spec.kind != "item"}
    filters = view.filters  # type: ignore[attr-defined]
    shown = sketch.in_force(filters.to_params(), labels)
    for what, key in (("Selected event", filters.event), ("Selected claim", filters.claim)):
        if key:
            shown[what] = key
    title, body = _SKETCHES[kind](view, outlines)
    return sketch.page(kind, title, shown, body) if body else ""


def _map_sketch(view: object, outlines: Callable[[str], sketch.Outlines]) -> tuple[str, str]:
    from warlens.ui import mapview

    fig, _missing = mapview.map_figure(view)
    if fig is None:
        return "Map", ""
    return "Map", (f"<h3>{sketch.text(fig.layout.title.text, 200)}</h3>"
                   + sketch.map_svg(fig, outlines(mapview.outline_file(fig)))
                   + sketch.legend(fig))


def _timeline_sketch(view: object, _outlines: object) -> tuple[str, str]:
    from warlens.ui import timeline

    n_dated = view.source.timeline_dated(view.filters)  # type: ignore[attr-defined]
    if not n_dated:
        return "Timeline", ""
    fig = timeline.timeline_figure(view, n_dated)
    title = re.sub(r"<[^>]*>", " ", str(fig.layout.title.text or ""))
    return "Timeline", (f"<h3>{sketch.text(title, 200)}</h3>" + sketch.timeline(fig)
                        + sketch.legend(fig))


def _claims_sketch(view: object, _outlines: object) -> tuple[str, str]:
    """The contested claims side by side, then the first rows of the claims table."""
    from warlens.ui import claims

    source, filters = view.source, view.filters  # type: ignore[attr-defined]
    rows = source.claims(filters, [*claims.COLUMNS], limit=sketch.TABLE_ROWS,
                         about=filters.event)
    if rows.frame.empty:
        return "Claims", ""
    pairs, n_events = source.contested_pairs(filters, filters.event, CONTESTED_SKETCHED)
    groups: dict[str, tuple[str, list, list]] = {}
    for pair in pairs.to_dict("records"):
        _summary, asserting, denying = groups.setdefault(
            str(pair[Col.EVENT]), (pair[Col.EVENT_SUMMARY], [], []))
        for stance, side in (("asserts", asserting), ("denies", denying)):
            said = (pair[f"{Col.CLAIMANT}_{stance}"], pair[f"{Col.CLAIM}_{stance}"])
            if said not in side:
                side.append(said)
    contested = (f"<h3>Contested ({n_events:,} event{'s' * (n_events != 1)})</h3>"
                 + sketch.pairs(list(groups.values())) if n_events else "")
    columns = {col: claims.COLUMNS[col]["label"] for col in claims.COLUMNS
               if col != Col.CONTESTED}
    return "Claims", (contested + f"<h3>All claims ({rows.total:,})</h3>"
                      + sketch.table(rows.frame.fillna(""), columns, rows.total,
                                     narrow=(Col.CLAIMANT, Col.STANCE, Col.CLAIM)))


def _credit(row: dict) -> str:
    return text.credit(row.get(Col.ATTRIBUTION), row.get(Col.LICENSE))


def _story_sketch(view: object, _outlines: object) -> tuple[str, str]:
    """One story (`?story=slug`): the dispute side by side, then its reports in order of
    publication, each quote with its text's attribution and licence."""
    from warlens import stories

    filters = view.filters  # type: ignore[attr-defined]
    if len(filters.stories) != 1:
        return "Stories", ""
    told, reports, claims = view.source.story(filters.stories[0])  # type: ignore[attr-defined]
    if told is None:
        return "Stories", ""
    verdict = ("contested: one claimant asserts it, another denies it" if told[Col.CONTESTED]
               else "not contested in these sources")
    n_reports, n_outlets = int(told[stories.N_ARTICLES]), int(told[stories.N_OUTLETS])
    head = (f"<h3>{sketch.text(filters.stories[0], 120)}</h3><p class=\"wl-note\">"
            + sketch.text(f"{told[Col.DATE_LABEL]} · {told[stories.PLACES] or 'no place given'}"
                          f" · {n_reports:,} report{'s' * (n_reports != 1)} from {n_outlets:,} "
                          f"outlet{'s' * (n_outlets != 1)} ({told[stories.OUTLETS]}) · {verdict}",
                          400) + "</p>")
    credits = {str(r[Col.ARTICLE]): _credit(r) for r in reports.to_dict("records")}

    def one(claim: dict) -> str:
        return sketch.said(claim[Col.CLAIMANT], claim[Col.STANCE], claim[Col.CLAIM],
                           claim[Col.OUTLET], claim[Col.PUBLISHED_LABEL], claim[Col.QUOTE],
                           credits.get(str(claim[Col.ARTICLE]), ""))

    dispute = ""
    records = claims.to_dict("records")
    asserting = [c for c in records if c[Col.STANCE] == "asserts"]
    denying = [c for c in records if c[Col.STANCE] == "denies"]
    if told[Col.CONTESTED] and asserting and denying:
        dispute = ("<h3>The dispute</h3>" + "".join(
            f'<div class="wl-pair"><div>{one(a)}</div><div>{one(d)}</div></div>'
            for d in denying[:2] for a in asserting[:2] if a[Col.CLAIMANT] != d[Col.CLAIMANT]))
    told_by = "".join(
        f'<div class="wl-card"><p><b>{sketch.text(r[Col.OUTLET], 80)}</b>, published '
        f"{sketch.text(r[Col.PUBLISHED_LABEL], 40)}: {sketch.text(r[Col.TITLE], 200)}</p>"
        f"<p>Reports: {sketch.text(r[Col.SUMMARY])}</p>"
        f"<blockquote>{sketch.text(r[Col.QUOTE], 400)}</blockquote>"
        + (f'<p class="wl-note">{sketch.text(_credit(r), 300)}</p>' if _credit(r) else "")
        + "</div>" for r in reports.head(STORY_REPORTS_SKETCHED).to_dict("records"))
    return "Stories", (head + dispute + f"<h3>Reports in the order they were published "
                       f"({len(reports):,})</h3>" + told_by)


def _article_sketch(view: object, _outlines: object) -> tuple[str, str]:
    """A link to one article (or to a sentence in it): its text with the sentence marked,
    and the text's attribution and licence. A link that leaves the article to be picked
    gets no sketch."""
    from warlens.ui import reader

    source, filters = view.source, view.filters  # type: ignore[attr-defined]
    article_id = None
    for table, key in (("claims", filters.claim), ("events", filters.event)):
        hit = source.item(table, key) if key else None
        if hit is not None:
            article_id = str(hit[Col.ARTICLE])
            break
    if article_id is None and len(filters.articles) == 1:
        article_id = filters.articles[0]
    found = source.article(article_id) if article_id else None
    if found is None or found["articles"].empty:
        return "Article", ""
    article = found["articles"].iloc[0]
    text_ = str(article[Col.TEXT])
    focus, chosen = [], ""
    for table, key in ((found["claims"], filters.claim), (found["events"], filters.event)):
        hit = table[table[Col.KEY] == key] if key else table.iloc[0:0]
        if len(hit):
            row = hit.iloc[0]
            focus.append((int(row[Col.SPAN_START]), int(row[Col.SPAN_END])))
            chosen = (f'<div class="wl-card"><p class="wl-note">Selected sentence</p>'
                      f'<p><mark class="focus">{sketch.text(row[Col.QUOTE], 2000)}</mark></p>'
                      "</div>")
    events, claims, places = found["events"], found["claims"], found["places"]
    marks = {"focus": focus,
             "claim": list(zip(claims[Col.SPAN_START].astype(int),
                               claims[Col.SPAN_END].astype(int), strict=True)),
             "event": list(zip(events[Col.SPAN_START].astype(int),
                               events[Col.SPAN_END].astype(int), strict=True)),
             "place": reader.place_spans(text_, list(places[Col.PLACE_NAME]))}
    meta = " · ".join(str(v) for v in (article[Col.OUTLET],
                                       f"published {article[Col.PUBLISHED_LABEL]}",
                                       article.get(Col.AUTHOR)) if isinstance(v, str) and v)
    credit = _credit(article.to_dict())
    return "Article", (f"<h3>{sketch.text(article[Col.TITLE], 300)}</h3>"
                       f'<p class="wl-note">{sketch.text(meta, 300)}</p>'
                       + (f'<p class="wl-note">Text: {sketch.text(credit, 300)}</p>'
                          if credit else "")
                       + chosen + sketch.marked_text(reader.marked_segments(text_, marks)))


#: What each sketched page draws: (its title, the sketch's body, "" for nothing).
_SKETCHES: dict[str, Callable[[object, Callable[[str], sketch.Outlines]], tuple[str, str]]] = {
    "map": _map_sketch, "timeline": _timeline_sketch, "claims": _claims_sketch,
    "stories": _story_sketch, "article": _article_sketch}
