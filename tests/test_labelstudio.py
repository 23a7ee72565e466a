"""Label Studio exports: a task becomes a native article, with offsets repaired."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warlens.article import read_article_doc
from warlens.formats import detect, registry
from warlens.formats.labels import load_label_map
from warlens.formats.labelstudio import MODES, OffsetIndex, is_labelstudio, read_labelstudio
from warlens.formats.labelstudio import repair_span as repair
from warlens.workspace import load_corpus
from warlens.yamlio import dump_yaml, load_yaml

FIXTURES = Path(__file__).parent / "fixtures" / "labelstudio"
EXPORT = FIXTURES / "bakhmut-export.json"


def line_of(path: Path, needle: str) -> int:
    """The 1-based line of the first occurrence of `needle` in a fixture."""
    text = path.read_text(encoding="utf-8")
    return text[: text.index(needle)].count("\n") + 1


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(FIXTURES)


def test_the_export_is_recognised_by_its_first_bytes_and_other_json_is_not(tmp_path):
    other = tmp_path / "events.json"
    other.write_text('[{"id": 1, "date": "5/20/2023", "description": "x"}]')
    mapping = tmp_path / "task.json"
    mapping.write_text('{"data": {"text": "x"}, "annotations": []}')
    assert is_labelstudio(EXPORT)
    assert detect(EXPORT) == "labelstudio"
    assert not is_labelstudio(other)
    assert not is_labelstudio(mapping)


def test_the_shelling_of_bakhmut_lands_on_the_map_at_bakhmut(corpus):
    event = corpus.events.set_index("key").loc["ls-7-1/remote-violence-1"]
    assert event["type"] == "remote_violence"
    assert event["place_name"] == "Bakhmut"
    assert event["lat"] == pytest.approx(48.59, abs=0.05)
    assert event["lon"] == pytest.approx(38.0, abs=0.05)
    assert event["actors"] == "Russian forces"
    assert str(event["start"].date()) == "2023-05-15"  # "on Monday" before 2023-05-16
    assert event["line"] == line_of(EXPORT, '"id": "shelled"')


def test_a_claim_takes_its_claimant_from_the_relation_and_its_verdict_from_a_choice(corpus):
    claims = corpus.claims.set_index("key")
    killed = claims.loc["ls-7-1/claim-1"]
    assert killed["claimant"] == "Pavlo Kyrylenko"
    assert killed["verdict"] == "confirmed"
    assert killed["event"] == "ls-7-1/remote-violence-1"
    assert killed["quote"].startswith("Two civilians were killed in the strike")


def test_a_denial_against_the_officials_makes_the_shelling_contested(corpus):
    claims = corpus.claims[corpus.claims["article"] == "ls-7-1"].set_index("claimant")
    assert claims.loc["Russia's defence ministry", "stance"] == "denies"
    assert claims.loc["Ukrainian officials", "stance"] == "asserts"
    events = corpus.events.set_index("key")
    assert bool(events.loc["ls-7-1/remote-violence-1", "contested"])


def test_the_country_is_a_country_place_and_unmapped_labels_become_tags(corpus):
    places = corpus.places.set_index("key")
    assert places.loc["ls-7-1/ukraine", "precision"] == "country"
    tags = corpus.articles.set_index("article").loc["ls-7-1", "tags"]
    assert "PROPAGANDA_TERM: provocation" in tags
    assert "Relevant" in tags
    warned = corpus.problems[corpus.problems["message"].str.contains("PROPAGANDA_TERM")]
    assert len(warned) == 1
    assert set(warned["severity"]) == {"warning"}


def test_offsets_counted_in_utf16_after_emoji_are_repaired(corpus):
    event = corpus.events.set_index("key").loc["ls-7-2/remote-violence-1"]
    assert event["place_name"] == "Kyiv"
    assert event["lat"] == pytest.approx(50.45, abs=0.05)
    claim = corpus.claims.set_index("key").loc["ls-7-2/claim-1"]
    assert claim["claimant"] == "the air force"
    assert corpus.problems["message"].str.contains(r"needed repair \(UTF-16\)").any()


def test_offsets_counted_without_the_carriage_returns_are_repaired(corpus):
    event = corpus.events.set_index("key").loc["ls-7-3/territorial-control-1"]
    assert event["place_name"] == "Avdiivka"
    assert (str(event["start"].date()), str(event["end"].date())) == ("2024-02-01",
                                                                       "2024-02-29")
    assert event["actors"] == "Russian troops"
    article = corpus.articles.set_index("article").loc["ls-7-3"]
    assert "\r" not in article["text"]
    assert bool(article["published_inferred"])  # no date in data: created_at, marked


def test_spans_without_value_text_are_taken_at_their_offsets(corpus):
    event = corpus.events.set_index("key").loc["ls-7-4/battle-1"]
    assert (event["type"], event["place_name"]) == ("battle", "Marinka")
    assert str(event["start"].date()) == "2023-05-20"


def test_bad_tasks_and_spans_are_problems_with_their_lines_and_the_rest_imports(corpus):
    errors = corpus.problems[corpus.problems["severity"] == "error"]
    by_line = {int(r.line): r for r in errors.itertuples()}
    malformed = line_of(EXPORT, '"id": 5,') - 1  # the task's opening brace
    assert by_line[malformed].field == "[4].data"
    bad_offsets = by_line[line_of(EXPORT, '"id": "bad-off"')]
    assert bad_offsets.field == "[5].annotations[0].result[0].value"
    assert "'four'" in bad_offsets.message
    missing = by_line[line_of(EXPORT, '"id": "bad"')]
    assert "General Staff of the Armed Forces" in missing.message
    assert all(str(f).endswith("bakhmut-export.json") for f in errors["file"])
    assert set(corpus.articles["article"]) == {"ls-7-1", "ls-7-2", "ls-7-3", "ls-7-4",
                                                "ls-7-6"}


def test_a_json_syntax_error_keeps_the_tasks_before_it(tmp_path):
    good = json.loads(EXPORT.read_text(encoding="utf-8"))[:2]
    text = json.dumps(good, indent=2)[:-2] + ",\n  {\"id\": 9, \"data\": {\"text\": oops}}\n]"
    broken = tmp_path / "broken.json"
    broken.write_text(text, encoding="utf-8")
    imported = read_labelstudio(broken, "broken.json")
    assert [d["id"] for d, _ in imported.docs] == ["ls-7-1", "ls-7-2"]
    syntax = [p for p in imported.problems if "syntax" in p.message]
    assert syntax[0].line == text.count("\n")  # the line holding `oops`


def test_every_imported_document_is_a_complete_native_article():
    imported = registry()["labelstudio"].read(EXPORT, "export.json")
    for doc, _ in imported.docs:
        again, lines = load_yaml(dump_yaml(doc))
        rows, problems = read_article_doc(again, "again.yaml", lines)
        assert rows is not None
        assert [p for p in problems if p.severity == "error"] == []


def test_a_task_with_only_predictions_is_imported_as_draft(tmp_path):
    text = "Shelling hit Kherson on 3 May 2023."
    task = {"id": 3, "data": {"text": text, "published": "2023-05-04", "outlet": "Wire"},
            "annotations": [], "predictions": [{"model_version": "ner-1", "result": [
                {"id": "p1", "from_name": "label", "to_name": "text", "type": "labels",
                 "value": {"start": 0, "end": 8, "text": "Shelling", "labels": ["SHELLING"]}},
                {"id": "p2", "from_name": "label", "to_name": "text", "type": "labels",
                 "value": {"start": 13, "end": 20, "text": "Kherson", "labels": ["LOC"]}}]}]}
    path = tmp_path / "predicted.json"
    path.write_text(json.dumps([task]), encoding="utf-8")
    corpus = load_corpus(tmp_path)
    assert corpus.events["draft"].tolist() == [True]
    assert corpus.events["place_name"].tolist() == ["Kherson"]
    assert corpus.problems["message"].str.contains("only model predictions").any()


def test_a_label_map_beside_the_export_overrides_the_default(tmp_path):
    shutil.copy(EXPORT, tmp_path / "export.json")
    (tmp_path / ".warlens-labels.yaml").write_text(
        "labels:\n  event battle: [SHELLING]\n  tag: [PROPAGANDA_TERM]\n  ignore: [Relevant]\n",
        encoding="utf-8")
    corpus = load_corpus(tmp_path)
    assert corpus.events.set_index("key").loc["ls-7-1/battle-1", "type"] == "battle"
    assert not corpus.problems["message"].str.contains("PROPAGANDA_TERM").any()
    assert not corpus.problems["message"].str.contains("'Relevant'").any()


def test_a_broken_label_map_is_a_problem_with_its_line_and_the_default_is_used(tmp_path):
    shutil.copy(EXPORT, tmp_path / "export.json")
    (tmp_path / ".warlens-labels.yaml").write_text("labels:\n  evnt: [SHELLING]\n",
                                                   encoding="utf-8")
    corpus = load_corpus(tmp_path)
    bad = corpus.problems[corpus.problems["file"].str.endswith(".warlens-labels.yaml")]
    assert bad["line"].tolist() == [2]
    assert "unknown meaning 'evnt'" in bad["message"].iloc[0]
    assert "ls-7-1/remote-violence-1" in set(corpus.events["key"])


def test_labels_match_whatever_their_case_and_separators():
    labels = load_label_map()
    assert labels.meaning("Air-strike") == labels.meaning("AIRSTRIKE".replace("AIR", "AIR_"))
    assert labels.meaning("shelling").value == "remote_violence"
    assert labels.meaning("Denies").value == "denies"
    assert labels.meaning("WEAPON") is None


# --- offset repair, by property -------------------------------------------------------

_PIECES = ["a", "b", "Б", "é", " ", ".", "\n", "\r\n", "\U0001F525", "\U0001F1FA\U0001F1E6"]
texts = st.lists(st.sampled_from(_PIECES), min_size=1, max_size=40).map("".join)


def _utf16(text: str, pos: int) -> int:
    return len(text[:pos].encode("utf-16-le")) // 2


def _folded(text: str, pos: int) -> int:
    return pos - text[:pos].count("\r\n")


def _boundaries(text: str) -> list[int]:
    """Positions a span may start or end at: not between the halves of a CRLF."""
    return [p for p in range(len(text) + 1) if not (0 < p < len(text)
                                                    and text[p - 1:p + 1] == "\r\n")]


@st.composite
def text_and_span(draw):
    text = draw(texts)
    cuts = _boundaries(text)
    start = draw(st.sampled_from(cuts[:-1]))
    end = draw(st.sampled_from([c for c in cuts if c > start]))
    return text, start, end


@settings(max_examples=400)
@given(text_and_span())
def test_utf16_offsets_convert_back_to_the_exact_code_point_span(case):
    text, start, end = case
    index = OffsetIndex(text)
    if any(ord(c) > 0xFFFF for c in text):
        assert index.convert(MODES[1], _utf16(text, start), _utf16(text, end)) == (start, end)
    if "\r\n" in text:
        assert index.convert(MODES[2], _folded(text, start), _folded(text, end)) == (start, end)


@settings(max_examples=400)
@given(text_and_span(), st.sampled_from(["utf16", "crlf", "both", "none"]))
def test_any_encoding_of_a_span_is_repaired_to_a_span_holding_its_text(case, encoding):
    text, start, end = case
    lo, hi = start, end
    if encoding in ("crlf", "both"):
        folded = text.replace("\r\n", "\n")
        lo, hi = _folded(text, lo), _folded(text, hi)
        if encoding == "both":
            lo, hi = _utf16(folded, lo), _utf16(folded, hi)
    elif encoding == "utf16":
        lo, hi = _utf16(text, lo), _utf16(text, hi)
    repaired = repair(text, lo, hi, text[start:end])
    assert repaired is not None
    assert text[repaired[0]:repaired[1]] == text[start:end]


@settings(max_examples=400)
@given(st.lists(st.sampled_from([p for p in _PIECES if "B" not in p]), max_size=30).map("".join),
       st.lists(st.sampled_from(_PIECES), max_size=30).map("".join),
       st.sampled_from(["utf16", "crlf", "both"]))
def test_a_unique_span_after_emoji_and_crlf_is_repaired_to_exactly_where_it_was(
        before, after, encoding):
    text = before + "Bakhmut" + after
    start, end = len(before), len(before) + len("Bakhmut")
    lo, hi = start, end
    if encoding in ("crlf", "both"):
        lo, hi = _folded(text, lo), _folded(text, hi)
        if encoding == "both":
            folded = text.replace("\r\n", "\n")
            lo, hi = _utf16(folded, lo), _utf16(folded, hi)
    else:
        lo, hi = _utf16(text, lo), _utf16(text, hi)
    assert repair(text, lo, hi, "Bakhmut") == (start, end)


@settings(max_examples=300)
@given(st.lists(st.sampled_from(_PIECES), max_size=30).map("".join),
       st.lists(st.sampled_from(["a", "b", "Б", " "]), min_size=1, max_size=12).map("".join))
def test_the_convention_most_spans_fit_is_chosen_for_the_whole_annotation(before, words):
    # Spans that fit by chance under another convention follow the majority.
    text = before + "\U0001F525 Bakhmut Soledar " + words
    spans = []
    for name in ("Bakhmut", "Soledar"):
        at = text.index(name)
        spans.append((_utf16(text, at), _utf16(text, at + len(name)), name))
    assert OffsetIndex(text).best_mode(spans) == MODES[1]
