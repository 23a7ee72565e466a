"""The article format as typed records, and the vocabularies it uses.

Two layers live here. The *input* models (`ArticleIn`, `PlaceIn`, `EventIn`,
`ClaimIn`) say what a native article file may contain; they know nothing of
YAML or of any other file format, and reject unknown keys so that a typo such
as `qoute` is an error rather than a silently missing quote. The *column*
constants name the resolved tables that `corpus` builds and every later stage
(query, figures, export, pages) reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

# --- vocabularies ---------------------------------------------------------------------------
# One table per vocabulary: every name, label and mapping of a value is written here once,
# and the tuples, dicts and `Literal` types the rest of the code uses are derived from it.


@dataclass(frozen=True, slots=True)
class EventTypeTerm:
    """An event type: its value in files, its label, ACLED's event type, its colour."""

    value: str
    label: str
    acled: str  # "" where ACLED has no counterpart (docs/format.md explains)
    colour: str


@dataclass(frozen=True, slots=True)
class StanceTerm:
    """A claimant's stance: its value, label, timeline marker, and whether it takes sides.

    `sides` is "for" or "against" for the stances that make an event contested (an
    assertion against a denial), "" for those shown beside them that take no side.
    """

    value: str
    label: str
    symbol: str
    sides: str = ""

    @property
    def contests(self) -> bool:
        """Whether this stance counts towards making an event or a story contested."""
        return bool(self.sides)


@dataclass(frozen=True, slots=True)
class Term:
    """A plain vocabulary value and what it means."""

    value: str
    label: str


EVENT_TYPE_TABLE: tuple[EventTypeTerm, ...] = (
    EventTypeTerm("battle", "Battle", "Battles", "#D55E00"),
    EventTypeTerm("remote_violence", "Explosion / remote violence",
                  "Explosions/Remote violence", "#E69F00"),
    EventTypeTerm("violence_against_civilians", "Violence against civilians",
                  "Violence against civilians", "#CC79A7"),
    EventTypeTerm("territorial_control", "Change of territorial control",
                  "Strategic developments", "#0072B2"),
    EventTypeTerm("strategic_development", "Strategic development",
                  "Strategic developments", "#56B4E9"),
    EventTypeTerm("protest", "Protest", "Protests", "#009E73"),
    EventTypeTerm("riot", "Riot", "Riots", "#A89B00"),
    EventTypeTerm("other", "Other", "", "#7F7F7F"),
)
#: A claimant's stance on a proposition. `doubts` questions it without denying it
#: ("it is questionable whether he controls the city"): shown beside the assertions and
#: denials, but only an assertion against a denial makes an event or a story contested.
STANCE_TABLE: tuple[StanceTerm, ...] = (
    StanceTerm("asserts", "Asserts", "triangle-up", "for"),
    StanceTerm("denies", "Denies", "triangle-down", "against"),
    StanceTerm("doubts", "Doubts", "x"),
    StanceTerm("estimates", "Estimates", "square"),
    StanceTerm("assesses", "Assesses", "circle"),
)
VERDICT_TABLE: tuple[Term, ...] = (
    Term("unverified", "Unverified"),
    Term("confirmed", "Confirmed"),
    Term("disputed", "Disputed"),
    Term("false", "False"),
)
#: How exactly a place is known, finest first. Anything coarser than `settlement`
#: is drawn as an area on the map, never as a pinpoint.
PLACE_PRECISION_TABLE: tuple[Term, ...] = (
    Term("exact", "Exact"),
    Term("settlement", "Settlement"),
    Term("district", "District"),
    Term("region", "Region"),
    Term("country", "Country"),
)

#: Our event types and the ACLED event type each maps onto.
EVENT_TYPES: dict[str, str] = {t.value: t.acled for t in EVENT_TYPE_TABLE}
EVENT_TYPE_LABELS: dict[str, str] = {t.value: t.label for t in EVENT_TYPE_TABLE}
EVENT_TYPE_COLOURS: dict[str, str] = {t.value: t.colour for t in EVENT_TYPE_TABLE}
STANCES: tuple[str, ...] = tuple(s.value for s in STANCE_TABLE)
STANCE_SYMBOLS: dict[str, str] = {s.value: s.symbol for s in STANCE_TABLE}
#: The stance that asserts a proposition and the one that denies it: one against the
#: other makes an event or a story contested.
_SIDES = {s.sides: s.value for s in STANCE_TABLE if s.sides}
ASSERTS, DENIES = _SIDES["for"], _SIDES["against"]
VERDICTS: tuple[str, ...] = tuple(v.value for v in VERDICT_TABLE)
PLACE_PRECISIONS: tuple[str, ...] = tuple(p.value for p in PLACE_PRECISION_TABLE)

# Literal[tuple] spreads the tuple into the Literal's values: pydantic checks against them.
EventType = Literal[tuple(EVENT_TYPES)]  # type: ignore[valid-type]
Stance = Literal[STANCES]  # type: ignore[valid-type]
Verdict = Literal[VERDICTS]  # type: ignore[valid-type]
PlacePrecision = Literal[PLACE_PRECISIONS]  # type: ignore[valid-type]

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
Slug = Annotated[str, StringConstraints(pattern=SLUG_RE.pattern)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=200_000)]
Line = Annotated[str, StringConstraints(min_length=1, max_length=2_000)]
#: A date expression as written: ISO date, month, year, phrase, or {from:, to:}.
DateExpr = str | int | dict[str, str | int | bool]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


def _check_url(value: str | None) -> str | None:
    if value is None:
        return None
    if not re.match(r"^https?://[^\s/$.?#][^\s]*$", value, re.IGNORECASE):
        raise ValueError("must be an http:// or https:// address")
    return value


class PlaceIn(_Strict):
    """A place named in the article. Explicit coordinates win over the gazetteer."""

    id: Slug
    name: Line
    aliases: list[Line] = Field(default_factory=list)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    precision: PlacePrecision = "settlement"
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = None
    geonames: int | None = Field(default=None, ge=1)
    draft: bool = False

    @model_validator(mode="after")
    def _lat_and_lon_together(self) -> PlaceIn:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give both lat and lon, or neither")
        return self


class Casualties(_Strict):
    """A casualty figure as reported: a range and the words used."""

    low: int | None = Field(default=None, ge=0)
    high: int | None = Field(default=None, ge=0)
    text: Line | None = None

    @model_validator(mode="after")
    def _low_not_above_high(self) -> Casualties:
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"low ({self.low}) is above high ({self.high})")
        return self


class EventIn(_Strict):
    """Something that happened (or is said to have happened), quoted from the text."""

    id: Slug
    summary: Line
    type: EventType
    when: DateExpr
    place: Slug | None = None
    actors: list[Line] = Field(default_factory=list)
    quote: Text
    casualties: Casualties | None = None
    sources: list[str] = Field(default_factory=list)
    tags: list[Line] = Field(default_factory=list)
    #: The real-world story this event belongs to, shared by every article reporting it
    #: (for example `mariupol-capture-2022`): how warlens links one event across sources.
    story: Slug | None = None
    draft: bool = False

    @field_validator("sources")
    @classmethod
    def _sources_are_web_links(cls, urls: list[str]) -> list[str]:
        return [_check_url(u) or "" for u in urls]


class ClaimIn(_Strict):
    """Who says what: one proposition, its claimant's stance, and its sentence."""

    id: Slug
    claimant: Line
    stance: Stance
    claim: Line
    about: Slug | None = None
    place: Slug | None = None
    when: DateExpr | None = None
    quote: Text
    verdict: Verdict = "unverified"
    draft: bool = False

    @field_validator("verdict", mode="before")
    @classmethod
    def _unquoted_false_is_the_verdict(cls, value: object) -> object:
        # YAML 1.2 reads a plain `verdict: false` as a boolean; the verdict "false" is meant.
        return "false" if value is False else value


class ArticleHead(_Strict):
    """The article's own fields; its places, events and claims are checked one by one."""

    id: Slug
    title: Line
    outlet: Line
    url: str | None = None
    published: DateExpr
    author: Line | None = None
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]+)?$")] = "en"
    text: Text
    notes: Text | None = None
    tags: list[Line] = Field(default_factory=list)
    source_file: Line | None = None
    #: The text's licence as its publisher states it ("CC BY 4.0", "public domain").
    license: Line | None = None
    #: The credit the licence asks for, shown wherever the text is shown or exported.
    attribution: Line | None = None
    draft: bool = False

    @field_validator("url")
    @classmethod
    def _url_is_web_link(cls, url: str | None) -> str | None:
        return _check_url(url)


#: The record lists an article file may hold, and the model for each item.
SECTIONS: dict[str, type[_Strict]] = {"places": PlaceIn, "events": EventIn, "claims": ClaimIn}
ARTICLE_KEYS: frozenset[str] = frozenset(ArticleHead.model_fields) | frozenset(SECTIONS)


# --- resolved tables: column names ------------------------------------------------------------


class Col:
    """Column names of the resolved tables, in one place."""

    ARTICLE = "article"          # article id
    TITLE = "title"
    OUTLET = "outlet"
    URL = "url"
    PUBLISHED_START = "published_start"
    PUBLISHED_END = "published_end"
    PUBLISHED_LABEL = "published_label"
    PUBLISHED_INFERRED = "published_inferred"
    AUTHOR = "author"
    LANGUAGE = "language"
    TEXT = "text"
    NOTES = "notes"
    FILE = "file"
    LINE = "line"
    DRAFT = "draft"
    TAGS = "tags"
    LICENSE = "license"
    ATTRIBUTION = "attribution"

    KEY = "key"                  # "article/id", unique in the corpus
    ID = "id"                    # id inside its article

    PLACE = "place"              # place key
    PLACE_NAME = "place_name"
    LAT = "lat"
    LON = "lon"
    PRECISION = "precision"
    COUNTRY = "country"
    COUNTRY_NAME = "country_name"
    GEONAMES = "geonames"
    ADMIN1 = "admin1"
    RESOLVED_BY = "resolved_by"  # file | gazetteer | none

    SUMMARY = "summary"
    TYPE = "type"
    START = "start"
    END = "end"
    DATE_PRECISION = "date_precision"
    DATE_LABEL = "date_label"
    DATE_TEXT = "date_text"
    ACTORS = "actors"            # "; "-joined
    QUOTE = "quote"
    SPAN_START = "span_start"
    SPAN_END = "span_end"
    CASUALTIES_LOW = "casualties_low"
    CASUALTIES_HIGH = "casualties_high"
    CASUALTIES_TEXT = "casualties_text"
    SOURCES = "sources"          # " "-joined urls
    CONTESTED = "contested"
    N_CLAIMS = "n_claims"
    STORY = "story"              # story slug, shared across articles; "" when none

    CLAIMANT = "claimant"
    STANCE = "stance"
    CLAIM = "claim"
    EVENT = "event"              # event key a claim is about
    EVENT_SUMMARY = "event_summary"
    EVENT_TYPE = "event_type"    # the type of the event a claim is about (None if none)
    VERDICT = "verdict"


ARTICLE_COLUMNS = [
    Col.ARTICLE, Col.TITLE, Col.OUTLET, Col.URL, Col.PUBLISHED_START, Col.PUBLISHED_END,
    Col.PUBLISHED_LABEL, Col.PUBLISHED_INFERRED, Col.AUTHOR, Col.LANGUAGE, Col.TEXT, Col.NOTES,
    Col.TAGS, Col.LICENSE, Col.ATTRIBUTION, Col.FILE, Col.DRAFT,
]
PLACE_COLUMNS = [
    Col.KEY, Col.ARTICLE, Col.ID, Col.PLACE_NAME, Col.LAT, Col.LON, Col.PRECISION, Col.COUNTRY,
    Col.COUNTRY_NAME, Col.GEONAMES, Col.ADMIN1, Col.RESOLVED_BY, Col.FILE, Col.LINE, Col.DRAFT,
]
EVENT_COLUMNS = [
    Col.KEY, Col.ARTICLE, Col.ID, Col.SUMMARY, Col.TYPE, Col.START, Col.END, Col.DATE_PRECISION,
    Col.DATE_LABEL, Col.DATE_TEXT, Col.PLACE, Col.PLACE_NAME, Col.LAT, Col.LON, Col.PRECISION,
    Col.COUNTRY, Col.COUNTRY_NAME, Col.ADMIN1, Col.ACTORS, Col.QUOTE, Col.SPAN_START, Col.SPAN_END,
    Col.CASUALTIES_LOW, Col.CASUALTIES_HIGH, Col.CASUALTIES_TEXT, Col.SOURCES, Col.TAGS,
    Col.CONTESTED, Col.N_CLAIMS, Col.STORY, Col.FILE, Col.LINE, Col.DRAFT,
]
CLAIM_COLUMNS = [
    Col.KEY, Col.ARTICLE, Col.ID, Col.CLAIMANT, Col.STANCE, Col.CLAIM, Col.EVENT,
    Col.EVENT_SUMMARY, Col.EVENT_TYPE, Col.PLACE, Col.PLACE_NAME, Col.LAT, Col.LON,
    Col.PRECISION, Col.COUNTRY, Col.COUNTRY_NAME, Col.ADMIN1,
    Col.START, Col.END, Col.DATE_PRECISION, Col.DATE_LABEL, Col.QUOTE, Col.SPAN_START,
    Col.SPAN_END, Col.VERDICT, Col.CONTESTED, Col.STORY, Col.FILE, Col.LINE, Col.DRAFT,
]
PROBLEM_COLUMNS = ["file", "line", "field", "message", "severity"]


def key(article: str, item: str) -> str:
    """The corpus-wide key of an item: ids are unique inside their article."""
    return f"{article}/{item}"
