"""Hostile files, hostile links, hostile uploads: what must never happen, checked without a browser.

- Injection: the hostile fixture loads, and its exports are inert (CSV) and strict (GeoJSON).
  No source file may switch on raw HTML or JavaScript.
- Links: crafted URL parameters give a notice and the default view, never an exception,
  and never open a file the ordinary view does not open.
- Files: every malformed fixture is listed on the Problems page while the other pages still
  draw; property tests (2,000 examples each) mutate files, round-trip saves, and check
  exports; pathological files run under a memory cap and a time limit.
- Uploads: the size, the name and the content are checked on the server, and an upload is
  seen by its own session only.
- Config: the deployment settings that keep details and data in.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import resource
import subprocess
import sys
import textwrap
import time
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from seedcorpus import seed_folder
from warlens import export
from warlens.article import read_article_file
from warlens.corpus import build_corpus
from warlens.query import vocabulary
from warlens.ui import upload
from warlens.ui.shell import K_ARTICLE, K_PLACE
from warlens.workspace import load_corpus
from warlens.yamlio import MAX_BYTES, dump_yaml, load_yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
BUNDLED = seed_folder()  # the seed article alone
BAD = REPO_ROOT / "tests" / "fixtures" / "bad"
HOSTILE = REPO_ROOT / "tests" / "fixtures" / "hostile" / "injection.yaml"
PAGES = ["app.py", "pages/1_Timeline.py", "pages/2_Claims.py", "pages/3_Map.py",
         "pages/4_Article.py", "pages/5_Problems.py"]
ALL_EVENTS = 6
PROPERTY = settings(max_examples=2000, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


# --- injection: the hostile fixture --------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_corpus():
    """The corpus of the injection fixture alone."""
    return build_corpus([read_article_file(HOSTILE.read_bytes(), "injection.yaml")])


def test_the_hostile_fixture_is_a_valid_article_with_every_record_loaded(hostile_corpus) -> None:
    assert hostile_corpus.n_errors == 0, hostile_corpus.problems
    assert (len(hostile_corpus.places), len(hostile_corpus.events),
            len(hostile_corpus.claims)) == (2, 2, 3)


def _cells(data: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(data.decode(export.CSV_ENCODING)))
            for cell in row]


def test_no_exported_csv_cell_of_the_hostile_fixture_starts_a_formula(hostile_corpus) -> None:
    cells = (_cells(export.to_csv(hostile_corpus.events, export.EXPORT_EVENT_COLUMNS))
             + _cells(export.to_csv(hostile_corpus.claims, export.EXPORT_CLAIM_COLUMNS)))
    assert "'=HYPERLINK(\"http://x\",\"y\")" in cells  # kept, but as text
    assert any(c.startswith("'@SUM(1+1)") for c in cells)
    assert [c for c in cells if c.startswith(export.FORMULA_TRIGGERS)] == []


def _strict_json(data: bytes) -> object:
    def refuse(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    return json.loads(data.decode("utf-8"), parse_constant=refuse)


def _assert_valid_points(collection: object) -> None:
    assert isinstance(collection, dict) and collection["type"] == "FeatureCollection"
    for feature in collection["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        assert -180 <= lon <= 180 and -90 <= lat <= 90, (lon, lat)


def test_the_hostile_fixture_exports_strict_geojson_with_its_text_kept_as_is(
    hostile_corpus,
) -> None:
    collection = _strict_json(export.geojson_bytes(hostile_corpus.events))
    _assert_valid_points(collection)
    summaries = {f["properties"]["summary"] for f in collection["features"]}
    assert any("<script>window.__pwned=1</script>" in s for s in summaries)


def test_no_source_file_switches_on_raw_html_or_javascript() -> None:
    sources = [REPO_ROOT / "app.py", *(REPO_ROOT / "pages").rglob("*.py"),
               *(REPO_ROOT / "src").rglob("*.py")]
    found = [f"{path.relative_to(REPO_ROOT)}: {flag}" for path in sources
             for flag in ("unsafe_allow_html", "unsafe_allow_javascript")
             if flag in path.read_text(encoding="utf-8")]
    assert len(sources) > 10
    assert found == []


# --- links -----------------------------------------------------------------------------------

_OPENED: list[str] | None = None


def _audit(event: str, args: tuple) -> None:
    # An audit hook sees every open() in the process, whichever API or thread made it.
    if _OPENED is not None and event == "open" and isinstance(args[0], str | bytes):
        _OPENED.append(os.fsdecode(args[0]))


sys.addaudithook(_audit)  # hooks cannot be removed; it records only inside `opened_files`


@pytest.fixture
def opened_files() -> Iterator[Callable[[], list[str]]]:
    """Record every file path opened while the test runs; call the fixture to read them."""
    global _OPENED
    _OPENED = []
    record = _OPENED
    try:
        yield lambda: list(record)
    finally:
        _OPENED = None


@pytest.fixture
def run_page(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., AppTest]:
    """`run_page(page, data=BUNDLED, **params)`: one run of a page, as opened from a link."""
    monkeypatch.chdir(REPO_ROOT)
    monkeypatch.setenv("WARLENS_CACHE_DIR", str(tmp_path / "cache"))

    def run(page: str = "app.py", data: Path = BUNDLED, **params: str | list[str]) -> AppTest:
        monkeypatch.setenv("WARLENS_DATA", str(data))
        at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=60)
        if page != "app.py":
            at.switch_page(page)
        at.query_params.update(params)
        return at.run()

    return run


CRAFTED = {
    "traversal": {"article": "../../etc/passwd"},
    "absolute": {"article": "/etc/passwd"},
    "traversal-claim": {"claim": "../../../../etc/passwd"},
    "traversal-event": {"event": "..%2F..%2Fetc%2Fpasswd"},
    "unknown-ids": {"article": "no-such-article", "event": "x/y", "claim": "a/b"},
    "repeated": {"article": ["../../etc/passwd", "nope", "../x"], "q": ["a", "b"]},
    "10kb": {"place": "A" * 10_240, "q": "B" * 10_240},
    "script": {"place": "<script>window.__pwned=1</script>", "actor": "<img src=x onerror=1>"},
    "empty": {"article": "", "place": "", "from": "", "claim": ""},
    "unknown-names": {"../../etc/passwd": "1", "<script>": "x", "file": "/etc/passwd"},
}


@pytest.mark.parametrize("params", CRAFTED.values(), ids=CRAFTED.keys())
@pytest.mark.parametrize("page", ["app.py", "pages/2_Claims.py", "pages/4_Article.py"])
def test_a_crafted_link_gives_the_default_view_and_opens_no_file_of_its_own(
    run_page: Callable[..., AppTest], opened_files: Callable[[], list[str]], page: str,
    params: dict[str, str | list[str]],
) -> None:
    run_page(page)  # the ordinary view first: what a page opens anyway (data, modules)
    before = set(opened_files())
    at = run_page(page, **params)
    assert not at.exception
    assert at.multiselect(key=K_ARTICLE).value == []
    assert at.multiselect(key=K_PLACE).value == []
    if any(v for vs in params.values() for v in ([vs] if isinstance(vs, str) else vs)):
        assert at.warning, "a crafted link must say what it ignored"
    if page == "app.py" and "q" not in params:
        assert {m.label: int(m.value) for m in at.metric}["Events"] == ALL_EVENTS
    added = set(opened_files()) - before
    python_files = (sys.prefix, sys.base_prefix, str(REPO_ROOT / "src"))
    assert [p for p in added if "passwd" in p] == []
    # Anything newly opened is code Python imported late, never a path from the link.
    assert [p for p in added if not p.startswith(python_files)] == []


# --- files: the malformed fixtures through the app -------------------------------------------


def test_the_problems_page_lists_every_malformed_fixture_and_loads_the_ok_ones(
    run_page: Callable[..., AppTest],
) -> None:
    at = run_page("pages/5_Problems.py", data=BAD)
    assert not at.exception
    listed = {Path(f).name for f in at.main.dataframe[0].value["file"]}
    files = {p.name for p in BAD.glob("*.yaml")}
    assert len(files) == 59
    assert sorted(files - listed) == sorted(f for f in files if f.endswith("-ok.yaml"))


@pytest.mark.parametrize("page", PAGES[:-1])
def test_every_page_still_draws_on_the_folder_of_malformed_files(
    run_page: Callable[..., AppTest], page: str,
) -> None:
    at = run_page(page, data=BAD)
    assert not at.exception
    assert at.title, "the page drew nothing"


# --- files: properties -------------------------------------------------------------------------

SMALL_ARTICLE = textwrap.dedent("""\
    id: base
    title: A small article
    outlet: Test News
    published: 2024-03-01
    text: |-
      Shelling hit Kharkiv on Monday. The governor denied it.
    places:
      - id: kharkiv
        name: Kharkiv
        lat: 49.99
        lon: 36.23
    events:
      - id: shelling
        summary: Shelling of Kharkiv
        type: remote_violence
        when: 2024-02-26
        place: kharkiv
        actors: [Russian armed forces]
        quote: Shelling hit Kharkiv on Monday.
    claims:
      - id: denial
        claimant: The governor
        stance: denies
        claim: There was shelling
        about: shelling
        quote: The governor denied it.
    """).encode()
YAML_TOKENS = [b": ", b"- ", b"&a ", b"*a", b"!!python/object:os.system ", b"!x ", b"{", b"}",
               b"[", b"]", b"'", b'"', b"\t", b"---\n", b"...\n", b"\n  ", b"\n- ", b"#", b"|",
               b">", b"%YAML 1.1\n", b"<<: *a", b"? ", b"\\", b"\xff", b"\x00", b"\xef\xbb\xbf",
               b"\xe2\x80\xae", b"1e999", b"9" * 5000, b"~", b"@", b"`", b"%"]


@st.composite
def mutated_articles(draw: st.DrawFn) -> bytes:
    """The small article after 1-4 byte flips, deletions, duplications or token insertions."""
    data = bytearray(SMALL_ARTICLE)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "delete", "duplicate", "insert"]))
        at = draw(st.integers(0, len(data)))
        if kind == "flip" and at < len(data):
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 40))]
        elif kind == "duplicate":
            data[at:at] = data[at:at + draw(st.integers(1, 80))]
        else:
            data[at:at] = draw(st.sampled_from(YAML_TOKENS))
    return bytes(data)


@PROPERTY
@given(data=mutated_articles())
def test_a_mutated_article_gives_rows_or_problems_with_a_line_and_never_crashes(
    data: bytes,
) -> None:
    result = read_article_file(data, "mutated.yaml")
    assert result.articles or result.problems
    n_lines = data.count(b"\n") + 2
    for problem in result.problems:
        assert problem.line is not None, problem
        assert 1 <= problem.line <= n_lines, problem
        assert problem.file == "mutated.yaml"


_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")),
                min_size=1, max_size=30).filter(lambda s: s.strip() == s and s)
_SLUG = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,15}", fullmatch=True)


@st.composite
def article_docs(draw: st.DrawFn) -> dict:
    """A valid article as plain data, with arbitrary text in its text fields."""
    quote = draw(_TEXT)
    text = f"{draw(_TEXT)} {quote}\n{draw(_TEXT)}"
    return {
        "id": draw(_SLUG), "title": draw(_TEXT), "outlet": draw(_TEXT),
        "published": draw(st.dates(min_value=pd.Timestamp("1900-01-01").date(),
                                   max_value=pd.Timestamp("2100-01-01").date())).isoformat(),
        "notes": draw(_TEXT), "text": text,
        "places": [{"id": "p", "name": draw(_TEXT),
                    "lat": draw(st.floats(-90, 90)), "lon": draw(st.floats(-180, 180))}],
        "events": [{"id": "e", "summary": draw(_TEXT), "type": "other", "when": "2020-01-01",
                    "place": "p", "actors": [draw(_TEXT)], "quote": quote}],
        "claims": [{"id": "c", "claimant": draw(_TEXT), "stance": "asserts",
                    "claim": draw(_TEXT), "about": "e", "quote": quote}],
    }


#: Text that YAML 1.1 writes unquoted but YAML 1.2 reads as numbers: it once came back as 1000.0.
NUMBER_LIKE = {
    "id": "n", "title": "1e3", "outlet": "-.5", "published": "2024-01-01", "notes": "0o17",
    "text": "x .5\ny",
    "places": [{"id": "p", "name": ".5", "lat": 0.0, "lon": 0.0}],
    "events": [{"id": "e", "summary": "1E5", "type": "other", "when": "2020-01-01",
                "place": "p", "actors": ["+.5"], "quote": ".5"}],
    "claims": [{"id": "c", "claimant": "1.", "stance": "asserts", "claim": "0o7",
                "about": "e", "quote": ".5"}],
}


def _rows(data: bytes) -> tuple:
    result = read_article_file(data, "article.yaml")
    assert len(result.articles) == 1, result.problems
    rows = result.articles[0]
    strip = (lambda r: {k: v for k, v in r.items() if k != "line"})  # noqa: E731
    return (strip(rows.article), [strip(r) for r in rows.places],
            [strip(r) for r in rows.events], [strip(r) for r in rows.claims])


@PROPERTY
@given(doc=article_docs())
@example(doc=NUMBER_LIKE)
def test_a_valid_article_survives_save_and_reload_unchanged(doc: dict) -> None:
    original = dump_yaml(doc).encode()
    loaded, _ = load_yaml(original)
    assert loaded == doc
    saved = dump_yaml(loaded).encode()
    assert load_yaml(saved)[0] == doc
    assert _rows(saved) == _rows(original)


_CELL = st.one_of(st.text(max_size=12), st.sampled_from(
    ["=1+1", "+1", "-1", "@SUM(1)", "\t=1", "\r=1", "\n=1", " =1", "\u00a0=1", "\0x", "'=x"]))


@PROPERTY
@given(cells=st.lists(st.tuples(_CELL, _CELL, _CELL), min_size=1, max_size=5))
def test_no_csv_cell_ever_starts_with_a_formula_character(cells: list) -> None:
    table = pd.DataFrame(cells, columns=["summary", "actors", "quote"])
    for row in csv.reader(io.StringIO(export.to_csv(table, list(table.columns))
                                      .decode(export.CSV_ENCODING), newline="")):
        for cell in row:
            assert not cell.startswith(export.FORMULA_TRIGGERS), repr(cell)
            assert not cell.lstrip().startswith(("=", "+", "-", "@")), repr(cell)


_COORD = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.none(),
                   st.sampled_from([90.0, -90.0, 180.0, -180.0, 90.0000001, 1e308]))


@PROPERTY
@given(points=st.lists(st.tuples(_COORD, _COORD, st.text(max_size=8)), max_size=6))
def test_geojson_is_always_strict_json_with_coordinates_in_range(points: list) -> None:
    table = pd.DataFrame(points, columns=["lat", "lon", "summary"], dtype=object)
    table["lat"] = pd.to_numeric(table["lat"]).astype("float64")
    table["lon"] = pd.to_numeric(table["lon"]).astype("float64")
    collection = _strict_json(export.encode_geojson(
        export.table_to_geojson(table, ["summary", "lat", "lon"])))
    _assert_valid_points(collection)


# --- files: pathological files under a memory cap ---------------------------------------------

MEMORY_CAP = 1 << 30  # 1 GB of address space
WALL_LIMIT_S = 10
_CHILD = """
import json, sys
from warlens.corpus import read_file
from pathlib import Path
result = read_file(Path(sys.argv[1]), "hostile.yaml")
print(json.dumps({"articles": len(result.articles),
                  "messages": [p.message for p in result.problems]}))
"""


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def _write_hostile(kind: str, folder: Path) -> Path:
    path = folder / f"{kind}.yaml"
    if kind == "alias-bomb":
        path.write_bytes((BAD / "hostile-alias-bomb.yaml").read_bytes())
    elif kind == "deep-nesting":
        path.write_text("text: " + "[" * 10_000 + "]" * 10_000 + "\n", encoding="utf-8")
    elif kind == "50mb":
        line = b"  Shelling hit Kharkiv on Monday. The governor denied it again and again.\n"
        with path.open("wb") as out:
            out.write(b"id: big\ntitle: Big\noutlet: X\npublished: 2024-01-01\ntext: |-\n")
            out.write(line * (50_000_000 // len(line) + 1))
    return path


@pytest.mark.parametrize(("kind", "message"), [
    ("alias-bomb", "anchors and aliases"),
    ("deep-nesting", "nested more than"),
    ("50mb", "over the limit of 5,000,000 bytes"),
])
def test_a_pathological_file_is_refused_quickly_under_a_memory_cap(
    tmp_path: Path, kind: str, message: str,
) -> None:
    path = _write_hostile(kind, tmp_path)
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "WARLENS_CACHE_DIR": str(tmp_path / "cache")}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _CHILD, str(path)], capture_output=True,
                          env=env, preexec_fn=_cap_memory, timeout=120, check=False)
    elapsed = time.perf_counter() - started
    print(f"{kind} ({path.stat().st_size:,} bytes): {elapsed:.2f} s")
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    outcome = json.loads(done.stdout)
    assert outcome["articles"] == 0
    assert any(message in m for m in outcome["messages"]), outcome
    assert elapsed < WALL_LIMIT_S


# --- uploads -------------------------------------------------------------------------------------

UPLOADED = SMALL_ARTICLE.replace(b"id: base\n", b"id: uploaded-article\n")


@pytest.fixture(scope="module")
def shared():
    """The bundled corpus and its vocabulary, as the app's cache holds them."""
    corpus = load_corpus(BUNDLED, cache=False)
    return corpus, vocabulary(corpus)


def test_an_upload_over_the_size_cap_is_refused_on_the_server_before_parsing() -> None:
    read = upload.read_upload("big.yaml", b"a" * (MAX_BYTES + 1))
    assert read.loaded == 0
    assert "over the limit" in read.result.problems[0].message


def test_an_upload_named_yaml_but_holding_something_else_is_refused_by_its_content() -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    read = upload.read_upload("photo.yaml", png)
    assert read.loaded == 0
    assert "not valid UTF-8" in read.result.problems[0].message


def test_an_upload_with_another_suffix_is_refused_even_when_it_holds_an_article() -> None:
    read = upload.read_upload("article.exe", UPLOADED)
    assert read.loaded == 0
    assert ".yaml" in read.result.problems[0].message


def test_an_upload_name_loses_its_folders_and_control_characters() -> None:
    assert upload.shown_name("../../etc/\u202epasswd\n.yaml") == "passwd.yaml"
    assert upload.shown_name("C:\\Users\\x\\a.yaml") == "a.yaml"


def test_an_upload_is_seen_by_its_own_session_only(shared) -> None:
    corpus, vocab = shared
    mine: dict = {}
    theirs: dict = {}
    mine[upload._UPLOADED] = upload.read_upload("mine.yaml", UPLOADED)
    combined, combined_vocab = upload.session_corpus_in(mine, corpus, vocab)
    assert "uploaded-article" in set(combined.articles["article"])
    assert "uploaded-article" in combined_vocab.articles
    assert len(combined.events) == len(corpus.events) + 1
    other, _ = upload.session_corpus_in(theirs, corpus, vocab)
    assert other is corpus
    assert "uploaded-article" not in set(corpus.articles["article"])  # the shared one is intact


def test_a_rerun_reuses_the_combined_corpus_until_the_upload_changes(shared) -> None:
    corpus, vocab = shared
    state: dict = {upload._UPLOADED: upload.read_upload("a.yaml", UPLOADED)}
    first, _ = upload.session_corpus_in(state, corpus, vocab)
    assert upload.session_corpus_in(state, corpus, vocab)[0] is first
    state[upload._UPLOADED] = upload.read_upload("a.yaml", UPLOADED + b"# edited\n")
    assert upload.session_corpus_in(state, corpus, vocab)[0] is not first
    del state[upload._UPLOADED]
    assert upload.session_corpus_in(state, corpus, vocab)[0] is corpus


def test_an_upload_cannot_replace_a_shared_article(shared) -> None:
    corpus, vocab = shared
    shared_id = corpus.articles["article"].iloc[0]
    impostor = UPLOADED.replace(b"id: uploaded-article\n", f"id: {shared_id}\n".encode())
    state: dict = {upload._UPLOADED: upload.read_upload("impostor.yaml", impostor)}
    combined, _ = upload.session_corpus_in(state, corpus, vocab)
    assert len(combined.articles) == len(corpus.articles)
    assert combined.articles.equals(corpus.articles)
    assert any("already used" in m for m in combined.problems["message"])


def test_a_broken_upload_shows_its_problems_with_the_upload_named(shared) -> None:
    corpus, vocab = shared
    state: dict = {upload._UPLOADED: upload.read_upload("x.yaml", b"id: [unclosed\n")}
    combined, _ = upload.session_corpus_in(state, corpus, vocab)
    problems = combined.problems[combined.problems["file"] == "upload: x.yaml"]
    assert len(problems) == 1 and problems.iloc[0]["line"] >= 1


# --- config ------------------------------------------------------------------------------------


def test_the_streamlit_config_hides_details_and_keeps_the_protections_on() -> None:
    config = tomllib.loads((REPO_ROOT / ".streamlit" / "config.toml").read_text("utf-8"))
    assert config["client"]["showErrorDetails"] in ("type", "none", False)
    assert config["client"]["toolbarMode"] == "viewer"
    assert config["browser"]["gatherUsageStats"] is False
    assert config["server"]["enableXsrfProtection"] is True
    assert config["server"]["enableCORS"] is True
    assert 0 < config["server"]["maxUploadSize"] <= 10
    assert math.ceil(MAX_BYTES / 1_000_000) <= config["server"]["maxUploadSize"]


def test_the_streamlit_config_keeps_the_agent_api_off() -> None:
    config = tomllib.loads((REPO_ROOT / ".streamlit" / "config.toml").read_text("utf-8"))
    # An HTTP API that drives the app without a browser: not for a public dashboard.
    assert config["server"].get("enableAgentApi", False) is False


def test_streamlit_offers_a_websocket_host_allow_list_for_deployments_to_set() -> None:
    # The Security section tells deployments to set server.allowedHosts; it must exist.
    shown = subprocess.run([sys.executable, "-m", "streamlit", "config", "show"],
                           capture_output=True, text=True, check=True, cwd=REPO_ROOT).stdout
    assert re.search(r"^# allowedHosts = \[\]$", shown, flags=re.MULTILINE), (
        "server.allowedHosts is gone or set: update the Security notes")
