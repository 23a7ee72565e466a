"""One dataset record -> one native article: the parts the dataset readers build alike.

An ACLED or UCDP GED row and a TimeMap event each become an article with one event
and, when the record names or locates one, one place. The readers differ in what
they read from a record; the shape they write it into is the same, and lives here.
"""

from __future__ import annotations

import datetime
from typing import Any

from warlens.model import EventIn
from warlens.text import clip, key_slug


def inferred_date(day: datetime.date) -> dict[str, Any]:
    """A published value for a date worked out rather than read: {date:, inferred: true}."""
    return {"date": day.isoformat(), "inferred": True}


def published_on(day: datetime.date | None) -> str | dict[str, Any]:
    """The published value of a record dated only by its event: that day, marked
    inferred, or 'undated'."""
    return inferred_date(day) if day else "undated"


def record_place(name: str, lat: float | None, lon: float | None, *,
                 aliases: tuple[str, ...] = (), precision: str | None = None,
                 country: str | None = None) -> dict[str, Any] | None:
    """The place of a record, by its name and coordinates (either may be missing);
    None when it has neither. A place known only by coordinates is named by them."""
    if not name and lat is None:
        return None
    place: dict[str, Any] = {"id": key_slug(name) or "place",
                             "name": clip(name or f"{lat}, {lon}")}
    if aliases:
        place["aliases"] = [clip(a) for a in aliases]
    if lat is not None:
        place["lat"], place["lon"] = lat, lon
    if precision is not None:
        place["precision"] = precision
    if country:
        place["country"] = country
    return place


def record_event(record_id: str, summary: str, event_type: str, when: str | dict,
                 text: str, place: dict[str, Any] | None, **more: Any) -> dict[str, Any]:
    """A record's one event, quoting the article's whole text: `e-<record id>`, at
    `place` if it has one. `more` holds any other event keys (actors, casualties,
    sources, tags); a None one is left out."""
    event: dict[str, Any] = {"id": key_slug(f"e-{record_id}"), "summary": clip(summary),
                             "type": event_type, "when": when, "quote": text}
    if place is not None:
        event["place"] = place["id"]
    event.update((key, value) for key, value in more.items() if value is not None)
    return event


def record_article(head: dict, notes: list[str], tag: str, source: str, place: dict | None,
                   event: dict) -> dict:
    """The article document of one dataset record (a CSV row, a TimeMap event).

    `head` holds its id, title, outlet, published date and text; then come its notes,
    its one tag, the record it came from (`file:line`), its place if known, and its one
    event (only the keys an event may hold).
    """
    doc = dict(head)
    if notes:
        doc["notes"] = " ".join(notes)
    doc["tags"] = [tag]
    doc["source_file"] = clip(source)
    if place is not None:
        doc["places"] = [place]
    doc["events"] = [{k: event[k] for k in EventIn.model_fields if k in event}]
    return doc
