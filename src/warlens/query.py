"""The view: Filters <-> URL parameters, and Filters x Corpus -> tables.

A shared link must reproduce a view exactly, and a crafted link must do no
harm: every URL value is checked against what the corpus holds, anything
unknown is dropped with a notice, and no value is ever used as a path.
Filtering is vectorised pandas, so a rerun stays fast on large corpora.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from warlens.corpus import Corpus
from warlens.model import EVENT_TYPES, STANCES, Col

#: URL parameter names, one per filter; multi-valued ones repeat the key.
P_ARTICLE, P_PLACE, P_FROM, P_TO = "article", "place", "from", "to"
P_TYPE, P_ACTOR, P_STANCE, P_CONTESTED = "type", "actor", "stance", "contested"
P_EVENT, P_CLAIM, P_SEARCH, P_DRAFTS = "event", "claim", "q", "drafts"
MULTI = (P_ARTICLE, P_PLACE, P_TYPE, P_ACTOR, P_STANCE)
SINGLE = (P_FROM, P_TO, P_CONTESTED, P_EVENT, P_CLAIM, P_SEARCH, P_DRAFTS)
PARAMS = MULTI + SINGLE
#: Longest URL value we look at; anything longer is dropped with a notice.
MAX_VALUE = 300
MAX_VALUES = 50
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class Filters:
    """Everything that defines a view. Empty means "no restriction"."""

    articles: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    types: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()
    stances: tuple[str, ...] = ()
    contested: bool = False
    hide_drafts: bool = False
    search: str = ""
    event: str | None = None
    claim: str | None = None

    def to_params(self) -> dict[str, list[str]]:
        """The URL parameters for this view (only what is set, in a stable order)."""
        params: dict[str, list[str]] = {}
        for name, values in ((P_ARTICLE, self.articles), (P_PLACE, self.places),
                             (P_TYPE, self.types), (P_ACTOR, self.actors),
                             (P_STANCE, self.stances)):
            if values:
                params[name] = list(values)
        if self.date_from:
            params[P_FROM] = [self.date_from.isoformat()]
        if self.date_to:
            params[P_TO] = [self.date_to.isoformat()]
        if self.contested:
            params[P_CONTESTED] = ["1"]
        if self.hide_drafts:
            params[P_DRAFTS] = ["hide"]
        if self.search:
            params[P_SEARCH] = [self.search]
        if self.event:
            params[P_EVENT] = [self.event]
        if self.claim:
            params[P_CLAIM] = [self.claim]
        return params

    def without_selection(self) -> Filters:
        """The same filters with no item selected."""
        return replace(self, event=None, claim=None)

    @property
    def is_empty(self) -> bool:
        """True when nothing restricts the view."""
        return self.without_selection() == Filters()


@dataclass(frozen=True)
class Vocabulary:
    """What a URL value may name in this corpus, matched case-insensitively."""

    articles: dict[str, str]
    places: dict[str, str]
    actors: dict[str, str]
    events: frozenset[str]
    claims: frozenset[str]
    types: dict[str, str] = field(default_factory=lambda: {t: t for t in EVENT_TYPES})
    stances: dict[str, str] = field(default_factory=lambda: {s: s for s in STANCES})
    #: What the Place filter offers: namesakes apart ("Ivanivka (Donetsk Oblast)"), then
    #: countries. `places` also takes a namesake's plain name, so old links keep working.
    place_choices: tuple[str, ...] = ()


def _folded(values: Iterable[object]) -> dict[str, str]:
    return {str(v).casefold(): str(v) for v in sorted({v for v in values if v and v == v})}


def vocabulary(corpus: Corpus) -> Vocabulary:
    """The names a view can filter on: articles, places (and their countries), actors."""
    labels = namesake_labels(corpus)
    countries = list(corpus.places[Col.COUNTRY_NAME])
    places = _folded([*corpus.places[Col.PLACE_NAME], *labels.values(), *countries])
    ambiguous = {str(n).casefold() for n in corpus.places.loc[
        corpus.places[Col.KEY].isin(list(labels)), Col.PLACE_NAME]}
    choices = _folded([*(n for n in corpus.places[Col.PLACE_NAME]
                         if isinstance(n, str) and n.casefold() not in ambiguous),
                       *labels.values(), *countries])
    actors = _folded(list(actor_names(corpus.events)) + list(corpus.claims[Col.CLAIMANT]))
    return Vocabulary(
        articles=_folded(corpus.articles[Col.ARTICLE]),
        places=places,
        actors=actors,
        events=frozenset(corpus.events[Col.KEY]),
        claims=frozenset(corpus.claims[Col.KEY]),
        place_choices=tuple(choices.values()),
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


def filters_from_params(params: Mapping[str, object], vocab: Vocabulary
                        ) -> tuple[Filters, list[str]]:
    """Read a view from URL parameters; return it with a notice for every value dropped."""
    notices: list[str] = []

    def pick(name: str, known: Mapping[str, str], what: str) -> tuple[str, ...]:
        chosen: list[str] = []
        values = _values(params, name)
        if len(values) > MAX_VALUES:
            notices.append(f"Only the first {MAX_VALUES} '{name}' values of the link were used.")
            values = values[:MAX_VALUES]
        for value in values:
            if len(value) > MAX_VALUE:
                notices.append(f"Ignored a {len(value)}-character '{name}' value from the link.")
                continue
            hit = known.get(value.strip().casefold())
            if hit is None:
                notices.append(f"Ignored {name}={_shown(value)!r} from the link: no such {what}.")
            elif hit not in chosen:
                chosen.append(hit)
        return tuple(chosen)

    def one(name: str) -> str | None:
        values = [v for v in _values(params, name) if v.strip()]
        if len(values) > 1:
            notices.append(f"The link gave '{name}' {len(values)} times; the first was used.")
        if not values:
            return None
        if len(values[0]) > MAX_VALUE:
            notices.append(f"Ignored a {len(values[0])}-character '{name}' value from the link.")
            return None
        return values[0]

    def date(name: str) -> dt.date | None:
        value = one(name)
        if value is None:
            return None
        parsed = parse_date_param(value)
        if parsed is None:
            notices.append(f"Ignored {name}={_shown(value)!r} from the link: "
                           "not a date (use YYYY-MM-DD).")
        return parsed

    def item(name: str, known: frozenset[str]) -> str | None:
        value = one(name)
        if value is not None and value not in known:
            notices.append(f"Ignored {name}={_shown(value)!r} from the link: no such {name}.")
            return None
        return value

    contested_raw = one(P_CONTESTED)
    contested = False
    if contested_raw is not None:
        if contested_raw.strip().lower() in _TRUE:
            contested = True
        elif contested_raw.strip().lower() not in _FALSE:
            notices.append(f"Ignored contested={_shown(contested_raw)!r} from the link: "
                           "use contested=1.")
    drafts_raw = one(P_DRAFTS)
    if drafts_raw is not None and drafts_raw not in ("hide", "show"):
        notices.append(f"Ignored drafts={_shown(drafts_raw)!r} from the link: use drafts=hide.")
    date_from, date_to = date(P_FROM), date(P_TO)
    if date_from and date_to and date_from > date_to:
        notices.append("The link's 'from' date is after its 'to' date; they were swapped.")
        date_from, date_to = date_to, date_from
    filters = Filters(
        articles=pick(P_ARTICLE, vocab.articles, "article"),
        places=pick(P_PLACE, vocab.places, "place"),
        date_from=date_from,
        date_to=date_to,
        types=pick(P_TYPE, vocab.types, "event type"),
        actors=pick(P_ACTOR, vocab.actors, "actor or claimant"),
        stances=pick(P_STANCE, vocab.stances, "stance"),
        contested=contested,
        hide_drafts=drafts_raw == "hide",
        search=(one(P_SEARCH) or "").strip(),
        event=item(P_EVENT, vocab.events),
        claim=item(P_CLAIM, vocab.claims),
    )
    unknown = sorted(k for k in params if k not in PARAMS)
    if unknown:
        notices.append("Ignored unknown link parameters: "
                       + ", ".join(repr(_shown(k)) for k in unknown[:10]) + ".")
    return filters, notices


# --- what a corpus lets every rerun reuse --------------------------------------------------------

# Keyed by id(corpus) and checked by a weak reference, so an entry dies with its corpus
# and a new corpus at a reused address never sees an old one's entries.
_DERIVED: dict[int, tuple[weakref.ref, dict[str, Any]]] = {}
_DERIVED_LOCK = threading.Lock()


def derived(corpus: Corpus, name: str, build: Callable[[], Any]) -> Any:
    """`build()` for this corpus, computed once while the corpus lives.

    For what a rerun would otherwise recompute from the whole corpus although only the
    filters changed (the place codes, the article titles). The corpus is read-only, so
    a derived value can never be stale.
    """
    key = id(corpus)
    with _DERIVED_LOCK:
        entry = _DERIVED.get(key)
        if entry is None or entry[0]() is not corpus:
            ref = weakref.ref(corpus, lambda dead, k=key: _forget(k, dead))
            entry = _DERIVED[key] = (ref, {})
        store = entry[1]
    if name not in store:
        store[name] = build()  # two threads may both build it once; either result is right
    return store[name]


def _forget(key: int, dead: weakref.ref) -> None:
    with _DERIVED_LOCK:
        if key in _DERIVED and _DERIVED[key][0] is dead:
            del _DERIVED[key]


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


def _date_mask(table: pd.DataFrame, lo: dt.date | None, hi: dt.date | None) -> pd.Series:
    """Items whose date range overlaps [lo, hi]; undated items only pass an open filter."""
    mask = pd.Series(True, index=table.index)
    if lo is not None:
        mask &= table[Col.END] >= pd.Timestamp(lo)
    if hi is not None:
        mask &= table[Col.START] <= pd.Timestamp(hi)
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


def event_mask(corpus: Corpus, filters: Filters) -> np.ndarray:
    """Which of the corpus's events are in view, as a boolean array."""
    events = corpus.events
    mask = pd.Series(True, index=events.index)
    if filters.articles:
        mask &= events[Col.ARTICLE].isin(filters.articles)
    if filters.places:
        mask &= _place_mask(corpus, "events", filters.places)
    if filters.date_from or filters.date_to:
        mask &= _date_mask(events, filters.date_from, filters.date_to)
    if filters.types:
        mask &= events[Col.TYPE].isin(filters.types)
    if filters.actors:
        claimed = corpus.claims.loc[corpus.claims[Col.CLAIMANT].isin(filters.actors), Col.EVENT]
        mask &= _has_any(events[Col.ACTORS], filters.actors) | events[Col.KEY].isin(claimed)
    if filters.contested:
        mask &= events[Col.CONTESTED]
    if filters.hide_drafts:
        mask &= ~events[Col.DRAFT]
    if filters.search:
        mask &= _search_mask(events, (Col.SUMMARY, Col.QUOTE, Col.ACTORS, Col.PLACE_NAME),
                             filters.search)
    return mask.to_numpy(dtype=bool)


def claim_mask(corpus: Corpus, filters: Filters) -> np.ndarray:
    """Which of the corpus's claims are in view, as a boolean array."""
    claims = corpus.claims
    mask = pd.Series(True, index=claims.index)
    if filters.articles:
        mask &= claims[Col.ARTICLE].isin(filters.articles)
    if filters.places:
        mask &= _place_mask(corpus, "claims", filters.places)
    if filters.date_from or filters.date_to:
        mask &= _date_mask(claims, filters.date_from, filters.date_to)
    if filters.types:
        typed = corpus.events.loc[corpus.events[Col.TYPE].isin(filters.types), Col.KEY]
        mask &= claims[Col.EVENT].isin(typed)
    if filters.actors:
        about = corpus.events.loc[_has_any(corpus.events[Col.ACTORS], filters.actors), Col.KEY]
        mask &= claims[Col.CLAIMANT].isin(filters.actors) | claims[Col.EVENT].isin(about)
    if filters.stances:
        mask &= claims[Col.STANCE].isin(filters.stances)
    if filters.contested:
        mask &= claims[Col.CONTESTED]
    if filters.hide_drafts:
        mask &= ~claims[Col.DRAFT]
    if filters.search:
        mask &= _search_mask(claims, (Col.CLAIM, Col.CLAIMANT, Col.QUOTE, Col.EVENT_SUMMARY,
                                      Col.PLACE_NAME), filters.search)
    return mask.to_numpy(dtype=bool)


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
