"""Event datasets loaded in bulk: every row keeps its file and line, bad rows are said.

An ACLED CSV named with `warlens build --events` (or found in the folder and big) goes
into the engine through DuckDB's CSV reader instead of one article document per row;
what a user sees of each row (its key, file, line, type, dates, place) is what the app
shows, and a row that cannot load is a problem naming file, line and column.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: engines

import engines
from warlens import boundary, cli
from warlens.engine.build import build
from warlens.model import Col
from warlens.workspace import load_corpus

pytestmark = engines.ENGINE_WARNINGS
engine_name, engine_url = engines.engine_name, engines.engine_url

ACLED = Path(__file__).resolve().parents[1] / "fixtures" / "acled" / "acled-ukraine-2023.csv"
HEADER = ("event_id_cnty,event_date,year,time_precision,event_type,sub_event_type,actor1,"
          "country,iso,admin1,location,latitude,longitude,geo_precision,notes,fatalities\n")


def _skip_slow(engine_name: str) -> None:
    if engine_name == "spark":
        pytest.skip("Spark: bulk rows reach it as Arrow batches like any build's; "
                    "tests/engine/test_build.py runs a build there")


def test_bulk_rows_are_the_rows_the_app_reads_with_their_file_and_line(engine_name, engine_url,
                                                                    tmp_path):
    _skip_slow(engine_name)
    folder = tmp_path / "data"
    folder.mkdir()
    csv = folder / "acled.csv"
    shutil.copyfile(ACLED, csv)

    report = build(folder, engine_url, bulk=[csv])

    assert report.bulk == 1 and report.parsed == 0
    with contextlib.chdir(folder):
        app = load_corpus(Path(), cache=False)
    for name in ("articles", "events", "places", "problems"):
        pd.testing.assert_frame_equal(engines.comparable(engines.table(engine_url, name), name),
                                      engines.comparable(getattr(app, name), name),
                                      check_dtype=False, obj=name)


def test_bad_rows_are_problems_with_file_line_and_column_and_the_good_rows_load(
        engine_name, engine_url, tmp_path):
    _skip_slow(engine_name)
    folder = tmp_path / "data"
    folder.mkdir()
    csv = folder / "events.csv"
    csv.write_text(
        HEADER
        + 'UKR1,2023-03-01,2023,1,Battles,Armed clash,Army,Ukraine,804,Donetska,Bakhmut,'
          '48.59,38.0,1,"Fighting went on\nall day, and\ninto the night.",3\n'
        + ",2023-03-02,2023,1,Battles,Armed clash,Army,Ukraine,804,Donetska,Bakhmut,"
          "48.59,38.0,1,No id on this row.,0\n"
        + "UKR1,2023-03-03,2023,1,Battles,Armed clash,Army,Ukraine,804,Donetska,Bakhmut,"
          "48.59,38.0,1,An id used before.,0\n"
        + "UKR4,2023-03-04,2023,1,Battles,Armed clash,Army,Ukraine,804,Donetska,Bakhmut,"
          "148.59,38.0,1,Coordinates out of range.,1\n"
        + "UKR5,2023-03-05,2023,1,Battles,Armed clash,Army,Ukraine,804,Donetska,Bakhmut,"
          "48.59,38.0,1,Fine.,two\n", encoding="utf-8")

    report = build(folder, engine_url, bulk=[csv])

    # the first record spans lines 2-4: the next ones start on lines 5, 6, 7 and 8
    assert "events.csv:5: event_id_cnty: is empty; the row was skipped" in report.problems
    assert ("events.csv:6: event_id_cnty: 'UKR1' was already imported from line 2; "
            "the row was skipped") in report.problems
    assert any(p.startswith("events.csv:7: latitude: warning: ") for p in report.problems)
    assert any(p.startswith("events.csv:8: fatalities: warning: ") for p in report.problems)
    assert report.errors == 2 and report.warnings == 2
    events = engines.table(engine_url, "events").set_index(Col.ID)
    assert sorted(events.index) == ["e-ukr1", "e-ukr4", "e-ukr5"]
    assert events[Col.LINE].to_dict() == {"e-ukr1": 2, "e-ukr4": 7, "e-ukr5": 8}
    # the bad coordinates are dropped and the place found by its name, as the app does
    assert events.loc["e-ukr4", Col.PLACE_NAME] == "Bakhmut"
    assert events.loc["e-ukr4", Col.LAT] == pytest.approx(48.59, abs=0.1)


def test_a_big_dataset_in_the_folder_is_loaded_in_bulk_once_and_again_when_it_changes(
        engine_name, engine_url, tmp_path, monkeypatch):
    _skip_slow(engine_name)
    folder = tmp_path / "data"
    folder.mkdir()
    csv = folder / "acled.csv"
    shutil.copyfile(ACLED, csv)

    first = build(folder, engine_url, bulk_min_bytes=0)
    same = build(folder, engine_url, bulk_min_bytes=0)
    # Saved again with the same bytes, and bigger than one read may take (an 850 MB export
    # was over boundary.CAPS["dataset"]): read a block at a time, and not loaded again.
    monkeypatch.setitem(boundary.CAPS, "dataset", 100)
    stat = csv.stat()
    os.utime(csv, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    touched = build(folder, engine_url, bulk_min_bytes=0)
    csv.write_text(csv.read_text(encoding="utf-8").replace("Kharkiv", "Kharkiv city"),
                   encoding="utf-8")
    changed = build(folder, engine_url, bulk_min_bytes=0)

    assert first.bulk == 1 and (same.bulk, same.unchanged) == (0, 1)
    assert (touched.bulk, touched.unchanged, touched.kept_summaries) == (0, 1, True)
    assert changed.bulk == 1 and changed.counts == first.counts
    assert "Kharkiv city" in set(engines.table(engine_url, "events")[Col.PLACE_NAME])


def test_warlens_build_refuses_events_outside_the_folder(tmp_path, capsys):
    folder = tmp_path / "data"
    folder.mkdir()
    outside = tmp_path / "acled.csv"
    shutil.copyfile(ACLED, outside)

    code = cli.main(["build", str(folder), "--engine", f"duckdb://{tmp_path / 'e.duckdb'}",
                     "--events", str(outside)])

    assert code == 2
    assert "give a regular file inside the data folder" in capsys.readouterr().err


def test_a_note_and_a_blank_line_before_the_header_keep_every_row_on_its_line(
        engine_name, engine_url, tmp_path):
    _skip_slow(engine_name)
    folder = tmp_path / "data"
    folder.mkdir()
    csv = folder / "acled.csv"
    csv.write_text("ACLED export (Sample)\n\n" + ACLED.read_text(encoding="utf-8"),
                   encoding="utf-8")

    report = build(folder, engine_url, bulk=[csv])

    assert any(p.startswith("acled.csv:1: (file): warning: the header is on line 3")
               for p in report.problems)
    with contextlib.chdir(folder):
        app = load_corpus(Path(), cache=False)
    for name in ("articles", "events", "places", "problems"):
        pd.testing.assert_frame_equal(engines.comparable(engines.table(engine_url, name), name),
                                      engines.comparable(getattr(app, name), name),
                                      check_dtype=False, obj=name)
