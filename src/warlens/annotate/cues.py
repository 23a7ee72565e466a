"""Cue rules: which sentence reports a conflict event, and which reports a claim.

For a claim, also who makes it and with what stance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from warlens.annotate.places import is_common_word
from warlens.text import Sentence, words

#: The claimant of a claim nobody is named for ("It's estimated that ...").
UNATTRIBUTED = "unattributed"
_MAX_LINE = 2000


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


def event_cue(sentence: str) -> _Cue | None:
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


def actors_of(sentence: str) -> list[str]:
    found: list[str] = []
    for m in _AGENT.finditer(sentence):
        name = m.group(1)
        name = name[4:] if name.startswith("the ") else name
        found.extend(part for part in name.split(" and ")
                     if not is_common_word(part) and not _ADJECTIVE.search(part))
    for m in _FORCES.finditer(sentence):
        words = [w for w in m.group(1).split() if not is_common_word(w)]
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
_LEAD_WORDS = frozenset(words("""
but and yet so however meanwhile while as when although though because if then now also
still even
"""))
_TAIL_WORDS = frozenset(words("""
has have had will would shall should could can may might also again later previously
repeatedly reportedly now then once already is are was were did does do not never
publicly officially firmly strongly flatly earlier today yesterday who which been
"""))
_PRONOUNS = frozenset(words("""
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


def find_claim(sentence: Sentence, previous: str | None) -> _Claim | None:
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


