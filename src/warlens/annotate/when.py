"""Date phrases in a text, read with warlens.dates against the published day."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass

from warlens import dates
from warlens.dates import When
from warlens.problems import WarlensError
from warlens.text import MONTH_NAMES, Phrase, Sentence

# Capitalised months, written out or abbreviated ("Sept." too; "May" has no abbreviation).
_MONTHS = "(?:" + "|".join([
    *MONTH_NAMES,
    *(rf"{m[:3]}{'t?' if m == 'September' else ''}\.?" for m in MONTH_NAMES if len(m) > 3),
]) + ")"
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
class DateMention(Phrase):
    """A date phrase as written in one sentence, and the range it means."""

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


