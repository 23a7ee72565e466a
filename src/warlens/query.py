"""The view: Filters <-> URL parameters, and Filters x Corpus -> tables.

A shared link must reproduce a view exactly, and a crafted link must do no
harm: every URL value is checked against what the corpus holds, anything
unknown is dropped with a notice, and no value is ever used as a path.
Filtering is vectorised pandas, so a rerun stays fast on large corpora.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, make_dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from warlens.corpus import Corpus
from warlens.model import EVENT_TYPES, STANCES, Col

#: Longest URL value we look at; anything longer is dropped with a notice.
MAX_VALUE = 300
MAX_VALUES = 50
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})

#: A filter's effect on a table: corpus and value in, rows kept as a boolean array.
Mask = Callable[[Corpus, Any], "np.ndarray | pd.Series"]
#: The same effect in an engine: `warlens.engine.queries.Tables` and value in, an ibis
#: boolean expression over that table out (ibis is never imported here).
Where = Callable[[Any, Any], Any]


@dataclass(frozen=True)
class FilterSpec:
    """One filter, declared once: its URL name, widget, vocabulary and masks.

    Everything else follows from the table `FILTERS`: the `Filters` record, reading
    and writing URL parameters, the sidebar (ui/shell.py), the masks, and the flags of
    `warlens export`. Adding a filter is one entry here: its pandas mask (`events`,
    `claims`) and its engine predicate (`events_where`, `claims_where`), side by side.

    kinds: "names" (several values from the corpus's vocabulary), "date" (one day),
    "flag" (on or off), "text" (free text), "item" (a selected event or claim).
    """

    field: str                       # attribute of Filters
    param: str                       # URL parameter, and `warlens export --<param>`
    kind: str
    label: str = ""
    what: str = ""                   # the noun a notice uses ("no such place")
    names: Callable[[Corpus], Iterable[object]] | None = None  # what "names" may hold
    offered: Callable[[Corpus], Iterable[object]] | None = None  # what its widget lists
    fixed: bool = False              # a closed vocabulary: the widget lists every value
    events: Mask | None = None
    claims: Mask | None = None
    events_where: Where | None = None   # the same filter as an engine predicate (ibis)
    claims_where: Where | None = None
    on: str = "1"                    # a flag's URL value
    off: str | None = None           # a flag's explicit "off" value, if it has one
    placeholder: str = ""
    help: str = ""

    @property
    def default(self) -> object:
        """The value that restricts nothing."""
        return {"names": (), "flag": False, "text": ""}.get(self.kind)


def _in(table: str, col: str) -> Mask:
    """Rows of `table` whose `col` is one of the values."""
    return lambda corpus, values: getattr(corpus, table)[col].isin(values).to_numpy(bool)


def _flag(table: str, col: str, negate: bool = False) -> Mask:
    def mask(corpus: Corpus, on: bool) -> np.ndarray:
        values = getattr(corpus, table)[col].to_numpy(dtype=bool, na_value=False)
        return ~values if negate else values
    return mask


def _from(table: str) -> Mask:
    """Items whose date range ends on or after the day; undated items only pass an open filter."""
    return lambda corpus, day: (getattr(corpus, table)[Col.END] >= pd.Timestamp(day)).to_numpy()


def _to(table: str) -> Mask:
    return lambda corpus, day: (getattr(corpus, table)[Col.START] <= pd.Timestamp(day)).to_numpy()


def _places(table: str) -> Mask:
    return lambda corpus, places: _place_mask(corpus, table, places)


def _outlets(table: str) -> Mask:
    """Rows from articles of these outlets."""
    def mask(corpus: Corpus, outlets: tuple[str, ...]) -> np.ndarray:
        arts = corpus.articles
        ids = arts.loc[arts[Col.OUTLET].isin(outlets), Col.ARTICLE]
        return getattr(corpus, table)[Col.ARTICLE].isin(ids).to_numpy(bool)
    return mask


def _events_with_actors(corpus: Corpus, actors: tuple[str, ...]) -> np.ndarray:
    events = corpus.events
    claimed = corpus.claims.loc[corpus.claims[Col.CLAIMANT].isin(actors), Col.EVENT]
    return (_has_any(events[Col.ACTORS], actors) | events[Col.KEY].isin(claimed)).to_numpy(bool)


def _claims_with_actors(corpus: Corpus, actors: tuple[str, ...]) -> np.ndarray:
    claims = corpus.claims
    about = corpus.events.loc[_has_any(corpus.events[Col.ACTORS], actors), Col.KEY]
    return (claims[Col.CLAIMANT].isin(actors) | claims[Col.EVENT].isin(about)).to_numpy(bool)


def _search(table: str, columns: tuple[str, ...]) -> Mask:
    return lambda corpus, text: _search_mask(getattr(corpus, table), columns, text).to_numpy()


def _place_names(corpus: Corpus) -> list[object]:
    """Every place name, each namesake's label, and the countries."""
    return [*corpus.places[Col.PLACE_NAME], *namesake_labels(corpus).values(),
            *corpus.places[Col.COUNTRY_NAME]]


def _place_choices(corpus: Corpus) -> list[object]:
    """What the Place filter lists: a namesake by its label only, then the countries."""
    labels = namesake_labels(corpus)
    ambiguous = {str(n).casefold() for n in corpus.places.loc[
        corpus.places[Col.KEY].isin(list(labels)), Col.PLACE_NAME]}
    return [*(n for n in corpus.places[Col.PLACE_NAME]
              if isinstance(n, str) and n.casefold() not in ambiguous),
            *labels.values(), *corpus.places[Col.COUNTRY_NAME]]


def _actor_names(corpus: Corpus) -> list[object]:
    return list(actor_names(corpus.events)) + list(corpus.claims[Col.CLAIMANT])


# --- the same filters as engine predicates (ibis expressions; see warlens.engine.queries) ---


def _in_where(table: str, col: str) -> Where:
    return lambda tables, values: getattr(tables, table)[col].isin(list(values))


def _flag_where(table: str, col: str, negate: bool = False) -> Where:
    def where(tables: Any, on: bool) -> Any:
        values = getattr(tables, table)[col].fill_null(False)
        return ~values if negate else values
    return where


def _from_where(table: str) -> Where:
    return lambda tables, day: getattr(tables, table)[Col.END] >= pd.Timestamp(day)


def _to_where(table: str) -> Where:
    return lambda tables, day: getattr(tables, table)[Col.START] <= pd.Timestamp(day)


def _places_where(table: str) -> Where:
    """A place's name or its country (casefolded), or a namesake's label: its spots."""
    def where(tables: Any, places: tuple[str, ...]) -> Any:
        t = getattr(tables, table)
        wanted = {p.casefold() for p in places}
        # The names as the engine spells them: exact matches, no lowering of every row.
        # Only the parts that can match, and no COALESCE around them (a WHERE drops a
        # NULL as it drops a false): a bare `country_name IN (...)` is pushed into
        # DuckDB's scan, which then skips what its zone maps rule out (a third faster
        # at ten million events).
        parts = [t[col].isin(spelled) for col in (Col.PLACE_NAME, Col.COUNTRY_NAME)
                 if (spelled := tables.spellings(table, col, wanted))]
        for (name, lat, lon), label in tables.namesakes.items():
            if label.casefold() in wanted:
                parts.append((t[Col.PLACE_NAME].lower() == name) & (t[Col.LAT].round(2) == lat)
                             & (t[Col.LON].round(2) == lon))
        if not parts:
            import ibis

            return ibis.literal(False)
        return functools.reduce(operator.or_, parts)
    return where


def _outlets_where(table: str) -> Where:
    def where(tables: Any, outlets: tuple[str, ...]) -> Any:
        arts = tables.articles
        ids = arts.filter(arts[Col.OUTLET].isin(list(outlets)))[Col.ARTICLE]
        return getattr(tables, table)[Col.ARTICLE].isin(ids)
    return where


def _has_any_where(joined: Any, wanted: tuple[str, ...]) -> Any:
    wrapped = ("; " + joined.fill_null("").lower() + "; ")
    hit = None
    for value in wanted:
        one = wrapped.contains(f"; {value.casefold()}; ")
        hit = one if hit is None else hit | one
    return hit


def _events_with_actors_where(tables: Any, actors: tuple[str, ...]) -> Any:
    ev, cl = tables.events, tables.claims
    claimed = cl.filter(cl[Col.CLAIMANT].isin(list(actors)))[Col.EVENT]
    return _has_any_where(ev[Col.ACTORS], actors) | ev[Col.KEY].isin(claimed).fill_null(False)


def _claims_with_actors_where(tables: Any, actors: tuple[str, ...]) -> Any:
    ev, cl = tables.events, tables.claims
    about = ev.filter(_has_any_where(ev[Col.ACTORS], actors))[Col.KEY]
    return cl[Col.CLAIMANT].isin(list(actors)).fill_null(False) | cl[Col.EVENT].isin(
        about).fill_null(False)


def _search_where(table: str, columns: tuple[str, ...]) -> Where:
    def where(tables: Any, text: str) -> Any:
        t = getattr(tables, table)
        needle = text.casefold()
        hit = None
        for col in columns:
            one = t[col].fill_null("").lower().contains(needle)
            hit = one if hit is None else hit | one
        return hit
    return where


#: The text columns the search filter reads, per table.
_EVENT_TEXT = (Col.SUMMARY, Col.QUOTE, Col.ACTORS, Col.PLACE_NAME)
_CLAIM_TEXT = (Col.CLAIM, Col.CLAIMANT, Col.QUOTE, Col.EVENT_SUMMARY, Col.PLACE_NAME)


FILTERS: tuple[FilterSpec, ...] = (
    FilterSpec("articles", "article", "names", "Article", "article",
               names=lambda c: c.articles[Col.ARTICLE],
               events=_in("events", Col.ARTICLE), claims=_in("claims", Col.ARTICLE),
               events_where=_in_where("events", Col.ARTICLE),
               claims_where=_in_where("claims", Col.ARTICLE),
               placeholder="All articles"),
    FilterSpec("outlets", "outlet", "names", "Outlet", "outlet",
               names=lambda c: c.articles[Col.OUTLET],
               events=_outlets("events"), claims=_outlets("claims"),
               events_where=_outlets_where("events"), claims_where=_outlets_where("claims"),
               placeholder="All outlets", help="Who published the article."),
    FilterSpec("stories", "story", "names", "Story", "story",
               names=lambda c: c.events[Col.STORY],
               events=_in("events", Col.STORY), claims=_in("claims", Col.STORY),
               events_where=_in_where("events", Col.STORY),
               claims_where=_in_where("claims", Col.STORY),
               placeholder="All stories",
               help="One real-world event as every article that reports it."),
    FilterSpec("places", "place", "names", "Place", "place", names=_place_names,
               offered=_place_choices, events=_places("events"), claims=_places("claims"),
               events_where=_places_where("events"), claims_where=_places_where("claims"),
               placeholder="Anywhere", help="A country includes every place in it."),
    FilterSpec("date_from", "from", "date", "From",
               events=_from("events"), claims=_from("claims"),
               events_where=_from_where("events"), claims_where=_from_where("claims")),
    FilterSpec("date_to", "to", "date", "To", events=_to("events"), claims=_to("claims"),
               events_where=_to_where("events"), claims_where=_to_where("claims")),
    FilterSpec("types", "type", "names", "Event type", "event type",
               names=lambda c: EVENT_TYPES, fixed=True,
               # A claim carries its event's type: no join with ten million events.
               events=_in("events", Col.TYPE), claims=_in("claims", Col.EVENT_TYPE),
               events_where=_in_where("events", Col.TYPE),
               claims_where=_in_where("claims", Col.EVENT_TYPE),
               placeholder="All types"),
    FilterSpec("actors", "actor", "names", "Actor or claimant", "actor or claimant",
               names=_actor_names, events=_events_with_actors, claims=_claims_with_actors,
               events_where=_events_with_actors_where, claims_where=_claims_with_actors_where,
               placeholder="Anyone"),
    FilterSpec("stances", "stance", "names", "Stance", "stance",
               names=lambda c: STANCES, fixed=True, claims=_in("claims", Col.STANCE),
               claims_where=_in_where("claims", Col.STANCE),
               placeholder="Any stance"),
    FilterSpec("search", "q", "text", "Search text",
               events=_search("events", _EVENT_TEXT), claims=_search("claims", _CLAIM_TEXT),
               events_where=_search_where("events", _EVENT_TEXT),
               claims_where=_search_where("claims", _CLAIM_TEXT),
               placeholder="words in summaries, claims, quotes"),
    FilterSpec("contested", "contested", "flag", "Contested only",
               events=_flag("events", Col.CONTESTED), claims=_flag("claims", Col.CONTESTED),
               events_where=_flag_where("events", Col.CONTESTED),
               claims_where=_flag_where("claims", Col.CONTESTED),
               help="Events one claimant asserts and another denies, and those claims."),
    FilterSpec("hide_drafts", "drafts", "flag", "Hide drafts", on="hide", off="show",
               events=_flag("events", Col.DRAFT, negate=True),
               claims=_flag("claims", Col.DRAFT, negate=True),
               events_where=_flag_where("events", Col.DRAFT, negate=True),
               claims_where=_flag_where("claims", Col.DRAFT, negate=True),
               help="Hide machine-drafted annotations."),
    FilterSpec("event", "event", "item", what="event"),
    FilterSpec("claim", "claim", "item", what="claim"),
)
SPECS: dict[str, FilterSpec] = {spec.param: spec for spec in FILTERS}
#: URL parameter names, one per filter; "names" filters repeat the key.
PARAMS = tuple(SPECS)
# Names for the parameters other modules mention by name (a new filter needs none).
P_ARTICLE, P_OUTLET, P_STORY, P_PLACE = "article", "outlet", "story", "place"
P_FROM, P_TO, P_TYPE, P_ACTOR, P_STANCE = "from", "to", "type", "actor", "stance"
P_SEARCH, P_CONTESTED, P_DRAFTS, P_EVENT, P_CLAIM = "q", "contested", "drafts", "event", "claim"
_SELECTION = tuple(s.field for s in FILTERS if s.kind == "item")


def _filters_class() -> type:
    types = {"names": tuple[str, ...], "date": dt.date | None, "flag": bool, "text": str,
             "item": str | None}
    fields = [(s.field, types[s.kind], field(default=s.default)) for s in FILTERS]
    namespace = {
        "__doc__": "Everything that defines a view (one attribute per FilterSpec). "
                   "Empty means no restriction.",
        "to_params": _to_params,
        "without_selection": lambda self: replace(self, **dict.fromkeys(_SELECTION)),
        "is_empty": property(lambda self: self.without_selection() == type(self)()),
    }
    return make_dataclass("Filters", fields, frozen=True,
                          namespace={**namespace, "__module__": __name__})


def _to_params(self: Any) -> dict[str, list[str]]:
    """The URL parameters for this view (only what is set, in the order of FILTERS)."""
    params: dict[str, list[str]] = {}
    for spec in FILTERS:
        value = getattr(self, spec.field)
        if value in (None, (), "", False):
            continue
        if spec.kind == "names":
            params[spec.param] = list(value)
        elif spec.kind == "date":
            params[spec.param] = [value.isoformat()]
        elif spec.kind == "flag":
            params[spec.param] = [spec.on]
        else:
            params[spec.param] = [value]
    return params


Filters = _filters_class()


@dataclass(frozen=True)
class Vocabulary:
    """What a URL value may name in this corpus, per "names" filter, matched by casefold."""

    names: Mapping[str, dict[str, str]]
    events: frozenset[str]
    claims: frozenset[str]
    #: What a "names" widget lists, where not every name it accepts: the Place filter lists
    #: namesakes apart ("Ivanivka (Donetsk Oblast)") and accepts their plain shared name
    #: from older links.
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __getitem__(self, param: str) -> dict[str, str]:
        return self.names[param]

    @property
    def articles(self) -> dict[str, str]:
        return self.names[P_ARTICLE]

    @property
    def places(self) -> dict[str, str]:
        return self.names[P_PLACE]

    @property
    def actors(self) -> dict[str, str]:
        return self.names[P_ACTOR]

    @property
    def place_choices(self) -> tuple[str, ...]:
        return self.choices.get(P_PLACE, tuple(self.names[P_PLACE].values()))


def _folded(values: Iterable[object]) -> dict[str, str]:
    return {str(v).casefold(): str(v) for v in sorted({v for v in values if v and v == v})}


def vocabulary(corpus: Corpus) -> Vocabulary:
    """The names a view can filter on, for every "names" filter, and the item keys."""
    return Vocabulary(
        names={s.param: {str(v).casefold(): str(v) for v in s.names(corpus)} if s.fixed
               else _folded(s.names(corpus)) for s in FILTERS if s.names is not None},
        events=frozenset(corpus.events[Col.KEY]),
        claims=frozenset(corpus.claims[Col.KEY]),
        choices={s.param: tuple(_folded(s.offered(corpus)).values()) for s in FILTERS
                 if s.offered is not None},
    )


# --- namesakes -----------------------------------------------------------------------------------

#: Places of one name within this distance are one place (geocoders and sources differ
#: by a few km for the same town); farther apart, they are namesakes.
NAMESAKE_KM = 30.0
#: A place takes the region of the nearest gazetteer town this close, else "near" it.
REGION_KM, NEAR_KM = 12.0, 60.0


def namesake_labels(corpus: Corpus) -> dict[str, str]:
    """Place key -> "Ivanivka (Donetsk Oblast)", for places whose name other places share.

    ACLED alone names five different Ivanivkas; one name in the Place filter would merge
    their events. A place whose name is unique keeps its plain name (not in the dict).
    The region comes from the place's GeoNames admin1 code, or the nearest town's; far
    from any region the gazetteer names, the nearest town or the coordinates tell it apart.
    """
    return derived(corpus, "namesakes", lambda: _namesakes(corpus.places))


def _sites(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Cluster ids of points: points within NAMESAKE_KM of each other share one."""
    site = np.arange(len(lat))
    x = np.radians(lon) * np.cos(np.radians(lat)) * 6371.0
    y = np.radians(lat) * 6371.0
    for i in range(len(lat)):  # single linkage: join every near pair's clusters
        near = np.flatnonzero(np.hypot(x - x[i], y - y[i]) <= NAMESAKE_KM)
        site[np.isin(site, site[near])] = site[i]
    return site


def _namesakes(places: pd.DataFrame) -> dict[str, str]:
    located = places[places[Col.LAT].notna() & places[Col.PLACE_NAME].notna()]
    folded = located[Col.PLACE_NAME].str.casefold()
    # Distinct spots of each name first: ACLED repeats a town's coordinates on every row.
    spots = pd.DataFrame({"name": folded, "lat": located[Col.LAT].round(2),
                          "lon": located[Col.LON].round(2)}).drop_duplicates()
    site_of: dict[tuple, int] = {}
    for name, group in spots.groupby("name", sort=False):
        if len(group) < 2:
            continue
        sites = _sites(group["lat"].to_numpy(float), group["lon"].to_numpy(float))
        if len(set(sites)) > 1:
            for la, lo, site in zip(group["lat"], group["lon"], sites, strict=True):
                site_of[(name, la, lo)] = int(site)
    if not site_of:
        return {}
    from warlens.gazetteer import UA_REGIONS, distance_km, get_gazetteer  # only when needed

    regions = {r.admin1: r.name for r in UA_REGIONS}
    gazetteer = get_gazetteer()
    # One label per spot (name, rounded lat, lon), from its first row's admin1 and country.
    rows = located.assign(_name=folded, _lat=located[Col.LAT].round(2),
                          _lon=located[Col.LON].round(2))
    rows = rows[rows["_name"].isin({name for name, _, _ in site_of}).to_numpy()]
    spot_label: dict[tuple, str] = {}
    for spot, first in rows.groupby(["_name", "_lat", "_lon"], sort=False).head(1).set_index(
            ["_name", "_lat", "_lon"]).iterrows():
        lat, lon = float(first[Col.LAT]), float(first[Col.LON])
        admin1, country = first[Col.ADMIN1] or "", first[Col.COUNTRY] or ""
        near = sorted(gazetteer.nearby(lat, lon, NEAR_KM, limit=200),
                      key=lambda p: distance_km(lat, lon, p.lat, p.lon))
        if not admin1 and near and distance_km(lat, lon, near[0].lat, near[0].lon) <= REGION_KM:
            admin1, country = near[0].admin1, near[0].country or country
        if country == "UA" and admin1 in regions:
            where = regions[admin1]
        elif near:
            where = f"near {near[0].name}"
        else:
            where = f"{lat:.2f}, {lon:.2f}"
        spot_label[spot] = f"{first[Col.PLACE_NAME]} ({where})"
    # Spots of one site share the first's label; two sites of one region (two namesakes
    # in one oblast) get their coordinates too.
    site_label: dict[tuple, str] = {}
    for spot, label in spot_label.items():
        site_label.setdefault((spot[0], site_of[spot]), label)
    sites_per_label: dict[str, int] = {}
    for label in site_label.values():
        sites_per_label[label] = sites_per_label.get(label, 0) + 1
    labels: dict[str, str] = {}
    for key, name, la, lo, lat, lon in zip(rows[Col.KEY], rows["_name"], rows["_lat"],
                                           rows["_lon"], rows[Col.LAT], rows[Col.LON],
                                           strict=True):
        label = site_label[(name, site_of[(name, la, lo)])]
        if sites_per_label[label] > 1:
            label = f"{label[:-1]}, {lat:.2f}, {lon:.2f})"
        labels[key] = label
    return labels


def label_places(corpus: Corpus, table: pd.DataFrame) -> pd.DataFrame:
    """`table` (with Col.PLACE) with every namesake's PLACE_NAME as its label.

    For what a page shows or a selection returns: the map's dots and the timeline's rows
    of two Ivanivkas then differ, and a click filters by the one it was. The table
    itself when the corpus has no namesakes.
    """
    labels = namesake_labels(corpus)
    if not labels or Col.PLACE not in table:
        return table
    named = table[Col.PLACE].map(labels)
    return table.assign(**{Col.PLACE_NAME: named.where(named.notna(), table[Col.PLACE_NAME])})


def actor_names(events: pd.DataFrame) -> set[str]:
    """Every actor named by any event."""
    joined = events[Col.ACTORS].dropna()
    return {a for a in joined.str.split("; ").explode().dropna() if a}


def _values(params: Mapping[str, object], name: str) -> list[str]:
    raw = params.get(name)
    if raw is None:
        return []
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, Sequence):
        return [str(v) for v in raw]
    return [str(raw)]


def _shown(value: str) -> str:
    return value if len(value) <= 60 else value[:57] + "..."


def parse_date_param(value: str) -> dt.date | None:
    """A URL date: YYYY-MM-DD (YYYY-MM and YYYY are taken as their first day)."""
    m = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", value.strip())
    if not m:
        return None
    try:
        return dt.date(int(m[1]), int(m[2] or 1), int(m[3] or 1))
    except ValueError:
        return None


class _Reader:
    """Reads each kind of URL value, collecting a notice for every value it drops."""

    def __init__(self, params: Mapping[str, object], vocab: Vocabulary) -> None:
        self.params, self.vocab, self.notices = params, vocab, []

    def names(self, spec: FilterSpec) -> tuple[str, ...]:
        known, name = self.vocab[spec.param], spec.param
        chosen: list[str] = []
        values = _values(self.params, name)
        if len(values) > MAX_VALUES:
            self.notices.append(f"Only the first {MAX_VALUES} '{name}' values of the link "
                                "were used.")
            values = values[:MAX_VALUES]
        for value in values:
            if len(value) > MAX_VALUE:
                self.notices.append(f"Ignored a {len(value)}-character '{name}' value from "
                                    "the link.")
                continue
            hit = known.get(value.strip().casefold())
            if hit is None:
                self.notices.append(f"Ignored {name}={_shown(value)!r} from the link: no such "
                                    f"{spec.what}.")
            elif hit not in chosen:
                chosen.append(hit)
        return tuple(chosen)

    def one(self, name: str) -> str | None:
        values = [v for v in _values(self.params, name) if v.strip()]
        if len(values) > 1:
            self.notices.append(f"The link gave '{name}' {len(values)} times; the first was "
                                "used.")
        if not values:
            return None
        if len(values[0]) > MAX_VALUE:
            self.notices.append(f"Ignored a {len(values[0])}-character '{name}' value from "
                                "the link.")
            return None
        return values[0]

    def date(self, spec: FilterSpec) -> dt.date | None:
        value = self.one(spec.param)
        if value is None:
            return None
        parsed = parse_date_param(value)
        if parsed is None:
            self.notices.append(f"Ignored {spec.param}={_shown(value)!r} from the link: "
                                "not a date (use YYYY-MM-DD).")
        return parsed

    def flag(self, spec: FilterSpec) -> bool:
        raw = self.one(spec.param)
        if raw is None:
            return False
        value = raw.strip().lower()
        on = {spec.on} | (_TRUE if spec.on == "1" else set())
        off = ({spec.off} if spec.off else set()) | (_FALSE if spec.on == "1" else set())
        if value not in on | off:
            self.notices.append(f"Ignored {spec.param}={_shown(raw)!r} from the link: "
                                f"use {spec.param}={spec.on}.")
        return value in on

    def text(self, spec: FilterSpec) -> str:
        return (self.one(spec.param) or "").strip()

    def item(self, spec: FilterSpec) -> str | None:
        value = self.one(spec.param)
        known = self.vocab.events if spec.param == P_EVENT else self.vocab.claims
        if value is not None and value not in known:
            self.notices.append(f"Ignored {spec.param}={_shown(value)!r} from the link: no "
                                f"such {spec.what}.")
            return None
        return value


def filters_from_params(params: Mapping[str, object], vocab: Vocabulary
                        ) -> tuple[Filters, list[str]]:
    """Read a view from URL parameters; return it with a notice for every value dropped."""
    reader = _Reader(params, vocab)
    values = {spec.field: getattr(reader, spec.kind)(spec) for spec in FILTERS}
    if values["date_from"] and values["date_to"] and values["date_from"] > values["date_to"]:
        reader.notices.append("The link's 'from' date is after its 'to' date; they were "
                              "swapped.")
        values["date_from"], values["date_to"] = values["date_to"], values["date_from"]
    unknown = sorted(k for k in params if k not in SPECS and k not in DISPLAYS)
    if unknown:
        reader.notices.append("Ignored unknown link parameters: "
                              + ", ".join(repr(_shown(k)) for k in unknown[:10]) + ".")
    return Filters(**values), reader.notices


# --- how a page shows its view --------------------------------------------------------------

@dataclass(frozen=True)
class DisplaySpec:
    """One way a page can show its view (the timeline's rows, the map's marks), held in
    the URL beside the filters so that a link reproduces the view as it was drawn.

    It chooses how rows are drawn, never which: a view's summaries, counts and exports
    are the filters' alone.
    """

    param: str  # URL parameter name
    label: str  # widget label
    choices: Mapping[str, str]  # value -> label, in the widget's order
    default: str  # what a link without the parameter shows; never written to the URL
    page: str  # the page that draws the widget (others keep the value in their links)


DISPLAY: tuple[DisplaySpec, ...] = (
    DisplaySpec("group", "Group by", {"place": "Place", "article": "Article",
                                      "type": "Event type", "story": "Story"},
                "place", "Timeline"),
    DisplaySpec("marks", "Marks", {"places": "Places", "stories": "Stories"}, "places", "Map"),
)
DISPLAYS: dict[str, DisplaySpec] = {spec.param: spec for spec in DISPLAY}


def display_from_params(params: Mapping[str, object]) -> tuple[dict[str, str], list[str]]:
    """Every display option a link sets (the default where it sets none or a wrong one),
    with a notice for every value dropped."""
    chosen: dict[str, str] = {}
    notices: list[str] = []
    for spec in DISPLAY:
        values = [v for v in _values(params, spec.param) if v.strip()]
        value = values[0].strip().lower() if values else spec.default
        if len(values) > 1:
            notices.append(f"The link gave '{spec.param}' {len(values)} times; the first "
                           "was used.")
        if value not in spec.choices:
            notices.append(f"Ignored {spec.param}={_shown(values[0])!r} from the link: use "
                           + ", ".join(f"{spec.param}={c}" for c in spec.choices) + ".")
            value = spec.default
        chosen[spec.param] = value
    return chosen, notices


def display_to_params(display: Mapping[str, str]) -> dict[str, list[str]]:
    """The URL parameters of display options: only those that differ from the default."""
    return {spec.param: [display[spec.param]] for spec in DISPLAY
            if display.get(spec.param, spec.default) != spec.default}


# --- what a corpus lets every rerun reuse --------------------------------------------------------

def derived(corpus: Corpus, name: str, build: Callable[[], Any]) -> Any:
    """`build()` for this corpus, computed once while the corpus lives (in `corpus.memo`).

    For what a rerun would otherwise recompute from the whole corpus although only the
    filters changed (the place codes, the article titles, the vocabulary). The corpus is
    read-only, so a derived value can never be stale.
    """
    memo = corpus.memo
    if name not in memo:
        memo[name] = build()  # two threads may both build it once; either result is right
    return memo[name]


def vocabulary_of(corpus: Corpus) -> Vocabulary:
    """The corpus's vocabulary, built once per corpus."""
    return derived(corpus, "vocabulary", lambda: vocabulary(corpus))


def article_titles(corpus: Corpus) -> dict[str, str]:
    """Article id -> title, for every article of the corpus."""
    return derived(corpus, "titles", lambda: dict(zip(
        corpus.articles[Col.ARTICLE].tolist(), corpus.articles[Col.TITLE].tolist(), strict=True)))


@dataclass(frozen=True)
class _Codes:
    """A text column as integer codes, and the codes of each casefolded value."""

    codes: np.ndarray
    folded: dict[str, list[int]]

    def mask(self, wanted: Iterable[str]) -> np.ndarray:
        hits = [c for w in wanted for c in self.folded.get(w.casefold(), ())]
        return np.isin(self.codes, hits)


def _codes(corpus: Corpus, table: str, col: str) -> _Codes:
    def build() -> _Codes:
        codes, uniques = pd.factorize(getattr(corpus, table)[col])
        folded: dict[str, list[int]] = {}
        for code, name in enumerate(uniques):
            folded.setdefault(str(name).casefold(), []).append(code)
        return _Codes(codes, folded)

    return derived(corpus, f"codes:{table}:{col}", build)


# --- filtering --------------------------------------------------------------------------------


def _place_mask(corpus: Corpus, table: str, places: tuple[str, ...]) -> np.ndarray:
    """A place filter matches the place itself or the country it lies in (Ukraine ⊃ Bakhmut).

    A namesake's label ("Ivanivka (Donetsk Oblast)") matches that place alone; its plain
    name, which links made before may carry, still matches every place of that name.
    """
    # Integer codes of the corpus's names, built once: no string work on a filter change.
    mask = (_codes(corpus, table, Col.PLACE_NAME).mask(places)
            | _codes(corpus, table, Col.COUNTRY_NAME).mask(places))
    labels = namesake_labels(corpus)
    if labels:
        wanted = {p.casefold() for p in places}
        keys = [k for k, label in labels.items() if label.casefold() in wanted]
        if keys:
            mask |= getattr(corpus, table)[Col.PLACE].isin(keys).to_numpy()
    return mask


def _has_any(joined: pd.Series, wanted: tuple[str, ...]) -> pd.Series:
    """Rows whose '; '-joined list names any wanted value (case-insensitive)."""
    wrapped = "; " + joined.fillna("").str.casefold() + "; "
    mask = pd.Series(False, index=joined.index)
    for value in wanted:
        mask |= wrapped.str.contains(f"; {value.casefold()}; ", regex=False)
    return mask


def _search_mask(table: pd.DataFrame, columns: Sequence[str], text: str) -> pd.Series:
    needle = text.casefold()
    mask = pd.Series(False, index=table.index)
    for col in columns:
        mask |= table[col].fillna("").str.casefold().str.contains(needle, regex=False)
    return mask


def _rows(table: pd.DataFrame, mask: np.ndarray) -> pd.DataFrame:
    """The rows of `table` in `mask`; the table itself when that is every row.

    An open view is the whole corpus: not copying it saves a rerun the copy of every
    column, and its memory. Callers treat the tables they get as read-only.
    """
    return table if bool(mask.all()) else table[mask]


def filter_events(corpus: Corpus, filters: Filters) -> pd.DataFrame:
    """The events in view."""
    return _rows(corpus.events, event_mask(corpus, filters))


def filter_claims(corpus: Corpus, filters: Filters) -> pd.DataFrame:
    """The claims in view. Event-only filters (type) keep the claims about matching events."""
    return _rows(corpus.claims, claim_mask(corpus, filters))


def _mask(corpus: Corpus, filters: Filters, table: str) -> np.ndarray:
    mask = np.ones(len(getattr(corpus, table)), dtype=bool)
    for spec in FILTERS:
        masker = getattr(spec, table)
        value = getattr(filters, spec.field)
        if masker is not None and value not in (None, (), "", False):
            mask &= np.asarray(masker(corpus, value), dtype=bool)
    return mask


def event_mask(corpus: Corpus, filters: Filters) -> np.ndarray:
    """Which of the corpus's events are in view, as a boolean array."""
    return _mask(corpus, filters, "events")


def claim_mask(corpus: Corpus, filters: Filters) -> np.ndarray:
    """Which of the corpus's claims are in view. Event-only filters (type) keep the claims
    about matching events; claim-only filters (stance) leave the events alone."""
    return _mask(corpus, filters, "claims")


def articles_of(corpus: Corpus, table: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """These columns of the corpus's articles that rows of `table` (events or claims) cite.

    Only the columns asked for are copied: an article's text is most of the table.
    """
    ids = table[Col.ARTICLE].dropna().unique()
    # In Arrow: pandas' isin walks a list of 10,000 ids in Python first.
    wanted = pc.is_in(pa.array(corpus.articles[Col.ARTICLE], pa.string()),
                      value_set=pa.array(ids, pa.string()))
    return corpus.articles.loc[wanted.to_numpy(zero_copy_only=False), list(columns)]


#: The claim columns `contested_pairs` reads.
PAIR_COLUMNS = (Col.EVENT, Col.EVENT_SUMMARY, Col.KEY, Col.CLAIMANT, Col.CLAIM, Col.QUOTE,
                Col.DATE_LABEL, Col.STANCE, Col.CONTESTED)


def contested_pairs(claims: pd.DataFrame) -> pd.DataFrame:
    """Asserting and denying claims about the same event, side by side (one row a pair)."""
    cols = [Col.EVENT, Col.EVENT_SUMMARY, Col.KEY, Col.CLAIMANT, Col.CLAIM, Col.QUOTE,
            Col.DATE_LABEL]
    # Only the columns a pair shows, and only contested rows, before anything is copied.
    sided = claims.loc[claims[Col.CONTESTED].to_numpy(dtype=bool, na_value=False),
                       [*cols, Col.STANCE]]
    stance = sided[Col.STANCE]
    asserting = sided.loc[stance == "asserts", cols]
    denying = sided.loc[stance == "denies", cols[:1] + cols[2:]]
    pairs = asserting.merge(denying, on=Col.EVENT, suffixes=("_asserts", "_denies"))
    pairs = pairs[pairs[f"{Col.CLAIMANT}_asserts"] != pairs[f"{Col.CLAIMANT}_denies"]]
    return pairs.reset_index(drop=True)


@dataclass(frozen=True)
class Rows:
    """Some rows of a table in view, and how many the view holds in all."""

    frame: pd.DataFrame
    total: int

    @property
    def capped(self) -> bool:
        """Whether rows were left out (the page says so)."""
        return self.total > len(self.frame)


#: A place as the Overview counts places: its name and its spot. Bakhmut reported by five
#: articles is one place (each article's own place key would count it five times), and
#: two villages of one name in two oblasts are two.
PLACE_SPOT = (Col.PLACE_NAME, Col.LAT, Col.LON)


def count_places(events: pd.DataFrame) -> int:
    """How many places (PLACE_SPOT) these events happened at; an event without a named
    place has none."""
    named = events[events[Col.PLACE_NAME].fillna("").astype(str) != ""]
    return len(named.drop_duplicates(list(PLACE_SPOT)))


#: What the counted timeline groups the events in view by (each group drawn with its count).
TIMELINE_GROUP = (Col.TYPE, Col.START, Col.END, Col.DATE_PRECISION)
