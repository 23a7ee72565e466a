"""Text routines every reader and the drafter share: slugs, sentences, month names, clips.

Written once here so that an id, a sentence span or a month means the same thing in an
imported Label Studio task, a brat document and a drafted article.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["MAX_LINE", "MONTH_NAMES", "Phrase", "Sentence", "clip", "key_slug", "slugify",
           "split_sentences", "unique_id", "words"]

#: English month names, January first: month n is MONTH_NAMES[n - 1].
MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)
#: The most a native `Line` field (title, summary, actor, tag) may hold.
MAX_LINE = 2000


def clip(text: str, limit: int = MAX_LINE) -> str:
    """Text cut to a native `Line` field's length, single-lined, an ellipsis marking a cut."""
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1].rstrip() + "\u2026"


def words(text: str) -> list[str]:
    """The whitespace-separated words of a word list written as one string."""
    return text.split()


# --- slugs ----------------------------------------------------------------------------------

def slugify(text: str, fallback: str = "item", max_len: int = 60) -> str:
    """A slug for an id: ASCII lower-case letters, digits and '-' ("Бахмут" -> fallback)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:max_len].strip("-")
    return slug or fallback


_KEY_BAD = re.compile(r"[^a-z0-9_-]+")


def key_slug(text: str, max_len: int = 100) -> str:
    """A native id from a dataset's key: `UKR12345` -> `ukr12345`, `Zone 3/B` -> `zone-3-b`.

    Unlike `slugify`, underscores stay and nothing is transliterated: a dataset's keys
    are codes, and the ids imported from them must not change between versions.
    """
    slug = _KEY_BAD.sub("-", text.strip().lower()).strip("-_")
    return slug[:max_len].rstrip("-_")


def unique_id(base: str, taken: set[str]) -> str:
    """`base`, or `base-2`, `base-3`... whichever is not yet in `taken` (which it joins)."""
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base[:95]}-{n}"
    taken.add(candidate)
    return candidate


# --- sentences ------------------------------------------------------------------------------

_ABBREVIATIONS = frozenset(words("""
mr mrs ms dr prof gen lt col maj capt sgt cpl pte adm cmdr gov sen rep rev st ft mt jan
feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri sat sun
no nos vol fig approx est dept govt co corp inc ltd jr sr vs etc al eg ie cf pvt
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


@dataclass(frozen=True, slots=True)
class Phrase:
    """Words found in one sentence: the sentence's index and their span in the text."""

    sentence: int
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




def credit(attribution: object, licence: object) -> str:
    """A text's attribution and licence as one line ("Source: ..., CC BY 4.0"), the
    licence left out when the attribution already names it; "" when neither is known."""
    parts = [str(v).strip() for v in (attribution, licence) if isinstance(v, str) and v.strip()]
    if len(parts) == 2 and parts[1] in parts[0]:
        parts = parts[:1]
    return " · ".join(parts)
