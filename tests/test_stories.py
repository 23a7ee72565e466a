"""Stories across articles: the table, who contests what, where the sources disagree, and the
story and outlet filters, on a three-outlet fixture (tests/fixtures/stories)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest

import charts
from warlens import query, stories
from warlens.cli import main
from warlens.corpus import Corpus
from warlens.model import Col
from warlens.workspace import load_corpus

FIXTURES = Path(__file__).parent / "fixtures" / "stories"
STORY = "mariupol-capture"


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return load_corpus(FIXTURES, cache=False)


def test_a_story_gathers_the_reports_of_every_outlet(corpus: Corpus) -> None:
    row = corpus.stories.set_index(Col.STORY).loc[STORY]
    assert row[stories.N_ARTICLES] == 3
    assert row[stories.N_OUTLETS] == 3
    assert row[stories.OUTLETS] == "Outlet A; Outlet B; Outlet C"
    assert row[stories.PLACES] == "Mariupol"
    # The story spans every report's range: B's "1-22 April" to C's 24 April.
    assert row[Col.DATE_LABEL] == "1\u201324 Apr 2022"
    assert (row[stories.ASSERTS], row[stories.DENIES], row[stories.DOUBTS]) == (1, 1, 1)


def test_a_story_is_contested_across_articles_though_no_single_event_is(
        corpus: Corpus) -> None:
    assert not corpus.events[Col.CONTESTED].any()
    assert corpus.stories.set_index(Col.STORY).loc[STORY, Col.CONTESTED]


def test_doubting_alone_does_not_contest_a_story(corpus: Corpus) -> None:
    claims = corpus.claims[corpus.claims[Col.STANCE] != "denies"]
    table = stories.story_table(corpus.articles, corpus.events, claims)
    assert not table.set_index(Col.STORY).loc[STORY, Col.CONTESTED]


def test_one_claimant_asserting_and_denying_does_not_contest_a_story(corpus: Corpus) -> None:
    claims = corpus.claims.assign(**{Col.CLAIMANT: "The same person"})
    table = stories.story_table(corpus.articles, corpus.events, claims)
    assert not table.set_index(Col.STORY).loc[STORY, Col.CONTESTED]


def test_events_without_a_story_make_no_story(corpus: Corpus) -> None:
    assert list(corpus.stories[Col.STORY]) == [STORY]
    empty = stories.story_table(corpus.articles, corpus.events.iloc[0:0], corpus.claims)
    assert empty.empty and list(empty.columns) == stories.STORY_COLUMNS


def test_reports_come_in_publication_order(corpus: Corpus) -> None:
    reports = stories.reports(corpus.articles, corpus.events, STORY)
    assert list(reports[Col.ARTICLE]) == ["a-claims", "b-denies", "c-doubts"]
    assert list(reports[Col.LICENSE]) == ["CC BY 4.0", "CC BY 4.0", "public domain"]


def test_the_sources_disagreeing_on_date_and_casualties_is_said(corpus: Corpus) -> None:
    found = {d.aspect: d for d in stories.disagreements(
        stories.reports(corpus.articles, corpus.events, STORY))}
    # One place: no disagreement there. A and C both report the change of control, on
    # 21 and 24 April; B's battle is another kind of event, dated apart.
    assert set(found) == {"date (change of territorial control)", "casualties"}
    assert [who for who, _ in found["date (change of territorial control)"].versions] == [
        "Outlet A: Ministry says Mariupol taken", "Outlet C: Questions over the claim"]
    assert ("Outlet A: Ministry says Mariupol taken", "4,000 (About 4,000 fighters)") \
        in found["casualties"].versions
    assert ("Outlet B: President says the city resists", "100-200") \
        in found["casualties"].versions


def test_a_vague_range_that_holds_a_precise_day_agrees_with_it(corpus: Corpus) -> None:
    reports = stories.reports(corpus.articles, corpus.events, STORY)
    two = reports[reports[Col.ARTICLE].isin(["a-claims", "b-denies"])]
    two = two.assign(**{Col.TYPE: "battle"})
    assert not [d for d in stories.disagreements(two) if d.aspect.startswith("date")]


def test_places_named_differently_disagree(corpus: Corpus) -> None:
    reports = stories.reports(corpus.articles, corpus.events, STORY)
    moved = reports.assign(**{Col.PLACE_NAME: ["Mariupol", "Mariupol", "Berdiansk"]})
    place = next(d for d in stories.disagreements(moved) if d.aspect == "place")
    assert ("Outlet C: Questions over the claim", "Berdiansk") in place.versions


@pytest.mark.parametrize(("params", "events", "claims"), [
    ({"story": "MARIUPOL-CAPTURE"}, 3, 3),
    ({"outlet": "outlet c"}, 2, 1),
    ({"outlet": ["Outlet A", "Outlet B"], "story": STORY}, 2, 2),
])
def test_story_and_outlet_filters_read_from_a_link(corpus: Corpus, params: dict,
                                                   events: int, claims: int) -> None:
    filters, notices = query.filters_from_params(params, query.vocabulary(corpus))
    assert notices == []
    assert len(query.filter_events(corpus, filters)) == events
    assert len(query.filter_claims(corpus, filters)) == claims
    again, _ = query.filters_from_params(filters.to_params(), query.vocabulary(corpus))
    assert again == filters


def test_an_unknown_story_in_a_link_is_dropped_with_a_notice(corpus: Corpus) -> None:
    filters, notices = query.filters_from_params({"story": "atlantis"},
                                                 query.vocabulary(corpus))
    assert filters.stories == ()
    assert notices == ["Ignored story='atlantis' from the link: no such story."]


def test_validate_counts_outlets_and_stories(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(FIXTURES)]) == 0
    out = capsys.readouterr().out
    assert "3 outlets; 1 story, 1 reported by 2 or more outlets, 1 contested; 0 drafts" in out


def test_validate_json_has_the_story_counts(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    assert main(["validate", "--json", str(FIXTURES)]) == 0
    counts = json.loads(capsys.readouterr().out)
    assert (counts["stories"], counts["stories_multi_outlet"], counts["stories_contested"],
            counts["outlets"]) == (1, 1, 1, 3)


def test_export_takes_the_story_and_outlet_filters(tmp_path: Path) -> None:
    out = tmp_path / "claims.csv"
    assert main(["export", str(FIXTURES), "--table", "claims", "--story", STORY,
                 "--outlet", "Outlet B", "-o", str(out)]) == 0
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert list(table[Col.CLAIMANT]) == ["The president"]


REPO_ROOT = Path(__file__).resolve().parents[1]


def _stories_page(monkeypatch: pytest.MonkeyPatch, **params: str):
    from streamlit.testing.v1 import AppTest

    monkeypatch.chdir(REPO_ROOT)
    monkeypatch.setenv("WARLENS_DATA", str(FIXTURES))
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=30)
    at.switch_page("pages/7_Stories.py")
    at.query_params.update(params)
    return at.run()


def test_the_stories_page_lists_every_story_with_its_outlets(
        monkeypatch: pytest.MonkeyPatch) -> None:
    at = _stories_page(monkeypatch)
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table[Col.STORY]) == [STORY]
    assert table[stories.OUTLETS].iloc[0] == "Outlet A; Outlet B; Outlet C"
    assert "1 reported by more than one outlet, 1 contested" in at.caption[0].value


def test_one_story_sets_its_claims_side_by_side_and_its_reports_in_order(
        monkeypatch: pytest.MonkeyPatch) -> None:
    at = _stories_page(monkeypatch, story=STORY)
    assert not at.exception
    text = [m.value for m in at.markdown]
    sides = [t for t in text if t in ("**Asserts**", "**Denies**", "**Doubts**")]
    assert sides == ["**Asserts**", "**Denies**", "**Doubts**"]
    assert any("The minister" in t and "asserts" in t for t in text)
    assert any("The president" in t and "denies" in t for t in text)
    reports = [t for t in text if ", published " in t]
    assert [r.split("**")[1] for r in reports] == ["Outlet A", "Outlet B", "Outlet C"]
    assert any("Casualties" in t for t in text)  # the disagreement is said
    captions = [re.sub(r"\\(.)", r"\1", c.value) for c in at.caption]  # as rendered
    assert any("contested: one claimant asserts it, another denies it" in c for c in captions)
    assert any("Source: Outlet A, CC BY 4.0" in c for c in captions)


def test_the_bundled_mariupol_story_is_asserted_by_the_kremlin_and_denied_by_ukraine() -> None:
    bundled = load_corpus(REPO_ROOT / "data" / "articles", cache=False)
    row = bundled.stories.set_index(Col.STORY).loc["mariupol-capture-2022"]
    assert row[Col.CONTESTED]
    assert row[stories.N_OUTLETS] == 3
    claims = stories.story_claims(bundled.claims, bundled.articles, "mariupol-capture-2022")
    by_outlet = claims.groupby(Col.OUTLET)[Col.STANCE].agg(set)
    assert "asserts" in by_outlet["Kremlin"]
    assert "denies" in by_outlet["President of Ukraine"]
    assert "doubts" in by_outlet["White House"]
    # Every bundled text keeps its licence and attribution.
    assert bundled.articles[Col.LICENSE].notna().sum() == 20
    assert bundled.articles.loc[bundled.articles[Col.OUTLET] != "Sky News",
                                Col.ATTRIBUTION].notna().all()


def _bundled_page(monkeypatch: pytest.MonkeyPatch, page: str, state: dict, **params: str):
    from streamlit.testing.v1 import AppTest

    monkeypatch.chdir(REPO_ROOT)
    monkeypatch.setenv("WARLENS_DATA", str(REPO_ROOT / "data" / "articles"))
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=60)
    at.switch_page(page)
    for key, value in state.items():
        at.session_state[key] = value
    at.query_params.update(params)
    return at.run()


def _figure(at) -> dict:
    [figure] = charts.figures(at)
    return figure


def test_the_map_draws_one_mark_per_story_sized_by_its_reports(
        monkeypatch: pytest.MonkeyPatch) -> None:
    at = _bundled_page(monkeypatch, "pages/3_Map.py", {}, marks="stories")
    assert not at.exception
    names = {str(c[0]) for trace in _figure(at)["data"]
             for c in trace.get("customdata") or [] if isinstance(c, list) and c}
    assert "mariupol-capture-2022" in names and "bakhmut-fall-2023" in names
    hovers = json.dumps(_figure(at)["data"], ensure_ascii=False)  # each report, by outlet
    assert "Kremlin: " in hovers and "President of Ukraine: " in hovers


def test_the_timeline_groups_rows_by_story(monkeypatch: pytest.MonkeyPatch) -> None:
    at = _bundled_page(monkeypatch, "pages/1_Timeline.py", {}, group="story",
                       outlet=["Kremlin", "White House"])
    assert not at.exception and not at.warning
    figure = json.dumps(_figure(at))
    assert "mariupol-capture-2022" in figure and "russian-invasion-2022" in figure
    assert at.session_state["d_group"] == "story"  # the widget shows what the link says


def _url_value(at, name: str) -> str:
    value = at.query_params[name]
    return value if isinstance(value, str) else "&".join(value)


def _link_params(link: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(link).query)


def test_grouping_the_timeline_by_story_is_written_into_its_link(
        monkeypatch: pytest.MonkeyPatch) -> None:
    at = _bundled_page(monkeypatch, "pages/1_Timeline.py", {}, outlet=["Kremlin"])
    assert "group" not in at.query_params  # the default is never written
    at.session_state["d_group"] = "story"  # a reader picks "Story"
    at.run()
    assert not at.exception
    assert _url_value(at, "group") == "story"
    assert "mariupol-capture-2022" in json.dumps(_figure(at))
    shared = _link_params(at.text_input(key="share_link").value)
    assert shared == {"outlet": ["Kremlin"], "group": ["story"]}
    # Every nav link carries it: back on the Timeline, it is grouped as it was left.
    for link in at.sidebar.get("page_link"):
        assert parse_qs(link.proto.query_string)["group"] == ["story"], link.value


def test_the_map_s_story_marks_are_written_into_its_link_and_kept_by_other_pages(
        monkeypatch: pytest.MonkeyPatch) -> None:
    at = _bundled_page(monkeypatch, "pages/3_Map.py", {})
    at.session_state["d_marks"] = "stories"
    at.run()
    assert _url_value(at, "marks") == "stories"
    assert _link_params(at.text_input(key="share_link").value) == {"marks": ["stories"]}
    # Another page keeps the option in its URL and its links, and shows no notice for it.
    at = _bundled_page(monkeypatch, "pages/2_Claims.py", {}, marks="stories")
    assert not at.exception and not at.warning
    assert _url_value(at, "marks") == "stories"
