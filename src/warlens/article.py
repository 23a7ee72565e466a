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
from warlens.gazetteer import Gazetteer, GazPlace, get_gazetteer
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
    if kind == "string_pattern_mismatch" and name == "country":
        return ("must be a two-letter ISO 3166 country code in capitals, such as UA "
                f"(got {err.get('input')!r})")
    if kind == "string_pattern_mismatch" and name == "language":
        return f"must be a language code such as en, uk or ru (got {err.get('input')!r})"
    if kind == "string_type" and isinstance(err.get("input"), bool | int | float):
        # YAML typed an unquoted value (`title: 1984`, `claimant: true`) where text is meant.
        return (f"must be text, but YAML read the unquoted {_yaml_value(err['input'])} as "
                f"{_yaml_kind(err['input'])}; put it in quotes")
    if kind == "literal_error":
        return f"{_lower_first(str(err['msg']))} (got {_yaml_value(err.get('input'))})"
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    return _lower_first(msg) if msg else kind


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _yaml_kind(value: object) -> str:
    """What a YAML value is, in the file's words rather than Python's: "a mapping"."""
    if isinstance(value, bool):
        return "a true/false value"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "an empty value"
    return "text"


def _yaml_value(value: object) -> str:
    """A value as it would be written in the file."""
    if isinstance(value, bool):
        return str(value).lower()
    if value is None:
        return "null"
    return repr(value)


def read_article_file(data: bytes, file: str, gazetteer: Gazetteer | None = None) -> FileResult:
    """Parse and check one native article file; never raises for bad content."""
    result = FileResult(file)
    try:
        doc, lines = load_yaml(data)
    except WarlensError as exc:
        result.problems.append(exc.to_problem(file))
        return result
    rows, problems = read_article_doc(doc, file, lines, gazetteer)
    if rows is not None:
        result.articles.append(rows)
    result.problems.extend(problems)
    return result


def read_article_doc(doc: object, file: str, lines: dict[Path, int] | None = None,
                     gazetteer: Gazetteer | None = None) -> tuple[ArticleRows | None,
                                                                  list[Problem]]:
    """Check one article given as plain data (as parsed from YAML, or built by an importer).

    `lines` maps paths inside `doc` to 1-based lines of `file`; importers that read rows
    rather than lines pass {(): row_number} so every problem points at the row.
    """
    report = _Reporter(file, lines if lines is not None else {(): 1})
    rows = _read_article(doc, report, gazetteer or get_gazetteer(), file)
    return rows, report.problems


def _read_article(doc: object, report: _Reporter, gaz: Gazetteer, file: str) -> ArticleRows | None:
    if not isinstance(doc, dict):
        report.add((), f"an article file must be a mapping of keys (id, title, text, ...), "
                       f"not {_yaml_kind(doc)}")
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
            report.add((name,), f"must be a list of {name}, not {_yaml_kind(items)}")
            items = []
        sections[name] = list(enumerate(items))

    article_id = head.id
    text = FoldedText(head.text)
    # Ids written in the file, loaded or not: a reference to a dropped item must say so.
    written = {name: {raw["id"]: report.line((name, i)) for i, raw in items
                      if isinstance(raw, dict) and isinstance(raw.get("id"), str)}
               for name, items in sections.items()}
    article_row: Row = {
        Col.ARTICLE: article_id, Col.TITLE: head.title, Col.OUTLET: head.outlet,
        Col.URL: head.url, Col.PUBLISHED_START: published.start, Col.PUBLISHED_END: published.end,
        Col.PUBLISHED_LABEL: published.label(), Col.PUBLISHED_INFERRED: published.inferred,
        Col.AUTHOR: head.author, Col.LANGUAGE: head.language, Col.TEXT: head.text,
        Col.NOTES: head.notes, Col.TAGS: "; ".join(head.tags), Col.LICENSE: head.license,
        Col.ATTRIBUTION: head.attribution, Col.FILE: file,
        Col.DRAFT: head.draft, Col.LINE: report.line(("id",)),
    }
    rows = ArticleRows(article_row)
    places = _read_places(sections["places"], report, gaz, article_id, file)
    rows.places = list(places.values())
    places_ref = _Known("place", places, written["places"])
    events = _read_events(sections["events"], report, places_ref, text, published, article_id,
                          file)
    rows.events = list(events.values())
    rows.claims = _read_claims(sections["claims"], report, places_ref,
                               _Known("event", events, written["events"]), text, published,
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
                                     f"not {_yaml_kind(raw)}")
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
    """The article's places as rows by id, each located from the file or the gazetteer;
    a place found in neither is kept off the map with a warning."""
    valid = _validated(items, "places", model.PlaceIn, report)
    context = _countries(valid, gaz)
    places: dict[str, Row] = {}
    for i, p in valid:
        lat, lon, country, geonames, admin1 = p.lat, p.lon, p.country, p.geonames, ""
        resolved_by = "file" if lat is not None else "none"
        hit = None if lat is not None else _look_up(p, gaz, context)
        if hit is not None:
            lat, lon, resolved_by = hit.lat, hit.lon, "gazetteer"
            country = country or hit.country or None
            geonames = geonames or hit.geonames
            admin1 = hit.admin1
        elif lat is None:
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


def _countries(valid: list[tuple[int, Any]], gaz: Gazetteer) -> list[str]:
    """The countries the article's places name or are, sorted: the context in which a
    bare place name is looked up (Kostiantynivka in Ukraine, not elsewhere)."""
    context = {p.country for _, p in valid if p.country}
    for _, p in valid:
        if p.precision == "country" and not p.country:
            found = gaz.country(p.name)
            if found:
                context.add(found.country)
    return sorted(context)


def _look_up(p: model.PlaceIn, gaz: Gazetteer, context: list[str]) -> GazPlace | None:
    """The gazetteer's entry for a place without coordinates, or None: a country by
    its name, else the GeoNames id, else the name and then each alias in `context`."""
    hit = None
    if p.precision == "country":
        hit = gaz.country(p.country or p.name)
    if hit is None and p.geonames:
        hit = gaz.by_geonames(p.geonames)
    for name in (p.name, *p.aliases):
        if hit is not None:
            break
        hit = gaz.lookup(name, context=context)
    return hit


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


def _read_events(items: list[tuple[int, Any]], report: _Reporter, places: _Known,
                 text: FoldedText, published: When, article: str, file: str) -> dict[str, Row]:
    events: dict[str, Row] = {}
    base = published.end
    for i, e in _validated(items, "events", model.EventIn, report):
        try:
            when = dates.parse_when(e.when, base)
        except WarlensError as exc:
            report.add(("events", i, "when"), exc.message)
            continue
        if e.place is not None and e.place not in places.rows:
            report.add(("events", i, "place"), places.missing(e.place))
            continue
        span = _span(text, e.quote, ("events", i, "quote"), report)
        if span is None:
            continue
        cas = e.casualties
        events[e.id] = {
            Col.KEY: key(article, e.id), Col.ARTICLE: article, Col.ID: e.id,
            Col.SUMMARY: e.summary, Col.TYPE: e.type, **_when_fields(when),
            Col.DATE_TEXT: when.text, **_place_fields(places.rows, e.place),
            Col.ACTORS: "; ".join(e.actors), Col.QUOTE: e.quote,
            Col.SPAN_START: span[0], Col.SPAN_END: span[1],
            Col.CASUALTIES_LOW: cas.low if cas else None,
            Col.CASUALTIES_HIGH: cas.high if cas else None,
            Col.CASUALTIES_TEXT: cas.text if cas else None,
            Col.SOURCES: " ".join(e.sources), Col.TAGS: "; ".join(e.tags),
            Col.CONTESTED: False, Col.N_CLAIMS: 0, Col.STORY: e.story or "", Col.FILE: file,
            Col.LINE: report.line(("events", i)), Col.DRAFT: e.draft,
        }
    return events


def _read_claims(items: list[tuple[int, Any]], report: _Reporter, places: _Known,
                 events: _Known, text: FoldedText, published: When, article: str,
                 file: str) -> list[Row]:
    claims: list[Row] = []
    base = published.end
    for i, c in _validated(items, "claims", model.ClaimIn, report):
        if c.about is not None and c.about not in events.rows:
            report.add(("claims", i, "about"), events.missing(c.about))
            continue
        if c.place is not None and c.place not in places.rows:
            report.add(("claims", i, "place"), places.missing(c.place))
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
        event = events.rows.get(c.about) if c.about else None
        place_id = c.place or (event[Col.PLACE].split("/", 1)[1]
                               if event is not None and event[Col.PLACE] else None)
        claims.append({
            Col.KEY: key(article, c.id), Col.ARTICLE: article, Col.ID: c.id,
            Col.CLAIMANT: c.claimant, Col.STANCE: c.stance, Col.CLAIM: c.claim,
            Col.EVENT: event[Col.KEY] if event is not None else None,
            Col.EVENT_SUMMARY: event[Col.SUMMARY] if event is not None else None,
            Col.EVENT_TYPE: event[Col.TYPE] if event is not None else None,
            **_place_fields(places.rows, place_id), **_when_fields(when),
            Col.QUOTE: c.quote, Col.SPAN_START: span[0], Col.SPAN_END: span[1],
            Col.VERDICT: c.verdict, Col.CONTESTED: False,
            Col.STORY: event[Col.STORY] if event is not None else "", Col.FILE: file,
            Col.LINE: report.line(("claims", i)), Col.DRAFT: c.draft,
        })
    return claims


@dataclass(frozen=True)
class _Known:
    """The items of one kind a reference may name: those loaded, and the ids written."""

    kind: str
    rows: Mapping[str, Row]
    written: Mapping[str, int | None]

    def missing(self, ref: str) -> str:
        """Why a reference to `ref` cannot be followed, with the likeliest fix."""
        if ref in self.written:
            return (f"refers to {self.kind} '{ref}' (line {self.written[ref]}), which was not "
                    "loaded because of its own problem; fix that one first")
        near = difflib.get_close_matches(ref, list(self.rows), n=1)
        hint = f" (did you mean '{near[0]}'?)" if near else (
            f"; this article's {self.kind}s: {', '.join(sorted(self.rows))}" if self.rows else
            f"; this article defines no {self.kind}s that loaded")
        return f"refers to {self.kind} '{ref}', which is not defined in this article{hint}"
