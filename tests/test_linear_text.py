"""Every routine that reads pasted or data text takes time linear in its length.

One pasted text on the Annotate page used to freeze every visitor: a regular expression
anchored at the end after a repeated class retried from every character of a long run
(50,000 letters took 7.5 s, 200,000 about two minutes). Here every text routine is fed
pathological texts (long runs of letters, capitals, punctuation, spaces, quotes, hyphens,
and repeated cue words) at two lengths, n and 8n: linear work grows about 8 times,
quadratic work 64 times. The bound (24 times, best of five runs with the garbage collector
off, and a floor for timer noise) leaves room for a busy machine (short texts fit the
CPU's caches: 4x the text has taken 7x the time) and still fails the old code.
"""

from __future__ import annotations

import datetime
import gc
import time
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from warlens import annotate, dates
from warlens.annotate import Sentence, cues
from warlens.problems import WarlensError
from warlens.ui import common

N = 2_000
GROWTH = 8
#: Allowed growth of the time when the text grows GROWTH times (linear: 8, quadratic: 64).
MAX_RATIO = 24
#: Times below this are timer noise: a routine that fast at 8n passes whatever the ratio.
FLOOR_S = 0.02
PUBLISHED = datetime.date(2024, 3, 1)

#: What a run is made of: single characters and the short pieces that cue a rule.
UNITS = ["a", "A", ".", "!", "?", ",", ";", ":", " ", "\t", '"', "'", "\u201c", "-",
         "\u2014", "(", "A-", "a.", "a. ", "A.", "Aa ", "a'", ", ", ". . ", "since ",
         "under ", "by A ", "Shelling in Kyiv. ", "he said, ", "KYIV ", "A(", "yesterday ",
         "$", ":red[", "https://x.", "@a.", "[x](", "\u00e9", "\u0416"]
#: Short text around the run: the cues that make the routines look further.
EDGES = ["", " x. He said it was so.", " he said", "He said ", "KYIV (AP) \u2014 ",
         "according to ", " Russian forces", " since", ", officials said.", "\n"]


def _sentence(text: str) -> Sentence:
    return Sentence(0, 0, len(text), text)


def _draft(text: str) -> object:
    try:
        return annotate.draft_article(text, published=PUBLISHED)
    except WarlensError:
        return None


def _parse_when(text: str) -> object:
    try:
        return dates.parse_when(text, PUBLISHED)
    except WarlensError:
        return None


ROUTINES: dict[str, Callable[[str], object]] = {
    "split_sentences": annotate.split_sentences,
    "find_dates": lambda t: annotate.find_dates(annotate.split_sentences(t), PUBLISHED),
    "find_dates_one_sentence": lambda t: annotate.find_dates([_sentence(t)], PUBLISHED),
    "event_cue": cues.event_cue,
    "actors": cues.actors_of,
    "find_claim": lambda t: cues.find_claim(_sentence(t), None),
    "proposition": cues._proposition,
    "claimant_before": cues._claimant_before,
    "claimant_after": cues._claimant_after,
    "slugify": annotate.slugify,
    "parse_when": _parse_when,
    "md_escape": common.md_escape,
    "draft_article": _draft,
}


def _best_of(routine: Callable[[str], object], text: str, runs: int = 5) -> float:
    """The shortest of `runs` timings of this thread's CPU time (other processes on a
    busy machine do not count), with the garbage collector off (as timeit does): in a long
    test session the heap is large, and a collection would be timed as the text's."""
    best = float("inf")
    gc.disable()
    try:
        for _ in range(runs):
            started = time.thread_time()
            routine(text)
            best = min(best, time.thread_time() - started)
    finally:
        gc.enable()
    return best


def _text(unit: str, before: str, after: str, n: int) -> str:
    return before + (unit * (n // len(unit) + 1))[:n] + after


def assert_linear(routine: Callable[[str], object], unit: str, before: str, after: str) -> None:
    """The routine's time at GROWTH * N characters is at most MAX_RATIO times that at N."""
    routine(_text(unit, before, after, N))  # warm caches (the gazetteer, compiled patterns)
    small = _best_of(routine, _text(unit, before, after, N))
    large = _best_of(routine, _text(unit, before, after, GROWTH * N))
    assert large <= max(MAX_RATIO * small, FLOOR_S), (
        f"{GROWTH}x the text took {large / max(small, 1e-9):.1f}x the time "
        f"({small * 1000:.1f} ms -> {large * 1000:.1f} ms) on {before!r} + {unit!r}... + {after!r}")


LINEAR = settings(max_examples=12, deadline=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate],  # shrinking re-times slow inputs
                  suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("name", ROUTINES)
@LINEAR
@given(unit=st.sampled_from(UNITS), before=st.sampled_from(EDGES),
       after=st.sampled_from(EDGES))
# The reproduction: a run of letters without a space, then a short sentence.
@example(unit="a", before="", after=" x. He said it was so.")
@example(unit=" ", before="He said ", after=" x")  # a claim with a run of spaces inside
def test_every_text_routine_takes_linear_time_on_pathological_runs(
    name: str, unit: str, before: str, after: str
) -> None:
    assert_linear(ROUTINES[name], unit, before, after)


def test_a_run_of_letters_then_a_sentence_drafts_in_a_fraction_of_a_second() -> None:
    # 50,000 letters and a short sentence took 7.5 s before; it is a plain draft now.
    started = time.perf_counter()
    doc = annotate.draft_article("a" * 50_000 + " x. He said it was so.", published=PUBLISHED)
    assert time.perf_counter() - started < 1.5
    assert [c["quote"] for c in doc["claims"]] == ["He said it was so."]


def test_ids_stay_unique_when_one_place_has_thousands_of_events() -> None:
    doc = annotate.draft_article("Shelling in Kyiv. " * 3_000, published=PUBLISHED)
    ids = [e["id"] for e in doc["events"]]
    assert len(ids) == len(set(ids)) == 3_000
    assert ids[:3] == ["remote-violence-kyiv", "remote-violence-kyiv-2", "remote-violence-kyiv-3"]
