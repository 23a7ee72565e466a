"""Find a quoted sentence in an article's text and return its character span.

Annotators copy quotes by hand, so the match forgives what copying changes:
runs of whitespace, straight versus curly quotes and apostrophes, and the
several dashes. The span returned is in the original text, in code points.
"""

from __future__ import annotations

import re

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


class FoldedText:
    """An article text folded once, so that many quotes can be looked up in it."""

    __slots__ = ("_folded", "_origin", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        folded: list[str] = []
        origin: list[int] = []  # origin[i] = index in text of folded[i]
        in_space = False
        for i, ch in enumerate(text.translate(_FOLD)):
            if ch.isspace():
                if in_space:
                    continue
                in_space = True
                ch = " "
            else:
                in_space = False
            folded.append(ch)
            origin.append(i)
        origin.append(len(text))
        self._folded = "".join(folded)
        self._origin = origin

    def find(self, quote: str) -> tuple[int, int] | None:
        """The (start, end) span of `quote` in the original text, or None if absent."""
        needle = _SPACE.sub(" ", quote.translate(_FOLD)).strip()
        if not needle:
            return None
        at = self._folded.find(needle)
        if at < 0:
            return None
        end = at + len(needle)
        return self._origin[at], self._origin[end - 1] + 1


def find_quote(text: str, quote: str) -> tuple[int, int] | None:
    """The span of `quote` in `text`, forgiving whitespace, quote marks and dashes."""
    return FoldedText(text).find(quote)
