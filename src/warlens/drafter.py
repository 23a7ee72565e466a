"""Drafting off the server's back: `annotate.draft_article` in a worker process, on a budget.

A draft is pure-Python work on up to 200,000 pasted characters. Run in the server's own
process it would hold the interpreter lock, and Streamlit's event loop (which answers
every other visitor, and the health check) would wait for it: a thread does not help.
So drafts run in worker processes (`python -m warlens.drafter`, a fresh interpreter: not
a fork of the threaded server, and not multiprocessing, whose children re-run the main
module, which under Streamlit is the page script), and each draft has a hard budget of its
worker's time (a new worker's start is not on it): a draft still running when it ends is
killed with its worker, and the person is told to
shorten the text. A new worker is started on demand; a worker loads the gazetteer once.
Requests and answers cross pipes as JSON, never pickles.

At most `MAX_WORKERS` drafts run at once (each worker holds a gazetteer, a few hundred MB);
a request that finds every worker busy waits for one, inside its own budget.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from functools import cache
from multiprocessing.connection import Connection
from typing import Any

#: The longest a draft may take in its worker (and, apart, the longest a request waits
#: for a free worker).
BUDGET_S = 5.0
#: The longest a new worker may take to load the gazetteer (a build without a cache takes
#: 2-6 s): that is not the text's doing, so it is not on the draft's budget.
START_S = 60.0
_READY = b"ready"
#: Drafts that may run at once (the machine's cores are shared with the server).
MAX_WORKERS = 2


@dataclass(frozen=True)
class Outcome:
    """What a draft request gave: the document and its YAML, or an error to show."""

    doc: dict[str, Any] | None
    yaml: str | None
    error: str | None
    seconds: float


def _serve(requests: Connection, replies: Connection) -> None:
    """A worker's life: warm the gazetteer, then draft every request that arrives."""
    from warlens import annotate
    from warlens.gazetteer import get_gazetteer
    from warlens.problems import WarlensError
    from warlens.yamlio import dump_yaml

    get_gazetteer()
    replies.send_bytes(_READY)
    while True:
        try:
            text, options = json.loads(requests.recv_bytes())
        except (EOFError, OSError):
            return
        try:
            doc = annotate.draft_article(text, **options)
            reply = {"doc": doc, "yaml": dump_yaml(doc)}
        except WarlensError as exc:
            reply = {"error": exc.message}
        replies.send_bytes(json.dumps(reply).encode())


class _Worker:
    """One worker process and the pipes to it."""

    def __init__(self) -> None:
        from_parent, to_child = os.pipe()
        from_child, to_parent = os.pipe()
        try:
            self.process = subprocess.Popen(  # noqa: S603 - this interpreter, this module
                [sys.executable, "-m", "warlens.drafter", str(from_parent), str(to_parent)],
                pass_fds=(from_parent, to_parent), stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL)
        except BaseException:
            for fd in (to_child, from_child):
                os.close(fd)
            raise
        finally:
            os.close(from_parent)
            os.close(to_parent)
        self.requests = Connection(to_child, readable=False)
        self.replies = Connection(from_child, writable=False)
        self.ready = False

    def wait_ready(self, timeout: float) -> bool:
        """Whether the worker has loaded the gazetteer (waiting up to `timeout` seconds)."""
        if not self.ready:
            try:
                self.ready = (self.replies.poll(timeout)
                              and self.replies.recv_bytes() == _READY)
            except (EOFError, OSError):
                return False
        return self.ready

    def stop(self) -> None:
        """Kill the worker (a draft over budget is not asked to stop: it is stopped)."""
        self.process.kill()
        self.process.wait(timeout=5)
        self.requests.close()
        self.replies.close()


class Drafter:
    """Runs drafts in worker processes, each request within `budget_s` seconds."""

    def __init__(self, budget_s: float = BUDGET_S, max_workers: int = MAX_WORKERS) -> None:
        self.budget_s = budget_s
        self.max_workers = max_workers
        self._idle: list[_Worker] = []
        self._running = 0  # workers that exist, idle or busy
        self._changed = threading.Condition()

    def warm(self) -> None:
        """Start a worker now if there is none, so that the first draft does not wait."""
        with self._changed:
            if self._running == 0:
                self._idle.append(_Worker())
                self._running += 1

    def _acquire(self, deadline: float) -> _Worker | None:
        with self._changed:
            while True:
                if self._idle:
                    return self._idle.pop()
                if self._running < self.max_workers:
                    self._running += 1
                    break
                left = deadline - time.monotonic()
                if left <= 0 or not self._changed.wait(left):
                    return None
        try:
            return _Worker()
        except Exception:
            self._release(None)
            raise

    def _release(self, worker: _Worker | None) -> None:
        """Give a worker back, or (None) say that a worker has gone."""
        with self._changed:
            if worker is None:
                self._running -= 1
            else:
                self._idle.append(worker)
            self._changed.notify()

    def draft(self, text: str, *, published: datetime.date | str,
              **options: str | None) -> Outcome:
        """`annotate.draft_article(text, published=..., **options)` in a worker, on budget."""
        started = time.monotonic()

        def outcome(doc: Any = None, yaml: Any = None, error: str | None = None) -> Outcome:
            return Outcome(doc, yaml, error, time.monotonic() - started)

        worker = self._acquire(started + self.budget_s)
        if worker is None:
            return outcome(error=f"every drafter is busy with other texts; try again in "
                                 f"{self.budget_s:.0f} seconds")
        if not worker.wait_ready(START_S):
            worker.stop()
            self._release(None)
            return outcome(error="the drafter could not start; try again")
        deadline = time.monotonic() + self.budget_s  # the draft's own time starts now
        try:
            if isinstance(published, datetime.date):
                published = published.isoformat()
            worker.requests.send_bytes(json.dumps([text, {"published": published,
                                                          **options}]).encode())
            if not worker.replies.poll(max(0.0, deadline - time.monotonic())):
                raise TimeoutError
            reply = json.loads(worker.replies.recv_bytes())
        except TimeoutError:
            worker.stop()
            self._release(None)
            return outcome(error=f"drafting took longer than {self.budget_s:.0f} seconds and "
                                 "was stopped; draft a shorter part of the text")
        except (EOFError, OSError):
            worker.stop()
            self._release(None)
            return outcome(error="the drafter stopped unexpectedly; try again")
        self._release(worker)
        return outcome(reply.get("doc"), reply.get("yaml"), reply.get("error"))

    def close(self) -> None:
        """Stop the idle workers (busy ones are stopped by their own request)."""
        with self._changed:
            idle, self._idle = self._idle, []
            self._running -= len(idle)
        for worker in idle:
            worker.stop()


@cache
def get_drafter() -> Drafter:
    """The process-wide drafter: the server's sessions share its workers."""
    return Drafter()


if __name__ == "__main__":
    _serve(Connection(int(sys.argv[1]), writable=False),
           Connection(int(sys.argv[2]), readable=False))
