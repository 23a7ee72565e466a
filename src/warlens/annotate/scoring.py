"""A draft scored against a hand annotation of the same text: precision, recall, F1."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from warlens import dates
from warlens.dates import When
from warlens.gazetteer import Gazetteer, get_gazetteer, normalize_name
from warlens.problems import WarlensError
from warlens.spans import FoldedText

#: Two quotes are the same item when they share this share of the shorter one.
OVERLAP = 0.5


def _overlap(a: tuple[int, int] | None, b: tuple[int, int] | None) -> bool:
    """Whether two spans share at least half of the shorter one."""
    if a is None or b is None:
        return False
    shared = min(a[1], b[1]) - max(a[0], b[0])
    return shared > 0 and shared >= OVERLAP * min(a[1] - a[0], b[1] - b[0])


def _scores(tp_draft: int, n_draft: int, tp_gold: int, n_gold: int) -> dict[str, float | int]:
    precision = tp_draft / n_draft if n_draft else 0.0
    recall = tp_gold / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3),
            "drafted": n_draft, "gold": n_gold, "matched": tp_gold}


def _place_key(place: Mapping[str, Any], gaz: Gazetteer) -> object:
    if place.get("geonames"):
        return place["geonames"]
    if place.get("precision") == "country":
        hit = gaz.country(place.get("country") or place["name"])
        if hit is not None:
            return hit.geonames
    names = [place["name"], *place.get("aliases", [])]
    context = [place["country"]] if place.get("country") else []
    for name in names:
        hit = gaz.lookup(name, context)
        if hit is not None:
            return hit.geonames or normalize_name(hit.name)
    return normalize_name(place["name"])


def _spans(doc: Mapping[str, Any], section: str) -> list[tuple[Mapping[str, Any],
                                                               tuple[int, int] | None]]:
    folded = FoldedText(doc["text"])
    return [(item, folded.find(item["quote"])) for item in doc.get(section) or []]


def _matched(draft: list[tuple[Any, tuple[int, int] | None]],
             gold: list[tuple[Any, tuple[int, int] | None]]) -> dict[str, float | int]:
    tp_draft = sum(any(_overlap(d, g) for _, g in gold) for _, d in draft)
    tp_gold = sum(any(_overlap(d, g) for _, d in draft) for _, g in gold)
    return _scores(tp_draft, len(draft), tp_gold, len(gold))


def evaluate(draft: Mapping[str, Any], gold: Mapping[str, Any],
             gazetteer: Gazetteer | None = None) -> dict[str, dict[str, float | int]]:
    """Precision, recall and F1 of a draft against a hand annotation of the same text.

    places: by GeoNames id (or resolved name); claims and events: a drafted item matches a
    gold one when their quotes share at least half of the shorter span; dates: a drafted
    event's date is right when it lies within the date of a gold event whose quote it
    overlaps (only dated events count on either side).
    """
    gaz = gazetteer or get_gazetteer()
    draft_places = {_place_key(p, gaz) for p in draft.get("places") or []}
    gold_places = {_place_key(p, gaz) for p in gold.get("places") or []}
    shared = len(draft_places & gold_places)
    result = {"places": _scores(shared, len(draft_places), shared, len(gold_places))}

    d_pub, g_pub = _published(draft), _published(gold)
    d_events, g_events = _spans(draft, "events"), _spans(gold, "events")
    result["events"] = _matched(d_events, g_events)
    result["claims"] = _matched(_spans(draft, "claims"), _spans(gold, "claims"))
    d_dated, g_dated = _dated(d_events, d_pub), _dated(g_events, g_pub)

    def right(d: When, d_span: tuple[int, int] | None, g: When,
              g_span: tuple[int, int] | None) -> bool:
        """A drafted date inside the gold date of an event with an overlapping quote."""
        if d.start is None or d.end is None or g.start is None or g.end is None:
            return False
        return _overlap(d_span, g_span) and g.start <= d.start and d.end <= g.end

    tp_draft = sum(any(right(d, ds, g, gs) for g, gs in g_dated) for d, ds in d_dated)
    tp_gold = sum(any(right(d, ds, g, gs) for d, ds in d_dated) for g, gs in g_dated)
    result["dates"] = _scores(tp_draft, len(d_dated), tp_gold, len(g_dated))
    return result


def _dated(items: list[tuple[Mapping[str, Any], tuple[int, int] | None]],
           published: datetime.date) -> list[tuple[When, tuple[int, int] | None]]:
    """The dated items among `items` (undated and unreadable dates left out), with spans."""
    out = []
    for item, span in items:
        try:
            when = dates.parse_when(item.get("when"), published)
        except WarlensError:
            continue
        if not when.is_undated:
            out.append((when, span))
    return out


def _published(doc: Mapping[str, Any]) -> datetime.date:
    """The last day of an article's published date: what its relative dates count from."""
    when = dates.parse_published(doc["published"])
    if when.end is None:
        raise WarlensError("the article's published date gives no day")
    return when.end


def format_scores(scores: Mapping[str, Mapping[str, float | int]]) -> str:
    """The evaluation as a plain-text table."""
    lines = [f"{'':8} {'precision':>9} {'recall':>7} {'F1':>6} {'drafted':>8} {'gold':>5} "
             f"{'matched':>8}"]
    for name in ("places", "dates", "events", "claims"):
        s = scores[name]
        lines.append(f"{name:8} {s['precision']:9.2f} {s['recall']:7.2f} {s['f1']:6.2f} "
                     f"{s['drafted']:8d} {s['gold']:5d} {s['matched']:8d}")
    return "\n".join(lines)
