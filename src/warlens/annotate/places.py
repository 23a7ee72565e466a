"""Place names in a text: capitalised runs looked up in the gazetteer, namesakes dropped."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from warlens.gazetteer import ALIASES, Gazetteer, GazPlace, get_gazetteer, normalize_name
from warlens.text import Phrase, Sentence, words

#: A settlement at least this big may set the article's country context on its own, and
#: one smaller than this outside that context is taken for a namesake and dropped.
CONFIDENT_POPULATION = 100_000


#: Capitalised common words that GeoNames also knows as places ("She" is an alternate name
#: of Shenyang, "Of" a town in Turkey): never a place as a single capitalised word.
_COMMON_WORDS = frozenset(words("""
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
_FALSE_FRIENDS = frozenset(words("""
Wagner Azov Moskva Kremlin Pentagon NATO Nato EU UN Hamas Patriot Patriots Javelin
Javelins Leopard Leopards Bradley Abrams HIMARS Himars Grad Shahed Iskander Kalibr Kinzhal
Lancet Bayraktar Storm Shadow Sky Post Times Reuters Guardian Telegraph Independent
Mobile Marks Young Best Long Big Tass Interfax Ria Read Yes Even May March
"""))
# Lower-case words allowed inside a multi-word place name ("Rostov on Don", "Ras al Ain").
_PARTICLES = frozenset(words("""
al el ez es ad ar as de del der di du da dos das la le les on upon sur am an im of
"""))
# Words that may follow a place without making it part of another name.
_DESIGNATORS = frozenset(words("""
Oblast Region Province Governorate District Raion Krai Republic Front Direction Axis
Sector
"""))
_ALIAS_KEYS = frozenset(normalize_name(a) for a in ALIASES)
_WORD = re.compile(r"[^\W\d_][\w'\u2019\-.]*[\w]|[^\W\d_]", re.UNICODE)
_POSSESSIVE = re.compile(r"(?:['\u2019]s|['\u2019])$")


@dataclass(frozen=True, slots=True)
class PlaceMention(Phrase):
    """A place name as written in one sentence, and what it resolved to."""

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


def is_common_word(word: str) -> bool:
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
                and not is_common_word(nxt.text) and nxt.text not in _DESIGNATORS):
            return True
    if first > 0:
        prev = toks[first - 1]
        if (text[prev.end:toks[first].start] == " " and _capitalised(prev.text)
                and not prev.possessive and not is_common_word(prev.text)
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
    if is_common_word(tok.text) or tok.text in _FALSE_FRIENDS:
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


