"""UCDP GED CSV -> native articles, one per event row.

The UCDP Georeferenced Event Dataset codes one event per row with a date range
(date_start..date_end and a date precision 1-5), a place with a precision 1-7, the
two sides, the type of violence and low/best/high death estimates. Each row becomes
an article whose text is the row's source headlines and source references, so the
event sits beside reporting on the timeline and map with UCDP's uncertainty kept:
the date range as given, the place drawn as an area when UCDP knows only a region.
docs/formats-datasets.md lists what is kept, lost and guessed.
"""

from __future__ import annotations

import datetime
import re
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
from warlens.formats.records import record_article, record_event, record_place
from warlens.gazetteer import get_gazetteer
from warlens.problems import WARNING
from warlens.text import clip

NAME = "ucdp"
OUTLET = "UCDP GED"
REQUIRED = ("id", "date_start")

#: type_of_violence -> (our event type, UCDP's name for it).
VIOLENCE_TYPES: dict[int, tuple[str, str]] = {
    1: ("battle", "state-based conflict"),
    2: ("battle", "non-state conflict"),
    3: ("violence_against_civilians", "one-sided violence"),
}
#: where_prec -> (our place precision, what UCDP knows of the place).
WHERE_PRECISION: dict[int, tuple[str, str]] = {
    1: ("exact", "exact location"),
    2: ("settlement", "within about 25 km of a known point"),
    3: ("district", "second-order administrative division"),
    4: ("region", "first-order administrative division"),
    5: ("region", "linear feature or ambiguous area"),
    6: ("country", "country only"),
    7: ("region", "international waters or airspace"),
}
#: date_prec -> what UCDP knows of the date (the range date_start..date_end holds it).
DATE_PRECISION: dict[int, str] = {
    1: "exact day",
    2: "within 2-6 days",
    3: "within a week",
    4: "within 8-30 days (month)",
    5: "within more than a month",
}
EVENT_CLARITY = {1: "high", 2: "low"}
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


#: The columns a UCDP GED file is recognised by, in a header within its first lines.
SIGNATURE = ("date_start", "where_prec", "side_a")


def detect(path: Path) -> bool:
    """A UCDP GED export: a .csv whose header holds date_start, where_prec and side_a."""
    return EXPORT.detect(path)


def read(path: Path, display: str, *, root: Path | str | None = None,
         label_map: object = None) -> Imported:
    """Read a UCDP GED CSV file into one native article per event row.

    A row with one bad value keeps the others (see `_build`), each left-out value
    reported with its line and column.
    """
    return EXPORT.read(path, display, root=root)


def _code(row: CsvRow, column: str, known: dict, table: CsvTable) -> int | None:
    """A numeric code cell; a warning (and None) when it is not one of `known`."""
    raw = row.get(column)
    if not raw:
        return None
    try:
        code = to_int(raw)
    except ValueError:
        code = None
    if code not in known:
        table.add(row.line, column, f"{raw!r} is not a UCDP {column} code "
                                        f"({', '.join(map(str, known))})", WARNING)
        return None
    return code


def _build(row: CsvRow, table: CsvTable, seen: dict[str, int], days: DayColumn) -> dict:
    """The article document of a row; RowError for a row that cannot be imported at all
    (no id, or one already imported). A bad date leaves the event undated, bad
    coordinates leave it off the map, and figures that contradict each other are left
    out while the consistent ones are kept: each with a warning."""
    ucdp_id, article_id = record_id(row, "id", "ucdp", seen)
    start, end = _dates(row, table, days)
    low, best, high, dropped = _estimates(row, table)
    place = _place(row, table)
    violence = _code(row, "type_of_violence", VIOLENCE_TYPES, table)
    event_type, violence_name = VIOLENCE_TYPES.get(violence or 0, ("other", ""))
    if violence is None:
        table.add(row.line, "type_of_violence",
                  "no type of violence given; imported as 'other'", WARNING)
    date_prec = _code(row, "date_prec", DATE_PRECISION, table)
    side_a, side_b = row.get("side_a"), row.get("side_b")
    dyad = row.get("dyad_name") or " - ".join(s for s in (side_a, side_b) if s)
    where = place["name"] if place else row.get("country")

    text, generated = _text(row, start, end, where, dyad, best)
    summary = (violence_name or "violence").capitalize()
    summary += f" at {where}" if where else ""
    summary += f": {dyad}" if dyad else ""
    actors = list(dict.fromkeys(clip(s) for s in (side_a, side_b) if s))
    casualties = None if low is None and high is None else {
        "low": low, "high": high, "text": _casualty_text(low, best, high) + dropped}
    event = record_event(ucdp_id, summary, event_type, _when(start, end), text, place,
                         actors=actors or None, casualties=casualties,
                         tags=_tags(row, violence, violence_name, date_prec))
    published, from_sources = _published(row, end)
    conflict = row.get("conflict_name") or dyad or "UCDP event"
    label = _dates_label(start, end)
    title = f"{conflict}: {where}, {label}" if where else f"{conflict}, {label}"
    head = {"id": article_id, "title": clip(title), "outlet": OUTLET, "published": published,
            "text": text}
    return record_article(head, _notes(row, generated, from_sources, end), "UCDP GED",
                          f"{table.file}:{row.line}", place, event)


def _dates(row: CsvRow, table: CsvTable, days: DayColumn
           ) -> tuple[datetime.date | None, datetime.date | None]:
    """The event's first and last day (date_start..date_end, the end defaulting to the
    start); a bad or earlier date_end keeps date_start alone, a bad date_start leaves
    the event undated, each with a warning."""
    start = end = None
    try:
        start = day_cell(row, "date_start", days)
        end = day_cell(row, "date_end", days) if row.get("date_end") else start
    except RowError as exc:
        table.keep_without(row, exc, "the event was imported "
                           f"{'with date_start alone' if start else 'undated'}")
        end = start
    if start is not None and end is not None and end < start:
        table.add(row.line, "date_end", f"{end.isoformat()} is before date_start "
                  f"{start.isoformat()}; the event was imported with date_start alone",
                  WARNING)
        end = start
    return start, end


def _when(start: datetime.date | None, end: datetime.date | None) -> str | dict:
    """The dates as an event's `when`: 'undated', a day, or a from/to range."""
    if start is None or end is None or start == end:
        return _dates_label(start, end)
    return {"from": start.isoformat(), "to": end.isoformat()}


def _dates_label(start: datetime.date | None, end: datetime.date | None) -> str:
    """The dates in a title: 'undated', a day, or `2023-05-01 to 2023-05-03`."""
    if start is None or end is None:
        return "undated"
    return start.isoformat() if start == end else f"{start.isoformat()} to {end.isoformat()}"


def _notes(row: CsvRow, generated: bool, from_sources: bool,
           end: datetime.date | None) -> list[str]:
    """The article's notes: a generated text, UCDP's deaths by party, an inferred date."""
    notes = []
    if generated:
        notes.append("UCDP gives no source headline or article text for this event; the text "
                     "was generated from the record's fields by warlens.")
    deaths = _deaths(row)
    if deaths:
        notes.append(f"UCDP deaths by party: {deaths}.")
    if not from_sources and end is not None:
        notes.append("The published date is the event's last day, not a source's date.")
    return notes


def _estimates(row: CsvRow, table: CsvTable
               ) -> tuple[int | None, int | None, int | None, str]:
    """low, best and high deaths as far as they agree with each other, and a note on
    what was left out ("" if nothing) for the casualty text.

    A figure that is not a whole number is left out. When low is above high (UCDP's
    candidate events have this, even with high 0), the one that also disagrees with
    best is left out (both, if best cannot tell), and the event keeps the others.
    """
    values: dict[str, int | None] = {}
    for column in ("low", "best", "high"):
        try:
            values[column] = whole_cell(row, column)
        except RowError as exc:
            table.keep_without(row, exc, "left out of the casualty figures")
            values[column] = None
    low, best, high = values["low"], values["best"], values["high"]
    note = ""
    if low is not None and high is not None and low > high:
        if best is not None and low <= best:
            dropped, high = f"high {high}", None
        elif best is not None and best <= high:
            dropped, low = f"low {low}", None
        else:
            dropped, low, high = f"low {low} and high {high}", None, None
        kept = ", ".join(f"{name} {value}" for name, value in
                         (("low", low), ("best", best), ("high", high)) if value is not None)
        table.add(row.line, "low", f"the low estimate {values['low']} is above the high "
                  f"estimate {values['high']}; {dropped} left out, the event kept"
                  + (f" with {kept}" if kept else " without casualty figures"), WARNING)
        note = f"; UCDP's {dropped} left out: it contradicts the other figures"
    if low is None and best is not None:
        low = best if high is None else min(best, high)
    if high is None and best is not None:
        high = max(best, low if low is not None else best)
    return low, best, high, note


def _place(row: CsvRow, table: CsvTable) -> dict | None:
    """The event's place from where_coordinates/where_description, lat/lon and where_prec;
    bad coordinates are left out with a warning and the place kept by its name."""
    lat, lon = coordinates(row, table)
    where_prec = _code(row, "where_prec", WHERE_PRECISION, table)
    precision = WHERE_PRECISION[where_prec][0] if where_prec else "region"
    country_name = row.get("country")
    name = (row.get("where_coordinates") or row.get("where_description") or row.get("adm_2")
            or row.get("adm_1") or country_name)
    if not name and lat is None:
        return None
    description = row.get("where_description")
    aliases = (description,) if lat is None and description and description != name else ()
    # In international waters (7) the country is the conflict's, not the place's.
    country = _country(country_name) if where_prec != 7 else None
    return record_place(name, lat, lon, aliases=aliases, precision=precision, country=country)


def _text(row: CsvRow, start: datetime.date | None, end: datetime.date | None, where: str,
          dyad: str, best: int | None) -> tuple[str, bool]:
    """The article text: headlines, then source references; else a generated sentence."""
    parts = [p for p in (row.get("source_headline"), row.get("source_article")) if p]
    if parts:
        return "\n\n".join(parts), False
    sentence = "UCDP records an event"
    if dyad:
        sentence += f" involving {dyad}"
    if where:
        sentence += f" at {where}"
    if start is not None and end is not None:
        sentence += f" on {start.isoformat()}" if start == end else \
            f" between {start.isoformat()} and {end.isoformat()}"
    if best is not None:
        sentence += f", with a best estimate of {best} deaths"
    return sentence + ".", True


def _casualty_text(low: int | None, best: int | None, high: int | None) -> str:
    """UCDP's three estimates in words; the best one is the figure UCDP recommends."""
    shown = f"UCDP best estimate {best}" if best is not None else "UCDP estimate"
    return f"{shown} (low {low}, high {high})"


def _deaths(row: CsvRow) -> str:
    """UCDP's deaths by party, as written, for the article's notes ("" if none given)."""
    parts = []
    for column, label in (("deaths_a", "side A"), ("deaths_b", "side B"),
                          ("deaths_civilians", "civilians"), ("deaths_unknown", "unknown")):
        if row.get(column):
            parts.append(f"{label} {row.get(column)}")
    return ", ".join(parts)


def _published(row: CsvRow, end: datetime.date | None) -> tuple[str | dict, bool]:
    """The earliest source date given, else the event's last day marked inferred."""
    days = []
    for found in _ISO_DAY.findall(row.get("source_date")):
        try:
            days.append(datetime.date.fromisoformat(found))
        except ValueError:
            continue
    if days:
        return min(days).isoformat(), True
    if end is None:
        return "undated", False
    return {"date": end.isoformat(), "inferred": True}, False


def _tags(row: CsvRow, violence: int | None, violence_name: str,
          date_prec: int | None) -> list[str]:
    """UCDP's codes, in words, and its sources as `name: value` tags."""
    tags: list[str] = []
    if violence is not None:
        tags.append(f"type_of_violence: {violence} ({violence_name})")
    for column, label in (("conflict_name", "conflict"), ("dyad_name", "dyad")):
        if row.get(column):
            tags.append(clip(f"{label}: {row.get(column)}"))
    if date_prec is not None:
        tags.append(f"date_prec: {date_prec} ({DATE_PRECISION[date_prec]})")
    where_prec = _int_or_none(row.get("where_prec"))
    if where_prec in WHERE_PRECISION:
        tags.append(f"where_prec: {where_prec} ({WHERE_PRECISION[where_prec][1]})")
    clarity = _int_or_none(row.get("event_clarity"))
    if clarity in EVENT_CLARITY:
        tags.append(f"event_clarity: {clarity} ({EVENT_CLARITY[clarity]})")
    tags.extend(clip(f"source: {s}") for s in split_list(row.get("source_office")))
    tags.extend(clip(f"original source: {s}") for s in split_list(row.get("source_original")))
    return tags


def _int_or_none(text: str) -> int | None:
    """A whole number, or None for an empty or unreadable cell."""
    try:
        return to_int(text)
    except ValueError:
        return None


@lru_cache(maxsize=512)
def _country(name: str) -> str | None:
    """ISO 3166 alpha-2 from a UCDP country name such as "Russia (Soviet Union)"."""
    if not name:
        return None
    gazetteer = get_gazetteer()
    for candidate in (name, re.sub(r"\s*\(.*?\)\s*", " ", name).strip()):
        found = gazetteer.country(candidate) if candidate else None
        if found is not None and found.country:
            return found.country
    return None


# date_start and date_end are written alike: decided on together, said once.
EXPORT = CsvExport(SIGNATURE, REQUIRED, ("date_start", "date_end"), _build,
                   "the row had no year")
FORMAT = Format(NAME, "UCDP", (".csv",), detect, read, rank=50)
