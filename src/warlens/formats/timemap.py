"""TimeMap (datasheet-server) export -> native articles, one per event.

Forensic Architecture's TimeMap reads three JSON files that datasheet-server
exports: `export_events.json` (a list of events with a description, an M/D/YYYY
date, a location and latitude/longitude as strings), `export_sources.json` (source
id -> title, description and `paths`, the media or web addresses) and
`export_associations.json` (filters and narratives, each with `filter_paths`).
Each event becomes an article whose text is its description, whose one event links
the event's web sources, and whose tags carry its filters and narratives.
docs/formats-datasets.md lists what is kept, lost and guessed.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from warlens import boundary, model
from warlens.formats import Format, Imported
from warlens.formats.csvutil import RowError, to_float
from warlens.formats.exportdates import DayColumn
from warlens.formats.records import published_on, record_article, record_event, record_place
from warlens.problems import WARNING, Collector, Problem
from warlens.text import clip, key_slug, unique_id
from warlens.yamlio import Path as DocPath

NAME = "timemap"
OUTLET = "TimeMap"
EVENTS_FILE = "export_events.json"
SOURCES_FILE = "export_sources.json"
ASSOCIATIONS_FILE = "export_associations.json"
#: The other files of an export: read along with export_events.json, never on their own.
SIDE_FILES = (SOURCES_FILE, ASSOCIATIONS_FILE)
_WEB_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_SUMMARY_LENGTH = 200


def detect(path: Path) -> bool:
    """A TimeMap export: a file named export_events.json (its siblings are read too)."""
    return path.name == EVENTS_FILE and path.is_file()


def companions(path: Path, root: Path | str | None) -> list[Path]:
    """The export's sources and associations, read along with its events."""
    return [path.with_name(SOURCES_FILE), path.with_name(ASSOCIATIONS_FILE)]


def is_side_file(path: Path) -> bool:
    """One of an export's other files (export_sources.json, export_associations.json,
    or any export_*.json beside an export_events.json): read with the events, if at all."""
    name = path.name
    return name != EVENTS_FILE and (name in SIDE_FILES or (
        name.startswith("export_") and name.endswith(".json")
        and (path.parent / EVENTS_FILE).exists()))


@dataclass
class _Export(Collector):
    """The three files of one export, as read, with where each item came from; `file` is
    the events file, which its problems are said against."""

    events: list[tuple[int, Any]] = field(default_factory=list)
    root: Path | str | None = None
    sources: dict[str, dict] = field(default_factory=dict)
    associations: dict[str, dict] = field(default_factory=dict)


def read(path: Path, display: str, *, root: Path | str | None = None,
         label_map: object = None) -> Imported:
    """Read a TimeMap export (its folder or its export_events.json) into native articles.

    Raises OSError if export_events.json cannot be read; a missing or broken sibling
    file is a problem, and the events are imported without what it would have added.
    A sibling that leads outside `root` (the data folder; None: the export's folder),
    is not a regular file or is too big is such a problem too, and is never read.
    Two different events under one id are both kept, the second under a new id.
    """
    folder = path if path.is_dir() else path.parent
    shown = Path(display) if path.is_file() else Path(display) / EVENTS_FILE
    export = _Export(str(shown), root=folder if root is None else root)
    export.events = _load(folder / EVENTS_FILE, str(shown), list, export, required=True)
    for line, item in _load(folder / SOURCES_FILE, str(shown.with_name(SOURCES_FILE)), dict,
                            export):
        if isinstance(item, tuple) and isinstance(item[1], dict):
            export.sources[str(item[0])] = {**item[1], "_line": line}
    for line, item in _load(folder / ASSOCIATIONS_FILE,
                            str(shown.with_name(ASSOCIATIONS_FILE)), list, export):
        if isinstance(item, dict) and item.get("id") is not None:
            export.associations[str(item["id"])] = {**item, "_line": line}

    result = Imported(problems=export.problems)
    days = DayColumn("date", (_text_of(raw.get("date")) for _, raw in export.events
                              if isinstance(raw, dict)), month_first=True, documented=True)
    if days.note:
        export.add(1, "date", days.note, WARNING)
    seen: dict[str, list[tuple[int, object]]] = {}  # article id -> the events under it
    taken: set[str] = set()
    for line, raw in export.events:
        under = seen.get(key_slug(f"timemap-{_text_of(raw.get('id'))}"), []) \
            if isinstance(raw, dict) else []
        same = next((at for at, other in under if other == raw), None)
        if same is not None:
            export.add(line, "id", f"repeats the event on line {same} exactly; read once",
                       WARNING)
            continue
        try:
            doc = _article(raw, line, export, days)
        except RowError as exc:
            export.add(line, exc.column, f"{exc.message}; the event was skipped")
            continue
        base = doc["id"]
        doc["id"] = unique_id(base, taken)
        if doc["id"] != base:
            doc["events"][0]["id"] += doc["id"][len(base):]  # e-7 -> e-7-2, as the article
            clash = (f"is also used by another event (line {seen[base][0][0]})" if base in seen
                     else f"gives the article id '{base}', already given to a renamed event")
            export.add(line, "id", f"event id '{_text_of(raw.get('id'))}' {clash}; both "
                       f"were kept, this one as article '{doc['id']}'", WARNING)
        seen.setdefault(base, []).append((line, raw))
        lines: dict[DocPath, int] = {(): line}
        result.docs.append((doc, lines))
    return result


def _load(path: Path, shown: str, kind: type, export: _Export, *,
          required: bool = False) -> list[tuple[int, Any]]:
    """The items of a JSON list (or the (key, value) members of an object), with lines.

    A missing optional file is silent; a missing events file raises OSError. A side
    file that may not be read (outside the data folder, not regular, too big) is a
    problem of that file.
    """
    problems = export.problems
    if not (path.exists() or path.is_symlink()) and not required:
        return []
    try:
        data = boundary.read_bytes(path, boundary.CAPS["export" if required else "side"],
                                   export.root, "a TimeMap export file")
    except OSError as exc:
        if required:
            raise
        problems.append(Problem(shown, None, "(file)", f"cannot be read: "
                                f"{exc.strerror or exc}; the events were imported without it"))
        return []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append(Problem(shown, data.count(b"\n", 0, exc.start) + 1, "(file)",
                                f"the file is not valid UTF-8 (byte 0x{data[exc.start]:02X}); "
                                "nothing was read from it"))
        return []
    try:
        whole = json.loads(text)
    except json.JSONDecodeError as exc:
        problems.append(Problem(shown, exc.lineno, "(file)",
                                f"is not valid JSON: {exc.msg}; nothing was read from it"))
        return []
    if not isinstance(whole, kind):
        expected = "a list" if kind is list else "an object"
        problems.append(Problem(shown, 1, "(file)",
                                f"must hold {expected} at the top, not {type(whole).__name__}; "
                                "nothing was read from it"))
        return []
    return list(_with_lines(text))


def _with_lines(text: str) -> Iterator[tuple[int, Any]]:
    """Each top-level item of a JSON list, or (key, value) of an object, with its line.

    The text is known to be valid JSON; this walks it again with raw_decode to learn
    where each item starts, which json.loads does not tell.
    """
    decoder = json.JSONDecoder()
    pos = _skip(text, 0)
    is_object = text[pos] == "{"
    pos = _skip(text, pos + 1)
    line, counted = 1, 0  # lines counted up to `counted`, so the walk stays linear
    while text[pos] not in "]}":
        line += text.count("\n", counted, pos)
        counted = pos
        if is_object:
            name, pos = decoder.raw_decode(text, pos)
            pos = _skip(text, _skip(text, pos) + 1)  # past ':'
            value, pos = decoder.raw_decode(text, pos)
            yield line, (name, value)
        else:
            value, pos = decoder.raw_decode(text, pos)
            yield line, value
        pos = _skip(text, pos)
        if text[pos] == ",":
            pos = _skip(text, pos + 1)


def _skip(text: str, pos: int) -> int:
    while text[pos] in " \t\r\n":
        pos += 1
    return pos


def _text_of(value: object) -> str:
    """A JSON value as stripped text ("" for null)."""
    if value is None:
        return ""
    return str(value).strip()


def _article(raw: object, line: int, export: _Export, days: DayColumn) -> dict:
    """One event as a native article document; RowError for what cannot be imported
    (no id). A bad date or bad coordinates are left out with a warning and the event
    kept."""
    if not isinstance(raw, dict):
        raise RowError("(event)", f"each event must be an object, not {type(raw).__name__}")
    event_id = _text_of(raw.get("id"))
    if not event_id:
        raise RowError("id", "is missing or empty")
    day = _day(raw, line, export, days)
    try:
        lat, lon = _coordinates(raw)
    except RowError as exc:
        export.add(line, exc.column, f"{exc.message}; the event was imported without "
                   "coordinates", WARNING)
        lat = lon = None
    location = _text_of(raw.get("location"))
    text, notes = _text(raw, event_id, location, day)
    urls, source_tags = _sources(raw.get("sources"), event_id, line, export)
    event_type, association_tags = _associations(raw.get("associations"), event_id, line,
                                                 export)
    tags = [*association_tags, *source_tags]
    if time := _text_of(raw.get("time")):
        tags.append(clip(f"time: {time}"))
    summary = clip(text.splitlines()[0], _SUMMARY_LENGTH)
    place = record_place(location, lat, lon)
    event = record_event(event_id, summary, event_type, day.isoformat() if day else "undated",
                         text, place, sources=urls or None,
                         tags=list(dict.fromkeys(tags)) or None)
    head = {"id": key_slug(f"timemap-{event_id}"), "title": summary, "outlet": OUTLET,
            "published": published_on(day), "text": text}
    return record_article(head, notes, "TimeMap", f"{export.file}:{line}", place, event)


def _day(raw: dict, line: int, export: _Export, days: DayColumn) -> datetime.date | None:
    """The event's day; None for no date, or for one that cannot be read (said)."""
    date_text = _text_of(raw.get("date"))
    if not date_text:
        return None
    try:
        return days.day(date_text)
    except ValueError as exc:
        export.add(line, "date", f"{exc}; the event was imported undated", WARNING)
        return None


def _text(raw: dict, event_id: str, location: str, day: datetime.date | None
          ) -> tuple[str, list[str]]:
    """The article's text (the event's description, else a sentence from its fields)
    and the notes saying what was made up or missing."""
    description = _text_of(raw.get("description"))
    notes: list[str] = []
    if description:
        text = description
    else:
        text = f"TimeMap event {event_id}"
        text += f" at {location}" if location else ""
        text += f" on {day.isoformat()}" if day else ""
        text += "."
        notes.append("The TimeMap event has no description; the text was generated from "
                     "its fields by warlens.")
    if day is None:
        notes.append("The TimeMap event has no date.")
    return text, notes


def _coordinates(raw: dict) -> tuple[float | None, float | None]:
    """latitude/longitude (strings or numbers, possibly empty), both or neither."""
    values: dict[str, float | None] = {}
    for column in ("latitude", "longitude"):
        try:
            values[column] = to_float(_text_of(raw.get(column)))
        except ValueError:
            raise RowError(column, f"{raw.get(column)!r} is not a number") from None
    lat, lon = values["latitude"], values["longitude"]
    if (lat is None) != (lon is None):
        column = "latitude" if lat is None else "longitude"
        raise RowError(column, "is empty but the other coordinate is given")
    if lat is not None and not -90 <= lat <= 90:
        raise RowError("latitude", f"{lat} is out of range (-90 to 90)")
    if lon is not None and not -180 <= lon <= 180:
        raise RowError("longitude", f"{lon} is out of range (-180 to 180)")
    return lat, lon


def _ids(value: object) -> list[str]:
    """A list of ids as text; a single id is taken as a list of one."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [_text_of(v) for v in items if _text_of(v)]


def _sources(value: object, event_id: str, line: int, export: _Export) -> tuple[list[str],
                                                                                list[str]]:
    """The event's sources: their web addresses (kept) and titles (as tags)."""
    urls: list[str] = []
    tags: list[str] = []
    for source_id in _ids(value):
        source = export.sources.get(source_id)
        if source is None:
            export.add(line, "sources", f"source '{source_id}' of event '{event_id}' is "
                                            f"not in {SOURCES_FILE}", WARNING)
            continue
        title = _text_of(source.get("title"))
        tags.append(clip(f"source: {title or source_id}"))
        for path in _ids(source.get("paths")):
            if _WEB_URL.match(path):
                if path not in urls:
                    urls.append(path)
            else:
                export.add(line, "sources",
                           f"source '{source_id}' path {path!r} is not an http(s) "
                           "address; left out of the event's sources", WARNING)
    return urls, tags


def _associations(value: object, event_id: str, line: int,
                  export: _Export) -> tuple[str, list[str]]:
    """The event's type (from the first association naming one of ours) and its tags."""
    event_type = "other"
    tags: list[str] = []
    for association_id in _ids(value):
        association = export.associations.get(association_id)
        if association is None:
            export.add(line, "associations",
                       f"association '{association_id}' of event '{event_id}' is not in "
                       f"{ASSOCIATIONS_FILE}", WARNING)
            continue
        title = _text_of(association.get("title")) or association_id
        paths = _ids(association.get("filter_paths"))
        if _text_of(association.get("mode")).upper() == "NARRATIVE":
            tags.append(clip(f"narrative: {title}"))
        else:
            tags.append(clip("/".join(paths) if paths else title))
        if event_type == "other":
            for name in (title, *reversed(paths)):
                found = _our_type(name)
                if found:
                    event_type = found
                    break
    return event_type, tags


def _normal(name: str) -> str:
    return " ".join(re.sub(r"[_/\-]+", " ", name.lower()).split())


#: Names an association may carry for each of our types: our ids, our labels, ACLED's names.
_TYPE_NAMES: dict[str, str] = {
    **{_normal(v): k for k, v in model.EVENT_TYPES.items() if v and k != "territorial_control"},
    **{_normal(v): k for k, v in model.EVENT_TYPE_LABELS.items()},
    **{_normal(k): k for k in model.EVENT_TYPES},
}


def _our_type(name: str) -> str | None:
    """Our event type if `name` is one of our type ids or labels, or an ACLED type name."""
    found = _TYPE_NAMES.get(_normal(name))
    return found if found and found != "other" else None


def main_file(side: Path) -> Path:
    """The export_events.json a side file is read along with."""
    return side.with_name(EVENTS_FILE)


FORMAT = Format(NAME, "TimeMap", (".json",), detect, read, companions,
                is_side_file=is_side_file, main_file=main_file, rank=30)
