"""UCDP GED and GDELT exports loaded in bulk: the app's own rows, each with its file and line.

`warlens build --events FILE` reads a UCDP GED CSV or a GDELT events export with DuckDB
and maps it in SQL with the readers' own functions applied once per distinct value. Every
column of the articles, events, places and problems must be what the app reads from the
same file; a bad row is a problem naming file, line and field, and the good rows load.
"""

from __future__ import annotations

import contextlib
import csv
import io
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: engines

import engines
from warlens import cli
from warlens.engine import bulk
from warlens.engine.build import build
from warlens.model import Col
from warlens.workspace import load_corpus

pytestmark = engines.ENGINE_WARNINGS
engine_name, engine_url = engines.engine_name, engines.engine_url

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
UCDP = FIXTURES / "ucdp" / "ged-ukraine-sudan.csv"
GDELT = (FIXTURES / "gdelt" / "20230512120000.export.CSV",
         FIXTURES / "gdelt" / "20130415.export.CSV")
TABLES = ("articles", "events", "places", "problems")
UCDP_COLUMNS = ("id", "year", "type_of_violence", "conflict_name", "dyad_name", "side_a",
                "side_b", "source_article", "source_office", "source_date", "source_headline",
                "where_prec", "where_coordinates", "where_description", "adm_1", "latitude",
                "longitude", "country", "event_clarity", "date_prec", "date_start", "date_end",
                "deaths_a", "best", "high", "low")


def _ucdp_row(**cells: str) -> str:
    """A UCDP GED CSV record with these cells (the others empty)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([cells.get(c, "") for c in UCDP_COLUMNS])
    return out.getvalue()


_RU_UA = {"year": "2023", "type_of_violence": "1", "conflict_name": "Russia - Ukraine",
          "side_a": "Government of Russia", "side_b": "Government of Ukraine",
          "country": "Ukraine", "event_clarity": "1", "date_prec": "1"}
#: Rows a UCDP GED file holds after people had it, each wrong in its own way.
UCDP_ROWS = (
    _ucdp_row(**_RU_UA, id="G1", source_article="Reuters,2023-05-12", source_office=
              "Reuters;Reuters", source_date="2023-05-12", source_headline="Shelling in\nBakhmut",
              where_prec="1", where_coordinates="Bakhmut town", where_description="Bakhmut",
              adm_1="Donetsk oblast", latitude="48.5956", longitude="38.0003",
              date_start="2023-05-12", date_end="2023-05-12", deaths_a="3", best="5",
              high="12", low="3"),  # lines 2-3
    _ucdp_row(**_RU_UA, where_prec="1", where_coordinates="Nowhere",
              date_start="2023-05-13"),  # 4: no id
    _ucdp_row(**_RU_UA, id="G1", where_prec="1", where_coordinates="Bakhmut",
              date_start="2023-05-13"),  # 5: an id used before
    _ucdp_row(**_RU_UA, id="G4", where_prec="9", where_coordinates="Kramatorsk town",
              where_description="Kramatorsk", latitude="abc", longitude="37.55",
              date_start="2023-02-30"),  # 6: a bad day, precision and latitude
    _ucdp_row(id="G5", year="2023", dyad_name="SAF - RSF", side_a="SAF", side_b="RSF",
              where_prec="6", country="Sudan", event_clarity="2", date_prec="5",
              date_start="2023-06-01", date_end="2023-07-15", best="5", high="3",
              low="10"),  # 7: no type, low above high, a country only
    _ucdp_row(**_RU_UA, id="G6", source_office="BBC", source_date="2022-04-15",
              source_headline="Cruiser sinks\nafter blast", where_prec="7",
              where_coordinates="Black Sea", where_description="Black Sea off Odesa",
              latitude="45.3", longitude="30.9", date_start="2022-04-15",
              date_end="2022-04-13", best="1"),  # 8-9: the end before the start, at sea
    _ucdp_row(id="G7", type_of_violence="3", date_start="2023-08-01"),  # 10: no place
)


def _app(folder: Path):
    with contextlib.chdir(folder):
        return load_corpus(Path(), cache=False)


def _assert_same_as_the_app(url: str, folder: Path, skip_lines: tuple[int, ...] = ()) -> None:
    """Every column of every table of the engine equals the app's reading of `folder`
    (problems on `skip_lines` left out: where the two readers word a refusal apart)."""
    app = _app(folder)
    for name in TABLES:
        ours, theirs = engines.table(url, name), getattr(app, name)
        if name == "problems":
            ours = ours[~ours[Col.LINE].isin(skip_lines)]
            theirs = theirs[~theirs[Col.LINE].isin(skip_lines)]
        pd.testing.assert_frame_equal(engines.comparable(ours, name),
                                      engines.comparable(theirs, name),
                                      check_dtype=False, obj=name)


def _copy(folder: Path, *files: Path) -> list[Path]:
    folder.mkdir()
    copies = []
    for file in files:
        copies.append(folder / file.name)
        shutil.copyfile(file, copies[-1])
    return copies


def test_a_ucdp_file_in_bulk_holds_the_rows_the_app_reads_with_their_file_and_line(
        engine_name, engine_url, tmp_path):
    folder = tmp_path / "data"
    [ged] = _copy(folder, UCDP)

    report = build(folder, engine_url, bulk=[ged])

    assert report.bulk == 1 and report.parsed == 0
    _assert_same_as_the_app(engine_url, folder)
    events = engines.table(engine_url, "events").set_index(Col.ID)
    assert events.loc["e-900007", Col.LINE] == 8  # the line its record starts on
    assert events.loc["e-900008", Col.LINE] == 11  # after a headline over three lines


def test_bad_ucdp_rows_are_problems_naming_file_line_and_field_and_the_good_rows_load(
        engine_name, engine_url, tmp_path):
    if engine_name == "spark":
        pytest.skip("Spark: one bulk comparison per format runs there (the build is slow)")
    folder = tmp_path / "data"
    folder.mkdir()
    ged = folder / "ged.csv"
    ged.write_text(",".join(UCDP_COLUMNS) + "\n" + "".join(UCDP_ROWS)
                   + "G9,2023,1,too,few,cells\n", encoding="utf-8")

    report = build(folder, engine_url, bulk=[ged])

    # the first record spans lines 2-3; a repeated or missing id skips the row
    assert "ged.csv:4: id: is empty; the row was skipped" in report.problems
    assert ("ged.csv:5: id: 'G1' was already imported from line 2; the row was skipped"
            in report.problems)
    said = {p.split(": warning")[0] for p in report.problems}
    assert {"ged.csv:6: date_start", "ged.csv:6: where_prec", "ged.csv:6: latitude",
            "ged.csv:7: type_of_violence", "ged.csv:7: low", "ged.csv:8: date_end"} <= said
    assert any(p.startswith("ged.csv:11: ") and "refused" in p for p in report.problems)
    ids = sorted(engines.table(engine_url, "events")[Col.ID])
    assert ids == ["e-g1", "e-g4", "e-g5", "e-g6", "e-g7"]
    # everything else is what the app reads, column for column (it words the refusal of
    # the short row on line 11 its own way)
    _assert_same_as_the_app(engine_url, folder, skip_lines=(11,))


def test_notes_before_a_ucdp_header_are_said_as_the_app_says_them(engine_name, engine_url,
                                                                tmp_path):
    if engine_name == "spark":
        pytest.skip("Spark: one bulk comparison per format runs there (the build is slow)")
    folder = tmp_path / "data"
    folder.mkdir()
    ged = folder / "ged.csv"
    ged.write_text("UCDP GED sample, downloaded 2024-05-01\n\n" + UCDP.read_text(
        encoding="utf-8"), encoding="utf-8")

    report = build(folder, engine_url, bulk=[ged])

    assert any(p.startswith("ged.csv:1: (file): warning: the header is on line 3")
               for p in report.problems)
    assert engines.table(engine_url, "events").set_index(Col.ID).loc["e-900001", Col.LINE] == 4
    _assert_same_as_the_app(engine_url, folder)


def test_gdelt_exports_in_bulk_hold_the_rows_the_app_reads_with_their_file_and_line(
        engine_name, engine_url, tmp_path):
    folder = tmp_path / "data"
    files = _copy(folder, *GDELT)

    report = build(folder, engine_url, bulk=files)

    assert report.bulk == 2 and report.parsed == 0
    assert report.errors == 2  # an id given twice, a row without one
    _assert_same_as_the_app(engine_url, folder)
    events = engines.table(engine_url, "events").set_index(Col.ID)
    assert events.loc["e-1101000012", Col.LINE] == 12
    assert events.loc["e-1101000003", Col.PRECISION] == "country"


def test_a_short_gdelt_row_is_an_error_at_its_line_and_the_rest_load(engine_name, engine_url,
                                                                    tmp_path):
    if engine_name == "spark":
        pytest.skip("Spark: one bulk comparison per format runs there (the build is slow)")
    folder = tmp_path / "data"
    folder.mkdir()
    lines = GDELT[0].read_text(encoding="utf-8").splitlines()
    lines[2] = "\t".join(lines[2].split("\t")[:60])
    export = folder / "events.export.CSV"
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")

    report = build(folder, engine_url, bulk=[export])

    assert any(p.startswith("events.export.CSV:3: ") and "refused" in p
               for p in report.problems)
    assert len(engines.table(engine_url, "events")) == 9
    _assert_same_as_the_app(engine_url, folder, skip_lines=(3,))


def test_warlens_build_takes_ucdp_and_gdelt_files_in_bulk(tmp_path, capsys):
    folder = tmp_path / "data"
    _copy(folder, UCDP, GDELT[1])
    assert bulk.bulk_format(folder / UCDP.name, folder) == "ucdp"
    assert bulk.bulk_format(folder / GDELT[1].name, folder) == "gdelt"

    code = cli.main(["build", str(folder), "--engine", f"duckdb://{tmp_path / 'e.duckdb'}",
                     "--events", str(folder / GDELT[1].name),
                     "--events", str(folder / UCDP.name)])

    out = capsys.readouterr().out
    assert code == 0, out
    assert "2 loaded in bulk" in out and "11 events" in out


def test_warlens_build_refuses_a_file_of_another_format_than_format_says(tmp_path, capsys):
    folder = tmp_path / "data"
    _copy(folder, UCDP)

    code = cli.main(["build", str(folder), "--engine", f"duckdb://{tmp_path / 'e.duckdb'}",
                     "--format", "gdelt", "--events", str(folder / UCDP.name)])

    assert code == 2
    assert "is a ucdp file, not gdelt" in capsys.readouterr().err
