"""Dates as dataset exports write them: one reading decided per file, parsed by libraries.

ACLED, UCDP GED and TimeMap files reach us re-saved by spreadsheets: `2015-08-19`,
`2015-08-19T00:00:00`, `14/08/2020 00:00:00`, `2/27/2023 12:00:00 AM`, `31-12-19`
(the century in a `year` column), `12 May 2023`. Reading them needs no grammar of
our own (warlens has one, `warlens.dates`, for what articles say): ISO forms go to
`datetime.fromisoformat`, the rest to dateutil's parser. What the libraries cannot
decide is whether `05/02/2014` is the 5th of February or the 2nd of May, and they
decide it value by value (dateutil swaps day and month whenever one is above 12),
which can read one file both ways. So the order is decided once per file, from all
its values: a number above 12 in the first position makes the file day-first, in the
second month-first; a file where nothing settles it is read in the format's default
order (month-first when the times carry AM/PM, as a US spreadsheet writes them) and
says so once. A value that contradicts the file's order is reported, never swapped.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable

from dateutil import parser as _dateutil

__all__ = ["ACCEPTED", "DayColumn"]

#: The forms accepted, as an error message lists them.
ACCEPTED = ("2023-05-12 (a time such as T00:00:00 may follow), 12/05/2023 or 12.05.2023 "
            "or 12-05-23 (day first), 5/12/2023 12:00:00 AM (month first), 12 May 2023, "
            "12-May-2023, May 12, 2023; two-digit years need a year column")
_NUMERIC = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})(?![\d/.\-])")
_AM_PM = re.compile(r"\d\s*[ap]\.?m\.?$", re.IGNORECASE)
_LETTERS = re.compile(r"[a-z]{3}", re.IGNORECASE)
_YEAR_FIRST = re.compile(r"^\d{4}[/.\-]")
# Two defaults that differ in every field: a field the value leaves out shows as a
# difference, so "May 2023" is not taken for the 1st of May.
_DEFAULTS = (datetime.datetime(1, 1, 1), datetime.datetime(2, 2, 2))


class DayColumn:
    """The dates of one column of one file: the order they are read in, and each day.

    `values` are all the column's cells (decided on once); `month_first` is the
    format's own order for a file that does not settle it (TimeMap documents
    M/D/YYYY); `documented` says that order needs no warning.
    """

    def __init__(self, column: str, values: Iterable[str], *, month_first: bool = False,
                 documented: bool = False) -> None:
        self.column = column
        self._cache: dict[str, datetime.date | str] = {}
        self.two_digit_guessed: str | None = None  # a value whose century was guessed
        firsts = seconds = 0
        first_example = second_example = ""
        numeric = am_pm = 0
        for raw in values:
            value = raw.strip()
            m = _NUMERIC.match(value)
            if m is None:
                continue
            numeric += 1
            am_pm += bool(_AM_PM.search(value))
            a, b = int(m[1]), int(m[2])
            if a > 12 >= b:
                firsts += 1
                first_example = first_example or value
            if b > 12 >= a:
                seconds += 1
                second_example = second_example or value
        #: The once-per-file note on the order used, or None when the values settle it.
        self.note: str | None = None
        if firsts and seconds:
            self.day_first = firsts >= seconds
            self.note = (f"the dates mix day-first ('{first_example}') and month-first "
                         f"('{second_example}') values; the file is read "
                         f"{self.order}, and the values that contradict it are reported")
        elif firsts or seconds:
            self.day_first = bool(firsts)
        else:
            us_times = bool(numeric) and am_pm * 2 >= numeric  # most carry AM/PM
            self.day_first = not (month_first or us_times)
            if numeric and not (documented and not self.day_first):
                why = ("the times carry AM/PM, as US spreadsheets write them" if us_times
                       else "the default when nothing settles it")
                self.note = (f"no date has a number above 12 to tell day from month; all "
                             f"{numeric} numeric dates were read {self.order} ({why}): "
                             "check a few against the source")

    @property
    def order(self) -> str:
        """'day-first' or 'month-first', as the messages say it."""
        return "day-first" if self.day_first else "month-first"

    def day(self, text: str, year: int | None = None) -> datetime.date:
        """The calendar day `text` gives; ValueError (naming the value, the forms
        accepted and the order used) when it gives none. A two-digit year takes its
        century from `year` (the row's year column) when there is one."""
        value = " ".join(text.split())
        found = self._cache.get(value)
        if found is None:
            found = self._cache[value] = self._read(value)
        if isinstance(found, str):
            raise ValueError(found)
        if _two_digit_year(value, found):
            if year is None:
                self.two_digit_guessed = self.two_digit_guessed or value
            elif year % 100 != found.year % 100:
                raise ValueError(f"{value!r} has the two-digit year '{found.year % 100:02d}' "
                                 f"but the year column says {year}")
            else:
                found = _replace_year(found, year, value)
        return found

    def _read(self, value: str) -> datetime.date | str:
        """The day, or the message saying why there is none."""
        if not value:
            return "is empty"
        try:
            return datetime.datetime.fromisoformat(value.replace(" ", "T", 1)
                                                   if _YEAR_FIRST.match(value) else value).date()
        except ValueError:
            pass
        m = _NUMERIC.match(value)
        if m is not None:
            a, b = int(m[1]), int(m[2])
            if a > 12 and b > 12:
                return f"{value!r} is not a calendar day (neither {a} nor {b} can be a month)"
            if (a > 12 and not self.day_first) or (b > 12 and self.day_first):
                return (f"{value!r} is written {'day' if a > 12 else 'month'}-first, but "
                        f"this file's dates are read {self.order}; correct the value")
        elif not (_YEAR_FIRST.match(value) or _LETTERS.search(value)):
            return self._unreadable(value, "unknown form")
        year_first = bool(_YEAR_FIRST.match(value))  # 2023/05/12: always year, month, day
        try:
            first, second = (_dateutil.parse(value, dayfirst=self.day_first and not year_first,
                                             yearfirst=year_first, default=d)
                             for d in _DEFAULTS)
        except (ValueError, OverflowError) as exc:
            if "out of range" in str(exc):
                return f"{value!r} is not a calendar day ({str(exc).split(':')[0]})"
            return self._unreadable(value, "unknown form")
        if first.date() != second.date():
            return self._unreadable(value, "no day, month and year")
        return first.date()

    def _unreadable(self, value: str, reason: str) -> str:
        return (f"{value!r} is not a date warlens can read ({reason}); accepted: {ACCEPTED} "
                f"(this file is read {self.order})")


def _two_digit_year(value: str, day: datetime.date) -> bool:
    """Whether the value wrote its year with two digits (its four are not in it)."""
    return f"{day.year:04d}" not in value


def _replace_year(day: datetime.date, year: int, value: str) -> datetime.date:
    try:
        return day.replace(year=year)
    except ValueError:  # the 29th of February of another century
        raise ValueError(f"{value!r} is not a calendar day in {year}") from None
