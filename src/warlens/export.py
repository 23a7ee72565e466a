"""Tables -> files a person takes elsewhere: CSV for spreadsheets, GeoJSON for maps.

Everything exported was typed by someone else (article text, quotes, claimant
names), so each format is made safe for the program most likely to open it:

- CSV is written for Excel, LibreOffice and Google Sheets. It is UTF-8 *with* a
  byte-order mark (``utf-8-sig``), because without one Excel reads Cyrillic and
  curly quotes as Windows-1252 mojibake; pandas and Python's ``csv`` module (opened
  with ``encoding="utf-8-sig"``) read it unchanged. Rows end in CRLF (RFC 4180);
  newlines inside a cell are kept, inside a quoted cell. Every text cell that a
  spreadsheet would take for a formula is prefixed with a single quote (OWASP CSV
  injection); numbers are written as numbers. Dates are ISO ``YYYY-MM-DD``.
- GeoJSON follows RFC 7946: one Point Feature per item with coordinates
  ``[lon, lat]`` rounded to 6 decimals (about 10 cm), the export columns as
  properties with missing values as ``null``, and never a NaN (which is not JSON).
  Items without coordinates cannot be drawn; they are left out and counted in the
  foreign member ``"warlens:skipped"``. Text is kept as written: JSON strings are
  inert, and neutralising them would corrupt quotes for every other consumer.

Both say which file each item comes from relative to the data folder (`roots`): an
export leaves the server, and the server's own paths must not leave with it. A file
outside every root, or no root given, is named by its base name.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, BinaryIO

import numpy as np
import pandas as pd

from warlens.model import Col

#: Columns of an events CSV or GeoJSON, in the order a reader scans them.
EXPORT_EVENT_COLUMNS: list[str] = [
    Col.KEY, Col.ARTICLE, Col.SUMMARY, Col.TYPE, Col.START, Col.END, Col.DATE_PRECISION,
    Col.DATE_LABEL, Col.PLACE_NAME, Col.COUNTRY, Col.LAT, Col.LON, Col.PRECISION, Col.ACTORS,
    Col.QUOTE, Col.CONTESTED, Col.N_CLAIMS, Col.SOURCES, Col.STORY, Col.OUTLET, Col.LICENSE,
    Col.ATTRIBUTION, Col.FILE, Col.LINE,
]
#: Columns of a claims CSV or GeoJSON: who says what, about which event, where and when.
EXPORT_CLAIM_COLUMNS: list[str] = [
    Col.KEY, Col.ARTICLE, Col.CLAIMANT, Col.STANCE, Col.CLAIM, Col.VERDICT, Col.EVENT,
    Col.EVENT_SUMMARY, Col.START, Col.END, Col.DATE_PRECISION, Col.DATE_LABEL, Col.PLACE_NAME,
    Col.COUNTRY, Col.LAT, Col.LON, Col.PRECISION, Col.QUOTE, Col.CONTESTED, Col.STORY,
    Col.OUTLET, Col.LICENSE, Col.ATTRIBUTION, Col.FILE, Col.LINE,
]
#: What every exported row carries of its article: a quote travels with its credit.
CREDIT_COLUMNS = (Col.OUTLET, Col.LICENSE, Col.ATTRIBUTION)


def _with_credits(table: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in CREDIT_COLUMNS if c not in table.columns]
    return table.assign(**dict.fromkeys(missing)) if missing else table


def credited(table: pd.DataFrame, articles: pd.DataFrame) -> pd.DataFrame:
    """`table` (events or claims) with its articles' outlet, licence and attribution.

    Third-party texts keep their attribution and licence wherever their words go.
    """
    heads = articles.set_index(Col.ARTICLE)
    return table.assign(**{col: table[Col.ARTICLE].map(heads[col]) for col in CREDIT_COLUMNS})

#: A cell starting with one of these is a formula (or hides one) in some spreadsheet:
#: OWASP's = + - @ TAB CR, OWASP ASVS 1.2.10's NUL, and LF, which some importers drop.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")
#: After leading blanks, these still start a formula in LibreOffice and some Excel imports.
_FORMULA_AFTER_BLANKS = ("=", "+", "-", "@")
#: Decimal places kept in GeoJSON coordinates (RFC 7946 §11.2: 6 is about 10 cm).
COORDINATE_DECIMALS = 6
#: The foreign member that counts items left out of a FeatureCollection for lack of a point.
SKIPPED_MEMBER = "warlens:skipped"
CSV_ENCODING = "utf-8-sig"


def neutralise_cell(value: object) -> object:
    """Make a text cell inert in a spreadsheet; return anything else unchanged.

    A string that starts with a formula trigger, or with blanks then = + - @, gets a
    leading single quote, which spreadsheets read as "this is text". Numbers, dates,
    booleans and missing values pass through, so numeric columns stay numeric.
    """
    if not isinstance(value, str) or not value:
        return value
    if value.startswith(FORMULA_TRIGGERS) or value.lstrip().startswith(_FORMULA_AFTER_BLANKS):
        return "'" + value
    return value


def _is_plain(column: pd.Series) -> bool:
    """True for columns written as they are: numbers and booleans."""
    return pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)


def _root_prefixes(roots: Iterable[str | os.PathLike[str]]) -> list[str]:
    """Every way a file under these roots may be named in a table, longest first: the
    folder as given, resolved, and relative to the working folder (as `corpus` shows it)."""
    # os.path on strings, as corpus names files (ruff's PTH rules).
    cwd = os.getcwd()  # noqa: PTH109
    prefixes: set[str] = set()
    for root in roots:
        text = os.fspath(root)
        if text.startswith("upload: "):  # an uploaded file's name: already no server path
            continue
        for form in (os.path.abspath(text), os.path.realpath(text)):  # noqa: PTH100
            folder = form if not os.path.isfile(form) else os.path.dirname(form)  # noqa: PTH113, PTH120
            prefixes.add(folder.rstrip(os.sep) + os.sep)
            if folder.startswith(cwd.rstrip(os.sep) + os.sep):
                prefixes.add(os.path.relpath(folder, cwd) + os.sep)
    return sorted(prefixes, key=len, reverse=True)


def relative_files(files: pd.Series, roots: Iterable[str | os.PathLike[str]]) -> pd.Series:
    """File names relative to the data folder they are in; base names for any other."""
    prefixes = _root_prefixes(roots)

    def shown(name: str) -> str:
        for prefix in prefixes:
            if name.startswith(prefix):
                return name[len(prefix):]
        if os.path.isabs(name) or name.startswith(".." + os.sep):  # noqa: PTH117
            return os.path.basename(name)  # noqa: PTH119
        return name

    names = {f: shown(f) for f in files.dropna().unique() if isinstance(f, str)}
    return files.map(lambda f: names.get(f, f))


def _with_relative_files(table: pd.DataFrame, columns: Sequence[str],
                         roots: Iterable[str | os.PathLike[str]]) -> pd.DataFrame:
    """The chosen columns of `table`, the file column relative to `roots`."""
    out = table.loc[:, list(columns)].copy()
    if Col.FILE in out.columns:
        out[Col.FILE] = relative_files(out[Col.FILE], roots)
    return out


def timed_columns(table: pd.DataFrame) -> frozenset[str]:
    """The date columns of `table` that hold a time of day (written in full, not as days)."""
    out = set()
    for col in table.columns:
        column = table[col]
        if pd.api.types.is_datetime64_any_dtype(column):
            present = column.dropna()
            if not (present == present.dt.normalize()).all():
                out.add(col)
    return frozenset(out)


def _iso(column: pd.Series, timed: bool) -> pd.Series:
    """Timestamps as ISO text: the full time when `timed`, else the day."""
    if timed:
        return column.map(lambda t: t.isoformat() if pd.notna(t) else None)
    return column.dt.strftime("%Y-%m-%d")


def _csv_text(table: pd.DataFrame, columns: Sequence[str],
              roots: Iterable[str | os.PathLike[str]], timed: frozenset[str],
              header: bool) -> str:
    """Rows of `table` as CSV text (see `to_csv`), dates as `timed` says."""
    out = _with_relative_files(_with_credits(table), columns, roots)
    for col in out.columns:
        column = out[col]
        if pd.api.types.is_datetime64_any_dtype(column):
            out[col] = _iso(column, col in timed)
        elif not _is_plain(column):
            out[col] = column.astype(object).map(neutralise_cell)
    buffer = io.StringIO()
    out.to_csv(buffer, index=False, header=header, lineterminator="\r\n",
               quoting=csv.QUOTE_MINIMAL)
    return buffer.getvalue()


def to_csv(table: pd.DataFrame, columns: Sequence[str],
           roots: Iterable[str | os.PathLike[str]] = ()) -> bytes:
    """The chosen columns of `table` as spreadsheet-safe CSV bytes (see the module notes).

    Missing values become empty cells. A column missing from `table` is a KeyError:
    the export column lists and the resolved tables are meant to agree (a table not yet
    `credited` has empty credit cells). Files are named
    relative to `roots`, the data folders.
    """
    timed = timed_columns(table)
    return _csv_text(table, columns, roots, timed, header=True).encode(CSV_ENCODING)


def csv_chunks(chunks: Iterable[pd.DataFrame], columns: Sequence[str],
               roots: Iterable[str | os.PathLike[str]] = (),
               timed: frozenset[str] = frozenset()) -> Iterator[bytes]:
    """`to_csv` of a table that comes a chunk of rows at a time: the same bytes, in
    pieces, without the whole table ever in memory. `timed` names the date columns that
    hold a time of day anywhere in the table (`timed_columns` of the whole): a chunk
    alone cannot tell."""
    roots = list(roots)
    first = True
    for chunk in chunks:
        if len(chunk) or first:
            text = _csv_text(chunk, columns, roots, timed, header=first)
            yield (text.encode(CSV_ENCODING) if first else text.encode("utf-8"))
            first = False
    if first:  # no rows at all: the header alone
        yield _csv_text(pd.DataFrame(columns=list(columns)), columns, roots, timed,
                        header=True).encode(CSV_ENCODING)


def _json_value(value: object) -> Any:
    """One table cell as a JSON value: NaN/NaT/NA -> None, numpy -> Python, dates ISO."""
    if value is None or (not isinstance(value, str | list | dict) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    return value if isinstance(value, str) else str(value)


def _point(lat: object, lon: object) -> list[float] | None:
    """RFC 7946 Point coordinates [lon, lat], or None when the item has no usable point."""
    try:
        lat_f, lon_f = float(lat), float(lon)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(lat_f) and math.isfinite(lon_f)
            and -90 <= lat_f <= 90 and -180 <= lon_f <= 180):
        return None
    return [round(lon_f, COORDINATE_DECIMALS), round(lat_f, COORDINATE_DECIMALS)]


def _features(table: pd.DataFrame, columns: Sequence[str],
              roots: Iterable[str | os.PathLike[str]]) -> tuple[list[dict[str, Any]], int]:
    """The rows of `table` with a point as GeoJSON Features, and how many had none."""
    properties = [c for c in columns if c not in (Col.LAT, Col.LON)]
    features: list[dict[str, Any]] = []
    skipped = 0
    rows = _with_relative_files(_with_credits(table), [*properties, Col.LAT, Col.LON], roots)
    for row in rows.to_dict("records"):
        point = _point(row[Col.LAT], row[Col.LON])
        if point is None:
            skipped += 1
            continue
        feature: dict[str, Any] = {"type": "Feature"}
        if isinstance(row.get(Col.KEY), str):
            feature["id"] = row[Col.KEY]
        feature["geometry"] = {"type": "Point", "coordinates": point}
        feature["properties"] = {c: _json_value(row[c]) for c in properties}
        features.append(feature)
    return features, skipped


def table_to_geojson(table: pd.DataFrame, columns: Sequence[str],
                     roots: Iterable[str | os.PathLike[str]] = ()) -> dict[str, Any]:
    """Rows with a point -> an RFC 7946 FeatureCollection; the rest counted as skipped.

    Each Feature's id is the row's key; its properties are `columns` except lat and
    lon, which live in the geometry. Files are named relative to `roots`.
    """
    features, skipped = _features(table, columns, roots)
    return {"type": "FeatureCollection", "features": features, SKIPPED_MEMBER: skipped}


def geojson_chunks(chunks: Iterable[pd.DataFrame], columns: Sequence[str],
                   roots: Iterable[str | os.PathLike[str]] = ()) -> Iterator[bytes]:
    """`encode_geojson(table_to_geojson(...))` of a table that comes a chunk of rows at a
    time: the same bytes, in pieces, a chunk's Features at a time."""
    roots = list(roots)
    yield b'{"type": "FeatureCollection", "features": ['
    skipped, first = 0, True
    for chunk in chunks:
        features, missed = _features(chunk, columns, roots)
        skipped += missed
        for feature in features:
            text = json.dumps(feature, allow_nan=False, ensure_ascii=False)
            yield (text if first else ", " + text).encode("utf-8")
            first = False
    yield f'], "{SKIPPED_MEMBER}": {skipped}}}'.encode()


def spooled(pieces: Iterable[bytes], memory: int = 32 * 1024 * 1024) -> BinaryIO:
    """A file holding `pieces` one after another, read from its start: in memory up to
    `memory` bytes, past that on disk (a download of millions of rows).

    What comes back is an `io.BytesIO` or a file opened for reading (`io.BufferedReader`),
    the two kinds Streamlit's download button reads; the file on disk has no name left
    once it is open, and goes when it is closed.
    """
    buffer = io.BytesIO()
    pieces = iter(pieces)
    for piece in pieces:
        buffer.write(piece)
        if buffer.tell() > memory:
            break
    else:
        buffer.seek(0)
        return buffer
    with tempfile.NamedTemporaryFile(prefix="warlens-export-", delete=False) as disk:
        disk.write(buffer.getvalue())
        del buffer
        for piece in pieces:
            disk.write(piece)
    try:
        return open(disk.name, "rb")  # noqa: PTH123 - the caller reads it
    finally:
        os.unlink(disk.name)  # noqa: PTH108


def events_to_geojson(events: pd.DataFrame, roots: Iterable[str | os.PathLike[str]] = (),
                      ) -> dict[str, Any]:
    """Events with coordinates as an RFC 7946 FeatureCollection of Points."""
    return table_to_geojson(events, EXPORT_EVENT_COLUMNS, roots)


def claims_to_geojson(claims: pd.DataFrame, roots: Iterable[str | os.PathLike[str]] = (),
                      ) -> dict[str, Any]:
    """Claims placed at their place's coordinates, as an RFC 7946 FeatureCollection."""
    return table_to_geojson(claims, EXPORT_CLAIM_COLUMNS, roots)


def encode_geojson(collection: dict[str, Any]) -> bytes:
    """A FeatureCollection as UTF-8 JSON bytes; raises ValueError rather than write a NaN."""
    return json.dumps(collection, allow_nan=False, ensure_ascii=False).encode("utf-8")


def geojson_bytes(events: pd.DataFrame, roots: Iterable[str | os.PathLike[str]] = ()) -> bytes:
    """Events as a GeoJSON file's bytes (a download button's payload)."""
    return encode_geojson(events_to_geojson(events, roots))
