"""Every page, run headless with Streamlit's AppTest on real data: what a reader would see.

AppTest runs a page in this process, without a browser: the URL is `at.query_params`, a
nav click is `follow()` (AppTest cannot click a page link, so the test switches to the
link's page with the link's own query string, as the browser would).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import charts
from seedcorpus import seed_folder
from warlens import figures, synth
from warlens.model import Col
from warlens.ui.safe import WORD_JOINER, md_escape
from warlens.ui.shell import K_ARTICLE, K_PLACE, PAGES
from warlens.workspace import load_corpus

REPO_ROOT = Path(__file__).resolve().parents[1]
BUNDLED = seed_folder()  # the seed article alone
CLAIMS = "pages/2_Claims.py"
ARTICLE = "pages/4_Article.py"
PROBLEMS = "pages/5_Problems.py"
# The bundled Bakhmut article: 6 events and 12 claims; 4 events and 10 claims are in Bakhmut.
ALL_EVENTS, ALL_CLAIMS = 6, 12
BAKHMUT_EVENTS, BAKHMUT_CLAIMS = 4, 10
ZELENSKYY_DENIES = "bakhmut-falls-2023-05-21/zelenskyy-denies-capture"
ZELENSKYY_QUOTE = "Zelenskyy denies claim Russia has taken control of Ukrainian city"

OpenPage = Callable[..., AppTest]


@pytest.fixture
def open_page(monkeypatch: pytest.MonkeyPatch) -> OpenPage:
    """`open_page(page, **params)`: the page run once, as opened from a link with these params.

    Runs from the repo root (where .streamlit/ and static/ are) on the bundled data unless
    the test points WARLENS_DATA elsewhere. Every page is reached through app.py, the
    entry point, because page links resolve against it.
    """
    monkeypatch.chdir(REPO_ROOT)
    monkeypatch.setenv("WARLENS_DATA", str(BUNDLED))

    def open_(page: str = "app.py", **params: str | list[str]) -> AppTest:
        at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=30)
        if page != "app.py":
            at.switch_page(page)
        at.query_params.update(params)
        return at.run()

    return open_


def metrics(at: AppTest) -> dict[str, int]:
    """The overview's counters, by label."""
    return {re.sub(r"\\(.)", r"\1", m.label): int(m.value.replace(",", ""))  # as rendered
            for m in at.metric}


def nav_link_query(at: AppTest, label: str) -> str:
    """The query string the sidebar nav link with this label carries."""
    for link in at.sidebar.get("page_link"):
        if link.value == label:
            return link.proto.query_string
    raise AssertionError(f"no nav link {label!r} in the sidebar")


def follow(at: AppTest, label: str) -> AppTest:
    """Click a sidebar nav link: go to its page with the query string it carries."""
    query = nav_link_query(at, label)
    path = next(path for path, page_label, _ in PAGES if page_label == label)
    at.switch_page(path)
    at.query_params.clear()
    at.query_params.update(parse_qs(query, keep_blank_values=True))
    return at.run()


def claims_table(at: AppTest) -> pd.DataFrame:
    """The 'All claims' table of the Claims page."""
    return at.main.dataframe[-1].value


def url_values(at: AppTest, name: str) -> list[str]:
    """Every value the URL holds for this parameter."""
    value = at.query_params.get(name, [])
    return [value] if isinstance(value, str) else list(value)


# --- every page -------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "label"), [(path, label) for path, label, _ in PAGES])
def test_every_page_renders_on_the_bundled_data(open_page: OpenPage, path: str,
                                                label: str) -> None:
    at = open_page(path)
    assert not at.exception
    assert not at.warning, [w.value for w in at.warning]
    titles = [t.value for t in at.main.title]
    assert titles == ["warlens" if label == "Overview" else label]


def test_the_overview_counts_the_whole_bundled_article(open_page: OpenPage) -> None:
    counts = metrics(open_page())
    assert counts == {"Articles": 1, "Events": ALL_EVENTS, "Claims": ALL_CLAIMS, "Places": 3,
                      "Contested events": 1, "Shared stories": 0}


def test_the_overview_of_the_bundled_corpus_counts_stories_across_outlets(
        open_page: OpenPage, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARLENS_DATA", str(REPO_ROOT / "data" / "articles"))
    at = open_page()
    counts = metrics(at)
    assert (counts["Articles"], counts["Shared stories"]) == (21, 16)
    links = [link.label.replace("\\", "") for link in at.get("page_link")]
    assert "mariupol-capture-2022" in links, links
    # When, and that it is contested, go under the link, where they wrap on a phone.
    notes = [c.value.replace("\\", "") for c in at.caption]
    assert any(n.startswith("20\u201326 Apr 2022 · contested · 6 reports from")
               for n in notes), notes


def test_a_town_many_articles_report_is_one_place(
        open_page: OpenPage, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARLENS_DATA", str(REPO_ROOT / "data" / "articles"))
    counts = metrics(open_page(place="Mariupol"))
    assert counts["Articles"] == 8
    assert counts["Places"] == 1  # Mariupol, however many articles name it


def test_the_claims_page_lists_stories_contested_across_articles(
        open_page: OpenPage, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARLENS_DATA", str(REPO_ROOT / "data" / "articles"))
    at = open_page(CLAIMS, story="mariupol-capture-2022")
    links = [link.label.replace("\\", "") for link in at.get("page_link")]
    assert any(label.startswith("mariupol-capture-2022") for label in links), links
    # Who says what sits under the link (a link's label never wraps on a phone).
    notes = [c.value.replace("\\", "") for c in at.caption]
    assert any("asserts: Kremlin" in n and "denies: President of Ukraine" in n
               for n in notes), notes


# --- deep links -------------------------------------------------------------------------


def test_a_link_with_a_place_fills_the_place_filter(open_page: OpenPage) -> None:
    at = open_page(place="Bakhmut")
    assert at.multiselect(key=K_PLACE).value == ["Bakhmut"]
    assert url_values(at, "place") == ["Bakhmut"]


def test_a_link_with_a_place_narrows_the_overview_counts(open_page: OpenPage) -> None:
    counts = metrics(open_page(place="Bakhmut"))
    assert counts["Events"] == BAKHMUT_EVENTS
    assert counts["Claims"] == BAKHMUT_CLAIMS
    assert counts["Places"] == 1


def test_a_link_with_a_place_leaves_only_its_claims_in_the_claims_table(
    open_page: OpenPage,
) -> None:
    table = claims_table(open_page(CLAIMS, place="Bakhmut"))
    assert len(table) == BAKHMUT_CLAIMS
    assert set(table["place_name"]) == {"Bakhmut"}


def test_a_link_with_a_country_keeps_the_places_inside_it(open_page: OpenPage) -> None:
    # Bakhmut, Kyiv and the country-wide event all lie in Ukraine.
    assert metrics(open_page(place="Ukraine"))["Events"] == ALL_EVENTS
    assert metrics(open_page(place="Kyiv"))["Events"] == 1


def test_a_link_matches_a_place_whatever_its_case(open_page: OpenPage) -> None:
    at = open_page(CLAIMS, place="bAKHMUT")
    assert at.multiselect(key=K_PLACE).value == ["Bakhmut"]
    assert not at.warning


# --- widgets write the URL, and the URL travels -----------------------------------------


def test_choosing_a_place_writes_it_into_the_url(open_page: OpenPage) -> None:
    at = open_page()
    at.multiselect(key=K_PLACE).select("Kyiv").run()
    assert url_values(at, "place") == ["Kyiv"]
    assert metrics(at)["Events"] < ALL_EVENTS


def test_resetting_the_filters_empties_the_url(open_page: OpenPage) -> None:
    at = open_page(place="Bakhmut")
    at.button(key="f_reset").click().run()
    assert at.multiselect(key=K_PLACE).value == []
    assert dict(at.query_params) == {}
    assert metrics(at)["Events"] == ALL_EVENTS


def test_the_nav_links_carry_the_filters_of_the_link_opened(open_page: OpenPage) -> None:
    at = open_page(place="Bakhmut")
    for _, label, _ in PAGES:
        assert parse_qs(nav_link_query(at, label)) == {"place": ["Bakhmut"]}, label


def test_the_nav_links_carry_a_place_just_chosen(open_page: OpenPage) -> None:
    at = open_page(place="Bakhmut")
    at.multiselect(key=K_PLACE).select("Kyiv").run()
    assert parse_qs(nav_link_query(at, "Claims")) == {"place": ["Bakhmut", "Kyiv"]}


def test_the_place_filter_survives_a_click_on_a_nav_link(open_page: OpenPage) -> None:
    at = follow(open_page(place="Bakhmut"), "Claims")
    assert not at.exception
    assert [t.value for t in at.main.title] == ["Claims"]
    assert at.multiselect(key=K_PLACE).value == ["Bakhmut"]
    assert url_values(at, "place") == ["Bakhmut"]
    assert set(claims_table(at)["place_name"]) == {"Bakhmut"}


def test_a_place_chosen_on_one_page_is_still_chosen_on_the_next(open_page: OpenPage) -> None:
    at = open_page()
    at.multiselect(key=K_PLACE).select("Bakhmut").run()
    at = follow(at, "Claims")
    assert at.multiselect(key=K_PLACE).value == ["Bakhmut"]
    assert url_values(at, "place") == ["Bakhmut"]
    assert len(claims_table(at)) == BAKHMUT_CLAIMS


# --- crafted links ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "notice"),
    [
        ({"article": "../../etc/passwd"}, "Ignored article='../../etc/passwd'"),
        ({"place": "<script>alert(1)</script>"}, "Ignored place='<script>alert(1)</script>'"),
        ({"place": "B" * 10_000}, "Ignored a 10000-character 'place' value"),
        ({"q": "x" * 10_000}, "Ignored a 10000-character 'q' value"),
        ({"claim": "../" * 3_000}, "Ignored a 9000-character 'claim' value"),
        ({"q": ["Bakhmut", "Kyiv"]}, "The link gave 'q' 2 times"),
        ({"from": "2023-02-30"}, "Ignored from='2023-02-30'"),
        ({"contested": "maybe"}, "Ignored contested='maybe'"),
        ({"nonsense": "1"}, "Ignored unknown link parameters: 'nonsense'"),
        ({"group": "<b>x</b>"}, "Ignored group='<b>x</b>' from the link: use group=place"),
    ],
    ids=["path", "script", "10k-place", "10k-search", "10k-claim", "repeated", "bad-date",
         "bad-flag", "unknown-key", "bad-display"],
)
@pytest.mark.parametrize("page", ["app.py", CLAIMS, ARTICLE])
def test_a_crafted_link_shows_a_notice_and_the_default_view(
    open_page: OpenPage, page: str, params: dict[str, str | list[str]], notice: str
) -> None:
    at = open_page(page, **params)
    assert not at.exception
    # As the reader sees them: the notices are escaped markdown (the link's values are data).
    notices = [re.sub(r"\\(.)", r"\1", w.value).replace(WORD_JOINER, "") for w in at.warning]
    assert any(n.startswith(notice) for n in notices), notices
    assert at.multiselect(key=K_PLACE).value == []
    assert at.multiselect(key=K_ARTICLE).value == []
    if page == "app.py" and "q" not in params:
        assert metrics(at)["Events"] == ALL_EVENTS
    if page == CLAIMS and "q" not in params:
        assert len(claims_table(at)) == ALL_CLAIMS


def test_a_crafted_link_never_shows_its_text_as_markup(open_page: OpenPage) -> None:
    at = open_page(CLAIMS, place="<img src=x onerror=alert(1)>")
    assert all(not m.allow_html for m in at.markdown)
    assert all("<img" not in m.value for m in at.markdown)


def test_a_repeated_place_keeps_every_known_value_and_drops_the_rest(
    open_page: OpenPage,
) -> None:
    at = open_page(CLAIMS, place=["Bakhmut", "Kyiv", "Atlantis", "bakhmut"])
    assert at.multiselect(key=K_PLACE).value == ["Bakhmut", "Kyiv"]
    assert any("Atlantis" in w.value for w in at.warning)
    assert url_values(at, "place") == ["Bakhmut", "Kyiv"]


# --- claims and the article reader ------------------------------------------------------


def _side(at: AppTest, stance: str) -> list[str]:
    """The markdown under the Asserts or Denies heading of the contested pair."""
    texts = [m.value for m in at.main.markdown]
    heading = texts.index(f"**{stance}**")
    after = texts[heading + 1:]
    end = next((i for i, t in enumerate(after) if t.startswith("**")), len(after))
    return after[:end]


def test_the_claims_page_puts_the_claimants_of_a_contested_event_on_their_sides(
    open_page: OpenPage,
) -> None:
    at = open_page(CLAIMS)
    assert any(s.value.startswith("Contested (1 event") for s in at.subheader)
    asserts = " ".join(_side(at, "Asserts"))
    denies = " ".join(_side(at, "Denies"))
    assert "Wagner Group:" in asserts
    assert "Russian government:" in asserts
    assert "Volodymyr Zelenskyy" not in asserts
    assert "Volodymyr Zelenskyy:" in denies
    assert "Wagner Group" not in denies


def test_the_claims_page_filtered_to_kyiv_has_no_contested_pair(open_page: OpenPage) -> None:
    at = open_page(CLAIMS, place="Kyiv")
    assert not at.exception
    assert "No claim in view is asserted by one side and denied by another." in [
        c.value for c in at.caption]


def test_a_link_to_a_claim_shows_its_sentence_in_the_article(open_page: OpenPage) -> None:
    at = open_page(ARTICLE, claim=ZELENSKYY_DENIES)
    assert not at.exception
    assert "Selected sentence" in [c.value for c in at.caption]
    selected = [m.value for m in at.main.markdown if m.value.startswith(":red-background[")]
    assert selected == [f":red-background[{ZELENSKYY_QUOTE}]"]
    assert url_values(at, "claim") == [ZELENSKYY_DENIES]


def test_the_article_lists_each_event_and_claim_whole_under_its_link(
        open_page: OpenPage) -> None:
    """A link's label never wraps: a summary or claim in it was cut off at the column's
    edge. The link names who and when; what was said sits under it, whole."""
    at = open_page(ARTICLE, claim=ZELENSKYY_DENIES)
    article = ZELENSKYY_DENIES.split("/")[0]
    corpus = load_corpus(BUNDLED, cache=False)
    events = corpus.events[corpus.events[Col.ARTICLE] == article]
    claims = corpus.claims[corpus.claims[Col.ARTICLE] == article]
    links = [link.label.replace("\\", "") for link in at.main.get("page_link")]
    notes = [c.value.replace("\\", "") for c in at.caption]
    for claim in claims.itertuples(index=False):
        assert f"{claim.claimant} {claim.stance}" in links
        assert claim.claim in notes
    for event in events.itertuples(index=False):
        assert event.summary in notes
    assert "Volodymyr Zelenskyy denies" in links
    assert all(len(label) < 60 for label in links if "denies" in label or "asserts" in label)


def test_a_link_to_a_claim_on_the_claims_page_shows_its_detail(open_page: OpenPage) -> None:
    at = open_page(CLAIMS, claim=ZELENSKYY_DENIES)
    texts = [m.value for m in at.main.markdown]
    assert any(t.startswith("**Volodymyr Zelenskyy** *denies*") for t in texts), texts
    assert f"> {ZELENSKYY_QUOTE}" in texts


def test_choosing_a_place_drops_the_selected_claim(open_page: OpenPage) -> None:
    at = open_page(ARTICLE, claim=ZELENSKYY_DENIES)
    at.multiselect(key=K_PLACE).select("Kyiv").run()
    assert "claim" not in at.query_params
    assert "Selected sentence" not in [c.value for c in at.caption]


# --- problems ---------------------------------------------------------------------------

BROKEN = """\
id: broken-file
title: A file with a broken line
outlet: Example: News
text: Nothing to see.
"""


@pytest.fixture
def folder_with_a_bad_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data folder holding the Bakhmut article and one file with a syntax error on line 3."""
    for source in BUNDLED.glob("*.yaml"):
        shutil.copy(source, tmp_path / source.name)
    (tmp_path / "broken-file.yaml").write_text(BROKEN, encoding="utf-8")
    monkeypatch.setenv("WARLENS_DATA", str(tmp_path))
    return tmp_path


def test_the_problems_page_lists_a_bad_file_with_its_line(
    open_page: OpenPage, folder_with_a_bad_file: Path
) -> None:
    at = open_page(PROBLEMS)
    assert not at.exception
    table = at.main.dataframe[0].value
    rows = table[table["file"].str.endswith("broken-file.yaml")]
    assert len(rows) == 1
    assert rows.iloc[0]["line"] == 3
    assert rows.iloc[0]["severity"] == "error"


def test_a_bad_file_does_not_hide_the_good_one(
    open_page: OpenPage, folder_with_a_bad_file: Path
) -> None:
    at = open_page()
    assert metrics(at)["Events"] == ALL_EVENTS
    assert any("error" in link.value for link in at.main.get("page_link"))


def test_the_problems_page_says_so_when_every_file_loaded(open_page: OpenPage) -> None:
    at = open_page(PROBLEMS)
    assert [s.value for s in at.success] == ["1 data file, all loaded without problems."]


# --- a view larger than the timeline draws as bars ------------------------------------------


def test_a_timeline_with_more_events_than_bars_counts_them_and_lists_the_undated(
        open_page: OpenPage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synth.write_corpus(tmp_path, 20, seed=4)
    monkeypatch.setenv("WARLENS_DATA", str(tmp_path))
    events = load_corpus(tmp_path, cache=False).events
    n_undated = len(figures.undated(events))
    assert n_undated  # the synthetic corpus has undated events, so the list is exercised
    monkeypatch.setenv("WARLENS_TIMELINE_BARS", "10")
    at = open_page("pages/1_Timeline.py")
    assert not at.exception
    figure = charts.figures(at)[0]["layout"]
    assert figure["title"]["text"].startswith(f"{len(events) - n_undated:,} dated events per ")
    assert figure["meta"]["note"].startswith("Aggregated: ")
    assert md_escape(figure["meta"]["note"]) in [c.value for c in at.caption]
    assert f"Undated ({n_undated:,})" in [h.value for h in at.subheader]
    assert at.get("button_group")[0].proto.disabled  # rows by place are not drawn: no choice
    listed = at.dataframe[0].value
    assert list(listed[Col.SUMMARY]) == list(figures.undated(events)[Col.SUMMARY])


def test_a_place_filter_counts_only_the_articles_that_report_something_there(
        open_page: OpenPage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synth.write_corpus(tmp_path, 20, seed=4)
    monkeypatch.setenv("WARLENS_DATA", str(tmp_path))
    corpus = load_corpus(tmp_path, cache=False)
    town = str(corpus.events[Col.PLACE_NAME].dropna().iloc[0])
    reporting = set(corpus.events.loc[corpus.events[Col.PLACE_NAME] == town, Col.ARTICLE]) | set(
        corpus.claims.loc[corpus.claims[Col.PLACE_NAME] == town, Col.ARTICLE])
    assert 0 < len(reporting) < 20
    assert metrics(open_page(place=town))["Articles"] == len(reporting)
    assert metrics(open_page())["Articles"] == 20


def test_a_wrong_limit_in_the_environment_is_named_on_the_page(
        open_page: OpenPage, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARLENS_TIMELINE_BARS", "many")
    at = open_page("pages/1_Timeline.py")
    assert not at.exception
    assert any("WARLENS_TIMELINE_BARS='many'" in re.sub(r"\\(.)", r"\1", w.value)
               for w in at.warning)
    assert charts.figures(at)  # the timeline is drawn with the default limit
