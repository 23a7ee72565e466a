"""`warlens link`: proposals a person reviews, byte-preserving apply, and honest scores."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from warlens import link, storyedit
from warlens.cli import main
from warlens.workspace import load_corpus
from warlens.yamlio import load_yaml


def article(article_id: str, outlet: str, events: list[dict[str, str]],
            places: str = "") -> str:
    """A small native article whose text holds each event's quote."""
    text = " ".join(e["quote"] for e in events)
    items = "".join(
        f"  - id: {e['id']}\n"
        f"    summary: {e['summary']}\n"
        f"    type: {e['type']}\n"
        f"    when: {e['when']}\n"
        f"    place: {e['place']}\n"
        + (f"    actors: [{e['actors']}]\n" if e.get("actors") else "")
        + f"    quote: {e['quote']}\n"
        + (f"    story: {e['story']}\n" if e.get("story") else "")
        for e in events)
    return (f"id: {article_id}\ntitle: {article_id}\noutlet: {outlet}\n"
            f"published: 2022-04-25\ntext: {text}\n"
            "places:\n"
            "  - id: mariupol\n    name: Mariupol\n    country: UA\n"
            "  - id: kharkiv\n    name: Kharkiv\n    country: UA\n"
            "  - id: plant\n    name: Azovstal steel plant\n"
            "    lat: 47.098\n    lon: 37.600\n    precision: exact\n    country: UA\n"
            f"{places}"
            f"events:\n{items}")


CAPTURE = dict(type="territorial_control", place="mariupol",
               actors="Russian armed forces, Ukrainian armed forces")
KREMLIN = article("kremlin", "Kremlin", [
    dict(id="liberated", summary="Russian forces say they have liberated Mariupol",
         when="2022-04-21", quote="Russian forces have liberated Mariupol.",
         story="mariupol-capture-2022", **CAPTURE),
    dict(id="strike", summary="Missile strike on Kharkiv", type="remote_violence",
         when="2022-04-21", place="kharkiv", quote="A missile hit Kharkiv.",
         actors="Russian armed forces"),
])
KYIV = article("kyiv", "President of Ukraine", [
    dict(id="resists", summary="Mariupol continues to resist Russian forces",
         when="2022-04-21", quote="Mariupol is a city that continues to resist.",
         story="mariupol-capture-2022", **CAPTURE),
    dict(id="parade", summary="Protest in Kharkiv against the occupation", type="protest",
         when="2022-03-02", place="kharkiv", quote="People marched in Kharkiv."),
])
WHITEHOUSE = article("whitehouse", "White House", [
    dict(id="questionable", summary="Biden doubts Russian forces liberated Mariupol",
         when="{from: 2022-04-20, to: 2022-04-22}", quote="It is questionable whether he "
         "controls Mariupol.", **CAPTURE),
    dict(id="siege", summary="Fighting at the Azovstal steel plant", type="battle",
         when="2022-05", place="plant", quote="The fighting went on at the plant."),
])


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    data = tmp_path / "articles"
    data.mkdir()
    for name, text in (("kremlin", KREMLIN), ("kyiv", KYIV), ("whitehouse", WHITEHOUSE)):
        (data / f"{name}.yaml").write_text(text, "utf-8")
    return data


def test_the_fixture_loads_without_problems(folder: Path) -> None:
    corpus = load_corpus(folder, cache=False)
    assert corpus.n_errors == 0 and corpus.n_warnings == 0, corpus.problems.to_dict("records")
    assert len(corpus.events) == 6


def test_blocking_needs_a_compatible_place_and_overlapping_dates(folder: Path) -> None:
    corpus = load_corpus(folder, cache=False)
    prep = link.prepare(corpus.events, corpus.places)
    pairs = link.candidate_pairs(prep)
    keys = prep.events[link.Col.KEY]
    found = {frozenset((keys[a], keys[b])) for a, b in zip(pairs["a"], pairs["b"], strict=True)}
    # The three Mariupol reports meet; the Kharkiv strike and protest are weeks apart;
    # the Azovstal plant is 7 km from Mariupol but dated to May, after the others.
    assert found == {frozenset(("kremlin/liberated", "kyiv/resists")),
                     frozenset(("kremlin/liberated", "whitehouse/questionable")),
                     frozenset(("kyiv/resists", "whitehouse/questionable"))}


def test_distance_blocks_within_the_radius_of_the_place(folder: Path) -> None:
    text = WHITEHOUSE.replace("when: 2022-05", "when: 2022-04-21")
    (folder / "whitehouse.yaml").write_text(text, "utf-8")
    corpus = load_corpus(folder, cache=False)
    prep = link.prepare(corpus.events, corpus.places)
    pairs = link.candidate_pairs(prep)
    keys = prep.events[link.Col.KEY].to_numpy()
    siege = "whitehouse/siege"
    near = pairs[(keys[pairs["a"]] == siege) | (keys[pairs["b"]] == siege)]
    assert len(near) == 2  # the plant now meets both Mariupol reports dated 21 April
    assert near["km"].between(1, 25).all()


def test_undated_and_vaguely_dated_events_are_not_linked() -> None:
    events = pd.DataFrame({
        link.Col.START: pd.to_datetime(["2022-04-21", None, "2022-01-01"]),
        link.Col.END: pd.to_datetime(["2022-04-21", None, "2022-12-31"]),
    })
    for col in (link.Col.KEY, link.Col.ARTICLE, link.Col.ID, link.Col.TYPE, link.Col.SUMMARY,
                link.Col.QUOTE, link.Col.ACTORS, link.Col.PLACE, link.Col.PLACE_NAME,
                link.Col.PRECISION, link.Col.COUNTRY, link.Col.STORY, link.Col.DATE_LABEL,
                link.Col.FILE):
        events[col] = ["x", "y", "z"]
    events[link.Col.LAT] = events[link.Col.LON] = 1.0
    events[link.Col.LINE] = 1
    prep = link.prepare(events)
    assert prep.skipped == 2 and list(prep.events[link.Col.KEY]) == ["x"]


def test_scores_say_why_and_rank_the_same_story_first(folder: Path) -> None:
    corpus = load_corpus(folder, cache=False)
    prep = link.prepare(corpus.events, corpus.places)
    scored = link.score_pairs(prep, link.candidate_pairs(prep))
    assert scored["score"].between(0, 1).all()
    assert (scored["place"] == 1.0).all() and (scored["type"] == 1.0).all()
    assert (scored["actors"] == 1.0).all()


def test_proposals_name_every_member_and_the_evidence(folder: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str],
                                                      ) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["link", "articles", "-o", "proposals.yaml"]) == 0
    assert "proposed 1 stories" in capsys.readouterr().err
    doc, _ = load_yaml((tmp_path / "proposals.yaml").read_bytes())
    assert doc["root"] == "articles"
    [story] = doc["stories"]
    # Two events already carry the story: the third joins it, under that slug.
    assert story["story"] == "mariupol-capture-2022"
    assert isinstance(story["accept"], bool)
    members = {(m["article"], m["event"]): m for m in story["events"]}
    assert set(members) == {("kremlin", "liberated"), ("kyiv", "resists"),
                            ("whitehouse", "questionable")}
    joining = members[("whitehouse", "questionable")]
    assert joining["file"] == "whitehouse.yaml"
    assert joining["place"] == "Mariupol (UA)"
    assert joining["date"].startswith("20")
    assert joining["quote"].startswith("It is questionable")
    assert isinstance(joining["line"], int)
    assert members[("kyiv", "resists")]["has_story"] == "mariupol-capture-2022"
    for entry in story["links"]:
        assert set(entry["why"]) == {"place", "date", "type", "text", "actors"}
        assert 0 <= entry["score"] <= 1


def test_new_stories_get_a_slug_from_place_type_and_date(folder: Path) -> None:
    for path in folder.glob("*.yaml"):
        path.write_text(path.read_text("utf-8").replace(
            "    story: mariupol-capture-2022\n", ""), "utf-8")
    corpus = load_corpus(folder, cache=False)
    found = link.propose(corpus.events, corpus.places, root=str(folder))
    slugs = [s["story"] for s in found.stories]
    assert slugs == ["mariupol-territorial-control-2022-04-21"]


def test_apply_inserts_one_line_and_keeps_every_other_byte(folder: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str],
                                                           ) -> None:
    monkeypatch.chdir(tmp_path)
    # CRLF line endings and a comment inside the event: both must survive the edit.
    target = folder / "whitehouse.yaml"
    original = target.read_text("utf-8").replace(
        "    type: territorial_control\n", "    # Biden, 21 April\n    type: territorial_control\n",
    ).replace("\n", "\r\n").encode()
    target.write_bytes(original)
    untouched = {p.name: p.read_bytes() for p in folder.glob("*.yaml")}
    assert main(["link", "articles", "-o", "proposals.yaml"]) == 0
    text = (tmp_path / "proposals.yaml").read_text("utf-8").replace("accept: false",
                                                                    "accept: true")
    (tmp_path / "proposals.yaml").write_text(text, "utf-8")
    capsys.readouterr()
    assert main(["link", "--apply", "proposals.yaml"]) == 0
    out = capsys.readouterr().out
    assert "written: whitehouse.yaml: questionable -> mariupol-capture-2022" in out
    assert "1 written, 2 unchanged, 0 conflict, 0 skipped" in out
    after = target.read_bytes()
    inserted = b"    story: mariupol-capture-2022\r\n"
    at = after.index(inserted)
    assert after[:at] + after[at + len(inserted):] == original
    assert after[:at].endswith(b"  - id: questionable\r\n")
    for name, data in untouched.items():
        if name != "whitehouse.yaml":
            assert (folder / name).read_bytes() == data
    events = load_corpus(folder, cache=False).events
    assert set(events.loc[events["story"] != "", "key"]) == {
        "kremlin/liberated", "kyiv/resists", "whitehouse/questionable"}
    # Applying again changes nothing.
    assert main(["link", "--apply", "proposals.yaml"]) == 0
    assert "0 written, 3 unchanged" in capsys.readouterr().out
    assert target.read_bytes() == after


def test_apply_reports_a_conflict_and_leaves_that_event_alone(folder: Path) -> None:
    target = folder / "kyiv.yaml"
    before = target.read_bytes()
    doc = {"root": str(folder), "stories": [
        {"story": "another-story", "accept": True, "events": [
            {"article": "kyiv", "event": "resists", "file": "kyiv.yaml"},
            {"article": "kyiv", "event": "parade", "file": "kyiv.yaml"}]},
        {"story": "not-reviewed", "accept": False, "events": [
            {"article": "kremlin", "event": "strike", "file": "kremlin.yaml"}]},
    ]}
    outcomes = storyedit.apply_proposals(doc, folder)
    by_event = {o.event: o for o in outcomes}
    assert by_event["resists"].status == storyedit.CONFLICT
    assert "mariupol-capture-2022" in by_event["resists"].message
    assert by_event["parade"].status == storyedit.WRITTEN
    assert by_event["strike"].status == storyedit.SKIPPED
    after = target.read_bytes()
    assert after.replace(b"    story: another-story\n", b"", 1) == before
    assert b"story: mariupol-capture-2022" in after  # the conflicting event kept its own


def test_apply_skips_an_event_written_in_flow_style() -> None:
    data = (KYIV.replace("  - id: parade\n", "  - {id: parade, ")
            .replace("    summary: Protest in Kharkiv against the occupation\n",
                     "summary: Protest in Kharkiv against the occupation, ")
            .replace("    type: protest\n", "type: protest, ")
            .replace("    when: 2022-03-02\n", "when: 2022-03-02, ")
            .replace("    place: kharkiv\n", "place: kharkiv, ")
            .replace("    quote: People marched in Kharkiv.\n",
                     "quote: People marched in Kharkiv.}\n")).encode()
    assert load_yaml(data)[0]["events"][1]["id"] == "parade"
    new, outcomes = storyedit.set_stories(data, {"parade": "kharkiv-protest"})
    assert new == data
    assert outcomes[0].status == storyedit.SKIPPED


def test_evaluate_hides_the_links_and_scores_against_them(folder: Path,
                                                          capsys: pytest.CaptureFixture[str],
                                                          ) -> None:
    # Hand-link all three reports: three cross-article pairs, all found.
    target = folder / "whitehouse.yaml"
    target.write_text(target.read_text("utf-8").replace(
        "  - id: questionable\n", "  - id: questionable\n    story: mariupol-capture-2022\n"),
        "utf-8")
    corpus = load_corpus(folder, cache=False)
    scores = link.evaluate(corpus.events, corpus.places, threshold=0.5)
    assert (scores.true_pairs, scores.proposed_pairs, scores.correct_pairs) == (3, 3, 3)
    assert scores.precision == scores.recall == scores.f1 == 1.0
    assert main(["link", "--evaluate", str(folder), "--threshold", "0.5"]) == 0
    out = capsys.readouterr().out
    assert "all proposed (score >= 0.5):\npairs: 3 hand-linked, 3 proposed, 3 correct" in out
    assert "precision 1.000  recall 1.000  F1 1.000" in out


def test_pairwise_scores_count_only_pairs_across_articles() -> None:
    scores = link.Scores(true_pairs=4, proposed_pairs=5, correct_pairs=3)
    assert scores.precision == pytest.approx(0.6)
    assert scores.recall == pytest.approx(0.75)
    assert scores.f1 == pytest.approx(2 * 0.6 * 0.75 / 1.35)
    frame = pd.DataFrame({"article": ["a", "a", "b"], "story": ["s", "s", "s"]})
    assert link._cross_article_pairs(frame, ["story"]) == 2


def test_clusters_never_hold_two_events_of_one_article_unless_hand_linked() -> None:
    articles = ["a", "b", "a", "c"]
    # 0-1 and 1-2 are strong, but 0 and 2 are both in article a.
    groups = link.cluster(articles, [(0, 1), (1, 2), (1, 3), (0, 3)])
    assert sorted(map(sorted, groups)) == [[0, 1, 3]]
    assert sorted(map(sorted, link.cluster(articles, [], forced=[(0, 2)]))) == [[0, 2]]


def test_link_refuses_contradictory_options(folder: Path, tmp_path: Path) -> None:
    assert main(["link", str(folder)]) == 2
    assert main(["link", "--apply", str(tmp_path / "p.yaml"), str(folder)]) == 2
    assert main(["link", str(tmp_path / "nowhere"), "--evaluate"]) == 2
    assert main(["link", str(folder), "--evaluate", "--threshold", "1.5"]) == 2


def test_the_bundled_data_links_without_errors(tmp_path: Path) -> None:
    data = Path(__file__).parents[1] / "data" / "articles"
    shutil.copytree(data, tmp_path / "data")
    corpus = load_corpus(tmp_path / "data", cache=False)
    found = link.propose(corpus.events, corpus.places, root=str(tmp_path / "data"))
    assert found.events == len(corpus.events)


def test_apply_edits_a_symlinked_article_through_its_link(folder: Path, tmp_path: Path) -> None:
    real = tmp_path / "elsewhere.yaml"
    (folder / "kyiv.yaml").rename(real)
    (folder / "kyiv.yaml").symlink_to(real)
    doc = {"root": str(folder), "stories": [{"story": "kharkiv-protest", "accept": True,
                                             "events": [{"article": "kyiv", "event": "parade",
                                                         "file": "kyiv.yaml"}]}]}
    [outcome] = storyedit.apply_proposals(doc, folder)
    assert outcome.status == storyedit.WRITTEN
    assert (folder / "kyiv.yaml").is_symlink()
    assert b"    story: kharkiv-protest\n" in real.read_bytes()


def _random_events(seed: int, n: int = 300) -> pd.DataFrame:
    """Events scattered over a small area and a few weeks, every kind of place and date."""
    import numpy as np

    rng = np.random.default_rng(seed)
    precision = rng.choice(["exact", "settlement", "district", "region", "country"], n)
    coordless = rng.random(n) < 0.15
    start = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 40, n), unit="D")
    span = rng.choice([1, 1, 2, 5, 8, 31, 200], n)
    names = rng.choice(["Alpha", "Beta", "Gamma"], n)
    return pd.DataFrame({
        link.Col.KEY: [f"a{i % 40}/e{i}" for i in range(n)],
        link.Col.ARTICLE: [f"a{i % 40}" for i in range(n)],
        link.Col.ID: [f"e{i}" for i in range(n)],
        link.Col.TYPE: "battle", link.Col.SUMMARY: "s", link.Col.QUOTE: "q",
        link.Col.ACTORS: "", link.Col.PLACE: [f"p{i}" for i in range(n)],
        link.Col.PLACE_NAME: names, link.Col.PRECISION: precision,
        link.Col.COUNTRY: rng.choice(["UA", "RU"], n),
        link.Col.LAT: np.where(coordless, np.nan, 48 + rng.random(n) * 2),
        link.Col.LON: np.where(coordless, np.nan, 37 + rng.random(n) * 3),
        link.Col.STORY: "", link.Col.DATE_LABEL: "d", link.Col.FILE: "f", link.Col.LINE: 1,
        link.Col.START: start, link.Col.END: start + pd.to_timedelta(span - 1, unit="D"),
    })


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_blocking_finds_exactly_the_pairs_the_rules_allow(seed: int) -> None:
    prep = link.prepare(_random_events(seed))
    pairs = link.candidate_pairs(prep)
    found = set(zip(pairs["a"].tolist(), pairs["b"].tolist(), strict=True))
    assert len(found) == len(pairs)  # no pair twice
    ev = prep.events.to_dict("records")
    expected = set()
    for i in range(len(ev)):
        for j in range(i + 1, len(ev)):
            p, q = ev[i], ev[j]
            if p["article"] == q["article"]:
                continue
            if not (p["day0"] - 1 <= q["day1"] and q["day0"] - 1 <= p["day1"]):
                continue
            sharp_p, sharp_q = p["span"] <= link.SHARP_DAYS, q["span"] <= link.SHARP_DAYS
            if not (sharp_p or sharp_q):
                continue
            if p["precision"] == "country" or q["precision"] == "country":
                ok = (p["precision"] == q["precision"] == "country"
                      and p["country"] == q["country"] and sharp_p and sharp_q)
            elif pd.isna(p["lat"]) or pd.isna(q["lat"]):  # a name only without coordinates
                ok = p["place_name"] == q["place_name"] and p["country"] == q["country"]
            else:
                radius = max(link.PLACE_RADIUS_KM[p["precision"]],
                             link.PLACE_RADIUS_KM[q["precision"]])
                km = link._haversine(p["lat"], p["lon"], q["lat"], q["lon"])
                ok = bool(km <= radius)
            if ok:
                expected.add((i, j))
    assert found == expected


def test_events_of_one_kind_of_place_only_still_link() -> None:
    events = _random_events(4, n=40)
    for precision in ("region", "country"):
        prep = link.prepare(events.assign(precision=precision))
        assert len(link.candidate_pairs(prep)) >= 0
    prep = link.prepare(events.assign(lat=float("nan"), lon=float("nan")))
    assert len(link.candidate_pairs(prep)) > 0  # by name alone


def test_apply_finds_the_id_wherever_it_is_in_the_event() -> None:
    data = KYIV.replace("  - id: parade\n    summary: Protest in Kharkiv against the occupation\n",
                        "  - summary: Protest in Kharkiv against the occupation\n"
                        "    id: parade\n").encode()
    new, [outcome] = storyedit.set_stories(data, {"parade": "kharkiv-protest"})
    assert outcome.status == storyedit.WRITTEN
    assert new.replace(b"    story: kharkiv-protest\n", b"") == data
    assert b"    id: parade\n    story: kharkiv-protest\n" in new


def test_apply_leaves_an_empty_story_line_to_the_reviewer() -> None:
    data = KYIV.replace("  - id: parade\n", "  - id: parade\n    story:\n").encode()
    new, [outcome] = storyedit.set_stories(data, {"parade": "kharkiv-protest"})
    assert new == data
    assert outcome.status == storyedit.SKIPPED and "empty" in outcome.message


def test_apply_writes_only_inside_the_data_folder(folder: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text(KYIV, "utf-8")
    doc = {"root": str(folder), "stories": [{"story": "kharkiv-protest", "accept": True,
                                             "events": [{"article": "kyiv", "event": "parade",
                                                         "file": "../outside.yaml"}]}]}
    [outcome] = storyedit.apply_proposals(doc, folder)
    assert outcome.status == storyedit.SKIPPED
    assert outside.read_text("utf-8") == KYIV


def test_apply_shows_control_characters_from_the_proposals_file_escaped(
        folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # An event id and file name in a proposals file reach the terminal; an escape sequence in
    # them must be seen, never obeyed (it could retitle the terminal or hide the line).
    proposals = tmp_path / "p.yaml"
    proposals.write_text(
        f"root: {folder}\nstories:\n- story: s\n  accept: true\n  events:\n"
        '  - {article: kyiv, event: "x\\e]0;pwned\\a", file: "kyiv\\e[2K.yaml"}\n', "utf-8")
    assert main(["link", "--apply", str(proposals)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b]0;pwned\\x07" in out
