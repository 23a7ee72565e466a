"""`warlens build`: a data folder in an engine holds what the app would load from it.

Every engine in turn (tests/engines.py): the build of the bundled data/ folder gives the
same rows as `load_corpus`; a rebuild reads only what changed and shows the change; a
removed file's rows go; a bad file's problems and a link leading out of the folder are
listed with file and line, and nothing outside the folder gets in.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: engines

import engines
from warlens import cli
from warlens.engine import schema
from warlens.engine.build import build
from warlens.model import Col
from warlens.workspace import load_corpus

pytestmark = engines.ENGINE_WARNINGS
#: Each engine in turn, and a fresh store on it (tests/engines.py).
engine_name, engine_url = engines.engine_name, engines.engine_url

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "data"
FIXTURES = REPO / "tests" / "fixtures"
#: Why a test runs on DuckDB and PostgreSQL only: a Spark build of a few files takes a
#: minute or more (many small jobs), and CI has a few minutes for Spark in all.
SPARK_SKIP = "Spark: the build-and-compare test covers it; each build takes a minute there"
def _in_memory(folder: Path) -> dict[str, pd.DataFrame]:
    """The app's tables of `folder`, files named from inside it as a build names them."""
    with contextlib.chdir(folder):
        corpus = load_corpus(Path(), cache=False)
    # a link leading out is named by its absolute path in the app, by its path inside the
    # folder in a (shared) engine
    inside = str(folder.resolve()) + "/"
    problems = corpus.problems.assign(file=corpus.problems["file"].str.removeprefix(inside))
    return {"articles": corpus.articles, "events": corpus.events, "claims": corpus.claims,
            "places": corpus.places, "problems": problems, "stories": corpus.stories}


def _assert_same_tables(folder: Path, url: str) -> None:
    for name, expected in _in_memory(folder).items():
        pd.testing.assert_frame_equal(engines.comparable(engines.table(url, name), name),
                                      engines.comparable(expected, name), check_dtype=False,
                                      obj=name)


def test_the_build_of_the_bundled_data_holds_the_same_rows_as_the_app(engine_url, tmp_path):
    report = build(DATA, engine_url)
    corpus = load_corpus(DATA, cache=False)
    assert report.counts == {"articles": len(corpus.articles), "events": len(corpus.events),
                             "claims": len(corpus.claims), "places": len(corpus.places),
                             "stories": len(corpus.stories)}
    assert report.parsed == corpus.files and report.unchanged == report.removed == 0
    _assert_same_tables(DATA, engine_url)


def test_the_build_of_the_test_fixtures_holds_the_same_rows_and_problems(engine_name,
                                                                       engine_url):
    if engine_name == "spark":
        pytest.skip(SPARK_SKIP)
    report = build(FIXTURES, engine_url)
    assert report.errors > 0 and report.warnings > 0  # the fixtures hold bad files on purpose
    _assert_same_tables(FIXTURES, engine_url)


@pytest.fixture
def folder(tmp_path) -> Path:
    """A copy of the bundled articles, to change."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


def _article_file(folder: Path, article: str) -> Path:
    return next(p for p in sorted(folder.rglob("*.yaml"))
                if f"\nid: {article}\n" in "\n" + p.read_text())


def _first_article(folder: Path) -> tuple[str, Path]:
    path = sorted(folder.rglob("*.yaml"))[0]
    for line in path.read_text().splitlines():
        if line.startswith("id: "):
            return line[4:].strip(), path
    raise AssertionError(f"no id in {path}")


def test_a_rebuild_after_one_edit_parses_that_file_alone_and_shows_the_change(
        engine_name, engine_url, folder):
    if engine_name == "spark":
        pytest.skip(SPARK_SKIP)
    first = build(folder, engine_url)
    article, path = _first_article(folder)
    text = path.read_text()
    title = next(line for line in text.splitlines() if line.startswith("title: "))
    path.write_text(text.replace(title, "title: Rewritten after the first build", 1))

    again = build(folder, engine_url)

    assert (again.parsed, again.unchanged, again.removed) == (1, first.parsed - 1, 0)
    titles = engines.table(engine_url, "articles").set_index(Col.ARTICLE)[Col.TITLE]
    assert titles[article] == "Rewritten after the first build"
    _assert_same_tables(folder, engine_url)


def _indexed(url: str) -> set[tuple[str, tuple[str, ...]]]:
    """(table, its columns in order) of every index in a PostgreSQL store."""
    import psycopg

    with psycopg.connect(url) as pg:
        rows = pg.execute("SELECT t.relname, array_agg(a.attname ORDER BY k.n) FROM pg_index i "
                          "JOIN pg_class t ON t.oid = i.indrelid "
                          "CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) "
                          "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum "
                          "GROUP BY i.indexrelid, t.relname").fetchall()
    return {(t, tuple(c)) for t, c in rows}


def test_a_postgresql_store_is_indexed_for_what_the_pages_look_up(engine_name, engine_url,
                                                                  folder):
    if engine_name != "postgres":
        pytest.skip("only PostgreSQL is indexed (DuckDB and Spark skip by file statistics)")
    wanted = {(t, (c,) if isinstance(c, str) else tuple(c))
              for t, columns in schema.INDEXED.items() for c in columns}
    build(folder, engine_url)
    assert wanted <= _indexed(engine_url)
    # A rebuild that rewrites tables (a story's articles changed) keeps them indexed.
    _article, path = _first_article(folder)
    path.unlink()
    build(folder, engine_url)
    assert wanted <= _indexed(engine_url)


def _drop_column(url: str, table: str, column: str) -> None:
    """Make `table` as an earlier warlens made it, without `column`."""
    sql = f'ALTER TABLE "{table}" DROP COLUMN "{column}"'
    if url.startswith("duckdb://"):
        import duckdb

        with duckdb.connect(url.removeprefix("duckdb://")) as con:
            con.execute(sql)
    else:
        import psycopg

        with psycopg.connect(url) as pg:
            pg.execute(sql)


def test_a_store_an_earlier_version_made_is_refused_by_the_app_and_rebuilt_whole(
        engine_name, engine_url, folder):
    """A store whose claims lack their event's type (warlens before 4 December) cannot
    answer a type filter: the app says to build again, and the build starts anew."""
    from warlens.engine import EngineError
    from warlens.engine.source import engine_source

    if engine_name == "spark":
        pytest.skip(SPARK_SKIP)
    first = build(folder, engine_url)
    _drop_column(engine_url, "claims", Col.EVENT_TYPE)

    with pytest.raises(EngineError, match=r"made by an earlier warlens \(its claims table "
                                          r"has no event_type\): run `warlens build` again"):
        engine_source(engine_url)
    again = build(folder, engine_url)

    assert again.summary().startswith("rebuilt from nothing: the store was made by an "
                                      "earlier warlens (its claims table has no event_type); ")
    assert (again.parsed, again.unchanged) == (first.parsed, 0)
    assert again.counts == first.counts
    _assert_same_tables(folder, engine_url)
    assert engine_source(engine_url).tables.claims.columns.index(Col.EVENT_TYPE) >= 0
    assert build(folder, engine_url).restarted == ""


def test_a_rebuild_with_nothing_changed_parses_nothing(engine_name, engine_url, folder):
    if engine_name == "spark":
        pytest.skip(SPARK_SKIP)
    first = build(folder, engine_url)
    again = build(folder, engine_url)
    assert (again.parsed, again.unchanged, again.removed) == (0, first.parsed, 0)
    assert again.counts == first.counts


def _summaries_read(url: str) -> bool:
    """Whether the app would read the store's summaries (they hold for it as it is)."""
    from warlens import engine
    from warlens.engine import queries

    con = engine.connect(url)
    try:
        return queries.Tables(con).summaries == frozenset(queries.SUMMARIES)
    finally:
        con.disconnect()


def test_a_rebuild_that_changes_no_row_keeps_the_summaries_and_they_are_still_read(
        engine_name, engine_url, folder):
    if engine_name == "spark":
        pytest.skip(SPARK_SKIP)
    first = build(folder, engine_url)
    assert not first.kept_summaries and _summaries_read(engine_url)
    same = build(folder, engine_url)
    assert same.kept_summaries and "summaries kept" in same.summary()
    assert _summaries_read(engine_url)
    # A file saved again with the same bytes (a checkout, a copy): its time moves, no row.
    _article, path = _first_article(folder)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    touched = build(folder, engine_url)
    assert (touched.parsed, touched.kept_summaries) == (0, True)
    assert _summaries_read(engine_url)
    _assert_same_tables(folder, engine_url)
    # An edit changes rows: everything made from them is made again, and read.
    path.write_text(path.read_text().replace("title: ", "title: Edited, ", 1))
    edited = build(folder, engine_url)
    assert (edited.parsed, edited.kept_summaries, edited.errors) == (1, False, 0)
    assert _summaries_read(engine_url)
    _assert_same_tables(folder, engine_url)


def _copy_rows(url: str, copy: str) -> pd.DataFrame:
    """A DuckDB store's copy of a table in place order, in the order its rows lie."""
    import duckdb

    with duckdb.connect(url.split("://", 1)[1], read_only=True) as con:
        return con.sql(f'SELECT * FROM "{copy}" ORDER BY rowid').df()


def test_an_edit_patches_the_place_ordered_copies_and_a_large_change_sorts_them_again(
        engine_name, engine_url, folder, monkeypatch):
    if engine_name != "duckdb":
        pytest.skip("only DuckDB keeps the tables in place order")
    from warlens.engine import build as build_module
    from warlens.engine import queries

    order = list(queries.PLACE_ORDER)
    build(folder, engine_url)
    _article, path = _first_article(folder)
    edited = path.relative_to(folder).as_posix()
    path.write_text(path.read_text().replace("summary: ", "summary: Edited, ", 1))
    monkeypatch.setattr(build_module, "PATCH_PLACED_BELOW", 1.0)  # any change is small
    build(folder, engine_url)
    assert _summaries_read(engine_url)
    for table, copy in queries.PLACED.items():
        rows = _copy_rows(engine_url, copy)
        # the same rows as the table: the edit's among them, the old ones gone
        expected = engines.table(engine_url, table)
        assert len(rows) == len(expected) and set(rows[Col.KEY]) == set(expected[Col.KEY])
        if table == "events":
            assert rows[Col.SUMMARY].str.startswith("Edited, ").any()
        # patched: the edited file's rows come last, the rest in place order before them
        mine = (rows[schema.SRC] == edited).to_numpy()
        assert mine.any() and mine[-int(mine.sum()):].all(), copy
        rest = rows[~mine].reset_index(drop=True)
        pd.testing.assert_frame_equal(
            rest, rest.sort_values(order, kind="stable").reset_index(drop=True), obj=copy)
    # A change above the share: the copies are made whole, in place order again.
    path.write_text(path.read_text().replace("summary: Edited, ", "summary: ", 1))
    monkeypatch.setattr(build_module, "PATCH_PLACED_BELOW", 0.0)
    build(folder, engine_url)
    assert _summaries_read(engine_url)
    for copy in queries.PLACED.values():
        rows = _copy_rows(engine_url, copy)
        pd.testing.assert_frame_equal(
            rows, rows.sort_values(order, kind="stable").reset_index(drop=True), obj=copy)
    _assert_same_tables(folder, engine_url)


def test_an_edit_makes_its_articles_rows_again_in_each_name_s_articles(
        engine_name, engine_url, folder, monkeypatch):
    if engine_name != "duckdb":
        pytest.skip("only DuckDB patches the summaries")
    from warlens import engine
    from warlens.engine import build as build_module
    from warlens.engine import queries

    build(folder, engine_url)
    monkeypatch.setattr(build_module, "PATCH_PLACED_BELOW", 1.0)  # any change is small
    first, second, third = sorted(folder.rglob("*.yaml"))[:3]
    # An event moves from Ukraine to Russia; an article takes another id; a file goes.
    text = first.read_text()
    assert "    place: ukraine\n" in text and "    place: russia\n" in text
    first.write_text(text.replace("    place: ukraine\n", "    place: russia\n", 1))
    old_id = next(line[4:].strip() for line in second.read_text().splitlines()
                  if line.startswith("id: "))
    second.write_text(second.read_text().replace(f"id: {old_id}\n", f"id: {old_id}-again\n", 1))
    gone_id = next(line[4:].strip() for line in third.read_text().splitlines()
                   if line.startswith("id: "))
    third.unlink()
    build(folder, engine_url)
    assert _summaries_read(engine_url)
    con = engine.connect(engine_url)
    try:
        whole = queries.cited_rows(queries.Tables(con)).to_pandas()
    finally:
        con.disconnect()
    patched = _copy_rows(engine_url, queries.SUMMARY_CITED)
    by = [queries.SUMMARY_KEY, Col.ARTICLE]
    # The same rows as the summary made whole: the moved event counted under Russia, the
    # old id and the removed file's article gone.
    pd.testing.assert_frame_equal(patched.sort_values(by).reset_index(drop=True),
                                  whole.sort_values(by).reset_index(drop=True), obj="cited")
    assert not {old_id, gone_id} & set(patched[Col.ARTICLE])
    assert f"{old_id}-again" in set(patched[Col.ARTICLE])
    # Patched, not made whole: the edited articles' rows come last, the rest in key order.
    first_id = next(line[4:].strip() for line in first.read_text().splitlines()
                    if line.startswith("id: "))
    mine = patched[Col.ARTICLE].isin([first_id, f"{old_id}-again"]).to_numpy()
    assert mine.any() and mine[-int(mine.sum()):].all()
    assert patched[~mine][queries.SUMMARY_KEY].is_monotonic_increasing
    _assert_same_tables(folder, engine_url)
    # Summaries a refresh left half-made (the open view's counts, written last, missing)
    # are never patched: the next small change makes them whole, in key order again.
    import duckdb

    with duckdb.connect(engine_url.split("://", 1)[1]) as con:
        con.execute(f'DROP TABLE "{queries.SUMMARY_OPEN}"')
    first.write_text(first.read_text().replace("    place: russia\n", "    place: ukraine\n", 1))
    build(folder, engine_url)
    assert _summaries_read(engine_url)
    keys = _copy_rows(engine_url, queries.SUMMARY_CITED)[queries.SUMMARY_KEY]
    assert keys.is_monotonic_increasing


def test_a_removed_files_rows_are_gone_from_every_table(engine_name, engine_url, folder):
    if engine_name == "spark":
        pytest.skip(SPARK_SKIP)
    build(folder, engine_url)
    article, path = _first_article(folder)
    path.unlink()

    report = build(folder, engine_url)

    assert (report.parsed, report.removed) == (0, 1)
    for name in ("articles", "events", "claims", "places"):
        assert article not in set(engines.table(engine_url, name)[Col.ARTICLE]), name
    _assert_same_tables(folder, engine_url)


def test_a_bad_file_is_listed_by_file_line_and_field_and_the_good_ones_load(
        engine_name, engine_url, folder):
    if engine_name == "spark":
        pytest.skip(SPARK_SKIP)
    good = build(folder, engine_url).counts["articles"]
    (folder / "broken.yaml").write_text(
        "id: broken\ntitle: Broken\noutlet: Nobody\npublished: 2022-03-01\n"
        "text: Shelling was reported.\nevents:\n  - id: e1\n    summary: Shelling\n"
        "    type: shelling\n    when: 2022-03-01\n    quote: Shelling was reported.\n")

    report = build(folder, engine_url)

    # the article loads without its bad event, as the app loads it
    assert report.parsed == 1 and report.counts["articles"] == good + 1
    assert "broken" not in set(engines.table(engine_url, "events")[Col.ARTICLE])
    assert any(p.startswith("broken.yaml:9: events[0].type: ") for p in report.problems), \
        report.problems
    _assert_same_tables(folder, engine_url)


def test_a_link_leading_out_of_the_folder_is_a_problem_and_nothing_of_it_gets_in(
        engine_name, engine_url, folder, tmp_path):
    if engine_name == "spark":
        pytest.skip(SPARK_SKIP)
    outside = tmp_path / "secret.yaml"
    outside.write_text("id: secret-article\ntitle: Secret\noutlet: Nobody\n"
                       "published: 2022-03-01\ntext: Not for the folder.\n")
    (folder / "secret.yaml").symlink_to(outside)

    report = build(folder, engine_url)

    assert any(p.startswith("secret.yaml: (file): ") and "outside the data folder" in p
               for p in report.problems), report.problems
    for name in ("articles", "events", "claims", "places", "problems", "stories", "files"):
        rows = engines.table(engine_url, name).astype(str)
        assert not rows.apply(lambda col: col.str.contains("ecret-article|Not for the")).any(
            ).any(), name
    _assert_same_tables(folder, engine_url)


def test_an_article_id_used_twice_keeps_the_first_and_the_second_comes_back_when_it_goes(
        engine_name, engine_url, folder):
    if engine_name == "spark":
        pytest.skip(SPARK_SKIP)
    article, path = _first_article(folder)
    copy = folder / "zz-copy.yaml"
    copy.write_text(path.read_text().replace("title: ", "title: The copy of ", 1))

    report = build(folder, engine_url)

    assert any(p.startswith("zz-copy.yaml:") and f"article id '{article}' is already used by "
               in p for p in report.problems), report.problems
    _assert_same_tables(folder, engine_url)

    path.unlink()
    again = build(folder, engine_url)

    assert again.parsed == 0 and not any("already used" in p for p in again.problems)
    titles = engines.table(engine_url, "articles").set_index(Col.ARTICLE)[Col.TITLE]
    assert titles[article].startswith("The copy of ")
    _assert_same_tables(folder, engine_url)


def test_warlens_build_prints_what_it_did_and_each_problem(tmp_path, folder, capsys):
    (folder / "broken.yaml").write_text("id: broken\ntitle: [unclosed\n")
    url = f"duckdb://{tmp_path / 'cli.duckdb'}"

    assert cli.main(["build", str(folder), "--engine", url]) == 1
    out = capsys.readouterr().out
    assert "broken.yaml:3: (file): YAML syntax error" in out
    assert "files parsed, 0 unchanged, 0 removed;" in out and " articles, " in out

    assert cli.main(["build", str(folder), "--engine", url]) == 1
    assert "0 files parsed, " in capsys.readouterr().out


def test_a_build_into_a_duckdb_file_another_process_holds_says_so(tmp_path, capsys):
    store = tmp_path / "held.duckdb"
    url = f"duckdb://{store}"
    build(DATA, url)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time\n"
         f"c = duckdb.connect({str(store)!r}, read_only=True)\nprint('open', flush=True)\n"
         "time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        assert cli.main(["build", str(DATA), "--engine", url]) == 2
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert "is open in another process" in capsys.readouterr().err
