"""Propose which events of different articles report the same real-world story.

Pure: tables in, proposals out. Three steps, each a plain function:

1. `candidate_pairs`: blocking. Two events of different articles are compared only
   when their places are compatible (within a distance fitting the coarser place's
   precision, PLACE_RADIUS_KM; without coordinates, the same GeoNames id or the same
   name in the same country; country-level places only with country-level places of
   the same country), their date ranges overlap (DATE_SLACK_DAYS of slack), and one of
   them is dated within SHARP_DAYS. Undated events, and events dated only to a span
   longer than MAX_SPAN_DAYS, are never compared: a date that vague cannot tell one
   story from another. Blocking is a sweep: events sorted by place key and first day,
   each meeting the events after it that start before it ends.
2. `score_pairs`: each candidate gets a score in [0, 1] from place, date, type, actors
   and text (rapidfuzz on the summaries and quotes, with the place's own name taken out,
   since every candidate already shares it); WEIGHTS says how much each counts.
3. `cluster`: pairs at or above the threshold, best first, plus the hand links already
   in the files (events carrying the same `story:`), join events into stories, under
   two rules that keep chains of middling pairs from welding stories together (see
   `cluster`). Each story with something new becomes a proposal (`propose`).

docs/linking.md says why this engine rather than Splink, and what it scores.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process, utils

from warlens.model import SLUG_RE, Col

#: How far apart two places may be and still be one place, by the coarser precision (km).
PLACE_RADIUS_KM: dict[str, float] = {"exact": 25.0, "settlement": 25.0, "district": 50.0,
                                     "region": 150.0}
#: Days of slack when comparing date ranges ("overnight", time zones, "yesterday").
DATE_SLACK_DAYS = 1
#: Events dated only to a longer span than this are not linked automatically.
MAX_SPAN_DAYS = 92
#: Of two events compared, at least one must be dated this sharply (in days); both must
#: be when their places are whole countries. Two month-long dates that overlap say
#: almost nothing, and at 100,000 articles they made most of the candidate pairs.
SHARP_DAYS = 7
#: How much each kind of evidence weighs in a pair's score (they add up to 1).
WEIGHTS: dict[str, float] = {"place": 0.20, "date": 0.20, "type": 0.20, "actors": 0.15,
                             "text": 0.25}
#: Pairs scoring at least this are proposed; a story is accepted by default only if
#: every link it rests on scores at least ACCEPT.
BORDERLINE = 0.75
ACCEPT = 0.80
#: Two groups of events join only if at least this share of the pairs between them
#: scored at least the threshold (average linkage, in effect).
SUPPORT = 0.5
#: Types that one outlet may give to an event another outlet types otherwise.
NEAR_TYPES: frozenset[frozenset[str]] = frozenset({
    frozenset({"battle", "territorial_control"}),
    frozenset({"remote_violence", "violence_against_civilians"}),
    frozenset({"battle", "remote_violence"}),
})
#: Characters of a quote kept in a proposals file.
QUOTE_EXCERPT = 160

_EARTH_KM = 6371.0088
_FINE_CELL_KM = max(v for k, v in PLACE_RADIUS_KM.items() if k != "region")
_REGION_CELL_KM = PLACE_RADIUS_KM["region"]
_CELL_STRIDE = 4096  # cubes per axis in a cell key: (x * stride + y) * stride + z
_DAY_BITS = 20  # a place key and a day packed in one int64: key << 20 | day
_EPOCH = np.datetime64("1970-01-01", "D")


@dataclass(frozen=True)
class Prepared:
    """The events that can be linked, as arrays, with what scoring needs."""

    events: pd.DataFrame   # the linkable events, index 0..n-1
    skipped: int           # events left out: no place, undated, or dated too vaguely


#: The event columns linking reads.
_COLUMNS = [Col.KEY, Col.ARTICLE, Col.ID, Col.TYPE, Col.SUMMARY, Col.QUOTE, Col.ACTORS,
            Col.PLACE, Col.PLACE_NAME, Col.PRECISION, Col.COUNTRY, Col.LAT, Col.LON,
            Col.STORY, Col.DATE_LABEL, Col.FILE, Col.LINE]


def prepare(events: pd.DataFrame, places: pd.DataFrame | None = None) -> Prepared:
    """The linkable events with day numbers and GeoNames ids; drafts are kept.

    Left out: events without a place, undated, or dated to more than MAX_SPAN_DAYS.
    Text columns keep their type (no copy into Python strings: at 500,000 events that
    cost a gigabyte).
    """
    start = events[Col.START].to_numpy("datetime64[D]")
    end = events[Col.END].to_numpy("datetime64[D]")
    dated = ~(np.isnat(start) | np.isnat(end))
    span = np.where(dated, (end - start).astype("timedelta64[D]").astype(np.int64) + 1, 0)
    keep = dated & (span <= MAX_SPAN_DAYS) & events[Col.PLACE].notna().to_numpy()
    out = events.loc[keep, _COLUMNS].reset_index(drop=True)
    out[Col.ACTORS] = out[Col.ACTORS].fillna("")
    out[Col.STORY] = out[Col.STORY].fillna("")
    out[Col.LAT] = out[Col.LAT].astype(float)
    out[Col.LON] = out[Col.LON].astype(float)
    out["day0"] = (start[keep] - _EPOCH).astype("timedelta64[D]").astype(np.int64)
    out["day1"] = (end[keep] - _EPOCH).astype("timedelta64[D]").astype(np.int64)
    out["span"] = span[keep]
    if places is not None and len(places):
        geonames = places.set_index(Col.KEY)[Col.GEONAMES]
        out["geonames"] = out[Col.PLACE].map(geonames).astype("Int64")
    else:
        out["geonames"] = pd.array([pd.NA] * len(out), dtype="Int64")
    return Prepared(out, len(events) - len(out))


# --- 1. blocking ---------------------------------------------------------------------------


def _cells(lat: np.ndarray, lon: np.ndarray, size: float) -> np.ndarray:
    """A key per cube of `size` km around the points on the globe (as 3D points in km).

    Two places within `size` km of each other along the surface are within `size` km in
    each of x, y and z, so they are in the same cube or in neighbouring ones; a flat
    projection cannot promise that far from the equator or the prime meridian.
    """
    phi, lam = np.radians(np.nan_to_num(lat)), np.radians(np.nan_to_num(lon))
    key = np.zeros(len(phi), dtype=np.int64)
    for axis in (np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)):
        cell = np.floor(axis * _EARTH_KM / size).astype(np.int64) + _CELL_STRIDE // 2
        key = key * _CELL_STRIDE + cell
    return key


#: Neighbouring cubes, half of them: a pair in cubes c and c + d is found from c alone.
_FORWARD = [(dx, dy, dz) for dx in (-1, 0, 1) for dy in (-1, 0, 1) for dz in (-1, 0, 1)
            if (dx, dy, dz) > (0, 0, 0)]
_AROUND = [(dx, dy, dz) for dx in (-1, 0, 1) for dy in (-1, 0, 1) for dz in (-1, 0, 1)]


def _offset(d: tuple[int, int, int]) -> int:
    return (d[0] * _CELL_STRIDE + d[1]) * _CELL_STRIDE + d[2]


def _ranges(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(i, j) for every i and every j in [lo[i], hi[i])."""
    counts = np.maximum(hi - lo, 0)
    total = int(counts.sum())
    firsts = np.cumsum(counts) - counts
    i = np.repeat(np.arange(len(lo)), counts)
    return i, np.repeat(lo, counts) + (np.arange(total) - np.repeat(firsts, counts))


def _sorted(key: np.ndarray, day0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The order of (key, first day), and those pairs packed into one sortable int64."""
    packed = (key << _DAY_BITS) | day0
    order = np.argsort(packed, kind="stable")
    return order, packed[order]


#: Events whose pairs are generated at a time: bounds the memory of a sweep.
_SWEEP_CHUNK = 50_000
Pairs = Iterator[tuple[np.ndarray, np.ndarray]]


def _overlapping(key: np.ndarray, day0: np.ndarray, day1: np.ndarray) -> Pairs:
    """Pairs (i, j) of one set with the same key whose dates overlap (with the slack).

    A sweep: sorted by (key, first day), each event meets the events after it that start
    no later than its last day plus the slack. Each pair comes once, and no pair is
    generated that does not overlap. Yielded a chunk of events at a time.
    """
    order, packed = _sorted(key, day0)
    ends = (key[order] << _DAY_BITS) | (day1[order] + DATE_SLACK_DAYS)
    hi = np.searchsorted(packed, ends, side="right")
    for start in range(0, len(order), _SWEEP_CHUNK):
        stop = min(start + _SWEEP_CHUNK, len(order))
        i, j = _ranges(np.arange(start + 1, stop + 1), hi[start:stop])
        yield order[i + start], order[j]


def _overlapping_across(key_a: np.ndarray, day0_a: np.ndarray, day1_a: np.ndarray,
                        key_b: np.ndarray, day0_b: np.ndarray, day1_b: np.ndarray) -> Pairs:
    """Pairs (i of A, j of B) with the same key whose dates overlap (with the slack)."""
    order_b, packed_b = _sorted(key_b, day0_b)
    lo = np.searchsorted(packed_b, (key_a << _DAY_BITS) | day0_a, side="left")
    hi = np.searchsorted(packed_b, (key_a << _DAY_BITS) | (day1_a + DATE_SLACK_DAYS),
                         side="right")
    for start in range(0, len(lo), _SWEEP_CHUNK):  # B starts on or after A's first day
        i, j = _ranges(lo[start:start + _SWEEP_CHUNK], hi[start:start + _SWEEP_CHUNK])
        yield i + start, order_b[j]
    order_a, packed_a = _sorted(key_a, day0_a)
    lo = np.searchsorted(packed_a, (key_b << _DAY_BITS) | (day0_b + 1), side="left")
    hi = np.searchsorted(packed_a, (key_b << _DAY_BITS) | (day1_b + DATE_SLACK_DAYS),
                         side="right")
    for start in range(0, len(lo), _SWEEP_CHUNK):  # A starts after B's first day
        j, i = _ranges(lo[start:start + _SWEEP_CHUNK], hi[start:start + _SWEEP_CHUNK])
        yield order_a[i], j + start


def candidate_pairs(prep: Prepared) -> pd.DataFrame:
    """Pairs (a, b) of rows of different articles whose places and dates are compatible.

    Columns: a, b (rows of prep.events, a < b) and km (distance, NaN when unknown).
    Pairs come from sweeps over events sorted by place key and first day (see
    `_overlapping`): fine places by cube (`_cells`) and each neighbouring cube, regions by
    larger cubes, places without coordinates by GeoNames id or by name and country,
    country-level places by country. The exact rules then filter them.
    """
    if len(prep.events) == 0:
        return _no_pairs()
    sweep = _Sweep(prep.events)
    sweep.fine_places()
    # Regions and places without coordinates may find a pair twice; the grid and the
    # countries find each pair once.
    repeats = sweep.regions()
    repeats = sweep.unlocated() or repeats
    sweep.countries()
    return sweep.pairs(repeats)


def _no_pairs() -> pd.DataFrame:
    """An empty pairs table, in the dtypes it always has."""
    return pd.DataFrame({"a": np.zeros(0, np.int32), "b": np.zeros(0, np.int32),
                         "km": np.zeros(0, np.float32)})


class _Sweep:
    """The events' columns as arrays, swept for candidate pairs one kind of place at a
    time; `take` keeps, a chunk at a time, the pairs the rules allow."""

    def __init__(self, ev: pd.DataFrame) -> None:
        self.n = len(ev)
        self.lat, self.lon = ev[Col.LAT].to_numpy(), ev[Col.LON].to_numpy()
        precision = ev[Col.PRECISION].to_numpy().astype(str)
        self.has_xy = ~np.isnan(self.lat)
        self.fine = self.has_xy & np.isin(precision, ["exact", "settlement", "district"])
        self.region = self.has_xy & (precision == "region")
        self.country = precision == "country"
        first = ev["day0"].to_numpy()
        shift = first.min() - DATE_SLACK_DAYS - 1  # days from 1, so they pack under a key
        self.day0, self.day1 = first - shift, ev["day1"].to_numpy() - shift
        self.article = pd.factorize(ev[Col.ARTICLE])[0]
        self.sharp = ev["span"].to_numpy() <= SHARP_DAYS
        self.geonames = ev["geonames"].to_numpy(dtype=float, na_value=np.nan)
        self.has_gn = ~np.isnan(self.geonames)
        self.names = pd.factorize(ev[Col.PLACE_NAME].fillna("").str.lower().str.strip() + "|"
                                  + ev[Col.COUNTRY].fillna("").astype(str))[0].astype(np.int64)
        self.codes = pd.factorize(ev[Col.COUNTRY].fillna("").astype(str))[0].astype(np.int64)
        self.reach = _radius(precision)
        self.found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def take(self, a: np.ndarray, b: np.ndarray) -> None:
        """Keep the pairs the rules allow: different articles, a sharp date (both, for
        countries), and places that match."""
        article, sharp, country = self.article, self.sharp, self.country
        keep = (a != b) & (article[a] != article[b]) & (sharp[a] | sharp[b])
        keep &= ~(country[a] & country[b]) | (sharp[a] & sharp[b])
        a, b = a[keep], b[keep]
        km = _haversine(self.lat[a], self.lon[a], self.lat[b], self.lon[b])
        ok = country[a] & country[b] & (self.codes[a] == self.codes[b])
        # Where both places have coordinates, the distance decides; a name for the rest.
        same_gn = self.has_gn[a] & self.has_gn[b] & (self.geonames[a] == self.geonames[b])
        by_name = ~(self.has_xy[a] & self.has_xy[b]) & (same_gn | (self.names[a] == self.names[b]))
        ok |= ~country[a] & ~country[b] & (by_name | (km <= np.fmax(self.reach[a], self.reach[b])))
        a, b = a[ok], b[ok]
        self.found.append((np.minimum(a, b).astype(np.int32),
                           np.maximum(a, b).astype(np.int32), km[ok].astype(np.float32)))

    def within(self, rows: np.ndarray, key: np.ndarray) -> None:
        """Pairs among `rows` under the same key with overlapping dates."""
        for i, j in _overlapping(key, self.day0[rows], self.day1[rows]):
            self.take(rows[i], rows[j])

    def across(self, rows_a: np.ndarray, key_a: np.ndarray, rows_b: np.ndarray,
               key_b: np.ndarray) -> None:
        """Pairs of a row of `rows_a` and one of `rows_b` under the same key, dates
        overlapping."""
        for i, j in _overlapping_across(key_a, self.day0[rows_a], self.day1[rows_a],
                                        key_b, self.day0[rows_b], self.day1[rows_b]):
            self.take(rows_a[i], rows_b[j])

    def fine_places(self) -> None:
        """Fine places: a grid as wide as the largest fine radius; each cell with itself
        and with its neighbours (four of the eight: the other four see this cell the
        same way)."""
        rows = np.flatnonzero(self.fine)
        cell = _cells(self.lat[rows], self.lon[rows], _FINE_CELL_KM)
        self.within(rows, cell)
        for d in _FORWARD:
            self.across(rows, cell, rows, cell - _offset(d))

    def regions(self) -> bool:
        """Regions: each with every place that has coordinates, in a grid of the region
        radius. Whether there were any (their pairs may repeat)."""
        rows_r = np.flatnonzero(self.region)
        if not len(rows_r):
            return False
        rows_all = np.flatnonzero(self.fine | self.region)
        coarse = _cells(self.lat, self.lon, _REGION_CELL_KM)
        for d in _AROUND:
            self.across(rows_r, coarse[rows_r], rows_all, coarse[rows_all] - _offset(d))
        return True

    def unlocated(self) -> bool:
        """Places without coordinates: by GeoNames id, else by name and country.
        Whether there were any (their pairs may repeat)."""
        repeats = False
        alone = np.flatnonzero(self.has_gn & ~self.has_xy)
        if len(alone):
            repeats = True
            with_gn = np.flatnonzero(self.has_gn)
            self.across(alone, self.geonames[alone].astype(np.int64), with_gn,
                        self.geonames[with_gn].astype(np.int64))
        alone = np.flatnonzero(~self.country & ~self.has_xy & ~self.has_gn)
        if len(alone):
            repeats = True
            named = np.flatnonzero(~self.country)
            self.across(alone, self.names[alone], named, self.names[named])
        return repeats

    def countries(self) -> None:
        """Country-level places: only with country-level places of the same country."""
        rows = np.flatnonzero(self.country)
        self.within(rows, self.codes[rows])

    def pairs(self, repeats: bool) -> pd.DataFrame:
        """The pairs kept, each once when some rule may have found it twice."""
        found = self.found
        if not found:
            return _no_pairs()
        a = np.concatenate([f[0] for f in found])
        b = np.concatenate([f[1] for f in found])
        km = np.concatenate([f[2] for f in found])
        found.clear()
        if repeats:  # a pair found by two rules counts once (np.unique hashes: 10x slower)
            pair = a.astype(np.int64) * self.n + b
            order = np.argsort(pair, kind="stable")
            first = np.concatenate(([True], pair[order][1:] != pair[order][:-1]))
            a, b, km = a[order][first], b[order][first], km[order][first]
        return pd.DataFrame({"a": a, "b": b, "km": km})


def _radius(precision: np.ndarray) -> np.ndarray:
    out = np.full(len(precision), np.nan)
    for name, km in PLACE_RADIUS_KM.items():
        out[precision == name] = km
    return out


def _haversine(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray,
               lon2: np.ndarray) -> np.ndarray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    h = (np.sin((p2 - p1) / 2) ** 2
         + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2)
    return 2 * _EARTH_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))


# --- 2. scoring ----------------------------------------------------------------------------


def _without_place(texts: pd.Series, place_names: pd.Series,
                   rows: np.ndarray | None = None) -> list[str]:
    """Texts lower-cased with their own place's name taken out (every candidate shares it).

    Only `rows` are prepared when given (the others stay empty): at 100,000 articles
    most events are in no pair worth comparing.
    """
    out = [""] * len(texts)
    chosen = range(len(texts)) if rows is None else rows.tolist()
    text_at, name_at = texts.to_numpy(), place_names.to_numpy()
    for i in chosen:
        low = str(text_at[i]).lower()
        name = name_at[i]
        if isinstance(name, str) and name:
            low = low.replace(name.lower(), " ")
        out[i] = low
    return out


#: Candidate pairs whose cheap evidence is weighed at a time: bounds the memory.
_CHUNK = 2_000_000


def score_pairs(prep: Prepared, pairs: pd.DataFrame,
                threshold: float = BORDERLINE) -> pd.DataFrame:
    """The candidate pairs that can reach `threshold`, with their evidence and score.

    Evidence: place, date, type, actors, text; the score, in [0, 1], weighs them by
    WEIGHTS. Text is the costly part, so it is compared only for the pairs whose other
    evidence leaves them a chance; the others are dropped here, as they could never be
    proposed (at 100,000 articles, most of the candidates).
    """
    ev = prep.events
    per_event = {
        "geonames": ev["geonames"].to_numpy(dtype=float, na_value=np.nan),
        "names": pd.factorize(ev[Col.PLACE_NAME].fillna("").str.lower())[0],
        "country": (ev[Col.PRECISION] == "country").to_numpy(dtype=bool, na_value=False),
        "radius": _radius(ev[Col.PRECISION].to_numpy().astype(str)),
        "day0": ev["day0"].to_numpy(), "day1": ev["day1"].to_numpy(),
        "span": ev["span"].to_numpy(), "prints": _actor_prints(ev[Col.ACTORS]),
    }
    codes, kinds = pd.factorize(ev[Col.TYPE])
    per_event["type"] = codes
    per_event["types"] = np.array(
        [[1.0 if x == y else 0.5 if frozenset((x, y)) in NEAR_TYPES else 0.0 for y in kinds]
         for x in kinds]).reshape(len(kinds), len(kinds))
    kept = [_cheap_evidence(per_event, pairs.iloc[i:i + _CHUNK], threshold)
            for i in range(0, len(pairs), _CHUNK)]
    out = (pd.concat(kept, ignore_index=True) if kept
           else _cheap_evidence(per_event, pairs, threshold))
    # Text: rapidfuzz on summaries and quotes, the shared place name taken out.
    a, b = out["a"].to_numpy(), out["b"].to_numpy()
    used = np.unique(np.concatenate([a, b]))
    summary = _without_place(ev[Col.SUMMARY], ev[Col.PLACE_NAME], used)
    quote = _without_place(ev[Col.QUOTE], ev[Col.PLACE_NAME], used)
    out["summary"] = _similarity(summary, a, b)
    out["quote"] = _similarity(quote, a, b)
    out["text"] = np.fmax(out["summary"], out["quote"])
    out["score"] = out["score"].to_numpy() + WEIGHTS["text"] * out["text"].to_numpy()
    return out


def _cheap_evidence(per_event: dict[str, np.ndarray], pairs: pd.DataFrame,
                    threshold: float) -> pd.DataFrame:
    """Place, date, type and actors of some pairs, and their score before the text;
    only the pairs that the text could still lift to `threshold`."""
    a, b = pairs["a"].to_numpy(), pairs["b"].to_numpy()
    out = pairs.copy()
    # Place: the same place is 1; otherwise the closer, the better.
    geonames, names, country = per_event["geonames"], per_event["names"], per_event["country"]
    same = (geonames[a] == geonames[b]) | (names[a] == names[b])
    radius = np.fmax(per_event["radius"][a], per_event["radius"][b])
    near = np.clip(1 - out["km"].to_numpy() / radius, 0, 1)
    place = np.where(same, 1.0, np.nan_to_num(near))
    out["place"] = np.where(country[a] & country[b], 0.3, place)  # a country says little
    # Date: overlapping exactly vs within the slack, and how precise the vaguer one is.
    day0, day1, span = per_event["day0"], per_event["day1"], per_event["span"]
    overlap = (day0[a] <= day1[b]) & (day0[b] <= day1[a])
    out["date"] = np.where(overlap, 1.0, 0.7) / np.sqrt(np.maximum(span[a], span[b]))
    # Type: the same, a type an outlet might give instead, or another.
    codes = per_event["type"]
    out["type"] = per_event["types"][codes[a], codes[b]] if len(a) else np.zeros(0)
    # Actors: the share of names in common (Jaccard), on 64-bit fingerprints of the names.
    prints = per_event["prints"]
    both = _popcount(prints[a] & prints[b])
    either = _popcount(prints[a] | prints[b])
    out["actors"] = np.where(either > 0, both / np.maximum(either, 1), 0.0)
    out["score"] = sum(WEIGHTS[k] * out[k].to_numpy() for k in WEIGHTS if k != "text")
    return out[out["score"].to_numpy() + WEIGHTS["text"] >= threshold]


_BITS = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def _popcount(values: np.ndarray) -> np.ndarray:
    """Set bits of each uint64 (np.bitwise_count needs numpy 2; pandas 2 allows numpy 1)."""
    return _BITS[values.view(np.uint8)].reshape(-1, 8).sum(axis=1)


def _actor_prints(actors: pd.Series) -> np.ndarray:
    """Each event's actor names as a 64-bit set: one bit per name, by a stable hash."""
    import zlib

    bits: dict[str, int] = {}
    out = np.zeros(len(actors), dtype=np.uint64)
    for i, value in enumerate(actors.fillna("").to_numpy()):
        mask = 0
        for name in str(value).split("; "):
            if name:
                bit = bits.get(name)
                if bit is None:
                    bit = bits[name] = 1 << (zlib.crc32(name.lower().encode()) % 64)
                mask |= bit
        out[i] = mask
    return out


def _similarity(texts: list[str], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """rapidfuzz token-sort similarity of texts[a[i]] and texts[b[i]], in [0, 1]."""
    if len(a) == 0:
        return np.zeros(0)
    left = [texts[i] for i in a]
    right = [texts[i] for i in b]
    return process.cpdist(left, right, scorer=fuzz.token_sort_ratio,
                          processor=utils.default_process, workers=-1) / 100.0


# --- 3. clustering and proposals -------------------------------------------------------------


def cluster(articles: list[str], edges: Iterable[tuple[int, int]],
            forced: Iterable[tuple[int, int]] = ()) -> list[list[int]]:
    """Stories as groups of rows (two or more), joined along `edges` in the order given.

    `forced` edges (hand links) join first, whatever they join. An edge then joins its
    two groups only if they hold no article in common (one article rarely reports one
    story twice) and at least SUPPORT of the pairs between them are edges too. Plain
    connected components let a chain of middling pairs (A like B, B like C) weld many
    stories into one: on the synthetic corpus they gave a precision under 0.1.
    """
    edges = list(edges)
    forced = list(forced)
    groups = _Groups(articles, edges, forced)
    for i, j in forced:
        ri, rj = groups.find(i), groups.find(j)
        if ri != rj:
            groups.join(ri, rj)
    for i, j in edges:
        ri, rj = groups.find(i), groups.find(j)
        if ri != rj and groups.may_join(ri, rj):
            groups.join(ri, rj)
    return groups.members()


class _Groups:
    """Union-find over the rows the edges touch, with what `cluster` asks of a group:
    its size, the articles it holds, and how many edges run to each other group."""

    def __init__(self, articles: list[str], edges: list[tuple[int, int]],
                 forced: list[tuple[int, int]]) -> None:
        self.nodes = {i for pair in (*edges, *forced) for i in pair}  # only these can join
        self.parent = {i: i for i in self.nodes}
        self.size = dict.fromkeys(self.nodes, 1)
        self.held = {i: {articles[i]} for i in self.nodes}
        # root -> root -> edges between them
        self.between: dict[int, dict[int, int]] = {i: {} for i in self.nodes}
        for i, j in set(edges) | set(forced):
            self.between[i][j] = self.between[i].get(j, 0) + 1
            self.between[j][i] = self.between[j].get(i, 0) + 1

    def find(self, i: int) -> int:
        """The root of i's group (halving the path on the way)."""
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def may_join(self, ri: int, rj: int) -> bool:
        """Whether two groups share no article and SUPPORT of the pairs between them
        are edges."""
        return (not self.held[ri] & self.held[rj]
                and self.between[ri].get(rj, 0) >= SUPPORT * self.size[ri] * self.size[rj])

    def join(self, ri: int, rj: int) -> None:
        """Merge the smaller of two groups into the bigger, with its articles and edges."""
        size, held, between = self.size, self.held, self.between
        small, big = (ri, rj) if size[ri] < size[rj] else (rj, ri)
        self.parent[small] = big
        size[big] += size[small]
        held[big] |= held[small]
        for other, count in between[small].items():
            if other != big:
                between[big][other] = between[big].get(other, 0) + count
                between[other][big] = between[other].get(big, 0) + count
                del between[other][small]
        between[big].pop(small, None)
        between[small] = {}
        held[small] = set()

    def members(self) -> list[list[int]]:
        """The groups of two or more rows, each in row order."""
        groups: dict[int, list[int]] = defaultdict(list)
        for i in sorted(self.nodes):
            groups[self.find(i)].append(i)
        return [g for g in groups.values() if len(g) > 1]


@dataclass
class Proposals:
    """What `propose` found: proposed stories and the figures behind them."""

    stories: list[dict[str, Any]] = field(default_factory=list)
    events: int = 0          # events considered
    skipped: int = 0         # without a place, or a date sharp enough, to link
    candidates: int = 0      # pairs compared after blocking
    linked: int = 0          # pairs at or above the threshold


def _hand_edges(story: np.ndarray) -> list[tuple[int, int]]:
    """Edges joining the events that already carry the same story (a star per story)."""
    first: dict[str, int] = {}
    edges = []
    for i, slug in enumerate(story):
        if slug:
            if slug in first:
                edges.append((first[slug], i))
            else:
                first[slug] = i
    return edges


@dataclass(frozen=True)
class Linked:
    """One linking run: the events, how many pairs blocking found, the pairs scored, stories."""

    prep: Prepared
    candidates: int
    scored: pd.DataFrame
    components: list[list[int]]


def link(events: pd.DataFrame, places: pd.DataFrame | None = None, *,
         threshold: float = BORDERLINE) -> Linked:
    """Block, score and cluster the events; stories as groups of rows of `prep.events`."""
    prep = prepare(events, places)
    pairs = candidate_pairs(prep)
    scored = score_pairs(prep, pairs, threshold)
    strong = scored[scored["score"] >= threshold].sort_values("score", ascending=False,
                                                                 kind="stable")
    edges = zip(strong["a"].tolist(), strong["b"].tolist(), strict=True)
    forced = _hand_edges(prep.events[Col.STORY].to_numpy())
    return Linked(prep, len(pairs), scored,
                  cluster(prep.events[Col.ARTICLE].tolist(), edges, forced))


def propose(events: pd.DataFrame, places: pd.DataFrame | None = None,
            root: str | None = None, threshold: float = BORDERLINE) -> Proposals:
    """Proposed stories for review: new stories, and events joining stories already used.

    `root` is the data folder that file paths in the proposals are relative to; pairs
    scoring `threshold` or more are proposed, and a story is accepted by default when
    every link it rests on scores at least ACCEPT.
    """
    linked = link(events, places, threshold=threshold)
    prep, scored, components = linked.prep, linked.scored, linked.components
    ev = prep.events
    col = {name: ev[name].to_numpy() for name in ev.columns}  # row lookups, cheaply
    strong = scored[scored["score"] >= threshold]
    group = np.full(len(ev), -1)
    for c, rows in enumerate(components):
        group[rows] = c
    a, b = strong["a"].to_numpy(), strong["b"].to_numpy()
    inside = np.flatnonzero((group[a] >= 0) & (group[a] == group[b]))
    links: dict[int, list[int]] = defaultdict(list)
    for k in inside.tolist():
        links[int(group[a[k]])].append(k)
    pairs = list(strong.itertuples(index=False))
    used = set(events[Col.STORY].fillna("")) - {""}
    result = Proposals(events=len(events), skipped=prep.skipped, candidates=linked.candidates,
                       linked=len(strong))
    story = col[Col.STORY]
    order = sorted(range(len(components)), key=lambda c: (col["day0"][components[c][0]],
                                                          components[c][0]))
    for c in order:
        rows = components[c]
        stories = sorted({str(story[r]) for r in rows if story[r]})
        if len(stories) == 1 and all(story[r] == stories[0] for r in rows):
            continue  # every member already carries the story: nothing to propose
        mine = [pairs[k] for k in links.get(c, [])]
        lowest = min((float(p.score) for p in mine), default=1.0)
        if len(stories) == 1:
            slug = stories[0]
        else:
            slug = _new_slug(col, rows, used)
            used.add(slug)
        entry: dict[str, Any] = {
            "story": slug,
            "accept": len(stories) <= 1 and lowest >= ACCEPT,
            "confidence": round(lowest, 3),
        }
        if len(stories) > 1:
            entry["conflict"] = ("these events already carry different stories: "
                                 + ", ".join(stories) + "; pick one by hand")
        entry["events"] = [_event_entry(col, r, root) for r in sorted(
            rows, key=lambda r: (col[Col.ARTICLE][r], col[Col.ID][r]))]
        entry["links"] = [_link_entry(col, p) for p in mine]
        result.stories.append(entry)
    return result


def _new_slug(col: dict[str, np.ndarray], rows: list[int], used: set[str]) -> str:
    """place-type-date, made unique: 'bakhmut-territorial-control-2023-05-20'."""
    first = min(rows, key=lambda r: (col["span"][r], col["day0"][r], r))  # the sharpest
    named = min(rows, key=lambda r: (col[Col.PRECISION][r] != "settlement", r))  # a town
    place = str(col[Col.PLACE_NAME][named] or "story")
    day = (_EPOCH + np.timedelta64(int(col["day0"][first]), "D")).astype(str)
    words = re.sub(r"[^a-z0-9]+", "-", _ascii(place).lower()).strip("-") or "story"
    base = f"{words[:40].strip('-')}-{str(col[Col.TYPE][first]).replace('_', '-')}-{day}"
    slug, k = base, 2
    while slug in used or not SLUG_RE.fullmatch(slug):
        slug = f"{base}-{k}"
        k += 1
    return slug


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _relative(file: str, root: str | None) -> str:
    if not root:
        return file
    rel = os.path.relpath(os.path.abspath(file), os.path.abspath(root))  # noqa: PTH100
    return rel.replace(os.sep, "/")


def _event_entry(col: dict[str, np.ndarray], r: int, root: str | None) -> dict[str, Any]:
    quote = str(col[Col.QUOTE][r])
    if len(quote) > QUOTE_EXCERPT:
        quote = quote[:QUOTE_EXCERPT - 3].rstrip() + "..."
    place = str(col[Col.PLACE_NAME][r] or "")
    if isinstance(col[Col.COUNTRY][r], str):
        place += f" ({col[Col.COUNTRY][r]})"
    line = col[Col.LINE][r]
    entry = {
        "article": str(col[Col.ARTICLE][r]), "event": str(col[Col.ID][r]),
        "file": _relative(str(col[Col.FILE][r]), root),
        "line": int(line) if pd.notna(line) else None,
        "summary": str(col[Col.SUMMARY][r]), "date": str(col[Col.DATE_LABEL][r]),
        "place": place, "quote": quote,
    }
    if col[Col.STORY][r]:
        entry["has_story"] = str(col[Col.STORY][r])
    return entry


def _link_entry(col: dict[str, np.ndarray], p: Any) -> dict[str, Any]:
    a, b = int(p.a), int(p.b)
    types = col[Col.TYPE]
    if p.place >= 1.0:
        place = "same place"
    elif col[Col.PRECISION][a] == "country":
        place = "same country"
    else:
        place = f"{p.km:.0f} km apart"
    kind = f"same type ({types[a]})" if types[a] == types[b] else f"{types[a]} / {types[b]}"
    day0, day1, label = col["day0"], col["day1"], col[Col.DATE_LABEL]
    overlap = day0[a] <= day1[b] and day0[b] <= day1[a]
    date = ("dates overlap" if overlap else f"within {DATE_SLACK_DAYS} day") + \
        f" ({label[a]} / {label[b]})"
    text = f"summaries {p.summary:.2f}, quotes {p.quote:.2f}"
    return {
        "events": [f"{col[Col.ARTICLE][a]}/{col[Col.ID][a]}",
                   f"{col[Col.ARTICLE][b]}/{col[Col.ID][b]}"],
        "score": round(float(p.score), 3),
        "why": {"place": place, "date": date, "type": kind, "text": text,
                "actors": f"{p.actors:.2f} in common"},
    }


# --- evaluation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Scores:
    """Pairwise precision, recall and F1 of proposed stories against hand links."""

    true_pairs: int
    proposed_pairs: int
    correct_pairs: int

    @property
    def precision(self) -> float:
        """Share of proposed pairs that the hand links also join."""
        return self.correct_pairs / self.proposed_pairs if self.proposed_pairs else 0.0

    @property
    def recall(self) -> float:
        """Share of hand-linked pairs that the proposals also join."""
        return self.correct_pairs / self.true_pairs if self.true_pairs else 0.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _cross_article_pairs(frame: pd.DataFrame, by: list[str]) -> int:
    """Pairs of rows sharing `by` and lying in different articles."""
    if frame.empty:
        return 0
    total = frame.groupby(by).size()
    same = frame.groupby([*by, Col.ARTICLE]).size()
    return int((total * (total - 1) // 2).sum() - (same * (same - 1) // 2).sum())


def evaluate(events: pd.DataFrame, places: pd.DataFrame | None = None, *,
             threshold: float = BORDERLINE) -> Scores:
    """Hide the events' stories, link, and score the clusters against the hidden stories.

    A pair counts when its two events are in different articles; the proposed pairs
    are those within one proposed cluster.
    """
    truth = events[[Col.KEY, Col.ARTICLE, Col.STORY]].copy()
    truth[Col.STORY] = truth[Col.STORY].fillna("")
    hidden = events.assign(**{Col.STORY: ""})
    linked = link(hidden, places, threshold=threshold)
    prep, components = linked.prep, linked.components
    keys = prep.events[Col.KEY].to_numpy()
    members = pd.DataFrame({
        Col.KEY: [keys[r] for rows in components for r in rows],
        "cluster": [c for c, rows in enumerate(components) for _ in rows],
    })
    members = members.merge(truth, on=Col.KEY, how="left")
    gold = truth[truth[Col.STORY] != ""]
    both = members[members[Col.STORY] != ""]
    return Scores(true_pairs=_cross_article_pairs(gold, [Col.STORY]),
                  proposed_pairs=_cross_article_pairs(members, ["cluster"]),
                  correct_pairs=_cross_article_pairs(both, ["cluster", Col.STORY]))


def format_scores(scores: Scores) -> str:
    """The evaluation as a few lines for the terminal."""
    if not scores.true_pairs:
        return (f"pairs: 0 hand-linked, {scores.proposed_pairs} proposed: no two events of "
                "different articles share a story, so there is nothing to score against")
    return (f"pairs: {scores.true_pairs} hand-linked, {scores.proposed_pairs} proposed, "
            f"{scores.correct_pairs} correct\n"
            f"precision {scores.precision:.3f}  recall {scores.recall:.3f}  "
            f"F1 {scores.f1:.3f}")
