"""Span offsets written under another convention (UTF-16 units, CRLF line ends) turned
into code points of the text, and spans that miss their text found again.

Label Studio counts in UTF-16 units in some versions and code points in others, and
brat's tools write offsets of files whose line ends were later changed; both readers
use this to repair such spans rather than drop them.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable

__all__ = ["MODES", "OffsetIndex", "repair_span"]

_ASTRAL = re.compile("[\U00010000-\U0010ffff]")

#: Offset conventions, in the order they are preferred when several fit equally.
MODES: tuple[str, ...] = ("code points", "UTF-16", "CRLF folded", "UTF-16 + CRLF folded")


class OffsetIndex:
    """Converts offsets written under another convention into code points of `text`.

    Built once per task text; each conversion is a binary search.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._crlf = [m.start() for m in re.finditer("\r\n", text)]
        # The CRLF pairs at positions of the folded text (each earlier pair took one away).
        self._crlf_folded = [p - i for i, p in enumerate(self._crlf)]
        self._astral_u16 = self._utf16_positions(text)
        self._astral_u16_folded = (self._utf16_positions(text.replace("\r\n", "\n"))
                                   if self._crlf else self._astral_u16)

    @staticmethod
    def _utf16_positions(text: str) -> list[int]:
        """Where each astral character starts, in UTF-16 units (each earlier one took two)."""
        if text.isascii():
            return []
        return [m.start() + i for i, m in enumerate(_ASTRAL.finditer(text))]

    @property
    def ambiguous(self) -> bool:
        """Whether any other convention could give other positions for this text."""
        return bool(self._crlf or self._astral_u16)

    @staticmethod
    def _from_utf16(astral: list[int], unit: int) -> int | None:
        before = bisect.bisect_left(astral, unit)
        if before and astral[before - 1] == unit - 1:
            return None  # between the two halves of a surrogate pair
        return unit - before

    def convert(self, mode: str, start: int, end: int) -> tuple[int, int] | None:
        """(start, end) given under `mode` as code points of the text, or None if impossible."""
        if mode == MODES[0]:
            span: tuple[int | None, int | None] = (start, end)
        elif mode == MODES[1]:
            if not self._astral_u16:
                return None
            span = (self._from_utf16(self._astral_u16, start),
                    self._from_utf16(self._astral_u16, end))
        else:
            if not self._crlf:
                return None
            if mode == MODES[3]:
                if not self._astral_u16_folded:
                    return None
                start_f = self._from_utf16(self._astral_u16_folded, start)
                end_f = self._from_utf16(self._astral_u16_folded, end)
                if start_f is None or end_f is None:
                    return None
                start, end = start_f, end_f
            span = (start + bisect.bisect_left(self._crlf_folded, start),
                    end + bisect.bisect_left(self._crlf_folded, end))
        lo, hi = span
        if lo is None or hi is None or not 0 <= lo < hi <= len(self.text):
            return None
        return lo, hi

    def matches(self, mode: str, start: int, end: int, expected: str) -> tuple[int, int] | None:
        """The converted span if the text there is `expected`."""
        span = self.convert(mode, start, end)
        if span is not None and self.text[span[0]:span[1]] == expected:
            return span
        return None

    def nearest(self, expected: str, start: int) -> tuple[int, int] | None:
        """The occurrence of `expected` whose start is closest to `start`."""
        best: int | None = None
        at = self.text.find(expected)
        while at >= 0:
            if best is None or abs(at - start) < abs(best - start):
                best = at
            if at > start:
                break
            at = self.text.find(expected, at + 1)
        return None if best is None else (best, best + len(expected))

    def best_mode(self, spans: Iterable[tuple[int, int, str]]) -> str:
        """The convention under which most (start, end, text) spans match; ties go first."""
        spans = list(spans)
        if not self.ambiguous or all(self.text[s:e] == t for s, e, t in spans):
            return MODES[0]
        scores = [sum(self.matches(mode, s, e, t) is not None for s, e, t in spans)
                  for mode in MODES]
        return MODES[scores.index(max(scores))]

    def repair(self, start: int, end: int, expected: str,
               preferred: str = MODES[0]) -> tuple[int, int, str] | None:
        """(start, end, how) in code points whose text is `expected`, or None.

        Tries `preferred`, then the other conventions, then the nearest occurrence.
        """
        for mode in (preferred, *(m for m in MODES if m != preferred)):
            span = self.matches(mode, start, end, expected)
            if span is not None:
                return span[0], span[1], mode
        span = self.nearest(expected, start) if expected else None
        return None if span is None else (span[0], span[1], "nearest occurrence")


def repair_span(text: str, start: int, end: int, expected: str) -> tuple[int, int] | None:
    """The code-point span of `expected` that (start, end) meant, under any known convention."""
    found = OffsetIndex(text).repair(start, end, expected)
    return None if found is None else (found[0], found[1])


# --- line numbers ---------------------------------------------------------------------
