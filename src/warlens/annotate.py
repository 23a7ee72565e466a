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

import datetime
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from warlens import dates
from warlens.dates import When
from warlens.gazetteer import ALIASES, Gazetteer, GazPlace, get_gazetteer, normalize_name
from warlens.model import EVENT_TYPE_LABELS
from warlens.problems import WarlensError
from warlens.spans import FoldedText

__all__ = [
    "DateMention",
    "Draft",
    "PlaceMention",
    "Sentence",
    "analyse",
    "draft_article",
    "evaluate",
    "find_dates",
    "format_scores",
    "split_sentences",
]

#: A settlement at least this big may set the article's country context on its own, and
#: one smaller than this outside that context is taken for a namesake and dropped.
CONFIDENT_POPULATION = 100_000
#: The claimant of a claim nobody is named for ("It's estimated that ...").
UNATTRIBUTED = "unattributed"
#: Two quotes are the same item when they share this share of the shorter one.
OVERLAP = 0.5
_MAX_LINE = 2000
#: The longest text an article may hold (model.Text).
MAX_TEXT = 200_000

def _words(text: str) -> list[str]:
    """The whitespace-separated words of a word list written as one string."""
    return text.split()


# --- sentences ------------------------------------------------------------------------------

_ABBREVIATIONS = frozenset(_words("""
mr mrs ms dr prof gen lt col maj capt sgt cpl pte adm cmdr gov sen rep rev st ft mt jan
feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri sat sun
no nos vol fig approx est dept govt co corp inc ltd jr sr vs etc al eg ie cf
"""))
# A sentence end: terminal punctuation, closing quotes/brackets, space, then a likely start.
# Linear on any text: a match starts only at the first mark of a run (the lookbehind) and
# the possessive runs never give back what they took, so no run is scanned twice.
_END = re.compile(r"(?<![.!?\u2026])[.!?\u2026]++[\"'\u201d\u2019)\]]*+"
                  r"(?=\s++[\"'\u201c\u2018(\[]?[A-Z0-9\u00c0-\u024f\u0400-\u04ff])")
_TERMINAL_MARKS = frozenset(".!?\u2026:;")
_CLOSERS = "\"'\u201d\u2019)]"
_ABBREVIATION_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.")


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence and its place in the article's text (code points, end exclusive)."""

    index: int
    start: int
    end: int
    text: str


def _ends_with_terminal(line: str) -> bool:
    """Whether a line ends with terminal punctuation (closing quotes and spaces after it)."""
    return line.rstrip().rstrip(_CLOSERS)[-1:] in _TERMINAL_MARKS


def _is_abbreviation(line: str, dot: int) -> bool:
    """Whether the full stop at `dot` closes an abbreviation or an initial, not a sentence."""
    # The run of letters and dots before `dot`, found by walking back: a search anchored at
    # the end of line[:dot] copies the line and retries every start (quadratic on a long
    # word), while the walk stops at the space an earlier sentence end needed.
    start = dot
    while start > 0 and line[start - 1] in _ABBREVIATION_CHARS:
        start -= 1
    if start == dot:
        return False
    word = line[start:dot]
    if "." in word.strip("."):  # U.S., e.g., a.m.
        return True
    return word.lower() in _ABBREVIATIONS or (len(word) == 1 and word.isupper())


def split_sentences(text: str) -> list[Sentence]:
    """The sentences of `text`, in order, each with its character span.

    Headings and other lines without a full stop are sentences of their own; a line that
    ends mid-sentence joins the next line when that one starts in lower case.
    """
    # Blocks: runs of lines that belong together (hard-wrapped sentences).
    blocks: list[tuple[int, int]] = []
    pos = 0
    lines = text.split("\n")
    current: tuple[int, int] | None = None
    for i, line in enumerate(lines):
        start, end = pos, pos + len(line)
        pos = end + 1
        if not line.strip():
            if current:
                blocks.append(current)
            current = None
            continue
        current = (current[0], end) if current else (start, end)
        following = lines[i + 1].lstrip() if i + 1 < len(lines) else ""
        joins = (not _ends_with_terminal(line) and following[:1].islower())
        if not joins:
            blocks.append(current)
            current = None
    if current:
        blocks.append(current)

    sentences: list[Sentence] = []
    for b_start, b_end in blocks:
        block = text[b_start:b_end]
        cut = 0
        for m in _END.finditer(block):
            if block[m.start()] == "." and m.end() - m.start() == 1 and _is_abbreviation(
                    block, m.start()):
                continue
            _add_sentence(sentences, text, b_start + cut, b_start + m.end())
            cut = m.end()
        _add_sentence(sentences, text, b_start + cut, b_end)
    return sentences


def _add_sentence(out: list[Sentence], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        out.append(Sentence(len(out), start, end, text[start:end]))


# --- places ---------------------------------------------------------------------------------

#: Capitalised common words that GeoNames also knows as places ("She" is an alternate name
#: of Shenyang, "Of" a town in Turkey): never a place as a single capitalised word.
_COMMON_WORDS = frozenset(_words("""
a about above across after again against ago ahead all almost along already also
although always am among an and another any anyone anything are around as at away back
be because been before behind being below beside best better between beyond big both but
by can could did do does doing done down during each early either else enough even ever
every everyone few first for from further get given go good great had has have having he
her here hers herself him himself his how however i if in inside instead into is it its
itself just last late later least less let like little long many may maybe me meanwhile
might more most much must my myself near nearly neither never new next no nobody none
nor not nothing now of off often old on once one only onto or other others our ours out
outside over own per perhaps quite rather read really same several she should since so
some someone something soon still such than that the their theirs them then there these
they this those though through thus to today together too toward towards under unless
until up upon us very via was we well were what whatever when where whether which while
who whom whose why will with within without would yes yet you your yours according amid
despite earlier elsewhere following including later latest local march august sunday
monday tuesday wednesday thursday friday saturday january february april june july
september october november december say says said see seen tell terror war peace victory
hope liberty union independence army forces troops people officials ministry president
general minister government north south east west central eastern western northern
southern
"""))
#: Capitalised words that conflict reporting uses for something other than the place
#: GeoNames knows by that name: groups, weapons, ships, institutions, outlets.
_FALSE_FRIENDS = frozenset(_words("""
Wagner Azov Moskva Kremlin Pentagon NATO Nato EU UN Hamas Patriot Patriots Javelin
Javelins Leopard Leopards Bradley Abrams HIMARS Himars Grad Shahed Iskander Kalibr Kinzhal
Lancet Bayraktar Storm Shadow Sky Post Times Reuters Guardian Telegraph Independent
Mobile Marks Young Best Long Big Tass Interfax Ria Read Yes Even May March
"""))
# Lower-case words allowed inside a multi-word place name ("Rostov on Don", "Ras al Ain").
_PARTICLES = frozenset(_words("""
al el ez es ad ar as de del der di du da dos das la le les on upon sur am an im of
"""))
# Words that may follow a place without making it part of another name.
_DESIGNATORS = frozenset(_words("""
Oblast Region Province Governorate District Raion Krai Republic Front Direction Axis
Sector
"""))
_ALIAS_KEYS = frozenset(normalize_name(a) for a in ALIASES)
_WORD = re.compile(r"[^\W\d_][\w'\u2019\-.]*[\w]|[^\W\d_]", re.UNICODE)
_POSSESSIVE = re.compile(r"(?:['\u2019]s|['\u2019])$")


@dataclass(frozen=True, slots=True)
class PlaceMention:
    """A place name as written in one sentence, and what it resolved to."""

    sentence: int
    start: int
    end: int
    text: str
    place: GazPlace


@dataclass(frozen=True, slots=True)
class _Token:
    start: int
    end: int
    text: str
    possessive: bool


def _tokens(sentence: Sentence) -> list[_Token]:
    out = []
    for m in _WORD.finditer(sentence.text):
        word = m.group(0).rstrip(".")
        possessive = bool(_POSSESSIVE.search(word))
        if possessive:
            word = _POSSESSIVE.sub("", word)
        if word:
            start = sentence.start + m.start()
            out.append(_Token(start, start + len(word), word, possessive))
    return out


def _capitalised(word: str) -> bool:
    return word[:1].isupper()


def _title_common(word: str) -> bool:
    """A capitalised common word ("The", "She"), not an acronym ("US")."""
    return (not (word.isupper() and len(word) > 1)) and word.lower() in _COMMON_WORDS


def _run_ends(text: str, toks: list[_Token], i: int) -> list[int]:
    """Last-token indices of the capitalised runs starting at token i, longest first.

    A run goes on over adjacent capitalised words and inner particles ("Rostov-on-Don"),
    up to four words, and stops after a possessive ("Bakhmut's").
    """
    ends = [i]
    j = i
    while len(ends) < 4 and not toks[j].possessive and j + 1 < len(toks):
        if text[toks[j].end:toks[j + 1].start] not in (" ", "-"):
            break
        nxt = toks[j + 1]
        if _capitalised(nxt.text):
            j += 1
        elif (nxt.text.lower() in _PARTICLES and j + 2 < len(toks)
              and text[nxt.end:toks[j + 2].start] in (" ", "-")
              and _capitalised(toks[j + 2].text)):
            j += 2
        else:
            break
        ends.append(j)
    return ends[::-1]


def _glued(text: str, toks: list[_Token], first: int, last: int) -> bool:
    """Whether a match is part of a longer capitalised name ("Vladimir Putin")."""
    if not toks[last].possessive and last + 1 < len(toks):
        nxt = toks[last + 1]
        if (text[toks[last].end:nxt.start] == " " and _capitalised(nxt.text)
                and not _title_common(nxt.text) and nxt.text not in _DESIGNATORS):
            return True
    if first > 0:
        prev = toks[first - 1]
        if (text[prev.end:toks[first].start] == " " and _capitalised(prev.text)
                and not prev.possessive and not _title_common(prev.text)
                and not re.search(r"(?:ern|ian|ish|ese|ed|-\w+)$", prev.text)):
            return True
    return False


def _find_place_names(text: str, sentences: list[Sentence], gaz: Gazetteer,
                      ) -> list[tuple[Sentence, int, int, str]]:
    """Spans of text that name something in the gazetteer: (sentence, start, end, name)."""
    lower_words = {w.lower() for w in re.findall(r"\b[a-z][a-z'\u2019]+\b", text)}
    found: list[tuple[Sentence, int, int, str]] = []
    # Each distinct run of words is looked up once: a text repeats its names (and a
    # pasted run of capitalised words repeats one name 50,000 times).
    names_known: dict[str, bool] = {}
    for sentence in sentences:
        toks = _tokens(sentence)
        i = 0
        while i < len(toks):
            if not _capitalised(toks[i].text):
                i += 1
                continue
            for last in _run_ends(text, toks, i):
                name = text[toks[i].start:toks[last].end]
                if i == last and _skip_word(text, sentence, toks[i], lower_words):
                    continue
                known = names_known.get(name)
                if known is None:
                    known = names_known[name] = bool(gaz.candidates(name))
                if not known:
                    continue
                if _glued(text, toks, i, last):
                    break  # part of a longer name: neither it nor its shorter heads
                found.append((sentence, toks[i].start, toks[last].end, name))
                i = last
                break
            i += 1
    return found


_OPENERS = frozenset(" \"'\u201c\u2018(")


def _skip_word(text: str, sentence: Sentence, tok: _Token, lower_words: set[str]) -> bool:
    """Whether a single capitalised word is a common word rather than a place name."""
    if _title_common(tok.text) or tok.text in _FALSE_FRIENDS:
        return True
    # Walked back from the word, not sliced from the sentence's start: slicing for every
    # capitalised word of a long sentence copies it again each time.
    before = tok.start
    while before > sentence.start and text[before - 1] in _OPENERS:
        before -= 1
    initial = before == sentence.start
    # "Reading the report ...", with "reading" written in lower case elsewhere in the text.
    return initial and tok.text.lower() in lower_words


def _resolve(gaz: Gazetteer, name: str, context: Iterable[str]) -> GazPlace | None:
    """The best place for `name` with the article's countries as context."""
    context = sorted(set(context))
    ranked = gaz.candidates(name, context)
    if not ranked:
        return None
    key = normalize_name(name)
    top = ranked[0]
    if key not in _ALIAS_KEYS and normalize_name(top.name) != key:
        # An alternate-name match ("She" -> Shenyang): prefer a place called exactly so.
        boost = {c: 100 for c in context}
        weight = top.population * boost.get(top.country, 1)
        for other in ranked[1:]:
            if (normalize_name(other.name) == key
                    and other.population * boost.get(other.country, 1) * 50 >= weight):
                return other
    return top


def _confident(place: GazPlace, key: str) -> bool:
    return (place.kind in ("country", "region") or key in _ALIAS_KEYS
            or place.population >= CONFIDENT_POPULATION)


def find_places(text: str, sentences: list[Sentence], gaz: Gazetteer | None = None,
                ) -> list[PlaceMention]:
    """Place names in the text, resolved with the context of the article's other places."""
    gaz = gaz or get_gazetteer()
    spans = _find_place_names(text, sentences, gaz)
    context: set[str] = set()
    for _, _, _, name in spans:  # pass 1: what is surely where
        place = _resolve(gaz, name, ())
        if place is not None and place.country and _confident(place, normalize_name(name)):
            context.add(place.country)
    mentions = []
    for sentence, start, end, name in spans:  # pass 2: rank with that context
        place = _resolve(gaz, name, context)
        if place is None:
            continue
        if (context and place.kind == "settlement" and place.country not in context
                and place.population < CONFIDENT_POPULATION
                and normalize_name(name) not in _ALIAS_KEYS):
            continue  # a small namesake far from the story: a name, not a place
        mentions.append(PlaceMention(sentence.index, start, end, name, place))
    return mentions


# --- dates ----------------------------------------------------------------------------------

_MONTHS = (r"(?:January|February|March|April|May|June|July|August|September|October|"
           r"November|December|Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|"
           r"Oct\.?|Nov\.?|Dec\.?)")
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_YEAR = r"(?:1[89]\d\d|20\d\d)"
_NUM = r"(?:\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_UNITS = r"(?:hours|days|weeks|months|years)"
_ABSOLUTE = [
    r"\d{4}-\d{2}-\d{2}",
    rf"\d{{1,2}}(?:st|nd|rd|th)? (?:of )?{_MONTHS}(?:,? {_YEAR})?",
    rf"{_MONTHS} \d{{1,2}}(?:st|nd|rd|th)?(?:,? {_YEAR})?(?!\d)",
    rf"{_MONTHS},? (?:of )?{_YEAR}",
    rf"(?:[Tt]he )?(?:start|beginning|middle|end) of {_MONTHS}(?:,? {_YEAR})?",
    rf"(?:[Tt]he )?(?:start|beginning|middle|end) of {_YEAR}",
    rf"(?:[Ee]arly|[Mm]id|[Ll]ate)[- ]{_MONTHS}(?:,? {_YEAR})?",
    rf"(?:[Ee]arly|[Mm]id|[Ll]ate)[- ]{_YEAR}",
    rf"(?:[Ss]pring|[Ss]ummer|[Aa]utumn|[Ww]inter)(?: of)? {_YEAR}(?:/\d{{2,4}})?",
]
_AFTER_PREPOSITION = [  # bare months and years only after "in", "during", "since"
    rf"(?<=\b[Ii]n ){_MONTHS}(?! \d)",
    rf"(?<=\b[Dd]uring ){_MONTHS}(?! \d)",
    rf"(?<=\b[Ss]ince ){_MONTHS}(?! \d)",
    rf"(?<=\b[Ss]ince ){_YEAR}\b",
    rf"(?<=\b[Ii]n ){_YEAR}\b",
    rf"(?<=\b[Dd]uring ){_YEAR}\b",
    rf"(?<=\b[Tt]hroughout ){_YEAR}\b",
]
_RELATIVE = [
    r"\b(?:[Tt]he day before yesterday|[Yy]esterday|[Tt]oday|[Ee]arlier today|"
    r"[Tt]his (?:morning|afternoon|evening)|[Tt]onight|[Ll]ast night|[Oo]vernight)\b",
    rf"\b(?:(?:[Ll]ast|[Tt]his past) )?{_WEEKDAY}\b",
    r"\b(?:[Ll]ast|[Pp]ast|[Tt]his past|[Pp]revious|[Tt]his) (?:week|month|year)\b",
    rf"\b(?:[Tt]he )?(?:[Ll]ast|[Pp]ast|[Tt]his past) (?:(?:few|several|couple of) |{_NUM} )"
    rf"{_UNITS[:-1]}|hour|day|week|month|year)s?\b",
    rf"\b(?:[Ii]n )?(?:[Rr]ecent) {_UNITS}\b",
    rf"\b(?:[Tt]he )?(?:[Pp]ast|[Ll]ast) {_UNITS}\b",
    rf"\b[Ff]or (?:several |many )?{_UNITS}(?: now)?\b",
]
_DATE_PATTERNS = [re.compile(p) for p in _ABSOLUTE + _AFTER_PREPOSITION + _RELATIVE]
_SINCE_BEFORE = re.compile(r"\b[Ss]ince $")


@dataclass(frozen=True, slots=True)
class DateMention:
    """A date phrase as written in one sentence, and the range it means."""

    sentence: int
    start: int
    end: int
    text: str
    when: When


def _date_spans(sentence: str) -> list[tuple[int, int]]:
    spans = []
    for pattern in _DATE_PATTERNS:
        for m in pattern.finditer(sentence):
            start = m.start()
            # Only the six characters before the match: searching all of sentence[:start]
            # for every date of a long sentence is quadratic.
            if (since := _SINCE_BEFORE.search(sentence, max(0, start - 6), start)) is not None:
                start = since.start()
            spans.append((start, m.end()))
    return spans


def find_dates(sentences: Iterable[Sentence], published: datetime.date) -> list[DateMention]:
    """Date phrases in each sentence, longest first, each resolved against `published`.

    A phrase is kept only if :func:`warlens.dates.parse_when` reads it; a match glued to
    a capitalised word ("Sunday Times") is a name, not a date.
    """
    out: list[DateMention] = []
    for s in sentences:
        spans = sorted(set(_date_spans(s.text)), key=lambda se: (se[0], -(se[1] - se[0])))
        taken_until = -1
        for start, end in spans:
            if start < taken_until:
                continue
            phrase = s.text[start:end].rstrip(",")
            if re.match(rf"{_WEEKDAY} [A-Z]", s.text[start:end + 2]):
                continue
            try:
                when = dates.parse_when(phrase, published)
            except WarlensError:
                continue
            if when.is_undated or (when.start is not None and when.start > published):
                continue
            out.append(DateMention(s.index, s.start + start, s.start + start + len(phrase),
                                   phrase, when))
            taken_until = end
    return out


# --- events ---------------------------------------------------------------------------------

_CONTROL_VERBAL = re.compile(
    r"\b(?:captured|recaptured|seized|(?:took|taken|take|taking|seize[sd]?|gain(?:ed)?|"
    r"los[te]|regain(?:ed)?|retake|retook|retaken) (?:full |effective |complete )?control|"
    r"controll?(?:ed|s)|retook|retaken|liberated|overran|overrun|fell to|has fallen|"
    r"(?:withdrew|withdrawn|retreated|pulled out) from)\b", re.IGNORECASE)
_CONTROL_NOMINAL = re.compile(
    r"\b(?:capture|fall of|seizure|under (?:\w+ )?control|takeover|occupation|liberation|"
    r"withdrawal)\b", re.IGNORECASE)
_REMOTE = re.compile(
    r"\b(?:shell(?:ed|ing|s)?|struck|(?:air|missile|drone|rocket|artillery) ?strikes?|"
    r"airstrikes?|missiles?|drones?|rockets?|bomb(?:ed|ing|ings|s)?|artillery|"
    r"explosions?|mortars?)\b", re.IGNORECASE)
_KILLING = re.compile(r"\b(?:killed|killing|killings|murdered|executed|massacred?|"
                      r"slaughtered|tortured)\b", re.IGNORECASE)
_CIVILIANS = re.compile(r"\b(?:civilians?|residents?|children|villagers|inhabitants|"
                        r"passers-by|families|women)\b", re.IGNORECASE)
_BATTLE = re.compile(
    r"\b(?:fighting|fought|battles?|battled|clash(?:es|ed)?|(?:counter-?)?offensives?|"
    r"assaults?|attack(?:ed|s|ing)?|invaded|invasion|invading|ambush(?:ed)?|skirmish(?:es)?|"
    r"combat|firefights?|killed)\b", re.IGNORECASE)
# Names are at most _NAME_CHARS long, taken possessively: a hyphenated run ("A-A-A-...") has a
# word boundary every other character, and an unbounded name would be rescanned from each.
_NAME_CHARS = 40
_FORCES = re.compile(
    rf"\b((?:[A-Z][\w'\u2019-]{{1,{_NAME_CHARS}}}+ ){{0,2}}[A-Z][\w'\u2019-]{{1,{_NAME_CHARS}}}+)"
    r" (forces|troops|army|soldiers|fighters|military|units|paramilitaries)\b")
# A lone nationality adjective ("by Wagner and Russian regular forces"): not an agent.
_ADJECTIVE = re.compile(r"^[A-Z][a-z]+(?:ian|ese|ish|ic|an)$")
_AGENT = re.compile(r"\bby ((?:the )?[A-Z][\w'\u2019-]+(?: (?:and )?[A-Z][\w'\u2019-]+){0,3})")


@dataclass(frozen=True, slots=True)
class _Cue:
    kind: str  # event type
    match: re.Match[str]
    nominal: bool  # "the capture of" rather than "captured"


def _event_cue(sentence: str) -> _Cue | None:
    """The strongest conflict-event cue in a sentence, or None."""
    if m := _CONTROL_VERBAL.search(sentence):
        return _Cue("territorial_control", m, False)
    if m := _REMOTE.search(sentence):
        return _Cue("remote_violence", m, False)
    if (m := _KILLING.search(sentence)) and _CIVILIANS.search(sentence):
        return _Cue("violence_against_civilians", m, False)
    if m := _BATTLE.search(sentence):
        return _Cue("battle", m, False)
    if m := _CONTROL_NOMINAL.search(sentence):
        return _Cue("territorial_control", m, True)
    return None


def _actors(sentence: str) -> list[str]:
    found: list[str] = []
    for m in _AGENT.finditer(sentence):
        name = m.group(1)
        name = name[4:] if name.startswith("the ") else name
        found.extend(part for part in name.split(" and ")
                     if not _title_common(part) and not _ADJECTIVE.search(part))
    for m in _FORCES.finditer(sentence):
        words = [w for w in m.group(1).split() if not _title_common(w)]
        if words:
            found.append(f"{' '.join(words)} {m.group(2)}")
    return list(dict.fromkeys(a.strip() for a in found if a.strip()))


# --- claims ---------------------------------------------------------------------------------

_CLAIM_CUE = re.compile(
    r"\b(?:(?P<denies>den(?:y|ies|ied|ying)|reject(?:s|ed)|refuted?s?|dismiss(?:es|ed)|"
    r"rebuff(?:s|ed))|(?P<estimates>estimat(?:e|es|ed|ing))|(?P<assesses>assess(?:es|ed)?)|"
    r"(?P<asserts>claim(?:s|ed)|says|said|insist(?:s|ed)?|admit(?:s|ted)?|"
    r"announc(?:e|es|ed)|report(?:s|ed)|believ(?:e|es|ed)|warn(?:s|ed)|stated|told|"
    r"confirm(?:s|ed)|acknowledg(?:e|es|ed)|alleg(?:e|es|ed)|declar(?:es|ed)|argu(?:es|ed)|"
    r"maintain(?:s|ed)|according to))\b", re.IGNORECASE)
_PASSIVE = re.compile(
    r"\b(?:it['\u2019]s|it is|it was|it has been|it had been|is|are|was|were|been|being) "
    r"(?:widely |also |now |generally |still )?(?:estimated|reported|claimed|said|believed|"
    r"alleged|thought|understood|assessed|confirmed)\b", re.IGNORECASE)
_LEAD_WORDS = frozenset(_words("""
but and yet so however meanwhile while as when although though because if then now also
still even
"""))
_TAIL_WORDS = frozenset(_words("""
has have had will would shall should could can may might also again later previously
repeatedly reportedly now then once already is are was were did does do not never
publicly officially firmly strongly flatly earlier today yesterday who which been
"""))
_PRONOUNS = frozenset(_words("""
he she they we it who this that these those
"""))


@dataclass(frozen=True, slots=True)
class _Claim:
    sentence: int
    claimant: str
    stance: str
    claim: str
    cue_end: int


def _claimant_before(before: str) -> str:
    clause = re.split(r"[,;:()\"\u201c\u201d\u2013\u2014]|\bthat\b", before)[-1]
    words = clause.split()
    while words and words[-1].lower().strip(".") in _TAIL_WORDS:
        words.pop()
    while words and words[0].lower() in _LEAD_WORDS:
        words.pop(0)
    return " ".join(words[-8:])


def _claimant_after(after: str) -> str:
    m = re.match(r"\s*((?:the |Mr |Mrs |Ms )?(?:[A-Z][\w'\u2019-]+)"
                 r"(?: [A-Z][\w'\u2019-]+| of| for){0,5})", after)
    return m.group(1).strip() if m else ""


# "KYIV, Ukraine (AP) — ": a dateline, not part of what anyone said.
_DATELINE = re.compile(r"[A-Z][A-Z .'\u2019-]+,?[^\u2014\u2013]{0,40}?(?:\([^)]*\))?\s*"
                       r"[\u2014\u2013-]\s")
#: A dateline lies within this many characters of the start; only they are searched.
_DATELINE_MAX = 120
_EDGE = frozenset(",:\"\u201c\u201d\u2018\u2019'\u2013\u2014-")
_CLAIM_LEAD = re.compile(r"(?:that|the claims?(?: that)?|claims?(?: that)?)\s", re.IGNORECASE)


def _strip_edges(text: str) -> str:
    """`text` without spaces, quotes, dashes, commas and colons at either end."""
    start, end = 0, len(text)
    while start < end and (text[start].isspace() or text[start] in _EDGE):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in _EDGE):
        end -= 1
    return text[start:end]


def _proposition(text: str) -> str:
    """What is claimed, from the words around the cue: quotes, "that" and edges trimmed."""
    # Each step looks at the ends only: a pattern anchored at the end after a repeated class
    # retries from every character of a long run and is quadratic.
    if (dateline := _DATELINE.match(text, 0, _DATELINE_MAX)) is not None:
        text = text[dateline.end():]
    text = _strip_edges(text)
    if (lead := _CLAIM_LEAD.match(text)) is not None:
        text = text[lead.end():]
    text = text.strip()
    return (text[:1].upper() + text[1:])[:_MAX_LINE] if text else ""


def _find_claim(sentence: Sentence, previous: str | None) -> _Claim | None:
    text = sentence.text
    m = _CLAIM_CUE.search(text)
    if m is None:
        return None
    stance = m.lastgroup or "asserts"
    after = text[m.end():]
    if m.group(0).lower() == "according to":
        source = re.split(r"[,;:.()\u2013\u2014]", after, maxsplit=1)[0].strip()
        claimant = " ".join(source.split()[:8]) or UNATTRIBUTED
        rest = text[:m.start()] + text[m.end() + len(after.split(",", 1)[0]) + 1:]
        claim = _proposition(rest) or _proposition(text)
        return _Claim(sentence.index, claimant, stance, claim, m.end())
    passive = _PASSIVE.search(text)
    if passive is not None and passive.end() == m.end():
        claimant = UNATTRIBUTED
    else:
        claimant = _claimant_before(text[:m.start()])
        if not claimant:
            claimant = _claimant_after(after)
        if claimant.lower() == "i":
            claimant = "the reporter"
        elif claimant.lower() in _PRONOUNS:
            claimant = previous or UNATTRIBUTED
        claimant = claimant or UNATTRIBUTED
    claim = _proposition(after)
    before = text[:m.start()]
    if len(claim.split()) < 4 and re.search(r"[,;:]", before):
        # "..., he said." -> what came before the attribution
        claim = _proposition(before[:max(before.rfind(c) for c in ",;:")])
    elif len(claim.split()) < 4:
        claim = _proposition(text)
    return _Claim(sentence.index, claimant[:_MAX_LINE], stance, claim or _proposition(text),
                  m.end())


# --- the draft ------------------------------------------------------------------------------


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


def slugify(text: str, fallback: str = "item", limit: int = 60) -> str:
    """A slug for an id: ASCII lower case, digits and hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:limit].strip("-")
    return slug or fallback


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

    # Places: one entry per resolved place, named as the text first writes it.
    place_ids: dict[GazPlace, str] = {}
    used = _Ids()
    places_doc = []
    for mention in found.places:
        if mention.place not in place_ids:
            place_ids[mention.place] = used.new(slugify(mention.text, "place"))
            places_doc.append(_place_doc(mention.place, mention.text, place_ids[mention.place]))
    by_sentence: dict[int, list[PlaceMention]] = {}
    for mention in found.places:
        by_sentence.setdefault(mention.sentence, []).append(mention)
    dates_in: dict[int, list[DateMention]] = {}
    for d in found.dates:
        dates_in.setdefault(d.sentence, []).append(d)

    events_doc: list[dict[str, Any]] = []
    event_of: dict[int, str] = {}
    control_at: dict[str, dict[str, Any]] = {}  # place id -> its first control event
    used_dates: set[DateMention] = set()
    event_ids = _Ids()
    for s in sentences:
        cue = _event_cue(s.text)
        if cue is None:
            continue
        kind, words = cue.kind, cue.match.group(0)
        place = _event_place(by_sentence.get(s.index, []), found.main_place,
                             s.start + cue.match.start())
        place_id = place_ids.get(place) if place is not None else None
        when = dates_in.get(s.index, [None])[0]
        if kind == "territorial_control" and place_id in control_at:
            # "its capture", "the fall of": the capture already drafted (a date in such a
            # sentence dates something else); a verb with a new date is a new event.
            earlier = control_at[place_id]
            if cue.nominal or when is None or earlier["when"] == when.text:
                event_of[s.index] = earlier["id"]
                continue
        where = f" in {place.name}" if place is not None else ""
        event: dict[str, Any] = {
            "id": event_ids.new(slugify(f"{kind.replace('_', '-')}-{place_id or 'somewhere'}")),
            "summary": f"{EVENT_TYPE_LABELS[kind]}{where} ({words.lower()})",
            "type": kind,
            "when": when.text if when is not None else "undated",
        }
        if place_id:
            event["place"] = place_id
        actors = _actors(s.text)
        if actors:
            event["actors"] = actors
        event["quote"] = s.text
        event["draft"] = True
        events_doc.append(event)
        event_of[s.index] = event["id"]
        if when is not None:
            used_dates.add(when)
        if kind == "territorial_control" and place_id and place_id not in control_at:
            control_at[place_id] = event

    claims_doc: list[dict[str, Any]] = []
    claim_ids = _Ids()
    previous: str | None = None
    for s in sentences:
        claim = _find_claim(s, previous)
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
        if s.index in event_of:
            doc["about"] = event_of[s.index]
        elif (mentions := by_sentence.get(s.index)):
            doc["place"] = place_ids[mentions[0].place]
        said_when = [d for d in dates_in.get(s.index, [])
                     if 0 <= d.start - (s.start + claim.cue_end) <= 4]
        if said_when:
            doc["when"] = said_when[0].text
            used_dates.add(said_when[0])
        doc["quote"] = s.text
        doc["draft"] = True
        claims_doc.append(doc)

    notes = ["Drafted by `warlens annotate` (rule-based): check every item, then remove "
             "`draft: true` from those you keep."]
    loose = [d for d in found.dates if d not in used_dates]
    if loose:
        notes.append("Dates not attached to any event or claim: " + "; ".join(
            f"'{d.text}' = {d.when.start}..{d.when.end} in sentence {d.sentence + 1}"
            for d in loose))
    doc_out: dict[str, Any] = {
        "id": article_id or f"{slugify(title, 'article', 50)}-{day.isoformat()}",
        "title": title,
        "outlet": (outlet or "").strip() or "unknown",
    }
    if url:
        doc_out["url"] = url
    doc_out.update({"published": day.isoformat(), "language": "en",
                    "notes": "\n".join(notes), "tags": ["draft"], "draft": True, "text": text,
                    "places": places_doc, "events": events_doc, "claims": claims_doc})
    return doc_out


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


# --- evaluation -----------------------------------------------------------------------------


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
