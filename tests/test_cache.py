"""The compiled corpus cache: a restart parses nothing, a change parses only what changed,
and no state of the cache folder can make a load wrong or make it fail."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from warlens import cache, corpus, synth
from warlens.corpus import Corpus
from warlens.workspace import load_corpus

FIXTURES = Path(__file__).parent / "fixtures"
TABLES = ("articles", "places", "events", "claims", "problems")


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own cache folder."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("WARLENS_CACHE_DIR", str(folder))
    return folder


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synthetic corpus, written once; tests copy it before changing it."""
    folder = tmp_path_factory.mktemp("synthetic")
    synth.write_corpus(folder, 12, seed=3)
    return folder


@pytest.fixture
def data(tmp_path: Path, synthetic: Path) -> Path:
    """A private copy of the synthetic corpus, free to edit."""
    folder = tmp_path / "data"
    shutil.copytree(synthetic, folder)
    return folder


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files the loader parses, in order (a spy on corpus.read_file)."""
    seen: list[str] = []
    real = corpus.read_file

    def spy(path: Path, display: str | None = None, root=None) -> corpus.FileResult:
        seen.append(Path(path).name)
        return real(path, display, root)

    monkeypatch.setattr(corpus, "read_file", spy)
    return seen


def new_process() -> None:
    """Forget what this process remembers of the cache, as a restart would."""
    cache.wait_for_writes()
    cache._LAST.clear()


def assert_same_corpus(left: Corpus, right: Corpus) -> None:
    """Equal tables (values, types, order) and equal counts."""
    for name in TABLES:
        assert_frame_equal(getattr(left, name), getattr(right, name), obj=name)
    assert left.files == right.files
    assert left.sources == right.sources


def files_of(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.yaml"))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_restart_with_unchanged_files_parses_nothing(data: Path, parses: list[str]) -> None:
    first = load_corpus(data)
    assert len(parses) == 12
    parses.clear()
    again = load_corpus(data)
    assert parses == []
    assert cache.last_stats.reused == 12
    assert_same_corpus(first, again)


def test_a_change_to_one_file_parses_that_file_alone(data: Path, parses: list[str]) -> None:
    load_corpus(data)
    parses.clear()
    changed = files_of(data)[5]
    edit(changed, 'outlet: "', 'outlet: "Edited ')
    loaded = load_corpus(data)
    assert parses == [changed.name]
    outlets = loaded.articles.set_index("file")["outlet"]
    assert outlets.str.startswith("Edited ").sum() == 1
    assert_same_corpus(loaded, load_corpus(data, cache=False))


def test_a_touched_file_with_the_same_bytes_is_hashed_not_parsed(data: Path,
                                                                 parses: list[str]) -> None:
    load_corpus(data)
    parses.clear()
    target = files_of(data)[0]
    stat = target.stat()
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    load_corpus(data)
    assert parses == []
    assert cache.last_stats.hashed == 1


def test_added_and_removed_files_are_picked_up(data: Path, parses: list[str]) -> None:
    load_corpus(data)
    parses.clear()
    files = files_of(data)
    files[2].unlink()
    extra = data / "zz-extra.yaml"
    extra.write_text(synth.make_article(99, seed=3), encoding="utf-8")
    loaded = load_corpus(data)
    assert parses == [extra.name]
    assert loaded.files == 12
    assert_same_corpus(loaded, load_corpus(data, cache=False))


def test_an_article_id_taken_by_another_file_is_reported_after_a_cached_load(
        data: Path, parses: list[str]) -> None:
    load_corpus(data)
    files = files_of(data)
    first_id = load_corpus(data, cache=False).articles["article"].iloc[0]
    edit(files[7], "\nid: synth-3-000007\n", f"\nid: {first_id}\n")
    parses.clear()
    loaded = load_corpus(data)
    assert parses == [files[7].name]
    assert loaded.problems["message"].str.contains("is already used by").sum() == 1
    assert len(loaded.articles) == 11
    assert_same_corpus(loaded, load_corpus(data, cache=False))


@pytest.mark.parametrize("folder", ["bad", "mixed", "."], ids=["bad", "mixed", "all-fixtures"])
def test_cached_and_uncached_loads_give_equal_tables(folder: str) -> None:
    root = FIXTURES / folder
    uncached = load_corpus(root, cache=False)
    cold = load_corpus(root)
    warm = load_corpus(root)
    assert cache.last_stats.parsed == 0
    assert_same_corpus(uncached, cold)
    assert_same_corpus(uncached, warm)


def test_cached_and_uncached_synthetic_loads_are_equal(data: Path) -> None:
    uncached = load_corpus(data, cache=False)
    load_corpus(data)
    assert_same_corpus(uncached, load_corpus(data))


def cache_files(cache_dir: Path) -> list[Path]:
    cache.wait_for_writes()
    files = sorted(cache_dir.rglob(f"*{cache.SUFFIX}"))
    assert {f.stem for f in files} == {*TABLES, cache.MANIFEST}
    return files


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_a_corrupt_cache_is_rebuilt(data: Path, cache_dir: Path, parses: list[str],
                                    damage: str) -> None:
    expected = load_corpus(data)
    new_process()
    for path in cache_files(cache_dir):
        raw = path.read_bytes()
        path.write_bytes({"garbage": b"not arrow at all \x00\xff" * 50,
                          "truncated": raw[: len(raw) // 2], "empty": b""}[damage])
    parses.clear()
    loaded = load_corpus(data)
    assert cache.last_stats.rebuilt
    assert len(parses) == 12
    assert_same_corpus(expected, loaded)
    parses.clear()
    load_corpus(data)
    assert parses == []  # and the rebuilt cache works


def test_one_table_from_another_write_makes_the_cache_be_rebuilt(
        data: Path, cache_dir: Path, parses: list[str]) -> None:
    load_corpus(data)
    saved = next(p for p in cache_files(cache_dir) if p.stem == "events").read_bytes()
    edit(files_of(data)[0], 'outlet: "', 'outlet: "Edited ')
    load_corpus(data)
    new_process()
    next(p for p in cache_files(cache_dir) if p.stem == "events").write_bytes(saved)
    parses.clear()
    loaded = load_corpus(data)
    assert cache.last_stats.rebuilt
    assert len(parses) == 12
    assert_same_corpus(loaded, load_corpus(data, cache=False))


def test_a_cache_from_another_version_is_rebuilt(data: Path, parses: list[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    schema = cache.SCHEMA
    monkeypatch.setattr(cache, "SCHEMA", schema + 1)
    cache.stamp.cache_clear()
    load_corpus(data)  # written by "another version"
    new_process()
    monkeypatch.setattr(cache, "SCHEMA", schema)
    cache.stamp.cache_clear()
    parses.clear()
    loaded = load_corpus(data)
    assert cache.last_stats.rebuilt
    assert len(parses) == 12
    assert_same_corpus(loaded, load_corpus(data, cache=False))


def test_deleting_the_cache_folder_is_safe(data: Path, cache_dir: Path,
                                           parses: list[str]) -> None:
    expected = load_corpus(data)
    new_process()
    shutil.rmtree(cache_dir)
    parses.clear()
    assert_same_corpus(expected, load_corpus(data))
    assert len(parses) == 12
    cache.wait_for_writes()
    assert cache_files(cache_dir)


def test_an_unwritable_cache_folder_still_loads(data: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would go", encoding="utf-8")
    monkeypatch.setenv("WARLENS_CACHE_DIR", str(blocker))
    loaded = load_corpus(data)
    cache.wait_for_writes()
    assert not cache.last_stats.written
    assert_same_corpus(loaded, load_corpus(data, cache=False))


def test_a_cache_folder_depends_on_the_data_folder(tmp_path: Path) -> None:
    assert cache.cache_dir_for([tmp_path / "a"]) != cache.cache_dir_for([tmp_path / "b"])
    assert cache.cache_dir_for([tmp_path / "a"]).parent == cache.cache_root()


def test_parallel_parsing_gives_the_same_tables(data: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "PARALLEL_MIN_FILES", 2)
    monkeypatch.setattr(cache, "CHUNK_FILES", 8)
    monkeypatch.setenv(cache.WORKERS_ENV, "2")
    items = [(str(p), str(p)) for p in files_of(data)]
    parallel, digests, workers = cache.parse_files(items)
    monkeypatch.setenv(cache.WORKERS_ENV, "1")
    serial, serial_digests, _ = cache.parse_files(items)
    assert workers == 2
    assert digests == serial_digests
    for name in TABLES:
        assert_frame_equal(parallel[name], serial[name], obj=name)


def _shown_slowly(path: Path) -> str:
    """The plain definition the fast display names must agree with."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def test_the_fast_file_listing_matches_a_sorted_rglob(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # names are shown relative to the working folder
    root = tmp_path / "tree"
    for rel in ("b.yaml", "a-c.yaml", "a/b.yaml", "a/z/y.yml", ".hidden/x.yaml", "a/.x.yaml",
                "c.txt", "A.YAML"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("id: x\n", encoding="utf-8")
    (root / "link.yaml").symlink_to(root / "b.yaml")
    (root / "dirlink").symlink_to(root / "a", target_is_directory=True)
    (root / "broken.yaml").symlink_to(root / "nowhere.yaml")
    expected = [p for p in sorted(root.rglob("*")) if p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(root).parts)
                and p.suffix.lower() in (".yaml", ".yml")]
    assert corpus.find_files([root]) == expected
    shown = corpus._displays(expected)
    assert shown == [_shown_slowly(p) for p in expected]
    for given in (root, Path("tree"), Path("tree/"), Path("..") / tmp_path.name / "tree"):
        listing = corpus.list_files([given])
        assert listing.displays == shown, given
        assert listing.keys == [str(p.absolute()) for p in expected], given
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")  # outside the working folder: shown as given
    for given in (root, Path("../tree")):
        listing = corpus.list_files([given])
        assert listing.displays == corpus._displays(corpus.find_files([given])), given
        assert listing.displays[0] == str(given / "A.YAML")


def test_problems_keep_their_file_order_with_duplicates(tmp_path: Path) -> None:
    root = tmp_path / "dups"
    root.mkdir()
    article = synth.make_article(1, seed=0)
    for name in ("a.yaml", "b.yaml", "c.yaml"):
        (root / name).write_text(article, encoding="utf-8")
    (root / "b2.yaml").write_text("id: [broken\n", encoding="utf-8")
    uncached = load_corpus(root, cache=False)
    assert list(uncached.problems["file"].str.rsplit("/", n=1).str[-1]) == [
        "b.yaml", "b2.yaml", "c.yaml"]
    load_corpus(root)
    assert_same_corpus(uncached, load_corpus(root))
    assert isinstance(uncached.problems, pd.DataFrame)


def test_editing_a_brat_text_re_reads_its_annotations(tmp_path: Path,
                                                      parses: list[str]) -> None:
    folder = tmp_path / "brat"
    shutil.copytree(FIXTURES / "brat", folder)
    before = load_corpus(folder)
    parses.clear()
    text = folder / "bakhmut-shelling.txt"
    stat = text.stat()
    # Same length, so only the companion's time and bytes tell the change.
    text.write_text(text.read_text(encoding="utf-8").replace("Bakhmut", "Bakhmyt", 1),
                    encoding="utf-8")
    os.utime(text, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    after = load_corpus(folder)
    assert parses == ["bakhmut-shelling.ann"]
    assert not before.articles["text"].str.contains("Bakhmyt").any()
    assert after.articles["text"].str.contains("Bakhmyt").any()


def test_a_cache_write_still_running_when_the_interpreter_exits_completes(
        tmp_path: Path) -> None:
    # A command that loads a corpus and exits leaves its cache writer running while the
    # interpreter shuts down; a table big enough for pyarrow to convert it on a thread
    # pool failed then ("cannot schedule new futures after interpreter shutdown").
    script = textwrap.dedent(f"""\
        import threading, time
        import pandas as pd
        from warlens import cache
        frame = pd.DataFrame({{"n": range(20_000), "text": ["x"] * 20_000}})
        def write():
            time.sleep(0.5)
            cache._write_table(cache.Path({str(tmp_path)!r}), "events", frame, b"{{}}")
        threading.Thread(target=write).start()
        """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=False)
    assert "Traceback" not in done.stderr
    assert (tmp_path / f"events{cache.SUFFIX}").is_file()


def arrow_chunks(loaded: Corpus) -> dict[str, int]:
    """How many pieces each Arrow-backed column of the corpus is in, where more than one."""
    return {f"{name}.{col}": values.__arrow_array__().num_chunks
            for name in ("articles", "places", "events", "claims")
            for col, values in getattr(loaded, name).items()
            if isinstance(values.array, pd.arrays.ArrowExtensionArray)
            and values.array.__arrow_array__().num_chunks > 1}


def test_text_columns_are_in_one_piece_after_every_kind_of_load(data: Path) -> None:
    # A rerun that picks a few rows of a column in many pieces pays for joining them all.
    assert arrow_chunks(load_corpus(data)) == {}
    new_process()
    assert arrow_chunks(load_corpus(data)) == {}
    edit(files_of(data)[5], 'outlet: "', 'outlet: "Edited ')
    assert arrow_chunks(load_corpus(data)) == {}
    new_process()
    assert arrow_chunks(load_corpus(data)) == {}


def test_contiguous_keeps_values_and_types() -> None:
    parts = [pd.DataFrame({"text": pd.Series(["a", None], dtype="str"), "n": [1, 2]}),
             pd.DataFrame({"text": pd.Series(["c"], dtype="str"), "n": [3]})]
    stacked = pd.concat(parts, ignore_index=True)
    assert stacked["text"].array.__arrow_array__().num_chunks == 2
    joined = cache.contiguous(stacked)
    assert joined["text"].array.__arrow_array__().num_chunks == 1
    assert_frame_equal(joined, stacked)


def test_a_corpus_opened_from_another_folder_is_renamed_not_parsed_again(
        data: Path, parses: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The names shown depend on the working folder; the cache reuses the rows anyway.

    Before, a `warlens export` run from another folder re-parsed a 100k corpus (112 s),
    and the server's next load parsed it all again.
    """
    monkeypatch.chdir(data.parent)
    first = load_corpus(data)
    cache.wait_for_writes()
    assert first.events["file"].str.startswith("data/").all()
    elsewhere = data / "synth-0000"
    monkeypatch.chdir(elsewhere if elsewhere.is_dir() else data)
    parses.clear()
    second = load_corpus(data)
    cache.wait_for_writes()
    assert parses == []
    assert cache.last_stats.reused == len(first.articles)
    assert not second.events["file"].str.startswith("data/").any()
    assert set(second.events["file"]) == set(corpus._displays(
        sorted({Path(data, *Path(f).parts[1:]) for f in first.events["file"]})))
    monkeypatch.chdir(data.parent)  # and back: still nothing parsed, the old names again
    parses.clear()
    third = load_corpus(data)
    assert parses == []
    assert_frame_equal(third.events, first.events)


def test_the_cache_is_readable_by_this_user_only(data: Path, cache_dir: Path) -> None:
    # The tables hold every article's text: another user of the machine must not read them.
    load_corpus(data)
    cache.wait_for_writes()
    files = [p for p in cache.cache_root().rglob("*") if p.is_file()]
    assert {p.suffix for p in files} == {".arrow"}
    assert {oct(stat.S_IMODE(p.stat().st_mode)) for p in files} == {"0o600"}
    folders = [cache_dir, cache.cache_root(), *(p for p in cache.cache_root().rglob("*")
                                                 if p.is_dir())]
    assert {oct(stat.S_IMODE(p.stat().st_mode)) for p in folders} == {"0o700"}
