"""Find a quoted sentence in an article's text and return its character span.

Annotators copy quotes by hand, so the match forgives what copying changes:
runs of whitespace, straight versus curly quotes and apostrophes, and the
several dashes. The span returned is in the original text, in code points.
"""

from __future__ import annotations

import re
from bisect import bisect_right

# Characters that copying commonly swaps, folded to one representative each.
_FOLD = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u02bc": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
    "\u2212": "-",
    "\u00a0": " ",
})
_SPACE = re.compile(r"\s+")
#: Whitespace runs that folding changes: all but a lone " ", which stays as it is.
_RUN = re.compile(r"\s{2,}|[^\S ]")


class FoldedText:
    """An article text folded once, so that many quotes can be looked up in it."""

    __slots__ = ("_folded", "_folded_at", "_origin_at", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        source = text.translate(_FOLD)
        # Each whitespace run becomes one space. Between runs the folded text is the
        # original shifted by a constant, so the map back to the original is kept as
        # breakpoints (folded index -> original index) rather than one entry per character;
        # a lone " " needs neither a change nor a breakpoint.
        pieces: list[str] = []
        folded_at, origin_at = [0], [0]
        done = shift = 0
        for run in _RUN.finditer(source):
            start, end = run.span()
            pieces.append(source[done:start])
            pieces.append(" ")
            at = start - shift
            folded_at += (at, at + 1)
            origin_at += (start, end)
            shift += end - start - 1
            done = end
        pieces.append(source[done:])
        self._folded = "".join(pieces)
        self._folded_at = folded_at
        self._origin_at = origin_at

    def _origin(self, at: int) -> int:
        """The index in the original text of folded character `at`."""
        k = bisect_right(self._folded_at, at) - 1
        return self._origin_at[k] + at - self._folded_at[k]

    def find(self, quote: str) -> tuple[int, int] | None:
        """The (start, end) span of `quote` in the original text, or None if absent."""
        needle = _SPACE.sub(" ", quote.translate(_FOLD)).strip()
        if not needle:
            return None
        at = self._folded.find(needle)
        if at < 0:
            return None
        end = at + len(needle)
        return self._origin(at), self._origin(end - 1) + 1


def find_quote(text: str, quote: str) -> tuple[int, int] | None:
    """The span of `quote` in `text`, forgiving whitespace, quote marks and dashes."""
    return FoldedText(text).find(quote)
