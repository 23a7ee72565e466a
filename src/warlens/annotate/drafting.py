"""What was found in a text -> a native article document, every item marked as a draft."""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass
from typing import Any

from warlens import dates
from warlens.annotate.cues import UNATTRIBUTED, actors_of, event_cue, find_claim
from warlens.annotate.places import PlaceMention, find_places
from warlens.annotate.when import DateMention, find_dates
from warlens.gazetteer import Gazetteer, GazPlace, normalize_name
from warlens.model import EVENT_TYPE_LABELS
from warlens.problems import WarlensError
from warlens.text import Sentence, slugify, split_sentences

#: The longest text an article may hold (model.Text).
MAX_TEXT = 200_000


@dataclass
class Draft:
    """Everything found in one text, before it is written as an article document."""

    text: str
    published: datetime.date
    sentences: list[Sentence]
    places: list[PlaceMention]
    dates: list[DateMention]
    main_place: GazPlace | None = None


def analyse(text: str, published: datetime.date, gazetteer: Gazetteer | None = None) -> Draft:
    """Split `text` into sentences and find its places and dates."""
    sentences = split_sentences(text)
    places = find_places(text, sentences, gazetteer)
    counts = Counter(p.place for p in places if p.place.kind != "country")
    if not counts:
        counts = Counter(p.place for p in places)
    first: dict[GazPlace, int] = {}
    for i, mention in enumerate(places):
        first.setdefault(mention.place, i)
    main = max(counts, key=lambda p: (counts[p], -first[p])) if counts else None
    return Draft(text, published, sentences, places, find_dates(sentences, published), main)


class _Ids:
    """Unique ids made from slugs: "x", "x-2", "x-3"...

    Each slug remembers the next number to try: counting up from 2 every time made
    20,000 events at one place take 200 million look-ups.
    """

    def __init__(self) -> None:
        self._taken: set[str] = set()
        self._next: dict[str, int] = {}

    def new(self, slug: str) -> str:
        """A new id from `slug`: the slug itself if free, else the slug and a number."""
        candidate, n = slug, self._next.get(slug, 2)
        while candidate in self._taken:
            candidate = f"{slug}-{n}"
            n += 1
        self._next[slug] = n
        self._taken.add(candidate)
        return candidate


def _as_date(published: datetime.date | str) -> datetime.date:
    if isinstance(published, datetime.datetime):
        return published.date()
    if isinstance(published, datetime.date):
        return published
    when = dates.parse_published(published)
    if when.end is None:
        raise WarlensError(f"the published date '{published}' gives no day")
    return when.end


def _place_doc(place: GazPlace, written: str, place_id: str) -> dict[str, Any]:
    precision = {"country": "country", "region": "region"}.get(place.kind, "settlement")
    doc: dict[str, Any] = {"id": place_id, "name": written}
    if normalize_name(place.name) != normalize_name(written):
        doc["aliases"] = [place.name]
    doc.update({"lat": round(place.lat, 5), "lon": round(place.lon, 5), "precision": precision})
    if place.country:
        doc["country"] = place.country
    if place.geonames:
        doc["geonames"] = place.geonames
    doc["draft"] = True
    return doc


def draft_article(text: str, *, published: datetime.date | str, title: str | None = None,
                  outlet: str | None = None, url: str | None = None,
                  article_id: str | None = None,
                  gazetteer: Gazetteer | None = None) -> dict[str, Any]:
    """A native article document drafted from raw text; every item carries draft: true.

    Raises WarlensError when the text is empty or `published` is not an absolute date.
    """
    if not text.strip():
        raise WarlensError("the text is empty: there is nothing to annotate")
    if len(text) > MAX_TEXT:
        raise WarlensError(f"the text has {len(text):,} characters; an article holds at "
                           f"most {MAX_TEXT:,}")
    day = _as_date(published)
    found = analyse(text, day, gazetteer)
    sentences = found.sentences
    first = " ".join(sentences[0].text.split())[:200] if sentences else "Untitled"
    title = " ".join((title or "").split()) or first
    drafting = _Drafting(found)
    places_doc = drafting.places()
    events_doc = drafting.events()
    claims_doc = drafting.claims()
    doc_out: dict[str, Any] = {
        "id": article_id or f"{slugify(title, 'article', 50)}-{day.isoformat()}",
        "title": title,
        "outlet": (outlet or "").strip() or "unknown",
    }
    if url:
        doc_out["url"] = url
    doc_out.update({"published": day.isoformat(), "language": "en",
                    "notes": "\n".join(drafting.notes()), "tags": ["draft"], "draft": True,
                    "text": text, "places": places_doc, "events": events_doc,
                    "claims": claims_doc})
    return doc_out


class _Drafting:
    """The items of one draft, written in order: places, events, then claims about them."""

    def __init__(self, found: Draft) -> None:
        self.found = found
        self.place_ids: dict[GazPlace, str] = {}
        self.by_sentence: dict[int, list[PlaceMention]] = {}
        for mention in found.places:
            self.by_sentence.setdefault(mention.sentence, []).append(mention)
        self.dates_in: dict[int, list[DateMention]] = {}
        for d in found.dates:
            self.dates_in.setdefault(d.sentence, []).append(d)
        self.event_of: dict[int, str] = {}  # sentence -> the event it reports
        self.used_dates: set[DateMention] = set()

    def places(self) -> list[dict[str, Any]]:
        """One entry per resolved place, named as the text first writes it."""
        used = _Ids()
        places_doc = []
        for mention in self.found.places:
            if mention.place not in self.place_ids:
                self.place_ids[mention.place] = used.new(slugify(mention.text, "place"))
                places_doc.append(_place_doc(mention.place, mention.text,
                                             self.place_ids[mention.place]))
        return places_doc

    def events(self) -> list[dict[str, Any]]:
        """One event per sentence with an event cue; a capture drafted once per place."""
        events_doc: list[dict[str, Any]] = []
        control_at: dict[str, dict[str, Any]] = {}  # place id -> its first control event
        event_ids = _Ids()
        for s in self.found.sentences:
            cue = event_cue(s.text)
            if cue is None:
                continue
            kind, words = cue.kind, cue.match.group(0)
            place = _event_place(self.by_sentence.get(s.index, []), self.found.main_place,
                                 s.start + cue.match.start())
            place_id = self.place_ids.get(place) if place is not None else None
            when = self.dates_in.get(s.index, [None])[0]
            if kind == "territorial_control" and place_id in control_at:
                # "its capture", "the fall of": the capture already drafted (a date in such
                # a sentence dates something else); a verb with a new date is a new event.
                earlier = control_at[place_id]
                if cue.nominal or when is None or earlier["when"] == when.text:
                    self.event_of[s.index] = earlier["id"]
                    continue
            where = f" in {place.name}" if place is not None else ""
            event: dict[str, Any] = {
                "id": event_ids.new(slugify(f"{kind.replace('_', '-')}-"
                                            f"{place_id or 'somewhere'}")),
                "summary": f"{EVENT_TYPE_LABELS[kind]}{where} ({words.lower()})",
                "type": kind,
                "when": when.text if when is not None else "undated",
            }
            if place_id:
                event["place"] = place_id
            actors = actors_of(s.text)
            if actors:
                event["actors"] = actors
            event["quote"] = s.text
            event["draft"] = True
            events_doc.append(event)
            self.event_of[s.index] = event["id"]
            if when is not None:
                self.used_dates.add(when)
            if kind == "territorial_control" and place_id and place_id not in control_at:
                control_at[place_id] = event
        return events_doc

    def claims(self) -> list[dict[str, Any]]:
        """One claim per sentence with a reporting cue, about the event of its sentence."""
        claims_doc: list[dict[str, Any]] = []
        claim_ids = _Ids()
        previous: str | None = None
        for s in self.found.sentences:
            claim = find_claim(s, previous)
            if claim is None:
                continue
            if claim.claimant != UNATTRIBUTED:
                previous = claim.claimant
            doc: dict[str, Any] = {
                "id": claim_ids.new(slugify(f"{claim.claimant}-{claim.stance}", "claim")),
                "claimant": claim.claimant,
                "stance": claim.stance,
                "claim": claim.claim,
            }
            if s.index in self.event_of:
                doc["about"] = self.event_of[s.index]
            elif (mentions := self.by_sentence.get(s.index)):
                doc["place"] = self.place_ids[mentions[0].place]
            said_when = [d for d in self.dates_in.get(s.index, [])
                         if 0 <= d.start - (s.start + claim.cue_end) <= 4]
            if said_when:
                doc["when"] = said_when[0].text
                self.used_dates.add(said_when[0])
            doc["quote"] = s.text
            doc["draft"] = True
            claims_doc.append(doc)
        return claims_doc

    def notes(self) -> list[str]:
        """The article's notes: how to review it, and the dates nothing took."""
        notes = ["Drafted by `warlens annotate` (rule-based): check every item, then remove "
                 "`draft: true` from those you keep."]
        loose = [d for d in self.found.dates if d not in self.used_dates]
        if loose:
            notes.append("Dates not attached to any event or claim: " + "; ".join(
                f"'{d.text}' = {d.when.start}..{d.when.end} in sentence {d.sentence + 1}"
                for d in loose))
        return notes


def _event_place(mentions: list[PlaceMention], main: GazPlace | None, cue_at: int,
                 ) -> GazPlace | None:
    """The settlement or region in the sentence nearest the cue, else the article's main
    place, else a country in the sentence (a country alone usually names an actor:
    "Russia has taken control of Ukrainian city")."""
    local = [m for m in mentions if m.place.kind != "country"]
    if local:
        return min(local, key=lambda m: abs(m.start - cue_at)).place
    if main is not None:
        return main
    return mentions[0].place if mentions else None


