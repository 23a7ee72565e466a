"""The data folder is a boundary (issue 13, holes 1, 4 and 7): nothing outside it is read
whatever the links say, only regular files are opened, every read is capped before it
starts, and what the CLI prints cannot drive the terminal. One bad file never hides the
good ones."""

from __future__ import annotations

import json
import os
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pandas as pd
import pytest

from warlens import boundary
from warlens.cli import main, visible
from warlens.corpus import Corpus
from warlens.workspace import load_corpus

FIXTURES = Path(__file__).parent / "fixtures"
SECRET = "WARLENS_TEST_SECRET=hunter2"
GOOD = """id: good-article
title: A good article
outlet: Example
published: 2023-05-01
text: Shelling was reported in Kharkiv.
"""


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARLENS_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the data folder holding what must never be shown."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.txt").write_text(f"{SECRET}\n", encoding="utf-8")
    (folder / "article.yaml").write_text(GOOD.replace("good-article", "stolen")
                                         .replace("Kharkiv", SECRET), encoding="utf-8")
    return folder


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "good.yaml").write_text(GOOD, encoding="utf-8")
    return folder


@pytest.fixture
def no_hang() -> Iterator[None]:
    """Fail instead of hanging for ever (a FIFO opened for reading waits for a writer)."""
    def stop(*_: object) -> None:
        raise TimeoutError("the loader hung")

    old = signal.signal(signal.SIGALRM, stop)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def shown_anywhere(corpus: Corpus, text: str) -> bool:
    """Whether `text` appears in any table a page or an export shows."""
    for frame in (corpus.articles, corpus.events, corpus.claims, corpus.places,
                  corpus.problems):
        if frame.astype(str).apply(lambda col: col.str.contains(text, regex=False)).any().any():
            return True
    return False


def problem(corpus: Corpus, name: str) -> pd.Series:
    rows = corpus.problems[corpus.problems["file"].str.endswith(name)]
    assert len(rows) == 1, f"expected one problem for {name}: {rows.to_dict('records')}"
    return rows.iloc[0]


# --- hole 1: files outside the data folder ------------------------------------------------

@pytest.mark.parametrize("cache", [True, False])
def test_a_brat_text_linked_outside_the_folder_is_never_read(data, outside, cache):
    shutil.copy(FIXTURES / "brat" / "bakhmut-shelling.ann", data / "leak.ann")
    (data / "leak.txt").symlink_to(outside / "secret.txt")
    corpus = load_corpus(data, cache=cache)
    assert not shown_anywhere(corpus, "hunter2")
    said = problem(corpus, "leak.ann")
    assert "symbolic link leading outside the data folder" in said["message"]
    assert list(corpus.articles["article"]) == ["good-article"]


def test_a_yaml_file_linked_outside_the_folder_is_named_and_not_followed(data, outside):
    (data / "stolen.yaml").symlink_to(outside / "article.yaml")
    corpus = load_corpus(data)
    assert not shown_anywhere(corpus, "hunter2")
    said = problem(corpus, "stolen.yaml")
    assert said["message"].startswith("is a symbolic link leading outside the data folder")
    assert list(corpus.articles["article"]) == ["good-article"]


def test_links_that_stay_inside_the_folder_are_followed(data):
    (data / "texts").mkdir()
    shutil.copy(FIXTURES / "brat" / "bakhmut-shelling.txt", data / "texts" / "shared.txt")
    (data / "notes").mkdir()
    shutil.copy(FIXTURES / "brat" / "bakhmut-shelling.ann", data / "notes" / "report.ann")
    (data / "notes" / "report.txt").symlink_to(data / "texts" / "shared.txt")
    corpus = load_corpus(data)  # through the cache: the data folder reaches the reader
    assert "brat-report" in set(corpus.articles["article"])
    assert not corpus.problems["message"].str.contains("outside the data folder").any()


def test_timemap_side_files_linked_outside_are_problems_of_their_own(data, outside):
    export = data / "export"
    export.mkdir()
    shutil.copy(FIXTURES / "timemap" / "export_events.json", export / "export_events.json")
    (outside / "sources.json").write_text(json.dumps({"s1": {"title": SECRET}}),
                                          encoding="utf-8")
    (export / "export_sources.json").symlink_to(outside / "sources.json")
    corpus = load_corpus(data)
    assert not shown_anywhere(corpus, "hunter2")
    said = problem(corpus, "export_sources.json")
    assert "outside the data folder" in said["message"]
    assert len(corpus.events) > 1  # the events still import, without their sources


def test_the_label_map_is_never_looked_for_above_the_data_folder(tmp_path, data):
    (tmp_path / ".warlens-labels.yaml").write_text("labels:\n  event battle: [BOOM]\n",
                                                   encoding="utf-8")
    (data / "a.txt").write_text("Drones hit Kupiansk.\n", encoding="utf-8")
    (data / "a.ann").write_text("T1\tBOOM 7 10\thit\n", encoding="utf-8")
    assert load_corpus(data).events.empty  # the map above the folder was not used
    shutil.copy(tmp_path / ".warlens-labels.yaml", data / ".warlens-labels.yaml")
    (data / "sub").mkdir()
    for name in ("a.txt", "a.ann"):
        (data / name).rename(data / "sub" / name)
    assert list(load_corpus(data).events["type"]) == ["battle"]  # inside: used, from a subfolder


def test_a_label_map_linked_outside_is_refused_and_the_default_used(data, outside):
    (outside / "labels.yaml").write_text(f"labels:\n  event battle: [{SECRET[:7]}]\n",
                                         encoding="utf-8")
    (data / ".warlens-labels.yaml").symlink_to(outside / "labels.yaml")
    shutil.copy(FIXTURES / "brat" / "bakhmut-shelling.ann", data / "a.ann")
    shutil.copy(FIXTURES / "brat" / "bakhmut-shelling.txt", data / "a.txt")
    corpus = load_corpus(data, cache=False)
    said = corpus.problems[corpus.problems["file"].str.endswith(".warlens-labels.yaml")]
    assert len(said) == 1
    assert "outside the data folder" in said["message"].iloc[0]
    assert "default label map is used" in said["message"].iloc[0]
    assert len(corpus.events) == 2


# --- hole 4: only regular files, every read capped ----------------------------------------

def test_a_side_file_that_is_dev_zero_is_refused_and_the_rest_loads(data, no_hang):
    export = data / "export"
    export.mkdir()
    shutil.copy(FIXTURES / "timemap" / "export_events.json", export / "export_events.json")
    (export / "export_sources.json").symlink_to("/dev/zero")
    corpus = load_corpus(data)
    assert "good-article" in set(corpus.articles["article"])
    assert len(corpus.events) > 1
    assert problem(corpus, "export_sources.json")["severity"] == "error"


def test_a_fifo_is_reported_and_never_opened(data, no_hang):
    os.mkfifo(data / "pipe.yaml")
    export = data / "export"
    export.mkdir()
    shutil.copy(FIXTURES / "timemap" / "export_events.json", export / "export_events.json")
    os.mkfifo(export / "export_sources.json")
    corpus = load_corpus(data)
    assert "not a regular file" in problem(corpus, "pipe.yaml")["message"]
    assert "a FIFO" in problem(corpus, "export_sources.json")["message"]
    assert "good-article" in set(corpus.articles["article"])


def test_a_fifo_named_on_the_command_line_is_refused_not_waited_on(tmp_path, no_hang,
                                                                     capsys):
    os.mkfifo(tmp_path / "pipe.json")
    assert main(["validate", str(tmp_path / "pipe.json")]) == 1
    assert "not a regular file" in capsys.readouterr().out


def test_a_native_article_above_5_mb_is_refused_without_being_read(data):
    with (data / "huge.yaml").open("wb") as handle:
        handle.truncate(6_000_000)  # sparse: no time or space spent writing it
    opened: list[str] = []
    real_open = os.open

    def spy(path: str, *args: object, **kwargs: object) -> int:
        opened.append(Path(path).name)
        return real_open(path, *args, **kwargs)

    with mock.patch("os.open", spy):
        corpus = load_corpus(data, cache=False)
    assert "6,000,000 bytes, over the limit of 5,000,000 bytes" in problem(
        corpus, "huge.yaml")["message"]
    assert "huge.yaml" not in opened and "good.yaml" in opened


@pytest.mark.parametrize(("kind", "name", "make"), [
    ("text", "big.ann", lambda d: (
        (d / "big.txt").write_text("x" * 500, encoding="utf-8"),
        (d / "big.ann").write_text("T1\tLOC 0 1\tx\n", encoding="utf-8"))),
    ("dataset", "big.csv", lambda d: (d / "big.csv").write_text(
        "event_id_cnty,event_date,event_type\n" + "U1,2023-01-01,Battles\n" * 40,
        encoding="utf-8")),
    ("export", "big.json", lambda d: (d / "big.json").write_text(
        '[{"data": {"text": "x"}, "annotations": []}' + " " * 500 + "]", encoding="utf-8")),
])
def test_each_foreign_reader_has_a_cap_reported_on_its_file(kind, name, make, data,
                                                             monkeypatch):
    monkeypatch.setitem(boundary.CAPS, kind, 400)
    make(data)
    corpus = load_corpus(data, cache=False)
    assert "over the limit of 400 bytes" in problem(corpus, name)["message"]
    assert "good-article" in set(corpus.articles["article"])


def test_a_file_that_grows_past_its_cap_while_read_is_refused(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(b"x" * 100)
    real_stat, real_fstat = os.stat, os.fstat

    def shrunk(st: os.stat_result) -> os.stat_result:  # what stat said before it grew
        return os.stat_result((st.st_mode, 0, 0, 1, 0, 0, 10, 0, 0, 0))

    with mock.patch("os.stat", lambda p: shrunk(real_stat(p))), \
            mock.patch("os.fstat", lambda fd: shrunk(real_fstat(fd))), \
            pytest.raises(boundary.Refused, match="grew past the limit of 50 bytes"):
        boundary.read_bytes(path, 50)


# --- hole 7: what the terminal is shown ---------------------------------------------------

def test_control_characters_in_names_and_keys_are_shown_escaped(tmp_path, capsys):
    (tmp_path / "bad\x1b]0;owned\x07.yaml").write_text("id: x\n", encoding="utf-8")
    (tmp_path / "key.yaml").write_text(GOOD.replace("id: good-article",
                                                    'id: k\n"a\\e[2Kb": 1'),
                                       encoding="utf-8")
    assert main(["validate", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "bad\\x1b]0;owned\\x07.yaml" in out
    assert "a\\x1b[2Kb" in out


def test_json_output_escapes_what_json_leaves_raw(tmp_path, capsys):
    (tmp_path / "c1\u009b31m\u202e.yaml").write_text("id: x\n", encoding="utf-8")
    assert main(["validate", "--json", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "\u009b" not in out and "\u202e" not in out
    files = {p["file"] for p in json.loads(out)["problems"]}
    assert any(f.endswith("c1\u009b31m\u202e.yaml") for f in files)  # the name, intact


def test_visible_escapes_every_control_character_and_keeps_the_rest():
    assert visible("a\x1b[31mb\r\nc\x00\x7f\u0085") == "a\\x1b[31mb\\x0d\\x0ac\\x00\\x7f\\x85"
    assert visible("Бахмут — 50°N, ☢ \u202eevil") == "Бахмут — 50°N, ☢ \\u202eevil"


def test_an_export_holds_nothing_of_a_file_outside_the_folder(data, outside, tmp_path):
    shutil.copy(FIXTURES / "brat" / "bakhmut-shelling.ann", data / "leak.ann")
    shutil.copy(FIXTURES / "brat" / "bakhmut-shelling.txt", data / "shelling.txt")
    shutil.copy(FIXTURES / "brat" / "bakhmut-shelling.ann", data / "shelling.ann")
    (data / "leak.txt").symlink_to(outside / "secret.txt")
    (data / "stolen.yaml").symlink_to(outside / "article.yaml")
    for fmt in ("csv", "geojson"):
        target = tmp_path / f"events.{fmt}"
        assert main(["export", str(data), "-o", str(target), "--format", fmt]) == 0
        written = target.read_text(encoding="utf-8-sig")
        assert "Bakhmut" in written and "hunter2" not in written
