"""Drafts run in a worker process with a hard budget: one paste can never stall the server."""

from __future__ import annotations

import datetime
import threading
import time
from collections.abc import Iterator

import pytest

from warlens import annotate
from warlens.drafter import Drafter

PUBLISHED = datetime.date(2023, 5, 21)
TEXT = "Russian forces shelled Kherson overnight, officials said."
#: 200,000 characters of capitalised words: the slowest text found for the drafter (~1 s).
SLOW = ("Aa " * 70_000)[:200_000]


@pytest.fixture
def drafter() -> Iterator[Drafter]:
    made = Drafter(budget_s=60)
    yield made
    made.close()


def test_a_draft_from_the_worker_is_the_draft_made_here(drafter: Drafter) -> None:
    outcome = drafter.draft(TEXT, published=PUBLISHED, outlet="Sky News")
    assert outcome.error is None
    assert outcome.doc == annotate.draft_article(TEXT, published=PUBLISHED, outlet="Sky News")
    assert "outlet: Sky News" in (outcome.yaml or "")


def test_a_text_the_drafter_refuses_comes_back_as_its_message(drafter: Drafter) -> None:
    outcome = drafter.draft("   ", published=PUBLISHED)
    assert outcome.doc is None and "empty" in (outcome.error or "")


def test_a_draft_over_budget_is_stopped_and_the_next_one_gets_a_new_worker(
    drafter: Drafter,
) -> None:
    assert drafter.draft(TEXT, published=PUBLISHED).error is None  # warm: gazetteer loaded
    drafter.budget_s = 0.05
    stopped = drafter.draft(SLOW, published=PUBLISHED)
    assert stopped.doc is None and "was stopped" in (stopped.error or "")
    assert stopped.seconds < 1.0  # the budget, not the draft, decided when it ended
    drafter.budget_s = 60
    again = drafter.draft(TEXT, published=PUBLISHED)
    assert again.error is None and again.doc is not None


def test_this_process_keeps_running_python_while_a_long_draft_runs(drafter: Drafter) -> None:
    drafter.draft(TEXT, published=PUBLISHED)  # warm
    done = threading.Event()

    def long_draft() -> None:
        drafter.draft(SLOW, published=PUBLISHED)
        done.set()

    threading.Thread(target=long_draft, daemon=True).start()
    # What the server's event loop does between requests: short bits of Python. Each must
    # run promptly while the draft goes on (in a thread of this process, a regex on a long
    # text would hold the interpreter lock for its whole run).
    worst = 0.0
    while not done.is_set():
        started = time.perf_counter()
        sum(range(10_000))
        worst = max(worst, time.perf_counter() - started)
        time.sleep(0.005)
    assert worst < 0.1, f"a bit of Python waited {worst:.3f} s while a draft ran"


def test_drafts_beyond_the_workers_wait_for_a_free_one_within_the_budget() -> None:
    drafter = Drafter(budget_s=60, max_workers=1)
    try:
        results = []
        threads = [threading.Thread(target=lambda: results.append(
            drafter.draft(TEXT, published=PUBLISHED))) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert [r.error for r in results] == [None, None, None]
    finally:
        drafter.close()
