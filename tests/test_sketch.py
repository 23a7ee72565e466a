"""The first view of a shared link: the sketch in its HTML page, and the server's layers.

The sketch is what a new visitor sees first, so it must show the same view (the same
marks where the map puts them, the same claims) and never turn data into markup. The
server's layers must never cost a visitor the page.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import gzip
import importlib.util
import json
import re
import sqlite3
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from warlens import figures, sketch
from warlens.model import Col
from warlens.ui import server, sketches

_PACKER = Path(__file__).resolve().parents[1] / "scripts" / "pack_mbtiles.py"
_spec = importlib.util.spec_from_file_location("pack_mbtiles", _PACKER)
pack_mbtiles = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pack_mbtiles)

HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(2)>"&'


def _places(**columns: list) -> pd.DataFrame:
    n = len(columns[Col.LAT])
    base = {Col.PLACE_NAME: [f"Town {i}" for i in range(n)], Col.PRECISION: ["settlement"] * n,
            Col.TYPE: ["battle"] * n, Col.SUMMARY: ["something happened"] * n}
    return pd.DataFrame({**base, **columns})


@pytest.fixture(scope="module")
def outlines() -> sketch.Outlines:
    return sketch.Outlines.read(sketches.STATIC / "countries-coarse.geojson")


@pytest.mark.parametrize("name", ["countries-coarse.geojson", "countries-50m.geojson"])
def test_no_outline_runs_across_the_world(name: str) -> None:
    """Natural Earth writes Chukotka's -180 beside 179.9: drawn as it was, that edge ran
    straight across the world map at 69-71 N, and Canada and Russia were left unfilled
    (scripts/simplify_basemap.py makes such rings continuous)."""
    read = sketch.Outlines.read(sketches.STATIC / name)
    longest = max(float(abs(np.diff(ring[:, 0])).max()) for ring in read.rings)
    assert longest < 180, f"{name}: an edge spans {longest:.1f} degrees of longitude"
    # the rings that cross it (Chukotka's coast) run on past 180 instead
    assert any((ring[:, 0].max() > 180 or ring[:, 0].min() < -180) and ring[:, 1].min() > 60
               for ring in read.rings)


def _circles(svg: str) -> list[tuple[float, float, float]]:
    return [(float(x), float(y), float(r)) for x, y, r in
            re.findall(r'<circle cx="([-\d.]+)" cy="([-\d.]+)" r="([-\d.]+)"', svg)]


def test_a_single_town_is_drawn_at_the_centre_of_the_sketch(outlines) -> None:
    fig = figures.make_map(_places(**{Col.LAT: [48.5947], Col.LON: [38.0]}),
                           basemap_url="/app/static/countries-50m.geojson")
    svg = sketch.map_svg(fig, outlines)
    (x, y, r), = _circles(svg)
    assert abs(x) < 1 and abs(y) < 1 and r > 3


def test_marks_keep_their_places_relative_to_each_other(outlines) -> None:
    # Kyiv is west and north of Bakhmut: left of it and above it on the sketch.
    fig = figures.make_map(_places(**{Col.LAT: [50.45, 48.5947], Col.LON: [30.52, 38.0]}),
                           basemap_url="/app/static/countries-50m.geojson")
    circles = _circles(sketch.map_svg(fig, outlines))
    kyiv, bakhmut = sorted(circles)[:1][0], sorted(circles)[-1]
    assert kyiv[0] < bakhmut[0] and kyiv[1] < bakhmut[1]
    # Both fit in a phone's width (390 px) around the centre, as the live map's zoom does.
    assert all(abs(x) < 195 for x, _y, _r in circles)


def test_the_map_sketch_draws_the_country_outlines_around_the_events(outlines) -> None:
    fig = figures.make_map(_places(**{Col.LAT: [48.5947], Col.LON: [38.0]}),
                           basemap_url="/app/static/countries-50m.geojson")
    path = re.search(r'<path d="([^"]*)"', sketch.map_svg(fig, outlines)).group(1)
    assert path.count("M") >= 2  # Ukraine and Russia at least


def test_names_on_the_map_sketch_are_text_never_markup(outlines) -> None:
    events = _places(**{Col.LAT: [48.5947], Col.LON: [38.0]})
    events[Col.PLACE_NAME] = HOSTILE
    labels = pd.DataFrame({"name": [HOSTILE], "lat": [48.7], "lon": [37.6]})
    fig = figures.make_map(events, basemap_url="/app/static/countries-50m.geojson",
                           labels=labels, glyphs_url="/app/static/fonts/{fontstack}/{range}.pbf")
    svg = sketch.map_svg(fig, outlines) + sketch.legend(fig)
    assert "<script" not in svg and "<img" not in svg
    assert "&lt;script&gt;" in svg


def test_labels_that_would_overlap_are_left_out() -> None:
    drawn = sketch._labels([(0, 0, "Kramatorsk", 11, "#888"), (5, 2, "Sonyachnyi", 11, "#888"),
                            (0, 40, "Druzhkivka", 11, "#888")])
    assert "Kramatorsk" in drawn and "Druzhkivka" in drawn and "Sonyachnyi" not in drawn


def test_a_table_sketch_escapes_cells_and_says_how_many_it_leaves_out() -> None:
    rows = pd.DataFrame({"claimant": [HOSTILE] * 50, "claim": ["x" * 500] * 50})
    out = sketch.table(rows, {"claimant": "claimant", "claim": "claim"}, total=120)
    assert "<script" not in out and "&lt;script&gt;" in out
    assert out.count("<tr>") == 1 + sketch.TABLE_ROWS
    assert f"The first {sketch.TABLE_ROWS} of 120" in out
    assert "x" * sketch.CELL_CHARS not in out  # clipped


def test_the_page_block_escapes_the_filters_it_names() -> None:
    out = sketch.page("map", "Map", {"Place": HOSTILE}, "")
    assert "<script>alert" not in out and "&lt;script&gt;alert" in out
    assert out.count("<script>") == 1  # the sketch's own, which removes it


def test_contested_pairs_sit_side_by_side() -> None:
    out = sketch.pairs([("Bakhmut taken", [("Wagner Group", "We took it")],
                         [("Volodymyr Zelenskyy", "It is not taken")])])
    assert out.index("Asserts") < out.index("Wagner Group") < out.index("Denies") \
        < out.index("Volodymyr Zelenskyy")


# --- the server's layers, over a stand-in for Streamlit --------------------------------------

INDEX = b"<!DOCTYPE html><html><head></head><body><div id=root></div></body></html>"
#: INDEX as a page comes out of the first-view layer: naming the element modules to fetch.
PRELOADING = INDEX.replace(b"</head>", server._AT_BASE + server._preloads() + b"</head>")
#: The map page's: it loads plotly.js too.
MAP_PRELOADING = INDEX.replace(
    b"</head>", server._AT_BASE + server._preloads() + server._chart_head("map") + b"</head>")
SCRIPT = b"console.log('streamlit');" * 200
ETAG = b'"index-v1"'


class Streamlit:
    """A stand-in for Streamlit's ASGI app: index.html for pages, a script under static/."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def __call__(self, scope, receive, send) -> None:
        self.calls.append(scope["path"])
        self.compression_asked = any(k == b"accept-encoding" for k, _ in scope["headers"])
        body, kind = ((SCRIPT, b"application/javascript") if "/static/" in scope["path"]
                      else (INDEX, b"text/html; charset=utf-8"))
        if (b"if-none-match", ETAG) in scope["headers"]:  # the browser's copy is current
            await send({"type": "http.response.start", "status": 304, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", kind), (b"etag", ETAG),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


def _get(app, path: str, query: bytes = b"", gzip_ok: bool = True, extra=()):
    scope = {"type": "http", "method": "GET", "path": path, "query_string": query,
             "headers": [*([(b"accept-encoding", b"gzip, br")] if gzip_ok else []), *extra]}
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    # A loop of its own, in a thread: a browser test earlier in the session may have left
    # one running in this thread.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, app(scope, receive, send)).result()
    headers = dict(sent[0]["headers"])
    body = b"".join(m.get("body", b"") for m in sent[1:])
    assert int(headers[b"content-length"]) == len(body)
    if headers.get(b"content-encoding") == b"gzip":
        body = gzip.decompress(body)
    return sent[0]["status"], headers, body


def test_streamlit_files_are_compressed_once_and_then_sent_from_memory() -> None:
    inner = Streamlit()
    kept = server.KeptFiles(inner)
    for _ in range(3):
        status, headers, body = _get(kept, "/static/js/index.js")
        assert status == 200 and body == SCRIPT and headers[b"content-encoding"] == b"gzip"
    assert inner.calls == ["/static/js/index.js"]
    assert not inner.compression_asked  # the layer takes the plain file and compresses it
    # A browser that takes no compression gets the file as it is.
    _status, headers, body = _get(kept, "/static/js/index.js", gzip_ok=False)
    assert body == SCRIPT and b"content-encoding" not in headers


def test_range_and_revalidation_requests_go_to_streamlit() -> None:
    inner = Streamlit()
    kept = server.KeptFiles(inner)
    _get(kept, "/static/js/index.js", extra=[(b"range", b"bytes=0-10")])
    _get(kept, "/static/js/index.js", extra=[(b"if-none-match", b'"x"')])
    assert len(inner.calls) == 2


def _tiles_file(tmp_path, tiles: dict[tuple[int, int, int], bytes], max_zoom: int):
    """An MBTiles file of these tiles ((z, x, y from the north): raw MVT bytes)."""
    folder = tmp_path / "tiles"
    for (z, x, y), data in tiles.items():
        (folder / str(z) / str(x)).mkdir(parents=True, exist_ok=True)
        (folder / str(z) / str(x) / f"{y}.pbf").write_bytes(data)
    out = tmp_path / "outlines.mbtiles"
    pack_mbtiles.pack(folder, out, name="test", layer="countries", fields=["name"])
    with sqlite3.connect(out) as db:  # the file's last zoom, not its deepest tile
        db.execute("UPDATE metadata SET value = ? WHERE name = 'maxzoom'", (str(max_zoom),))
    return out


def test_the_map_s_outline_tiles_are_answered_from_the_file_and_the_sea_is_empty(
        tmp_path) -> None:
    land, north = b"\x1a\x05land!", b"\x1a\x05north"
    inner = Streamlit()
    tiles = server.OutlineTiles(inner, _tiles_file(tmp_path, {(1, 1, 0): land, (1, 0, 0): north,
                                                              (0, 0, 0): land * 3}, 2))
    # Under any base path; y counted from the north, as MapLibre asks.
    status, headers, body = _get(tiles, "/warlens/outlines/1/1/0.pbf")
    assert (status, body) == (200, land)
    assert headers[b"content-type"] == b"application/vnd.mapbox-vector-tile"
    assert headers[b"content-encoding"] == b"gzip"  # kept gzipped in the file, sent as is
    assert _get(tiles, "/outlines/1/0/0.pbf", gzip_ok=False)[2] == north
    assert _get(tiles, "/outlines/0/0/0.pbf")[2] == land * 3
    # Open sea within the file's zooms: an empty tile, not an error in the console.
    status, headers, body = _get(tiles, "/outlines/2/3/3.pbf")
    assert (status, body) == (200, b"") and b"content-encoding" not in headers
    # Past its last zoom, off the world, or not a tile's path: 404, never Streamlit's page.
    for path in ("/outlines/3/0/0.pbf", "/outlines/1/2/0.pbf", "/outlines/1/0/x.pbf",
                 "/outlines/1/0/0.png", "/outlines/-1/0/0.pbf", "/outlines/1/0/0"):
        assert _get(tiles, path)[0] == 404, path
    assert inner.calls == []
    # Any other path is Streamlit's.
    _get(tiles, "/Map/outlines.pbf")
    assert inner.calls == ["/Map/outlines.pbf"]


def test_without_its_tiles_file_the_map_s_tiles_are_404_and_the_log_says_why(
        tmp_path, caplog) -> None:
    tiles = server.OutlineTiles(Streamlit(), tmp_path / "missing.mbtiles")
    assert _get(tiles, "/outlines/0/0/0.pbf")[0] == 404
    assert "no map outline tiles" in caplog.text


def test_the_bundled_outline_tiles_are_the_layer_and_zooms_the_map_asks_for() -> None:
    path = server.STATIC / server.OUTLINE_TILES_FILE
    with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as db:
        meta = dict(db.execute("SELECT name, value FROM metadata"))
        zooms = sorted(z for (z,) in db.execute("SELECT DISTINCT zoom_level FROM tiles"))
    assert meta["format"] == "pbf"
    assert meta["attribution"] == "Natural Earth (public domain)"
    assert zooms == list(range(figures.OUTLINE_MAX_ZOOM + 1))
    assert int(meta["maxzoom"]) == figures.OUTLINE_MAX_ZOOM
    layers = json.loads(meta["json"])["vector_layers"]
    assert [layer["id"] for layer in layers] == [figures.OUTLINE_LAYER]
    # Kharkiv's tile at the last zoom holds land; the middle of the Pacific is open sea.
    tiles, _ = server._read_mbtiles(path)
    assert (5, 19, 10) in tiles and (5, 0, 15) not in tiles


def test_a_map_link_gets_its_sketch_in_the_page(monkeypatch) -> None:
    monkeypatch.setattr(sketches, "draw", lambda kind, params, outlines:
                        f"<div id=wl-first>{kind} {params['place'][0]}</div>")
    status, _headers, body = _get(server.FirstView(Streamlit()), "/Map", b"place=Bakhmut")
    assert status == 200
    assert b"<body><div id=wl-first>map Bakhmut</div><div id=root>" in body


def test_a_revisit_gets_the_page_again_never_a_stale_sketch(monkeypatch) -> None:
    monkeypatch.setattr(sketches, "draw", lambda *a: "<div id=wl-first>now</div>")
    inner = Streamlit()
    status, headers, body = _get(server.FirstView(inner), "/Map", b"place=Bakhmut",
                                 extra=[(b"if-none-match", ETAG)])
    assert status == 200 and b"now" in body
    assert b"etag" not in headers and b"last-modified" not in headers


def test_other_pages_get_no_sketch_and_other_paths_pass_untouched(monkeypatch) -> None:
    monkeypatch.setattr(sketches, "draw", lambda *a: pytest.fail("no sketch for this page"))
    _s, _h, body = _get(server.FirstView(Streamlit()), "/Problems", b"severity=error")
    assert body == PRELOADING
    for path in ("/robots.txt", "/Problems/more", "/_stcore/health"):
        _s, _h, body = _get(server.FirstView(Streamlit()), path)
        assert body == INDEX, path


def test_the_server_knows_every_page_the_app_has() -> None:
    pages = Path(__file__).resolve().parents[1] / "pages"
    assert {p.stem.split("_", 1)[1] for p in pages.glob("[0-9]*_*.py")} == server.PAGES


def test_every_page_but_the_overview_tells_the_frontend_where_the_app_is(monkeypatch) -> None:
    monkeypatch.setattr(sketches, "draw", lambda *a: "")
    for page in ("Timeline", "Claims", "Map", "Article", "Problems", "Annotate", "Stories"):
        for path in (f"/{page}", f"/{page}/", f"/warlens/{page}"):
            _s, _h, body = _get(server.FirstView(Streamlit()), path, b"place=%3Cb%3E")
            head = body.split(b"</head>")[0]
            assert head.count(b"BACKEND_BASE_URL") == 1, path
            # worked out in the browser from its address: nothing of the request is written
            assert b"%3C" not in head and b"<b>" not in head and b"/warlens" not in head
    # The Overview is the app's own path, which the frontend tries first already.
    _s, _h, body = _get(server.FirstView(Streamlit()), "/")
    assert b"BACKEND_BASE_URL" not in body


def test_a_failing_sketch_costs_the_visitor_nothing(monkeypatch, caplog) -> None:
    def broken(*_args):
        raise RuntimeError("no corpus")

    monkeypatch.setattr(sketches, "draw", broken)
    status, _h, body = _get(server.FirstView(Streamlit()), "/Claims", b"place=Bakhmut")
    assert status == 200 and body == PRELOADING
    assert "no first-view sketch" in caplog.text


def test_a_slow_sketch_is_not_waited_for(monkeypatch) -> None:
    monkeypatch.setattr(server, "SKETCH_BUDGET_S", 0.2)
    monkeypatch.setattr(sketches, "draw", lambda *a: time.sleep(2) or "<div>late</div>")
    started = time.perf_counter()
    _s, _h, body = _get(server.FirstView(Streamlit()), "/Map", b"place=Bakhmut")
    assert body == MAP_PRELOADING
    assert time.perf_counter() - started < 1.5


def test_a_chart_page_fetches_plotly_from_its_head_and_other_pages_do_not(monkeypatch) -> None:
    from warlens.ui import plot

    monkeypatch.setattr(sketches, "draw", lambda *a: "")
    bundle = f"./app/static/{plot.BUNDLE}".encode()
    for path, charted in (("/Map", True), ("/Timeline", True), ("/", False),
                          ("/Claims", False)):
        _s, _h, body = _get(server.FirstView(Streamlit()), path)
        head = body.split(b"</head>")[0]
        assert (b'<link rel="preload" as="script" href="' + bundle + b'">' in head) is charted
        # The map's page starts MapLibre's workers as soon as plotly.js has run.
        assert (b"prewarmMap" in head) is (path == "/Map")
    # The file it names is there to be served, and is the one the chart element loads,
    # with the map's early start in it.
    assert (sketches.STATIC / plot.BUNDLE).is_file()
    assert b".prewarmMap=function" in (sketches.STATIC / plot.BUNDLE).read_bytes()


def test_a_page_names_the_element_modules_its_first_run_loads(monkeypatch) -> None:
    import streamlit

    monkeypatch.setattr(sketches, "draw", lambda *a: pytest.fail("the Overview has no sketch"))
    status, _h, body = _get(server.FirstView(Streamlit()), "/")
    assert status == 200
    names = re.findall(rb'<link rel="modulepreload" crossorigin href="\./static/js/([^"]+)">',
                       body)
    # The sidebar's filters, the page links, the metrics, the articles' table and the charts,
    # with what they import; each a file this Streamlit ships, none its page names already.
    for element in (b"DateInput.", b"PageLink.", b"Metric.", b"DataFrame.", b"Multiselect.",
                    b"BidiComponent."):
        assert any(n.startswith(element) for n in names), element
    static = Path(streamlit.__file__).parent / "static"
    assert all((static / "static" / "js" / n.decode()).is_file() for n in names)
    own = (static / "index.html").read_bytes()
    assert not [n for n in names if n in own]


def test_the_bundled_data_sketches_bakhmut_on_the_map_and_its_contested_claims() -> None:
    outlines: dict[str, sketch.Outlines] = {}

    def read(name: str) -> sketch.Outlines:
        return outlines.setdefault(name, sketch.Outlines.read(sketches.STATIC / name))

    drawn = sketches.draw("map", {"place": ["Bakhmut"]}, read)
    assert "<circle" in drawn and ">Bakhmut</text>" in drawn and "7 events at 2 places" in drawn
    claims = sketches.draw("claims", {"place": ["Bakhmut"]}, read)
    assert "Contested (1 event)" in claims and "All claims (16)" in claims
    assert "Wagner Group" in claims
    assert sketches.draw("map", {"place": ["Atlantis"]}, read).count("<circle") >= 1  # the
    # unknown place is dropped with a notice, as on the live page: the whole map is drawn.


def _rects(svg: str) -> list[tuple[float, float, float, float]]:
    return [tuple(map(float, m)) for m in re.findall(
        r'<rect x="([-\d.]+)" y="([-\d.]+)" width="([-\d.]+)" height="([-\d.]+)"', svg)]


def test_the_timeline_sketch_opens_on_the_capture_of_bakhmut_as_the_live_chart_does() -> None:
    drawn = sketches.draw("timeline", {"place": ["Bakhmut"]}, lambda name: None)
    wide = re.search(r'<div class="wl-wide">(.*?)</div>', drawn).group(1)
    # The capture (20-21 May 2023) is a bar of its own, wide enough to see at 1,100 px.
    bars = [r for r in _rects(wide) if r[3] > 5]
    assert max(w for _x, _y, w, _h in bars) >= 40
    # The dates under it are May 2023's, and the rows are named.
    assert "May 2023" in wide and ">Bakhmut</text>" in wide
    assert "5 dated events" in drawn


def test_a_link_s_grouping_and_marks_are_sketched_as_the_page_draws_them() -> None:
    params = {"outlet": ["Kremlin"]}
    by_place = sketches.draw("timeline", params, lambda name: None)
    by_story = sketches.draw("timeline", {**params, "group": ["story"]}, lambda name: None)
    assert ">mariupol-capture-2022</text>" in by_story and "Group by" in by_story
    assert ">mariupol-capture-2022</text>" not in by_place and "Group by" not in by_place
    outlines: dict[str, sketch.Outlines] = {}

    def read(name: str) -> sketch.Outlines:
        return outlines.setdefault(name, sketch.Outlines.read(sketches.STATIC / name))

    stories_map = sketches.draw("map", {"marks": ["stories"]}, read)
    assert "52 reports of 17 stories" in stories_map and "<dd>Stories</dd>" in stories_map
    assert ">bakhmut-battle-2023</text>" in stories_map


def test_the_timeline_sketch_of_many_events_counts_them_per_period() -> None:
    events = pd.DataFrame({
        Col.TYPE: ["battle", "protest"] * 300,
        Col.START: pd.date_range("2022-01-01", periods=600, freq="D"),
        Col.END: pd.date_range("2022-01-01", periods=600, freq="D"),
        Col.DATE_PRECISION: ["day"] * 600, Col.ARTICLE: ["a"] * 600})
    articles = pd.DataFrame({Col.PUBLISHED_START: pd.to_datetime(["2023-06-01"]),
                             Col.PUBLISHED_END: pd.to_datetime(["2023-06-01"])})
    fig = figures.make_timeline_counts(events, articles)
    svg = sketch.timeline_svg(fig, 1100)
    heights = [h for _x, _y, _w, h in _rects(svg)[1:]]
    assert len(heights) > 20 and min(heights) > 0
    assert "2022" in svg


def test_visitors_arriving_together_build_a_view_once() -> None:
    import threading

    from warlens.source import Memo

    memo, builds = Memo(), []

    def build() -> str:
        builds.append(1)
        time.sleep(0.2)
        return "figure"

    got: list[str] = []
    threads = [threading.Thread(target=lambda: got.append(memo.get(("map", 1), build)))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert got == ["figure"] * 8 and len(builds) == 1


def test_a_story_link_sketches_the_dispute_with_every_quote_credited() -> None:
    drawn = sketches.draw("stories", {"story": ["mariupol-capture-2022"]}, lambda name: None)
    assert "The dispute" in drawn and "Reports in the order they were published (6)" in drawn
    # Both sides, in one pair.
    pair = drawn[drawn.index('class="wl-pair"'):]
    pair = pair[:pair.index('class="wl-pair"', 10)]
    assert "asserts" in pair and "denies" in pair
    # Every quoted sentence comes with its text's attribution and licence.
    quotes = drawn.count("<blockquote>")
    assert quotes >= 6 and drawn.count("CC BY 4.0") + drawn.count("public domain") >= quotes


def test_a_licence_the_attribution_names_is_not_repeated() -> None:
    from warlens import text

    assert text.credit("Source: kremlin.ru, CC BY 4.0", "CC BY 4.0") == \
        "Source: kremlin.ru, CC BY 4.0"
    assert text.credit("The White House", "public domain") == "The White House · public domain"
    assert text.credit(None, float("nan")) == ""


def test_a_link_to_a_sentence_sketches_its_article_with_the_sentence_marked() -> None:
    drawn = sketches.draw(
        "article", {"claim": ["bakhmut-falls-2023-05-21/zelenskyy-denies-capture"]},
        lambda name: None)
    assert "Selected sentence" in drawn
    marked = re.findall(r'<mark class="focus">(.*?)</mark>', drawn)
    assert len(marked) >= 2  # in the box, and in the text itself
    assert "pyrrhic victory" in drawn  # the article's title
    # A link that leaves the article to be picked has nothing to sketch.
    assert sketches.draw("article", {}, lambda name: None) == ""


def test_an_articles_text_is_escaped_in_its_sketch() -> None:
    out = sketch.marked_text([(HOSTILE, None), ("\n", None), (HOSTILE, "focus")])
    assert "<script" not in out and "<img" not in out
    assert out.count("<p>") == 2 and '<mark class="focus">&lt;script&gt;' in out


def test_the_server_answers_before_pandas_and_the_engine_are_loaded() -> None:
    """A fresh server's first visitor loads Streamlit's frontend while the data loads:
    the server's own layers import nothing heavy (pandas, the engine, plotly's figures)."""
    import subprocess
    import sys

    code = ("import sys; import warlens.ui.server; "
            "print(sorted(m for m in ('pandas', 'numpy', 'ibis', 'duckdb', 'pydantic', "
            "'warlens.query', 'warlens.sketch') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert loaded == "[]"
