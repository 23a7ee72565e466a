"""Raw article text -> a draft native article: places, dates, events and claims to review.

A rule-based first pass for annotators, on the standard library and warlens' own
gazetteer and date grammar (no language model, nothing downloaded). It finds:

Sentences
    Lines are kept apart (a heading without a full stop is its own sentence), except
    that a line ending without punctuation joins the next when that one starts in lower
    case (hard-wrapped text). Inside a line, a sentence ends at . ! ? (and any closing
    quotes or brackets) before a capital, digit or opening quote, unless the word before
    the full stop is an abbreviation ("Mr.", "Gen.", "Jan.", "U.S.") or an initial.
Places
    Runs of 1-4 capitalised words (possessive 's stripped; "al", "de", "on"... allowed
    inside), longest gazetteer match first. Case matters: "may" never matches. A single
    capitalised word that is a common English word ("The", "She", "Yes", "Even", "Read"),
    a month or weekday, or a false friend of conflict reporting ("Wagner", "Azov",
    "Kremlin", "Patriot") is skipped; so is a sentence-initial word the text also writes in
    lower case, and a match glued to another capitalised word ("Vladimir Putin", "Sky
    News", "Moscow Times"), which names something else. Two passes: the confident matches
    (countries, regions, pinned aliases, cities of 100,000 or more) give the article's
    countries; then every name is ranked with that context, and a town under 100,000
    people outside those countries is dropped as a likely namesake.
Dates
    Explicit dates and the phrases :func:`warlens.dates.parse_when` understands, resolved
    against the published date and kept with their sentence. Capitalised months only
    ("may" is a verb), bare months only after "in", "during" or "since" ("the March on
    Kyiv" is a march), and bare durations are not dates: "10 months" or "months of
    fighting" say how long, not when. "for weeks", "for months" are read as ranges ending
    on the published day, as parse_when reads them: they say the state lasts until now.
    "now" is not a date: it also means "from now on" ("the focus now will turn").
Events
    A sentence with a conflict-event cue becomes one event: capture/control ->
    territorial_control; shelling, strikes, missiles, drones -> remote_violence; killing
    of civilians -> violence_against_civilians; fighting, battle, offensive, invasion ->
    battle. Its place is the settlement or region in the sentence nearest the cue, else the
    article's main place (the most named settlement), else a country in the sentence; its
    date is the sentence's first date, else undated. A capture is one event however often
    an article names it: later mentions of control at the same place refer back to the
    first one, if they are nouns ("its capture", "the fall of") or verbs without a date of
    their own; fighting, strikes and the rest happen many times and are never merged.
Claims
    A sentence with a reporting cue (said, claims, denied, estimated, according to...)
    becomes a claim: the claimant is the "according to" source, else the subject before
    the cue, else a name right after it ("said Zelenskyy"), and "unattributed" for
    passives ("It's estimated"); the stance is denies / estimates / assesses by the cue
    and asserts otherwise. A claim whose sentence holds an event is `about` it.

Every item, and the article, carries ``draft: true`` so the dashboard marks drafts and
can hide them. :func:`evaluate` scores a draft against a hand annotation.
"""

from __future__ import annotations

from warlens.annotate.cues import UNATTRIBUTED
from warlens.annotate.drafting import MAX_TEXT, Draft, analyse, draft_article
from warlens.annotate.places import CONFIDENT_POPULATION, PlaceMention, find_places
from warlens.annotate.scoring import evaluate, format_scores
from warlens.annotate.when import DateMention, find_dates
from warlens.text import Sentence, slugify, split_sentences

__all__ = [
    "CONFIDENT_POPULATION",
    "MAX_TEXT",
    "UNATTRIBUTED",
    "DateMention",
    "Draft",
    "PlaceMention",
    "Sentence",
    "analyse",
    "draft_article",
    "evaluate",
    "find_dates",
    "find_places",
    "format_scores",
    "slugify",
    "split_sentences",
]
