"""One native article file -> resolved rows and problems.

This is where the article format's rules are enforced: record by record, so
that a bad event is reported with its line and dropped while the rest of the
article still loads. The rows produced are plain dicts keyed by `model.Col`;
`corpus` stacks them into tables.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from warlens import dates, model
from warlens.dates import When
from warlens.gazetteer import Gazetteer, get_gazetteer
from warlens.model import Col, key
from warlens.problems import ERROR, WARNING, Problem, Severity, WarlensError
from warlens.spans import FoldedText
from warlens.yamlio import Path, field_name, line_of, load_yaml

Row = dict[str, Any]


@dataclass
class ArticleRows:
    """What one article contributes to the corpus tables."""

    article: Row
    places: list[Row] = field(default_factory=list)
    events: list[Row] = field(default_factory=list)
    claims: list[Row] = field(default_factory=list)


@dataclass
class FileResult:
    """Everything read from one file: its articles (zero or more) and its problems."""

    file: str
    articles: list[ArticleRows] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


class _Reporter:
    """Collects problems for one file, turning YAML paths into lines and field names."""

    def __init__(self, file: str, lines: dict[Path, int]) -> None:
        self.file = file
        self.lines = lines
        self.problems: list[Problem] = []

    def line(self, path: Path) -> int | None:
        """The 1-based line of `path`, or of its nearest ancestor."""
        return line_of(self.lines, path)

    def add(self, path: Path, message: str, severity: Severity = ERROR) -> None:
        self.problems.append(Problem(self.file, self.line(path), field_name(path), message,
                                     severity))

    def validation(self, base: Path, error: ValidationError, model_cls: type[BaseModel]) -> None:
        for err in error.errors(include_url=False):
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p))
            self.add(base + loc, _humane(err, model_cls))


def _humane(err: Mapping[str, Any], model_cls: type[BaseModel]) -> str:
    """Pydantic's message, said the way a person editing the file needs it."""
    kind = err["type"]
    name = err["loc"][-1] if err["loc"] else ""
    if kind == "extra_forbidden":
        known = list(model_cls.model_fields)
        near = difflib.get_close_matches(str(name), known, n=1)
        hint = f" (did you mean '{near[0]}'?)" if near else f"; known keys: {', '.join(known)}"
        return f"unknown key '{name}'{hint}"
    if kind == "missing":
        return "is required but missing"
    if kind == "string_pattern_mismatch" and name in ("id", "place", "about"):
        return ("must be a slug: lower-case letters, digits, '-' and '_', "
                f"starting with a letter or digit (got {err.get('input')!r})")
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    return msg[0].lower() + msg[1:] if msg else kind


def read_article_file(data: bytes, file: str, gazetteer: Gazetteer | None = None) -> FileResult:
    """Parse and check one native article file; never raises for bad content."""
    result = FileResult(file)
    try:
        doc, lines = load_yaml(data)
    except WarlensError as exc:
        result.problems.append(exc.to_problem(file))
        return result
    report = _Reporter(file, lines)
    rows = _read_article(doc, report, gazetteer or get_gazetteer(), file)
    if rows is not None:
        result.articles.append(rows)
    result.problems.extend(report.problems)
    return result


def _read_article(doc: object, report: _Reporter, gaz: Gazetteer, file: str) -> ArticleRows | None:
    if not isinstance(doc, dict):
        report.add((), f"an article file must be a mapping of keys (id, title, text, ...), "
                       f"not a {type(doc).__name__}")
        return None
    head_raw = {k: v for k, v in doc.items() if k not in model.SECTIONS}
    try:
        head = model.ArticleHead.model_validate(head_raw)
    except ValidationError as exc:
        report.validation((), exc, model.ArticleHead)
        return None
    try:
        published = dates.parse_published(head.published)
    except WarlensError as exc:
        report.add(("published",), exc.message)
        return None

    sections: dict[str, list[tuple[int, Any]]] = {}
    for name in model.SECTIONS:
        items = doc.get(name, [])
        if items is None:
            items = []
        if not isinstance(items, list):
            report.add((name,), f"must be a list of {name}, not a {type(items).__name__}")
            items = []
        sections[name] = list(enumerate(items))

    article_id = head.id
    text = FoldedText(head.text)
    article_row: Row = {
        Col.ARTICLE: article_id, Col.TITLE: head.title, Col.OUTLET: head.outlet,
        Col.URL: head.url, Col.PUBLISHED_START: published.start, Col.PUBLISHED_END: published.end,
        Col.PUBLISHED_LABEL: published.label(), Col.PUBLISHED_INFERRED: published.inferred,
        Col.AUTHOR: head.author, Col.LANGUAGE: head.language, Col.TEXT: head.text,
        Col.NOTES: head.notes, Col.TAGS: "; ".join(head.tags), Col.FILE: file,
        Col.DRAFT: head.draft,
    }
    rows = ArticleRows(article_row)
    places = _read_places(sections["places"], report, gaz, article_id, file)
    rows.places = list(places.values())
    events = _read_events(sections["events"], report, places, text, published, article_id, file)
    rows.events = list(events.values())
    rows.claims = _read_claims(sections["claims"], report, places, events, text, published,
                               article_id, file)
    return rows


def _validated(items: Iterable[tuple[int, Any]], section: str, model_cls: type[BaseModel],
               report: _Reporter) -> list[tuple[int, Any]]:
    """Validate each item; report the bad ones and the duplicate ids; keep the good."""
    good: list[tuple[int, Any]] = []
    first_line: dict[str, int | None] = {}
    for i, raw in items:
        if not isinstance(raw, dict):
            report.add((section, i), f"each entry of {section} must be a mapping, "
                                     f"not a {type(raw).__name__}")
            continue
        try:
            item = model_cls.model_validate(raw)
        except ValidationError as exc:
            report.validation((section, i), exc, model_cls)
            continue
        item_id = item.id  # type: ignore[attr-defined]
        if item_id in first_line:
            report.add((section, i, "id"), f"id '{item_id}' is used twice in this article "
                                           f"(first on line {first_line[item_id]})")
            continue
        first_line[item_id] = report.line((section, i))
        good.append((i, item))
    return good


def _read_places(items: list[tuple[int, Any]], report: _Reporter, gaz: Gazetteer,
                 article: str, file: str) -> dict[str, Row]:
    valid = _validated(items, "places", model.PlaceIn, report)
    context = {p.country for _, p in valid if p.country}
    for _, p in valid:
        if p.precision == "country" and not p.country:
            found = gaz.country(p.name)
            if found:
                context.add(found.country)
    places: dict[str, Row] = {}
    for i, p in valid:
        lat, lon, country, geonames, admin1 = p.lat, p.lon, p.country, p.geonames, ""
        resolved_by = "file" if lat is not None else "none"
        if lat is None:
            hit = None
            if p.precision == "country":
                hit = gaz.country(p.country or p.name)
            if hit is None and p.geonames:
                hit = gaz.by_geonames(p.geonames)
            for name in (p.name, *p.aliases):
                if hit is not None:
                    break
                hit = gaz.lookup(name, context=sorted(context))
            if hit is not None:
                lat, lon, resolved_by = hit.lat, hit.lon, "gazetteer"
                country = country or hit.country or None
                geonames = geonames or hit.geonames
                admin1 = hit.admin1
            else:
                report.add(("places", i, "name"),
                           f"'{p.name}' is not in the gazetteer and has no lat/lon: "
                           "it stays off the map (add lat and lon, or an alias)", WARNING)
        places[p.id] = {
            Col.KEY: key(article, p.id), Col.ARTICLE: article, Col.ID: p.id,
            Col.PLACE_NAME: p.name, Col.LAT: lat, Col.LON: lon, Col.PRECISION: p.precision,
            Col.COUNTRY: country, Col.COUNTRY_NAME: gaz.country_name(country) if country else "",
            Col.GEONAMES: geonames, Col.ADMIN1: admin1, Col.RESOLVED_BY: resolved_by,
            Col.FILE: file, Col.LINE: report.line(("places", i)),
            Col.DRAFT: p.draft,
        }
    return places


def _span(text: FoldedText, quote: str, path: Path, report: _Reporter) -> tuple[int, int] | None:
    span = text.find(quote)
    if span is None:
        shown = quote if len(quote) <= 80 else quote[:77] + "..."
        report.add(path, f"quote not found in the article's text: '{shown}' "
                         "(copy the sentence from `text` exactly)")
    return span


def _place_fields(places: Mapping[str, Row], place_id: str | None) -> Row:
    place = places.get(place_id) if place_id else None
    if place is None:
        return {Col.PLACE: None, Col.PLACE_NAME: None, Col.LAT: None, Col.LON: None,
                Col.PRECISION: None, Col.COUNTRY: None, Col.COUNTRY_NAME: "", Col.ADMIN1: ""}
    return {Col.PLACE: place[Col.KEY], Col.PLACE_NAME: place[Col.PLACE_NAME],
            Col.LAT: place[Col.LAT], Col.LON: place[Col.LON], Col.PRECISION: place[Col.PRECISION],
            Col.COUNTRY: place[Col.COUNTRY], Col.COUNTRY_NAME: place[Col.COUNTRY_NAME],
            Col.ADMIN1: place[Col.ADMIN1]}


def _when_fields(when: When) -> Row:
    return {Col.START: when.start, Col.END: when.end, Col.DATE_PRECISION: when.precision,
            Col.DATE_LABEL: when.label()}


def _read_events(items: list[tuple[int, Any]], report: _Reporter, places: Mapping[str, Row],
                 text: FoldedText, published: When, article: str, file: str) -> dict[str, Row]:
    events: dict[str, Row] = {}
    base = published.end
    for i, e in _validated(items, "events", model.EventIn, report):
        try:
            when = dates.parse_when(e.when, base)
        except WarlensError as exc:
            report.add(("events", i, "when"), exc.message)
            continue
        if e.place is not None and e.place not in places:
            report.add(("events", i, "place"), _missing_ref("place", e.place, places))
            continue
        span = _span(text, e.quote, ("events", i, "quote"), report)
        if span is None:
            continue
        cas = e.casualties
        events[e.id] = {
            Col.KEY: key(article, e.id), Col.ARTICLE: article, Col.ID: e.id,
            Col.SUMMARY: e.summary, Col.TYPE: e.type, **_when_fields(when),
            Col.DATE_TEXT: when.text, **_place_fields(places, e.place),
            Col.ACTORS: "; ".join(e.actors), Col.QUOTE: e.quote,
            Col.SPAN_START: span[0], Col.SPAN_END: span[1],
            Col.CASUALTIES_LOW: cas.low if cas else None,
            Col.CASUALTIES_HIGH: cas.high if cas else None,
            Col.CASUALTIES_TEXT: cas.text if cas else None,
            Col.SOURCES: " ".join(e.sources), Col.TAGS: "; ".join(e.tags),
            Col.CONTESTED: False, Col.N_CLAIMS: 0, Col.FILE: file,
            Col.LINE: report.line(("events", i)), Col.DRAFT: e.draft,
        }
    return events


def _read_claims(items: list[tuple[int, Any]], report: _Reporter, places: Mapping[str, Row],
                 events: Mapping[str, Row], text: FoldedText, published: When, article: str,
                 file: str) -> list[Row]:
    claims: list[Row] = []
    base = published.end
    for i, c in _validated(items, "claims", model.ClaimIn, report):
        if c.about is not None and c.about not in events:
            report.add(("claims", i, "about"), _missing_ref("event", c.about, events))
            continue
        if c.place is not None and c.place not in places:
            report.add(("claims", i, "place"), _missing_ref("place", c.place, places))
            continue
        if c.when is None:
            when = published
        else:
            try:
                when = dates.parse_when(c.when, base)
            except WarlensError as exc:
                report.add(("claims", i, "when"), exc.message)
                continue
        span = _span(text, c.quote, ("claims", i, "quote"), report)
        if span is None:
            continue
        event = events.get(c.about) if c.about else None
        place_id = c.place or (event[Col.PLACE].split("/", 1)[1]
                               if event is not None and event[Col.PLACE] else None)
        claims.append({
            Col.KEY: key(article, c.id), Col.ARTICLE: article, Col.ID: c.id,
            Col.CLAIMANT: c.claimant, Col.STANCE: c.stance, Col.CLAIM: c.claim,
            Col.EVENT: event[Col.KEY] if event is not None else None,
            Col.EVENT_SUMMARY: event[Col.SUMMARY] if event is not None else None,
            **_place_fields(places, place_id), **_when_fields(when),
            Col.QUOTE: c.quote, Col.SPAN_START: span[0], Col.SPAN_END: span[1],
            Col.VERDICT: c.verdict, Col.CONTESTED: False, Col.FILE: file,
            Col.LINE: report.line(("claims", i)), Col.DRAFT: c.draft,
        })
    return claims


def _missing_ref(kind: str, ref: str, known: Mapping[str, Any]) -> str:
    near = difflib.get_close_matches(ref, list(known), n=1)
    hint = f" (did you mean '{near[0]}'?)" if near else (
        f"; this article's {kind}s: {', '.join(sorted(known))}" if known else
        f"; this article defines no {kind}s that loaded")
    return f"refers to {kind} '{ref}', which is not defined in this article{hint}"
