"""Date expressions -> honest ranges.

Reporting on war rarely gives a day. Articles say "the end of January", "the
last few weeks" or "since February 2022", so every date in warlens is a `When`:
an inclusive range of days plus how precise the source was and the words it
used. A parser that invents a day (as dateparser does: "the end of January"
becomes a day copied from the base date) makes a timeline lie; this one either
returns the whole honest range or raises `WarlensError` naming the text.

Values arrive from a YAML 1.2 loader, so dates are strings; `datetime.date`
objects and ints (a year) are accepted too. Accepted forms, case-insensitive,
with a leading "the", "on", "in", "during", "about", "around", "c." or "circa"
allowed (the hedge is kept in `text`, not turned into a wider range):

Absolute
    2023-05-20 (day; a time such as T14:30Z may follow), 2023-05 (month),
    2023 (year), 2023-W20 (ISO week, Monday to Sunday),
    2023-01-01/2023-02-15 (ISO interval), "20 May 2023", "20th of May 2023",
    "May 20, 2023", "May 2023", "spring 2023" (meteorological, northern
    hemisphere: Mar-May, Jun-Aug, Sep-Nov), "winter 2022/23" (Dec-Feb; a bare
    "winter 2023" is ambiguous and refused), "early/mid/late 2023" (thirds of
    the year: Jan-Apr, May-Aug, Sep-Dec), and a mapping {from: X, to: Y} whose
    sides are any of these (precision "range", from X's first day to Y's last).

Thirds of a month
    "start/beginning/early <Month>" is the 1st-10th, "middle of/mid <Month>"
    the 11th-20th, "end of/late <Month>" the 21st to the last day.

Without a year (needs `published`)
    "<Month>", "20 May", "May 20", "end of January", "spring": the most recent
    occurrence that has begun on or before the published date. "the end of
    January" in an article of 2023-05-21 is 2023-01-21..2023-01-31.

Relative to `published` (all end on the published day unless a day is named)
    today, this morning, tonight          the published day
    yesterday                             the day before
    the day before yesterday              two days before
    last night, overnight                 the day before .. the published day
    Monday, on Saturday, last Saturday    the most recent such day strictly before
    last / past week, month, year         from the first day of the previous calendar
                                          week (Monday), month or year: this covers
                                          both readings ("the previous calendar week"
                                          and "the past seven days")
    this week, month, year                from the first day of the current one
    the last 3 days, past two weeks       exactly that many units back (hours round
                                          up to whole days)
    the last/past few, several, recent    hours: 1 day, days: 7 days (before one
    (in recent days, recent weeks)        would say "a week"), weeks: 6 weeks (the
                                          wide bound of "3 to 6 weeks"), months:
                                          6 months, years: 5 years
    the past couple of <units>            3 units (the wide reading of "a couple")
    for days / weeks / months / years,    days: 14 days, weeks: 12 weeks, months:
    months of fighting                    12 months, years: 10 years; each stops
                                          where the writer would have reached for
                                          the next unit ("for weeks" of more than
                                          about three months would be "for months")
    since <any date form>                 from its first day to the published day

Undated
    undated, unknown, unclear, unspecified, looming, future, upcoming, n/a and an
    empty value give an undated `When` that keeps the words as written.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Literal, get_args

from warlens.problems import WarlensError
from warlens.text import MONTH_NAMES

__all__ = ["UNDATED", "Precision", "When", "parse_published", "parse_when"]

Precision = Literal["day", "week", "month", "season", "year", "range", "undated"]
PRECISIONS: frozenset[str] = frozenset(get_args(Precision))

_EN_DASH = "\u2013"
_MAX_TEXT = 200
_HELP = (
    "write an ISO date (2023-05-20), a month (2023-05), a year, a range {from:, to:}, "
    'or a phrase such as "the end of January"'
)


@dataclass(frozen=True, slots=True)
class When:
    """An inclusive range of days, how precise its source was, and the words it used.

    `start` and `end` are None only when undated; `end == start` for a single day.
    `inferred` marks a date the annotator worked out rather than read.
    """

    start: datetime.date | None
    end: datetime.date | None
    precision: Precision
    text: str
    inferred: bool = False

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise ValueError(f"unknown precision {self.precision!r}")
        undated = self.precision == "undated"
        if undated != (self.start is None) or undated != (self.end is None):
            raise ValueError("start and end are None exactly when the precision is 'undated'")
        if self.start is not None and self.end is not None and self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")

    @property
    def is_undated(self) -> bool:
        """True when the source gives no date at all."""
        return self.start is None

    def overlaps(self, lo: datetime.date | None, hi: datetime.date | None) -> bool:
        """Whether any day of this range falls within [lo, hi]; None leaves a side open.

        An undated item passes only a filter with both sides open: it cannot be
        shown to belong to any bounded period.
        """
        if self.start is None or self.end is None:
            return lo is None and hi is None
        return (hi is None or self.start <= hi) and (lo is None or self.end >= lo)

    def label(self) -> str:
        """A short human label such as "21-31 Jan 2023 (the end of January)" (en dash).

        The words as written follow in brackets unless they only restate the
        dates ("20 May 2023", "2023-05"); "inferred" is added when it applies.
        """
        notes: list[str] = []
        if self.start is None or self.end is None:
            core = "undated"
            if self.text and _normalize(self.text) != "undated":
                notes.append(self.text)
        else:
            core = _span_label(self.start, self.end)
            if self.text and not _is_plain(self.text):
                notes.append(self.text)
        if self.inferred:
            notes.append("inferred")
        return f"{core} ({'; '.join(notes)})" if notes else core


UNDATED = When(None, None, "undated", "")


def parse_when(value: object, published: datetime.date | None = None) -> When:
    """Read a date value from YAML into a `When`; phrases resolve against `published`.

    `value` may be text, a `datetime.date`, an int (a year), a mapping
    {from: X, to: Y} (`to` defaults to `published`), or {date: X, inferred: true}
    (`value:` is accepted for `date:`). None or empty text is undated.
    Raises WarlensError naming the text for anything not understood.
    """
    return _Parser(published, published_mode=False).parse(value)


def parse_published(value: object) -> When:
    """Read an article's published date: like `parse_when`, but with no base date.

    Relative phrases ("yesterday", "May") are refused, since there is nothing
    to resolve them against. Accepts {date: 2023-05-21, inferred: true}.
    """
    return _Parser(None, published_mode=True).parse(value)


# --- parsing ---------------------------------------------------------------------------

_MONTH_NUMBERS: dict[str, int] = {
    **{name.lower(): i for i, name in enumerate(MONTH_NAMES, 1)},
    **{name[:3].lower(): i for i, name in enumerate(MONTH_NAMES, 1)},
    "sept": 9,
}
_MONTH = "|".join(sorted(_MONTH_NUMBERS, key=len, reverse=True))
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_UNDATED_WORDS = frozenset({
    "", "undated", "unknown", "unclear", "unspecified", "looming", "future", "upcoming",
    "n/a", "na", "none", "no date", "not known", "date unknown",
})
_FILLER = re.compile(
    r"(?:the|on|in|during|about|around|approximately|approx|roughly|circa|ca|c"
    r"|sometime in|some time in|for the|over the|within the|throughout) ",
)
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}
_THIRDS = {
    "start": 0, "beginning": 0, "early": 0,
    "middle": 1, "mid": 1,
    "end": 2, "late": 2,
}
_SEASON_START = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}
# (unit, amount) looked back from the published day; see the module docstring.
_FEW = {"hours": ("days", 1), "days": ("days", 7), "weeks": ("days", 42),
        "months": ("months", 6), "years": ("months", 60)}
_COUPLE = {"hours": ("days", 1), "days": ("days", 3), "weeks": ("days", 21),
           "months": ("months", 3), "years": ("months", 36)}
_LONG = {"hours": ("days", 1), "days": ("days", 14), "weeks": ("days", 84),
         "months": ("months", 12), "years": ("months", 120)}
_UNIT = r"(hours|days|weeks|months|years)"
_PART = r"(start|beginning|early|middle|mid|end|late)(?: of)?"


def _normalize(text: str) -> str:
    """Lower case, single spaces, no "Jan." dots or commas, "mid-May" as "mid may"."""
    s = text.strip().lower().replace(_EN_DASH, "-").replace("\u2014", "-")
    s = re.sub(r"(?<=[a-z])\.", " ", s)
    s = s.replace(",", " ")
    s = re.sub(r"(?<=[a-z])-|-(?=[a-z])", " ", s)
    return re.sub(r"\s+", " ", s).strip()


def _strip_fillers(s: str) -> str:
    while (m := _FILLER.match(s)) and m.end() < len(s):
        s = s[m.end():]
    return s


def _is_plain(text: str) -> bool:
    """True when the text only restates a date: digits, ordinals and month names."""
    tokens = [t for t in re.split(r"[^a-z0-9]+", _normalize(text)) if t]
    return all(
        re.fullmatch(r"[0-9]+(?:st|nd|rd|th)?", t) or t in _MONTH_NUMBERS
        or t in {"of", "the", "to", "on", "in"}
        for t in tokens
    )


def _last_day(year: int, month: int) -> int:
    if month == 12:
        return 31
    return (datetime.date(year, month + 1, 1) - datetime.timedelta(days=1)).day


def _span_label(start: datetime.date, end: datetime.date) -> str:
    """The dates alone: "20 May 2023", "May 2023", "Mar-May 2023", "2023", "21-31 Jan 2023"."""
    def short(d: datetime.date) -> str:
        return MONTH_NAMES[d.month - 1][:3]

    if start == end:
        return f"{start.day} {MONTH_NAMES[start.month - 1]} {start.year}"
    whole_months = start.day == 1 and end.day == _last_day(end.year, end.month)
    if whole_months and (start.month, end.month) == (1, 12):
        return str(start.year) if start.year == end.year else f"{start.year}{_EN_DASH}{end.year}"
    if whole_months:
        if (start.year, start.month) == (end.year, end.month):
            return f"{MONTH_NAMES[start.month - 1]} {start.year}"
        if start.year == end.year:
            return f"{short(start)}{_EN_DASH}{short(end)} {end.year}"
        return f"{short(start)} {start.year} {_EN_DASH} {short(end)} {end.year}"
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}{_EN_DASH}{end.day} {short(end)} {end.year}"
    if start.year == end.year:
        return f"{start.day} {short(start)} {_EN_DASH} {end.day} {short(end)} {end.year}"
    return f"{start.day} {short(start)} {start.year} {_EN_DASH} {end.day} {short(end)} {end.year}"


#: The label of a range of days, as events show theirs ("20-21 May 2023").
span_label = _span_label


_Span = tuple[int, int, int, int, int, int]  # first and last day; a last day of 0 = month end
_Handler = Callable[["_Parser", re.Match[str], str], When]
_GRAMMAR: list[tuple[re.Pattern[str], _Handler]] = []


def _rule(pattern: str) -> Callable[[_Handler], _Handler]:
    """Register a handler for text that fully matches `pattern` (after normalizing)."""
    def register(handler: _Handler) -> _Handler:
        _GRAMMAR.append((re.compile(pattern.replace("MONTH", _MONTH), re.ASCII), handler))
        return handler
    return register


class _Parser:
    """One parse: the base date, and whether relative phrases are allowed at all."""

    def __init__(self, published: datetime.date | None, *, published_mode: bool) -> None:
        if isinstance(published, datetime.datetime):
            published = published.date()
        self.published = published
        self.published_mode = published_mode

    def parse(self, value: object) -> When:
        if value is None:
            return UNDATED
        if isinstance(value, bool):
            raise WarlensError(f"a date cannot be {str(value).lower()}; {_HELP}")
        if isinstance(value, datetime.datetime):
            value = value.date()
        if isinstance(value, datetime.date):
            return When(value, value, "day", value.isoformat())
        if isinstance(value, int):
            if not 1000 <= value <= 9999:
                raise WarlensError(f"year {value} is out of range; write a four-digit year")
            return self.parse_text(str(value))
        if isinstance(value, str):
            return self.parse_text(value)
        if isinstance(value, Mapping):
            return self.parse_mapping(value)
        raise WarlensError(
            f"a date must be text, a year or a mapping, not {type(value).__name__} "
            f"{_quote(value)}; {_HELP}"
        )

    def parse_text(self, value: str) -> When:
        text = value.strip()
        if len(text) > _MAX_TEXT:
            raise WarlensError(f"date expression {_quote(text)} is too long; {_HELP}")
        s = _strip_fillers(_normalize(text))
        if s in _UNDATED_WORDS:
            return When(None, None, "undated", text)
        for pattern, handler in _GRAMMAR:
            if m := pattern.fullmatch(s):
                return handler(self, m, text)
        if re.fullmatch(r"[0-9]{1,2}[/.][0-9]{1,2}[/.][0-9]{2,4}", s):
            raise WarlensError(
                f"ambiguous date {_quote(text)}: day and month order differ between "
                "countries; write it as an ISO date (2023-05-20)"
            )
        raise WarlensError(f"unknown date expression {_quote(text)}; {_HELP}")

    def parse_mapping(self, value: Mapping[object, object]) -> When:
        keys = set(value)
        unknown = keys - {"from", "to", "date", "value", "inferred"}
        if unknown:
            names = ", ".join(sorted(repr(k) for k in unknown))
            raise WarlensError(
                f"unknown key {names} in a date; use {{from:, to:}} or {{date:, inferred: true}}"
            )
        inferred = value.get("inferred", False)
        if not isinstance(inferred, bool):
            raise WarlensError(f"'inferred' must be true or false, not {_quote(inferred)}")
        inner = keys & {"date", "value"}
        if inner:
            if len(inner) > 1 or keys & {"from", "to"}:
                raise WarlensError("a date gives either date: or from:/to:, not both")
            found = value[inner.pop()]
            if isinstance(found, Mapping):
                raise WarlensError("date: must be a single date expression, not a mapping")
            return replace(self.parse(found), inferred=inferred)
        if "from" not in keys:
            raise WarlensError("a date range needs from: (to: defaults to the published date)")
        lo = self.side(value["from"], "from")
        if "to" in keys:
            hi = self.side(value["to"], "to")
            text = f"{lo.text} to {hi.text}"
        else:
            base = self.base(f"from {lo.text}")
            hi = When(base, base, "day", base.isoformat())
            text = f"from {lo.text}"
        return self.between(lo, hi, text, inferred=inferred)

    def side(self, value: object, key: str) -> When:
        if isinstance(value, Mapping):
            raise WarlensError(f"{key}: must be a single date expression, not a mapping")
        when = self.parse(value)
        if when.is_undated:
            raise WarlensError(f"{key}: of a date range cannot be undated ({_quote(when.text)})")
        return when

    @staticmethod
    def between(lo: When, hi: When, text: str, *, inferred: bool = False) -> When:
        assert lo.start is not None and hi.end is not None
        if hi.end < lo.start:
            raise WarlensError(
                f"date range {_quote(text)} ends before it starts "
                f"({lo.start.isoformat()} is after {hi.end.isoformat()})"
            )
        return When(lo.start, hi.end, "range", text, inferred)

    def base(self, text: str) -> datetime.date:
        """The published date, or an error saying the phrase needs one."""
        if self.published_mode:
            raise WarlensError(
                f"{_quote(text)} is relative; a published date must be absolute, "
                "such as 2023-05-21"
            )
        if self.published is None:
            raise WarlensError(
                f"{_quote(text)} needs the article's published date (or write the full date)"
            )
        return self.published

    def latest(
        self, text: str, year: str | None, build: Callable[[int], _Span],
    ) -> tuple[datetime.date, datetime.date]:
        """The range `build(year)` gives, for the given year or else the most recent one
        that has begun on or before the published day."""
        if year is not None:
            return _range(text, *build(int(year)))
        base = self.base(text)
        for y in range(base.year, max(base.year - 8, 0), -1):
            try:
                start, end = _range(text, *build(y))
            except WarlensError:
                continue  # 29 February in a common year: try an earlier one
            if start <= base:
                return start, end
        raise WarlensError(f"no such day {_quote(text)}")

    def back(self, text: str, unit: str, amount: int) -> When:
        """From `amount` units before the published day, up to it."""
        base = self.base(text)
        start = _add_months(base, -amount, text) if unit == "months" else _minus(base, amount, text)
        return When(start, base, "range", text)


def _quote(value: object) -> str:
    shown = str(value)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return f"'{shown}'"


def _day(text: str, year: int, month: int, day: int) -> datetime.date:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise WarlensError(f"no such day {_quote(text)}") from None


def _range(text: str, y0: int, m0: int, d0: int, y1: int, m1: int, d1: int,
           ) -> tuple[datetime.date, datetime.date]:
    """Two days; a day of 0 means the last day of that month."""
    if not (1 <= m1 <= 12 and 1 <= y1 <= 9999):
        raise WarlensError(f"no such day {_quote(text)}")
    return (_day(text, y0, m0, d0), _day(text, y1, m1, d1 or _last_day(y1, m1)))


def _minus(d: datetime.date, days: int, text: str) -> datetime.date:
    try:
        return d - datetime.timedelta(days=days)
    except OverflowError:
        raise WarlensError(f"{_quote(text)} reaches before the year 1") from None


def _add_months(d: datetime.date, months: int, text: str) -> datetime.date:
    years, month0 = divmod(d.month - 1 + months, 12)
    year, month = d.year + years, month0 + 1
    if not 1 <= year <= 9999:
        raise WarlensError(f"{_quote(text)} reaches outside the years 1 to 9999")
    return datetime.date(year, month, min(d.day, _last_day(year, month)))


def _count(word: str) -> int:
    return _NUMBER_WORDS[word] if word in _NUMBER_WORDS else int(word)


def _plural(unit: str) -> str:
    return unit if unit.endswith("s") else unit + "s"


# --- the grammar, tried in order ---------------------------------------------------------

@_rule(r"since (.+)")
def _since(p: _Parser, m: re.Match[str], text: str) -> When:
    base = p.base(text)
    lo = p.parse_text(m[1])
    if lo.start is None:
        raise WarlensError(f"unknown date expression {_quote(text)}; {_HELP}")
    if lo.start > base:
        raise WarlensError(
            f"{_quote(text)} starts after the published date {base.isoformat()}"
        )
    return When(lo.start, base, "range", text)


@_rule(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})"
       r"(?:[t ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?:z|[+-][0-9]{2}:?[0-9]{2})?)?")
def _iso_day(p: _Parser, m: re.Match[str], text: str) -> When:
    d = _day(text, int(m[1]), int(m[2]), int(m[3]))
    return When(d, d, "day", text)


@_rule(r"([0-9]{4})-([0-9]{1,2})")
def _iso_month(p: _Parser, m: re.Match[str], text: str) -> When:
    year, month = int(m[1]), int(m[2])
    start, end = _range(text, year, month, 1, year, month, 0)
    return When(start, end, "month", text)


@_rule(r"([0-9]{4}) ?w([0-9]{1,2})")
def _iso_week(p: _Parser, m: re.Match[str], text: str) -> When:
    try:
        start = datetime.date.fromisocalendar(int(m[1]), int(m[2]), 1)
        end = start + datetime.timedelta(days=6)
    except (ValueError, OverflowError):
        raise WarlensError(f"no such week {_quote(text)}") from None
    return When(start, end, "week", text)


@_rule(r"([0-9]{4})")
def _year(p: _Parser, m: re.Match[str], text: str) -> When:
    start, end = _range(text, int(m[1]), 1, 1, int(m[1]), 12, 31)
    return When(start, end, "year", text)


@_rule(r"([0-9]{4}(?:-[0-9]{1,2}){0,2})/([0-9]{4}(?:-[0-9]{1,2}){0,2})")
def _iso_interval(p: _Parser, m: re.Match[str], text: str) -> When:
    return p.between(p.parse_text(m[1]), p.parse_text(m[2]), text)


@_rule(_PART + r" (MONTH)(?: (?:of )?([0-9]{4}))?")
def _part_of_month(p: _Parser, m: re.Match[str], text: str) -> When:
    third, month = _THIRDS[m[1]], _MONTH_NUMBERS[m[2]]
    first, last = (1, 11, 21)[third], (10, 20, 0)[third]
    start, end = p.latest(text, m[3], lambda y: (y, month, first, y, month, last))
    return When(start, end, "range", text)


@_rule(_PART + r" ([0-9]{4})")
def _part_of_year(p: _Parser, m: re.Match[str], text: str) -> When:
    third, year = _THIRDS[m[1]], int(m[2])
    start, end = _range(text, year, 1 + 4 * third, 1, year, 4 + 4 * third, 0)
    return When(start, end, "range", text)


@_rule(r"(MONTH)(?: (?:of )?([0-9]{4}))?")
def _month(p: _Parser, m: re.Match[str], text: str) -> When:
    month = _MONTH_NUMBERS[m[1]]
    start, end = p.latest(text, m[2], lambda y: (y, month, 1, y, month, 0))
    return When(start, end, "month", text)


def _named_day(p: _Parser, text: str, day: str, month: str, year: str | None) -> When:
    d, mo = int(day), _MONTH_NUMBERS[month]
    start, end = p.latest(text, year, lambda y: (y, mo, d, y, mo, d))
    return When(start, end, "day", text)


@_rule(r"([0-9]{1,2})(?:st|nd|rd|th)? (?:of )?(MONTH)(?: ([0-9]{4}))?")
def _day_month(p: _Parser, m: re.Match[str], text: str) -> When:
    return _named_day(p, text, m[1], m[2], m[3])


@_rule(r"(MONTH) (?:the )?([0-9]{1,2})(?:st|nd|rd|th)?(?: ([0-9]{4}))?")
def _month_day(p: _Parser, m: re.Match[str], text: str) -> When:
    return _named_day(p, text, m[2], m[1], m[3])


@_rule(r"(spring|summer|autumn|fall|winter)(?: of)?(?: ([0-9]{4})(?: ?[/-] ?([0-9]{2,4}))?)?")
def _season(p: _Parser, m: re.Match[str], text: str) -> When:
    first = _SEASON_START[m[1]]
    year = m[2]
    if m[1] == "winter" and year is not None:
        if m[3] is None:
            raise WarlensError(
                f"{_quote(text)} is ambiguous; write winter {int(year) - 1}/{year[2:]} "
                f"or winter {year}/{(int(year) + 1) % 100:02d}"
            )
        following = int(year) + 1
        if int(m[3]) != (following if len(m[3]) == 4 else following % 100):
            raise WarlensError(f"{_quote(text)}: a winter runs from one year into the next")
    elif m[3] is not None:
        raise WarlensError(f"{_quote(text)}: only a winter spans two years")

    def build(y: int) -> _Span:
        if first == 12:
            return (y, 12, 1, y + 1, 2, 0)
        return (y, first, 1, y, first + 2, 0)

    start, end = p.latest(text, year, build)
    return When(start, end, "season", text)


_DAYS_BACK = {
    "today": 0, "this morning": 0, "this afternoon": 0, "this evening": 0, "tonight": 0,
    "earlier today": 0, "yesterday": 1, "day before yesterday": 2,
}


@_rule("|".join(_DAYS_BACK))
def _named_relative_day(p: _Parser, m: re.Match[str], text: str) -> When:
    d = _minus(p.base(text), _DAYS_BACK[m[0]], text)
    return When(d, d, "day", text)


@_rule(r"last night|overnight")
def _overnight(p: _Parser, m: re.Match[str], text: str) -> When:
    base = p.base(text)
    return When(_minus(base, 1, text), base, "range", text)


@_rule(r"(?:(?:last|this past|past) )?(" + "|".join(_WEEKDAYS) + ")")
def _weekday(p: _Parser, m: re.Match[str], text: str) -> When:
    base = p.base(text)
    days = (base.weekday() - _WEEKDAYS.index(m[1]) - 1) % 7 + 1
    d = _minus(base, days, text)
    return When(d, d, "day", text)


@_rule(r"(?:last|past|this past|previous) (week|month|year)")
def _previous_unit(p: _Parser, m: re.Match[str], text: str) -> When:
    base = p.base(text)
    if m[1] == "week":
        start = _minus(base, base.weekday() + 7, text)
    elif m[1] == "month":
        start = _add_months(base.replace(day=1), -1, text)
    else:
        start = _day(text, base.year - 1, 1, 1)
    return When(start, base, "range", text)


@_rule(r"this (week|month|year)")
def _current_unit(p: _Parser, m: re.Match[str], text: str) -> When:
    base = p.base(text)
    if m[1] == "week":
        start = _minus(base, base.weekday(), text)
    elif m[1] == "month":
        start = base.replace(day=1)
    else:
        start = base.replace(month=1, day=1)
    return When(start, base, "range", text)


@_rule(r"(?:(?:last|past|this past) )?(?:a )?(few|several|recent|couple of|couple) " + _UNIT)
def _few_units(p: _Parser, m: re.Match[str], text: str) -> When:
    unit, amount = (_COUPLE if m[1].startswith("couple") else _FEW)[m[2]]
    return p.back(text, unit, amount)


@_rule(r"(?:last|past|this past|previous) ([0-9]{1,4}|" + "|".join(_NUMBER_WORDS) + ") "
       r"(hours?|days?|weeks?|months?|years?)")
def _counted_units(p: _Parser, m: re.Match[str], text: str) -> When:
    n, unit = _count(m[1]), _plural(m[2])
    if unit == "hours":
        return p.back(text, "days", math.ceil(n / 24))
    if unit in {"months", "years"}:
        return p.back(text, "months", n * (12 if unit == "years" else 1))
    return p.back(text, "days", n * (7 if unit == "weeks" else 1))


@_rule(r"for (?:several |many )?" + _UNIT + r"(?: now)?|" + _UNIT + r" of [a-z][a-z ]*")
def _long_units(p: _Parser, m: re.Match[str], text: str) -> When:
    unit, amount = _LONG[m[1] or m[2]]
    return p.back(text, unit, amount)
