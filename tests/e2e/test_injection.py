"""Hostile text in a data file stays text on every page, in a real Chromium.

The server reads a folder holding tests/fixtures/hostile/injection.yaml (every text field
carries a script tag, an onerror image, javascript: and data: links, markdown images and
links, spreadsheet formulas, a right-to-left override, a colour directive and LaTeX) and a
second article with a 100 KB text generated here. Every page is visited, a timeline bar and
a map point are hovered, and after each step the browser must show no dialog, have run no
payload, hold no element built from a payload, hold no javascript: or data: link, and have
requested nothing from outside this machine, while the payloads stay readable as text.
No text makes a live link to another site either (bare addresses and e-mails included):
the only one allowed is the article's own "Original article" button.

Crafted link values (tests/fixtures/hostile/link-values.json: a "Sign in again" link, an
outside image, colour directives, an icon, LaTeX, bare addresses, an e-mail, HTML) are
quoted in the notices about dropped link values; there too nothing may come alive.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import pytest
from playwright.sync_api import Browser, Dialog, Page, Request, expect

from warlens.ui.safe import WORD_JOINER

from .conftest import VIEWPORT, wait_for_app

HOSTILE = Path(__file__).resolve().parents[1] / "fixtures" / "hostile"
SCRIPT = "<script>window.__pwned=1</script>"
IMAGE = '<img src=x onerror="window.__pwned=1">'
MD_IMAGE = "![x](https://example.org/x.png)"
MD_LINK = "[click](javascript:alert(1))"
BIG_TEXT_BYTES = 100_000
LOCAL_HOSTS = {"127.0.0.1", "localhost"}

# Every element an injected payload would create, or a link it would make live.
_DOM_PROBE = """() => {
  const hrefs = [...document.querySelectorAll('[href], [src], [action], [formaction]')]
    .filter(e => !(e.tagName === 'LINK' && /icon/i.test(e.rel || '')))
    .flatMap(e => ['href', 'src', 'action', 'formaction'].map(a => e.getAttribute(a)))
    .filter(v => v && /^\\s*(javascript|data|vbscript):/i.test(v));
  return {
    pwned: typeof window.__pwned,
    scripts: [...document.scripts].filter(s => s.textContent.includes('__pwned')).length,
    imagesX: document.querySelectorAll('img[src="x"], img[onerror]').length,
    handlers: [...document.querySelectorAll('*')].filter(
      e => [...e.attributes].some(a => /^on/i.test(a.name) && a.value.includes('__pwned'))
    ).length,
    badLinks: hrefs,
    katex: document.querySelectorAll('.katex').length,
    outsideImages: [...document.images].map(i => i.src).filter(s => /example\\.org/.test(s)),
    bidiInMarkdown: [...document.querySelectorAll('[data-testid="stMarkdownContainer"]')]
      .filter(e => e.textContent.includes('\\u202e')).length,
    outsideLinks: [...document.querySelectorAll('a[href]')]
      .filter(a => !a.closest('[data-testid="stLinkButton"]'))
      .map(a => a.href).filter(h => /^(https?|mailto|xmpp):/i.test(h))
      .filter(h => !/^https?:\\/\\/(127\\.0\\.0\\.1|localhost)[:/]/i.test(h)),
  };
}"""

# What a notice's markdown made: anything but paragraphs, line breaks and plain spans.
_NOTICE_PROBE = """() => [...document.querySelectorAll(
    '[data-testid="stAlert"] [data-testid="stMarkdownContainer"] *')]
  .filter(e => !['P', 'BR'].includes(e.tagName)
               && !(e.tagName === 'SPAN' && !e.getAttribute('style') && !e.children.length))
  .map(e => e.outerHTML.slice(0, 120))"""


def _big_article(size: int = BIG_TEXT_BYTES) -> str:
    """A valid article whose text (and the event quoting all of it) is `size` bytes of payload."""
    unit = f"{SCRIPT} {IMAGE} {MD_LINK} "
    text = (unit * (size // len(unit) + 1))[:size].rstrip()
    return (
        "id: big-payload\n"
        "title: A 100 KB article\n"
        "outlet: Test\n"
        "published: 2024-03-02\n"
        "text: |-\n"
        f"  {text}\n"
        "events:\n"
        "  - id: all-of-it\n"
        "    summary: The whole text, quoted\n"
        "    type: other\n"
        "    when: 2024-03-01\n"
        "    quote: |-\n"
        f"      {text}\n"
    )


@pytest.fixture(scope="module")
def hostile_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with the injection fixture and a generated 100 KB article."""
    folder = tmp_path_factory.mktemp("hostile-data")
    (folder / "injection.yaml").write_bytes((HOSTILE / "injection.yaml").read_bytes())
    (folder / "big-payload.yaml").write_text(_big_article(), encoding="utf-8")
    return folder


@dataclass
class Watch:
    """What a page did that it must not: dialogs opened and requests to other hosts."""

    dialogs: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)


@pytest.fixture
def watched(browser: Browser) -> Iterator[tuple[Page, Watch]]:
    """A fresh page that records dialogs (dismissing them) and every request off this machine."""
    watch = Watch()
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()

    def on_dialog(dialog: Dialog) -> None:
        watch.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def on_request(request: Request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in LOCAL_HOSTS:
            watch.outside.append(request.url)

    page.on("dialog", on_dialog)
    page.on("request", on_request)
    yield page, watch
    context.close()


def assert_nothing_ran(page: Page, watch: Watch, where: str) -> None:
    """No dialog, no payload run or built, no live script link, nothing fetched from outside."""
    found = page.evaluate(_DOM_PROBE)
    assert watch.dialogs == [], f"{where}: a dialog opened: {watch.dialogs}"
    assert found["pwned"] == "undefined", f"{where}: a payload ran"
    assert found["scripts"] == 0, f"{where}: a <script> from the data is in the page"
    assert found["imagesX"] == 0, f"{where}: an <img> from the data is in the page"
    assert found["handlers"] == 0, f"{where}: an event handler from the data is in the page"
    assert found["badLinks"] == [], f"{where}: live javascript:/data: links"
    assert found["katex"] == 0, f"{where}: data text was typeset as LaTeX"
    assert found["outsideImages"] == [], f"{where}: a markdown image from the data was drawn"
    assert found["bidiInMarkdown"] == 0, f"{where}: a right-to-left override reached markdown"
    assert found["outsideLinks"] == [], f"{where}: data text made live links to other sites"
    assert watch.outside == [], f"{where}: requests left this machine: {watch.outside}"


@pytest.fixture(scope="module")
def hostile_server(hostile_folder: Path, tmp_path_factory: pytest.TempPathFactory
                   ) -> Iterator[str]:
    """One server on the hostile folder for this module (with its own corpus cache)."""
    from .conftest import run_server

    cache = tmp_path_factory.mktemp("hostile-cache")
    with run_server(env={"WARLENS_DATA": str(hostile_folder),
                         "WARLENS_CACHE_DIR": str(cache)}) as url:
        yield url


def open_view(page: Page, url: str) -> None:
    """Open a URL and wait for the app to finish drawing it."""
    page.goto(url)
    wait_for_app(page)


PAGES = [
    ("/", "Contested events"),
    ("/Timeline", "Group by"),
    ("/Claims", "All claims"),
    ("/Map", "Dots are towns"),
    ("/Problems", "Problems"),
    (f"/Article?article=injection&claim={quote('injection/claim-script')}", "Selected sentence"),
    (f"/Article?article=injection&event={quote('injection/wall-script')}", "Selected sentence"),
    (f"/Article?article=big-payload&event={quote('big-payload/all-of-it')}",
     "Selected sentence"),
]


@pytest.mark.parametrize(("path", "marker"), PAGES,
                         ids=["overview", "timeline", "claims", "map", "problems",
                              "article-claim", "article-event", "article-100kb"])
def test_hostile_text_runs_nothing_and_loads_nothing_on_each_page(
    hostile_server: str, watched: tuple[Page, Watch], path: str, marker: str
) -> None:
    page, watch = watched
    open_view(page, hostile_server + path)
    expect(page.get_by_test_id("stMain")).to_contain_text(marker)
    assert not page.get_by_test_id("stException").count()
    assert_nothing_ran(page, watch, path)


def test_the_article_page_shows_every_payload_as_literal_text(
    hostile_server: str, watched: tuple[Page, Watch]
) -> None:
    page, watch = watched
    open_view(page, f"{hostile_server}/Article?article=injection&"
                    f"claim={quote('injection/claim-script')}")
    main = page.get_by_test_id("stMain")
    # As a reader sees it: the invisible word joiners that break autolinks left out.
    shown = main.inner_text().replace(WORD_JOINER, "")
    for literal in (SCRIPT, IMAGE, MD_IMAGE, MD_LINK, ":red[colour]", "$\\LaTeX$",
                    '=HYPERLINK("http://x","y")', "@SUM(1+1)", "data:text/html,",
                    "See https://example.org/bare and"):
        assert literal in shown
    # The title, a heading, keeps its payload as text too.
    expect(main.get_by_role("heading", level=3)).to_contain_text(SCRIPT)
    assert_nothing_ran(page, watch, "article")


def test_the_claims_page_shows_a_claim_about_a_script_as_text(
    hostile_server: str, watched: tuple[Page, Watch]
) -> None:
    page, watch = watched
    open_view(page, f"{hostile_server}/Claims?claim={quote('injection/claim-formula')}")
    main = page.get_by_test_id("stMain")
    expect(main).to_contain_text('=HYPERLINK("http://x","y")')
    expect(main).to_contain_text("[click](javascript:alert(1))")
    assert_nothing_ran(page, watch, "claims")


def _hover_and_read(page: Page, x: float, y: float) -> str:
    """Move the mouse to (x, y) and return the text of the plotly hover label it opens."""
    page.mouse.move(x, y)
    label = page.locator(".hoverlayer .hovertext").first
    expect(label).to_be_visible()
    return label.text_content() or ""


def test_hovering_a_timeline_bar_shows_its_payload_as_text(
    hostile_server: str, watched: tuple[Page, Watch]
) -> None:
    page, watch = watched
    open_view(page, f"{hostile_server}/Timeline?article=injection")
    bar = page.locator(".js-plotly-plot .barlayer .point path").first
    expect(bar).to_be_attached()
    box = bar.bounding_box()
    plot = page.locator(".js-plotly-plot .nsewdrag").first.bounding_box()
    assert box is not None and plot is not None
    # Where the bar is seen: the timeline may open on part of a long range.
    left, right = max(box["x"], plot["x"]), min(box["x"] + box["width"], plot["x"] + plot["width"])
    text = _hover_and_read(page, (left + right) / 2, box["y"] + box["height"] / 2)
    assert "[click](javascript:alert(1))" in text
    assert page.locator(".hoverlayer a, .hoverlayer img").count() == 0
    assert_nothing_ran(page, watch, "timeline hover")


def test_hovering_a_map_point_shows_its_payload_as_text(
    hostile_server: str, watched: tuple[Page, Watch]
) -> None:
    page, watch = watched
    open_view(page, f"{hostile_server}/Map?article=injection")
    plot = page.locator(".js-plotly-plot").first
    expect(plot).to_be_visible()
    # Points are drawn by MapLibre on a canvas: ask the map where the school is on screen.
    where = None
    for _ in range(50):
        where = plot.evaluate("""gd => {
          const sub = gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
          if (!sub || !sub.map || !sub.map.loaded()) return null;
          const p = sub.map.project([38.0, 48.59]);
          const r = sub.map.getCanvas().getBoundingClientRect();
          return {x: r.left + p.x, y: r.top + p.y};
        }""")
        if where:
            break
        page.wait_for_timeout(200)
    assert where is not None, "the map never finished loading"
    text = _hover_and_read(page, where["x"], where["y"])
    assert IMAGE in text or SCRIPT in text, text
    assert page.locator(".hoverlayer a, .hoverlayer img").count() == 0
    assert_nothing_ran(page, watch, "map hover")



LINK_VALUES = {k: v for k, v in json.loads((HOSTILE / "link-values.json").read_text("utf-8"))
               .items() if not k.startswith("_")}


@pytest.mark.parametrize("path", ["/", "/Claims", "/Article"],
                         ids=["overview", "claims", "article"])
def test_crafted_link_values_are_quoted_in_the_notices_as_plain_text(
    hostile_server: str, watched: tuple[Page, Watch], path: str
) -> None:
    page, watch = watched
    open_view(page, f"{hostile_server}{path}?{urlencode(LINK_VALUES)}")
    notices = page.get_by_test_id("stMain").get_by_test_id("stAlert")
    expect(notices.first).to_be_visible()
    shown = " ".join(notices.all_inner_texts()).replace(WORD_JOINER, "")
    for name, value in LINK_VALUES.items():
        assert f"{name}={value!r}" in shown, f"the notice about {name} is not {value!r}"
    made = page.evaluate(_NOTICE_PROBE)
    assert made == [], f"{path}: notice markdown made elements: {made}"
    assert_nothing_ran(page, watch, f"{path} with crafted link values")
